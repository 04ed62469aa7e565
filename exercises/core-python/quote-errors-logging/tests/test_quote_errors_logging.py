"""Verifier for quote-errors-logging: exception hierarchy, retry with backoff, redacted logs.

Each test names the README rule(s) it checks. Sleeps are injected (`sleep=sleeps.append`) and `time.sleep` is
replaced by a tripwire, so nothing here waits.
"""
import logging
import time
from decimal import Decimal

import pytest
from roadmap_pytest import raises

import quote_fetch
from quote_fetch import InvalidSymbol, QuoteError, QuoteUnavailable, RedactingFilter, fetch_quote

KEY = "sk_live_9f8e7d6c5b4a"
URL = f"https://quotes.example/v1/last?symbol=AAPL&apikey={KEY}"
PRICE = Decimal("189.25")


class Upstream:
    """A fake quote service: raises the queued errors in order, then returns the price."""

    def __init__(self, *errors, price=PRICE):
        self.errors = list(errors)
        self.price = price
        self.calls = []

    def __call__(self, symbol, api_key):
        self.calls.append((symbol, api_key))
        if self.errors:
            raise self.errors.pop(0)
        return self.price


def blips(n):
    """n transient upstream errors whose messages carry the key, as a real HTTP client's would."""
    return [ConnectionError(f"GET {URL}: connection reset (attempt {i + 1})") for i in range(n)]


def records(caplog, level):
    return [r for r in caplog.records if r.name == "quotes" and r.levelno == level]


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    def forbidden(seconds):
        raise AssertionError(f"time.sleep({seconds}) was called: use the injected `sleep` argument instead")

    monkeypatch.setattr(time, "sleep", forbidden)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG, logger="quotes")
    return caplog


@pytest.mark.rule("exception-hierarchy")
def test_exception_hierarchy():
    assert issubclass(QuoteError, Exception), "QuoteError must subclass Exception"
    assert issubclass(InvalidSymbol, QuoteError) and issubclass(QuoteUnavailable, QuoteError), (
        "InvalidSymbol and QuoteUnavailable must both subclass QuoteError"
    )
    assert not issubclass(InvalidSymbol, QuoteUnavailable) and not issubclass(QuoteUnavailable, InvalidSymbol), (
        "InvalidSymbol and QuoteUnavailable must be two distinct errors, neither a subclass of the other"
    )


@pytest.mark.rule("valid-symbol")
@pytest.mark.parametrize("symbol", ["A", "AAPL", "GOOGL", "BRK.B", "ZZZZZ.Z"])
def test_valid_symbols_reach_upstream(symbol, sleeps):
    up = Upstream()
    try:
        price = fetch_quote(symbol, up, api_key=KEY, sleep=sleeps.append)
    except InvalidSymbol:
        pytest.fail(f"{symbol!r} is a valid symbol (1-5 upper-case letters, optionally .X) but was refused",
                    pytrace=False)
    assert price == PRICE, f"expected the upstream price {PRICE} for {symbol!r}, got {price!r}"
    assert [s for s, _ in up.calls] == [symbol], f"upstream must be called once with {symbol!r}, got {up.calls}"


@pytest.mark.rule("invalid-symbol")
@pytest.mark.parametrize(
    "symbol",
    ["", "aapl", "Aapl", None, 123, "TOOLONG", "AAPL\n", " AAPL", "AAPL ", "BRK.", "BRK.BB", ".B", "BRK-B",
     "ÄPFEL", "AAPL; DROP"],
    ids=repr,
)
def test_invalid_symbol_never_calls_upstream(symbol, sleeps):
    up = Upstream()
    with raises(InvalidSymbol, f"fetch_quote({symbol!r}, ...) must raise InvalidSymbol (no upper-casing, no stripping)"):
        fetch_quote(symbol, up, api_key=KEY, sleep=sleeps.append)
    assert up.calls == [], f"upstream must not be called for the invalid symbol {symbol!r}, got {up.calls}"


