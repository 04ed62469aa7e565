"""Verifier for di-and-middleware: API-key dependency, overrides, request-ID/timing middleware, yield sessions."""
import re
import time
import uuid
from decimal import Decimal

import pytest
from fastapi import Depends
from roadmap_pytest import raises
from starlette.testclient import TestClient

import portfolio_service

KEY = {"X-API-Key": "test-key"}
KEYS = frozenset({"test-key", "second-key"})
HEX32 = re.compile(r"^[0-9a-f]{32}$")
SLOW_MS = 30


class FakePrices:
    def __init__(self, prices, delay=0.0):
        self.prices = {symbol: Decimal(price) for symbol, price in prices.items()}
        self.asked = []
        self.delay = delay

    def get_price(self, symbol):
        self.asked.append(symbol)
        if self.delay:
            time.sleep(self.delay)  # only ever a lower bound on the request's duration, never a race
        return self.prices[symbol]


class BrokenPrices:
    def get_price(self, symbol):
        raise RuntimeError("price feed is down")


class RecordingSession:
    """A session double that records the order of add/commit/rollback/close calls."""

    def __init__(self, log):
        self.log = log

    def add(self, record):
        self.log.append("add")

    def commit(self):
        self.log.append("commit")

    def rollback(self):
        self.log.append("rollback")

    def close(self):
        self.log.append("close")


@pytest.fixture
def calls():
    return []


@pytest.fixture
def sessions():
    """One list of calls per session the factory opened."""
    return []


@pytest.fixture
def prices():
    return FakePrices({"AAPL": "187.33", "MSFT": "0.10", "PENNY": "0.005"})


@pytest.fixture
def app(calls, sessions, prices):
    app = portfolio_service.create_app()

    def open_session():
        sessions.append([])
        return RecordingSession(CallLog(calls, sessions[-1]))

    app.dependency_overrides[portfolio_service.get_api_keys] = lambda: KEYS
    app.dependency_overrides[portfolio_service.get_price_source] = lambda: prices
    app.dependency_overrides[portfolio_service.get_session_factory] = lambda: open_session
    return app


class CallLog:
    """Appends to the test-wide list and to the list of the one session."""

    def __init__(self, *logs):
        self.logs = logs

    def append(self, name):
        for log in self.logs:
            log.append(name)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def value(client, positions, headers=KEY):
    return client.post("/valuations", json={"positions": positions}, headers=headers)


def header_of(resp, name):
    return resp.headers.get(name)


# --- dependencies: keys ---------------------------------------------------------------------------------------


@pytest.mark.rule("api-keys-env")
def test_get_api_keys_reads_the_environment_once(monkeypatch):
    get_api_keys = portfolio_service.get_api_keys
    assert hasattr(get_api_keys, "cache_clear"), "get_api_keys must be wrapped in @functools.lru_cache"
    try:
        monkeypatch.setenv("PORTFOLIO_API_KEYS", " k1, k2 ,,")
        get_api_keys.cache_clear()
        assert get_api_keys() == frozenset({"k1", "k2"}), (
            f"PORTFOLIO_API_KEYS=' k1, k2 ,,' must give frozenset({{'k1', 'k2'}}) (split, strip, skip empties), got {get_api_keys()!r}"
        )
        assert isinstance(get_api_keys(), frozenset), f"get_api_keys() must return a frozenset, got {type(get_api_keys()).__name__}"
        monkeypatch.setenv("PORTFOLIO_API_KEYS", "Key-A,key b")
        get_api_keys.cache_clear()
        assert get_api_keys() == frozenset({"Key-A", "key b"}), (
            f"PORTFOLIO_API_KEYS='Key-A,key b' must give frozenset({{'Key-A', 'key b'}}): split on commas only and keep each "
            f"key as written (no case change), got {get_api_keys()!r}"
        )
        monkeypatch.setenv("PORTFOLIO_API_KEYS", " k1, k2 ,,")
        get_api_keys.cache_clear()
        get_api_keys()
        monkeypatch.setenv("PORTFOLIO_API_KEYS", "k3")
        assert get_api_keys() == frozenset({"k1", "k2"}), "get_api_keys() must be cached (lru_cache): read the environment once"
        get_api_keys.cache_clear()
        assert get_api_keys() == frozenset({"k3"}), "after cache_clear(), get_api_keys() must read the environment again"
        monkeypatch.delenv("PORTFOLIO_API_KEYS")
        get_api_keys.cache_clear()
        assert get_api_keys() == frozenset(), f"without PORTFOLIO_API_KEYS there are no valid keys, got {get_api_keys()!r}"
    finally:
        get_api_keys.cache_clear()


