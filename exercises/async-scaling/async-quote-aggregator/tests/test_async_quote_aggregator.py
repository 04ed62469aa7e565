"""Verifier for async-quote-aggregator: concurrent fan-out with partial results, and thread offload."""
import asyncio
import threading
import time
from decimal import Decimal

import httpx
import pytest

import quote_aggregator

PROVIDERS = {
    "alpha": "https://alpha.test",
    "beta": "https://beta.test",
    "gamma": "https://gamma.test",
}
QUOTES = {
    "alpha": {"bid": "189.10", "ask": "189.30"},
    "beta": {"bid": "189.15", "ask": "189.25"},
    "gamma": {"bid": "189.05", "ask": "189.20"},
}
# 11 returns: numpy's default (linear) 5th percentile is halfway between -0.05 and -0.04.
RETURNS = [-0.05, -0.04, -0.01, 0.0, 0.005, 0.01, 0.012, 0.02, 0.025, 0.03, 0.04]


def provider_of(request):
    return request.url.host.split(".")[0]


def ok(name):
    return httpx.Response(200, json=QUOTES[name])


def run(coro, limit=1.5):
    """Run one test scenario on a fresh loop; a solution that hangs fails instead of freezing the run."""
    async def guarded():
        try:
            return await asyncio.wait_for(coro, limit)
        except asyncio.TimeoutError:
            pytest.fail(f"the request did not finish within {limit} s: is a hanging upstream cut off by a timeout?")
    return asyncio.run(guarded())


async def call(handler, method, path, *, var_calculator=None, **kwargs):
    """Build the app around a shared AsyncClient on a MockTransport and send one request to it."""
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    extra = {} if var_calculator is None else {"var_calculator": var_calculator}
    app = quote_aggregator.create_app(upstream, PROVIDERS, timeout=0.1, **extra)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://api.test") as api:
            return await api.request(method, path, **kwargs)
    finally:
        await upstream.aclose()


def test_best_bid_and_ask_across_three_providers():
    seen = []

    def handler(request):
        seen.append((provider_of(request), request.url.path, request.url.params.get("symbol")))
        return ok(provider_of(request))

    resp = run(call(handler, "GET", "/quotes/aapl/best"))
    assert resp.status_code == 200, f"GET /quotes/aapl/best should be 200, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert sorted(seen) == [("alpha", "/quote", "AAPL"), ("beta", "/quote", "AAPL"), ("gamma", "/quote", "AAPL")], (
        f"each provider should get exactly one GET <base>/quote?symbol=AAPL (upper-cased); saw {seen}"
    )
    assert Decimal(str(body["bid"])) == Decimal("189.15") and body["bid_source"] == "beta", (
        f"best bid is the HIGHEST bid (beta 189.15); got {body}"
    )
    assert Decimal(str(body["ask"])) == Decimal("189.20") and body["ask_source"] == "gamma", (
        f"best ask is the LOWEST ask (gamma 189.20); got {body}"
    )
    assert isinstance(body["bid"], str) and isinstance(body["ask"], str), "send prices as strings, e.g. \"189.15\""
    assert body["sources"] == 3 and body["symbol"] == "AAPL", f"expected symbol AAPL and sources 3, got {body}"


