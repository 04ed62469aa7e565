"""Verifier for rate-limit: token bucket middleware with an injected clock (no sleeping, no wall clock)."""
import asyncio

import httpx
import pytest
from roadmap_pytest import raises

import quote_throttle as qt


class FakeClock:
    def __init__(self, start=1000.0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app(clock):
    return qt.create_app(capacity=3, refill_per_second=0.5, clock=clock)


def send(app, path="/quotes/aapl", key=None, ip="10.0.0.1", extra_headers=None):
    """One GET through the ASGI app, from client address `ip`, with an optional X-API-Key."""
    headers = {"X-API-Key": key} if key else {}
    headers.update(extra_headers or {})

    async def go():
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def statuses(app, n, **kw):
    return [send(app, **kw).status_code for _ in range(n)]


def takes(bucket, n):
    return [bucket.take() for _ in range(n)]


@pytest.mark.rule("burst-capacity")
def test_burst_of_capacity_then_429(app):
    responses = [send(app, key="key-alpha") for _ in range(4)]
    codes = [r.status_code for r in responses]
    assert codes == [200, 200, 200, 429], f"capacity 3 means three 200s then a 429, got {codes}"
    assert responses[0].json() == {"symbol": "AAPL", "price": "187.25"}, "GET /quotes/aapl must still work"


@pytest.mark.rule("defaults")
def test_create_app_defaults(clock):
    app = qt.create_app(clock=clock)
    codes = statuses(app, 4)
    assert codes == [200, 200, 200, 429], f"create_app() defaults to capacity 3: three 200s then a 429, got {codes}"
    clock.advance(2.0)
    codes = statuses(app, 2)
    assert codes == [200, 429], f"create_app() defaults to 0.5 tokens/s: 2 s later exactly one request, got {codes}"


@pytest.mark.rule("burst-capacity")
@pytest.mark.parametrize("capacity", [1, 5])
def test_capacity_argument_sets_the_burst(capacity):
    bucket = qt.TokenBucket(capacity, 0.5, FakeClock())
    got = [d.allowed for d in takes(bucket, capacity + 1)]
    assert got == [True] * capacity + [False], f"a new TokenBucket({capacity}, ...) allows {capacity} takes, got {got}"
    app = qt.create_app(capacity=capacity, refill_per_second=0.5, clock=FakeClock())
    codes = statuses(app, capacity + 1)
    assert codes == [200] * capacity + [429], f"create_app(capacity={capacity}) allows a burst of {capacity}, got {codes}"


@pytest.mark.rule("remaining-count")
def test_remaining_header_counts_down(app):
    remaining = [send(app, key="key-alpha").headers.get("x-ratelimit-remaining") for _ in range(3)]
    assert remaining == ["2", "1", "0"], f"X-RateLimit-Remaining must count 2, 1, 0; got {remaining}"


@pytest.mark.rule("remaining-count")
def test_remaining_is_whole_tokens_left(clock):
    bucket = qt.TokenBucket(5, 1.0, clock)
    first = bucket.take()
    assert (first.allowed, first.remaining, first.retry_after) == (True, 4, 0), (
        f"the first take from a full bucket of 5 must be Decision(True, 4, 0), got {first}"
    )
    clock.advance(0.5)  # 4.5 tokens, then one is spent: 3.5 left
    second = bucket.take()
    assert (second.allowed, second.remaining) == (True, 3), (
        f"with 3.5 tokens left, remaining must be the whole tokens: 3 (round down), got {second}"
    )


@pytest.mark.rule("retry-after-ceil")
@pytest.mark.parametrize("rate,waited,expected", [
    (0.5, 0.0, 2), (0.5, 0.5, 2), (0.5, 1.5, 1), (1.0, 0.0, 1), (0.25, 0.0, 4), (0.25, 1.0, 3), (4.0, 0.0, 1),
    (0.5, 0.75, 2), (0.25, 1.5, 3),  # 1.25 s and 2.5 s: rounding to nearest would say 1 and 2
])
def test_retry_after_is_the_wait_rounded_up(clock, rate, waited, expected):
    bucket = qt.TokenBucket(1, rate, clock)
    assert bucket.take().allowed, "a full bucket of 1 allows one take"
    clock.advance(waited)
    denied = bucket.take()
    wait = (1 - waited * rate) / rate
    assert (denied.allowed, denied.remaining, denied.retry_after) == (False, 0, expected), (
        f"at {rate} tokens/s, {waited} s after the bucket emptied the next token is {wait} s away: expected"
        f" Decision(False, 0, {expected}) (round up, never down, and no +1 on a whole number), got {denied}"
    )


@pytest.mark.rule("retry-after-ceil")
def test_429_announces_retry_after_rounded_up(app, clock):
    statuses(app, 3, key="key-alpha")
    resp = send(app, key="key-alpha")
    assert resp.headers.get("retry-after") == "2", (
        f"at 0.5 tokens/s the next token is 2 s away: expected 'Retry-After: 2', got {resp.headers.get('retry-after')!r}"
    )
    clock.advance(0.5)  # 0.25 tokens now; 1.5 s still to wait
    resp = send(app, key="key-alpha")
    assert resp.status_code == 429, "after 0.5 s only a quarter token has refilled: still 429"
    assert resp.headers.get("retry-after") == "2", (
        f"1.5 s to wait must be announced as 'Retry-After: 2' (round up), got {resp.headers.get('retry-after')!r}"
    )


@pytest.mark.rule("refused-response")
def test_a_refused_request_is_a_json_429_that_never_reaches_the_route(app):
    calls = []

    @app.get("/probe")
    def probe():
        calls.append(1)
        return {"ok": True}

    responses = [send(app, path="/probe") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429], "capacity 3: three 200s, then 429"
    refused = responses[-1]
    assert refused.headers.get("content-type", "").startswith("application/json"), (
        f"the 429 must have a JSON body, got content-type {refused.headers.get('content-type')!r}"
    )
    assert isinstance(refused.json(), dict), f"the 429 body must be a JSON object, got {refused.text!r}"
    assert refused.headers.get("retry-after"), "the 429 must carry Retry-After"
    assert len(calls) == 3, f"a refused request must not reach the route: the route ran {len(calls)} times for 3 allowed"


@pytest.mark.rule("refill-rate")
def test_tokens_refill_continuously_on_the_injected_clock(clock):
    bucket = qt.TokenBucket(3, 0.5, clock)
    assert [d.allowed for d in takes(bucket, 4)] == [True, True, True, False], "a bucket of 3 allows 3 takes"
    got = []
    for _ in range(4):  # 0.5 s at a time: 0.25, 0.5, 0.75, then exactly 1 token
        clock.advance(0.5)
        got.append(bucket.take().allowed)
    assert got == [False, False, False, True], (
        f"at 0.5 tokens/s, asking every 0.5 s must be refused 3 times and allowed at exactly 2.0 s (fractions of a"
        f" second add up; exactly 1 token is enough); got {got}"
    )
    assert bucket.take().allowed is False, "that token is spent: the next take is refused"
    clock.advance(4.0)
    assert [d.allowed for d in takes(bucket, 3)] == [True, True, False], "4 s later, two tokens have refilled"


@pytest.mark.rule("refill-rate")
def test_requests_refill_over_time(app, clock):
    statuses(app, 3, key="key-alpha")
    clock.advance(2.0)
    assert statuses(app, 2, key="key-alpha") == [200, 429], "after 2 s at 0.5 tokens/s exactly one request is allowed"
    clock.advance(4.0)
    assert statuses(app, 3, key="key-alpha") == [200, 200, 429], "after 4 s more, two tokens have refilled"


@pytest.mark.rule("refill-capped")
def test_idle_hour_refills_only_up_to_capacity(app, clock):
    statuses(app, 3, key="key-alpha")
    clock.advance(3600)
    codes = statuses(app, 5, key="key-alpha")
    assert codes == [200, 200, 200, 429, 429], (
        f"an idle hour must refill the bucket to its capacity (3), not bank 1800 tokens; got {codes}"
    )
    bucket = qt.TokenBucket(2, 1.0, clock)
    clock.advance(60)
    assert [d.allowed for d in takes(bucket, 3)] == [True, True, False], "a full bucket stays at capacity while idle"


@pytest.mark.rule("per-key-buckets")
def test_each_client_has_its_own_bucket(app):
    assert statuses(app, 4, key="key-alpha") == [200, 200, 200, 429], "capacity 3: three 200s, then 429"
    assert statuses(app, 3, key="key-beta") == [200, 200, 200], "key-beta must not share key-alpha's exhausted bucket"
    assert statuses(app, 3) == [200, 200, 200], "a request with no key uses the IP's bucket, not key-alpha's"
    assert send(app).status_code == 429, "the IP's bucket is now empty too"
    assert send(app, ip="10.0.0.2").status_code == 200, "another IP must have its own bucket"
    assert send(app, key="key-beta", ip="10.0.0.2").status_code == 429, "key-beta's bucket follows the key, not the IP"


@pytest.mark.rule("unknown-key-uses-ip")
def test_unknown_keys_do_not_get_fresh_buckets(app):
    assert statuses(app, 3, ip="10.0.0.9") == [200, 200, 200], "capacity 3: a new IP gets three requests"
    codes = [send(app, key=f"made-up-{i}", ip="10.0.0.9").status_code for i in range(3)]
    assert codes == [429, 429, 429], (
        f"an X-API-Key that isn't a known key must fall back to the IP bucket; otherwise inventing keys bypasses the "
        f"limit. Got {codes}"
    )


@pytest.mark.rule("unknown-key-uses-ip")
def test_a_forwarded_for_header_does_not_choose_the_bucket(app):
    assert statuses(app, 3, ip="10.0.0.7") == [200, 200, 200], "capacity 3: a new IP gets three requests"
    codes = [send(app, ip="10.0.0.7", extra_headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
             for i in range(3)]
    assert codes == [429, 429, 429], (
        "the IP is request.client.host, the connection's address: an X-Forwarded-For header the client writes"
        f" itself must not give it a fresh bucket per made-up address. Got {codes}"
    )


@pytest.mark.rule("unknown-key-uses-ip", "per-key-buckets")
def test_api_keys_argument_decides_which_keys_count(clock):
    app = qt.create_app(capacity=3, refill_per_second=0.5, clock=clock, api_keys=frozenset({"key-gamma"}))
    assert statuses(app, 4, key="key-alpha") == [200, 200, 200, 429], "capacity 3: three 200s, then 429"
    assert send(app).status_code == 429, (
        "with api_keys={'key-gamma'}, key-alpha is an unknown key, so it used this IP's bucket: a keyless request"
        " from the same IP must find that bucket empty"
    )
    assert statuses(app, 4, key="key-gamma") == [200, 200, 200, 429], (
        "key-gamma is one of api_keys here, so it has its own full bucket of 3"
    )


@pytest.mark.rule("exempt-healthz")
def test_healthz_is_exempt(app):
    codes = statuses(app, 10, path="/healthz")
    assert codes == [200] * 10, f"/healthz must never be throttled, got {codes}"
    assert send(app, path="/healthz").json() == {"status": "ok"}, "/healthz answers {'status': 'ok'}"
    assert statuses(app, 4) == [200, 200, 200, 429], "calls to /healthz must not use up tokens: still 3 left"
    assert send(app, path="/healthz").status_code == 200, "/healthz works even when the client's bucket is empty"


@pytest.mark.rule("settings-validated")
@pytest.mark.parametrize("capacity,rate", [(0, 1.0), (3, 0), (-1, 1.0), (3, -0.5)])
def test_non_positive_settings_are_refused(capacity, rate):
    with raises(ValueError, f"TokenBucket(capacity={capacity}, refill_per_second={rate}) must raise ValueError"):
        qt.TokenBucket(capacity, rate, FakeClock())
    with raises(ValueError, f"create_app(capacity={capacity}, refill_per_second={rate}) must raise ValueError at once"):
        qt.create_app(capacity=capacity, refill_per_second=rate, clock=FakeClock())


@pytest.mark.rule("settings-validated")
def test_smallest_positive_settings_are_allowed():
    clock = FakeClock()
    bucket = qt.TokenBucket(1, 0.125, clock)
    assert [d.allowed for d in takes(bucket, 2)] == [True, False], "TokenBucket(1, 0.125, clock) allows one take"
    assert send(qt.create_app(capacity=1, refill_per_second=0.125, clock=clock)).status_code == 200, (
        "create_app(capacity=1, refill_per_second=0.125) is valid and serves requests"
    )
