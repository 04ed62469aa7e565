"""Verifier for broker-client: Alpaca-style orders and Massive-style (formerly Polygon.io) aggregate paging.

Every request is checked as the client sent it (an `httpx.MockTransport` records it), every wait through the
injected `sleep`. URLs are compared whole: httpx 0.23 and 0.28 treat `params=` on a URL that already has a query
differently (merge vs replace), so only a client that sends exactly the `next_url` passes on both.
"""
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
from roadmap_pytest import raises

from broker_client import AlpacaClient, BrokerError, BrokerUnavailable, OrderRejected, PolygonClient

rule = pytest.mark.rule
KEY_ID, SECRET = "PK-test-key-id", "sk-very-secret-9f8e7d"
POLY_KEY = "poly-secret-77c1"
BASE = "https://paper-api.test"
POLY = "https://api.massive.test"
UTC = timezone.utc


class Upstream:
    """A scripted upstream: each request gets the next response (or raises the next exception) of the script;
    once the script is used up its last item repeats, so a client that retries too often still gets answers."""

    def __init__(self, *script):
        self.script, self.requests = list(script), []

    def __call__(self, request):
        self.requests.append(request)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        # A fresh copy each time: the same scripted answer may be served more than once.
        return httpx.Response(item.status_code, headers=item.headers, content=item.content)

    def bodies(self):
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]


def ok(body=None):
    return httpx.Response(200, json=body if body is not None else {"id": "ord-1", "status": "accepted"})


def status(code, message="nope", headers=None):
    return httpx.Response(code, json={"code": 40000000 + code, "message": message}, headers=headers or {})


def alpaca(upstream, sleeps=None, **kwargs):
    sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
    return AlpacaClient(KEY_ID, SECRET, base_url=BASE, transport=httpx.MockTransport(upstream), sleep=sleep, **kwargs)


def submitted(**kwargs):
    """Submit one order (market buy of 1 AAPL unless overridden) against a 200; return the JSON body sent."""
    order = dict(symbol="AAPL", qty=1, side="buy")
    order.update(kwargs)
    up = Upstream(ok())
    alpaca(up).submit_order(order.pop("symbol"), order.pop("qty"), order.pop("side"), **order)
    assert len(up.requests) == 1, f"a valid order is one POST, got {len(up.requests)} requests for {kwargs}"
    return up.bodies()[0]


# --- the order request -------------------------------------------------------------------------------------------

@rule("order-request", "amounts-as-strings")
def test_limit_order_body_is_exact_and_the_answer_is_returned():
    answer = {"id": "ord-1", "client_order_id": "cid-1", "status": "accepted"}
    up = Upstream(ok(answer))
    result = alpaca(up).submit_order("AAPL", Decimal("10"), "buy", type="limit", limit_price=Decimal("187.25"),
                                     client_order_id="cid-1")
    assert len(up.requests) == 1, f"one request expected, got {len(up.requests)}"
    req = up.requests[0]
    assert (req.method, req.url.path) == ("POST", "/v2/orders"), f"expected POST /v2/orders, got {req.method} {req.url.path}"
    body = json.loads(req.content)
    assert body == {"symbol": "AAPL", "qty": "10", "side": "buy", "type": "limit", "time_in_force": "day",
                    "limit_price": "187.25", "client_order_id": "cid-1"}, (
        f"the JSON body must be exactly the README's example, with qty and limit_price as strings; got {body}"
    )
    assert result == answer, f"submit_order must return the broker's JSON answer, got {result!r}"


@rule("order-request")
def test_market_order_body_has_exactly_the_market_keys():
    body = submitted(symbol="MSFT", qty=3, side="sell", time_in_force="gtc", client_order_id="cid-9")
    assert sorted(body) == ["client_order_id", "qty", "side", "symbol", "time_in_force", "type"], (
        f"a market order sends exactly symbol, qty, side, type, time_in_force, client_order_id (no limit_price key,"
        f" not even null); got keys {sorted(body)}"
    )
    got = {k: body[k] for k in ("symbol", "side", "type", "time_in_force", "client_order_id")}
    assert got == {"symbol": "MSFT", "side": "sell", "type": "market", "time_in_force": "gtc",
                   "client_order_id": "cid-9"}, f"the values must be sent as given (type defaults to market), got {got}"


@rule("amounts-as-strings")
@pytest.mark.parametrize("kwargs,field,wire", [
    (dict(qty=3), "qty", "3"),
    (dict(qty=Decimal("0.5")), "qty", "0.5"),
    (dict(qty=Decimal("10")), "qty", "10"),
    (dict(type="limit", limit_price=Decimal("187.25")), "limit_price", "187.25"),
    (dict(type="limit", limit_price=Decimal("0.10")), "limit_price", "0.10"),
    (dict(type="limit", limit_price=187), "limit_price", "187"),
], ids=["qty-int", "qty-fraction", "qty-decimal", "price-decimal", "price-trailing-zero", "price-int"])
def test_amounts_go_out_as_exact_strings(kwargs, field, wire):
    body = submitted(**kwargs)
    assert body.get(field) == wire, (
        f"{field} {kwargs[field]!r} must go out as the JSON string {wire!r} (str of the value), got {body.get(field)!r}"
    )


