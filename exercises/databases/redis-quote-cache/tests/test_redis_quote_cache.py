"""Verifier for redis-quote-cache: cache-aside on a real private redis-server (the redis_url fixture)."""
from decimal import Decimal

import pytest
import redis

from quote_cache import QuoteCache

PRICES = {"AAPL": Decimal("189.25"), "MSFT": Decimal("411.10"), "NVDA": Decimal("902.00"),
          "PENNY": Decimal("0.10")}


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


def test_miss_then_hit_calls_upstream_once(client):
    upstream = Upstream()
    cache = QuoteCache(client, upstream, ttl=5)
    first, second = cache.get("AAPL"), cache.get("AAPL")
    assert first == second == Decimal("189.25"), "get() must return the upstream price both times"
    assert isinstance(second, Decimal), f"a cached price must come back as a Decimal, got {type(second).__name__}"
    assert upstream.calls == ["AAPL"], f"a miss then a hit must call upstream once, it was called {upstream.calls}"


def test_cached_quote_has_a_ttl(client, redis_conn):
    QuoteCache(client, Upstream(), ttl=5).get("MSFT")
    ttl = redis_conn.ttl("quote:MSFT")
    assert ttl != -2, "the price must be stored under the key quote:MSFT"
    assert 0 < ttl <= 5, f"quote:MSFT must expire within ttl=5 seconds (TTL was {ttl}; -1 means no expiry)"


def test_decimal_digits_survive_the_cache(client, redis_conn):
    cache = QuoteCache(client, Upstream(), ttl=5)
    cache.get("PENNY")
    assert redis_conn.get("quote:PENNY") == b"0.10", (
        f"store str(Decimal) so 0.10 stays '0.10'; Redis holds {redis_conn.get('quote:PENNY')!r}"
    )
    cached = cache.get("PENNY")
    assert isinstance(cached, Decimal) and str(cached) == "0.10", (
        f"the cached price must be Decimal('0.10') exactly, got {cached!r} (no float round-trip)"
    )


def test_upstream_errors_are_not_cached(client, redis_conn):
    upstream = Upstream(failing={"NVDA"})
    cache = QuoteCache(client, upstream, ttl=5)
    with pytest.raises(TimeoutError):
        cache.get("NVDA")
    assert redis_conn.exists("quote:NVDA") == 0, "a failed upstream call must not write anything to the cache"
    upstream.failing.clear()
    assert cache.get("NVDA") == Decimal("902.00"), "after upstream recovers, get() must return the real price"
    assert upstream.calls == ["NVDA", "NVDA"], "the retry after an error must go to upstream again"


def test_get_many_uses_one_mget_and_a_pipeline(client, redis_conn):
    upstream = Upstream()
    cache = QuoteCache(client, upstream, ttl=5)
    cache.get("AAPL")  # warm one key
    client.calls.clear()
    client.pipelines.clear()
    upstream.calls.clear()

    prices = cache.get_many(["AAPL", "MSFT", "NVDA"])

    assert prices == {s: PRICES[s] for s in ("AAPL", "MSFT", "NVDA")}, "get_many must return {symbol: Decimal}"
    assert upstream.calls == ["MSFT", "NVDA"], f"only the misses go upstream; it was asked for {upstream.calls}"
    assert client.calls.count("MGET") == 1, f"read all keys with one MGET; the client sent {client.calls}"
    assert "GET" not in client.calls, f"get_many must not send GET per symbol; the client sent {client.calls}"
    assert not {"SET", "SETEX"} & set(client.calls), (
        f"write the misses through a pipeline, not one SET per round trip; the client sent {client.calls}"
    )
    sets = [cmd for batch in client.pipelines for cmd in batch if cmd in ("SET", "SETEX", "PSETEX")]
    assert len(client.pipelines) == 1 and len(sets) == 2, (
        f"both misses must be written in one pipeline; pipelines sent {client.pipelines}"
    )
    for symbol in ("MSFT", "NVDA"):
        assert 0 < redis_conn.ttl(f"quote:{symbol}") <= 5, f"quote:{symbol} written by get_many needs the TTL too"

    client.calls.clear()
    client.pipelines.clear()
    assert cache.get_many(["MSFT", "AAPL"]) == {"MSFT": PRICES["MSFT"], "AAPL": PRICES["AAPL"]}
    assert client.calls == ["MGET"] and client.pipelines == [], "all hits: one MGET and nothing else"
    assert upstream.calls == ["MSFT", "NVDA"], "all hits must not call upstream"


def test_get_many_of_nothing_sends_nothing(client):
    assert QuoteCache(client, Upstream(), ttl=5).get_many([]) == {}, "get_many([]) returns {}"
    assert client.calls == [], "get_many([]) must not send MGET with no keys (Redis rejects it)"


def test_invalidate(client):
    cache = QuoteCache(client, Upstream(), ttl=5)
    cache.get("AAPL")
    assert cache.invalidate("AAPL") is True, "invalidate() of a cached symbol returns True"
    assert cache.invalidate("AAPL") is False, "invalidate() of a symbol that is not cached returns False"


@pytest.mark.parametrize("bad", [0, -1])
def test_non_positive_ttl_is_rejected(client, bad):
    with pytest.raises(ValueError):
        QuoteCache(client, Upstream(), ttl=bad)