def test_uses_the_shared_client_not_a_new_one_per_request(monkeypatch):
    real = httpx.AsyncClient

    def no_new_clients(*args, **kwargs):
        raise AssertionError("do not create an AsyncClient per request: use the one passed to create_app")

    monkeypatch.setattr(httpx, "AsyncClient", no_new_clients)
    monkeypatch.setattr(quote_aggregator, "AsyncClient", no_new_clients, raising=False)

    async def go():
        upstream = real(transport=httpx.MockTransport(lambda r: ok(provider_of(r))))
        app = quote_aggregator.create_app(upstream, PROVIDERS, timeout=0.1)
        try:
            async with real(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://api.test") as api:
                return await api.get("/quotes/MSFT/best")
        finally:
            await upstream.aclose()

    resp = run(go())
    assert resp.status_code == 200 and resp.json()["sources"] == 3, (
        "reuse the AsyncClient passed to create_app (one connection pool for the whole app); "
        f"got {resp.status_code}: {resp.text}"
    )


def test_a_500_and_an_html_page_still_give_a_partial_result():
    def handler(request):
        name = provider_of(request)
        if name == "alpha":
            return httpx.Response(500, text="internal error")
        if name == "beta":
            return httpx.Response(200, text="<html><body>Maintenance</body></html>",
                                  headers={"content-type": "text/html"})
        return ok(name)

    resp = run(call(handler, "GET", "/quotes/AAPL/best"))
    assert resp.status_code == 200, (
        f"one provider answering 500 and one sending HTML must not fail the request; got {resp.status_code}: {resp.text}"
    )
    body = resp.json()
    assert body["sources"] == 1, f"only gamma gave a usable quote, so sources must be 1; got {body}"
    assert body["bid_source"] == body["ask_source"] == "gamma", f"the quote must come from gamma; got {body}"


def test_all_providers_down_gives_503():
    def handler(request):
        if provider_of(request) == "alpha":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(502, text="bad gateway")

    resp = run(call(handler, "GET", "/quotes/AAPL/best"))
    assert resp.status_code == 503, f"no usable quote at all must give 503, got {resp.status_code}: {resp.text}"


def test_providers_are_called_concurrently():
    in_flight = []
    all_arrived = None

    async def handler(request):
        nonlocal all_arrived
        if all_arrived is None:
            all_arrived = asyncio.Event()
        in_flight.append(provider_of(request))
        if len(in_flight) == len(PROVIDERS):
            all_arrived.set()
        # A barrier: nobody answers until all three requests are in flight at the same time.
        await all_arrived.wait()
        return ok(provider_of(request))

    resp = run(call(handler, "GET", "/quotes/AAPL/best"))
    assert resp.status_code == 200 and resp.json()["sources"] == 3, (
        "each provider only answers once all 3 requests are in flight together; calling them one after another "
        f"(await in a loop) times every one out. Use asyncio.gather or a task group. Got {resp.status_code}: {resp.text}"
    )


def test_a_hanging_provider_is_dropped_after_its_timeout():
    async def handler(request):
        if provider_of(request) == "beta":
            await asyncio.sleep(30)  # never answers in time
        return ok(provider_of(request))

    start = time.perf_counter()
    resp = run(call(handler, "GET", "/quotes/AAPL/best"))
    elapsed = time.perf_counter() - start
    assert resp.status_code == 200, f"a hanging provider must be dropped, not fail the request; got {resp.status_code}"
    body = resp.json()
    assert body["sources"] == 2 and "beta" not in (body["bid_source"], body["ask_source"]), (
        f"beta hangs, so the answer must come from alpha and gamma only; got {body}"
    )
    assert elapsed < 0.6, f"the 0.1 s per-provider timeout should end the request quickly; it took {elapsed:.2f} s"


def test_var95_from_returns():
    resp = run(call(lambda r: ok("alpha"), "POST", "/risk/var", json={"returns": RETURNS}))
    assert resp.status_code == 200, f"POST /risk/var should be 200, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert abs(float(body["var95"]) - 0.045) < 1e-9, (
        f"VaR95 is minus the 5th percentile (numpy default, linear) of the returns: 0.045; got {body}"
    )
    assert body["observations"] == len(RETURNS), f"observations should be {len(RETURNS)}; got {body}"


@pytest.mark.parametrize("returns", [[0.01], []])
def test_var_needs_at_least_two_returns(returns):
    called = []
    resp = run(call(lambda r: ok("alpha"), "POST", "/risk/var", json={"returns": returns},
                    var_calculator=lambda rs: called.append(rs) or 0.0))
    assert resp.status_code == 422, f"{len(returns)} return(s) must give 422, got {resp.status_code}: {resp.text}"
    assert not called, "the calculation must not run for invalid input"


def test_var_calculation_is_offloaded_to_a_thread():
    released = threading.Event()
    record = {}

    def blocking_calc(returns):
        # Stands in for heavy CPU or blocking I/O. It can only finish early if the event loop is still free
        # to run the coroutine below, which is the case only when this runs in a worker thread.
        record["released"] = released.wait(timeout=0.5)
        return 0.045

    async def scenario():
        async def release_soon():
            await asyncio.sleep(0.01)
            released.set()

        response, _ = await asyncio.gather(
            call(lambda r: ok("alpha"), "POST", "/risk/var", json={"returns": RETURNS}, var_calculator=blocking_calc),
            release_soon(),
        )
        return response

    resp = run(scenario())
    assert resp.status_code == 200, f"POST /risk/var should be 200, got {resp.status_code}: {resp.text}"
    assert record.get("released") is True, (
        "the calculation blocked the event loop: call it with `await anyio.to_thread.run_sync(calc, returns)` "
        "so other coroutines keep running while it works"
    )