@rule("apca-headers")
def test_apca_headers_on_the_order_and_on_the_lookup():
    up = Upstream(ok(), ok({"id": "ord-2", "client_order_id": "cid-2"}))
    client = alpaca(up)
    client.submit_order("AAPL", 1, "buy")
    client.get_order_by_client_id("cid-2")
    assert len(up.requests) == 2, f"one POST and one GET expected, got {len(up.requests)} requests"
    for req in up.requests:
        assert req.headers.get("APCA-API-KEY-ID") == KEY_ID, f"{req.method} must send APCA-API-KEY-ID: <key_id>"
        assert req.headers.get("APCA-API-SECRET-KEY") == SECRET, f"{req.method} must send APCA-API-SECRET-KEY: <secret_key>"


# --- local validation --------------------------------------------------------------------------------------------

def invalid(rule_id, ident, **kwargs):
    return pytest.param(kwargs, id=ident, marks=rule(rule_id))


@pytest.mark.parametrize("kwargs", [
    invalid("symbol-upper-case", "symbol-empty", symbol=""),
    invalid("symbol-upper-case", "symbol-lower", symbol="aapl"),
    invalid("symbol-upper-case", "symbol-mixed", symbol="Aapl"),
    invalid("symbol-upper-case", "symbol-space", symbol=" AAPL"),
    invalid("symbol-upper-case", "symbol-newline", symbol="AAPL\n"),
    invalid("symbol-upper-case", "symbol-none", symbol=None),
    invalid("qty-positive", "qty-0", qty=0),
    invalid("qty-positive", "qty-negative", qty=-1),
    invalid("qty-positive", "qty-decimal-0", qty=Decimal("0")),
    invalid("qty-positive", "qty-decimal-negative", qty=Decimal("-0.5")),
    invalid("qty-positive", "qty-nan", qty=Decimal("NaN")),
    invalid("qty-positive", "qty-infinity", qty=Decimal("Infinity")),
    invalid("qty-positive", "qty-float", qty=1.5),
    invalid("qty-positive", "qty-bool", qty=True),
    invalid("qty-positive", "qty-str", qty="10"),
    invalid("side-buy-sell", "side-hold", side="hold"),
    invalid("side-buy-sell", "side-upper", side="BUY"),
    invalid("side-buy-sell", "side-empty", side=""),
    invalid("time-in-force", "tif-gtd", time_in_force="gtd"),
    invalid("time-in-force", "tif-upper", time_in_force="DAY"),
    invalid("time-in-force", "tif-opg", time_in_force="opg"),
    invalid("time-in-force", "tif-cls", time_in_force="cls"),
    invalid("order-type-and-limit-price", "limit-no-price", type="limit"),
    invalid("order-type-and-limit-price", "limit-float-price", type="limit", limit_price=187.25),
    invalid("order-type-and-limit-price", "limit-zero-price", type="limit", limit_price=Decimal("0")),
    invalid("order-type-and-limit-price", "limit-negative-price", type="limit", limit_price=Decimal("-1")),
    invalid("order-type-and-limit-price", "limit-bool-price", type="limit", limit_price=True),
    invalid("order-type-and-limit-price", "limit-nan-price", type="limit", limit_price=Decimal("NaN")),
    invalid("order-type-and-limit-price", "limit-infinite-price", type="limit", limit_price=Decimal("Infinity")),
    invalid("order-type-and-limit-price", "market-with-price", type="market", limit_price=Decimal("1")),
    invalid("order-type-and-limit-price", "type-stop", type="stop"),
    invalid("order-type-and-limit-price", "type-upper", type="LIMIT", limit_price=Decimal("1")),
])
def test_invalid_order_raises_value_error_and_sends_nothing(kwargs):
    order = dict(symbol="AAPL", qty=1, side="buy")
    order.update(kwargs)
    up = Upstream(ok())
    with raises(ValueError, f"submit_order with {kwargs} must raise ValueError"):
        alpaca(up).submit_order(order.pop("symbol"), order.pop("qty"), order.pop("side"), **order)
    assert up.requests == [], f"an invalid order ({kwargs}) must be refused locally, before any HTTP request"


def valid(rule_id, ident, field, **kwargs):
    return pytest.param(kwargs, field, id=ident, marks=rule(rule_id))


@pytest.mark.parametrize("kwargs,field", [
    valid("symbol-upper-case", "symbol-class-share", "symbol", symbol="BRK.B"),
    valid("qty-positive", "qty-fraction", "qty", qty=Decimal("0.5")),
    valid("side-buy-sell", "side-buy", "side", side="buy"),
    valid("side-buy-sell", "side-sell", "side", side="sell"),
    valid("time-in-force", "tif-day", "time_in_force", time_in_force="day"),
    valid("time-in-force", "tif-gtc", "time_in_force", time_in_force="gtc"),
    valid("time-in-force", "tif-ioc", "time_in_force", time_in_force="ioc"),
    valid("time-in-force", "tif-fok", "time_in_force", time_in_force="fok"),
    valid("order-type-and-limit-price", "limit-int-price", "type", type="limit", limit_price=187),
])
def test_valid_values_are_accepted_and_sent(kwargs, field):
    body = submitted(**kwargs)
    sent = body.get(field)
    want = str(kwargs[field])
    assert sent == want, f"the valid value {kwargs[field]!r} must be accepted and sent as {want!r}, got {sent!r}"