@pytest.mark.rule("api-key-401")
@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": ""}, {"X-API-Key": "wrong-key"}, {"X-API-Key": "TEST-KEY"}, {"X-API-Key": "test"}, {"X-API-Key": "test-key2"}],
    ids=["missing", "empty", "unknown", "other-case", "prefix", "longer"],
)
def test_missing_or_bad_api_key_gives_401_with_www_authenticate(client, headers, calls, prices):
    for key in sorted(KEYS):
        accepted = value(client, {"AAPL": 1}, headers={"X-API-Key": key})
        assert accepted.status_code == 201, f"the key {key!r} is in get_api_keys(): it must be accepted, got {accepted.status_code}: {accepted.text}"
    calls.clear()
    prices.asked.clear()
    resp = value(client, {"AAPL": 1}, headers=headers)
    assert resp.status_code == 401, f"POST /valuations with headers {headers} must return 401, got {resp.status_code}"
    assert resp.headers.get("www-authenticate") == "ApiKey", (
        f"a 401 must carry `WWW-Authenticate: ApiKey` telling the client how to authenticate, got {resp.headers.get('www-authenticate')!r}"
    )
    assert prices.asked == [], f"a rejected request must not reach the endpoint, but it asked prices for {prices.asked}"
    assert "commit" not in calls and "add" not in calls, f"a rejected request must not record or commit anything; calls were {calls}"


@pytest.mark.rule("api-key-401")
def test_require_api_key_returns_the_valid_key(client, app):
    def whoami(key: str = Depends(portfolio_service.require_api_key)):
        return {"key": key}

    app.add_api_route("/test-only/whoami", whoami, methods=["GET"])
    for key in sorted(KEYS):
        resp = client.get("/test-only/whoami", headers={"X-API-Key": key})
        assert resp.status_code == 200 and resp.json() == {"key": key}, (
            f"require_api_key must return the key from X-API-Key when it is valid ({key!r}), got {resp.status_code}: {resp.text}"
        )
    resp = client.get("/test-only/whoami", headers={"X-API-Key": "wrong-key"})
    assert resp.status_code == 401, f"require_api_key must refuse an unknown key with 401 on any route, got {resp.status_code}"


# --- the endpoint ---------------------------------------------------------------------------------------------


@pytest.mark.rule("exact-value", "price-source-injected")
@pytest.mark.parametrize(
    "positions, expected",
    [({"AAPL": 7, "MSFT": 3}, "1311.61"), ({"MSFT": 3}, "0.30"), ({"AAPL": 1}, "187.33"), ({"PENNY": 3}, "0.015")],
    ids=["two-positions", "three-dimes", "one-share", "half-cents"],
)
def test_overridden_price_source_gives_the_exact_value(client, prices, positions, expected):
    resp = value(client, positions)
    assert resp.status_code == 201, f"a valid valuation must return 201, got {resp.status_code}: {resp.text}"
    assert sorted(prices.asked) == sorted(positions), (
        f"the endpoint must take prices from the get_price_source dependency (the test's override); asked {prices.asked}"
    )
    got = resp.json().get("value")
    assert isinstance(got, str), f"send money as a JSON string, got {got!r}"
    assert Decimal(got) == Decimal(expected), f"the exact value of {positions} is {expected} (use Decimal, not float), got {got}"
    assert got == expected, (
        f"the value of {positions} must be written as {expected!r}, the str() of the exact Decimal sum, got {got!r} "
        "(no rounding, no normalize(), no float on the way)"
    )


@pytest.mark.rule("price-source-injected")
def test_without_an_override_prices_come_from_get_price_source(client, app):
    del app.dependency_overrides[portfolio_service.get_price_source]
    source = portfolio_service.get_price_source()
    expected = source.get_price("AAPL") * 2 + source.get_price("MSFT") * 3
    resp = value(client, {"AAPL": 2, "MSFT": 3})
    assert resp.status_code == 201, f"with the app's own get_price_source, a valuation must return 201, got {resp.status_code}: {resp.text}"
    got = resp.json().get("value")
    assert isinstance(got, str) and Decimal(got) == expected, (
        f"without an override, the value of {{'AAPL': 2, 'MSFT': 3}} must use get_price_source()'s prices: {expected}, got {got!r}"
    )


@pytest.mark.rule("session-commit")
def test_without_an_override_sessions_come_from_get_session_factory(client, app):
    del app.dependency_overrides[portfolio_service.get_session_factory]
    for _ in range(2):
        resp = value(client, {"AAPL": 1})
        assert resp.status_code == 201, (
            f"with the app's own get_session_factory (ValuationSession), a valuation must return 201, got {resp.status_code}: {resp.text}"
        )


@pytest.mark.rule("session-commit")
def test_each_request_adds_commits_then_closes_its_own_session(client, sessions):
    for _ in range(2):
        resp = value(client, {"AAPL": 2, "MSFT": 1})
        assert resp.status_code == 201, f"a valid valuation must return 201, got {resp.status_code}: {resp.text}"
    assert len(sessions) == 2, f"each request must open its own session from get_session_factory; {len(sessions)} were opened for 2 requests"
    for calls in sessions:
        assert calls == ["add", "commit", "close"], (
            f"on success the endpoint adds one record (one add per request, whatever the number of positions), then get_session "
            f"commits and closes; calls were {calls}"
        )


