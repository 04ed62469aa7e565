"""Orders and a cash-and-positions portfolio, with exact Decimal money.

This starter runs but is wrong in several ways. Read README.md, then fix every TODO.
"""
from __future__ import annotations

from decimal import Decimal


class PortfolioError(Exception):
    """Base class for every domain error this module raises."""


class InsufficientCash(Exception):  # TODO: part of the PortfolioError hierarchy
    """A buy would cost more cash than the portfolio holds."""


class InsufficientPosition(Exception):  # TODO: part of the PortfolioError hierarchy
    """A sell is for more shares than the portfolio holds."""


class Order:  # TODO: make this an abstract base class; Order(...) itself must raise TypeError
    def __init__(self, symbol: str, side: str, qty: int) -> None:
        # TODO: validate side ("buy"/"sell") and qty (a positive int; not a bool, not a float)
        self.symbol = symbol  # TODO: read-only properties
        self.side = side
        self.qty = qty

    def fill_price(self, bid: Decimal, ask: Decimal) -> Decimal | None:
        # TODO: abstract; each subclass decides its fill price (or None when it does not fill)
        raise NotImplementedError("fill_price")


class MarketOrder(Order):
    pass  # TODO: buys fill at the ask, sells at the bid


class LimitOrder(Order):
    def __init__(self, symbol: str, side: str, qty: int, limit_price: Decimal) -> None:
        super().__init__(symbol, side, qty)
        self.limit_price = limit_price

    # TODO: fill only at limit_price or better, otherwise return None


class Portfolio:
    def __init__(self, cash: Decimal) -> None:
        self.cash = cash  # TODO: read-only from outside
        self.positions: dict[str, int] = {}  # TODO: callers must get a copy

    def execute(self, order: Order, bid: Decimal, ask: Decimal) -> bool:
        raise NotImplementedError("execute: fill the order if it fills; return True/False")
