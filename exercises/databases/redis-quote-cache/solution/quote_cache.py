"""Quote cache: Redis cache-aside in front of a slow quote source."""
from decimal import Decimal


class QuoteCache:
    """Cache-aside: read Redis first; on a miss ask upstream, store the answer with a TTL, return it."""

    def __init__(self, redis, fetch, ttl=5, prefix="quote:"):
        # bool is an int, and ttl=True would quietly mean "1 second".
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        self._redis = redis
        self._fetch = fetch
        self._ttl = ttl
        self._prefix = prefix

    def _key(self, symbol):
        return f"{self._prefix}{symbol}"

    def _store(self, target, symbol, price):
        # str(Decimal) keeps every digit ("0.10" stays "0.10"); EX sets the expiry in the same command,
        # so there is no window where the key exists without a TTL.
        target.set(self._key(symbol), str(price), ex=self._ttl)

    def get(self, symbol):
        """The price of `symbol` as a Decimal; upstream is asked only on a miss. Upstream errors propagate
        and nothing is cached, so the next call tries upstream again."""
        raw = self._redis.get(self._key(symbol))
        if raw is not None:
            return Decimal(raw.decode() if isinstance(raw, bytes) else raw)
        price = self._fetch(symbol)
        self._store(self._redis, symbol, price)
        return price

    def get_many(self, symbols):
        """{symbol: Decimal} for every symbol: one MGET for all of them, then the misses fetched upstream
        and written back in one pipelined round trip."""
        symbols = list(dict.fromkeys(symbols))  # de-duplicate, keep order
        if not symbols:
            return {}  # MGET with no keys is a Redis error
        raws = self._redis.mget([self._key(s) for s in symbols])
        prices, misses = {}, {}
        for symbol, raw in zip(symbols, raws):
            if raw is None:
                misses[symbol] = self._fetch(symbol)
            else:
                prices[symbol] = Decimal(raw.decode() if isinstance(raw, bytes) else raw)
        if misses:
            with self._redis.pipeline(transaction=False) as pipe:
                for symbol, price in misses.items():
                    self._store(pipe, symbol, price)
                pipe.execute()
            prices.update(misses)
        return {s: prices[s] for s in symbols}

    def invalidate(self, symbol):
        """Drop the cached price; True if there was one."""
        return self._redis.delete(self._key(symbol)) == 1
