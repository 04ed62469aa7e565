"""Verifier for async-price-fanout: gather, a shared Semaphore, wait_for and per-task error isolation.

Each test names the README rule(s) it checks. Concurrency is proved with counters, barriers and events. Timeouts
run on an event loop with a simulated clock: when every task is waiting, the clock jumps to the next timer, so a
60-second timeout costs no real time and no test races the wall clock.
"""
import asyncio
import selectors
import time
from decimal import Decimal

import pytest
from roadmap_pytest import raises

from price_fanout import fetch_prices

GUARD = 1000.0  # simulated seconds: far beyond any timeout below, so hitting it means the batch is stuck


class _SkippingSelector(selectors.DefaultSelector):
    """Instead of sleeping until the next timer, tells the loop's clock to jump there."""

    def __init__(self, loop):
        super().__init__()
        self._loop = loop
        self._real_deadline = time.monotonic() + 5

    def select(self, timeout=None):
        if timeout is None:  # no timer at all: only another thread can wake the loop
            return super().select(None)
        events = super().select(0)
        if not events:
            if time.monotonic() > self._real_deadline:  # a busy loop that never lets the clock run
                self._loop.now += GUARD
            elif timeout > 0:
                self._loop.now += timeout
        return events


class SimulatedClockLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        self.now = 0.0
        super().__init__(selector=_SkippingSelector(self))

    def time(self):
        return self.now


def run(coro, stuck="fetch_prices never finished: the fetches did not run concurrently (awaiting them one by one?)"):
    """Run `coro` on the simulated clock; still running after GUARD simulated seconds means it is stuck."""

    async def main():
        task = asyncio.ensure_future(coro)
        done, _ = await asyncio.wait({task}, timeout=GUARD)
        if not done:
            task.cancel()
            return True, None
        return False, task.result()

    with asyncio.Runner(loop_factory=SimulatedClockLoop) as runner:
        is_stuck, result = runner.run(main())
    if is_stuck:
        pytest.fail(stuck, pytrace=False)
    return result


def price_of(symbol):
    return Decimal(len(symbol)) + Decimal("0.25")


class InFlight:
    """A fetch that takes `seconds` (simulated) and records how many fetches are in flight at once."""

    def __init__(self, seconds=0.01):
        self.seconds = seconds
        self.now = 0
        self.peak = 0
        self.calls = []

    async def __call__(self, symbol):
        self.calls.append(symbol)
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.now -= 1
        return price_of(symbol)


def symbols(n):
    return [f"S{i:02d}" for i in range(n)]


@pytest.mark.rule("bounded-concurrency")
@pytest.mark.parametrize("limit, n", [(4, 20), (1, 5), (3, 7)])
def test_never_more_than_limit_in_flight(limit, n):
    fetch = InFlight()
    result = run(fetch_prices(symbols(n), fetch, limit=limit))
    assert fetch.peak <= limit, (
        f"with limit={limit} at most {limit} fetches may be in flight at once, saw {fetch.peak}"
        " (share ONE asyncio.Semaphore(limit) between all the tasks)"
    )
    assert result == {s: price_of(s) for s in symbols(n)}, "every symbol must map to its fetched price"


@pytest.mark.rule("reaches-limit")
@pytest.mark.parametrize("limit, n", [(4, 20), (3, 7)])
def test_limit_fetches_run_at_once(limit, n):
    fetch = InFlight()
    run(fetch_prices(symbols(n), fetch, limit=limit))
    assert fetch.peak >= limit, (
        f"with limit={limit} and {n} symbols, {limit} fetches should run at once, saw at most {fetch.peak}"
        " (1 means the fetches were awaited one by one)"
    )


@pytest.mark.rule("reaches-limit")
@pytest.mark.parametrize("limit, n", [(5, 5), (10, 3)], ids=["limit=5", "limit above the symbol count"])
def test_barrier_needs_all_fetches_in_flight(limit, n):
    names = ["AAPL", "MSFT", "NVDA", "AMZN", "META"][:n]

    async def scenario():
        barrier = asyncio.Barrier(n)  # only releases once all n fetches are waiting at the same time

        async def fetch(symbol):
            await barrier.wait()
            return price_of(symbol)

        return await fetch_prices(names, fetch, limit=limit, timeout=60)

    result = run(scenario(), stuck=f"{n} fetches with limit={limit} must all be in flight at once, but they were not")
    assert result == {s: price_of(s) for s in names}, f"all {n} fetches pass the barrier together, got {result}"


@pytest.mark.rule("reaches-limit")
def test_a_slow_fetch_holds_only_its_own_slot():
    async def scenario():
        c_fetched = asyncio.Event()

        async def fetch(symbol):
            if symbol == "SLOW":
                await c_fetched.wait()  # finishes only once C has been fetched through the other slot
            if symbol == "C":
                c_fetched.set()
            return price_of(symbol)

        return await fetch_prices(["SLOW", "A", "B", "C"], fetch, limit=2, timeout=60)

    result = run(scenario(), stuck=(
        "with limit=2, while SLOW holds one slot A, B and C must go through the other one, each starting as soon"
        " as the one before finishes; here they waited for SLOW (batches of `limit`?)"
    ))
    assert result == {s: price_of(s) for s in ["SLOW", "A", "B", "C"]}, f"every symbol gets its price, got {result}"


