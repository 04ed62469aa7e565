"""Verifier for async-quote-aggregator: concurrent fan-out with partial results, and thread offload."""
import asyncio
import contextlib
import json
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


async def call(handler, method, path, *, var_calculator=None, timeout=None, providers=PROVIDERS, **kwargs):
    """Build the app around a shared AsyncClient on a MockTransport and send one request to it.
    Without `timeout` (or `var_calculator`), create_app's default is used."""
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    extra = {} if var_calculator is None else {"var_calculator": var_calculator}
    if timeout is not None:
        extra["timeout"] = timeout
    app = quote_aggregator.create_app(upstream, providers, **extra)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as api:
            return await api.request(method, path, **kwargs)
    finally:
        await upstream.aclose()


def best(handler, symbol="AAPL", limit=1.5, **kwargs):
    return run(call(handler, "GET", f"/quotes/{symbol}/best", **kwargs), limit=limit)


def price(value):
    return Decimal(str(value))


# --- GET /quotes/{symbol}/best --------------------------------------------------------------------------------

@pytest.mark.rule("best-bid-ask")
def test_best_bid_and_ask_across_three_providers():
    resp = best(lambda request: ok(provider_of(request)))
    assert resp.status_code == 200, f"GET /quotes/AAPL/best should be 200, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert isinstance(body.get("bid"), str) and isinstance(body.get("ask"), str), (
        f"send prices as strings, e.g. \"189.15\"; got {body}"
    )
    assert price(body["bid"]) == Decimal("189.15") and body.get("bid_source") == "beta", (
        f"best bid is the HIGHEST bid (beta 189.15); got {body}"
    )
    assert price(body["ask"]) == Decimal("189.20") and body.get("ask_source") == "gamma", (
        f"best ask is the LOWEST ask (gamma 189.20); got {body}"
    )
    assert body.get("sources") == 3, f"all three providers gave a quote, so sources must be 3; got {body}"


@pytest.mark.rule("best-bid-ask")
def test_prices_compare_as_decimals_and_json_numbers_stay_exact():
    quotes = {
        "alpha": {"bid": "99.95", "ask": "100.20"},  # as text, "99.95" > "100.10": compare numbers, not strings
        "beta": {"bid": "100.10", "ask": "100.15"},  # the trailing zero is part of the price string: keep it
        "gamma": {"bid": 100.01, "ask": 100.12},  # JSON numbers: Decimal(str(x)), never Decimal(x)
        "delta": {"bid": "99.90", "ask": "100.30"},
    }
    providers = dict(PROVIDERS, delta="https://delta.test")
    resp = best(lambda request: httpx.Response(200, json=quotes[provider_of(request)]), providers=providers)
    assert resp.status_code == 200, f"expected 200, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert (price(body.get("bid")), body.get("bid_source")) == (Decimal("100.10"), "beta"), (
        f"the highest bid is beta's 100.10 (compare Decimals: as strings '99.95' looks bigger); got {body}"
    )
    assert body.get("bid") == "100.10", (
        f"send the winning price as the provider's decimal string: \"100.10\" stays \"100.10\" (str(Decimal)), "
        f"not {body.get('bid')!r}"
    )
    assert (body.get("ask"), body.get("ask_source")) == ("100.12", "gamma"), (
        "the lowest ask is gamma's 100.12, sent as a JSON number: read it with Decimal(str(x)) so it stays exactly "
        f"100.12 (Decimal(100.12) is 100.11999...); got {body}"
    )
    assert body.get("sources") == 4, f"four providers answered, so sources must be 4; got {body}"


@pytest.mark.parametrize("path_symbol", ["aapl", "Msft"])
@pytest.mark.rule("symbol-upper-cased")
def test_the_symbol_is_upper_cased(path_symbol):
    seen = []

    def handler(request):
        seen.append((provider_of(request), request.method, request.url.path, request.url.params.get("symbol")))
        return ok(provider_of(request))

    resp = best(handler, symbol=path_symbol)
    symbol = path_symbol.upper()
    assert resp.status_code == 200, f"GET /quotes/{path_symbol}/best should be 200, got {resp.status_code}: {resp.text}"
    assert sorted(seen) == [(name, "GET", "/quote", symbol) for name in sorted(PROVIDERS)], (
        f"each provider should get exactly one GET <base>/quote?symbol={symbol} (upper-cased); saw {seen}"
    )
    assert resp.json().get("symbol") == symbol, f"the answer's symbol must be {symbol!r}; got {resp.json()}"


