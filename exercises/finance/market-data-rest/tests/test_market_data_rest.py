"""Verifier for market-data-rest: half-open windows, cursor pages, exact string prices, UTC times, ETag/304."""
import base64
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from market_data_api import Bar, create_app

UTC = timezone.utc
OPEN = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)  # the window tests ask for [14:30, 16:30)
SESSION_START = datetime(2024, 3, 1, 13, 30, tzinfo=UTC)


def price(i, offset="0"):
    return Decimal("187.10") + Decimal("0.05") * i + Decimal(offset)


def session_bars():
    return [Bar(SESSION_START + timedelta(minutes=i), price(i), price(i, "0.30"), price(i, "-0.20"), price(i, "0.10"),
                1000 + i) for i in range(390)]


@pytest.fixture()
def client():
    return TestClient(create_app({"AAPL": session_bars()}))


def get(client, **params):
    params.setdefault("start", "2024-03-01T14:30:00Z")
    params.setdefault("end", "2024-03-01T16:30:00Z")
    return client.get("/v1/bars/AAPL", params=params)


def all_pages(client, limit):
    pages, token = [], None
    for _ in range(10):
        params = {"limit": limit, **({"page_token": token} if token else {})}
        resp = get(client, **params)
        assert resp.status_code == 200, f"page {len(pages) + 1} gave {resp.status_code}: {resp.text}"
        pages.append(resp.json())
        token = pages[-1]["next_page_token"]
        if token is None:
            return pages
    raise AssertionError("pagination never ended: next_page_token was never null")


def test_half_open_window_ascending_utc(client):
    resp = get(client, limit=1000)
    assert resp.status_code == 200, resp.text
    bars = resp.json()["bars"]
    assert len(bars) == 120, f"[14:30, 16:30) holds 120 one-minute bars (end is exclusive), got {len(bars)}"
    assert bars[0]["t"] == "2024-03-01T14:30:00Z", f"the first bar is 14:30 (start is inclusive), got {bars[0]['t']}"
    assert bars[-1]["t"] == "2024-03-01T16:29:00Z", f"the last bar is 16:29 (end is exclusive), got {bars[-1]['t']}"
    assert [b["t"] for b in bars] == sorted(b["t"] for b in bars), "bars must be in ascending time order"
    assert all(b["t"].endswith("Z") for b in bars), "times must be RFC 3339 UTC with a Z suffix"
    assert resp.json()["next_page_token"] is None, "a single page that holds everything has next_page_token null"