@pytest.mark.rule("results-ordered")
def test_results_in_first_seen_order():
    order = ["MSFT", "AAPL", "MSFT", "NVDA", "AMZN", "AAPL", "META", "GOOGL"]
    distinct = ["MSFT", "AAPL", "NVDA", "AMZN", "META", "GOOGL"]

    async def fetch(symbol):
        await asyncio.sleep(10 - distinct.index(symbol))  # later symbols finish first
        return price_of(symbol)

    result = run(fetch_prices(order, fetch, limit=10, timeout=60))
    assert list(result) == distinct, (
        f"the keys must follow the order each symbol first appears in `symbols`, {distinct},"
        f" not the order the fetches finished: got {list(result)}"
    )
    assert all(result[s] == price_of(s) and isinstance(result[s], Decimal) for s in distinct), (
        f"each symbol must map to the Decimal its fetch returned, got {result}"
    )


@pytest.mark.rule("dedupe")
def test_each_symbol_fetched_once():
    fetch = InFlight()
    result = run(fetch_prices(["AAPL", "MSFT", "AAPL", "NVDA", "MSFT", "AAPL"], fetch, limit=2))
    assert sorted(fetch.calls) == ["AAPL", "MSFT", "NVDA"], (
        f"each distinct symbol must be fetched exactly once, fetch calls were {fetch.calls}"
    )
    assert result == {s: price_of(s) for s in ["AAPL", "MSFT", "NVDA"]}, f"one entry per distinct symbol, got {result}"


@pytest.mark.rule("dedupe", "results-ordered")
def test_symbols_that_differ_only_in_case_are_distinct():
    fetch = InFlight()
    result = run(fetch_prices(["AAPL", "aapl", "AAPL"], fetch, limit=2))
    assert sorted(fetch.calls) == ["AAPL", "aapl"], (
        f"'AAPL' and 'aapl' are two distinct symbols: each must be fetched once, as given (no upper() or lower()),"
        f" fetch calls were {fetch.calls}"
    )
    assert list(result) == ["AAPL", "aapl"], f"one key per distinct symbol, as given, in first-seen order: got {list(result)}"


@pytest.mark.rule("error-result")
def test_a_raising_fetch_maps_to_error():
    async def fetch(symbol):
        await asyncio.sleep(0.01)
        if symbol == "BOOM":
            raise RuntimeError("upstream returned HTML")
        if symbol == "BAD":
            raise ValueError("price is not a number")
        if symbol == "GONE":
            raise KeyError("last_price")
        return price_of(symbol)

    try:
        result = run(fetch_prices(["AAPL", "BOOM", "BAD", "MSFT", "GONE", "NVDA"], fetch, limit=3, timeout=60))
    except Exception as exc:  # noqa: BLE001 - turn a crashed batch into a readable failure
        pytest.fail(f"one failing fetch must not fail the whole batch, but fetch_prices raised {exc!r}", pytrace=False)
    assert (result.get("BOOM"), result.get("BAD"), result.get("GONE")) == ("error", "error", "error"), (
        f"a fetch that raises an Exception must map to 'error', got {result}"
    )
    assert all(result.get(s) == price_of(s) for s in ["AAPL", "MSFT", "NVDA"]), (
        f"the healthy symbols must still get their prices, got {result}"
    )


@pytest.mark.rule("timeout-result")
def test_a_fetch_past_its_timeout_maps_to_timeout():
    async def fetch(symbol):
        if symbol == "HANG":
            await asyncio.Event().wait()  # never set: this upstream hangs forever
        if symbol == "SLOW":
            await asyncio.sleep(2.0)  # twice the timeout
        if symbol == "QUICK":
            await asyncio.sleep(0.5)  # half the timeout
        return price_of(symbol)

    try:
        result = run(fetch_prices(["AAPL", "HANG", "SLOW", "QUICK"], fetch, limit=4, timeout=1.0))
    except Exception as exc:  # noqa: BLE001 - turn a crashed batch into a readable failure
        pytest.fail(f"a timed-out fetch must not fail the whole batch, but fetch_prices raised {exc!r}", pytrace=False)
    assert result.get("HANG") == "timeout" and result.get("SLOW") == "timeout", (
        f"fetches still running after timeout=1.0 s must map to 'timeout', got {result}"
    )
    assert result.get("QUICK") == price_of("QUICK") and result.get("AAPL") == price_of("AAPL"), (
        f"a fetch that finishes within the timeout (0.5 s of 1.0 s) keeps its price, got {result}"
    )


