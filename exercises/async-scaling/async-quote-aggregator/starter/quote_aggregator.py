"""Best-quote aggregator: fan out to several quote providers at once, keep what answers in time.

Fill in the TODOs. Read README.md for the exact interface the verifier expects.
"""
from decimal import Decimal
from typing import Callable, Dict, List, Sequence

import httpx
import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel


class ProviderError(Exception):
    """A provider answered, but not with a usable quote."""


def compute_var95(returns: Sequence[float]) -> float:
    """One-day historical VaR at 95%: minus the 5th percentile of the returns, rounded to 6 places."""
    return round(float(-np.percentile(np.asarray(returns, dtype=float), 5)), 6)


class VarRequest(BaseModel):
    returns: List[float]


async def fetch_quote(client: httpx.AsyncClient, base_url: str, symbol: str) -> Dict[str, Decimal]:
    """GET <base_url>/quote?symbol=SYMBOL and return {"bid": Decimal, "ask": Decimal}."""
    resp = await client.get(f"{base_url}/quote", params={"symbol": symbol})
    body = resp.json()  # TODO: a 500 or an HTML page should raise ProviderError, not crash
    return {"bid": Decimal(str(body["bid"])), "ask": Decimal(str(body["ask"]))}


def create_app(
    client: httpx.AsyncClient,
    providers: Dict[str, str],
    timeout: float = 0.1,
    var_calculator: Callable[[Sequence[float]], float] = compute_var95,
) -> FastAPI:
    app = FastAPI()

    @app.get("/quotes/{symbol}/best")
    async def best_quote(symbol: str):
        # TODO: call every provider concurrently, each with its own `timeout`,
        # drop the ones that fail, and answer 503 if none is left.
        raise HTTPException(status_code=501, detail="not implemented")

    @app.post("/risk/var")
    async def value_at_risk(body: VarRequest):
        # TODO: at least 2 finite returns, else 422. Then answer {"var95": ..., "observations": ...}, where
        # var_calculator(body.returns) runs OFF the event loop: calling it here directly would block every request.
        raise HTTPException(status_code=501, detail="not implemented")

    return app
