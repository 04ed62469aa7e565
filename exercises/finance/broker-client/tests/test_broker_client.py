"""Verifier for broker-client: Alpaca-style orders and Polygon-style paging over an injected httpx transport."""
import json
from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from broker_client import AlpacaClient, BrokerUnavailable, OrderRejected, PolygonClient

KEY_ID, SECRET = "PK-test-key-id", "sk-very-secret-9f8e7d"
BASE = "https://paper-api.test"


class Upstream:
    """A scripted broker: each request gets the next response (or exception) from the script."""

    def __init__(self, *script):
        self.script, self.requests = list(script), []

    def __call__(self, request):
        self.requests.append(request)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item(request) if callable(item) else item

    def bodies(self):
        return [json.loads(r.content) for r in self.requests if r.content]


def ok(body=None):
    return httpx.Response(200, json=body if body is not None else {"id": "ord-1", "status": "accepted"})


def connect_error(request=None):
    return httpx.ConnectError("connection refused")


def alpaca(upstream, sleeps):
    return AlpacaClient(KEY_ID, SECRET, base_url=BASE, transport=httpx.MockTransport(upstream), sleep=sleeps.append)


def test_limit_order_exact_json_and_apca_headers():
    up, sleeps = Upstream(ok({"id": "ord-1", "client_order_id": "cid-1", "status": "accepted"})), []
    result = alpaca(up, sleeps).submit_order("AAPL", Decimal("10"), "buy", type="limit",
                                             limit_price=Decimal("187.25"), client_order_id="cid-1")
    assert len(up.requests) == 1, f"one request expected, got {len(up.requests)}"
    req = up.requests[0]
    assert req.method == "POST" and req.url.path == "/v2/orders", f"expected POST /v2/orders, got {req.method} {req.url.path}"
    assert req.headers.get("APCA-API-KEY-ID") == KEY_ID, "send the key id in the APCA-API-KEY-ID header"
    assert req.headers.get("APCA-API-SECRET-KEY") == SECRET, "send the secret in the APCA-API-SECRET-KEY header"
    body = json.loads(req.content)
    assert body == {"symbol": "AAPL", "qty": "10", "side": "buy", "type": "limit", "time_in_force": "day",
                    "limit_price": "187.25", "client_order_id": "cid-1"}, (
        f"the JSON body must be exact, with qty and limit_price as strings; got {body}"
    )
    assert result["id"] == "ord-1", "submit_order must return the broker's order JSON"
    assert sleeps == [], "no sleep on success"


def test_market_order_gets_a_client_order_id_and_no_limit_price():
    up = Upstream(ok())
    alpaca(up, []).submit_order("MSFT", 3, "sell")
    body = up.bodies()[0]
    assert "limit_price" not in body, f"a market order has no limit_price, got {body}"
    assert isinstance(body.get("client_order_id"), str) and body["client_order_id"], "generate a client_order_id"
    assert body["qty"] == "3", f"qty must be the string '3', got {body['qty']!r}"


def test_429_honours_retry_after():
    up, sleeps = Upstream(httpx.Response(429, headers={"Retry-After": "2"}, json={"message": "slow down"}), ok()), []
    alpaca(up, sleeps).submit_order("AAPL", 1, "buy")
    assert len(up.requests) == 2, f"a 429 must be retried once here, got {len(up.requests)} requests"
    assert sleeps == [2.0], f"Retry-After: 2 means sleep(2.0) before the retry, got {sleeps}"


def test_403_raises_order_rejected_without_retry():
    up, sleeps = Upstream(httpx.Response(403, json={"code": 40310000, "message": "insufficient buying power"})), []
    with pytest.raises(OrderRejected) as info:
        alpaca(up, sleeps).submit_order("AAPL", 1000, "buy")
    assert len(up.requests) == 1 and sleeps == [], "a 403 is final: no retry, no sleep"
    assert info.value.status_code == 403, "OrderRejected.status_code must be the HTTP status"
    assert "insufficient buying power" in str(info.value), "OrderRejected must carry the broker's message"


def test_connect_error_retry_reuses_client_order_id():
    up, sleeps = Upstream(connect_error(), ok()), []
    alpaca(up, sleeps).submit_order("AAPL", 1, "buy")
    ids = [b["client_order_id"] for b in up.bodies()]
    assert len(ids) == 2, f"a ConnectError must be retried, got {len(ids)} attempts"
    assert ids[0] == ids[1], f"a retry must resend the SAME client_order_id, got {ids}"
    assert sleeps == [0.5], f"the first retry waits backoff=0.5 s, got {sleeps}"


def test_duplicate_client_order_id_fetches_existing_order():
    existing = {"id": "ord-7", "client_order_id": "cid-7", "status": "filled"}
    up = Upstream(httpx.Response(422, json={"code": 40010001, "message": "client_order_id must be unique"}), ok(existing))
    result = alpaca(up, []).submit_order("AAPL", 1, "buy", client_order_id="cid-7")
    assert [r.method for r in up.requests] == ["POST", "GET"], "a duplicate-id 422 must be followed by one GET"
    get = up.requests[1]
    assert get.url.path == "/v2/orders:by_client_order_id", f"GET the order by client id, got {get.url.path}"
    assert get.url.params.get("client_order_id") == "cid-7", "pass client_order_id as a query parameter"
    assert result == existing, "return the existing order instead of failing"


