"""Async client for a fraud model behind TensorFlow Serving or TorchServe (REST).

The first version below works against a healthy server only. Make it pass the verifier (see README.md).
"""
import asyncio
from typing import Awaitable, Callable, List, Optional, Sequence

import httpx

PREDICT_PATHS = {
    "tfserving": "/v1/models/{model}:predict",
    "torchserve": "/predictions/{model}",
}


class ModelServerError(Exception):
    """The model server rejected our request or answered something unusable."""


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
        self.http = http
        self.path = PREDICT_PATHS[flavor].format(model=model)
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self.fallback = fallback

    async def predict(self, rows: Sequence[Sequence[float]]) -> dict:
        """Score `rows`; returns {"predictions": [float, ...], "source": "model-server" | "fallback"}."""
        # TODO: floats on the wire, a timeout, retries for 5xx/transport errors only, the fallback, shape checks.
        resp = await self.http.post(self.path, json={"instances": [list(row) for row in rows]})
        resp.raise_for_status()
        return {"predictions": [p[0] for p in resp.json()["predictions"]], "source": "model-server"}
