"""Verifier for portfolio-oop: ABCs, encapsulation and exact Decimal money.

Each test names the README rule(s) it checks. Tests that are about one rule compare state with a snapshot taken
before the step, so a mistake elsewhere (say, float cash) fails only the tests about that mistake.
"""
from decimal import Decimal

import pytest
from roadmap_pytest import raises

import portfolio
from portfolio import (
    InsufficientCash,
    InsufficientPosition,
    LimitOrder,
    MarketOrder,
    Order,
    Portfolio,
    PortfolioError,
)

BID, ASK = Decimal("101.05"), Decimal("101.10")


def funded(cash="1000.00"):
    return Portfolio(Decimal(cash))


def state(p):
    return p.cash, p.positions


class MidOrder(Order):
    """An order type the portfolio has never heard of: it fills at the mid price."""

    def fill_price(self, bid, ask):
        return (bid + ask) / 2


class NeverFills(Order):
    def fill_price(self, bid, ask):
        return None


@pytest.mark.rule("order-abstract")
def test_order_is_abstract():
    with raises(TypeError, 'Order("AAPL", "buy", 1) must raise TypeError: make Order an ABC with an abstract fill_price'):
        Order("AAPL", "buy", 1)
    assert issubclass(MarketOrder, Order) and issubclass(LimitOrder, Order), (
        "MarketOrder and LimitOrder must subclass Order"
    )
    assert isinstance(MarketOrder("AAPL", "buy", 1), Order), "MarketOrder('AAPL', 'buy', 1) must build an Order"


@pytest.mark.rule("order-read-only")
@pytest.mark.parametrize("kind", ["MarketOrder", "LimitOrder"])
def test_order_fields_are_read_only(kind):
    order = MarketOrder("AAPL", "sell", 3) if kind == "MarketOrder" else LimitOrder("AAPL", "sell", 3, Decimal("100"))
    assert (order.symbol, order.side, order.qty) == ("AAPL", "sell", 3), (
        f"{kind}('AAPL', 'sell', 3) must report symbol, side, qty as given,"
        f" got {(order.symbol, order.side, order.qty)!r}"
    )
    for name, value in [("symbol", "GME"), ("side", "buy"), ("qty", 1000)]:
        with raises(AttributeError, f"{kind}.{name} must be a read-only property: assigning to it must raise"):
            setattr(order, name, value)
    assert (order.symbol, order.side, order.qty) == ("AAPL", "sell", 3), (
        f"a refused assignment must leave the order as it was, got {(order.symbol, order.side, order.qty)!r}"
    )
    other = MarketOrder("brk.b", "buy", 2) if kind == "MarketOrder" else LimitOrder("brk.b", "buy", 2, Decimal("100"))
    assert other.symbol == "brk.b", f"{kind}('brk.b', 'buy', 2).symbol must be the symbol as given, 'brk.b', got {other.symbol!r}"


@pytest.mark.rule("order-side")
@pytest.mark.parametrize("side", ["hold", "BUY", "Sell", "", None, " buy", "sell\n"])
def test_side_must_be_buy_or_sell(side):
    assert MarketOrder("AAPL", "buy", 1).side == "buy" and MarketOrder("AAPL", "sell", 1).side == "sell", (
        "'buy' and 'sell' are valid sides"
    )
    with raises(ValueError, f"MarketOrder with side={side!r} must raise ValueError: only 'buy' and 'sell' exist"):
        MarketOrder("AAPL", side, 1)
    with raises(ValueError, f"LimitOrder with side={side!r} must raise ValueError: only 'buy' and 'sell' exist"):
        LimitOrder("AAPL", side, 1, Decimal("100"))


@pytest.mark.rule("order-qty")
@pytest.mark.parametrize("qty", [0, -1, 1.5, 2.0, "3", True, False, None], ids=repr)
def test_qty_must_be_a_positive_int(qty):
    assert MarketOrder("AAPL", "buy", 1).qty == 1 and MarketOrder("AAPL", "buy", 250).qty == 250, (
        "positive ints are valid quantities"
    )
    with raises(ValueError, f"MarketOrder with qty={qty!r} must raise ValueError: qty is a positive int"):
        MarketOrder("AAPL", "buy", qty)
    with raises(ValueError, f"LimitOrder with qty={qty!r} must raise ValueError: qty is a positive int"):
        LimitOrder("AAPL", "buy", qty, Decimal("100"))


