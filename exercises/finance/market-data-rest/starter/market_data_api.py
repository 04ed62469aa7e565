"""OHLCV bars over HTTP: half-open time windows, cursor pagination, exact prices and ETags.

Read README.md for the contract. Start from this route and tighten it: the parameter types below are too loose.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Dict, List, Optional

from fastapi import FastAPI, HTTPException


@dataclass(frozen=True)
class Bar:
    ts: datetime  # aware UTC, start of the minute
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


def create_app(bars: Dict[str, List[Bar]]) -> FastAPI:
    app = FastAPI(title="market data")

    @app.get("/v1/bars/{symbol}")
    def get_bars(symbol: str, start: datetime, end: datetime, timeframe: str = "1Min", limit: int = 100,
                 page_token: Optional[str] = None):
        # TODO: validate, select [start, end), resample 5Min, paginate with a cursor, ETag / 304
        raise HTTPException(status_code=501, detail="not implemented")

    return app
