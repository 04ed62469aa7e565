"""Verifier for market-data-rest: half-open windows, cursor pages, exact string prices, UTC times, ETag/304."""
import base64
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from roadmap_pytest import local_time_zone

from market_data_api import Bar, create_app

rule = pytest.mark.rule
UTC = timezone.utc
OPEN = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)  # the window tests ask for [14:30, 16:30)
SESSION_START = datetime(2024, 3, 1, 13, 30, tzinfo=UTC)
WINDOW = {"start": "2024-03-01T14:30:00Z", "end": "2024-03-01T16:30:00Z"}


def price(i, offset="0"):
    return Decimal("187.10") + Decimal("0.05") * i + Decimal(offset)


def session_bars(skip_end_bar=True):
    """One-minute bars from 13:30Z; bar i opens at price(i), so the 14:30 bar (i = 60) opens at 190.10.

    By default the 16:30 bar (i = 180) is missing, as if nothing traded that minute, so that only the
    half-open-window test depends on whether a bar stamped exactly at `end` is included."""
    return [Bar(SESSION_START + timedelta(minutes=i), price(i), price(i, "0.30"), price(i, "-0.20"), price(i, "0.10"),
                1000 + i) for i in range(390) if not (skip_end_bar and i == 180)]


def minute(i):
    """The RFC 3339 text of session bar i."""
    return (SESSION_START + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant(text):
    """The instant an RFC 3339 `t` names (with Z or an offset), so that tests of other rules do not depend on
    the exact spelling the ascending-utc-z rule checks."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def instants(bars):
    return [instant(b["t"]) for b in bars]


def minutes(indexes):
    return [SESSION_START + timedelta(minutes=i) for i in indexes]


@pytest.fixture()
def client():
    return TestClient(create_app({"AAPL": session_bars()}))


def get(client, symbol="AAPL", headers=None, **params):
    query = {**WINDOW, **params}
    return client.get(f"/v1/bars/{symbol}", params={k: v for k, v in query.items() if v is not None}, headers=headers)


def ok(resp, what):
    assert resp.status_code == 200, f"{what} must give 200, got {resp.status_code}: {resp.text[:300]}"
    return resp.json()


def all_pages(client, **params):
    pages, token = [], None
    for _ in range(20):
        body = ok(get(client, page_token=token, **params), f"page {len(pages) + 1} with {params}")
        pages.append(body)
        token = body["next_page_token"]
        if token is None:
            return pages
    raise AssertionError("pagination never ended: next_page_token was never null")


# --- window, order, time format, prices --------------------------------------------------------------------------

@rule("half-open-window")
def test_half_open_window_holds_120_bars():
    client = TestClient(create_app({"AAPL": session_bars(skip_end_bar=False)}))
    bars = ok(get(client, limit=500), "[14:30, 16:30)")["bars"]
    times = instants(bars)
    assert len(bars) == 120, f"[14:30, 16:30) holds 120 one-minute bars (end is exclusive), got {len(bars)}"
    assert times[0] == minutes([60])[0], f"the first bar is 14:30 (start is inclusive), got {bars[0]['t']}"
    assert times[-1] == minutes([179])[0], f"the last bar is 16:29 (end is exclusive), got {bars[-1]['t']}"
    after = ok(get(client, start="2024-03-01T16:30:00Z", end="2024-03-01T16:35:00Z"), "[16:30, 16:35)")["bars"]
    assert instants(after) == minutes(range(180, 185)), (
        f"the next window [16:30, 16:35) starts with the 16:30 bar: adjacent windows share no bar; got {after}"
    )


@rule("ascending-utc-z")
def test_bars_ascend_even_when_the_data_does_not():
    client = TestClient(create_app({"AAPL": list(reversed(session_bars()))}))
    bars = ok(get(client, limit=500), "data given newest-first")["bars"]
    assert [b["t"] for b in bars] == [minute(i) for i in range(60, 180)], (
        "bars must come back in ascending time order, each t written YYYY-MM-DDTHH:MM:SSZ, whatever order"
        f" create_app received them in; got {[b['t'] for b in bars[:3]]}..."
    )



@rule("ascending-utc-z")
def test_times_are_utc_with_a_z_suffix(client):
    for zone, where in ((None, ""), ("EST+05", " on a server whose local time zone is UTC-5")):
        with local_time_zone(zone):
            bars = ok(get(client, limit=3), "a window")["bars"]
        assert [b["t"] for b in bars] == ["2024-03-01T14:30:00Z", "2024-03-01T14:31:00Z", "2024-03-01T14:32:00Z"], (
            f"t must be the UTC time as YYYY-MM-DDTHH:MM:SSZ (a Z, not +00:00){where}, got {[b['t'] for b in bars]}:"
            " convert with astimezone(timezone.utc), never astimezone() (the server's local zone)"
        )


@rule("offsets-normalised")
@pytest.mark.parametrize("start,end", [
    ("2024-03-01T16:30:00+02:00", "2024-03-01T16:30:00Z"),
    ("2024-03-01T09:30:00-05:00", "2024-03-01T16:30:00Z"),
    ("2024-03-01T14:30:00Z", "2024-03-01T18:30:00+02:00"),
    ("2024-03-01T14:30:00Z", "2024-03-01T11:30:00-05:00"),
], ids=["start+02", "start-05", "end+02", "end-05"])
def test_offsets_are_normalised_to_utc(client, start, end):
    bars = ok(get(client, start=start, end=end, limit=500), f"[{start}, {end})")["bars"]  # params= encodes "+"
    assert len(bars) == 120, f"[{start}, {end}) is [14:30Z, 16:30Z): 120 bars, got {len(bars)}"
    assert (instant(bars[0]["t"]), instant(bars[-1]["t"])) == tuple(minutes([60, 179])), (
        f"[{start}, {end}) must select 14:30Z to 16:29Z, got {bars[0]['t']} to {bars[-1]['t']}"
    )


@rule("exact-price-strings")
def test_prices_are_exact_strings_and_volume_an_integer(client):
    resp = get(client, limit=5)
    bar = ok(resp, "a window")["bars"][0]  # i = 60 -> 187.10 + 3.00
    assert resp.headers.get("content-type", "").startswith("application/json"), (
        f"the 200 body is JSON: send Content-Type application/json, got {resp.headers.get('content-type')!r}"
    )
    for key, want in (("o", "190.10"), ("h", "190.40"), ("l", "189.90"), ("c", "190.20")):
        assert isinstance(bar[key], str), f"price {key!r} must be a JSON string, got {bar[key]!r}"
        assert bar[key] == want, (
            f"price {key!r} must be the string {want!r}, written exactly as the Decimal with every decimal place"
            f" (str(), not via float or normalize()), got {bar[key]!r}"
        )
    assert bar["v"] == 1060 and isinstance(bar["v"], int), f"volume must be the JSON integer 1060, got {bar['v']!r}"



@rule("exact-price-strings")
def test_prices_keep_every_decimal_place():
    def one(o, h, l, c):
        return [Bar(OPEN, Decimal(o), Decimal(h), Decimal(l), Decimal(c), 500)]
    client = TestClient(create_app({"AAPL": one("190.125", "190.1275", "189.9", "190.1"),
                                    "PNNY": one("0.0001", "0.00035", "0.0001", "0.0002")}))
    for symbol, want in (("AAPL", ("190.125", "190.1275", "189.9", "190.1")),
                         ("PNNY", ("0.0001", "0.00035", "0.0001", "0.0002"))):
        bar = ok(get(client, symbol=symbol), f"{symbol} over a window")["bars"][0]
        got = tuple(bar[k] for k in "ohlc")
        assert all(isinstance(g, str) for g in got), f"prices must be JSON strings, got {got}"
        assert tuple(Decimal(g) for g in got) == tuple(Decimal(w) for w in want), (
            f"{symbol}: o, h, l, c must be the bars' exact Decimal values {want}, never rounded to cents; got {got}"
        )

# --- symbol -------------------------------------------------------------------------------------------------------

@rule("symbol-case-insensitive")
@pytest.mark.parametrize("path_symbol", ["AAPL", "aapl", "Aapl"])
def test_symbol_is_matched_upper_cased(client, path_symbol):
    body = ok(get(client, symbol=path_symbol, limit=2), f"/v1/bars/{path_symbol}")
    assert body["symbol"] == "AAPL", f"the response's symbol must be upper-case 'AAPL', got {body['symbol']!r}"
    assert instants(body["bars"]) == minutes([60, 61]), f"/v1/bars/{path_symbol} must serve AAPL's bars"


@rule("unknown-symbol-404")
@pytest.mark.parametrize("symbol", ["ZZZZ", "msft"])
def test_unknown_symbol_is_404(client, symbol):
    ok(get(client), "a known symbol")  # the route works at all
    resp = get(client, symbol=symbol)
    assert resp.status_code == 404, f"{symbol!r} is not in the data: expected 404, got {resp.status_code}: {resp.text[:200]}"


# --- query validation ---------------------------------------------------------------------------------------------

@rule("limit-range")
def test_limit_defaults_to_100(client):
    body = ok(get(client), "a window without limit")
    assert len(body["bars"]) == 100, f"limit defaults to 100: expected 100 of the 120 bars, got {len(body['bars'])}"
    assert body["next_page_token"] is not None, "100 of 120 bars leaves a next page"


@rule("limit-range")
@pytest.mark.parametrize("limit,count", [(1, 1), (999, 120), (1000, 120)])
def test_limit_bounds_are_accepted(client, limit, count):
    body = ok(get(client, limit=limit), f"limit={limit}")
    assert len(body["bars"]) == count, f"limit={limit} over 120 bars must return {count}, got {len(body['bars'])}"


@rule("limit-range")
@pytest.mark.parametrize("limit", [0, 1001, -5, "ten", "1.5"])
def test_limit_out_of_range_is_422(client, limit):
    ok(get(client, limit=50), "limit=50")
    resp = get(client, limit=limit)
    assert resp.status_code == 422, f"limit={limit!r} must give 422, got {resp.status_code}: {resp.text[:200]}"


@rule("timeframe-values")
def test_timeframe_defaults_to_1min_and_is_echoed(client):
    assert ok(get(client, limit=1), "no timeframe")["timeframe"] == "1Min", "timeframe defaults to 1Min"
    assert ok(get(client, limit=1, timeframe="5Min"), "timeframe=5Min")["timeframe"] == "5Min", "echo timeframe 5Min"


@rule("timeframe-values")
@pytest.mark.parametrize("timeframe", ["2Min", "1min", "5MIN", ""])
def test_unknown_timeframe_is_422(client, timeframe):
    ok(get(client, timeframe="1Min"), "timeframe=1Min")
    resp = get(client, timeframe=timeframe)
    assert resp.status_code == 422, f"timeframe={timeframe!r} must give 422, got {resp.status_code}: {resp.text[:200]}"


@rule("bad-times-422")
@pytest.mark.parametrize("params", [
    {"start": None}, {"end": None}, {"start": "yesterday"}, {"end": "2024-03-01 at noon"},
    {"start": "2024-03-01T14:30:00"}, {"end": "2024-03-01T16:30:00"},
], ids=["no-start", "no-end", "start-yesterday", "end-unparseable", "naive-start", "naive-end"])
def test_missing_unparseable_or_naive_times_are_422(client, params):
    ok(get(client), "a valid window")
    resp = get(client, **params)
    assert resp.status_code == 422, f"{params} must give 422, got {resp.status_code}: {resp.text[:200]}"


@rule("end-after-start")
@pytest.mark.parametrize("start,end", [
    ("2024-03-01T16:30:00Z", "2024-03-01T16:30:00Z"),
    ("2024-03-01T16:30:00+02:00", "2024-03-01T14:30:00Z"),
    ("2024-03-01T16:31:00Z", "2024-03-01T16:30:00Z"),
], ids=["equal", "equal-instant-other-offset", "end-before-start"])
def test_end_not_after_start_is_422(client, start, end):
    ok(get(client, start="2024-03-01T16:29:00Z", end="2024-03-01T16:30:00Z"), "a one-minute window")
    resp = get(client, start=start, end=end)
    assert resp.status_code == 422, (
        f"end {end} is not after start {start} (compare them as instants, after converting to UTC): expected 422,"
        f" got {resp.status_code}"
    )


@rule("end-after-start", "offsets-normalised")
@pytest.mark.parametrize("start,end", [
    ("2024-03-01T14:30:00Z", "2024-03-01T16:30:00+02:00"),
    ("2024-03-01T14:31:00Z", "2024-03-01T16:30:00+02:00"),
], ids=["equal-instant-end-offset", "end-before-start-end-offset"])
def test_end_with_an_offset_is_compared_as_an_instant(client, start, end):
    # 16:30+02:00 is 14:30Z: its wall-clock 16:30 is later than start's, but the instant is not.
    ok(get(client, start="2024-03-01T14:29:00Z", end="2024-03-01T16:31:00+02:00"), "[14:29Z, 14:31Z)")
    resp = get(client, start=start, end=end)
    assert resp.status_code == 422, (
        f"end {end} is 14:30Z, not after start {start}: compare the instants (convert both to UTC), not the"
        f" wall-clock times; expected 422, got {resp.status_code}"
    )


# --- 5-minute bars ------------------------------------------------------------------------------------------------

def bucket(first, last):
    """The expected 5Min bar made of session bars first..last (inclusive)."""
    return {"o": price(first), "h": price(last, "0.30"), "l": price(first, "-0.20"), "c": price(last, "0.10"),
            "v": sum(1000 + i for i in range(first, last + 1))}


def as_numbers(b):
    # Decimal(str(...)): this test is about the buckets, not about how prices are written (exact-price-strings).
    return {k: Decimal(str(b[k])) for k in "ohlc"} | {"v": b["v"]}


@rule("five-minute-buckets")
def test_five_minute_bars_aggregate_each_bucket(client):
    bars = ok(get(client, timeframe="5Min", limit=500), "5Min over [14:30, 16:30)")["bars"]
    assert instants(bars) == minutes(60 + 5 * k for k in range(24)), (
        f"two hours of 5Min bars are 24 buckets stamped 14:30, 14:35, ..., 16:25; got {[b['t'] for b in bars][:4]}..."
    )
    assert as_numbers(bars[0]) == bucket(60, 64), (
        f"a 5Min bar is first open, highest high, lowest low, last close, summed volume; got {bars[0]}"
    )


@rule("five-minute-buckets")
def test_five_minute_buckets_align_to_the_clock_not_the_window(client):
    # end 14:42:30 falls between two bars, so this test does not depend on the half-open rule.
    bars = ok(get(client, timeframe="5Min", start="2024-03-01T14:32:00Z", end="2024-03-01T14:42:30Z"),
              "5Min over [14:32, 14:42:30)")["bars"]
    assert instants(bars) == minutes([60, 65, 70]), (
        "buckets start at minutes divisible by 5: [14:32, 14:42:30) gives 14:30, 14:35, 14:40;"
        f" got {[b['t'] for b in bars]}"
    )
    got = [as_numbers(b) for b in bars]
    assert got == [bucket(62, 64), bucket(65, 69), bucket(70, 72)], (
        f"the 14:30 bucket holds only the window's 14:32-14:34 bars and the 14:40 bucket 14:40-14:42; got {got}"
    )



@rule("five-minute-buckets")
def test_a_missing_minute_never_pulls_in_the_next_bucket():
    # Nothing traded at 14:33 (bar 63): the 14:30 bucket has four bars and the 14:35 bucket still starts at 14:35.
    client = TestClient(create_app({"AAPL": [b for b in session_bars() if b.ts != minutes([63])[0]]}))
    bars = ok(get(client, timeframe="5Min", start="2024-03-01T14:30:00Z", end="2024-03-01T14:47:30Z"),
              "5Min over [14:30, 14:47:30) with no 14:33 bar")["bars"]
    assert instants(bars) == minutes([60, 65, 70, 75]), (
        f"buckets are 14:30, 14:35, 14:40, 14:45 whatever is missing; got {[b['t'] for b in bars]}"
    )
    first = {"o": price(60), "h": price(64, "0.30"), "l": price(60, "-0.20"), "c": price(64, "0.10"),
             "v": sum(1000 + i for i in (60, 61, 62, 64))}
    got = [as_numbers(b) for b in bars]
    assert got == [first, bucket(65, 69), bucket(70, 74), bucket(75, 77)], (
        "a bar goes into the bucket its own timestamp falls in: with no 14:33 bar the 14:30 bucket is 14:30, 14:31,"
        f" 14:32, 14:34 and the 14:35 bucket is 14:35-14:39 (never counted off 5 bars at a time); got {got}"
    )

@rule("five-minute-buckets")
def test_the_highest_high_and_lowest_low_come_from_any_bar_of_the_bucket():
    t0 = datetime(2024, 3, 1, 14, 30, tzinfo=timezone.utc)
    rows = [("100.00", "100.50", "99.80", "100.20", 10), ("100.20", "101.00", "99.50", "100.60", 20),
            ("100.60", "100.90", "99.20", "99.90", 30), ("99.90", "101.40", "99.70", "100.10", 40),
            ("100.10", "100.30", "99.90", "100.00", 50)]
    one_minute = [Bar(t0 + timedelta(minutes=i), *(Decimal(x) for x in r[:4]), r[4]) for i, r in enumerate(rows)]
    client = TestClient(create_app({"AAPL": one_minute}))
    bars = ok(get(client, timeframe="5Min", start="2024-03-01T14:30:00Z", end="2024-03-01T14:35:00Z"),
              "5Min over [14:30, 14:35)")["bars"]
    want = {"o": Decimal("100.00"), "h": Decimal("101.40"), "l": Decimal("99.20"), "c": Decimal("100.00"), "v": 150}
    got = [as_numbers(b) for b in bars]
    assert got == [want], (
        "the 14:30 bucket's high is the highest high of its bars (101.40 at 14:33) and its low the lowest low"
        f" (99.20 at 14:32), not the first or last bar's; expected [{want}], got {got}"
    )


# --- pagination and ETags -----------------------------------------------------------------------------------------

@rule("pagination-complete")
def test_three_pages_of_50_without_gaps_or_duplicates(client):
    pages = all_pages(client, limit=50)
    sizes = [len(p["bars"]) for p in pages]
    assert sizes == [50, 50, 20], f"limit=50 over 120 bars must give pages of 50, 50, 20; got {sizes}"
    times = [instant(b["t"]) for p in pages for b in p["bars"]]
    assert times == minutes(range(60, 180)), (
        "the pages together must be every bar exactly once, in order (no gaps, no duplicates)"
    )


@rule("pagination-complete")
def test_five_minute_bars_page_the_same_way(client):
    pages = all_pages(client, limit=10, timeframe="5Min")
    times = [instant(b["t"]) for p in pages for b in p["bars"]]
    assert [len(p["bars"]) for p in pages] == [10, 10, 4], "24 5Min bars with limit=10 are pages of 10, 10, 4"
    assert times == minutes(60 + 5 * k for k in range(24)), "the 5Min pages together are every bucket exactly once"


@rule("last-page-token-null")
@pytest.mark.parametrize("limit", [120, 500])
def test_a_page_holding_the_rest_has_a_null_token(client, limit):
    body = ok(get(client, limit=limit), f"limit={limit}")
    assert len(body["bars"]) == 120, f"limit={limit} holds all 120 bars, got {len(body['bars'])}"
    assert body["next_page_token"] is None, (
        f"the page that holds the last bar (limit={limit}, 120 bars) must have next_page_token null,"
        f" got {body['next_page_token']!r}"
    )
    partial = ok(get(client, limit=119), "limit=119")
    assert partial["next_page_token"] is not None, "119 of 120 bars leaves one more page: the token must not be null"


@rule("last-page-token-null", "pagination-complete")
def test_exact_fit_has_no_empty_extra_page(client):
    pages = all_pages(client, limit=60)
    sizes = [len(p["bars"]) for p in pages]
    assert sizes == [60, 60], (
        f"120 bars with limit=60 are exactly 2 pages: the second must have next_page_token null, got pages {sizes}"
    )


@rule("bad-token-400")
@pytest.mark.parametrize("token", ["not-a-token", base64.urlsafe_b64encode(b"[1, 2]").decode(),
                                   base64.urlsafe_b64encode(b'{"page": 2}').decode()],
                         ids=["garbage", "base64-list", "base64-foreign-object"])
def test_bad_page_token_is_400(client, token):
    first = ok(get(client, limit=50), "the first page")
    ok(get(client, limit=50, page_token=first["next_page_token"]), "the second page, via its token")
    resp = get(client, limit=50, page_token=token)
    assert resp.status_code == 400, f"page_token {token!r} must give 400, got {resp.status_code}: {resp.text[:200]}"


@rule("etag-strong-hash")
def test_etag_is_strong_and_stable_for_the_same_body(client):
    first = get(client, limit=10)
    etag = first.headers.get("etag")
    assert etag and etag.startswith('"') and etag.endswith('"') and len(etag) > 2, (
        f"a 200 must carry a strong, quoted ETag, got {etag!r}"
    )
    assert get(client, limit=10).headers.get("etag") == etag, "the same body must give the same ETag"
    fresh = TestClient(create_app({"AAPL": session_bars()}))
    assert get(fresh, limit=10).headers.get("etag") == etag, (
        "a freshly created app over the same bars must give the same ETag (derive it from the body, not from"
        " a counter, a random value or the object's identity)"
    )


@rule("etag-strong-hash")
def test_a_different_body_has_a_different_etag(client):
    page1 = get(client, limit=10)
    page2 = get(client, limit=10, page_token=page1.json()["next_page_token"])
    other_limit = get(client, limit=11)
    tags = [r.headers.get("etag") for r in (page1, page2, other_limit)]
    assert all(tags) and len(set(tags)) == 3, (
        f"page 1, page 2 and limit=11 are three different bodies and need three different ETags, got {tags}"
    )


@rule("if-none-match-304")
@pytest.mark.parametrize("header", ["{etag}", 'W/{etag}', '"stale", {etag}', '"stale",W/{etag}', '"a", "b", {etag}'],
                         ids=["exact", "weak", "listed", "listed-weak-no-space", "third-of-three"])
def test_if_none_match_with_the_current_tag_gives_304(client, header):
    etag = get(client, limit=10).headers.get("etag")
    assert etag, "a 200 must carry an ETag"
    cached = get(client, limit=10, headers={"If-None-Match": header.format(etag=etag)})
    assert cached.status_code == 304, (
        f"If-None-Match: {header.format(etag=etag)} lists the current tag: expected 304, got {cached.status_code}"
    )
    assert cached.content == b"", f"a 304 has no body, got {cached.content[:60]!r}"
    assert cached.headers.get("etag") == etag, "a 304 must repeat the ETag"


@rule("if-none-match-304")
def test_if_none_match_with_only_part_of_the_tag_gives_200(client):
    etag = get(client, limit=10).headers.get("etag")
    assert etag and len(etag) > 6, f"a 200 must carry an ETag, got {etag!r}"
    for header in (etag[:-3] + '"', '"' + etag[4:], "W/" + etag[:-3] + '"'):
        partial = get(client, limit=10, headers={"If-None-Match": header})
        assert partial.status_code == 200, (
            f"If-None-Match: {header} is not the current tag {etag} (tags are compared whole, not as"
            f" substrings): expected the full 200, got {partial.status_code}"
        )


@rule("if-none-match-304")
def test_if_none_match_without_the_current_tag_gives_200(client):
    etag = get(client, limit=10).headers.get("etag")
    assert etag, "a 200 must carry an ETag"
    stale = get(client, limit=10, headers={"If-None-Match": '"stale", W/"older"'})
    assert stale.status_code == 200 and stale.json()["bars"], "a list without the current tag must give the full 200"
    assert stale.headers.get("etag") == etag, "the full 200 carries the current ETag"