def test_other_422_is_a_rejection():
    up = Upstream(httpx.Response(422, json={"code": 40010001, "message": "qty must be > 0"}))
    with pytest.raises(OrderRejected):
        alpaca(up, []).submit_order("AAPL", 1, "buy")
    assert len(up.requests) == 1, "a 422 that is not a duplicate id must not trigger a GET or a retry"


def test_three_503s_raise_broker_unavailable_without_leaking_the_secret():
    up, sleeps = Upstream(*[httpx.Response(503, text="upstream down")] * 3), []
    client = alpaca(up, sleeps)
    with pytest.raises(BrokerUnavailable) as info:
        client.submit_order("AAPL", 1, "buy")
    assert len(up.requests) == 3, f"give up after 3 attempts, got {len(up.requests)}"
    assert sleeps == [0.5, 1.0], f"exponential backoff 0.5 then 1.0, got {sleeps}"
    for text in (str(info.value), repr(info.value), repr(client)):
        assert SECRET not in text, f"the secret key leaked into an error or repr: {text}"


@pytest.mark.parametrize("kwargs", [
    dict(symbol="AAPL", qty=0, side="buy"),
    dict(symbol="AAPL", qty=-1, side="buy"),
    dict(symbol="AAPL", qty=1.5, side="buy"),
    dict(symbol="AAPL", qty=True, side="buy"),
    dict(symbol="AAPL", qty=1, side="hold"),
    dict(symbol="", qty=1, side="buy"),
    dict(symbol="AAPL", qty=1, side="buy", type="limit"),
    dict(symbol="AAPL", qty=1, side="buy", type="limit", limit_price=187.25),
    dict(symbol="AAPL", qty=1, side="buy", type="market", limit_price=Decimal("1")),
], ids=["qty0", "qty-neg", "qty-float", "qty-bool", "side-hold", "symbol-empty", "limit-no-price",
        "limit-float-price", "market-with-price"])
def test_invalid_order_sends_nothing(kwargs):
    up = Upstream(ok())
    with pytest.raises(ValueError):
        alpaca(up, []).submit_order(**kwargs)
    assert up.requests == [], "an invalid order must be rejected locally, before any HTTP request"


def polygon_pages():
    base = "https://api.polygon.test"
    page = lambda results, nxt: httpx.Response(200, json={"status": "OK", "results": results,
                                                          **({"next_url": nxt} if nxt else {})})
    bar = lambda t, c: {"t": t, "o": c, "h": c, "l": c, "c": c, "v": 1200}
    up = Upstream(
        page([bar(1709303400000, 187.1), bar(1709303460000, 187.2)], f"{base}/v2/aggs/ticker/AAPL/range/1/minute/1709303460000/1709310600000?cursor=p2"),
        page([bar(1709303520000, 187.3)], f"{base}/v2/aggs/ticker/AAPL/range/1/minute/1709303520000/1709310600000?cursor=p3"),
        page([bar(1709303580000, 187.4)], None),
    )
    client = PolygonClient("poly-secret", base_url=base, transport=httpx.MockTransport(up), sleep=lambda s: None)
    return up, client.get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-01")


def test_polygon_follows_next_url_with_auth():
    up, aggs = polygon_pages()
    assert len(up.requests) == 3, f"follow next_url until it is absent: expected 3 requests, got {len(up.requests)}"
    first = up.requests[0]
    assert first.url.path == "/v2/aggs/ticker/AAPL/range/1/minute/2024-03-01/2024-03-01", f"wrong path {first.url.path}"
    assert first.url.params.get("sort") == "asc" and first.url.params.get("adjusted") == "true", "send adjusted=true&sort=asc"
    assert [r.url.params.get("cursor") for r in up.requests[1:]] == ["p2", "p3"], "request each next_url as given"
    for r in up.requests:
        assert r.headers.get("Authorization") == "Bearer poly-secret", "every page needs Authorization: Bearer <key>"
        assert "poly-secret" not in str(r.url), "never put the API key in the URL"
    assert len(aggs) == 4, f"expected the 4 bars of all pages, got {len(aggs)}"


def test_polygon_ms_timestamps_become_utc_and_prices_stay_exact():
    _, aggs = polygon_pages()
    assert aggs[0].ts == datetime(2024, 3, 1, 14, 30, tzinfo=timezone.utc), f"t=1709303400000 ms is 14:30Z, got {aggs[0].ts!r}"
    assert aggs[0].ts.utcoffset() is not None and aggs[0].ts.utcoffset().total_seconds() == 0, "timestamps must be aware UTC"
    assert [a.ts.minute for a in aggs] == [30, 31, 32, 33], "bars must stay in order across pages"
    assert isinstance(aggs[0].close, Decimal) and aggs[0].close == Decimal("187.1"), (
        f"close must be exactly Decimal('187.1') (parse JSON numbers with parse_float=Decimal), got {aggs[0].close!r}"
    )
    assert aggs[3].volume == 1200, "volume must be kept"
