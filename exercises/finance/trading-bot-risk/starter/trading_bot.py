"""A small trading bot: an SMA crossover signal, a risk guard, and a broker it talks to only through the guard.

Read README.md for the exact rules. Money is Decimal everywhere; never convert a price to float.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


class SmaCrossover:
    def __init__(self, fast: int, slow: int) -> None:
        # TODO: validate the windows (ValueError), keep the last `slow` closes and the previous fast-slow difference
        raise NotImplementedError

    def on_bar(self, bar: Bar) -> Optional[Side]:
        # TODO: ignore stale bars, then return "buy", "sell" or None
        raise NotImplementedError


@dataclass(frozen=True)
class RiskLimits:
    max_position: int
    max_order_notional: Decimal
    max_daily_loss: Decimal


class RiskGuard:
    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits

    @property
    def halted(self) -> bool:
        raise NotImplementedError  # TODO: has today's loss tripped the kill switch?

    def approve(self, side: Side, qty: int, price: Decimal, position: int, now: datetime) -> int:
        # TODO: roll the UTC day, then: sells clipped to the position (no shorting); buys: halt, cap (clip), notional
        raise NotImplementedError

    def record_pnl(self, amount: Decimal, now: datetime) -> None:
        raise NotImplementedError  # TODO: roll the UTC day, add to today's P&L, halt at the loss limit


class TradingBot:
    def __init__(self, strategy: SmaCrossover, guard: RiskGuard, broker: Broker, order_qty: int) -> None:
        self.strategy, self.guard, self.broker, self.order_qty = strategy, guard, broker, order_qty
        self.position = 0
        self.realized_pnl = Decimal("0")

    def on_bar(self, bar: Bar) -> Optional[Fill]:
        raise NotImplementedError  # TODO: signal -> guard -> broker -> update position and P&L