@pytest.mark.rule("success-first-try")
def test_first_try_success(sleeps, logs):
    up = Upstream(price=Decimal("412.10"))
    price = fetch_quote("MSFT", up, api_key=KEY, sleep=sleeps.append)
    assert price == Decimal("412.10") and isinstance(price, Decimal), (
        f"fetch_quote must return what upstream returned, Decimal('412.10'), got {price!r}"
    )
    assert str(price) == "412.10", (
        f"fetch_quote must return upstream's Decimal as it is, Decimal('412.10') with its digits, got {price!r}"
        " (no float on the way, no rounding or normalize())"
    )
    assert up.calls == [("MSFT", KEY)], f"upstream must be called once as upstream(symbol, api_key), got {up.calls}"
    assert sleeps == [], f"a first-try success must not sleep, but sleep was called with {sleeps}"
    assert not records(logs, logging.WARNING) and not records(logs, logging.ERROR), (
        "a first-try success must log no WARNING and no ERROR on 'quotes'"
    )


@pytest.mark.rule("transient-retried")
@pytest.mark.parametrize(
    "errors",
    [
        [ConnectionError("reset"), TimeoutError("timed out")],
        [TimeoutError("timed out"), TimeoutError("timed out again")],
        [ConnectionResetError("reset by peer"), ConnectionRefusedError("refused")],
    ],
    ids=["ConnectionError+TimeoutError", "TimeoutError x2", "subclasses"],
)
def test_transient_errors_are_retried(errors, sleeps):
    names = " then ".join(type(e).__name__ for e in errors)
    up = Upstream(*errors)
    try:
        price = fetch_quote("AAPL", up, api_key=KEY, sleep=sleeps.append)
    except Exception as exc:  # noqa: BLE001 - name the error that was not retried
        pytest.fail(f"after {names}, the third attempt succeeds, but fetch_quote raised {exc!r}", pytrace=False)
    assert price == PRICE, f"after {names} the third attempt returns {PRICE}, got {price!r}"
    assert len(up.calls) == 3, f"expected 3 upstream calls (2 failures + 1 success), got {len(up.calls)}"


@pytest.mark.rule("attempts-total")
@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_attempts_is_the_total_number_of_calls(attempts, sleeps):
    up = Upstream(*blips(attempts - 1))
    try:
        price = fetch_quote("AAPL", up, api_key=KEY, attempts=attempts, sleep=sleeps.append)
    except QuoteUnavailable:
        pytest.fail(f"with attempts={attempts}, {attempts - 1} failures then a success must return the price,"
                    f" but fetch_quote gave up after {len(up.calls)} calls", pytrace=False)
    assert price == PRICE and len(up.calls) == attempts, (
        f"with attempts={attempts}, {attempts - 1} failures then a success: expected {attempts} calls, got {len(up.calls)}"
    )

    up = Upstream(*blips(attempts + 2))
    with raises(QuoteUnavailable, f"with attempts={attempts} and upstream always failing, fetch_quote must give up"):
        fetch_quote("AAPL", up, api_key=KEY, attempts=attempts, sleep=sleeps.append)
    assert len(up.calls) == attempts, f"attempts={attempts} means {attempts} upstream calls in total, got {len(up.calls)}"


@pytest.mark.rule("backoff", "attempts-total")
@pytest.mark.parametrize(
    "failures, kwargs, expected",
    [
        (2, {}, [0.1, 0.2]),
        (4, {"attempts": 5}, [0.1, 0.2, 0.4, 0.8]),
        (4, {"attempts": 5, "base_delay": 0.5}, [0.5, 1.0, 2.0, 4.0]),
        (3, {"attempts": 4, "base_delay": 0.25}, [0.25, 0.5, 1.0]),
    ],
    ids=["defaults", "attempts=5", "base_delay=0.5", "base_delay=0.25"],
)
def test_backoff_is_exponential(failures, kwargs, expected, sleeps):
    up = Upstream(*blips(failures))
    price = fetch_quote("AAPL", up, api_key=KEY, sleep=sleeps.append, **kwargs)
    assert price == PRICE, f"the attempt after {failures} failures succeeds and must return {PRICE}, got {price!r}"
    assert sleeps == pytest.approx(expected), (
        f"{failures} failures with {kwargs or 'the defaults'} must sleep base_delay * 2 ** (n - 1) through the"
        f" injected sleep: expected {expected}, got {sleeps}"
    )


