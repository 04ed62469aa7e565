"""Verifier for trading-bot-risk: SMA signals, a risk guard, and a bot that only trades through the guard."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from roadmap_pytest import local_time_zone, raises

from trading_bot import Bar, Fill, RiskGuard, RiskLimits, RiskRejected, SmaCrossover, TradingBot

rule = pytest.mark.rule
UTC = timezone.utc
T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
PLUS2, MINUS5, PLUS1 = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=1))
# Flat warm-up, a crossover up at index 7 (buy at 100.30) and down at index 11 (sell at 96.30).
CLOSES = ["100.10"] * 7 + ["100.30", "100.30", "100.30", "100.50", "96.30"]


def make_bars(closes=CLOSES, start=T0):
    return [Bar(start + timedelta(minutes=i), Decimal(c)) for i, c in enumerate(closes)]


def signals(closes, fast=2, slow=4):
    strat = SmaCrossover(fast, slow)
    return [strat.on_bar(b) for b in make_bars(closes)]


def fired(out):
    return [(i, s) for i, s in enumerate(out) if s is not None]


class RecordingBroker:
    def __init__(self):
        self.orders = []

    def submit(self, side, qty, price):
        self.orders.append((side, qty, price))


class Scripted:
    """A stand-in strategy: the signal for each bar is given in advance."""

    def __init__(self, *script):
        self.script = list(script)

    def on_bar(self, bar):
        return self.script.pop(0)


class RecordingGuard:
    """Wraps a real RiskGuard and records what the bot asks it."""

    def __init__(self, guard):
        self.guard, self.approvals, self.pnls = guard, [], []

    @property
    def halted(self):
        return self.guard.halted

    def approve(self, side, qty, price, position, now):
        self.approvals.append((side, qty, price, position, now))
        return self.guard.approve(side, qty, price, position, now)

    def record_pnl(self, amount, now):
        self.pnls.append((amount, now))
        self.guard.record_pnl(amount, now)


class ScriptedGuard:
    """A stand-in guard: approves the given quantities in turn and never rejects."""

    def __init__(self, *approved):
        self.approved = list(approved)
        self.halted = False

    def approve(self, side, qty, price, position, now):
        return self.approved.pop(0)

    def record_pnl(self, amount, now):
        pass


def limits(max_position=100, notional="1000", loss="1000"):
    return RiskLimits(max_position=max_position, max_order_notional=Decimal(notional), max_daily_loss=Decimal(loss))


def run_bot(bars, lim=None, qty=5, strategy=None):
    broker = RecordingBroker()
    guard = RiskGuard(lim or limits())
    bot = TradingBot(strategy or SmaCrossover(2, 4), guard, broker, order_qty=qty)
    fills = [bot.on_bar(b) for b in bars]
    return bot, guard, broker, fills


def position_and_pnl_after_each_bar(bot, closes):
    steps = []
    for b in make_bars(closes):
        bot.on_bar(b)
        steps.append((bot.position, bot.realized_pnl))
    return steps


def at(hour, minute=0, day=1, tz=UTC):
    return datetime(2024, 3, day, hour, minute, tzinfo=tz)


# --- SmaCrossover ------------------------------------------------------------------------------------------------

@rule("window-validation")
@pytest.mark.parametrize("fast,slow", [(0, 4), (-1, 4), (4, 2), (3, 3), (2.0, 4), (True, 4), (2, "4"), (2, 4.0)])
def test_bad_windows_raise(fast, slow):
    SmaCrossover(1, 2)  # the smallest valid pair must be accepted
    with raises(ValueError, f"SmaCrossover({fast!r}, {slow!r}) must raise ValueError"):
        SmaCrossover(fast, slow)


@rule("window-validation")
def test_smallest_windows_are_valid():
    strat = SmaCrossover(1, 2)
    out = [strat.on_bar(b) for b in make_bars(["10", "10", "11", "9"])]
    assert out == [None, None, "buy", "sell"], f"SmaCrossover(1, 2) is valid and works: expected buy then sell, got {out}"


@rule("crossover-signals")
def test_sma_crossover_signals_at_7_and_11():
    got = fired(signals(CLOSES))
    assert got == [(7, "buy"), (11, "sell")], (
        f"SMA(2,4) must signal buy at bar 7 (diff 0 -> positive) and sell at bar 11 (positive -> negative), got {got}"
    )


@rule("crossover-signals")
def test_a_fall_out_of_a_flat_market_sells():
    got = fired(signals(["10"] * 5 + ["9"]))
    assert got == [(5, "sell")], f"diff 0 then negative is a sell (previous >= 0, this < 0), got {got}"


@rule("crossover-signals")
def test_signals_fire_on_the_cross_only():
    # diff: bar 3 baseline 0, bar 4 +0.25 (buy), bar 5 +0.75 (no repeat), bar 6 0 (no sell), bar 7 -1.25 (sell)
    closes = ["10", "10", "10", "10", "11", "12", "9", "9"]
    out = signals(closes)
    assert out == [None, None, None, None, "buy", None, None, "sell"], (
        "a diff that stays positive must not buy again, and one that falls to exactly 0 is not yet a sell"
        f" (it sells on the next bar, from 0 to negative); got {out}"
    )


@rule("baseline-no-signal")
@pytest.mark.parametrize("closes,what", [
    (["1", "2", "3", "4", "5", "6"], "a series rising from its first bar"),
    (["6", "5", "4", "3", "2", "1"], "a series falling from its first bar"),
    (["50.00"] * 10, "a flat series"),
], ids=["rising", "falling", "flat"])
def test_the_first_full_window_is_only_a_baseline(closes, what):
    out = signals(closes)
    assert out == [None] * len(closes), (
        f"{what} never crosses: the first bar with both averages only records the baseline diff; got {out}"
    )


@rule("exact-decimal-sma")
def test_exact_decimal_arithmetic_finds_the_cross():
    out = signals(["100.30", "100.10", "100.20", "100.20", "100.30"])
    assert out == [None, None, None, None, "buy"], (
        "bar 3's diff is exactly 0 in Decimal (100.20 - 100.20); bar 4 goes positive, which is a buy."
        f" Float arithmetic leaves a tiny positive diff on bar 3 and misses it. Got {out}"
    )


@rule("exact-decimal-sma", "crossover-signals")
def test_an_exact_zero_diff_is_not_a_cross():
    out = signals(["100.00"] * 4 + ["99.85", "99.42", "100.43"])
    assert out == [None, None, None, None, "sell", None, None], (
        "a flat start, a sell at bar 4, then bar 6's diff is exactly 0 in Decimal (SMA(2) = SMA(4) = 99.925): no"
        " buy. Float arithmetic (also statistics.fmean) leaves a tiny positive diff on bar 6 and buys. Use"
        f" Decimal sums; got {out}"
    )


@rule("stale-bars-ignored")
def test_duplicate_and_out_of_order_bars_are_ignored():
    bars, noisy = make_bars(), []
    for i, b in enumerate(bars):
        noisy.append(b)
        noisy.append(b)  # a replayed duplicate
        if i == 9:
            noisy.append(Bar(b.ts - timedelta(minutes=5), Decimal("1.00")))  # a stale, out-of-order bar
    strat = SmaCrossover(2, 4)
    got = [(noisy[i].ts.strftime("%H:%M"), side) for i, side in fired([strat.on_bar(b) for b in noisy])]
    assert got == [("14:37", "buy"), ("14:41", "sell")], (
        "duplicate or older bars must return None and change nothing: expected only the clean feed's buy on the"
        f" 14:37 bar and sell on the 14:41 bar, got {got}"
    )


@rule("stale-bars-ignored")
def test_the_same_instant_in_another_offset_is_a_duplicate():
    strat = SmaCrossover(2, 4)
    for b in make_bars(["10", "10", "10", "10"]):
        strat.on_bar(b)
    last = T0 + timedelta(minutes=3)  # 14:33Z
    same_instant = Bar(last.astimezone(PLUS1), Decimal("50"))  # 15:33+01:00
    earlier = Bar((last - timedelta(minutes=1)).astimezone(PLUS2), Decimal("50"))  # 16:32+02:00 = 14:32Z
    assert strat.on_bar(same_instant) is None and strat.on_bar(earlier) is None, "stale bars return None"
    nxt = strat.on_bar(Bar(last + timedelta(minutes=1), Decimal("11")))
    assert nxt == "buy", (
        "15:33+01:00 is the same instant as the last bar (14:33Z) and 16:32+02:00 is earlier: both must be ignored,"
        f" so the next real bar (11 after 10, 10, 10) is a buy; got {nxt!r}"
    )


@rule("stale-bars-ignored")
def test_a_stale_bar_does_not_move_the_last_timestamp_back():
    strat = SmaCrossover(2, 4)
    for b in make_bars(["10", "10", "10", "10"]):  # 14:30 .. 14:33
        strat.on_bar(b)
    last = T0 + timedelta(minutes=3)
    assert strat.on_bar(Bar(last - timedelta(minutes=2), Decimal("1"))) is None, "a stale 14:31 bar returns None"
    replay = strat.on_bar(Bar(last, Decimal("50")))  # 14:33 again, after the stale bar
    assert replay is None, (
        "after a stale 14:31 bar, a bar stamped 14:33 (the last ACCEPTED bar's time) is still a duplicate and must"
        f" return None: a stale bar must not move the last accepted ts back; got {replay!r}"
    )
    nxt = strat.on_bar(Bar(last + timedelta(minutes=1), Decimal("11")))
    assert nxt == "buy", (
        "the stale bar and the replayed 14:33 bar must change nothing, so the next real bar (11 after 10, 10, 10)"
        f" is a buy; got {nxt!r}"
    )


# --- RiskGuard ---------------------------------------------------------------------------------------------------

@rule("sell-clipped-no-short")
@pytest.mark.parametrize("qty,position,approved", [(5, 3, 3), (5, 5, 5), (5, 10, 5), (1, 1, 1)])
def test_a_sell_is_clipped_to_the_position(qty, position, approved):
    got = RiskGuard(limits()).approve("sell", qty, Decimal("100"), position=position, now=T0)
    assert got == approved, f"selling {qty} with a position of {position} is approved for {approved}, got {got}"


@rule("sell-clipped-no-short")
def test_no_shorting():
    guard = RiskGuard(limits())
    assert guard.approve("sell", 5, Decimal("100"), position=2, now=T0) == 2, "a sell is capped at the position held"
    with raises(RiskRejected, "a sell with no position must raise RiskRejected (no shorting)"):
        guard.approve("sell", 5, Decimal("100"), position=0, now=T0)


@rule("sell-skips-notional-and-halt")
def test_sells_pass_while_halted_and_above_the_notional():
    guard = RiskGuard(limits(notional="100", loss="10"))
    guard.record_pnl(Decimal("-15"), T0)
    assert guard.halted, "a -15 day with max_daily_loss=10 halts"
    with raises(RiskRejected, "a buy while halted must raise RiskRejected"):
        guard.approve("buy", 1, Decimal("1"), position=0, now=T0)
    got = guard.approve("sell", 50, Decimal("100"), position=50, now=T0)  # notional 5000 > 100, and halted
    assert got == 50, f"a sell only reduces risk: allowed while halted and whatever its notional, got {got}"


@rule("position-cap-clips")
@pytest.mark.parametrize("qty,position,approved", [(5, 0, 5), (5, 7, 3), (5, 9, 1), (10, 0, 10), (3, 5, 3)])
def test_a_buy_is_clipped_to_the_room_under_the_cap(qty, position, approved):
    got = RiskGuard(limits(max_position=10)).approve("buy", qty, Decimal("10"), position=position, now=T0)
    assert got == approved, (
        f"max_position=10, position {position}: a buy of {qty} is approved for {approved}, got {got}"
    )


@rule("position-cap-clips")
@pytest.mark.parametrize("position", [10, 12])
def test_a_buy_at_or_over_the_cap_is_rejected(position):
    guard = RiskGuard(limits(max_position=10))
    assert guard.approve("buy", 1, Decimal("10"), position=9, now=T0) == 1, "one share of room is one share"
    with raises(RiskRejected, f"max_position=10 with a position of {position} leaves no room: RiskRejected"):
        guard.approve("buy", 5, Decimal("10"), position=position, now=T0)


@rule("position-cap-clips", "bot-flow")
def test_the_bot_buys_only_up_to_the_cap():
    bot, _, broker, fills = run_bot(make_bars()[:8], lim=limits(max_position=3))
    assert broker.orders == [("buy", 3, Decimal("100.30"))], (
        f"max_position=3 must clip the bot's buy of 5 to 3, got {broker.orders}"
    )
    assert bot.position == 3 and fills[7] == Fill("buy", 3, Decimal("100.30"), make_bars()[7].ts), (
        f"the bot holds and reports the 3 it bought, got position {bot.position} and {fills[7]!r}"
    )


@rule("notional-rejects")
@pytest.mark.parametrize("qty,price,notional,approved", [
    (3, "100", "300", 3),
    (3, "100.01", "300", None),
    (5, "100.30", "300", None),
    (2, "150", "300", 2),
    (4, "75.00", "300.00", 4),
], ids=["equal-allowed", "a-cent-over", "well-over-never-clipped", "under", "equal-with-cents"])
def test_the_notional_check_rejects_and_never_clips(qty, price, notional, approved):
    guard = RiskGuard(limits(notional=notional))
    if approved is None:
        with raises(RiskRejected, f"{qty} x {price} is over the {notional} notional limit: RiskRejected, not a clip"):
            guard.approve("buy", qty, Decimal(price), position=0, now=T0)
    else:
        got = guard.approve("buy", qty, Decimal(price), position=0, now=T0)
        assert got == approved, f"{qty} x {price} is within the {notional} notional limit: approve {approved}, got {got}"


@rule("notional-rejects", "position-cap-clips")
def test_the_notional_is_checked_after_the_clip():
    guard = RiskGuard(limits(max_position=10, notional="300"))
    got = guard.approve("buy", 5, Decimal("100"), position=7, now=T0)
    assert got == 3, f"5 is clipped to 3 (room under the cap) and 3 x 100 = 300 is within the limit; got {got}"


@rule("daily-loss-halt")
@pytest.mark.parametrize("amounts,halted", [
    (["-20"], True),
    (["-19.99"], False),
    (["-10", "-10"], True),
    (["-15", "5", "-9.99"], False),
    (["-15", "5", "-10"], True),
    (["30", "-45"], False),
    (["30", "-50"], True),
], ids=["exactly-the-limit", "a-cent-short", "two-losses", "gain-offsets", "gain-then-limit",
        "net-loss-15", "net-loss-20"])
def test_the_day_total_halts_at_the_limit(amounts, halted):
    guard = RiskGuard(limits(loss="20"))
    assert guard.halted is False, "a new guard is not halted"
    for i, amount in enumerate(amounts):
        guard.record_pnl(Decimal(amount), T0 + timedelta(minutes=i))
    assert guard.halted is halted, (
        f"P&L {amounts} with max_daily_loss=20: the day's total {sum(Decimal(a) for a in amounts)} must"
        f" {'halt (total <= -20)' if halted else 'not halt'}; halted is {guard.halted}"
    )
    if halted:
        with raises(RiskRejected, "a halted guard must reject buys"):
            guard.approve("buy", 1, Decimal("1"), position=0, now=T0 + timedelta(hours=1))
    else:
        assert guard.approve("buy", 1, Decimal("1"), position=0, now=T0 + timedelta(hours=1)) == 1, "not halted: buys pass"



@rule("daily-loss-halt")
@pytest.mark.parametrize("gain", ["10", "100"])
def test_a_later_gain_the_same_day_does_not_lift_the_halt(gain):
    guard = RiskGuard(limits(loss="20"))
    guard.record_pnl(Decimal("-25"), at(15))
    assert guard.halted, "-25 with max_daily_loss=20 halts"
    guard.record_pnl(Decimal(gain), at(16))
    assert guard.halted, (
        f"a gain of {gain} later the same UTC day brings the total back above -20, but the halt stays until the"
        " next UTC day: halted must still be True"
    )
    with raises(RiskRejected, f"still halted after a later gain of {gain} the same day: a buy must raise RiskRejected"):
        guard.approve("buy", 1, Decimal("1"), position=0, now=at(17))


@rule("utc-day-reset")
@pytest.mark.parametrize("zone", [None, "EST+05"], ids=["server-in-utc", "server-in-utc-5"])
def test_halt_resets_on_next_utc_day_not_local_day(zone):
    where = "" if zone is None else " (on a server whose local time zone is UTC-5: use astimezone(timezone.utc), never astimezone())"
    with local_time_zone(zone):
        guard = RiskGuard(limits(loss="20"))
        guard.record_pnl(Decimal("-25"), at(20))
        assert guard.halted, "a -25 day with max_daily_loss=20 must halt"
        with raises(RiskRejected, f"00:30+02:00 on 2 March is 22:30Z on 1 March: the same UTC day, still halted{where}"):
            guard.approve("buy", 1, Decimal("1"), position=0, now=at(0, 30, day=2, tz=PLUS2))
        try:
            qty = guard.approve("buy", 1, Decimal("1"), position=0, now=at(23, 30, day=1, tz=MINUS5))
        except RiskRejected as exc:
            qty = f"RiskRejected({exc})"
    assert qty == 1 and not guard.halted, (
        f"23:30-05:00 on 1 March is 04:30Z on 2 March: a new UTC day resets the halt, so a buy of 1 is approved"
        f"{where}; got {qty!r}"
    )


@rule("utc-day-reset")
def test_a_new_day_starts_from_zero():
    guard = RiskGuard(limits(loss="20"))
    guard.record_pnl(Decimal("-15"), at(15))
    guard.record_pnl(Decimal("-10"), at(0, 30, day=2))
    assert not guard.halted, "a new UTC day starts at 0: -15 yesterday and -10 today must not halt"


@rule("utc-day-reset")
def test_a_record_on_the_next_day_also_resets():
    guard = RiskGuard(limits(loss="20"))
    guard.record_pnl(Decimal("-25"), at(21))
    assert guard.halted, "-25 with max_daily_loss=20 halts"
    guard.record_pnl(Decimal("-5"), at(19, 30, day=1, tz=MINUS5))  # 00:30Z on 2 March
    assert not guard.halted, "record_pnl on a later UTC day (19:30-05:00 is 00:30Z on 2 March) resets the halt first"


@rule("utc-day-reset")
def test_an_earlier_day_resets_nothing():
    guard = RiskGuard(limits(loss="20"))
    guard.record_pnl(Decimal("-25"), at(10, day=2))
    assert guard.halted, "-25 with max_daily_loss=20 halts"
    with raises(RiskRejected, "a call stamped with an earlier UTC day (1 March) must not reset 2 March's halt"):
        guard.approve("buy", 1, Decimal("1"), position=0, now=at(15, day=1))
    assert guard.halted, "still halted after a call stamped with an earlier day"


# --- TradingBot --------------------------------------------------------------------------------------------------

@rule("bot-flow", "position-cap-clips")
def test_the_bot_asks_the_guard_then_the_broker():
    guard = RecordingGuard(RiskGuard(limits(max_position=7)))
    broker = RecordingBroker()
    bot = TradingBot(Scripted(None, "buy", "buy"), guard, broker, order_qty=6)
    bars = make_bars(["10.00", "10.50", "11.25"], start=at(9, 30, tz=MINUS5))
    fills = [bot.on_bar(b) for b in bars]
    assert fills[0] is None, f"no signal: on_bar returns None, got {fills[0]!r}"
    assert guard.approvals == [("buy", 6, Decimal("10.50"), 0, bars[1].ts), ("buy", 6, Decimal("11.25"), 6, bars[2].ts)], (
        f"the guard is asked approve(side, order_qty, bar.close, position, bar.ts) for each signal only;"
        f" got {guard.approvals}"
    )
    assert broker.orders == [("buy", 6, Decimal("10.50")), ("buy", 1, Decimal("11.25"))], (
        f"the broker gets the APPROVED quantity at bar.close (the second buy is clipped to 1 by max_position=7);"
        f" got {broker.orders}"
    )
    assert fills[1:] == [Fill("buy", 6, Decimal("10.50"), bars[1].ts), Fill("buy", 1, Decimal("11.25"), bars[2].ts)], (
        f"on_bar returns Fill(side, approved qty, bar.close, bar.ts); got {fills[1:]}"
    )
    assert bot.position == 7, f"6 + 1 bought: position 7, got {bot.position}"


@rule("bot-flow")
@pytest.mark.parametrize("order_qty", [2, 7])
def test_order_qty_is_what_the_bot_asks_for(order_qty):
    bot, _, broker, fills = run_bot(make_bars(), qty=order_qty)
    assert broker.orders == [("buy", order_qty, Decimal("100.30")), ("sell", order_qty, Decimal("96.30"))], (
        f"order_qty={order_qty}: buy {order_qty} @ 100.30 then sell {order_qty} @ 96.30, got {broker.orders}"
    )
    assert [i for i, f in enumerate(fills) if f is not None] == [7, 11], "fills on bars 7 and 11 only"


@rule("rejected-never-reaches-broker")
def test_a_rejection_returns_none_and_changes_nothing():
    guard = RiskGuard(limits(max_position=5, notional="1000"))
    broker = RecordingBroker()
    bot = TradingBot(Scripted("buy", "buy", "sell", "buy"), guard, broker, order_qty=5)
    bars = make_bars(["100", "100", "110", "300"])
    fills = [bot.on_bar(b) for b in bars]
    assert fills[1] is None and fills[3] is None, (
        f"a signal the guard rejects (a buy at the cap, a buy of 5 x 300 over the 1000 notional) makes on_bar"
        f" return None, got {fills}"
    )
    assert broker.orders == [("buy", 5, Decimal("100")), ("sell", 5, Decimal("110"))], (
        f"rejected signals never reach the broker, got {broker.orders}"
    )
    assert bot.position == 0 and bot.realized_pnl == Decimal("50"), (
        f"rejections change neither position nor P&L: expected 0 and 50, got {bot.position} and {bot.realized_pnl}"
    )


@rule("avg-cost-pnl")
def test_pnl_is_exact_decimal_for_the_readme_example():
    bot, _, broker, fills = run_bot(make_bars())
    assert broker.orders == [("buy", 5, Decimal("100.30")), ("sell", 5, Decimal("96.30"))], (
        f"the broker must receive buy 5 @ 100.30 then sell 5 @ 96.30, got {broker.orders}"
    )
    assert isinstance(bot.realized_pnl, Decimal), f"realized_pnl must be a Decimal, got {type(bot.realized_pnl)}"
    assert bot.realized_pnl == Decimal("-20"), f"P&L must be exactly -20, got {bot.realized_pnl}"
    assert bot.position == 0, f"position must be flat after the sell, got {bot.position}"


@rule("avg-cost-pnl")
def test_average_cost_over_several_buys_and_partial_sells():
    broker = RecordingBroker()
    guard = RiskGuard(limits(notional="10000"))
    bot = TradingBot(Scripted("buy", "buy", "buy", "sell", "sell", "sell", "buy", "sell"), guard, broker, order_qty=4)
    closes = ["100", "110", "100.59", "120", "90", "99", "95", "100.10"]
    steps = position_and_pnl_after_each_bar(bot, closes)
    # buy 4 @ 100, 4 @ 110, 4 @ 100.59 -> 12 at avg 103.53; sell 4 @ 120 -> +65.88; sell 4 @ 90 -> -54.12;
    # sell 4 @ 99 -> -18.12 (flat, total -6.36); buy 4 @ 95 from flat -> avg 95; sell 4 @ 100.10 -> +20.40
    want = [(4, Decimal("0")), (8, Decimal("0")), (12, Decimal("0")), (8, Decimal("65.88")), (4, Decimal("11.76")),
            (0, Decimal("-6.36")), (4, Decimal("-6.36")), (0, Decimal("14.04"))]
    assert steps == want, (
        "position and realized_pnl after each bar: three buys average to a cost of 103.53 (quantity-weighted),"
        f" each partial sell realises (price - avg_cost) * qty and P&L adds up; expected {want}, got {steps}"
    )
    assert isinstance(bot.realized_pnl, Decimal), f"realized_pnl must be a Decimal, got {type(bot.realized_pnl)}"


@rule("avg-cost-pnl")
def test_the_average_cost_is_never_rounded():
    bot = TradingBot(Scripted("buy", "buy", "sell", "sell"), RiskGuard(limits()), RecordingBroker(), order_qty=1)
    steps = position_and_pnl_after_each_bar(bot, ["100", "100.01", "101", "101"])
    want = [(1, Decimal("0")), (2, Decimal("0")), (1, Decimal("0.995")), (0, Decimal("1.99"))]
    assert steps == want, (
        "1 @ 100 and 1 @ 100.01 average to exactly 100.005 (keep the Decimal, never round it to cents), so each"
        f" sell of 1 @ 101 realises 0.995; expected (position, realized_pnl) {want}, got {steps}"
    )


@rule("avg-cost-pnl")
def test_a_clipped_sell_books_only_the_approved_quantity():
    guard = ScriptedGuard(4, 2, 4, 2)  # the guard clips the second buy and the second sell to 2
    bot = TradingBot(Scripted("buy", "buy", "sell", "sell"), guard, RecordingBroker(), order_qty=4)
    steps = position_and_pnl_after_each_bar(bot, ["100", "106", "110", "95"])
    # buy 4 @ 100, buy 2 @ 106 -> 6 at avg 102; sell 4 @ 110 -> +32, 2 left; sell 2 @ 95 -> -14 (total 18), flat
    want = [(4, Decimal("0")), (6, Decimal("0")), (2, Decimal("32")), (0, Decimal("18"))]
    assert steps == want, (
        "position and realized_pnl after each bar, when the guard approves 4, 2, 4, 2 of order_qty=4: a clipped sell"
        " realises (price - avg_cost) * the APPROVED qty and lowers position by that qty, never by order_qty;"
        f" expected {want}, got {steps}"
    )


@rule("pnl-reported")
def test_each_sell_reports_its_pnl_to_the_guard():
    guard = RecordingGuard(RiskGuard(limits(max_position=8, notional="10000")))
    bot = TradingBot(Scripted("buy", "sell", "buy", "sell"), guard, RecordingBroker(), order_qty=5)
    bars = make_bars(["100", "90", "100", "104"])
    for b in bars:
        bot.on_bar(b)
    assert guard.pnls == [(Decimal("-50"), bars[1].ts), (Decimal("20"), bars[3].ts)], (
        f"after each sell the bot calls guard.record_pnl(pnl, bar.ts) with that sell's P&L; got {guard.pnls}"
    )


@rule("pnl-reported")
def test_losses_through_the_bot_halt_the_guard():
    guard = RiskGuard(limits(loss="50", notional="10000"))
    bot = TradingBot(Scripted("buy", "sell"), guard, RecordingBroker(), order_qty=5)
    for b in make_bars(["100", "89"]):
        bot.on_bar(b)
    assert guard.halted, "losing 55 through the bot with max_daily_loss=50 must halt the guard"
