"""Verifier for async-price-fanout: gather, a shared Semaphore, wait_for and per-task error isolation.

Concurrency is proved with counters, an asyncio.Barrier and an Event, never with wall-clock timing.
"""
import asyncio
from decimal import Decimal

import pytest

from price_fanout import fetch_prices


def price_of(symbol):
    return Decimal(len(symbol)) + Decimal("0.25")


def run(coro, guard=1.0):
    """Run the coroutine; a batch that is still running after `guard` seconds is a deadlock, not a slow pass."""

    async def main():
        return await asyncio.wait_for(coro, guard)

    try:
        return asyncio.run(main())
    except asyncio.TimeoutError:
        pytest.fail(
            "fetch_prices never finished: the fetches did not run concurrently (awaiting them one by one?)",
            pytrace=False,
        )


def test_peak_in_flight_equals_limit():
    state = {"now": 0, "peak": 0}

    async def fetch(symbol):
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        for _ in range(5):  # yield to the loop so other fetches get the chance to start
            await asyncio.sleep(0)
        state["now"] -= 1
        return price_of(symbol)

    symbols = [f"S{i:02d}" for i in range(20)]
    result = run(fetch_prices(symbols, fetch, limit=4))
    assert state["peak"] == 4, (
        f"with limit=4 and 20 symbols exactly 4 fetches should be in flight at the peak, saw {state['peak']}"
        " (20 means no shared Semaphore, 1 means no concurrency)"
    )
    assert result == {s: price_of(s) for s in symbols}, "every symbol must map to its fetched price"


def test_barrier_needs_all_five_in_flight():
    async def scenario():
        barrier = asyncio.Barrier(5)  # only releases once all 5 fetches are waiting at the same time

        async def fetch(symbol):
            await barrier.wait()
            return price_of(symbol)

        return await fetch_prices(["AAPL", "MSFT", "NVDA", "AMZN", "META"], fetch, limit=5, timeout=30)

    result = run(scenario(), guard=0.5)
    assert result == {s: price_of(s) for s in ["AAPL", "MSFT", "NVDA", "AMZN", "META"]}, (
        f"all 5 fetches should pass the barrier together and return prices, got {result}"
    )


def test_timeout_and_error_are_isolated():
    cancelled = []

    async def fetch(symbol):
        if symbol == "HANG":
            try:
                await asyncio.Event().wait()  # never set: this upstream hangs forever
            except asyncio.CancelledError:
                cancelled.append(symbol)
                raise
        if symbol == "BOOM":
            raise RuntimeError("upstream returned HTML")
        return price_of(symbol)

    try:
        result = run(fetch_prices(["AAPL", "HANG", "BOOM", "MSFT"], fetch, limit=4, timeout=0.05))
    except Exception as exc:  # noqa: BLE001 - turn a crashed batch into a readable failure
        pytest.fail(f"one failing fetch must not fail the whole batch, but fetch_prices raised {exc!r}", pytrace=False)
    assert result.get("HANG") == "timeout", f"a fetch that hangs past `timeout` must map to 'timeout', got {result}"
    assert result.get("BOOM") == "error", f"a fetch that raises must map to 'error', got {result}"
    assert result.get("AAPL") == price_of("AAPL") and result.get("MSFT") == price_of("MSFT"), (
        f"the healthy symbols must still get their prices, got {result}"
    )
    assert cancelled == ["HANG"], "the hung fetch must be cancelled when it times out, not left running"


def test_duplicates_fetched_once_and_empty_input():
    calls = []

    async def fetch(symbol):
        calls.append(symbol)
        return price_of(symbol)

    result = run(fetch_prices(["AAPL", "MSFT", "AAPL", "MSFT", "AAPL"], fetch))
    assert sorted(calls) == ["AAPL", "MSFT"], f"each distinct symbol must be fetched once, fetch calls were {calls}"
    assert result == {"AAPL": price_of("AAPL"), "MSFT": price_of("MSFT")}, f"unexpected result {result}"

    calls.clear()
    assert run(fetch_prices([], fetch)) == {}, "an empty symbol list must return {}"
    assert calls == [], "an empty symbol list must not call fetch"


@pytest.mark.parametrize("limit", [0, -1])
def test_non_positive_limit_raises(limit):
    calls = []

    async def fetch(symbol):
        calls.append(symbol)
        return price_of(symbol)

    with pytest.raises(ValueError):
        asyncio.run(fetch_prices(["AAPL"], fetch, limit=limit))
    assert calls == [], f"limit={limit} must be rejected before any fetch"