def failure(kind, request):
    if kind == "connect-error":
        raise httpx.ConnectError("connection refused", request=request)
    if kind == "read-timeout":
        raise httpx.ReadTimeout("timed out", request=request)
    return {
        "500": httpx.Response(500, text="internal error"),
        "503-with-a-quote": httpx.Response(503, json=QUOTES["alpha"]),
        "202-with-a-quote": httpx.Response(202, json=QUOTES["alpha"]),
        "html": httpx.Response(200, text="<html><body>Maintenance</body></html>", headers={"content-type": "text/html"}),
        "missing-ask": httpx.Response(200, json={"bid": "189.10"}),
        "not-an-object": httpx.Response(200, json=["189.10", "189.30"]),
        "list-of-a-quote": httpx.Response(200, json=[QUOTES["alpha"]]),
        "not-a-number": httpx.Response(200, json={"bid": "n/a", "ask": "189.30"}),
        "null-price": httpx.Response(200, json={"bid": None, "ask": "189.30"}),
        "nan-price": httpx.Response(200, json={"bid": "NaN", "ask": "189.30"}),
        "infinite-price": httpx.Response(200, json={"bid": "Infinity", "ask": "189.30"}),
        # The ask needs the same check as the bid: a non-finite ask must drop the provider too.
        "nan-ask": httpx.Response(200, json={"bid": "189.10", "ask": "NaN"}),
        "infinite-ask": httpx.Response(200, json={"bid": "189.10", "ask": "Infinity"}),
    }[kind]


FAILURES = ["connect-error", "read-timeout", "500", "503-with-a-quote", "202-with-a-quote", "html", "missing-ask", "not-an-object", "list-of-a-quote",
            "not-a-number", "null-price", "nan-price", "infinite-price", "nan-ask", "infinite-ask"]


@pytest.mark.parametrize("kind", FAILURES)
@pytest.mark.rule("provider-dropped")
def test_a_failing_provider_is_dropped_and_the_others_answer(kind):
    def handler(request):
        name = provider_of(request)
        return failure(kind, request) if name == "alpha" else ok(name)

    resp = best(handler)
    assert resp.status_code == 200, (
        f"alpha failing ({kind}) must not fail the request: drop alpha and answer from beta and gamma; "
        f"got {resp.status_code}: {resp.text[:200]}"
    )
    body = resp.json()
    assert body.get("sources") == 2 and "alpha" not in (body.get("bid_source"), body.get("ask_source")), (
        f"alpha ({kind}) gave no usable quote, so the answer comes from beta and gamma with sources 2; got {body}"
    )


@pytest.mark.rule("all-down-503", "provider-dropped")
def test_all_providers_down_gives_503():
    healthy = best(lambda request: ok(provider_of(request)))
    assert healthy.status_code == 200, f"with every provider up the answer is 200; got {healthy.status_code}"

    def handler(request):
        name = provider_of(request)
        if name == "alpha":
            raise httpx.ConnectError("connection refused", request=request)
        if name == "beta":
            return httpx.Response(200, text="<html>down</html>")
        return httpx.Response(502, text="bad gateway")

    resp = best(handler)
    assert resp.status_code == 503, f"no usable quote at all must give 503, got {resp.status_code}: {resp.text}"


@pytest.mark.rule("providers-concurrent")
def test_providers_are_called_concurrently():
    providers = dict(PROVIDERS, delta="https://delta.test")
    in_flight = []
    all_arrived = None

    async def handler(request):
        nonlocal all_arrived
        if all_arrived is None:
            all_arrived = asyncio.Event()
        in_flight.append(provider_of(request))
        if len(in_flight) == len(providers):
            all_arrived.set()
        # A barrier: nobody answers until all four requests are in flight at the same time.
        await all_arrived.wait()
        name = provider_of(request)
        return httpx.Response(200, json=QUOTES.get(name, QUOTES["alpha"]))

    resp = best(handler, providers=providers)
    assert resp.status_code == 200 and resp.json().get("sources") == 4, (
        "each provider only answers once all 4 requests are in flight together; calling them one after another "
        f"(await in a loop) times every one out. Use asyncio.gather or a task group. Got {resp.status_code}: {resp.text}"
    )


