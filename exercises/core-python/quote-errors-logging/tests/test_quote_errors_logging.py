"""Verifier for quote-errors-logging: exception hierarchy, retry with backoff, redacted logs."""
import logging
from decimal import Decimal

import pytest

import quote_fetch
from quote_fetch import InvalidSymbol, QuoteError, QuoteUnavailable, fetch_quote

KEY = "sk_live_9f8e7d6c5b4a"
URL = f"https://quotes.example/v1/last?symbol=AAPL&apikey={KEY}"


class Upstream:
    """A fake quote service: raises the queued errors in order, then returns the price."""

    def __init__(self, *errors, price=Decimal("189.25")):
        self.errors = list(errors)
        self.price = price
        self.calls = []

    def __call__(self, symbol, api_key):
        self.calls.append((symbol, api_key))
        if self.errors:
            raise self.errors.pop(0)
        return self.price


def records(caplog, level):
    return [r for r in caplog.records if r.name == "quotes" and r.levelno == level]


@pytest.fixture
def sleeps():
    return []


def test_exception_hierarchy():
    assert issubclass(InvalidSymbol, QuoteError) and issubclass(QuoteUnavailable, QuoteError), (
        "InvalidSymbol and QuoteUnavailable must both subclass QuoteError"
    )


def test_success_does_not_sleep(sleeps, caplog):
    caplog.set_level(logging.INFO, logger="quotes")
    up = Upstream()
    price = fetch_quote("AAPL", up, api_key=KEY, sleep=sleeps.append)
    assert price == Decimal("189.25"), f"expected the upstream price 189.25, got {price!r}"
    assert up.calls == [("AAPL", KEY)], f"upstream must be called once as upstream(symbol, api_key), got {up.calls}"
    assert sleeps == [], f"a first-try success must not sleep, but sleep was called with {sleeps}"
    assert not records(caplog, logging.WARNING), "a first-try success must not log a WARNING"


def test_two_transient_failures_back_off_then_succeed(sleeps, caplog):
    caplog.set_level(logging.INFO, logger="quotes")
    up = Upstream(ConnectionError(f"GET {URL}: connection reset"), TimeoutError(f"GET {URL}: timed out"))
    price = fetch_quote("AAPL", up, api_key=KEY, sleep=sleeps.append)
    assert price == Decimal("189.25"), f"the third attempt succeeds and must return 189.25, got {price!r}"
    assert len(up.calls) == 3, f"expected 3 upstream calls (2 failures + 1 success), got {len(up.calls)}"
    assert sleeps == pytest.approx([0.1, 0.2]), (
        f"expected backoff sleeps [0.1, 0.2] through the injected sleep, got {sleeps}"
    )
    warnings = records(caplog, logging.WARNING)
    assert len(warnings) == 2, f"expected one WARNING per retried failure on logger 'quotes', got {len(warnings)}"
    assert not records(caplog, logging.ERROR), "a fetch that eventually succeeds must not log an ERROR"
    assert KEY not in caplog.text, "the API key leaked into the logs: redact it with a Filter on 'quotes'"


def test_giving_up_raises_quote_unavailable_with_cause(sleeps, caplog):
    caplog.set_level(logging.INFO, logger="quotes")
    last = TimeoutError(f"GET {URL}: timed out")
    up = Upstream(ConnectionError(f"GET {URL}: refused"), TimeoutError(f"GET {URL}: timed out"), last)
    with pytest.raises(QuoteUnavailable) as info:
        fetch_quote("AAPL", up, api_key=KEY, sleep=sleeps.append)
    assert info.value.__cause__ is last, (
        "QuoteUnavailable must be raised `from` the last upstream error so __cause__ keeps the root cause"
    )
    assert len(up.calls) == 3, f"expected exactly 3 attempts, got {len(up.calls)}"
    assert sleeps == pytest.approx([0.1, 0.2]), (
        f"expected sleeps [0.1, 0.2]: no sleep after the final attempt, got {sleeps}"
    )
    assert len(records(caplog, logging.WARNING)) == 2, "expected 2 WARNINGs (one per retry) on logger 'quotes'"
    errors = records(caplog, logging.ERROR)
    assert len(errors) == 1, f"expected exactly 1 ERROR on logger 'quotes' when giving up, got {len(errors)}"
    assert KEY not in caplog.text, "the API key leaked into the logs (message, arguments or traceback)"
    assert all(KEY not in r.getMessage() for r in caplog.records), "a log record's message still holds the API key"


def test_non_transient_error_is_not_retried(sleeps):
    up = Upstream(KeyError("last_price"))
    with pytest.raises(KeyError):
        fetch_quote("AAPL", up, api_key=KEY, sleep=sleeps.append)
    assert len(up.calls) == 1, f"a KeyError is a bug, not a blip: call upstream once, not {len(up.calls)} times"
    assert sleeps == [], f"a non-transient error must not sleep, got {sleeps}"


@pytest.mark.parametrize("symbol", ["", "aapl", None, "AAPL; DROP", "TOOLONG"])
def test_invalid_symbol_never_calls_upstream(symbol, sleeps):
    up = Upstream()
    with pytest.raises(InvalidSymbol):
        fetch_quote(symbol, up, api_key=KEY, sleep=sleeps.append)
    assert up.calls == [], f"upstream must not be called for invalid symbol {symbol!r}"


def test_filter_redacts_arguments_on_the_quotes_logger(caplog):
    caplog.set_level(logging.INFO, logger="quotes")
    logging.getLogger("quotes").warning("calling %s", f"https://quotes.example/v1/last?api_key={KEY}&x=1")
    logging.getLogger("quotes").info("token=%s", KEY)
    assert KEY not in caplog.text, (
        "a secret passed as a %-argument reached the logs: the filter must redact record.getMessage(), not only record.msg"
    )
    assert "api_key=***" in caplog.text, "the record must still be logged, with the value replaced by ***"
