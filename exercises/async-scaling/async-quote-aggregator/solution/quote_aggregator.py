"""Best-quote aggregator: fan out to several quote providers at once, keep what answers in time."""
import asyncio
import math
from decimal import Decimal, InvalidOperation
from typing import Callable, Dict, List, Optional, Sequence

import anyio.to_thread
import httpx
import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel


class ProviderError(Exception):
    """A provider answered, but not with a usable quote."""


def compute_var95(returns: Sequence[float]) -> float:
    """One-day historical VaR at 95%: the loss at the 5th percentile of returns, as a positive number."""
    # numpy releases nothing here that matters; the point is that this is CPU work that must not run on the loop.
    return round(float(-np.percentile(np.asarray(returns, dtype=float), 5)), 6)


class VarRequest(BaseModel):
    returns: List[float]


async def fetch_quote(client: httpx.AsyncClient, base_url: str, symbol: str) -> Dict[str, Decimal]:
    """Ask one provider; raise ProviderError for anything that is not a 200 with a JSON bid and ask."""
    resp = await client.get(f"{base_url}/quote", params={"symbol": symbol})
    if resp.status_code != 200:
        raise ProviderError(f"HTTP {resp.status_code}")
    try:
        body = resp.json()
        # str() first: a provider sending a JSON number must not smuggle a binary float into Decimal.
        bid, ask = Decimal(str(body["bid"])), Decimal(str(body["ask"]))
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:  # HTML, missing keys, junk numbers
        raise ProviderError("malformed quote") from exc
    if not (bid.is_finite() and ask.is_finite()):  # Decimal("NaN") parses, but max() cannot compare it
        raise ProviderError("non-finite price")
    return {"bid": bid, "ask": ask}


def create_app(
    client: httpx.AsyncClient,
    providers: Dict[str, str],
    timeout: float = 0.1,
    var_calculator: Callable[[Sequence[float]], float] = compute_var95,
) -> FastAPI:
    """Build the app around ONE shared AsyncClient (connection pool) that the caller owns and closes."""
    app = FastAPI()

    async def one_provider(name: str, base_url: str, symbol: str) -> Optional[Dict[str, Decimal]]:
        # Each upstream gets its own deadline, and its own failure handling: one bad provider
        # (timeout, 500, HTML, network error) is dropped instead of failing the whole request.
        try:
            return await asyncio.wait_for(fetch_quote(client, base_url, symbol), timeout)
        except (asyncio.TimeoutError, httpx.HTTPError, ProviderError):
            return None

    @app.get("/quotes/{symbol}/best")
    async def best_quote(symbol: str):
        symbol = symbol.upper()
        names = list(providers)
        # gather runs all provider calls concurrently; total latency is the slowest one, capped by timeout.
        results = await asyncio.gather(*(one_provider(n, providers[n], symbol) for n in names))
        quotes = {name: q for name, q in zip(names, results) if q is not None}
        if not quotes:
            raise HTTPException(status_code=503, detail="no quote provider answered")
        bid_source = max(quotes, key=lambda n: quotes[n]["bid"])
        ask_source = min(quotes, key=lambda n: quotes[n]["ask"])
        return {
            "symbol": symbol,
            "bid": str(quotes[bid_source]["bid"]),  # money as strings: exact on every pydantic version
            "ask": str(quotes[ask_source]["ask"]),
            "bid_source": bid_source,
            "ask_source": ask_source,
            "sources": len(quotes),
        }

    @app.post("/risk/var")
    async def value_at_risk(body: VarRequest):
        if len(body.returns) < 2:  # checked here, not with conlist: its arguments differ across pydantic 1/2
            raise HTTPException(status_code=422, detail="need at least 2 returns")
        # Both pydantic majors accept a raw NaN/Infinity for a float, and pydantic 2's own 422 would echo it back
        # (unencodable JSON, so a 500). Check here and answer a 422 without the value.
        if not all(math.isfinite(r) for r in body.returns):
            raise HTTPException(status_code=422, detail="returns must be finite numbers")
        # Blocking/CPU work goes to a worker thread so the event loop keeps serving other requests.
        var = await anyio.to_thread.run_sync(var_calculator, body.returns)
        return {"var95": var, "observations": len(body.returns)}

    return app