# --- client_order_id and retries ---------------------------------------------------------------------------------

@rule("client-order-id")
def test_each_order_gets_its_own_generated_id_and_a_given_id_is_kept():
    up = Upstream(ok())
    client = alpaca(up)
    client.submit_order("AAPL", 1, "buy")
    client.submit_order("AAPL", 1, "buy")
    client.submit_order("AAPL", 1, "buy", client_order_id="my-own-id")
    client.submit_order("AAPL", 1, "buy", client_order_id=" cid 42 ")
    ids = [b.get("client_order_id") for b in up.bodies()]
    assert all(isinstance(i, str) and i for i in ids[:2]), f"without an id, generate a non-empty string id, got {ids[:2]}"
    assert ids[0] != ids[1], f"two orders must never share a generated client_order_id, got {ids[:2]}"
    assert ids[2] == "my-own-id", f"a given client_order_id must be sent unchanged, got {ids[2]!r}"
    assert ids[3] == " cid 42 ", (
        f"a given client_order_id must be sent exactly as given, spaces included (the client never fixes it),"
        f" got {ids[3]!r} for ' cid 42 '"
    )


@rule("client-order-id")
def test_an_empty_client_order_id_counts_as_none():
    up = Upstream(ok())
    alpaca(up).submit_order("AAPL", 1, "buy", client_order_id="")
    sent = up.bodies()[0].get("client_order_id")
    assert isinstance(sent, str) and sent, (
        f"client_order_id='' is no id: generate one as when none is given (never send an empty id), got {sent!r}"
    )


@rule("same-id-on-retry")
@pytest.mark.parametrize("given", [None, "cid-given"], ids=["generated", "given"])
def test_every_retry_resends_the_same_client_order_id(given):
    up = Upstream(httpx.ConnectError("connection refused"), status(503, "busy"), ok())
    alpaca(up).submit_order("AAPL", 1, "buy", client_order_id=given)
    bodies = up.bodies()
    assert len(bodies) == 3, f"a ConnectError and a 503 are retried: expected 3 attempts, got {len(bodies)}"
    ids = [b["client_order_id"] for b in bodies]
    assert len(set(ids)) == 1, f"every retry must resend the SAME client_order_id, got {ids}"
    assert bodies[0] == bodies[1] == bodies[2], "every retry must resend the same body"
    if given:
        assert ids[0] == given, f"the given id must be the one sent, got {ids[0]!r}"


@rule("retryable-failures")
@pytest.mark.parametrize("failure", [
    status(429, "rate limit"), status(500), status(502), status(503), status(504),
    httpx.ConnectError("connection refused"), httpx.ReadTimeout("read timed out"),
    httpx.RemoteProtocolError("server disconnected"),
], ids=["429", "500", "502", "503", "504", "ConnectError", "ReadTimeout", "RemoteProtocolError"])
def test_each_transient_failure_is_retried(failure):
    up, sleeps = Upstream(failure, ok({"id": "ord-5"})), []
    result = alpaca(up, sleeps).submit_order("AAPL", 1, "buy")
    assert len(up.requests) == 2, f"{failure!r} is transient: it must be retried once, got {len(up.requests)} requests"
    assert len(sleeps) == 1, f"one retry means one sleep before it, got {sleeps}"
    assert result == {"id": "ord-5"}, f"the retry's answer must be returned, got {result!r}"


@rule("retryable-failures")
def test_the_lookup_by_client_id_is_retried_too():
    found = {"id": "ord-4", "client_order_id": "cid-4"}
    up, sleeps = Upstream(status(503, "busy"), httpx.ConnectError("connection refused"), ok(found)), []
    result = alpaca(up, sleeps).get_order_by_client_id("cid-4")
    assert len(up.requests) == 3 and len(sleeps) == 2, (
        f"get_order_by_client_id retries a 503 and a ConnectError like submit_order: expected 3 requests and 2"
        f" sleeps, got {len(up.requests)} requests and sleeps {sleeps}"
    )
    assert result == found, f"the retry's answer must be returned, got {result!r}"


@rule("final-rejection")
@pytest.mark.parametrize("code,message", [
    (400, "invalid order"), (401, "request is not authorized"), (403, "insufficient buying power"),
    (404, "asset not found"), (408, "request timeout"), (409, "conflict"),
])
def test_final_4xx_raises_order_rejected_at_once(code, message):
    up, sleeps = Upstream(status(code, message), ok()), []
    with raises(OrderRejected, f"a {code} must raise OrderRejected") as info:
        alpaca(up, sleeps).submit_order("AAPL", 1000, "buy")
    assert len(up.requests) == 1 and sleeps == [], f"a {code} is final: no retry, no sleep; got {len(up.requests)} requests"
    assert info.value.status_code == code, f"OrderRejected.status_code must be {code}, got {info.value.status_code}"
    assert message in str(info.value), f"OrderRejected must carry the broker's message {message!r}, got {str(info.value)!r}"


