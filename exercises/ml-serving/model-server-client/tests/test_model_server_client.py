"""Verifier for model-server-client: TF Serving / TorchServe REST calls with timeouts, retries and fallback."""
import asyncio
import json
from decimal import Decimal

import httpx
import pytest

from model_server_client import FraudModelClient, ModelServerError, ModelServerUnavailable

ROWS = [[Decimal("120.50"), 3, 0.7, True], [5, 14, 0.05, False]]
FLOAT_ROWS = [[120.5, 3.0, 0.7, 1.0], [5.0, 14.0, 0.05, 0.0]]


class FakeServer:
    """A scripted model server: each call pops the next reply (a status + JSON body, or an exception class)."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, type) and issubclass(reply, Exception):
            raise reply("simulated", request=request)
        status, body = reply
        return httpx.Response(status, json=body)


class Sleeps(list):
    async def __call__(self, seconds):
        self.append(seconds)


def ok(*scores):
    return (200, {"predictions": [[s] for s in scores]})


def run(server, base_url="http://tf-serving:8501", rows=ROWS, **kwargs):
    sleeps = Sleeps()

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(server), base_url=base_url) as http:
            client = FraudModelClient(http, sleep=sleeps, **kwargs)
            return await client.predict(rows)

    return asyncio.run(go()), sleeps


def fallback_scores(rows):
    fallback_scores.calls.append(rows)
    return [0.5 for _ in rows]


@pytest.fixture(autouse=True)
def reset_fallback():
    fallback_scores.calls = []


def test_tf_serving_predict_request():
    server = FakeServer(ok(0.93, 0.02))
    result, sleeps = run(server)
    assert len(server.requests) == 1, f"one healthy call expected, got {len(server.requests)}"
    req = server.requests[0]
    assert req.method == "POST", f"TF Serving predict is a POST, got {req.method}"
    assert req.url.path == "/v1/models/fraud:predict", f"TF Serving REST path is /v1/models/fraud:predict, got {req.url.path}"
    body = json.loads(req.content)
    assert body == {"instances": FLOAT_ROWS}, f"body must be {{'instances': rows as floats}}, got {body}"
    assert all(type(x) is float for row in body["instances"] for x in row), "every feature must be sent as a JSON float"
    assert result == {"predictions": [0.93, 0.02], "source": "model-server"}, f"got {result}"
    assert sleeps == [], "no sleep when the first call succeeds"


def test_each_call_has_a_short_timeout():
    server = FakeServer(ok(0.9, 0.1))
    run(server, timeout=0.25)
    timeout = server.requests[0].extensions.get("timeout", {})
    assert timeout.get("read") == 0.25, (
        f"pass timeout=self.timeout on every call (got read timeout {timeout.get('read')}); the shared client's"
        " default (5 s) is far too long in a payment path"
    )


def test_torchserve_url_and_flat_predictions():
    server = FakeServer((200, {"predictions": [0.8, 0.3]}))
    result, _ = run(server, base_url="http://torchserve:8080", flavor="torchserve")
    assert server.requests[0].url.path == "/predictions/fraud", (
        f"TorchServe's inference API is POST /predictions/fraud, got {server.requests[0].url.path}"
    )
    assert result["predictions"] == [0.8, 0.3], "bare float predictions must be accepted too"


def test_503_then_200_retries_once():
    server = FakeServer((503, {"error": "overloaded"}), ok(0.93, 0.02))
    result, sleeps = run(server, backoff=0.05)
    assert len(server.requests) == 2, f"a 503 must be retried: expected 2 calls, got {len(server.requests)}"
    assert result == {"predictions": [0.93, 0.02], "source": "model-server"}, f"got {result}"
    assert sleeps == [0.05], f"sleep the backoff (injected sleep) once between the attempts, got {sleeps}"


def test_400_raises_without_retry_or_fallback():
    server = FakeServer((400, {"error": "Expected 4 features"}))
    with pytest.raises(ModelServerError) as info:
        run(server, fallback=fallback_scores)
    assert not isinstance(info.value, ModelServerUnavailable), "a 400 is our bug, not an outage"
    assert len(server.requests) == 1, f"a 400 must not be retried (same bad request), got {len(server.requests)} calls"
    assert fallback_scores.calls == [], "a 400 must not fall back: it would hide a bug in the caller"


def test_timeout_falls_back():
    server = FakeServer(httpx.ReadTimeout)
    result, sleeps = run(server, fallback=fallback_scores)
    assert result == {"predictions": [0.5, 0.5], "source": "fallback"}, f"timeouts must end in the fallback, got {result}"
    assert len(server.requests) == 2, f"a timeout is retried up to attempts=2, got {len(server.requests)} calls"
    assert fallback_scores.calls == [FLOAT_ROWS], "the fallback gets the rows as floats"
    assert len(sleeps) == 1, "sleep between attempts, not after the last one"


def test_connection_error_without_fallback_raises_unavailable():
    server = FakeServer(httpx.ConnectError)
    with pytest.raises(ModelServerUnavailable):
        run(server, attempts=3)
    assert len(server.requests) == 3, f"attempts=3 means 3 calls, got {len(server.requests)}"


def test_persistent_5xx_falls_back():
    server = FakeServer((502, {}))
    result, sleeps = run(server, attempts=3, backoff=0.1, fallback=fallback_scores)
    assert result["source"] == "fallback", "3 x 502 must end in the fallback"
    assert sleeps == [0.1, 0.2], f"exponential backoff between 3 attempts is [0.1, 0.2], got {sleeps}"


def test_prediction_count_mismatch_raises_without_fallback():
    server = FakeServer(ok(0.93))
    with pytest.raises(ModelServerError) as info:
        run(server, fallback=fallback_scores)
    assert not isinstance(info.value, ModelServerUnavailable), "a wrong-shaped 200 is not an outage"
    assert fallback_scores.calls == [], "1 prediction for 2 rows is a broken deploy: raise, never fall back"
    assert len(server.requests) == 1, "a wrong-shaped 200 must not be retried"


def test_non_numeric_prediction_raises():
    server = FakeServer((200, {"predictions": [["fraud"], ["ok"]]}))
    with pytest.raises(ModelServerError):
        run(server)


def test_bad_arguments():
    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(FakeServer(ok(0.1)))) as http:
            with pytest.raises(ValueError):
                FraudModelClient(http, flavor="onnx")
            with pytest.raises(ValueError):
                FraudModelClient(http, attempts=0)
            with pytest.raises(ValueError):
                await FraudModelClient(http).predict([])

    asyncio.run(go())