@pytest.mark.rule("warn-per-retry")
def test_one_warning_per_retried_failure(logs):
    warnings_at_sleep = []

    def sleep(seconds):
        warnings_at_sleep.append(len(records(logs, logging.WARNING)))

    up = Upstream(*blips(2))
    fetch_quote("AAPL", up, api_key=KEY, sleep=sleep)
    warnings = records(logs, logging.WARNING)
    assert len(warnings) == 2, f"2 retried failures must log 2 WARNINGs on logger 'quotes', got {len(warnings)}"
    assert warnings_at_sleep == [1, 2], (
        f"each WARNING must be logged before its sleep: WARNINGs logged when sleep was called: {warnings_at_sleep}"
    )

    logs.clear()
    try:
        fetch_quote("AAPL", Upstream(*blips(3)), api_key=KEY, sleep=lambda s: None)
    except QuoteUnavailable:
        pass
    warnings = records(logs, logging.WARNING)
    assert len(warnings) == 2, (
        f"giving up after 3 attempts retries twice: expected 2 WARNINGs (none for the last attempt), got {len(warnings)}"
    )


@pytest.mark.rule("give-up", "attempts-total")
@pytest.mark.parametrize("attempts", [1, 3, 4])
def test_giving_up_raises_quote_unavailable_from_the_last_error(attempts, sleeps):
    errors = blips(attempts - 1) + [ConnectionRefusedError(f"GET {URL}: refused")]
    last = errors[-1]
    up = Upstream(*errors)
    with raises(QuoteUnavailable, f"{attempts} transient failures out of attempts={attempts} must raise QuoteUnavailable") as info:
        fetch_quote("AAPL", up, api_key=KEY, attempts=attempts, sleep=sleeps.append)
    assert len(up.calls) == attempts, f"expected exactly {attempts} attempts, got {len(up.calls)}"
    assert info.value.__cause__ is last, (
        f"QuoteUnavailable must be raised `from` the last upstream error, so __cause__ is {last!r},"
        f" got {info.value.__cause__!r}"
    )
    assert len(sleeps) == attempts - 1, (
        f"{attempts} attempts have {attempts - 1} waits between them and none after the last, got sleeps {sleeps}"
    )


@pytest.mark.rule("give-up-logs-error")
def test_giving_up_logs_exactly_one_error(logs):
    with raises(QuoteUnavailable, "3 transient failures must raise QuoteUnavailable"):
        fetch_quote("AAPL", Upstream(*blips(3)), api_key=KEY, sleep=lambda s: None)
    errors = records(logs, logging.ERROR)
    assert len(errors) == 1, f"giving up must log exactly 1 ERROR on logger 'quotes', got {len(errors)}"

    logs.clear()
    fetch_quote("AAPL", Upstream(*blips(2)), api_key=KEY, sleep=lambda s: None)
    assert not records(logs, logging.ERROR), "a fetch that succeeds on a retry must not log an ERROR"


@pytest.mark.rule("non-transient")
@pytest.mark.parametrize(
    "before, error",
    [
        (0, KeyError("last_price")),
        (0, ValueError("price is not a number")),
        (2, KeyError("last_price")),
        (0, PermissionError("quotes cache is read-only")),
    ],
    ids=["KeyError", "ValueError", "KeyError after 2 blips", "PermissionError"],
)
def test_non_transient_error_propagates_unchanged(before, error, sleeps):
    up = Upstream(*blips(before), error)
    with raises(type(error), f"a {type(error).__name__} from upstream must propagate unchanged") as info:
        fetch_quote("AAPL", up, api_key=KEY, attempts=5, sleep=sleeps.append)
    assert info.value is error, (
        f"the very {type(error).__name__} upstream raised must propagate, not a new or wrapping one: got {info.value!r}"
    )
    assert len(up.calls) == before + 1, (
        f"a {type(error).__name__} is a bug, not a blip: upstream must not be called again after it"
        f" (expected {before + 1} calls, got {len(up.calls)})"
    )
    assert len(sleeps) == before, f"no sleep may follow a {type(error).__name__}: got sleeps {sleeps}"