@pytest.mark.rule("per-provider-timeout")
def test_a_hanging_provider_is_dropped_after_its_timeout():
    async def handler(request):
        if provider_of(request) == "beta":
            await asyncio.sleep(30)  # never answers in time
        return ok(provider_of(request))

    start = time.perf_counter()
    resp = best(handler)  # create_app's default timeout: 0.1 s
    elapsed = time.perf_counter() - start
    assert resp.status_code == 200, f"a hanging provider must be dropped, not fail the request; got {resp.status_code}"
    body = resp.json()
    assert body.get("sources") == 2 and "beta" not in (body.get("bid_source"), body.get("ask_source")), (
        f"beta hangs, so the answer must come from alpha and gamma only; got {body}"
    )
    assert elapsed < 0.8, (
        f"the default 0.1 s per-provider timeout should end the request quickly; it took {elapsed:.2f} s"
    )


@pytest.mark.rule("per-provider-timeout")
def test_a_timeout_below_the_default_is_honoured():
    async def handler(request):
        if provider_of(request) == "beta":
            await asyncio.sleep(0.085)  # inside the default 0.1 s, outside a 0.06 s deadline
        return ok(provider_of(request))

    # 0.06 s, not less: the two providers that answer at once must still beat it on a loaded machine.
    resp = best(handler, timeout=0.06)
    assert resp.status_code == 200, f"a slow provider must be dropped, not fail the request; got {resp.status_code}"
    body = resp.json()
    assert body.get("sources") == 2 and "beta" not in (body.get("bid_source"), body.get("ask_source")), (
        "with create_app(..., timeout=0.06) a provider that answers after 0.085 s is past its deadline and must be "
        f"dropped: the deadline is the timeout argument, also below 0.1 s; got {body}"
    )


@pytest.mark.rule("per-provider-timeout")
def test_the_timeout_argument_sets_the_deadline():
    async def handler(request):
        if provider_of(request) == "beta":
            await asyncio.sleep(0.3)  # slow, but well inside a 1.5 s deadline
        return ok(provider_of(request))

    resp = best(handler, timeout=1.5, limit=3)
    assert resp.status_code == 200 and resp.json().get("sources") == 3, (
        "with create_app(..., timeout=1.5) a provider that answers after 0.3 s must be kept (sources 3): use the "
        f"timeout argument, not a fixed deadline; got {resp.status_code}: {resp.text}"
    )


@pytest.mark.rule("shared-client")
def test_uses_the_shared_client_for_every_request(monkeypatch):
    real = httpx.AsyncClient

    def no_new_clients(*args, **kwargs):
        raise AssertionError("do not create an AsyncClient per request: use the one passed to create_app")

    async def go():
        upstream = real(transport=httpx.MockTransport(lambda r: ok(provider_of(r))))
        api = real(transport=httpx.ASGITransport(app=quote_aggregator.create_app(upstream, PROVIDERS, timeout=0.1),
                                                 raise_app_exceptions=False), base_url="http://api.test")
        monkeypatch.setattr(httpx, "AsyncClient", no_new_clients)
        monkeypatch.setattr(quote_aggregator, "AsyncClient", no_new_clients, raising=False)
        try:
            first = await api.get("/quotes/MSFT/best")
            second = await api.get("/quotes/AAPL/best")
            return first, second, upstream.is_closed
        finally:
            monkeypatch.undo()
            await api.aclose()
            await upstream.aclose()

    first, second, closed = run(go())
    for resp in (first, second):
        assert resp.status_code == 200 and resp.json().get("sources") == 3, (
            "reuse the AsyncClient passed to create_app (one connection pool for the whole app) for every request; "
            f"got {resp.status_code}: {resp.text}"
        )
    assert not closed, "the caller owns the shared client: the app must never close it (no `async with client:`)"


@contextlib.asynccontextmanager
async def lifespan(app):
    """Start and stop the app the way a server does (the ASGI lifespan protocol), so its startup and shutdown
    handlers run; works the same on Starlette 0.26 and current versions."""
    to_app, from_app = asyncio.Queue(), asyncio.Queue()
    task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                     to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    started = await from_app.get()
    assert started["type"] == "lifespan.startup.complete", f"the app's startup failed: {started}"
    try:
        yield
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        stopped = await from_app.get()
        await task
        assert stopped["type"] == "lifespan.shutdown.complete", f"the app's shutdown failed: {stopped}"


