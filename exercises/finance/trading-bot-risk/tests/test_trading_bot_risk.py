"""Verifier for trading-bot-risk: SMA signals, a risk guard, and a bot that only trades through the guard."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from trading_bot import Bar, RiskGuard, RiskLimits, RiskRejected, SmaCrossover, TradingBot

UTC = timezone.utc
T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
# Flat warm-up, a crossover up at index 7 (buy at 100.30) and down at index 11 (sell at 96.30).
CLOSES = ["100.10"] * 7 + ["100.30", "100.30", "100.30", "100.50", "96.30"]


def make_bars(closes=CLOSES, start=T0):
    return [Bar(start + timedelta(minutes=i), Decimal(c)) for i, c in enumerate(closes)]


class RecordingBroker:
    def __init__(self):
        self.orders = []

    def submit(self, side, qty, price):
        self.orders.append((side, qty, price))


def limits(max_position=100, notional="1000", loss="1000"):
    return RiskLimits(max_position=max_position, max_order_notional=Decimal(notional), max_daily_loss=Decimal(loss))


def run_bot(bars, lim=None, qty=5):
    broker = RecordingBroker()
    guard = RiskGuard(lim or limits())
    bot = TradingBot(SmaCrossover(2, 4), guard, broker, order_qty=qty)
    fills = [bot.on_bar(b) for b in bars]
    return bot, guard, broker, fills


def test_sma_crossover_signals_at_7_and_11():
    strat = SmaCrossover(2, 4)
    signals = [(i, strat.on_bar(b)) for i, b in enumerate(make_bars())]
    fired = [(i, s) for i, s in signals if s is not None]
    assert fired == [(7, "buy"), (11, "sell")], (
        f"SMA(2,4) must signal buy at bar 7 and sell at bar 11 (cross above / cross below), got {fired}"
    )


def test_flat_warm_up_is_silent():
    strat = SmaCrossover(2, 4)
    out = [strat.on_bar(b) for b in make_bars(["50.00"] * 10)]
    assert out == [None] * 10, f"flat prices (fast == slow) must never signal, got {out}"


def test_pnl_is_exact_decimal():
    bot, _, broker, fills = run_bot(make_bars())
    assert broker.orders == [("buy", 5, Decimal("100.30")), ("sell", 5, Decimal("96.30"))], (
        f"the broker must receive buy 5 @ 100.30 then sell 5 @ 96.30, got {broker.orders}"
    )
    assert isinstance(bot.realized_pnl, Decimal), f"realized_pnl must be a Decimal, got {type(bot.realized_pnl)}"
    assert bot.realized_pnl == Decimal("-20"), f"P&L must be exactly -20, got {bot.realized_pnl}"
    assert bot.position == 0, f"position must be flat after the sell, got {bot.position}"
    assert fills[7] is not None and fills[7].qty == 5 and fills[11].side == "sell", "on_bar must return the Fill"


def test_position_cap_clips_buy():
    bot, _, broker, _ = run_bot(make_bars(), lim=limits(max_position=3))
    assert broker.orders[0] == ("buy", 3, Decimal("100.30")), (
        f"max_position=3 must clip a buy of 5 to 3, got {broker.orders[:1]}"
    )
    assert bot.realized_pnl == Decimal("-12"), f"3 shares bought at 100.30 and sold at 96.30 lose 12, got {bot.realized_pnl}"
    guard = RiskGuard(limits(max_position=3))
    with pytest.raises(RiskRejected):
        guard.approve("buy", 5, Decimal("10"), position=3, now=T0)  # already at the cap


def test_notional_check_rejects_not_clips():
    guard = RiskGuard(limits(notional="300"))
    with pytest.raises(RiskRejected):
        guard.approve("buy", 5, Decimal("100.30"), position=0, now=T0)  # 501.50 > 300
    assert guard.approve("buy", 3, Decimal("100"), position=0, now=T0) == 3, "a notional equal to the limit is allowed"
    _, _, broker, _ = run_bot(make_bars(), lim=limits(notional="300"))
    assert broker.orders == [], f"a rejected buy must never reach the broker, and with no position there is nothing to sell; got {broker.orders}"


def test_no_shorting():
    guard = RiskGuard(limits())
    with pytest.raises(RiskRejected):
        guard.approve("sell", 5, Decimal("100"), position=0, now=T0)
    assert guard.approve("sell", 5, Decimal("100"), position=3, now=T0) == 3, "a sell is capped at the position held"
    rising_then_drop = make_bars(["10.00", "11.00", "12.00", "13.00", "9.00"])  # a sell signal at bar 4, never a buy
    bot, _, broker, fills = run_bot(rising_then_drop)
    assert broker.orders == [] and bot.position == 0, (
        f"a sell signal with no position must send nothing (no shorting), got {broker.orders}, position {bot.position}"
    )


def test_loss_limit_halts_the_bot():
    bot, guard, _, _ = run_bot(make_bars(), lim=limits(loss="20"))
    assert guard.halted, "losing 20 with max_daily_loss=20 must trip the kill switch"
    with pytest.raises(RiskRejected):
        guard.approve("buy", 1, Decimal("1"), position=0, now=T0 + timedelta(hours=5))


def test_halt_resets_on_next_utc_day_not_local_day():
    guard = RiskGuard(limits(loss="20"))
    guard.record_pnl(Decimal("-25"), datetime(2024, 3, 1, 20, 0, tzinfo=UTC))
    assert guard.halted, "a -25 day with max_daily_loss=20 must halt"
    tz_plus2, tz_minus5 = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))
    with pytest.raises(RiskRejected):
        # 00:30+02:00 on 2 March is 22:30 UTC on 1 March: the same UTC day, still halted.
        guard.approve("buy", 1, Decimal("1"), position=0, now=datetime(2024, 3, 2, 0, 30, tzinfo=tz_plus2))
    # 23:30-05:00 on 1 March is 04:30 UTC on 2 March: a new UTC day, so the kill switch resets.
    qty = guard.approve("buy", 1, Decimal("1"), position=0, now=datetime(2024, 3, 1, 23, 30, tzinfo=tz_minus5))
    assert qty == 1 and not guard.halted, "the next UTC day must reset the daily loss and the halt"


def test_duplicate_and_out_of_order_bars_are_ignored():
    bars = make_bars()
    noisy = []
    for i, b in enumerate(bars):
        noisy.append(b)
        noisy.append(b)  # a replayed duplicate
        if i == 9:
            noisy.append(Bar(b.ts - timedelta(minutes=5), Decimal("1.00")))  # a stale, out-of-order bar
    _, _, broker, _ = run_bot(noisy)
    assert broker.orders == [("buy", 5, Decimal("100.30")), ("sell", 5, Decimal("96.30"))], (
        f"duplicate or older bars must not change the signals or trade; got {broker.orders}"
    )


@pytest.mark.parametrize("fast,slow", [(0, 4), (-1, 4), (4, 2), (3, 3), (2.0, 4), (True, 4), (2, "4")])
def test_bad_windows_raise(fast, slow):
    with pytest.raises(ValueError):
        SmaCrossover(fast, slow)