@rule("final-rejection")
@pytest.mark.parametrize("answer", [
    httpx.Response(403, content=b"<html><body><h1>403 Forbidden</h1></body></html>",
                   headers={"Content-Type": "text/html"}),
    httpx.Response(400, json=["qty", "must be > 0"]),
    httpx.Response(404, content=b"not found", headers={"Content-Type": "text/plain"}),
], ids=["403-html", "400-json-list", "404-text"])
def test_a_4xx_whose_body_is_not_a_json_object_is_still_a_rejection(answer):
    up, sleeps = Upstream(answer, ok()), []
    with raises(OrderRejected, f"a {answer.status_code} whose body is not a JSON object (an HTML error page from a"
                               f" proxy, a JSON list, plain text) must still raise OrderRejected"
                               f" (not a JSON decoding or attribute error)") as info:
        alpaca(up, sleeps).submit_order("AAPL", 1, "buy")
    assert len(up.requests) == 1 and sleeps == [], f"a {answer.status_code} is final: no retry, no sleep"
    assert info.value.status_code == answer.status_code, (
        f"OrderRejected.status_code must be {answer.status_code}, got {info.value.status_code}"
    )


@rule("order-request")
@pytest.mark.parametrize("code", [201, 202])
def test_every_2xx_answer_returns_the_json(code):
    answer = {"id": "ord-6", "status": "accepted"}
    up = Upstream(httpx.Response(code, json=answer))
    result = alpaca(up).submit_order("AAPL", 1, "buy")
    assert len(up.requests) == 1, f"a {code} is a success: one request, got {len(up.requests)}"
    assert result == answer, f"a {code} is a 2xx success: submit_order must return its JSON, got {result!r}"


@rule("final-rejection", "duplicate-id-fetches")
@pytest.mark.parametrize("message", ["qty must be > 0", "client_order_id is too long", "symbol must be unique"])
def test_a_422_that_is_not_a_duplicate_id_is_a_rejection(message):
    up, sleeps = Upstream(status(422, message), ok()), []
    with raises(OrderRejected, f"a 422 saying {message!r} must raise OrderRejected") as info:
        alpaca(up, sleeps).submit_order("AAPL", 1, "buy")
    assert len(up.requests) == 1 and sleeps == [], (
        f"a 422 that does not say client_order_id AND unique must not be retried or followed by a GET;"
        f" got {[r.method for r in up.requests]}"
    )
    assert info.value.status_code == 422 and message in str(info.value), "OrderRejected(422, <broker message>)"


@rule("final-rejection", "duplicate-id-fetches")
@pytest.mark.parametrize("code", [400, 409])
def test_a_duplicate_id_message_on_another_4xx_is_a_rejection(code):
    up, sleeps = Upstream(status(code, "client_order_id must be unique"), ok()), []
    with raises(OrderRejected, f"only a 422 means a duplicate id: a {code} saying 'client_order_id must be unique'"
                               f" must raise OrderRejected"):
        alpaca(up, sleeps).submit_order("AAPL", 1, "buy", client_order_id="cid-9")
    assert [r.method for r in up.requests] == ["POST"] and sleeps == [], (
        f"a {code} is final whatever it says: one POST, no GET, no sleep; got {[r.method for r in up.requests]}"
    )


@rule("retry-after")
@pytest.mark.parametrize("code,header,want", [(429, "2", 2.0), (503, "3", 3.0), (429, "0", 0.0)],
                         ids=["429-2s", "503-3s", "429-0s"])
def test_retry_after_is_honoured(code, header, want):
    up, sleeps = Upstream(status(code, "slow down", headers={"Retry-After": header}), ok()), []
    alpaca(up, sleeps).submit_order("AAPL", 1, "buy")
    assert len(up.requests) == 2, f"a {code} must be retried, got {len(up.requests)} requests"
    assert sleeps == [want], f"Retry-After: {header} on a {code} means sleep({want}) before the retry, got {sleeps}"


@rule("exponential-backoff")
def test_backoff_doubles_from_backoff_over_four_retries():
    up, sleeps = Upstream(*[status(503)] * 4, ok()), []
    alpaca(up, sleeps, max_attempts=5, backoff=0.25).submit_order("AAPL", 1, "buy")
    assert sleeps == [0.25, 0.5, 1.0, 2.0], (
        f"with backoff=0.25 the waits double: 0.25, 0.5, 1.0, 2.0 (backoff * 2 ** (n - 1)); got {sleeps}"
    )


@rule("exponential-backoff")
def test_default_backoff_is_half_a_second_then_one():
    up, sleeps = Upstream(httpx.ConnectError("refused"), status(500), ok()), []
    alpaca(up, sleeps).submit_order("AAPL", 1, "buy")
    assert sleeps == [0.5, 1.0], f"the default backoff=0.5 waits 0.5 then 1.0, got {sleeps}"


@rule("retry-after", "exponential-backoff")
def test_backoff_counts_attempts_even_after_a_retry_after():
    up, sleeps = Upstream(status(429, "slow", headers={"Retry-After": "2"}), status(503), ok()), []
    alpaca(up, sleeps).submit_order("AAPL", 1, "buy")
    assert sleeps == [2.0, 1.0], (
        f"attempt 1 waits Retry-After (2.0); attempt 2 has no header, so it waits backoff * 2 ** 1 = 1.0; got {sleeps}"
    )


