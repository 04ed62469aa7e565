"""API throttling: a token bucket per client, enforced by middleware, with an injected clock.

Fill in TokenBucket.take, client_key and the middleware in create_app. README.md has the exact contract.
"""
import time
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse  # noqa: F401  (you will need it for the 429)

Clock = Callable[[], float]
DEMO_API_KEYS: FrozenSet[str] = frozenset({"key-alpha", "key-beta"})
EXEMPT_PATHS = frozenset({"/healthz"})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int     # whole tokens left after this request
    retry_after: int   # seconds until a token is available (0 when allowed)


class TokenBucket:
    """Holds up to `capacity` tokens and refills continuously at `refill_per_second`."""

    def __init__(self, capacity: int, refill_per_second: float, clock: Clock) -> None:
        # TODO: validate the arguments
        self.capacity = capacity
        self.rate = refill_per_second
        self.clock = clock
        self.tokens = float(capacity)
        self.updated = clock()

    def take(self) -> Decision:
        # TODO: refill for the elapsed time (capped), then spend one token or say how long to wait
        return Decision(True, self.capacity, 0)


class RateLimiter:
    """One bucket per client key."""

    def __init__(self, capacity: int, refill_per_second: float, clock: Clock) -> None:
        self.capacity, self.rate, self.clock = capacity, refill_per_second, clock
        self.buckets: Dict[str, TokenBucket] = {}

    def check(self, key: str) -> Decision:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(self.capacity, self.rate, self.clock)
        return bucket.take()


def client_key(request: Request, api_keys: FrozenSet[str]) -> str:
    # TODO: a known X-API-Key, else the client IP
    return "everyone"


def create_app(
    capacity: int = 3,
    refill_per_second: float = 0.5,
    clock: Clock = time.monotonic,
    api_keys: FrozenSet[str] = DEMO_API_KEYS,
) -> FastAPI:
    limiter = RateLimiter(capacity, refill_per_second, clock)  # noqa: F841
    app = FastAPI(title="Quotes")

    # TODO: an @app.middleware("http") that throttles every path except EXEMPT_PATHS

    @app.get("/quotes/{symbol}")
    def quote(symbol: str) -> dict:
        return {"symbol": symbol.upper(), "price": "187.25"}

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app
