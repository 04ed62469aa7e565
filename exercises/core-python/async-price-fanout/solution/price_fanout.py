"""Fetch many prices concurrently: bounded fan-out, per-call timeouts, per-symbol error isolation."""
from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger("price_fanout")

Fetch = Callable[[str], Awaitable[Decimal]]


async def fetch_prices(
    symbols: Iterable[str], fetch: Fetch, *, limit: int = 4, timeout: float = 2.0
) -> dict[str, Decimal | str]:
    """Map each distinct symbol to its price, or to "timeout" / "error" if its fetch failed."""
    # A float limit is worse than wrong: Semaphore(2.5) counts 2.5, 1.5, 0.5, -0.5, ... and never reaches 0 to block.
    if not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive int, got {limit!r}")
    # dict.fromkeys de-duplicates while keeping first-seen order.
    unique = list(dict.fromkeys(symbols))
    # One semaphore shared by every task: at most `limit` fetches are in flight at once.
    gate = asyncio.Semaphore(limit)

    async def one(symbol: str) -> tuple[str, Decimal | str]:
        async with gate:
            # The timeout starts once we hold a slot, so time spent queueing does not count against it.
            try:
                return symbol, await asyncio.wait_for(fetch(symbol), timeout)
            except asyncio.TimeoutError:  # wait_for has cancelled the hung fetch
                log.warning("price fetch for %s timed out after %.2fs", symbol, timeout)
                return symbol, "timeout"
            except Exception:  # isolate: one bad symbol must not sink the batch (CancelledError still propagates)
                log.exception("price fetch for %s failed", symbol)
                return symbol, "error"

    pairs = await asyncio.gather(*(one(s) for s in unique))
    return dict(pairs)
