"""Fetch a quote from a flaky upstream: domain errors, bounded retries, and logs that never leak the key."""
from __future__ import annotations

import logging
import re
import time
from decimal import Decimal
from typing import Callable

# Errors worth retrying: the network or the upstream was briefly unavailable. Anything else (a KeyError from a
# changed payload, a TypeError from our own bug) fails the same way every time, so retrying only adds latency.
TRANSIENT = (ConnectionError, TimeoutError)

_SYMBOL = re.compile(r"[A-Z]{1,5}(\.[A-Z])?")
# The value of an `apikey=`, `api_key=` or `token=` parameter, up to the next `&`, whitespace or quote.
_SECRETS = re.compile(r"(?i)\b(apikey|api_key|token)=[^&\s'\"]+")


class QuoteError(Exception):
    """Base of every error this module raises on purpose."""


class InvalidSymbol(QuoteError):
    """The caller passed something that is not a ticker symbol."""


class QuoteUnavailable(QuoteError):
    """Upstream kept failing with transient errors; `__cause__` holds the last one."""


def redact(text: str) -> str:
    return _SECRETS.sub(r"\1=***", text)


class RedactingFilter(logging.Filter):
    """Masks secrets in the fully formatted message and in any traceback text, then lets the record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        # The secret usually arrives in `args` (log.warning("GET %s", url)), so redact the merged message,
        # not just the format string.
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is rendered once, redacted.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


log = logging.getLogger("quotes")
# On the logger, not a handler: it then applies whatever handlers the application (or pytest) attaches.
log.addFilter(RedactingFilter())


def fetch_quote(
    symbol: str,
    upstream: Callable[[str, str], Decimal],
    *,
    api_key: str,
    attempts: int = 3,
    base_delay: float = 0.1,
    sleep: Callable[[float], None] = time.sleep,
) -> Decimal:
    """Return upstream(symbol, api_key), retrying transient errors with exponential backoff."""
    if not isinstance(symbol, str) or not _SYMBOL.fullmatch(symbol):
        raise InvalidSymbol(f"not a ticker symbol: {symbol!r}")
    for attempt in range(1, attempts + 1):
        try:
            return upstream(symbol, api_key)
        except TRANSIENT as exc:
            if attempt == attempts:
                log.error("quote %s unavailable after %d attempts: %s", symbol, attempts, exc)
                # `from exc` keeps the root cause on the traceback for whoever handles QuoteUnavailable.
                raise QuoteUnavailable(f"no quote for {symbol} after {attempts} attempts") from exc
            delay = base_delay * 2 ** (attempt - 1)
            log.warning(
                "quote %s attempt %d/%d failed: %s; retrying in %.2fs", symbol, attempt, attempts, exc, delay
            )
            sleep(delay)
    raise AssertionError("unreachable")  # the loop always returns or raises
