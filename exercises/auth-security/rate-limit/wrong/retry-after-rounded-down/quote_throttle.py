"""API throttling: a token bucket per client, enforced by middleware, with an injected clock."""
import math
import time
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

Clock = Callable[[], float]
DEMO_API_KEYS: FrozenSet[str] = frozenset({"key-alpha", "key-beta"})
EXEMPT_PATHS = frozenset({"/healthz"})  # load balancers probe this; throttling it would take the service "down"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int     # whole tokens left after this request
    retry_after: int   # seconds until a token is available (0 when allowed)


class TokenBucket:
    """Holds up to `capacity` tokens and refills continuously at `refill_per_second`."""

    def __init__(self, capacity: int, refill_per_second: float, clock: Clock) -> None:
        if capacity <= 0 or refill_per_second <= 0:
            raise ValueError("capacity and refill_per_second must be positive")
        self.capacity = capacity
        self.rate = refill_per_second
        self.clock = clock
        self.tokens = float(capacity)  # a new client starts with a full bucket
        self.updated = clock()

    def take(self) -> Decision:
        now = self.clock()
        # Refill lazily for the time that passed, but never above capacity: an idle hour must not bank
        # thousands of requests for one burst.
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return Decision(True, int(self.tokens), 0)
        wait = (1 - self.tokens) / self.rate
        return Decision(False, 0, max(1, int(wait)))


class RateLimiter:
    """One bucket per client key. In-process only: with several workers, keep the buckets in Redis."""

    def __init__(self, capacity: int, refill_per_second: float, clock: Clock) -> None:
        TokenBucket(capacity, refill_per_second, clock)  # validate the arguments eagerly
        self.capacity, self.rate, self.clock = capacity, refill_per_second, clock
        self.buckets: Dict[str, TokenBucket] = {}

    def check(self, key: str) -> Decision:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(self.capacity, self.rate, self.clock)
        return bucket.take()


def client_key(request: Request, api_keys: FrozenSet[str]) -> str:
    api_key = request.headers.get("x-api-key")
    if api_key in api_keys:
        return f"key:{api_key}"
    # Unknown or missing keys fall back to the client IP. Otherwise inventing a new key per request would
    # give an attacker a fresh bucket every time.
    host = request.client.host if request.client else "unknown"
    return f"ip:{host}"


def create_app(
    capacity: int = 3,
    refill_per_second: float = 0.5,
    clock: Clock = time.monotonic,  # monotonic: wall-clock jumps (NTP, DST) must not refill or drain buckets
    api_keys: FrozenSet[str] = DEMO_API_KEYS,
) -> FastAPI:
    limiter = RateLimiter(capacity, refill_per_second, clock)
    app = FastAPI(title="Quotes")

    @app.middleware("http")
    async def throttle(request: Request, call_next):
        if request.url.path in EXEMPT_PATHS:
            return await call_next(request)
        decision = limiter.check(client_key(request, api_keys))
        if not decision.allowed:
            return JSONResponse(
                {"detail": "Too many requests"},
                status_code=429,
                headers={"Retry-After": str(decision.retry_after), "X-RateLimit-Remaining": "0"},
            )
        response = await call_next(request)
        response.headers["X-RateLimit-Limit"] = str(capacity)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
        return response

    @app.get("/quotes/{symbol}")
    def quote(symbol: str) -> dict:
        return {"symbol": symbol.upper(), "price": "187.25"}

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app