@rule("max-attempts")
@pytest.mark.parametrize("max_attempts,failure", [
    (3, status(503)), (1, status(503)), (4, httpx.ConnectError("refused")), (2, status(429, "slow")),
], ids=["default-3x503", "1-attempt", "4xConnectError", "2x429"])
def test_gives_up_after_max_attempts(max_attempts, failure):
    up, sleeps = Upstream(*[failure] * max_attempts, ok()), []
    kwargs = {} if max_attempts == 3 else {"max_attempts": max_attempts}
    with raises(BrokerUnavailable, f"{max_attempts} failed attempts must raise BrokerUnavailable"):
        alpaca(up, sleeps, **kwargs).submit_order("AAPL", 1, "buy")
    assert len(up.requests) == max_attempts, f"max_attempts={max_attempts} allows {max_attempts} requests, got {len(up.requests)}"
    assert len(sleeps) == max_attempts - 1, f"no sleep after the last attempt: expected {max_attempts - 1} sleeps, got {sleeps}"


# --- duplicate id and lookup -------------------------------------------------------------------------------------

@rule("duplicate-id-fetches")
def test_duplicate_client_order_id_fetches_the_existing_order():
    existing = {"id": "ord-7", "client_order_id": "cid-7", "status": "filled"}
    up = Upstream(status(422, "client_order_id must be unique"), ok(existing))
    result = alpaca(up).submit_order("AAPL", 1, "buy", client_order_id="cid-7")
    assert [r.method for r in up.requests] == ["POST", "GET"], "a duplicate-id 422 must be followed by one GET"
    assert up.requests[1].url.params.get("client_order_id") == "cid-7", "look the order up by the id that was sent"
    assert result == existing, f"return the existing order instead of failing, got {result!r}"


@rule("duplicate-id-fetches", "client-order-id")
def test_the_duplicate_lookup_uses_the_given_id_exactly_as_sent():
    existing = {"id": "ord-9", "client_order_id": " cid 9 ", "status": "filled"}
    up = Upstream(status(422, "client_order_id must be unique"), ok(existing))
    result = alpaca(up).submit_order("AAPL", 1, "buy", client_order_id=" cid 9 ")
    assert [r.method for r in up.requests] == ["POST", "GET"], "a duplicate-id 422 must be followed by one GET"
    looked_up = up.requests[1].url.params.get("client_order_id")
    assert looked_up == " cid 9 ", (
        f"look the order up by exactly the id that was sent (' cid 9 ', spaces kept), got {looked_up!r}"
    )
    assert result == existing, f"return the existing order instead of failing, got {result!r}"


@rule("duplicate-id-fetches", "same-id-on-retry")
def test_lost_response_then_duplicate_looks_up_the_generated_id():
    existing = {"id": "ord-8", "status": "new"}
    up = Upstream(httpx.ReadTimeout("the order went out, the answer never came"),
                  status(422, "client_order_id must be unique"), ok(existing))
    result = alpaca(up).submit_order("AAPL", 1, "buy")
    posted = [b["client_order_id"] for b in up.bodies()]
    assert [r.method for r in up.requests] == ["POST", "POST", "GET"], (
        f"a timeout is retried, and the duplicate-id 422 is followed by a GET; got {[r.method for r in up.requests]}"
    )
    assert posted[0] == posted[1] == up.requests[2].url.params.get("client_order_id"), (
        f"the retry and the lookup must use the id generated for this order, got POSTs {posted} and GET"
        f" {up.requests[2].url.params.get('client_order_id')!r}"
    )
    assert result == existing, "return the order the first attempt created"


@rule("get-by-client-id")
def test_get_order_by_client_id():
    found = {"id": "ord-3", "client_order_id": "cid-3"}
    up = Upstream(ok(found), status(404, "order not found"))
    client = alpaca(up)
    assert client.get_order_by_client_id("cid-3") == found, "return the broker's JSON for the order"
    req = up.requests[0]
    assert (req.method, req.url.path) == ("GET", "/v2/orders:by_client_order_id"), (
        f"expected GET /v2/orders:by_client_order_id, got {req.method} {req.url.path}"
    )
    assert dict(req.url.params) == {"client_order_id": "cid-3"}, f"pass the id as ?client_order_id=, got {req.url.params}"
    with raises(OrderRejected, "an unknown client id (404) must raise OrderRejected") as info:
        client.get_order_by_client_id("nope")
    assert info.value.status_code == 404, f"OrderRejected.status_code must be 404, got {info.value.status_code}"


# --- secrets -----------------------------------------------------------------------------------------------------

def assert_no_secret(secret, exc, client):
    texts = [str(exc), repr(exc), repr(exc.args), str(getattr(exc, "message", "")), repr(client)]
    for text in texts:
        assert secret not in text, f"the secret leaked into an exception or a client repr: {text}"


