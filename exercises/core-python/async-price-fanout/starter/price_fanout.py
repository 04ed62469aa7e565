"""Fetch many prices concurrently. Read README.md, then implement fetch_prices."""
from __future__ import annotations

import asyncio  # noqa: F401 - you will need it
from decimal import Decimal
from collections.abc import Awaitable, Callable, Iterable

Fetch = Callable[[str], Awaitable[Decimal]]


async def fetch_prices(
    symbols: Iterable[str], fetch: Fetch, *, limit: int = 4, timeout: float = 2.0
) -> dict[str, Decimal | str]:
    # TODO: validate limit, de-duplicate symbols, then fan out with asyncio.gather under one shared
    # asyncio.Semaphore(limit); time each fetch out with asyncio.wait_for and map failures to
    # "timeout" / "error" so one bad symbol cannot sink the batch.
    raise NotImplementedError("fetch_prices")
