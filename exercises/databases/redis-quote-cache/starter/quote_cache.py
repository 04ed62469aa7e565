"""Quote cache: Redis cache-aside in front of a slow quote source."""
from decimal import Decimal  # noqa: F401  (prices are Decimals)


class QuoteCache:
    """Cache-aside: read Redis first; on a miss ask upstream, store the answer with a TTL, return it."""

    def __init__(self, redis, fetch, ttl=5, prefix="quote:"):
        self._redis = redis
        self._fetch = fetch
        self._ttl = ttl
        self._prefix = prefix

    def get(self, symbol):
        """The price of `symbol` as a Decimal; upstream is asked only on a miss."""
        return self._fetch(symbol)  # TODO: no cache yet

    def get_many(self, symbols):
        """{symbol: Decimal}: one MGET, misses fetched upstream and written back in one pipeline."""
        return {symbol: self.get(symbol) for symbol in symbols}

    def invalidate(self, symbol):
        """Drop the cached price; True if there was one."""
        raise NotImplementedError
