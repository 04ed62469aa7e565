"""Orders and a cash-and-positions portfolio, with exact Decimal money."""
from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal

SIDES = ("buy", "sell")


class PortfolioError(Exception):
    """Base class for every domain error this module raises."""


class InsufficientCash(PortfolioError):
    """A buy would cost more cash than the portfolio holds."""


class InsufficientPosition(PortfolioError):
    """A sell is for more shares than the portfolio holds."""


class Order(ABC):
    """An instruction to buy or sell `qty` whole shares of `symbol`.

    Abstract: only the subclasses know at what price (if any) they fill.
    """

    def __init__(self, symbol: str, side: str, qty: int) -> None:
        if side not in SIDES:
            raise ValueError(f"side must be 'buy' or 'sell', got {side!r}")
        # bool is a subclass of int, so True would otherwise pass as a quantity of 1.
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise ValueError(f"qty must be a positive whole number of shares, got {qty!r}")
        self._symbol = symbol
        self._side = side
        self._qty = qty

    @property
    def symbol(self) -> str:
        return self._symbol

    @property
    def side(self) -> str:
        return self._side

    @property
    def qty(self) -> int:
        return self._qty

    @abstractmethod
    def fill_price(self, bid: Decimal, ask: Decimal) -> Decimal | None:
        """The price this order fills at against the quote, or None if it does not fill."""


class MarketOrder(Order):
    """Fills immediately: buys pay the ask, sells receive the bid."""

    def fill_price(self, bid: Decimal, ask: Decimal) -> Decimal | None:
        return ask if self.side == "buy" else bid


class LimitOrder(Order):
    """Fills only at `limit_price` or better."""

    def __init__(self, symbol: str, side: str, qty: int, limit_price: Decimal) -> None:
        super().__init__(symbol, side, qty)
        self._limit_price = limit_price

    def fill_price(self, bid: Decimal, ask: Decimal) -> Decimal | None:
        if self.side == "buy":
            return ask if ask <= self._limit_price else None
        return bid if bid >= self._limit_price else None


class Portfolio:
    """Cash plus share positions. State changes only through `execute`."""

    def __init__(self, cash: Decimal) -> None:
        self._cash = cash
        self._positions: dict[str, int] = {}

    @property
    def cash(self) -> Decimal:
        # No setter: `portfolio.cash = ...` raises AttributeError.
        return self._cash

    @property
    def positions(self) -> dict[str, int]:
        # A copy, so a caller editing the dict cannot change our state.
        return dict(self._positions)

    def execute(self, order: Order, bid: Decimal, ask: Decimal) -> bool:
        """Fill `order` against the quote if it fills. Returns True if it filled, False if not."""
        price = order.fill_price(bid, ask)
        if price is None:
            return False
        notional = price * order.qty
        held = self._positions.get(order.symbol, 0)
        # Check everything first, mutate afterwards: a failed order must leave no trace.
        if order.side == "buy":
            if notional > self._cash:
                raise InsufficientCash(f"need {notional}, have {self._cash}")
            self._cash -= notional
            self._positions[order.symbol] = held + order.qty
        else:
            if order.qty > held:
                raise InsufficientPosition(f"sell {order.qty} {order.symbol}, hold {held}")
            self._cash += notional
            if held == order.qty:
                del self._positions[order.symbol]
            else:
                self._positions[order.symbol] = held - order.qty
        return True