@rule("no-secret-leak")
@pytest.mark.parametrize("failure", [
    status(503, "upstream down"), httpx.ConnectError("connection refused"),
    httpx.ConnectError(f"connection refused: {BASE}/v2/orders?secret={SECRET}"),
], ids=["503s", "ConnectErrors", "ConnectErrors-naming-the-key"])
def test_alpaca_gives_up_without_leaking_the_secret(failure):
    client = alpaca(Upstream(failure))
    with raises(BrokerUnavailable, "transient failures on every attempt must raise BrokerUnavailable") as info:
        client.submit_order("AAPL", 1, "buy")
    assert_no_secret(SECRET, info.value, client)


@rule("no-secret-leak")
def test_an_error_body_that_echoes_the_secret_does_not_leak_it():
    client = alpaca(Upstream(status(401, f"invalid key pair: {KEY_ID} / {SECRET}")))
    with raises(OrderRejected, "a 401 must raise OrderRejected") as info:
        client.submit_order("AAPL", 1, "buy")
    assert info.value.status_code == 401, f"OrderRejected.status_code must be 401, got {info.value.status_code}"
    assert_no_secret(SECRET, info.value, client)


@rule("no-secret-leak")
@pytest.mark.parametrize("answer", [
    httpx.Response(401, content=f"invalid key pair {KEY_ID} / {SECRET}".encode(),
                   headers={"Content-Type": "text/plain"}),
    httpx.Response(403, content=f"<html><p>denied: {SECRET}</p></html>".encode(),
                   headers={"Content-Type": "text/html"}),
], ids=["401-text", "403-html"])
def test_an_error_body_that_is_not_json_and_echoes_the_secret_does_not_leak_it(answer):
    client = alpaca(Upstream(answer))
    with raises(OrderRejected, f"a {answer.status_code} must raise OrderRejected") as info:
        client.submit_order("AAPL", 1, "buy")
    assert_no_secret(SECRET, info.value, client)


@pytest.mark.parametrize("answer", [
    pytest.param(httpx.Response(503, json={"error": f"overloaded, key {POLY_KEY}"}), id="503s",
                 marks=rule("no-secret-leak")),
    pytest.param(httpx.Response(401, json={"status": "ERROR", "error": f"Unknown API Key {POLY_KEY}",
                                           "message": f"Unknown API Key {POLY_KEY}"}), id="401-echo",
                 marks=rule("no-secret-leak", "polygon-errors")),
    pytest.param(httpx.ReadTimeout(f"timed out reading {POLY}/v2/aggs/ticker/AAPL?apiKey={POLY_KEY}"),
                 id="ReadTimeouts-naming-the-key", marks=rule("no-secret-leak", "polygon-retries")),
])
def test_massive_errors_do_not_leak_the_api_key(answer):
    client = PolygonClient(POLY_KEY, base_url=POLY, transport=httpx.MockTransport(Upstream(answer)),
                           sleep=lambda seconds: None)
    what = f"{answer.status_code}" if isinstance(answer, httpx.Response) else f"{type(answer).__name__} on every attempt"
    with raises(BrokerError, f"an aggregates {what} must raise a BrokerError") as info:
        client.get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")
    assert_no_secret(POLY_KEY, info.value, client)


# --- Massive (formerly Polygon.io) aggregates --------------------------------------------------------------------

def page(results, next_url=..., **extra):
    body = {"status": "OK", **extra}
    if results is not None:
        body["results"] = results
    if next_url is not ...:
        body["next_url"] = next_url
    return httpx.Response(200, json=body)


def bar(t, price, volume):
    return {"t": t, "o": price, "h": price, "l": price, "c": price, "v": volume}


T0 = 1709303400000  # 2024-03-01T14:30:00Z
NEXT_2 = f"{POLY}/v2/aggs/ticker/AAPL/range/1/minute/1709303460000/1709393400000?cursor=YWZ0ZXI9Mg"
NEXT_3 = f"{POLY}/v2/aggs/ticker/AAPL/range/1/minute/1709303520000/1709393400000?cursor=YWZ0ZXI9Mw"


def massive(upstream, sleeps=None, **kwargs):
    sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
    return PolygonClient(POLY_KEY, base_url=POLY, transport=httpx.MockTransport(upstream), sleep=sleep, **kwargs)


def three_pages(last_next_url=...):
    up = Upstream(
        page([bar(T0, 187.1, 1), bar(T0 + 60_000, 187.2, 2)], NEXT_2),
        page([bar(T0 + 120_000, 187.3, 3)], NEXT_3),
        page([bar(T0 + 180_000, 187.4, 4)], last_next_url),
    )
    return up, massive(up).get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")


@rule("polygon-first-request")
def test_first_request_path_and_query():
    up = Upstream(page([bar(T0, 410.5, 100)]))
    massive(up).get_aggs("MSFT", 5, "minute", "2024-03-01", "2024-03-05")
    first = up.requests[0]
    assert first.method == "GET", f"aggregates are a GET, got {first.method}"
    assert first.url.path == "/v2/aggs/ticker/MSFT/range/5/minute/2024-03-01/2024-03-05", (
        f"the path is /v2/aggs/ticker/{{ticker}}/range/{{multiplier}}/{{timespan}}/{{start}}/{{end}}, got {first.url.path}"
    )
    query = {k: first.url.params.get(k) for k in ("adjusted", "sort", "limit")}
    assert query == {"adjusted": "true", "sort": "asc", "limit": "50000"}, (
        f"the first request needs adjusted=true&sort=asc&limit=50000, got {query}"
    )


