"""Verifier for di-and-middleware: API-key dependency, overrides, request-ID/timing middleware, yield sessions."""
import re
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

import portfolio_service

KEY = {"X-API-Key": "test-key"}
HEX32 = re.compile(r"^[0-9a-f]{32}$")


class FakePrices:
    def __init__(self, prices):
        self.prices = {symbol: Decimal(price) for symbol, price in prices.items()}
        self.asked = []

    def get_price(self, symbol):
        self.asked.append(symbol)
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
def app(calls):
    app = portfolio_service.create_app()
    app.dependency_overrides[portfolio_service.get_api_keys] = lambda: frozenset({"test-key"})
    app.dependency_overrides[portfolio_service.get_price_source] = lambda: FakePrices(
        {"AAPL": "187.33", "MSFT": "0.10"}
    )
    app.dependency_overrides[portfolio_service.get_session_factory] = lambda: (lambda: RecordingSession(calls))
    return app


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def value(client, positions, headers=KEY):
    return client.post("/valuations", json={"positions": positions}, headers=headers)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong-key"}, {"X-API-Key": ""}], ids=["missing", "bad", "empty"])
def test_missing_or_bad_api_key_gives_401_with_www_authenticate(client, headers, calls):
    resp = value(client, {"AAPL": 1}, headers=headers)
    assert resp.status_code == 401, f"POST /valuations with headers {headers} must return 401, got {resp.status_code}"
    assert resp.headers.get("www-authenticate"), (
        "a 401 must carry a WWW-Authenticate header telling the client how to authenticate"
    )
    assert "commit" not in calls, "a rejected request must not commit anything"


def test_overridden_price_source_gives_the_exact_value(client, app):
    prices = FakePrices({"AAPL": "187.33", "MSFT": "0.10"})
    app.dependency_overrides[portfolio_service.get_price_source] = lambda: prices
    resp = value(client, {"AAPL": 7, "MSFT": 3})
    assert resp.status_code == 201, f"a valid valuation must return 201, got {resp.status_code}: {resp.text}"
    assert sorted(prices.asked) == ["AAPL", "MSFT"], (
        f"the endpoint must take prices from the get_price_source dependency (the test's override); asked {prices.asked}"
    )
    got = resp.json()["value"]
    assert isinstance(got, str), f"send money as a JSON string, got {got!r}"
    assert Decimal(str(got)) == Decimal("1311.61"), f"7 x 187.33 + 3 x 0.10 is exactly 1311.61, got {got}"


def test_small_prices_stay_exact(client):
    resp = value(client, {"MSFT": 3})
    assert resp.status_code == 201, f"a valid valuation must return 201, got {resp.status_code}: {resp.text}"
    got = resp.json()["value"]
    assert Decimal(str(got)) == Decimal("0.30"), f"3 x 0.10 must be exactly 0.30 (use Decimal, not float), got {got}"


def test_request_id_is_echoed(client):
    resp = value(client, {"AAPL": 1}, headers=dict(KEY, **{"X-Request-ID": "trace-abc-123"}))
    assert resp.headers.get("x-request-id") == "trace-abc-123", (
        f"an incoming X-Request-ID must be echoed unchanged, got {resp.headers.get('x-request-id')!r}"
    )


def test_request_id_is_generated_as_32_hex(client):
    first = value(client, {"AAPL": 1}).headers.get("x-request-id", "")
    second = value(client, {"AAPL": 1}).headers.get("x-request-id", "")
    assert HEX32.match(first), f"without an incoming id, generate uuid4().hex (32 lowercase hex), got {first!r}"
    assert first != second, "each request needs a fresh request id"


def test_timing_header_is_a_number(client):
    resp = value(client, {"AAPL": 1})
    raw = resp.headers.get("x-process-time-ms")
    assert raw is not None, "every response needs an X-Process-Time-Ms header"
    assert float(raw) >= 0, f"X-Process-Time-Ms must be a non-negative number of milliseconds, got {raw!r}"


@pytest.mark.parametrize(
    "method, path, headers, expected",
    [("POST", "/valuations", {}, 401), ("GET", "/no-such-route", KEY, 404)],
    ids=["401", "404"],
)
def test_middleware_headers_are_on_error_responses(client, method, path, headers, expected):
    resp = client.request(method, path, json={"positions": {"AAPL": 1}}, headers=dict(headers, **{"X-Request-ID": "err-1"}))
    assert resp.status_code == expected, f"{method} {path} must return {expected}, got {resp.status_code}"
    assert resp.headers.get("x-request-id") == "err-1", (
        f"the {expected} response must still carry X-Request-ID: set it in middleware, not in the endpoint"
    )
    assert resp.headers.get("x-process-time-ms") is not None, f"the {expected} response must carry X-Process-Time-Ms"


def test_session_commits_then_closes(client, calls):
    resp = value(client, {"AAPL": 2})
    assert resp.status_code == 201, f"a valid valuation must return 201, got {resp.status_code}: {resp.text}"
    assert calls == ["add", "commit", "close"], (
        f"on success the endpoint adds a record, then get_session commits and closes; calls were {calls}"
    )


def test_session_rolls_back_closes_and_returns_500_on_error(client, app, calls):
    app.dependency_overrides[portfolio_service.get_price_source] = lambda: BrokenPrices()
    resp = value(client, {"AAPL": 2})
    assert resp.status_code == 500, f"an unhandled error in the endpoint must give 500, got {resp.status_code}"
    assert "commit" not in calls, f"a failed request must never commit; calls were {calls}"
    assert "rollback" in calls, f"on an exception get_session must roll back; calls were {calls}"
    assert calls[-1] == "close" and calls.count("close") == 1, f"the session must be closed exactly once, last; calls were {calls}"


def test_get_api_keys_reads_the_environment(monkeypatch):
    monkeypatch.setenv("PORTFOLIO_API_KEYS", "k1, k2")
    portfolio_service.get_api_keys.cache_clear()
    try:
        assert portfolio_service.get_api_keys() == frozenset({"k1", "k2"}), (
            "get_api_keys() must return the comma-separated keys from PORTFOLIO_API_KEYS, stripped"
        )
    finally:
        portfolio_service.get_api_keys.cache_clear()