@pytest.mark.rule("shared-client")
def test_the_shared_client_stays_open_when_the_app_stops():
    async def go():
        upstream = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: ok(provider_of(r))))
        app = quote_aggregator.create_app(upstream, PROVIDERS, timeout=0.1)
        try:
            async with lifespan(app):
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as api:
                    resp = await api.get("/quotes/AAPL/best")
            return resp, upstream.is_closed
        finally:
            await upstream.aclose()

    resp, closed = run(go())
    assert resp.status_code == 200 and resp.json().get("sources") == 3, (
        f"with every provider up the answer is 200 from 3 sources; got {resp.status_code}: {resp.text}"
    )
    assert not closed, (
        "the app's shutdown closed the shared client, but the caller created it and closes it: no `client.aclose()` "
        "in a shutdown handler or lifespan, the caller may still use the client after this app stops"
    )


# --- POST /risk/var -------------------------------------------------------------------------------------------

def var_call(json=None, content=None, var_calculator=None):
    kwargs = {"json": json} if content is None else {"content": content, "headers": {"content-type": "application/json"}}
    return run(call(lambda r: ok("alpha"), "POST", "/risk/var", var_calculator=var_calculator, **kwargs))


@pytest.mark.rule("var-result")
def test_var95_from_returns():
    resp = var_call(json={"returns": RETURNS})
    assert resp.status_code == 200, f"POST /risk/var should be 200, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert isinstance(body.get("var95"), float) and abs(body["var95"] - 0.045) < 1e-9, (
        f"var95 is the float from compute_var95 (minus the numpy 5th percentile): 0.045; got {body}"
    )
    assert body.get("observations") == len(RETURNS), f"observations should be {len(RETURNS)}; got {body}"
    resp = var_call(json={"returns": [-0.0123456789, 0.01]})
    assert resp.status_code == 200 and resp.json().get("var95") == 0.011228, (
        f"compute_var95 rounds to 6 places: [-0.0123456789, 0.01] gives 0.011228; got {resp.status_code} {resp.text}"
    )


@pytest.mark.rule("var-result")
def test_var95_comes_from_the_injected_calculator():
    seen = []
    resp = var_call(json={"returns": [0.01, -0.02, 0.03]}, var_calculator=lambda rs: seen.append(list(rs)) or 0.0123)
    assert resp.status_code == 200, f"POST /risk/var should be 200, got {resp.status_code}: {resp.text}"
    assert resp.json() == {"var95": 0.0123, "observations": 3}, (
        f"answer var_calculator's float as var95 and the count as observations; got {resp.json()}"
    )
    assert seen == [[0.01, -0.02, 0.03]], f"var_calculator must be called once with the returns; calls: {seen}"


@pytest.mark.parametrize("returns", [[0.01], []], ids=["one", "none"])
@pytest.mark.rule("var-needs-two-returns")
def test_var_needs_at_least_two_returns(returns):
    called = []
    two = var_call(json={"returns": [0.01, -0.02]}, var_calculator=lambda rs: called.append(rs) or 0.02)
    assert two.status_code == 200, f"exactly 2 returns are enough: expected 200, got {two.status_code}: {two.text}"
    called.clear()
    resp = var_call(json={"returns": returns}, var_calculator=lambda rs: called.append(rs) or 0.0)
    assert resp.status_code == 422, f"{len(returns)} return(s) must give 422, got {resp.status_code}: {resp.text}"
    assert not called, "the calculation must not run for invalid input"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.rule("var-finite-returns")
def test_non_finite_returns_give_422_not_500(literal):
    called = []
    text = json.dumps({"returns": [0.01, -0.02, 0.03]}).replace("-0.02", literal)
    resp = var_call(content=text, var_calculator=lambda rs: called.append(rs) or 0.02)
    assert resp.status_code == 422, (
        f"a raw {literal} among the returns must give 422, got {resp.status_code}: {resp.text[:200]}. Check "
        "math.isfinite in the handler (pydantic 2's own 422 would echo the NaN back and fail to encode)"
    )
    assert not called, f"the calculation must not run on a {literal} return"


@pytest.mark.rule("var-off-the-loop")
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