@pytest.mark.rule("market-fill-price")
def test_market_order_fill_price():
    assert MarketOrder("AAPL", "buy", 1).fill_price(BID, ASK) == ASK, "a market buy must fill at the ask"
    assert MarketOrder("AAPL", "sell", 1).fill_price(BID, ASK) == BID, "a market sell must fill at the bid"


@pytest.mark.rule("limit-buy-fill")
@pytest.mark.parametrize(
    "limit, expected",
    [("101.10", ASK), ("150.00", ASK), ("101.09", None), ("101.07", None), ("90.00", None)],
)
def test_limit_buy_fill_price(limit, expected):
    price = LimitOrder("AAPL", "buy", 1, Decimal(limit)).fill_price(BID, ASK)
    if expected is None:
        assert price is None, f"a buy limit at {limit} must not fill against ask {ASK}: expected None, got {price!r}"
    else:
        assert price == expected, (
            f"a buy limit at {limit} with ask {ASK} must fill at the ask {ASK} (ask <= limit), got {price!r}"
        )


@pytest.mark.rule("limit-sell-fill")
@pytest.mark.parametrize(
    "limit, expected",
    [("101.05", BID), ("90.00", BID), ("101.06", None), ("101.08", None), ("150.00", None)],
)
def test_limit_sell_fill_price(limit, expected):
    price = LimitOrder("AAPL", "sell", 1, Decimal(limit)).fill_price(BID, ASK)
    if expected is None:
        assert price is None, f"a sell limit at {limit} must not fill against bid {BID}: expected None, got {price!r}"
    else:
        assert price == expected, (
            f"a sell limit at {limit} with bid {BID} must fill at the bid {BID} (bid >= limit), got {price!r}"
        )


@pytest.mark.rule("exception-hierarchy")
def test_exception_hierarchy():
    assert issubclass(PortfolioError, Exception), "PortfolioError must subclass Exception"
    assert issubclass(InsufficientCash, PortfolioError), "InsufficientCash must subclass PortfolioError"
    assert issubclass(InsufficientPosition, PortfolioError), "InsufficientPosition must subclass PortfolioError"
    assert not issubclass(InsufficientCash, InsufficientPosition) and not issubclass(
        InsufficientPosition, InsufficientCash
    ), "InsufficientCash and InsufficientPosition must be two distinct errors, neither a subclass of the other"


@pytest.mark.rule("buy-fill", "exact-decimal-cash")
def test_market_buy_fills_at_ask_with_exact_decimal_cash():
    p = funded()
    filled = p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    assert filled is True, f"execute() must return True when the order fills, got {filled!r}"
    assert isinstance(p.cash, Decimal), f"cash must stay a Decimal, got {type(p.cash).__name__}"
    assert p.cash == Decimal("696.70"), f"3 x 101.10 at the ask from 1000.00 leaves exactly 696.70, got {p.cash!r}"
    assert p.positions == {"AAPL": 3}, f"expected positions {{'AAPL': 3}}, got {p.positions!r}"


@pytest.mark.rule("buy-fill", "exact-decimal-cash")
def test_second_buy_adds_to_the_position():
    p = funded()
    p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    assert p.execute(MarketOrder("AAPL", "buy", 2), Decimal("99.90"), Decimal("100.00")) is True, (
        "a second buy must fill too"
    )
    assert p.positions == {"AAPL": 5}, f"buying 3 then 2 AAPL must hold 5, got {p.positions!r}"
    assert p.cash == Decimal("496.70"), f"the second buy costs 2 x 100.00: expected 496.70, got {p.cash!r}"
    assert p.execute(MarketOrder("MSFT", "buy", 1), Decimal("400.00"), Decimal("400.10")) is True, (
        "a buy of a second symbol must fill"
    )
    assert p.positions == {"AAPL": 5, "MSFT": 1}, (
        f"each symbol keeps its own count: expected {{'AAPL': 5, 'MSFT': 1}}, got {p.positions!r}"
    )
    assert p.cash == Decimal("96.60"), f"expected 496.70 - 400.10 = 96.60, got {p.cash!r}"


