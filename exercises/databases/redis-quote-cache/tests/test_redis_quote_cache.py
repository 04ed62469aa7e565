"""Verifier for redis-quote-cache: cache-aside on a real private redis-server (the redis_url fixture)."""
import time
from decimal import Decimal

import pytest
import redis
from roadmap_pytest import raises

from quote_cache import QuoteCache

PRICES = {"AAPL": Decimal("189.25"), "MSFT": Decimal("411.10"), "NVDA": Decimal("902.00"),
          "PENNY": Decimal("0.10"), "TSLA": Decimal("175.05")}


class CountingRedis(redis.Redis):
    """A redis-py client that records what it sends: single commands, and the commands of each pipeline."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []
        self.pipelines = []

    def execute_command(self, *args, **options):
        self.calls.append(str(args[0]).upper())
        return super().execute_command(*args, **options)

    def pipeline(self, transaction=True, shard_hint=None):
        pipe = super().pipeline(transaction, shard_hint)
        run = pipe.execute

        def execute(raise_on_error=True):
            sent = [str(args[0]).upper() for args, _ in pipe.command_stack]
            if sent:
                self.pipelines.append(sent)
            return run(raise_on_error)

        pipe.execute = execute
        return pipe

    def forget(self):
        self.calls.clear()
        self.pipelines.clear()


class Upstream:
    def __init__(self, failing=()):
        self.calls = []
        self.failing = set(failing)

    def __call__(self, symbol):
        self.calls.append(symbol)
        if symbol in self.failing:
            raise TimeoutError(f"quote source timed out for {symbol}")
        return PRICES[symbol]


@pytest.fixture
def client(redis_conn, redis_url):  # redis_conn first: the server is flushed before each test
    c = CountingRedis.from_url(redis_url)
    yield c
    c.close()


@pytest.fixture
def upstream():
    return Upstream()


@pytest.fixture
def cache(client, upstream):
    return QuoteCache(client, upstream, ttl=5)


@pytest.mark.rule("miss-then-hit")
def test_miss_then_hit_calls_upstream_once_per_symbol(cache, upstream):
    first, second = cache.get("AAPL"), cache.get("AAPL")
    assert first == Decimal("189.25"), f"a miss must return the upstream price, got {first!r}"
    assert isinstance(second, Decimal) and second == first, (
        f"a hit must return the cached price as a Decimal, got {second!r} (decode the bytes, then Decimal(...))"
    )
    assert upstream.calls == ["AAPL"], f"a miss then a hit must call upstream once, it was called {upstream.calls}"
    assert [cache.get("MSFT"), cache.get("MSFT")] == [PRICES["MSFT"]] * 2, "MSFT has its own cache entry"
    assert upstream.calls == ["AAPL", "MSFT"], f"each symbol misses once, then hits; upstream saw {upstream.calls}"


def _wait_until_gone(conn, key):
    for _ in range(1000):
        if not conn.exists(key):
            return
        time.sleep(0.001)
    pytest.fail(f"test setup: {key} did not expire", pytrace=False)


@pytest.mark.rule("shared-in-redis", "miss-then-hit")
def test_the_cache_lives_in_redis_only(cache, upstream, redis_conn, redis_url):
    cache.get("AAPL")
    other_upstream = Upstream()
    with CountingRedis.from_url(redis_url) as other_client:  # another process with its own client
        other = QuoteCache(other_client, other_upstream, ttl=5)
        got = other.get("AAPL")
    assert isinstance(got, Decimal) and got == PRICES["AAPL"] and other_upstream.calls == [], (
        f"a second QuoteCache on the same Redis must get a hit for AAPL without calling its upstream; it returned"
        f" {got!r} and called upstream for {other_upstream.calls}"
    )
    redis_conn.pexpire("quote:AAPL", 1)  # the entry's TTL runs out
    _wait_until_gone(redis_conn, "quote:AAPL")
    assert cache.get("AAPL") == PRICES["AAPL"], "after the key expired, get() must still return the price"
    assert upstream.calls == ["AAPL", "AAPL"], (
        "once quote:AAPL has expired in Redis, get() must call upstream again: keep no copy of prices in Python,"
        f" Redis is the cache. Upstream saw {upstream.calls}"
    )


@pytest.mark.rule("ttl-set")
def test_every_cached_quote_expires_after_ttl(client, redis_conn):
    QuoteCache(client, Upstream()).get("AAPL")  # the default ttl is 5
    pttl = redis_conn.pttl("quote:AAPL")
    assert pttl != -2, "the price must be stored under the key quote:AAPL"
    assert 4_000 < pttl <= 5_000, (
        f"with the default ttl (5 seconds), quote:AAPL must expire in 5 s: its PTTL was {pttl} ms (-1 = never)"
    )
    cache = QuoteCache(client, Upstream(), ttl=300)
    cache.get("MSFT")
    cache.get_many(["NVDA", "MSFT", "PENNY"])
    for symbol in ("MSFT", "NVDA", "PENNY"):
        pttl = redis_conn.pttl(f"quote:{symbol}")
        assert 290_000 < pttl <= 300_000, (
            f"with ttl=300, quote:{symbol} (written by {'get' if symbol == 'MSFT' else 'get_many'}) must expire in"
            f" 300 s: its PTTL was {pttl} ms (-1 means no expiry). Use the ttl argument: set(key, value, ex=ttl)"
        )


@pytest.mark.rule("ttl-validated")
@pytest.mark.parametrize("bad", [0, -1, -300])
def test_non_positive_ttl_is_rejected(client, bad):
    with raises(ValueError, f"QuoteCache(..., ttl={bad}) must raise ValueError: a TTL must be at least 1 second"):
        QuoteCache(client, Upstream(), ttl=bad)


@pytest.mark.rule("ttl-validated")
def test_one_second_ttl_is_allowed(client, redis_conn):
    assert QuoteCache(client, Upstream(), ttl=1).get("AAPL") == PRICES["AAPL"], "ttl=1 is valid"
    assert redis_conn.exists("quote:AAPL"), "with ttl=1 the price must still be cached"


@pytest.mark.rule("decimal-exact")
def test_decimal_digits_survive_the_cache(cache, redis_conn):
    cache.get("PENNY")
    assert redis_conn.get("quote:PENNY") == b"0.10", (
        f"store str(Decimal) so 0.10 stays '0.10'; Redis holds {redis_conn.get('quote:PENNY')!r}"
    )
    assert str(cache.get("PENNY")) == "0.10", "the cached price must come back as exactly 0.10 (no float round-trip)"
    cache.get_many(["NVDA", "PENNY"])
    assert redis_conn.get("quote:NVDA") == b"902.00", (
        f"get_many must store str(Decimal) too: 902.00 stays '902.00'; Redis holds {redis_conn.get('quote:NVDA')!r}"
    )
    assert str(cache.get_many(["NVDA"])["NVDA"]) == "902.00", "a get_many hit must come back as exactly 902.00"


@pytest.mark.rule("key-prefix")
def test_keys_are_prefix_plus_symbol(client, redis_conn):
    cache = QuoteCache(client, Upstream(), ttl=5, prefix="px:")
    cache.get("AAPL")
    cache.get_many(["MSFT"])
    assert sorted(k.decode() for k in redis_conn.keys("*")) == ["px:AAPL", "px:MSFT"], (
        f"with prefix='px:' the keys must be px:AAPL and px:MSFT; Redis holds {redis_conn.keys('*')}"
    )
    assert cache.invalidate("MSFT") is True and not redis_conn.exists("px:MSFT"), "invalidate must use the prefix too"


@pytest.mark.rule("key-prefix")
def test_get_many_reads_the_prefixed_keys_and_keeps_the_symbol_as_given(client, redis_conn):
    upstream = Upstream()
    cache = QuoteCache(client, upstream, ttl=5, prefix="px:")
    cache.get("AAPL")
    prices = cache.get_many(["AAPL", "MSFT"])
    assert prices == {"AAPL": PRICES["AAPL"], "MSFT": PRICES["MSFT"]}, f"get_many must return both prices, got {prices}"
    assert upstream.calls == ["AAPL", "MSFT"], (
        "with prefix='px:', get_many must read px:AAPL, which get() stored, as a hit, and fetch only MSFT;"
        f" upstream saw {upstream.calls}"
    )
    odd = QuoteCache(client, lambda symbol: Decimal("1.50"), ttl=5, prefix="px:")
    odd.get("brk.b")
    odd.get_many(["Tsla"])
    keys = sorted(k.decode() for k in redis_conn.keys("*"))
    assert keys == ["px:AAPL", "px:MSFT", "px:Tsla", "px:brk.b"], (
        f"the key is prefix + symbol exactly as given (no upper-casing or trimming); Redis holds {keys}"
    )


@pytest.mark.rule("errors-not-cached")
def test_upstream_errors_are_not_cached(client, redis_conn):
    upstream = Upstream(failing={"NVDA"})
    cache = QuoteCache(client, upstream, ttl=5)
    cache.get("TSLA")
    cache.get("TSLA")
    assert upstream.calls == ["TSLA"], "a successful fetch must be cached"
    with raises(TimeoutError, "get() must let the upstream's TimeoutError propagate, not swallow or wrap it"):
        cache.get("NVDA")
    assert redis_conn.exists("quote:NVDA") == 0, "a failed upstream call must not write anything to the cache"
    with raises(TimeoutError, "get_many() must let the upstream's TimeoutError propagate"):
        cache.get_many(["AAPL", "NVDA"])
    assert redis_conn.exists("quote:NVDA") == 0, "get_many must not cache a symbol whose upstream call failed"
    upstream.failing.clear()
    assert cache.get("NVDA") == Decimal("902.00"), "after upstream recovers, get() must return the real price"
    assert upstream.calls.count("NVDA") == 3, (
        f"every retry after an error must go to upstream again; upstream saw {upstream.calls}"
    )


@pytest.mark.rule("get-many-mget")
def test_get_many_reads_with_one_mget(cache, client, upstream):
    cache.get("AAPL")  # warm one key
    client.forget()
    assert cache.get_many(["AAPL", "MSFT", "NVDA"]), "get_many must return the prices"
    assert client.calls.count("MGET") == 1, f"read all keys with one MGET; the client sent {client.calls}"
    assert "GET" not in client.calls, f"get_many must not send GET per symbol; the client sent {client.calls}"
    client.forget()
    assert cache.get_many(["MSFT", "AAPL", "NVDA"]), "get_many must return the prices"
    assert client.calls == ["MGET"], f"all hits: one MGET and nothing else; the client sent {client.calls}"


@pytest.mark.rule("get-many-pipeline")
def test_get_many_writes_misses_in_one_pipeline(cache, client):
    cache.get("AAPL")
    client.forget()
    assert cache.get_many(["AAPL", "MSFT", "NVDA", "PENNY"]), "get_many must return the prices"
    assert not {"SET", "SETEX", "PSETEX"} & set(client.calls), (
        f"write the misses through a pipeline, not one SET per round trip; the client sent {client.calls}"
    )
    sets = [cmd for batch in client.pipelines for cmd in batch if cmd in ("SET", "SETEX", "PSETEX")]
    assert len(client.pipelines) == 1 and len(sets) == 3, (
        f"the 3 misses must be written in one pipeline; pipelines sent {client.pipelines}"
    )
    client.forget()
    cache.get_many(["MSFT", "AAPL"])
    assert client.pipelines == [], f"all hits: nothing to write, but pipelines sent {client.pipelines}"


@pytest.mark.rule("get-many-result")
def test_get_many_mixes_hits_and_misses_in_the_order_asked(cache, upstream):
    cache.get("AAPL")
    cache.get("PENNY")
    asked = ["MSFT", "AAPL", "NVDA", "PENNY", "TSLA"]
    prices = cache.get_many(asked)
    assert prices == {s: PRICES[s] for s in asked}, f"get_many must return {{symbol: Decimal}} for every symbol, got {prices}"
    assert all(isinstance(p, Decimal) for p in prices.values()), f"every price must be a Decimal, got {prices!r}"
    assert list(prices) == asked, f"the dict must list the symbols in the order asked, {asked}; got {list(prices)}"
    assert sorted(upstream.calls) == ["AAPL", "MSFT", "NVDA", "PENNY", "TSLA"], (
        f"only the misses (MSFT, NVDA, TSLA) go upstream, once each; upstream saw {upstream.calls}"
    )
    assert cache.get_many(asked) == prices and len(upstream.calls) == 5, "a second get_many is all hits"


@pytest.mark.rule("get-many-result")
def test_get_many_fetches_a_repeated_symbol_once(cache, upstream):
    prices = cache.get_many(["NVDA", "AAPL", "NVDA"])
    assert prices == {"NVDA": PRICES["NVDA"], "AAPL": PRICES["AAPL"]} and list(prices) == ["NVDA", "AAPL"], (
        f"get_many(['NVDA', 'AAPL', 'NVDA']) must return NVDA then AAPL, once each; got {prices}"
    )
    assert sorted(upstream.calls) == ["AAPL", "NVDA"], (
        f"a symbol asked twice is still one miss: upstream must be called once per symbol; it saw {upstream.calls}"
    )


@pytest.mark.rule("get-many-empty")
def test_get_many_of_nothing_sends_nothing(cache, client, redis_conn):
    assert cache.get_many(["AAPL"]) == {"AAPL": PRICES["AAPL"]} and redis_conn.exists("quote:AAPL"), (
        "get_many(['AAPL']) must return and cache AAPL's price"
    )
    client.forget()
    assert cache.get_many([]) == {}, "get_many([]) returns {}"
    assert client.calls == [] and client.pipelines == [], (
        f"get_many([]) must not send anything (MGET with no keys is an error); the client sent {client.calls}"
    )


@pytest.mark.rule("invalidate")
def test_invalidate_twice(cache, upstream, redis_conn):
    cache.get("AAPL")
    assert cache.invalidate("AAPL") is True, "invalidate() of a cached symbol returns True"
    assert not redis_conn.exists("quote:AAPL"), "invalidate() must delete quote:AAPL"
    assert cache.invalidate("AAPL") is False, "invalidating again returns False: there was nothing left to delete"
    assert cache.invalidate("MSFT") is False, "invalidate() of a symbol that was never cached returns False"
    cache.get("AAPL")
    assert upstream.calls == ["AAPL", "AAPL"], "after invalidate(), the next get() must ask upstream again"