@rule("polygon-next-url")
@pytest.mark.parametrize("last", [..., None], ids=["last-page-without-next_url", "last-page-next_url-null"])
def test_next_url_is_followed_exactly_and_bars_keep_their_order(last):
    up, aggs = three_pages(last)
    urls = [str(r.url) for r in up.requests]
    assert len(urls) == 3, f"follow next_url until a page has none: expected 3 requests, got {urls}"
    assert urls[1:] == [NEXT_2, NEXT_3], (
        f"each next_url must be requested exactly as given, adding and dropping no query parameter"
        f" (pass no params= for those pages); expected {[NEXT_2, NEXT_3]}, got {urls[1:]}"
    )
    got = [int(a.volume) for a in aggs]
    assert got == [1, 2, 3, 4], (
        f"the bars of every page, in the order received, page after page: expected the bars with volumes"
        f" [1, 2, 3, 4], got {got}"
    )


FOREIGN_PATH = "/v2/aggs/ticker/AAPL/range/1/minute/1709303460000/1709393400000?cursor=Mg"


@rule("polygon-next-url")
@pytest.mark.parametrize("origin, host", [
    ("https://api.polygon.test", "api.polygon.test"),
    ("https://api.massive.test.evil.test", "api.massive.test.evil.test"),
    ("https://api.massive.test@evil.test", "evil.test"),
    ("http://api.massive.test", "api.massive.test"),
    ("https://api.massive.test:8443", "api.massive.test"),
], ids=["another-host", "look-alike-host", "userinfo-trick", "plain-http", "another-port"])
def test_a_next_url_on_another_origin_is_refused_and_gets_no_request(origin, host):
    foreign = origin + FOREIGN_PATH
    up = Upstream(page([bar(T0, 187.1, 1)], foreign), page([bar(T0 + 60_000, 187.2, 2)]))
    client = massive(up)
    with raises(BrokerError, f"a next_url on another origin than base_url {POLY} ({foreign}) must raise BrokerError"
                             f" instead of being followed: every request carries the API key, and that host must"
                             f" never get it") as info:
        client.get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")
    sent = [str(r.url) for r in up.requests]
    assert len(sent) == 1, (
        f"only the first page may be requested: send nothing for a next_url on another origin (scheme, host and"
        f" port must all be base_url's), not even its path on base_url; got {sent}"
    )
    assert host in str(info.value), (
        f"the BrokerError must name the foreign host {host!r} so the caller can see where next_url pointed;"
        f" got {str(info.value)!r}"
    )


@rule("polygon-bearer-auth")
def test_bearer_auth_on_every_page_and_never_in_a_url():
    up, _ = three_pages()
    for r in up.requests:
        assert r.headers.get("Authorization") == f"Bearer {POLY_KEY}", (
            f"every request needs Authorization: Bearer <api_key>; {r.url} had {r.headers.get('Authorization')!r}"
        )
        assert POLY_KEY not in str(r.url), f"never put the API key in a URL: {r.url}"


@rule("polygon-missing-results")
def test_a_page_without_results_adds_nothing_and_paging_goes_on():
    up = Upstream(
        page([bar(T0, 187.1, 1)], NEXT_2),
        page(None, NEXT_3, resultsCount=0),
        page([bar(T0 + 180_000, 187.4, 4)]),
    )
    aggs = massive(up).get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")
    assert len(up.requests) == 3, f"a page without results still has a next_url to follow: expected 3 requests, got {len(up.requests)}"
    assert [int(a.volume) for a in aggs] == [1, 4], (
        f"a page without a results key contributes no bars: expected the bars with volumes [1, 4],"
        f" got {[int(a.volume) for a in aggs]}"
    )


@rule("polygon-utc-ms")
def test_millisecond_timestamps_become_aware_utc():
    up = Upstream(page([bar(T0 + 123, 187.1, 1), bar(T0 + 60_000, 187.2, 2)]))
    aggs = massive(up).get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")
    expected = [datetime(2024, 3, 1, 14, 30, 0, 123000, tzinfo=UTC), datetime(2024, 3, 1, 14, 31, tzinfo=UTC)]
    for agg, want in zip(aggs, expected):
        assert agg.ts.tzinfo is not None and agg.ts.utcoffset() == timedelta(0), (
            f"ts must be an aware datetime in UTC (offset zero), got {agg.ts!r}"
        )
        assert agg.ts == want, f"t is milliseconds since the epoch: expected {want.isoformat()}, got {agg.ts!r}"


@rule("polygon-decimal")
def test_prices_and_volume_are_exact_decimals():
    raw = {"t": T0, "o": 187.1, "h": 187.25, "l": 186.9, "c": 187.12, "v": 1200.5}
    up = Upstream(page([raw, bar(T0 + 60_000, 190, volume=800)]))
    aggs = massive(up).get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")
    first = aggs[0]
    got = dict(open=first.open, high=first.high, low=first.low, close=first.close, volume=first.volume)
    want = dict(open=Decimal("187.1"), high=Decimal("187.25"), low=Decimal("186.9"), close=Decimal("187.12"),
                volume=Decimal("1200.5"))
    for name in want:
        assert isinstance(got[name], Decimal), f"{name} must be a Decimal, got {got[name]!r}"
        assert got[name] == want[name], (
            f"{name} must be exactly {want[name]} as written in the JSON (parse numbers with parse_float=Decimal),"
            f" got {got[name]!r}"
        )
    assert aggs[1].close == Decimal("190") and aggs[1].volume == Decimal("800"), "integers in the JSON stay exact too"