@pytest.mark.rule("session-rollback", "price-source-injected")
def test_session_rolls_back_closes_and_returns_500_on_error(client, app, calls):
    app.dependency_overrides[portfolio_service.get_price_source] = lambda: BrokenPrices()
    resp = value(client, {"AAPL": 2})
    assert resp.status_code == 500, f"an unhandled error in the endpoint must give 500, got {resp.status_code}"
    assert "commit" not in calls, f"a failed request must never commit; calls were {calls}"
    assert "rollback" in calls, f"on an exception get_session must roll back; calls were {calls}"
    assert calls[-1] == "close" and calls.count("close") == 1, f"the session must be closed exactly once, last; calls were {calls}"
    with TestClient(app) as raising:  # raise_server_exceptions=True: the server's view of the failure
        with raises(RuntimeError, "the price source's RuntimeError must reach the server: get_session must re-raise it after the rollback",
                    match="price feed is down"):
            value(raising, {"AAPL": 2})


# --- middleware -----------------------------------------------------------------------------------------------


@pytest.mark.rule("request-id-echo")
@pytest.mark.parametrize("request_id", ["trace-ABC-123", "0f" * 16, "a", "123e4567-e89b-12d3-a456-426614174000", "t" + "9" * 63])
def test_request_id_is_echoed(client, request_id):
    resp = value(client, {"AAPL": 1}, headers=dict(KEY, **{"X-Request-ID": request_id}))
    assert header_of(resp, "x-request-id") == request_id, (
        f"an incoming X-Request-ID must be echoed unchanged: sent {request_id!r}, got {header_of(resp, 'x-request-id')!r}"
    )


@pytest.mark.rule("request-id-generated")
@pytest.mark.parametrize("incoming", [None, ""], ids=["missing", "empty"])
def test_request_id_is_generated_as_32_hex(client, incoming):
    headers = dict(KEY) if incoming is None else dict(KEY, **{"X-Request-ID": incoming})
    first = header_of(value(client, {"AAPL": 1}, headers=headers), "x-request-id") or ""
    second = header_of(value(client, {"AAPL": 1}, headers=headers), "x-request-id") or ""
    assert HEX32.match(first), f"without a usable incoming id, generate uuid4().hex (32 lowercase hex), got {first!r}"
    assert first != second, "each request needs a fresh request id"
    for generated in (first, second):
        assert uuid.UUID(generated).version == 4, (
            f"generate the id with uuid.uuid4().hex: {generated!r} is not a version-4 UUID (uuid1 leaks the host and the time)"
        )


@pytest.mark.rule("timing-header", "price-source-injected")
def test_timing_header_is_the_duration_in_milliseconds(client, app):
    app.dependency_overrides[portfolio_service.get_price_source] = lambda: FakePrices({"AAPL": "1.00"}, delay=SLOW_MS / 1000)
    resp = value(client, {"AAPL": 1})
    raw = header_of(resp, "x-process-time-ms")
    assert raw is not None, "every response needs an X-Process-Time-Ms header"
    try:
        elapsed = float(raw)
    except ValueError:
        pytest.fail(f"X-Process-Time-Ms must be a number of milliseconds such as 0.412, got {raw!r}")
    assert SLOW_MS <= elapsed < 10_000, (
        f"this request took at least {SLOW_MS} ms (the price source sleeps), so X-Process-Time-Ms must be at least {SLOW_MS}: "
        f"got {raw!r} (seconds instead of milliseconds?)"
    )


@pytest.mark.rule("headers-everywhere", "request-id-echo", "request-id-generated")
@pytest.mark.parametrize(
    "method, path, headers, body, expected",
    [
        ("POST", "/valuations", {}, {"positions": {"AAPL": 1}}, 401),
        ("GET", "/no-such-route", KEY, None, 404),
        ("GET", "/valuations", KEY, None, 405),
        ("POST", "/valuations", KEY, {"positions": {"AAPL": "seven"}}, 422),
        ("POST", "/valuations", KEY, {"positions": {"AAPL": 1}}, 201),
    ],
    ids=["401", "404", "405", "422", "201"],
)
def test_middleware_headers_are_on_every_response(client, method, path, headers, body, expected):
    sent = client.request(method, path, json=body, headers=dict(headers, **{"X-Request-ID": f"req-{expected}"}))
    fresh = client.request(method, path, json=body, headers=headers)
    for label, resp in [("with an X-Request-ID", sent), ("without an X-Request-ID", fresh)]:
        assert resp.status_code == expected, f"{method} {path} must return {expected}, got {resp.status_code}: {resp.text}"
        raw = header_of(resp, "x-process-time-ms")
        assert raw is not None and float(raw) >= 0, (
            f"the {expected} response ({label}) must carry X-Process-Time-Ms: set it in middleware, not in the endpoint; got {raw!r}"
        )
    assert header_of(sent, "x-request-id") == f"req-{expected}", (
        f"the {expected} response must echo X-Request-ID: set it in middleware, not in the endpoint; got {header_of(sent, 'x-request-id')!r}"
    )
    assert HEX32.match(header_of(fresh, "x-request-id") or ""), (
        f"the {expected} response must carry a generated X-Request-ID too, got {header_of(fresh, 'x-request-id')!r}"
    )