@pytest.mark.rule("sell-fill", "market-fill-price", "exact-decimal-cash")
def test_market_sell_fills_at_bid():
    p = funded()
    p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    p.execute(MarketOrder("MSFT", "buy", 1), Decimal("200.00"), Decimal("200.00"))
    filled = p.execute(MarketOrder("AAPL", "sell", 2), BID, ASK)
    assert filled is True, f"execute() must return True when a sell fills, got {filled!r}"
    assert p.cash == Decimal("698.80"), (
        f"selling 2 at the bid 101.05 adds 202.10 to 496.70: expected 698.80, got {p.cash!r}"
    )
    assert p.positions == {"AAPL": 1, "MSFT": 1}, (
        f"selling 2 of 3 AAPL must leave {{'AAPL': 1, 'MSFT': 1}}, got {p.positions!r}"
    )


@pytest.mark.rule("execute-uses-fill-price", "exact-decimal-cash")
def test_execute_fills_at_the_orders_own_price():
    p = funded()
    assert p.execute(MidOrder("AAPL", "buy", 2), BID, ASK) is True, "an Order subclass that fills must fill"
    assert p.cash == Decimal("797.85"), (
        f"an order whose fill_price is the mid 101.075 must cost 2 x 101.075 = 202.15, leaving 797.85, got {p.cash!r}"
    )
    assert p.positions == {"AAPL": 2}, f"expected {{'AAPL': 2}}, got {p.positions!r}"

    q = funded("400.00")
    try:
        filled = q.execute(LimitOrder("AAPL", "buy", 3, Decimal("150.00")), BID, ASK)
    except InsufficientCash:
        pytest.fail("a buy limit at 150.00 fills at the ask 101.10, so 3 shares cost 303.30, not 3 x 150.00:"
                    " 400.00 of cash covers it", pytrace=False)
    assert filled is True and q.cash == Decimal("96.70"), (
        f"a limit buy pays its fill price (the ask 101.10), not its limit: expected cash 96.70, got {q.cash!r}"
    )


@pytest.mark.rule("unfilled-no-change")
def test_unfilled_order_changes_nothing():
    p = funded()
    assert p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK) is True, "a market buy must fill"
    before = state(p)
    cases = [
        (LimitOrder("MSFT", "buy", 2, Decimal("100.00")), "a buy limit at 100.00 against the ask 101.10"),
        (NeverFills("AAPL", "sell", 1), "an order whose fill_price returns None"),
        (NeverFills("MSFT", "buy", 1000), "an unaffordable buy whose fill_price returns None"),
        (NeverFills("TSLA", "sell", 5), "a sell of shares not held whose fill_price returns None"),
    ]
    for order, what in cases:
        try:
            filled = p.execute(order, BID, ASK)
        except PortfolioError as exc:
            pytest.fail(
                f"{what} does not fill, so execute must return False before any check, but it raised {exc!r}",
                pytrace=False,
            )
        assert filled is False, f"{what}: execute must return False, got {filled!r}"
        assert state(p) == before, f"{what} must change neither cash nor positions: {before!r} became {state(p)!r}"


@pytest.mark.rule("insufficient-cash")
def test_buy_costing_more_than_cash_raises():
    p = funded("304.29")
    p.execute(MarketOrder("MSFT", "buy", 1), Decimal("1.00"), Decimal("1.00"))
    before = state(p)
    with raises(InsufficientCash, "3 x 101.10 = 303.30 costs one cent more than 303.29 of cash: execute must raise"):
        p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    assert state(p) == before, f"a rejected buy must change nothing: {before!r} became {state(p)!r}"


