"""Verifier for rate-limit: token bucket middleware with an injected clock (no sleeping, no wall clock)."""
import asyncio

import httpx
import pytest

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


def send(app, path="/quotes/aapl", key=None, ip="10.0.0.1"):
    """One GET through the ASGI app, from client address `ip`, with an optional X-API-Key."""
    headers = {"X-API-Key": key} if key else {}

    async def go():
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def statuses(app, n, **kw):
    return [send(app, **kw).status_code for _ in range(n)]


def test_fourth_request_in_a_burst_is_429_with_retry_after(app):
    responses = [send(app, key="key-alpha") for _ in range(4)]
    codes = [r.status_code for r in responses]
    assert codes == [200, 200, 200, 429], f"capacity 3 means three 200s then a 429, got {codes}"
    assert responses[0].json() == {"symbol": "AAPL", "price": "187.25"}, "GET /quotes/aapl must still work"
    retry = responses[3].headers.get("retry-after")
    assert retry == "2", f"at 0.5 tokens/s the next token is 2 s away: expected 'Retry-After: 2', got {retry!r}"


def test_remaining_header_counts_down(app):
    remaining = [send(app, key="key-alpha").headers.get("x-ratelimit-remaining") for _ in range(3)]
    assert remaining == ["2", "1", "0"], f"X-RateLimit-Remaining must count 2, 1, 0; got {remaining}"


def test_retry_after_rounds_up(app, clock):
    statuses(app, 3, key="key-alpha")
    clock.advance(0.5)  # 0.25 tokens now; 1.5 s still to wait
    resp = send(app, key="key-alpha")
    assert resp.status_code == 429, "after 0.5 s only a quarter token has refilled: still 429"
    assert resp.headers.get("retry-after") == "2", (
        f"1.5 s to wait must be announced as 'Retry-After: 2' (round up, never down), got {resp.headers.get('retry-after')!r}"
    )


def test_tokens_refill_over_time(app, clock):
    statuses(app, 3, key="key-alpha")
    clock.advance(2.0)
    assert statuses(app, 2, key="key-alpha") == [200, 429], "after 2 s at 0.5 tokens/s exactly one request is allowed"
    clock.advance(4.0)
    assert statuses(app, 3, key="key-alpha") == [200, 200, 429], "after 4 s more, two tokens have refilled"


def test_idle_hour_refills_only_up_to_capacity(app, clock):
    statuses(app, 3, key="key-alpha")
    clock.advance(3600)
    codes = statuses(app, 5, key="key-alpha")
    assert codes == [200, 200, 200, 429, 429], (
        f"an idle hour must refill the bucket to its capacity (3), not bank 1800 tokens; got {codes}"
    )


def test_each_api_key_has_its_own_bucket(app):
    assert statuses(app, 4, key="key-alpha") == [200, 200, 200, 429]
    assert send(app, key="key-beta").status_code == 200, "key-beta must not share key-alpha's exhausted bucket"
    assert send(app).status_code == 200, "a request with no key must use the IP's bucket, not key-alpha's"


def test_requests_without_a_key_are_limited_per_ip(app):
    assert statuses(app, 4, ip="10.0.0.1") == [200, 200, 200, 429], "keyless requests are limited per client IP"
    assert send(app, ip="10.0.0.2").status_code == 200, "another IP must have its own bucket"


def test_unknown_keys_do_not_get_fresh_buckets(app):
    assert statuses(app, 3, ip="10.0.0.9") == [200, 200, 200]
    codes = [send(app, key=f"made-up-{i}", ip="10.0.0.9").status_code for i in range(3)]
    assert codes == [429, 429, 429], (
        f"an X-API-Key that isn't a known key must fall back to the IP bucket; otherwise inventing keys bypasses the "
        f"limit. Got {codes}"
    )


def test_healthz_is_exempt(app):
    codes = statuses(app, 10, path="/healthz")
    assert codes == [200] * 10, f"/healthz must never be throttled, got {codes}"
    assert statuses(app, 3) == [200, 200, 200], "calls to /healthz must not use up tokens"


@pytest.mark.parametrize("capacity,rate", [(0, 1.0), (3, 0), (-1, 1.0), (3, -0.5)])
def test_non_positive_settings_are_refused(capacity, rate):
    with pytest.raises(ValueError):
        qt.TokenBucket(capacity, rate, FakeClock())
        pytest.fail(f"TokenBucket(capacity={capacity}, refill_per_second={rate}) must raise ValueError")
    with pytest.raises(ValueError):
        qt.create_app(capacity=capacity, refill_per_second=rate, clock=FakeClock())
        pytest.fail(f"create_app(capacity={capacity}, refill_per_second={rate}) must raise ValueError")


def test_token_bucket_uses_the_injected_clock():
    clock = FakeClock()
    bucket = qt.TokenBucket(2, 1.0, clock)
    got = [bucket.take().allowed for _ in range(3)]
    assert got == [True, True, False], f"a bucket of 2 allows two takes, got {got}"
    denied = bucket.take()
    assert (denied.allowed, denied.remaining, denied.retry_after) == (False, 0, 1), (
        f"an empty bucket at 1 token/s must say retry_after=1, got {denied}"
    )
    clock.advance(1.0)
    assert bucket.take().allowed is True, "one second later (on the injected clock) a token must be back"