@pytest.mark.rule("timeout-cancels")
def test_a_timed_out_fetch_is_cancelled():
    async def scenario():
        started, cancelled = [], []

        async def fetch(symbol):
            started.append(symbol)
            if symbol == "HANG":
                try:
                    await asyncio.Event().wait()
                except asyncio.CancelledError:
                    cancelled.append(symbol)
                    raise
            return price_of(symbol)

        await fetch_prices(["AAPL", "HANG"], fetch, limit=2, timeout=0.5)
        return started, list(cancelled)  # a snapshot: whatever happens after fetch_prices returned is too late

    started, cancelled = run(scenario())
    assert "HANG" in started, "HANG must be fetched"
    assert cancelled == ["HANG"], (
        "the fetch that timed out must be cancelled before fetch_prices returns, not left running in the background"
    )


@pytest.mark.rule("timeout-from-start")
def test_waiting_for_a_slot_does_not_count_against_the_timeout():
    names = ["A", "B", "C", "D", "E"]

    async def fetch(symbol):
        await asyncio.sleep(0.4)  # each fetch needs 0.4 s of its 1.0 s; E starts 1.6 s after the call
        return price_of(symbol)

    result = run(fetch_prices(names, fetch, limit=1, timeout=1.0))
    assert result == {s: price_of(s) for s in names}, (
        "with limit=1 each fetch takes 0.4 s of its own 1.0 s timeout, so every symbol gets its price; time spent"
        f" waiting for a slot must not count against a fetch's timeout, got {result}"
    )


@pytest.mark.rule("empty-input")
def test_empty_input_returns_an_empty_dict():
    fetch = InFlight()
    try:
        result = run(fetch_prices([], fetch))
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"fetch_prices([]) must return {{}}, but raised {exc!r}", pytrace=False)
    assert result == {}, f"an empty symbol list must return {{}}, got {result!r}"
    assert fetch.calls == [], "an empty symbol list must not call fetch"


@pytest.mark.rule("limit-validated")
@pytest.mark.parametrize("limit", [0, -1, 2.5])
def test_limit_must_be_a_positive_int(limit):
    fetch = InFlight()
    with raises(ValueError, f"limit={limit} must raise ValueError"):
        run(fetch_prices(["AAPL", "MSFT"], fetch, limit=limit),
            stuck=f"limit={limit} must raise ValueError, but fetch_prices hung instead")
    assert fetch.calls == [], f"limit={limit} must be rejected before any fetch, got fetch calls {fetch.calls}"


@pytest.mark.rule("limit-validated")
def test_limit_is_checked_even_with_no_symbols():
    fetch = InFlight()
    with raises(ValueError, "limit=0 must raise ValueError even when `symbols` is empty: check limit first"):
        run(fetch_prices([], fetch, limit=0), stuck="limit=0 must raise ValueError, but fetch_prices hung instead")


@pytest.mark.rule("defaults", "bounded-concurrency", "reaches-limit")
def test_limit_defaults_to_4():
    fetch = InFlight()
    run(fetch_prices(symbols(20), fetch))
    assert fetch.peak == 4, f"without a limit argument, 20 symbols must run 4 at a time (limit=4), saw {fetch.peak}"


@pytest.mark.rule("defaults", "timeout-result")
def test_timeout_defaults_to_2_seconds():
    async def fetch(symbol):
        await asyncio.sleep({"FAST": 1.9, "SLOW": 2.1}[symbol])
        return price_of(symbol)

    result = run(fetch_prices(["FAST", "SLOW"], fetch))
    assert result == {"FAST": price_of("FAST"), "SLOW": "timeout"}, (
        f"without a timeout argument a fetch gets 2.0 s: one taking 1.9 s keeps its price, one taking 2.1 s times"
        f" out, got {result}"
    )


@pytest.mark.rule("cancel-propagates")
def test_cancelling_the_call_cancels_its_fetches():
    async def scenario():
        started, cancelled, finished = [], [], []
        first_started = asyncio.Event()

        async def fetch(symbol):
            started.append(symbol)
            first_started.set()
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                cancelled.append(symbol)
                raise
            finished.append(symbol)
            return price_of(symbol)

        call = asyncio.ensure_future(fetch_prices(["A", "B", "C", "D", "E"], fetch, limit=2, timeout=60))
        await first_started.wait()
        in_flight = list(started)
        call.cancel()
        try:
            await call
            outcome = "returned"
        except asyncio.CancelledError:
            outcome = "raised CancelledError"
        await asyncio.sleep(30)  # give any fetch left running the time to finish, or to start
        return outcome, in_flight, started, cancelled, finished

    outcome, in_flight, started, cancelled, finished = run(scenario())
    assert outcome == "raised CancelledError", f"a cancelled fetch_prices call must raise CancelledError, but it {outcome}"
    assert sorted(cancelled) == sorted(in_flight) and finished == [], (
        f"cancelling fetch_prices must cancel every fetch in flight ({in_flight}):"
        f" cancelled {cancelled}, finished anyway {finished}"
    )
    assert started == in_flight, (
        f"no fetch may start after fetch_prices was cancelled: in flight then {in_flight}, started in all {started}"
    )
