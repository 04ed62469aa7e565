"""Verifier for llm-gateway: prompt safety, strict parsing, repair retry, error mapping, SSE, CORS and OpenAPI."""
import json

import httpx
import pytest
from fastapi.testclient import TestClient

import news_sentiment

API_KEY = "sk-test-SECRET-7f3a9c"
SETTINGS = news_sentiment.LLMSettings(api_key=API_KEY, base_url="https://llm.test", model="test-model")
GOOD = {"headline": "ACME beats estimates and raises guidance", "ticker": "ACME"}


def chat_reply(content):
    return httpx.Response(200, json={"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


class FakeLLM:
    """Scripted chat-completions provider; records every request it gets."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return reply if isinstance(reply, httpx.Response) else chat_reply(reply)

    def messages(self, i):
        return json.loads(self.requests[i].content)["messages"]


def client_for(fake):
    app = news_sentiment.create_app()
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    app.dependency_overrides[news_sentiment.get_settings] = lambda: SETTINGS
    app.dependency_overrides[news_sentiment.get_http_client] = lambda: http
    return TestClient(app, raise_server_exceptions=False)


def analyze(fake, body=GOOD):
    return client_for(fake).post("/v1/news/sentiment", json=body)


def test_fenced_json_gives_200():
    fake = FakeLLM('```json\n{"sentiment": "positive", "confidence": 0.82}\n```')
    resp = analyze(fake)
    assert resp.status_code == 200, f"a ```json fenced answer must be accepted, got {resp.status_code}: {resp.text[:200]}"
    assert resp.json() == {"sentiment": "positive", "confidence": 0.82, "model": "test-model"}, f"got {resp.json()}"
    assert len(fake.requests) == 1, "a valid first answer needs no second call"


def test_request_shape_auth_and_temperature():
    fake = FakeLLM('{"sentiment": "neutral", "confidence": 0.5}')
    assert analyze(fake).status_code == 200
    req = fake.requests[0]
    assert str(req.url) == "https://llm.test/v1/chat/completions", f"POST {{base_url}}/v1/chat/completions, got {req.url}"
    assert req.headers.get("authorization") == f"Bearer {API_KEY}", "send the key as `Authorization: Bearer <key>`"
    payload = json.loads(req.content)
    assert payload.get("model") == "test-model", "use settings.model"
    assert payload.get("temperature") == 0, "classification should be repeatable: temperature 0"
    messages = payload["messages"]
    assert messages[0]["role"] == "system", "the instructions go in a system message, first"
    assert GOOD["headline"] not in messages[0]["content"], "user text must stay out of the system message"
    assert messages[-1]["role"] == "user" and GOOD["headline"] in messages[-1]["content"], "the headline goes in the user message"


def test_braces_and_dollars_in_the_headline_survive():
    tricky = {"headline": "ACME beats {estimates} by 20%; $ACME up $5 {0} after hours", "ticker": "ACME"}
    fake = FakeLLM('{"sentiment": "positive", "confidence": 0.9}')
    resp = analyze(fake, tricky)
    assert resp.status_code == 200, (
        f"a headline with {{estimates}} and $ must not break the prompt, got {resp.status_code}: user text must be"
        " a value passed to format(), never part of the template string"
    )
    assert tricky["headline"] in fake.messages(0)[-1]["content"], "the headline must reach the model verbatim"


def test_prose_triggers_exactly_one_repair_retry():
    prose = "The sentiment is clearly positive, with high confidence."
    fake = FakeLLM(prose, '{"sentiment": "positive", "confidence": 0.7}')
    resp = analyze(fake)
    assert resp.status_code == 200, f"a prose answer must be repaired with one more call, got {resp.status_code}"
    assert len(fake.requests) == 2, f"expected 2 calls (answer + repair), got {len(fake.requests)}"
    first, second = fake.messages(0), fake.messages(1)
    assert second[: len(first)] == first, "the repair call resends the original conversation first"
    assert {"role": "assistant", "content": prose} in second, "the repair call must show the model its bad reply"
    assert len(second) > len(first) + 1, "and add a user message asking for only the JSON object"
    assert resp.json()["confidence"] == 0.7


def test_persistently_bad_output_gives_502_after_two_calls():
    fake = FakeLLM("I think it is positive.", '{"sentiment": "bullish", "confidence": 2}')
    resp = analyze(fake)
    assert resp.status_code == 502, f"two unusable answers must give 502, got {resp.status_code}"
    assert len(fake.requests) == 2, f"exactly one repair retry: expected 2 calls, got {len(fake.requests)}"
    assert API_KEY not in resp.text, "the API key must never appear in an error body"


def test_429_becomes_503_with_retry_after():
    fake = FakeLLM(httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"message": "rate limited"}}))
    resp = analyze(fake)
    assert resp.status_code == 503, f"a provider 429 is our capacity problem: expected 503, got {resp.status_code}"
    assert resp.headers.get("Retry-After") == "7", f"pass the provider's Retry-After on, got {resp.headers.get('Retry-After')!r}"
    assert len(fake.requests) == 1, "do not retry a 429 straight away"
    assert API_KEY not in resp.text, "the API key must never appear in an error body"


@pytest.mark.parametrize("body", [{"headline": "", "ticker": "ACME"}, {"ticker": "ACME"}, {"headline": "x" * 301, "ticker": "ACME"}])
def test_invalid_headline_gives_422_without_upstream_call(body):
    fake = FakeLLM('{"sentiment": "neutral", "confidence": 0.5}')
    resp = analyze(fake, body)
    assert resp.status_code == 422, f"{body} must give 422, got {resp.status_code}"
    assert fake.requests == [], "validation must happen before any (paid) LLM call"


def stream_chunks(*tokens):
    lines = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    lines += [{"choices": [{"index": 0, "delta": {"content": t}}]} for t in tokens]
    lines.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in lines) + "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())


def parse_sse(text):
    frames = [f for f in text.split("\n\n") if f.strip()]
    datas = []
    for frame in frames:
        data_lines = [line[len("data:"):].strip() for line in frame.split("\n") if line.startswith("data:")]
        assert len(data_lines) == 1, f"each frame must be exactly one `data:` line, got {frame!r}"
        datas.append(data_lines[0])
    return datas


def test_sse_frames_in_order_then_done():
    tokens = ["Shares", " could", " rally:", " revenue beat.\nGuidance", " raised."]
    fake = FakeLLM(stream_chunks(*tokens))
    resp = client_for(fake).get("/v1/news/commentary", params=GOOD)
    assert resp.status_code == 200, f"GET /v1/news/commentary must give 200, got {resp.status_code}: {resp.text[:200]}"
    assert resp.headers["content-type"].startswith("text/event-stream"), "SSE needs Content-Type text/event-stream"
    assert json.loads(fake.requests[0].content).get("stream") is True, "ask the provider to stream (stream: true)"
    datas = parse_sse(resp.text)
    assert datas[-1] == "[DONE]", f"the last frame must be `data: [DONE]`, got {datas[-1]!r}"
    try:
        texts = [json.loads(d)["text"] for d in datas[:-1]]
    except (ValueError, KeyError, TypeError):
        pytest.fail(f"each frame before [DONE] must be `data: {{\"text\": ...}}` JSON, got {datas[:-1]}")
    assert texts == tokens, f"tokens must arrive in order, one frame each, got {texts}"


def test_cors_allows_only_the_react_dev_server():
    client = client_for(FakeLLM("{}"))
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/v1/news/sentiment", headers={"Origin": "http://localhost:5173", **preflight})
    assert ok.status_code == 200, f"preflight from http://localhost:5173 must give 200, got {ok.status_code}"
    assert ok.headers.get("access-control-allow-origin") == "http://localhost:5173", (
        f"echo the exact origin, got {ok.headers.get('access-control-allow-origin')!r}"
    )
    evil = client.options("/v1/news/sentiment", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in evil.headers, "an unknown origin must get no Access-Control-Allow-Origin"


def resolve(spec, schema):
    while True:
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif len(schema.get("allOf", [])) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def test_openapi_contract_for_typescript_codegen():
    spec = client_for(FakeLLM("{}")).get("/openapi.json").json()
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
