"""Broker and market-data clients in the style of Alpaca (orders) and Massive, formerly Polygon.io (aggregates).

Read README.md for the exact contract. Every HTTP call goes through the injected `transport`, every wait
through the injected `sleep`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Callable, Optional

import httpx


class BrokerError(Exception):
    """Base class for everything these clients raise."""


class OrderRejected(BrokerError):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"order rejected (HTTP {status_code}): {message}")
        self.status_code = status_code
        self.message = message


class BrokerUnavailable(BrokerError):
    """Transient failures (429, 5xx, network) persisted through every attempt."""


class AlpacaClient:
    def __init__(self, key_id: str, secret_key: str, *, base_url: str = "https://paper-api.alpaca.markets",
                 transport: Optional[httpx.BaseTransport] = None, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 3, backoff: float = 0.5) -> None:
        self._http = httpx.Client(base_url=base_url, transport=transport)
        self._sleep, self.max_attempts, self.backoff = sleep, max_attempts, backoff

    def submit_order(self, symbol: str, qty: Decimal | int, side: str, *, type: str = "market",
                     time_in_force: str = "day", limit_price: Optional[Decimal] = None,
                     client_order_id: Optional[str] = None) -> dict:
        raise NotImplementedError  # TODO: validate, build the body once, POST with retries, handle 4xx

    def get_order_by_client_id(self, client_order_id: str) -> dict:
        raise NotImplementedError  # TODO: GET /v2/orders:by_client_order_id

    def close(self) -> None:
        self._http.close()


@dataclass(frozen=True)
class Agg:
    ts: datetime  # aware UTC
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class PolygonClient:
    def __init__(self, api_key: str, *, base_url: str = "https://api.massive.com",
                 transport: Optional[httpx.BaseTransport] = None, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 3, backoff: float = 0.5) -> None:
        self._http = httpx.Client(base_url=base_url, transport=transport)

    def get_aggs(self, ticker: str, multiplier: int, timespan: str, start: str, end: str) -> list[Agg]:
        raise NotImplementedError  # TODO: first page, then follow next_url until it is absent

    def close(self) -> None:
        self._http.close()