@rule("polygon-decimal")
def test_prices_with_more_digits_than_a_float_holds_stay_exact():
    # Written out by hand: json.dumps would write a Python float's shortest repr, not these digits.
    raw = (b'{"status": "OK", "results": [{"t": 1709303400000, "o": 0.000012345678901234567,'
           b' "h": 0.000012345678901234567, "l": 0.000012345678901234567, "c": 187.12345678901234567,'
           b' "v": 12345678.123456789012345}]}')
    up = Upstream(httpx.Response(200, content=raw, headers={"Content-Type": "application/json"}))
    agg = massive(up).get_aggs("X:SHIBUSD", 1, "minute", "2024-03-01", "2024-03-02")[0]
    got = dict(open=agg.open, close=agg.close, volume=agg.volume)
    want = dict(open=Decimal("0.000012345678901234567"), close=Decimal("187.12345678901234567"),
                volume=Decimal("12345678.123456789012345"))
    assert got == want, (
        f"every digit written in the JSON must survive, even beyond a float's 17 (parse with parse_float=Decimal,"
        f" never through a float, not even Decimal(str(float))): expected {want}, got {got}"
    )


@rule("polygon-retries")
def test_massive_retries_every_page_with_its_own_settings():
    up, sleeps = Upstream(
        httpx.Response(503, json={"status": "ERROR"}),
        httpx.Response(429, json={"status": "ERROR"}, headers={"Retry-After": "1"}),
        page([bar(T0, 187.1, 1)], NEXT_2),
        httpx.ConnectError("connection reset"),
        page([bar(T0 + 60_000, 187.2, 2)]),
    ), []
    aggs = massive(up, sleeps, max_attempts=3, backoff=0.1).get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")
    urls = [str(r.url) for r in up.requests]
    assert len(urls) == 5, f"a 503 and a 429 on page 1 and a ConnectError on page 2 are retried: 5 requests, got {urls}"
    assert urls[4] == urls[3], f"a retried next_url page requests the same URL again, got {urls[3]} then {urls[4]}"
    assert sleeps == [0.1, 1.0, 0.1], (
        f"backoff=0.1 waits 0.1 after a first failure and Retry-After: 1 waits 1.0; page 2's first failure waits"
        f" 0.1 again; got {sleeps}"
    )
    assert [int(a.volume) for a in aggs] == [1, 2], "both pages' bars, once each"


@rule("polygon-retries", "max-attempts")
def test_massive_defaults_are_three_attempts_half_a_second_apart():
    up, sleeps = Upstream(httpx.Response(503, json={"status": "ERROR"})), []
    client = PolygonClient(POLY_KEY, base_url=POLY, transport=httpx.MockTransport(up), sleep=sleeps.append)
    with raises(BrokerError, "an aggregates page that fails on every attempt must raise a BrokerError"):
        client.get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")
    assert len(up.requests) == 3 and sleeps == [0.5, 1.0], (
        f"PolygonClient's defaults are max_attempts=3 and backoff=0.5: 3 requests, sleeps [0.5, 1.0];"
        f" got {len(up.requests)} requests and sleeps {sleeps}"
    )


@rule("polygon-retries", "max-attempts")
@pytest.mark.parametrize("max_attempts", [2, 4])
def test_massive_honours_its_own_max_attempts(max_attempts):
    up, sleeps = Upstream(httpx.Response(503, json={"status": "ERROR"})), []
    with raises(BrokerError, f"an aggregates page that fails on all {max_attempts} attempts must raise a BrokerError"):
        massive(up, sleeps, max_attempts=max_attempts, backoff=0.1).get_aggs("AAPL", 1, "minute", "2024-03-01",
                                                                          "2024-03-02")
    assert len(up.requests) == max_attempts, (
        f"PolygonClient(max_attempts={max_attempts}) sends at most {max_attempts} requests per page, got"
        f" {len(up.requests)}"
    )
    assert len(sleeps) == max_attempts - 1, (
        f"{max_attempts} attempts means {max_attempts - 1} waits, none after the last; got {sleeps}"
    )


@rule("polygon-errors")
@pytest.mark.parametrize("code", [400, 401, 403, 404])
def test_massive_final_errors_raise_broker_error(code):
    up, sleeps = Upstream(httpx.Response(code, json={"status": "ERROR", "error": "no"})), []
    with raises(BrokerError, f"an aggregates {code} must raise BrokerError, not an httpx exception"):
        massive(up, sleeps).get_aggs("AAPL", 1, "minute", "2024-03-01", "2024-03-02")
    assert len(up.requests) == 1 and sleeps == [], f"a {code} is final: one request, no retry; got {len(up.requests)}"
