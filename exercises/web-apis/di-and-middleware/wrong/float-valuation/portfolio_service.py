"""Portfolio valuation service: dependency injection, overrides in tests, and request middleware."""
import hmac
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


# --- dependencies -------------------------------------------------------------------------------------------
# Each provider is a plain module-level function, so a test can replace it with app.dependency_overrides[fn].


@lru_cache
def get_api_keys() -> FrozenSet[str]:
    """Valid API keys, read once from the environment (cached like a settings object)."""
    raw = os.environ.get("PORTFOLIO_API_KEYS", "")
    return frozenset(key.strip() for key in raw.split(",") if key.strip())


@lru_cache
def get_price_source() -> StaticPriceSource:
    """One shared price source for the process."""
    return StaticPriceSource({"AAPL": Decimal("190.00"), "MSFT": Decimal("410.00")})


def get_session_factory() -> Callable[[], ValuationSession]:
    """What opens a session; a real app returns a SQLAlchemy sessionmaker here."""
    return ValuationSession


def get_session(
    factory: Callable[[], ValuationSession] = Depends(get_session_factory),
) -> Iterator[ValuationSession]:
    """Unit of work per request: commit if the endpoint returned, roll back if it raised, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise  # re-raise so the client gets the error (a 500 here), not a silent success
    finally:
        session.close()


def require_api_key(
    x_api_key: Optional[str] = Header(None),
    keys: FrozenSet[str] = Depends(get_api_keys),
) -> str:
    # compare_digest takes the same time however many leading characters match (no timing oracle).
    if x_api_key and any(hmac.compare_digest(x_api_key, key) for key in keys):
        return x_api_key
    # 401 must say how to authenticate (RFC 9110, section 11.6.1): the WWW-Authenticate header.
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or invalid API key",
        headers={"WWW-Authenticate": "ApiKey"},
    )


# --- models and app -----------------------------------------------------------------------------------------


class ValuationIn(BaseModel):
    positions: Dict[str, int]


class ValuationOut(BaseModel):
    value: str  # exact decimal as a string


def create_app() -> FastAPI:
    app = FastAPI(title="Portfolio")

    # Middleware wraps every response the app produces, including 401s from dependencies and router 404s.
    @app.middleware("http")
    async def request_id_and_timing(request: Request, call_next):
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = request_id
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        response.headers["X-Process-Time-Ms"] = f"{(time.perf_counter() - started) * 1000:.3f}"
        return response

    @app.post(
        "/valuations",
        response_model=ValuationOut,
        status_code=status.HTTP_201_CREATED,
        dependencies=[Depends(require_api_key)],
    )
    def create_valuation(
        payload: ValuationIn,
        prices: StaticPriceSource = Depends(get_price_source),
        session: ValuationSession = Depends(get_session),
    ) -> ValuationOut:
        value = sum(float(prices.get_price(symbol)) * qty for symbol, qty in payload.positions.items())
        session.add({"positions": dict(payload.positions), "value": value})
        return ValuationOut(value=str(value))

    return app
