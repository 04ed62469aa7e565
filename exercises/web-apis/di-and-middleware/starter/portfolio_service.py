"""Portfolio valuation service: dependency injection, overrides in tests, and request middleware.

The helper classes are complete. The TODOs are the dependencies, the middleware and the endpoint.
"""
import os
import time
import uuid
from decimal import Decimal
from functools import lru_cache
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional

from fastapi import Depends, FastAPI, Header, HTTPException, Request, status
from pydantic import BaseModel


class StaticPriceSource:
    """A price source with fixed prices. Production would call a market-data API; tests override it."""

    def __init__(self, prices: Dict[str, Decimal]):
        self._prices = dict(prices)

    def get_price(self, symbol: str) -> Decimal:
        return self._prices[symbol]


class ValuationSession:
    """Stand-in for a database session (stage 3 swaps in SQLAlchemy): add, then commit or roll back, then close."""

    def __init__(self) -> None:
        self.pending: List[dict] = []
        self.saved: List[dict] = []

    def add(self, record: dict) -> None:
        self.pending.append(record)

    def commit(self) -> None:
        self.saved.extend(self.pending)
        self.pending.clear()

    def rollback(self) -> None:
        self.pending.clear()

    def close(self) -> None:
        self.pending.clear()


@lru_cache
def get_api_keys() -> FrozenSet[str]:
    # TODO: read the comma-separated keys from the PORTFOLIO_API_KEYS environment variable.
    return frozenset()


@lru_cache
def get_price_source() -> StaticPriceSource:
    return StaticPriceSource({"AAPL": Decimal("190.00"), "MSFT": Decimal("410.00")})


def get_session_factory() -> Callable[[], ValuationSession]:
    return ValuationSession


def get_session(
    factory: Callable[[], ValuationSession] = Depends(get_session_factory),
) -> Iterator[ValuationSession]:
    # TODO: commit on success, roll back on an exception (and re-raise it), always close.
    session = factory()
    yield session


def require_api_key(
    x_api_key: Optional[str] = Header(None),
    keys: FrozenSet[str] = Depends(get_api_keys),
) -> str:
    # TODO: reject a missing or unknown key with 401 and a WWW-Authenticate header.
    return x_api_key or ""


class ValuationIn(BaseModel):
    positions: Dict[str, int]


class ValuationOut(BaseModel):
    value: str


def create_app() -> FastAPI:
    app = FastAPI(title="Portfolio")

    # TODO: middleware that sets X-Request-ID and X-Process-Time-Ms on every response.

    @app.post("/valuations", status_code=status.HTTP_201_CREATED, dependencies=[Depends(require_api_key)])
    def create_valuation(
        payload: ValuationIn,
        prices: StaticPriceSource = Depends(get_price_source),
        session: ValuationSession = Depends(get_session),
    ) -> ValuationOut:
        raise HTTPException(status_code=501, detail="TODO: value the positions and record the valuation")

    return app