def test_three_pages_of_50_without_gaps_or_duplicates(client):
    pages = all_pages(client, 50)
    sizes = [len(p["bars"]) for p in pages]
    assert sizes == [50, 50, 20], f"limit=50 over 120 bars must give pages of 50, 50, 20; got {sizes}"
    times = [b["t"] for p in pages for b in p["bars"]]
    expected = [(OPEN + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(120)]
    assert times == expected, "the pages together must be every bar exactly once, in order (no gaps, no duplicates)"
    assert pages[-1]["next_page_token"] is None, "the final page must have next_page_token null"


def test_exact_fit_has_no_empty_extra_page(client):
    sizes = [len(p["bars"]) for p in all_pages(client, 60)]
    assert sizes == [60, 60], (
        f"120 bars with limit=60 are exactly 2 pages: the second must have next_page_token null, got pages {sizes}"
    )


def test_prices_are_exact_strings(client):
    bar = get(client, limit=5).json()["bars"][0]  # i = 60 -> 187.10 + 3.00
    for key, want in (("o", "190.10"), ("h", "190.40"), ("l", "189.90"), ("c", "190.20")):
        assert isinstance(bar[key], str), f"price {key!r} must be a JSON string, got {bar[key]!r}"
        assert Decimal(bar[key]) == Decimal(want), f"price {key!r} must be exactly {want}, got {bar[key]!r}"
    assert bar["v"] == 1060, f"volume must be the integer 1060, got {bar['v']!r}"


@pytest.mark.parametrize("params", [
    {"timeframe": "2Min"},
    {"limit": 0},
    {"limit": 1001},
    {"start": "yesterday"},
    {"start": "2024-03-01T16:30:00Z"},  # end == start
    {"start": "2024-03-01T14:30:00"},  # no offset: ambiguous
], ids=["timeframe-2Min", "limit-0", "limit-1001", "start-yesterday", "end-equals-start", "naive-start"])
def test_invalid_queries_give_422(client, params):
    resp = get(client, **params)
    assert resp.status_code == 422, f"{params} must give 422, got {resp.status_code}: {resp.text}"


def test_offset_start_is_normalised_to_utc(client):
    resp = get(client, start="2024-03-01T16:30:00+02:00", limit=1000)  # params= encodes the "+" as %2B
    assert resp.status_code == 200, resp.text
    bars = resp.json()["bars"]
    assert bars[0]["t"] == "2024-03-01T14:30:00Z", f"16:30+02:00 is 14:30Z: the first bar must say so, got {bars[0]['t']}"
    assert len(bars) == 120, f"16:30+02:00 to 16:30Z is two hours: 120 bars, got {len(bars)}"


def test_five_minute_bars_are_resampled(client):
    bars = get(client, timeframe="5Min", limit=1000).json()["bars"]
    assert len(bars) == 24, f"two hours of 5Min bars is 24, got {len(bars)}"
    first = bars[0]  # minutes i = 60..64
    assert first["t"] == "2024-03-01T14:30:00Z"
    got = {k: Decimal(first[k]) for k in "ohlc"}
    assert got == {"o": Decimal("190.10"), "h": Decimal("190.60"), "l": Decimal("189.90"), "c": Decimal("190.40")}, (
        f"a 5Min bar is first open, max high, min low, last close; got {got}"
    )
    assert first["v"] == sum(1000 + i for i in range(60, 65)), "a 5Min bar's volume is the sum of its minutes"


def test_unknown_symbol_404_and_bad_token_400(client):
    resp = client.get("/v1/bars/ZZZZ", params={"start": "2024-03-01T14:30:00Z", "end": "2024-03-01T16:30:00Z"})
    assert resp.status_code == 404, f"an unknown symbol must give 404, got {resp.status_code}"
    for token in ("not-a-token", base64.urlsafe_b64encode(b"[1, 2]").decode()):
        resp = get(client, page_token=token)
        assert resp.status_code == 400, f"page_token {token!r} must give 400, got {resp.status_code}"


def test_if_none_match_gives_304_with_empty_body(client):
    first = get(client, limit=10)
    etag = first.headers.get("etag")
    assert etag and etag.startswith('"') and etag.endswith('"'), f"a 200 must carry a quoted ETag, got {etag!r}"
    again = get(client, limit=10)
    assert again.headers.get("etag") == etag, "the same data must give the same ETag"
    cached = client.get("/v1/bars/AAPL", params={"start": "2024-03-01T14:30:00Z", "end": "2024-03-01T16:30:00Z",
                                                 "limit": 10}, headers={"If-None-Match": etag})
    assert cached.status_code == 304, f"If-None-Match with the current ETag must give 304, got {cached.status_code}"
    assert cached.content == b"", f"a 304 has no body, got {cached.content[:60]!r}"
    assert cached.headers.get("etag") == etag, "a 304 must repeat the ETag"
    listed = client.get("/v1/bars/AAPL", params={"start": "2024-03-01T14:30:00Z", "end": "2024-03-01T16:30:00Z",
                                                 "limit": 10}, headers={"If-None-Match": f'"stale", W/{etag}'})
    assert listed.status_code == 304, "If-None-Match may list several tags and use W/ (weak comparison)"
    stale = client.get("/v1/bars/AAPL", params={"start": "2024-03-01T14:30:00Z", "end": "2024-03-01T16:30:00Z",
                                                "limit": 10}, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json()["bars"], "a non-matching ETag must give the full 200"
