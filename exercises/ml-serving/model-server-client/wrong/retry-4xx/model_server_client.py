"""Async client for a fraud model behind TensorFlow Serving or TorchServe (REST)."""
import asyncio
from typing import Awaitable, Callable, List, Optional, Sequence

import httpx

# REST predict endpoints. TF Serving: POST /v1/models/<name>:predict. TorchServe's inference API:
# POST /predictions/<name>; our fraud handler accepts and returns the same JSON shape as TF Serving.
PREDICT_PATHS = {
    "tfserving": "/v1/models/{model}:predict",
    "torchserve": "/predictions/{model}",
}


class ModelServerError(Exception):
    """The model server rejected our request or answered something unusable. Falling back would hide a bug."""


class ModelServerUnavailable(ModelServerError):
    """Every attempt failed with a 5xx or a transport error, and there is no fallback."""


class FraudModelClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        flavor: str = "tfserving",
        model: str = "fraud",
        timeout: float = 0.3,
        attempts: int = 2,
        backoff: float = 0.05,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        fallback: Optional[Callable[[List[List[float]]], Sequence[float]]] = None,
    ):
        if flavor not in PREDICT_PATHS:
            raise ValueError(f"flavor must be one of {sorted(PREDICT_PATHS)}")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.http = http
        self.path = PREDICT_PATHS[flavor].format(model=model)
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self.fallback = fallback

    async def predict(self, rows: Sequence[Sequence[float]]) -> dict:
        """Score `rows`; returns {"predictions": [float, ...], "source": "model-server" | "fallback"}."""
        if not rows:
            raise ValueError("rows must not be empty")
        # Decimal and numpy values are not JSON; the model wants float32/64 anyway.
        instances = [[float(x) for x in row] for row in rows]
        last_problem = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            try:
                # A per-call timeout: httpx's default is 5 s, far too long for a check in the payment path.
                resp = await self.http.post(self.path, json={"instances": instances}, timeout=self.timeout)
            except httpx.TransportError as exc:  # timeouts, refused connections: worth another try
                last_problem = type(exc).__name__
            else:
                if resp.status_code >= 400:  # any error status: try again
                    last_problem = f"HTTP {resp.status_code}"
                elif resp.status_code >= 400:  # our request is wrong; retrying sends the same bad request
                    raise ModelServerError(f"model server rejected the request: HTTP {resp.status_code}")
                else:
                    return {"predictions": self._parse(resp, expected=len(instances)), "source": "model-server"}
            if attempt < self.attempts:
                await self.sleep(self.backoff * 2 ** (attempt - 1))
        if self.fallback is None:
            raise ModelServerUnavailable(f"model server unavailable after {self.attempts} attempts ({last_problem})")
        return {"predictions": [float(p) for p in self.fallback(instances)], "source": "fallback"}

    @staticmethod
    def _parse(resp: httpx.Response, expected: int) -> List[float]:
        # A 200 with the wrong shape means a different model or a broken deploy: fail loudly, never fall back.
        try:
            predictions = resp.json()["predictions"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelServerError("model server response has no 'predictions'") from exc
        if not isinstance(predictions, list) or len(predictions) != expected:
            got = len(predictions) if isinstance(predictions, list) else type(predictions).__name__
            raise ModelServerError(f"expected {expected} predictions, got {got}")
        scores = []
        for p in predictions:
            # TF Serving returns one list per instance ([[0.93], ...]); a TorchServe handler may return bare floats.
            value = p[0] if isinstance(p, list) and len(p) == 1 else p
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ModelServerError(f"prediction {p!r} is not a number")
            scores.append(float(value))
        return scores