@pytest.mark.rule("filter-attached")
def test_filter_is_attached_to_the_quotes_logger():
    assert issubclass(RedactingFilter, logging.Filter), "RedactingFilter must subclass logging.Filter"
    attached = [f for f in logging.getLogger("quotes").filters if isinstance(f, RedactingFilter)]
    assert attached, (
        "importing quote_fetch must attach a RedactingFilter to logging.getLogger('quotes') (addFilter on the logger)"
    )


@pytest.mark.rule("redact-formatted")
@pytest.mark.parametrize(
    "msg, args, expected",
    [
        ("calling %s", ("https://q.example/last?api_key=sk_1&x=1",), "calling https://q.example/last?api_key=***&x=1"),
        ("GET %s -> %d", ("https://q.example/last?symbol=AAPL&APIKEY=sk_2", 503),
         "GET https://q.example/last?symbol=AAPL&APIKEY=*** -> 503"),
        ("Token=%s and apiKey=%s for %s=%d", ("tk_3", "sk_4", "qty", 3), "Token=*** and apiKey=*** for qty=3"),
        ("headers token=%s sent", ("tk_5",), "headers token=*** sent"),
        ("failed: %r", ({"url": "https://q.example/?Api_Key=sk_6"},), "failed: {'url': 'https://q.example/?Api_Key=***'}"),
        ('body "token=tk_7" rejected', (), 'body "token=***" rejected'),
    ],
    ids=["readme-example", "upper-case", "two-secrets", "whitespace-ends", "quote-ends", "in-format-string"],
)
def test_filter_redacts_the_formatted_message(msg, args, expected, logs):
    logging.getLogger("quotes").warning(msg, *args)
    logged = [r for r in logs.records if r.name == "quotes"]
    assert logged, "the filter must return True: a redacted record must still be logged"
    text = logged[-1].getMessage()
    assert text == expected, f"logging {msg!r} % {args!r} on 'quotes' must come out as {expected!r}, got {text!r}"
    assert expected in logs.text, f"the captured log must read {expected!r}, got {logs.text!r}"


@pytest.mark.rule("key-never-logged")
def test_tracebacks_are_redacted(logs):
    log = logging.getLogger("quotes")
    try:
        raise ConnectionError(f"GET {URL}: connection reset")
    except ConnectionError as exc:
        log.exception("upstream call failed")
        log.error("upstream call failed again", exc_info=exc)
    assert len(records(logs, logging.ERROR)) == 2, "both records logged with exc_info must still be logged"
    assert "upstream call failed" in logs.text and "ConnectionError" in logs.text, (
        "a record logged with exc_info must keep its message and traceback, only the secret is masked"
    )
    assert KEY not in logs.text, (
        "the API key leaked through a traceback logged with exc_info: redact the traceback text too (record.exc_text)"
    )


@pytest.mark.rule("key-never-logged", "redact-formatted")
def test_fetch_quote_never_logs_the_key(logs):
    fetch_quote("AAPL", Upstream(*blips(2)), api_key=KEY, sleep=lambda s: None)
    errors = [ConnectionAbortedError(f"GET {URL}: aborted") for _ in range(3)]
    with raises(QuoteUnavailable, "3 transient failures must raise QuoteUnavailable"):
        fetch_quote("AAPL", Upstream(*errors), api_key=KEY, sleep=lambda s: None)
    assert [r for r in logs.records if r.name == "quotes"], "retrying and giving up must log on 'quotes'"
    assert KEY not in logs.text, "the API key leaked into the logs (message, arguments or traceback)"
    assert all(KEY not in r.getMessage() for r in logs.records), "a log record's message still holds the API key"
