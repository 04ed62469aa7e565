"""Fetch a quote from a flaky upstream. Read README.md, then fix every TODO."""
from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import Callable


class QuoteError(Exception):
    """Base of every error this module raises on purpose."""


class InvalidSymbol(Exception):  # TODO: part of the QuoteError hierarchy
    pass


class QuoteUnavailable(Exception):  # TODO: part of the QuoteError hierarchy
    pass


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # TODO: mask apikey= / api_key= / token= values in the formatted message and in any traceback
        return True


log = logging.getLogger("quotes")
# TODO: attach a RedactingFilter to this logger


def fetch_quote(
    symbol: str,
    upstream: Callable[[str, str], Decimal],
    *,
    api_key: str,
    attempts: int = 3,
    base_delay: float = 0.1,
    sleep: Callable[[float], None] = time.sleep,
) -> Decimal:
    # TODO: validate the symbol, call upstream(symbol, api_key), retry transient errors with backoff through
    # `sleep`, log on `log`, and raise QuoteUnavailable from the last error when every attempt failed.
    raise NotImplementedError("fetch_quote")
