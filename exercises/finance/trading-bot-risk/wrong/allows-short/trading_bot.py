"""A small trading bot: an SMA crossover signal, a risk guard, and a broker it talks to only through the guard."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Literal, Optional, Protocol

Side = Literal["buy", "sell"]


@dataclass(frozen=True)
class Bar:
    ts: datetime  # timezone-aware
    close: Decimal


@dataclass(frozen=True)
class Fill:
    side: Side
    qty: int
    price: Decimal
    ts: datetime


class RiskRejected(Exception):
    """The guard refused an order; the message says why."""


class Broker(Protocol):
    def submit(self, side: Side, qty: int, price: Decimal) -> None: ...


def _is_window(n: object) -> bool:
    # bool is a subclass of int: SmaCrossover(True, 4) must not sneak through as a window of 1.
    return isinstance(n, int) and not isinstance(n, bool) and n >= 1


class SmaCrossover:
    """Emit "buy" when the fast SMA crosses above the slow one, "sell" when it crosses below."""

    def __init__(self, fast: int, slow: int) -> None:
        if not (_is_window(fast) and _is_window(slow)) or fast >= slow:
            raise ValueError(f"need integer windows with 1 <= fast < slow, got fast={fast!r} slow={slow!r}")
        self.fast, self.slow = fast, slow
        self._closes: deque[Decimal] = deque(maxlen=slow)
        self._last_ts: Optional[datetime] = None
        self._prev_diff: Optional[Decimal] = None

    def on_bar(self, bar: Bar) -> Optional[Side]:
        # Feeds replay and reconnect: a bar at or before the last one seen is a duplicate or stale, not new data.
        if self._last_ts is not None and bar.ts <= self._last_ts:
            return None
        self._last_ts = bar.ts
        self._closes.append(bar.close)
        if len(self._closes) < self.slow:
            return None
        closes = list(self._closes)
        fast_sma = sum(closes[-self.fast:]) / self.fast
        slow_sma = sum(closes) / self.slow
        diff = fast_sma - slow_sma
        prev, self._prev_diff = self._prev_diff, diff
        if prev is None:  # the first bar with both averages only sets the baseline
            return None
        if prev <= 0 < diff:
            return "buy"
        if prev >= 0 > diff:
            return "sell"
        return None


@dataclass(frozen=True)
class RiskLimits:
    max_position: int  # shares held, never more
    max_order_notional: Decimal  # qty * price of one buy
    max_daily_loss: Decimal  # positive; realised loss per UTC day that trips the kill switch


def _utc_day(ts: datetime) -> date:
    # The trading day is the UTC calendar day, whatever offset the bar's timestamp was written with.
    return ts.astimezone(timezone.utc).date()


class RiskGuard:
    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self._day: Optional[date] = None
        self._day_pnl = Decimal("0")
        self._halted = False

    @property
    def halted(self) -> bool:
        return self._halted

    def _roll_day(self, now: datetime) -> None:
        day = _utc_day(now)
        if self._day is None or day > self._day:
            self._day, self._day_pnl, self._halted = day, Decimal("0"), False

    def approve(self, side: Side, qty: int, price: Decimal, position: int, now: datetime) -> int:
        """Return the quantity that may be sent, or raise RiskRejected."""
        self._roll_day(now)
        if side == "sell":
            # Sells only ever reduce the position (no shorting), so they skip the notional check and the halt.
            return qty
        if self._halted:
            raise RiskRejected("daily loss limit hit: trading halted until the next UTC day")
        allowed = min(qty, self.limits.max_position - position)
        if allowed <= 0:
            raise RiskRejected("position limit reached")
        if allowed * price > self.limits.max_order_notional:
            raise RiskRejected(f"notional {allowed * price} exceeds {self.limits.max_order_notional}")
        return allowed

    def record_pnl(self, amount: Decimal, now: datetime) -> None:
        self._roll_day(now)
        self._day_pnl += amount
        if self._day_pnl <= -self.limits.max_daily_loss:
            self._halted = True


class TradingBot:
    def __init__(self, strategy: SmaCrossover, guard: RiskGuard, broker: Broker, order_qty: int) -> None:
        self.strategy, self.guard, self.broker, self.order_qty = strategy, guard, broker, order_qty
        self.position = 0
        self.avg_cost = Decimal("0")
        self.realized_pnl = Decimal("0")

    def on_bar(self, bar: Bar) -> Optional[Fill]:
        side = self.strategy.on_bar(bar)
        if side is None:
            return None
        try:
            qty = self.guard.approve(side, self.order_qty, bar.close, self.position, bar.ts)
        except RiskRejected:
            return None
        self.broker.submit(side, qty, bar.close)
        if side == "buy":
            self.avg_cost = (self.avg_cost * self.position + bar.close * qty) / (self.position + qty)
            self.position += qty
        else:
            pnl = (bar.close - self.avg_cost) * qty
            self.realized_pnl += pnl
            self.position -= qty
            self.guard.record_pnl(pnl, bar.ts)
        return Fill(side, qty, bar.close, bar.ts)