@pytest.mark.rule("insufficient-cash", "exact-decimal-cash")
def test_buy_costing_exactly_all_the_cash_fills():
    p = funded("303.30")
    try:
        filled = p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    except InsufficientCash:
        pytest.fail("3 x 101.10 = 303.30 with exactly 303.30 of cash must fill, not raise InsufficientCash",
                    pytrace=False)
    assert filled is True and p.cash == Decimal("0"), (
        f"spending exactly all the cash must fill and leave 0, got filled={filled!r}, cash={p.cash!r}"
    )
    assert p.positions == {"AAPL": 3}, f"expected {{'AAPL': 3}}, got {p.positions!r}"


@pytest.mark.rule("insufficient-position")
def test_oversell_raises_and_leaves_state_intact():
    p = funded()
    p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    p.execute(MarketOrder("MSFT", "buy", 2), BID, ASK)
    before = state(p)
    with raises(InsufficientPosition, "selling 4 AAPL while holding 3 must raise InsufficientPosition"):
        p.execute(MarketOrder("AAPL", "sell", 4), BID, ASK)
    assert state(p) == before, f"a rejected sell must change nothing: {before!r} became {state(p)!r}"
    with raises(InsufficientPosition, "selling TSLA, never bought, must raise InsufficientPosition"):
        p.execute(MarketOrder("TSLA", "sell", 1), BID, ASK)
    assert state(p) == before, f"a rejected sell of TSLA must change nothing: {before!r} became {state(p)!r}"


@pytest.mark.rule("insufficient-position")
def test_selling_exactly_all_shares_fills():
    p = funded()
    p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    try:
        filled = p.execute(MarketOrder("AAPL", "sell", 3), BID, ASK)
    except InsufficientPosition:
        pytest.fail("selling exactly the 3 shares held must fill, not raise InsufficientPosition", pytrace=False)
    assert filled is True, f"selling all 3 shares held must return True, got {filled!r}"
    assert not p.positions.get("AAPL"), f"after selling all AAPL no shares are left, got {p.positions!r}"


@pytest.mark.rule("positions-omit-zero", "insufficient-position")  # a full sell must fill first
def test_fully_sold_symbol_leaves_positions():
    p = funded()
    assert p.positions == {}, f"a new portfolio holds nothing: expected {{}}, got {p.positions!r}"
    p.execute(MarketOrder("AAPL", "buy", 3), BID, ASK)
    p.execute(MarketOrder("MSFT", "buy", 1), BID, ASK)
    p.execute(MarketOrder("AAPL", "sell", 3), BID, ASK)
    assert p.positions == {"MSFT": 1}, (
        f"after selling all 3 AAPL, positions must leave AAPL out: expected {{'MSFT': 1}}, got {p.positions!r}"
    )
    p.execute(MarketOrder("AAPL", "buy", 1), BID, ASK)
    assert p.positions == {"MSFT": 1, "AAPL": 1}, f"buying AAPL again must hold 1, got {p.positions!r}"


@pytest.mark.rule("cash-read-only")
def test_cash_is_read_only():
    p = funded()
    assert p.cash == Decimal("1000.00"), f"a new Portfolio(Decimal('1000.00')) has 1000.00 cash, got {p.cash!r}"
    with raises(AttributeError, "p.cash = ... must raise AttributeError: make cash a property without a setter"):
        p.cash = Decimal("1000000")
    assert p.cash == Decimal("1000.00"), "cash must only change through execute()"


@pytest.mark.rule("positions-copy")
def test_positions_returns_a_copy():
    p = funded()
    p.execute(MarketOrder("AAPL", "buy", 1), BID, ASK)
    leaked = p.positions
    assert leaked == {"AAPL": 1}, f"expected {{'AAPL': 1}}, got {leaked!r}"
    leaked["AAPL"] = 1000
    leaked["GME"] = 5
    assert p.positions == {"AAPL": 1}, (
        "editing the dict returned by .positions changed the portfolio: return a copy, not the internal dict"
    )
    p.positions.clear()
    assert p.positions == {"AAPL": 1}, "clearing the dict returned by .positions emptied the portfolio"
    del leaked["AAPL"]
    assert p.positions == {"AAPL": 1}, "deleting a key from the returned dict changed the portfolio"
