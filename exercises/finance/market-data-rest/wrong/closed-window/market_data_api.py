"""OHLCV bars over HTTP: half-open time windows, cursor pagination, exact prices and ETags."""
from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Dict, List, Optional

from fastapi import FastAPI, Header, HTTPException, Query, Response

UTC = timezone.utc


@dataclass(frozen=True)
class Bar:
    ts: datetime  # aware UTC, start of the minute
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


class Timeframe(str, Enum):
    # An Enum (not Query(regex=...) / pattern=...) validates the same way on every FastAPI version.
    ONE_MIN = "1Min"
    FIVE_MIN = "5Min"


def rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bar_json(bar: Bar) -> dict:
    # Prices as strings: a JSON number would be read back as a float by most clients.
    return {"t": rfc3339(bar.ts), "o": str(bar.open), "h": str(bar.high), "l": str(bar.low),
            "c": str(bar.close), "v": bar.volume}


def encode_token(after: datetime) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": rfc3339(after)}).encode()).decode()


def decode_token(token: str) -> datetime:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        after = datetime.strptime(data["after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        raise HTTPException(status_code=400, detail="invalid page_token")
    return after


def five_minute(bars: List[Bar]) -> List[Bar]:
    """Resample 1-minute bars into 5-minute buckets: first open, max high, min low, last close, summed volume."""
    out: List[Bar] = []
    for bar in bars:
        bucket = bar.ts.replace(minute=bar.ts.minute - bar.ts.minute % 5, second=0, microsecond=0)
        if out and out[-1].ts == bucket:
            prev = out[-1]
            out[-1] = Bar(bucket, prev.open, max(prev.high, bar.high), min(prev.low, bar.low), bar.close,
                          prev.volume + bar.volume)
        else:
            out.append(Bar(bucket, bar.open, bar.high, bar.low, bar.close, bar.volume))
    return out


def unprocessable(field: str, msg: str) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": ["query", field], "msg": msg, "type": "value_error"}])


def create_app(bars: Dict[str, List[Bar]]) -> FastAPI:
    app = FastAPI(title="market data")
    data = {sym.upper(): sorted(rows, key=lambda b: b.ts) for sym, rows in bars.items()}
    times = {sym: [b.ts for b in rows] for sym, rows in data.items()}

    @app.get("/v1/bars/{symbol}")
    def get_bars(
        symbol: str,
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.ONE_MIN,
        limit: int = Query(100, ge=1, le=1000),
        page_token: Optional[str] = None,
        if_none_match: Optional[str] = Header(None),
    ) -> Response:
        for name, value in (("start", start), ("end", end)):
            if value.tzinfo is None:
                raise unprocessable(name, "must include a UTC offset (RFC 3339), e.g. 2024-03-01T14:30:00Z")
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            raise unprocessable("end", "end must be after start")
        sym = symbol.upper()
        if sym not in data:
            raise HTTPException(status_code=404, detail=f"unknown symbol {sym}")

        # Half-open [start, end): bisect_left on both ends includes start and excludes end, so adjacent
        # windows never share a bar.
        ts = times[sym]
        rows = data[sym][bisect.bisect_left(ts, start):bisect.bisect_right(ts, end)]
        if timeframe is Timeframe.FIVE_MIN:
            rows = five_minute(rows)
        if page_token is not None:
            after = decode_token(page_token)
            rows = [b for b in rows if b.ts > after]  # a cursor, not an offset: stable while new data arrives

        page, more = rows[:limit], len(rows) > limit  # one look past the page decides if there is a next one
        payload = {
            "symbol": sym,
            "timeframe": timeframe.value,
            "bars": [bar_json(b) for b in page],
            "next_page_token": encode_token(page[-1].ts) if more else None,
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if if_none_match and _etag_matches(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag})
        return Response(content=body, media_type="application/json", headers={"ETag": etag})

    return app


def _etag_matches(header: str, etag: str) -> bool:
    # If-None-Match uses weak comparison (RFC 9110 13.1.2): W/"x" matches "x"; the header may list several.
    candidates = [c.strip() for c in header.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)
