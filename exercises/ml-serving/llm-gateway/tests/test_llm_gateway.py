"""Verifier for llm-gateway: prompt safety, strict parsing, repair retry, error mapping, SSE, CORS and OpenAPI."""
import json
import logging

import httpx
import pytest
from fastapi.testclient import TestClient

import news_sentiment

API_KEY = "sk-test-SECRET-7f3a9c"
SETTINGS = news_sentiment.LLMSettings(api_key=API_KEY, base_url="https://llm.test", model="test-model")
GOOD = {"headline": "ACME beats estimates and raises guidance", "ticker": "ACME"}
VERDICT = '{"sentiment": "neutral", "confidence": 0.5}'
ROUTES = ["sentiment", "commentary"]


def chat_reply(content):
    return httpx.Response(200, json={"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


def stream_chunks(*tokens, extra_lines=()):
    lines = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    lines += [{"choices": [{"index": 0, "delta": {"content": t}}]} for t in tokens]
    lines.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = "".join(extra_lines) + "".join(f"data: {json.dumps(c)}\n\n" for c in lines) + "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())


class FakeLLM:
    """Scripted chat-completions provider; records every request it gets. A reply is the answer text, an
    httpx.Response, or a function of the request (to raise transport errors); the last reply repeats."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if callable(reply):
            reply = reply(request)
        if isinstance(reply, httpx.Response):
            return reply
        if json.loads(request.content).get("stream"):
            return stream_chunks(*reply.split("|"))
        return chat_reply(reply)

    def body(self, i):
        return json.loads(self.requests[i].content)

    def messages(self, i):
        return self.body(i)["messages"]


def client_for(fake):
    app = news_sentiment.create_app()
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    app.dependency_overrides[news_sentiment.get_settings] = lambda: SETTINGS
    app.dependency_overrides[news_sentiment.get_http_client] = lambda: http
    return TestClient(app, raise_server_exceptions=False)


def analyze(fake, body=GOOD):
    return client_for(fake).post("/v1/news/sentiment", json=body)


def commentary(fake, params=GOOD):
    return client_for(fake).get("/v1/news/commentary", params=params)


def call_route(route, fake, body=GOOD):
    return analyze(fake, body) if route == "sentiment" else commentary(fake, body)


def parse_sse(text):
    frames = [f for f in text.split("\n\n") if f.strip()]
    datas = []
    for frame in frames:
        data_lines = [line[len("data:"):].strip() for line in frame.split("\n") if line.startswith("data:")]
        assert len(data_lines) == 1, f"each frame must be exactly one `data:` line, got {frame!r}"
        datas.append(data_lines[0])
    return datas


# --- the upstream request -------------------------------------------------------------------------------------

@pytest.mark.rule("upstream-request")
def test_request_shape_auth_and_temperature():
    for route, stream in (("sentiment", False), ("commentary", True)):
        fake = FakeLLM(VERDICT if route == "sentiment" else "Shares|rise.")
        resp = call_route(route, fake)
        assert resp.status_code == 200, f"{route}: expected 200, got {resp.status_code}: {resp.text[:200]}"
        req = fake.requests[0]
        assert (req.method, str(req.url)) == ("POST", "https://llm.test/v1/chat/completions"), (
            f"{route}: POST {{base_url}}/v1/chat/completions, got {req.method} {req.url}"
        )
        assert req.headers.get("authorization") == f"Bearer {API_KEY}", "send the key as `Authorization: Bearer <key>`"
        payload = fake.body(0)
        assert payload.get("model") == "test-model", f"{route}: use settings.model; got {payload.get('model')!r}"
        assert payload.get("temperature") == 0, f"{route}: send temperature 0; got {payload.get('temperature')!r}"
        assert payload.get("stream") is stream, f"{route}: send \"stream\": {str(stream).lower()}; got {payload.get('stream')!r}"
        assert isinstance(payload.get("messages"), list), f"{route}: send the messages as a list"


@pytest.mark.rule("system-then-user")
def test_instructions_in_a_system_message_and_the_headline_in_the_user_message():
    # A ticker that appears nowhere else, so the test can tell where it went.
    body = {"headline": "Quarterly results beat estimates", "ticker": "QZXW"}
    for route in ROUTES:
        fake = FakeLLM(VERDICT if route == "sentiment" else "Shares|rise.")
        assert call_route(route, fake, body).status_code == 200, f"{route}: expected 200"
        messages = fake.messages(0)
        assert messages[0].get("role") == "system" and messages[0].get("content"), (
            f"{route}: the instructions go in a system message, first; got {messages[:1]}"
        )
        for field in ("headline", "ticker"):
            assert body[field] not in messages[0]["content"], (
                f"{route}: user text (the {field} {body[field]!r}) must stay out of the system message;"
                f" got {messages[0]['content']!r}"
            )
        last = messages[-1]
        assert last.get("role") == "user" and body["headline"] in last["content"], (
            f"{route}: the headline goes in the user message, last; got {messages}"
        )
        assert body["ticker"] in last["content"], (
            f"{route}: the ticker {body['ticker']!r} goes in the user message too; got {last['content']!r}"
        )


@pytest.mark.rule("headline-verbatim")
@pytest.mark.parametrize("headline,how", [
    ("ACME beats {estimates}; $ACME up $5 {0} 100% after hours",
     "with {estimates}, $ and % (user text is a value passed to format(), never part of the template string)"),
    ("  ACME beats estimates  ", "with its surrounding spaces (do not strip it)"),
], ids=["braces-dollars-percents", "surrounding-spaces"])
def test_the_headline_reaches_the_model_verbatim(headline, how):
    body = {"headline": headline, "ticker": "ACME"}
    for route in ROUTES:
        fake = FakeLLM(VERDICT if route == "sentiment" else "Shares|rise.")
        resp = call_route(route, fake, body)
        assert resp.status_code == 200, f"{route}: a headline {how} is valid, got {resp.status_code}"
        sent = fake.messages(0)[-1]["content"]
        assert headline in sent, f"{route}: the headline {headline!r} must reach the model verbatim, {how}; got {sent!r}"


# --- the sentiment answer -------------------------------------------------------------------------------------

GOOD_REPLIES = [
    ('{"sentiment": "positive", "confidence": 0.82}', "positive", 0.82),
    ('```json\n{"sentiment": "positive", "confidence": 0.82}\n```', "positive", 0.82),
    ('\n  {"sentiment": "negative", "confidence": 0}  \n', "negative", 0),
    ('  ```json\n{"sentiment": "neutral", "confidence": 1}\n```\n', "neutral", 1),
    ('```json\n{\n  "sentiment": "negative",\n  "confidence": 0.35\n}\n```', "negative", 0.35),
]


@pytest.mark.rule("parse-reply")
def test_bare_and_fenced_json_give_200():
    for reply, sentiment, confidence in GOOD_REPLIES:
        fake = FakeLLM(reply)
        resp = analyze(fake)
        assert resp.status_code == 200, f"the reply {reply!r} must be accepted, got {resp.status_code}: {resp.text[:200]}"
        assert resp.json() == {"sentiment": sentiment, "confidence": confidence, "model": "test-model"}, (
            f"the reply {reply!r} must give {{'sentiment': {sentiment!r}, 'confidence': {confidence}, "
            f"'model': 'test-model'}}; got {resp.json()}"
        )
        assert len(fake.requests) == 1, f"a valid first answer ({reply!r}) needs no second call"


BAD_VERDICTS = [
    '{"sentiment": "bullish", "confidence": 0.9}',
    '{"sentiment": "positive", "confidence": 1.5}',
    '{"sentiment": "positive", "confidence": -0.1}',
    '{"sentiment": "positive"}',
    '{"confidence": 0.4}',
    '["positive", 0.9]',
    '{"sentiment": "positive", "confidence": "0.9"}',
    '{"sentiment": "positive", "confidence": true}',
    '{"sentiment": "Positive", "confidence": 0.9}',
    '{"sentiment": "POSITIVE", "confidence": 0.9}',
    '{"sentiment": "positive", "confidence": 0.9} Hope this helps!',
    'Sure! {"sentiment": "positive", "confidence": 0.9}',
]


@pytest.mark.parametrize("bad", BAD_VERDICTS)
@pytest.mark.rule("validate-verdict")
def test_an_invalid_verdict_is_never_returned(bad):
    repaired = '{"sentiment": "negative", "confidence": 0.3}'
    resp = analyze(FakeLLM(bad, repaired))
    assert resp.status_code in (200, 502), f"a bad answer {bad} must be repaired or end in 502, got {resp.status_code}"
    if resp.status_code == 200:
        assert resp.json() == {"sentiment": "negative", "confidence": 0.3, "model": "test-model"}, (
            f"{bad} is not a valid verdict (exactly a JSON object, sentiment exactly one of the three lower-case"
            f" values, confidence a JSON number from 0 to 1, not a string or a boolean): it must not be returned; "
            f"got {resp.json()}"
        )


@pytest.mark.rule("one-repair-retry")
def test_prose_triggers_exactly_one_repair_retry():
    prose = "The sentiment is clearly positive, with high confidence."
    fake = FakeLLM(prose, '{"sentiment": "positive", "confidence": 0.7}')
    resp = analyze(fake)
    assert resp.status_code == 200, f"a prose answer must be repaired with one more call, got {resp.status_code}"
    assert len(fake.requests) == 2, f"expected 2 calls (answer + repair), got {len(fake.requests)}"
    first, second = fake.messages(0), fake.messages(1)
    assert second[: len(first)] == first, "the repair call resends the original conversation first"
    assert second[len(first)] == {"role": "assistant", "content": prose}, (
        f"then the bad reply as an assistant message; got {second[len(first):]}"
    )
    assert len(second) == len(first) + 2 and second[-1].get("role") == "user" and second[-1].get("content"), (
        f"and last a user message asking for only the JSON object; got {second[len(first):]}"
    )
    assert resp.json() == {"sentiment": "positive", "confidence": 0.7, "model": "test-model"}, f"got {resp.json()}"


@pytest.mark.rule("one-repair-retry")
def test_an_empty_answer_is_a_bad_answer_and_gets_repaired():
    fake = FakeLLM("", '{"sentiment": "negative", "confidence": 0.6}')
    resp = analyze(fake)
    assert resp.status_code == 200 and len(fake.requests) == 2, (
        "content \"\" is a string, so it is an answer, a bad one: make the one repair call (it answers well here);"
        f" expected 200 after 2 calls, got {resp.status_code} after {len(fake.requests)}"
    )
    assert resp.json() == {"sentiment": "negative", "confidence": 0.6, "model": "test-model"}, f"got {resp.json()}"


@pytest.mark.rule("bad-twice-502", "one-repair-retry")
def test_persistently_bad_output_gives_502_after_two_calls():
    fake = FakeLLM("I think it is positive.", '{"sentiment": "bullish", "confidence": 2}', VERDICT)
    resp = analyze(fake)
    assert resp.status_code == 502, f"two unusable answers must give 502, got {resp.status_code}"
    assert len(fake.requests) == 2, f"exactly one repair retry: expected 2 calls, got {len(fake.requests)}"


# --- provider failures ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.rule("rate-limit-503")
def test_429_becomes_503_with_retry_after(route):
    for headers, expected in (({"Retry-After": "7"}, "7"), ({}, "30")):
        fake = FakeLLM(httpx.Response(429, headers=headers, json={"error": {"message": "rate limited"}}), VERDICT)
        resp = call_route(route, fake)
        assert resp.status_code == 503, f"{route}: a provider 429 is our capacity problem: expected 503, got {resp.status_code}"
        assert resp.headers.get("Retry-After") == expected, (
            f"{route}: a 429 with headers {headers} must give Retry-After {expected!r}, got {resp.headers.get('Retry-After')!r}"
        )
        assert len(fake.requests) == 1, f"{route}: do not retry a 429 straight away"


@pytest.mark.rule("rate-limit-503", "one-repair-retry")
def test_a_429_on_the_repair_call_becomes_503_too():
    limited = httpx.Response(429, headers={"Retry-After": "9"}, json={"error": {"message": "rate limited"}})
    fake = FakeLLM("The sentiment is clearly positive.", limited, VERDICT)
    resp = analyze(fake)
    assert resp.status_code == 503, (
        f"a 429 answering the repair call is still the provider's rate limit: expected 503, got {resp.status_code}"
    )
    retry_after = resp.headers.get("Retry-After")
    assert retry_after == "9", f"pass the provider's Retry-After on, got {retry_after!r}"
    assert len(fake.requests) == 2, (
        f"the answer, then the repair call that got the 429: expected 2 calls, got {len(fake.requests)}"
    )


def connect_error(request):
    raise httpx.ConnectError("connection refused", request=request)


def read_timeout(request):
    raise httpx.ReadTimeout("timed out", request=request)


PROVIDER_ERRORS = {
    "400": httpx.Response(400, json={"error": {"message": "bad request"}}),
    "401": httpx.Response(401, json={"error": {"message": "invalid key"}}),
    "500": httpx.Response(500, text="internal error"),
    "503": httpx.Response(503, json={"error": {"message": "overloaded"}}),
    "connect-error": connect_error,
    "read-timeout": read_timeout,
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", list(PROVIDER_ERRORS))
@pytest.mark.rule("provider-errors-502")
def test_provider_errors_give_502_after_one_call(route, kind):
    fake = FakeLLM(PROVIDER_ERRORS[kind], VERDICT)
    resp = call_route(route, fake)
    assert resp.status_code == 502, f"{route}: a provider {kind} must give 502, got {resp.status_code}: {resp.text[:200]}"
    assert len(fake.requests) == 1, f"{route}: a provider {kind} is not retried; got {len(fake.requests)} calls"


EMPTY_200S = {
    "no-body": httpx.Response(200),
    "html": httpx.Response(200, text="<html>maintenance</html>"),
    "no-choices": httpx.Response(200, json={"id": "x"}),
    "empty-choices": httpx.Response(200, json={"choices": []}),
    "no-content": httpx.Response(200, json={"choices": [{"message": {"role": "assistant"}}]}),
    "null-content": httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": None}}]}),
    "number-content": httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": 0.5}}]}),
    "list-content": httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": ["positive"]}}]}),
    "object-content": httpx.Response(200, json={"choices": [{"message": {"role": "assistant",
                                                                        "content": {"sentiment": "positive"}}}]}),
}


@pytest.mark.parametrize("kind", list(EMPTY_200S))
@pytest.mark.rule("provider-errors-502")
def test_a_200_without_the_answer_gives_502(kind):
    fake = FakeLLM(EMPTY_200S[kind], VERDICT)
    resp = analyze(fake)
    assert resp.status_code == 502, (
        f"a provider 200 without choices[0].message.content as a string ({kind}) is the provider's failure: expected 502, "
        f"got {resp.status_code}: {resp.text[:200]}"
    )
    assert len(fake.requests) == 1, f"a broken provider answer ({kind}) is not a bad verdict to repair: one call"


def echoing_401(request):
    return httpx.Response(401, json={"error": {"message": f"Incorrect API key provided: {API_KEY}.",
                                               "code": "invalid_api_key"}})


def echoing_500(request):
    return httpx.Response(500, text=f"upstream crashed handling {request.headers.get('authorization')}")


def echoing_connect_error(request):
    raise httpx.ConnectError(f"connect failed, request headers: Authorization: Bearer {API_KEY}", request=request)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("provider", [echoing_401, echoing_500, echoing_connect_error],
                         ids=["401-echoes-key", "500-echoes-header", "connect-error-echoes-key"])
@pytest.mark.rule("no-key-leak")
def test_the_api_key_never_reaches_the_client_or_the_logs(route, provider, caplog):
    caplog.set_level(logging.DEBUG)
    resp = call_route(route, FakeLLM(provider, VERDICT))
    assert resp.status_code == 502, f"{route}: a failing provider must give 502, got {resp.status_code}: {resp.text[:200]}"
    assert API_KEY.lower() not in resp.text.lower(), (
        f"{route}: the provider echoed the API key and it reached the client: never copy the provider's error text "
        f"or an exception message into the response; got {resp.text[:300]}"
    )
    assert API_KEY.lower() not in caplog.text.lower(), f"{route}: the API key must never be logged"


# --- input validation -----------------------------------------------------------------------------------------

MISSING = None
INPUTS = [("headline", ["x", "x" * 300], ["", "x" * 301, MISSING]),
          ("ticker", ["F", "BRK.B-USDT"], ["", "ABCDEFGHIJK", MISSING])]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("field, ok_values, bad_values", INPUTS, ids=[f for f, _, _ in INPUTS])
@pytest.mark.rule("input-validation")
def test_invalid_input_gives_422_without_upstream_call(route, field, ok_values, bad_values):
    fake = FakeLLM(VERDICT if route == "sentiment" else "Shares|rise.")
    for ok_value in ok_values:
        accepted = call_route(route, fake, dict(GOOD, **{field: ok_value}))
        assert accepted.status_code == 200, (
            f"{route}: a {field} of {len(ok_value)} characters is valid, got {accepted.status_code}: "
            f"{accepted.text[:200]}"
        )
    for bad_value in bad_values:
        calls = len(fake.requests)
        body = {k: v for k, v in GOOD.items() if k != field}
        if bad_value is not MISSING:
            body[field] = bad_value
        shown = "missing" if bad_value is MISSING else f"{len(bad_value)} characters"
        resp = call_route(route, fake, body)
        assert resp.status_code == 422, f"{route}: {field} {shown} must give 422, got {resp.status_code}"
        assert len(fake.requests) == calls, f"{route}: validation ({field} {shown}) must happen before any (paid) LLM call"


# --- streaming ------------------------------------------------------------------------------------------------

@pytest.mark.rule("sse-stream")
def test_sse_frames_in_order_then_done():
    tokens = ["Shares", " could", " rally:", "", " revenue beat.\nGuidance", " raised."]
    fake = FakeLLM(stream_chunks(*tokens, extra_lines=[": keep-alive\n\n", "event: ping\n\n"]))
    resp = commentary(fake)
    assert resp.status_code == 200, f"GET /v1/news/commentary must give 200, got {resp.status_code}: {resp.text[:200]}"
    assert resp.headers["content-type"].startswith("text/event-stream"), "SSE needs Content-Type text/event-stream"
    datas = parse_sse(resp.text)
    assert datas and datas[-1] == "[DONE]", f"the last frame must be `data: [DONE]`, got {datas[-1:]}"
    try:
        texts = [json.loads(d)["text"] for d in datas[:-1]]
    except (ValueError, KeyError, TypeError):
        pytest.fail(f"each frame before [DONE] must be `data: {{\"text\": ...}}` JSON, got {datas[:-1]}")
    assert texts == [t for t in tokens if t], (
        f"one frame per non-empty token, in order (the empty token and non-data lines are skipped); got {texts}"
    )


@pytest.mark.rule("sse-stream")
def test_sse_data_lines_without_a_space_are_read_too():
    chunks = [{"choices": [{"index": 0, "delta": {"content": t}}]} for t in ("Shares", " rise.")]
    body = "".join(f"data:{json.dumps(c)}\n\n" for c in chunks) + "data:[DONE]\n\n"
    fake = FakeLLM(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode()))
    resp = commentary(fake)
    assert resp.status_code == 200, f"GET /v1/news/commentary must give 200, got {resp.status_code}: {resp.text[:200]}"
    datas = parse_sse(resp.text)
    how = "SSE allows `data:` without a space after the colon (`data:{...}`, `data:[DONE]`)"
    assert datas and datas[-1] == "[DONE]", f"{how}: the last frame must be `data: [DONE]`, got {datas}"
    try:
        texts = [json.loads(d)["text"] for d in datas[:-1]]
    except (ValueError, KeyError, TypeError):
        pytest.fail(f"{how}: each frame before [DONE] must be `data: {{\"text\": ...}}` JSON, got {datas[:-1]}")
    assert texts == ["Shares", " rise."], f"{how}: expected the tokens 'Shares', ' rise.', got {texts}"


class TrackedStream(httpx.AsyncByteStream):
    """An upstream body that records whether the service closed it."""

    def __init__(self, body, then_fail=False):
        self.body = body
        self.then_fail = then_fail
        self.closed = False

    async def __aiter__(self):
        yield self.body
        if self.then_fail:  # the provider's connection drops after the body: only a reader that stopped at [DONE] is safe
            raise httpx.ReadError("connection reset by peer")

    async def aclose(self):
        self.closed = True


@pytest.mark.rule("upstream-closed")
def test_the_upstream_stream_is_closed():
    done = stream_chunks("Shares", " rise.")
    streams = {
        "after [DONE]": TrackedStream(done.content + b"data: {\"late\": true}\n\n"),
        "when the connection drops after [DONE]": TrackedStream(done.content, then_fail=True),
        "on a 500": TrackedStream(b"internal error"),
    }
    for case, stream in streams.items():
        status = 500 if case == "on a 500" else 200
        fake = FakeLLM(httpx.Response(status, headers={"content-type": "text/event-stream"}, stream=stream))
        resp = commentary(fake)
        assert resp.status_code == (502 if status == 500 else 200), (
            f"{case}: unexpected status {resp.status_code}: open the upstream with stream=True and stop reading at"
            " `data: [DONE]`; a body read in full first (no stream=True, aread()) also reads what comes after it"
        )
        if status == 200:
            assert parse_sse(resp.text)[-1:] == ["[DONE]"] and "Shares" in resp.text, (
                f"{case}: the tokens up to [DONE] must reach the client, then `data: [DONE]`; got {resp.text[:300]!r}"
            )
        assert stream.closed, (
            f"{case}: close the upstream response (await upstream.aclose(), in a finally for the stream) so its "
            "connection goes back to the pool"
        )


# --- the browser contract -------------------------------------------------------------------------------------

@pytest.mark.rule("cors-exact-origin")
def test_cors_allows_only_the_react_dev_server():
    client = client_for(FakeLLM(VERDICT))
    for path, method in (("/v1/news/sentiment", "POST"), ("/v1/news/commentary", "GET")):
        preflight = {"Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type"}
        ok = client.options(path, headers={"Origin": "http://localhost:5173", **preflight})
        assert ok.status_code == 200, f"preflight {method} {path} from http://localhost:5173 must give 200, got {ok.status_code}"
        assert ok.headers.get("access-control-allow-origin") == "http://localhost:5173", (
            f"{path}: echo the exact origin, got {ok.headers.get('access-control-allow-origin')!r}"
        )
        for origin in ("https://evil.example", "http://localhost:3000", "http://127.0.0.1:5173",
                       "https://localhost:5173"):
            evil = client.options(path, headers={"Origin": origin, **preflight})
            assert "access-control-allow-origin" not in evil.headers, (
                f"{path}: the origin {origin} must get no Access-Control-Allow-Origin; got {evil.headers.get('access-control-allow-origin')!r}"
            )
    delete = client.options("/v1/news/sentiment", headers={"Origin": "http://localhost:5173",
                                                           "Access-Control-Request-Method": "DELETE"})
    assert delete.status_code == 400, f"only GET and POST are allowed: a DELETE preflight must be refused, got {delete.status_code}"
    real = client.post("/v1/news/sentiment", json=GOOD, headers={"Origin": "http://localhost:5173"})
    assert real.headers.get("access-control-allow-origin") == "http://localhost:5173", (
        "the actual request from the React app must carry the exact Access-Control-Allow-Origin too"
    )
    other = client.post("/v1/news/sentiment", json=GOOD, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers, "a request from another origin gets no CORS header"


def resolve(spec, schema):
    while True:
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif len(schema.get("allOf", [])) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


@pytest.mark.rule("openapi-contract")
def test_openapi_contract_for_typescript_codegen():
    spec = client_for(FakeLLM(VERDICT)).get("/openapi.json").json()
    operation = spec["paths"].get("/v1/news/sentiment", {}).get("post", {})
    assert operation.get("operationId") == "analyzeNews", (
        f"set operation_id='analyzeNews' so the generated client has analyzeNews(), got {operation.get('operationId')!r}"
    )
    stream_op = spec["paths"].get("/v1/news/commentary", {}).get("get", {})
    assert stream_op.get("operationId"), "give the streaming route an operation_id too"
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    sentiment = resolve(spec, resolve(spec, response).get("properties", {}).get("sentiment", {}))
    assert sorted(sentiment.get("enum", [])) == ["negative", "neutral", "positive"], (
        f"the response's sentiment must be an enum of positive/negative/neutral in the schema, got {sentiment}"
    )
