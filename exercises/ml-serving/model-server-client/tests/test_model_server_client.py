"""Verifier for model-server-client: TF Serving / TorchServe REST calls with timeouts, retries and fallback."""
import asyncio
import json
from decimal import Decimal

import httpx
import pytest
from roadmap_pytest import raises

from model_server_client import FraudModelClient, ModelServerError, ModelServerUnavailable

ROWS = [[Decimal("120.50"), 3, 0.7, True], [5, 14, 0.05, False]]
FLOAT_ROWS = [[120.5, 3.0, 0.7, 1.0], [5.0, 14.0, 0.05, 0.0]]


class FakeServer:
    """A scripted model server: each call pops the next reply (a status + JSON body, or an exception class);
    the last reply repeats."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, type) and issubclass(reply, Exception):
            raise reply("simulated", request=request)
        status, body = reply
        if isinstance(body, bytes):  # a body that is not JSON
            return httpx.Response(status, content=body, headers={"content-type": "text/html"})
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


class Fallback:
    def __init__(self, scores=None):
        self.scores = scores
        self.calls = []

    def __call__(self, rows):
        self.calls.append(rows)
        return self.scores if self.scores is not None else [0.5 for _ in rows]


# --- the request ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("flavor, model, path", [
    (None, None, "/v1/models/fraud:predict"),
    ("tfserving", None, "/v1/models/fraud:predict"),
    ("tfserving", "churn", "/v1/models/churn:predict"),
    ("torchserve", None, "/predictions/fraud"),
    ("torchserve", "churn", "/predictions/churn"),
])
@pytest.mark.rule("predict-url")
def test_predict_url_per_flavor_and_model(flavor, model, path):
    server = FakeServer(ok(0.93, 0.02))
    kwargs = {key: value for key, value in (("flavor", flavor), ("model", model)) if value is not None}
    result, _ = run(server, base_url="http://models:8080", **kwargs)
    assert len(server.requests) == 1, f"one healthy call expected, got {len(server.requests)}"
    req = server.requests[0]
    assert (req.method, req.url.host, req.url.path) == ("POST", "models", path), (
        f"flavor={flavor or 'tfserving'!r} with model={model or 'fraud'!r} must POST {path} on the client's base_url; "
        f"got {req.method} {req.url}"
    )
    assert result["source"] == "model-server", f"got {result}"


@pytest.mark.rule("instances-as-floats")
def test_instances_go_out_as_json_floats():
    server = FakeServer(ok(0.93, 0.02))
    run(server)
    body = json.loads(server.requests[0].content)
    assert body == {"instances": FLOAT_ROWS}, f"body must be {{'instances': rows as floats}}, got {body}"
    assert all(type(x) is float for row in body["instances"] for x in row), (
        f"every feature (Decimal, int, bool) must be sent as a JSON float; got {body['instances']}"
    )


@pytest.mark.parametrize("timeout", [0.25, None], ids=["0.25", "default-0.3"])
@pytest.mark.rule("call-timeout")
def test_every_call_has_the_short_timeout(timeout):
    server = FakeServer((503, {"error": "overloaded"}), ok(0.9, 0.1))
    run(server, **({} if timeout is None else {"timeout": timeout}))
    expected = 0.3 if timeout is None else timeout
    assert len(server.requests) == 2, "a 503 then a 200 means two calls"
    for n, req in enumerate(server.requests, 1):
        got = req.extensions.get("timeout", {})
        assert got.get("read") == expected, (
            f"call {n}: pass timeout=self.timeout ({expected}) on every call, retries too (got read timeout "
            f"{got.get('read')}); the shared client's default (5 s) is far too long in a payment path"
        )


# --- answers --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, predictions, expected", [
    (200, [[0.93], [0.02]], [0.93, 0.02]),
    (200, [0.8, 0.3], [0.8, 0.3]),
    (200, [[1], 0], [1.0, 0.0]),
    (201, [[1], 0], [1.0, 0.0]),
    (203, [0.8, 0.3], [0.8, 0.3]),
], ids=["nested", "flat", "mixed-ints", "201-created", "203-non-authoritative"])
@pytest.mark.rule("parse-predictions")
def test_predictions_are_parsed(status, predictions, expected):
    server = FakeServer((status, {"predictions": predictions}))
    result, sleeps = run(server)
    assert result == {"predictions": expected, "source": "model-server"}, (
        f"a {status} (any 2xx is a success) with predictions {predictions} must give "
        f"{{'predictions': {expected}, 'source': 'model-server'}}; got {result}"
    )
    assert all(type(p) is float for p in result["predictions"]), f"return floats; got {result['predictions']}"
    assert sleeps == [], "no sleep when the first call succeeds"


BAD_ANSWERS = [
    ("no-predictions", {"outputs": [[0.9], [0.1]]}),
    ("not-json", b"<html>502 Bad Gateway</html>"),
    ("not-a-list", {"predictions": {"a": 0.9}}),
    ("an-object-of-the-right-size", {"predictions": {"0": [0.93], "1": [0.02]}}),
    ("null", {"predictions": None}),
    ("a-number", {"predictions": 2}),
    ("strings", {"predictions": [["fraud"], ["ok"]]}),
    ("numeric-strings", {"predictions": ["0.93", "0.02"]}),
    ("booleans", {"predictions": [True, False]}),
    ("booleans-in-lists", {"predictions": [[True], [False]]}),
    ("nested-twice", {"predictions": [[[0.93]], [[0.02]]]}),
    ("two-class-rows", {"predictions": [[0.1, 0.9], [0.8, 0.2]]}),
    ("too-few", {"predictions": [[0.93]]}),
    ("too-many", {"predictions": [[0.93], [0.02], [0.5]]}),
]


@pytest.mark.parametrize("kind, body", BAD_ANSWERS, ids=[k for k, _ in BAD_ANSWERS])
@pytest.mark.rule("bad-answer-raises")
def test_a_bad_answer_raises_at_once_without_fallback(kind, body):
    server = FakeServer((200, body), ok(0.93, 0.02))
    fallback = Fallback()
    with raises(ModelServerError, f"a 200 with a bad answer ({kind}: {body!r}) must raise ModelServerError") as info:
        run(server, fallback=fallback)
    assert not isinstance(info.value, ModelServerUnavailable), f"a wrong-shaped 200 ({kind}) is a bug, not an outage"
    assert fallback.calls == [], f"a bad answer ({kind}) is a broken deploy: raise, never fall back"
    assert len(server.requests) == 1, f"a wrong-shaped 200 ({kind}) must not be retried; {len(server.requests)} calls"


@pytest.mark.parametrize("status", [400, 404, 422, 499])
@pytest.mark.rule("client-error-no-retry")
def test_4xx_raises_without_retry_or_fallback(status):
    # The body even looks like an answer: the status decides, a 4xx is never a prediction.
    server = FakeServer((status, {"error": "Expected 4 features", "predictions": [[0.9], [0.1]]}), ok(0.93, 0.02))
    fallback = Fallback()
    with raises(ModelServerError, f"a {status} must raise ModelServerError") as info:
        run(server, fallback=fallback)
    assert not isinstance(info.value, ModelServerUnavailable), f"a {status} is our bug, not an outage"
    assert len(server.requests) == 1, f"a {status} must not be retried (same bad request), got {len(server.requests)} calls"
    assert fallback.calls == [], f"a {status} must not fall back: it would hide a bug in the caller"


# --- outages --------------------------------------------------------------------------------------------------

TRANSIENT = [(500, {}), (502, {}), (503, {"error": "overloaded"}), (504, {}),
             httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError]


def failure_name(failure):
    return f"HTTP {failure[0]}" if isinstance(failure, tuple) else failure.__name__


@pytest.mark.parametrize("failure", TRANSIENT, ids=[failure_name(f) for f in TRANSIENT])
@pytest.mark.rule("retry-transient")
def test_transient_failures_are_retried_until_success(failure):
    server = FakeServer(failure, failure, ok(0.93, 0.02))
    result, _ = run(server, attempts=3)
    name = failure_name(failure)
    assert result == {"predictions": [0.93, 0.02], "source": "model-server"}, (
        f"{name} twice, then a 200: with attempts=3 the third call succeeds and its scores are returned; got {result}"
    )
    assert len(server.requests) == 3, f"{name} is worth another try: expected 3 calls, got {len(server.requests)}"


@pytest.mark.parametrize("attempts", [1, 4])
@pytest.mark.rule("retry-transient")
def test_attempts_is_the_total_number_of_calls(attempts):
    server = FakeServer((503, {}))
    result, _ = run(server, attempts=attempts, fallback=Fallback())
    assert len(server.requests) == attempts, f"attempts={attempts} means {attempts} calls in total; got {len(server.requests)}"


@pytest.mark.rule("exponential-backoff")
def test_backoff_doubles_between_attempts():
    for kwargs, expected in [({}, [0.05]), ({"attempts": 3, "backoff": 0.1}, [0.1, 0.2]),
                             ({"attempts": 5, "backoff": 0.1}, [0.1, 0.2, 0.4, 0.8])]:
        _, sleeps = run(FakeServer((503, {})), fallback=Fallback(), **kwargs)
        assert sleeps == pytest.approx(expected), (
            f"with {kwargs or 'the defaults'} the injected sleep must get {expected} (backoff * 2 ** (n - 1) before "
            f"attempt n+1, nothing after the last); got {sleeps}"
        )
    _, sleeps = run(FakeServer((503, {}), ok(0.93, 0.02)), attempts=5, backoff=0.1)
    assert sleeps == pytest.approx([0.1]), f"a success on attempt 2 stops the backoff after one sleep; got {sleeps}"


@pytest.mark.parametrize("failure", [(503, {}), httpx.ReadTimeout], ids=["503", "ReadTimeout"])
@pytest.mark.rule("fallback-after-outage")
def test_an_outage_falls_back(failure):
    fallback = Fallback()
    result, _ = run(FakeServer(failure), attempts=3, fallback=fallback)
    assert result == {"predictions": [0.5, 0.5], "source": "fallback"}, f"an outage must end in the fallback, got {result}"
    assert fallback.calls == [FLOAT_ROWS], f"the fallback is called once, with the rows as floats; got {fallback.calls}"


# The fallback gets the same floats the server would have got, so both rules meet here.
@pytest.mark.rule("fallback-after-outage", "instances-as-floats")
def test_the_fallback_gets_float_rows():
    fallback = Fallback()
    run(FakeServer((503, {})), fallback=fallback)
    assert len(fallback.calls) == 1, f"an outage must call the fallback once; got {len(fallback.calls)} calls"
    types = [[type(x).__name__ for x in row] for row in fallback.calls[0]]
    assert all(name == "float" for row in types for name in row), (
        f"the fallback must get the rows as floats (Decimal, int and bool converted, as sent to the server); "
        f"got types {types}"
    )


@pytest.mark.rule("fallback-after-outage")
def test_fallback_scores_become_floats():
    import fractions

    result, _ = run(FakeServer((503, {})), fallback=Fallback([Decimal("0.25"), fractions.Fraction(3, 4)]))
    assert result == {"predictions": [0.25, 0.75], "source": "fallback"}, f"got {result}"
    assert all(type(p) is float for p in result["predictions"]), (
        f"convert the fallback's scores with float(); got {[type(p).__name__ for p in result['predictions']]}"
    )


@pytest.mark.parametrize("failure", [(503, {}), httpx.ReadTimeout], ids=["503", "ReadTimeout"])
@pytest.mark.rule("unavailable-without-fallback")
def test_an_outage_without_fallback_raises_unavailable(failure):
    server = FakeServer(failure)
    with raises(ModelServerUnavailable, "after the last attempt, with no fallback, raise ModelServerUnavailable"):
        run(server, attempts=2)


# --- arguments ------------------------------------------------------------------------------------------------

@pytest.mark.rule("arguments-checked")
def test_bad_arguments():
    server = FakeServer(ok(0.1))

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(server), base_url="http://m") as http:
            for flavor in ("onnx", "TFServing", "TORCHSERVE"):
                with raises(ValueError, f"flavor={flavor!r} must raise ValueError (exactly tfserving or torchserve)"):
                    FraudModelClient(http, flavor=flavor)
            for attempts in (0, -1):
                with raises(ValueError, f"attempts={attempts} must raise ValueError (at least 1 call)"):
                    FraudModelClient(http, attempts=attempts)
            with raises(ValueError, "predict([]) must raise ValueError"):
                await FraudModelClient(http).predict([])
            assert server.requests == [], "predict([]) must not call the server"
            result = await FraudModelClient(http, attempts=1).predict([[1.0, 2.0, 0.5, 0.0]])
            assert result["predictions"] == [0.1] and len(server.requests) == 1, "attempts=1 is valid: one call"

    asyncio.run(go())
