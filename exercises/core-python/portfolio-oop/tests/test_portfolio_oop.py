"""Verifier for portfolio-oop: ABCs, encapsulation and exact Decimal money."""
from decimal import Decimal

import pytest

import portfolio
from portfolio import InsufficientPosition, LimitOrder, MarketOrder, Order, Portfolio

BID, ASK = Decimal("101.05"), Decimal("101.10")


def funded(cash="1000.00"):
    return Portfolio(Decimal(cash))


def test_order_is_abstract():
    with pytest.raises(TypeError):
        Order("AAPL", "buy", 1)
    assert issubclass(MarketOrder, Order) and issubclass(LimitOrder, Order), (
        "MarketOrder and LimitOrder must subclass Order"
    )


def test_exception_hierarchy():
    assert issubclass(InsufficientPosition, portfolio.PortfolioError), (
        "InsufficientPosition must subclass PortfolioError so callers can catch every domain error at once"
    )
    assert issubclass(portfolio.InsufficientCash, portfolio.PortfolioError), (
        "InsufficientCash must subclass PortfolioError"
    )


def test_market_buy_fills_at_ask_with_exact_decimal_cash():
    p = funded()
    filled = p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    assert filled is True, "execute() must return True when the order fills"
    assert isinstance(p.cash, Decimal), f"cash must stay a Decimal, got {type(p.cash).__name__}"
    assert p.cash == Decimal("696.70"), (
        f"3 x 101.10 at the ask from 1000.00 leaves exactly 696.70, got {p.cash!r}"
    )
    assert p.positions == {"AAPL": 3}, f"expected positions {{'AAPL': 3}}, got {p.positions!r}"


def test_market_sell_fills_at_bid():
    p = funded()
    p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    p.execute(MarketOrder("AAPL", "sell", 2), BID, ASK)
    assert p.cash == Decimal("898.80"), (
        f"selling 2 at the bid 101.05 after the buy must leave 898.80, got {p.cash!r}"
    )
    assert p.positions == {"AAPL": 1}, f"expected {{'AAPL': 1}} after selling 2 of 3, got {p.positions!r}"


def test_limit_orders():
    p = funded()
    assert p.execute(LimitOrder("MSFT", "buy", 2, Decimal("100.00")), BID, ASK) is False, (
        "a buy limit at 100.00 must not fill when the ask is 101.10"
    )
    assert p.cash == Decimal("1000.00") and p.positions == {}, (
        "an unfilled limit order must change neither cash nor positions"
    )
    assert p.execute(LimitOrder("MSFT", "buy", 2, Decimal("101.10")), BID, ASK) is True, (
        "a buy limit at 101.10 must fill when the ask is 101.10"
    )
    assert p.cash == Decimal("797.80"), f"a filled buy limit pays the ask: expected 797.80, got {p.cash!r}"


def test_oversell_raises_and_leaves_state_intact():
    p = funded()
    p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    with pytest.raises(InsufficientPosition):
        p.execute(MarketOrder("AAPL", "sell", 4), BID, ASK)
    assert p.cash == Decimal("696.70"), (
        f"a rejected sell must not change cash: expected 696.70, got {p.cash!r}"
    )
    assert p.positions == {"AAPL": 3}, f"a rejected sell must not change positions, got {p.positions!r}"
    with pytest.raises(InsufficientPosition):
        p.execute(MarketOrder("TSLA", "sell", 1), BID, ASK)


def test_overspend_raises_insufficient_cash():
    p = funded("100.00")
    with pytest.raises(portfolio.InsufficientCash):
        p.execute(MarketOrder("AAPL", "buy", 1), BID, ASK)
    assert p.cash == Decimal("100.00") and p.positions == {}, "a rejected buy must change nothing"


def test_cash_is_read_only():
    p = funded()
    with pytest.raises(AttributeError):
        p.cash = Decimal("1000000")
    assert p.cash == Decimal("1000.00"), "cash must only change through execute()"


def test_positions_returns_a_copy():
    p = funded()
    p.execute(MarketOrder("AAPL", "buy", 1), BID, ASK)
    leaked = p.positions
    leaked["AAPL"] = 1000
    leaked["GME"] = 5
    assert p.positions == {"AAPL": 1}, (
        "editing the dict returned by .positions changed the portfolio: return a copy, not the internal dict"
    )


@pytest.mark.parametrize("qty", [0, -1, 1.5, True, "3"])
def test_bad_quantity_raises_value_error(qty):
    with pytest.raises(ValueError):
        MarketOrder("AAPL", "buy", qty)
    with pytest.raises(ValueError):
        LimitOrder("AAPL", "buy", qty, Decimal("100"))


def test_bad_side_raises_value_error():
    with pytest.raises(ValueError):
        MarketOrder("AAPL", "hold", 1)
