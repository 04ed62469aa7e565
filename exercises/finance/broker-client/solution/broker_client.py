"""Broker and market-data clients in the style of Alpaca (orders) and Massive, formerly Polygon.io (aggregates)."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Optional

import httpx

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class BrokerError(Exception):
    """Base class for everything these clients raise."""


class OrderRejected(BrokerError):
    """The broker understood the order and said no (4xx). Retrying will not help."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"order rejected (HTTP {status_code}): {message}")
        self.status_code = status_code
        self.message = message


class BrokerUnavailable(BrokerError):
    """Transient failures (429, 5xx, network) persisted through every attempt."""


def _retry_after(resp: httpx.Response) -> Optional[float]:
    value = resp.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP-date; fall back to our own backoff
        return None


def _json(resp: httpx.Response) -> Any:
    # parse_float=Decimal: a price of 187.1 must become Decimal("187.1"), not the float 187.09999...
    return json.loads(resp.content, parse_float=Decimal) if resp.content else {}


class _RetryingClient:
    def __init__(self, base_url: str, headers: dict, secret: str, transport: Optional[httpx.BaseTransport],
                 sleep: Callable[[float], None], max_attempts: int, backoff: float) -> None:
        self._http = httpx.Client(base_url=base_url, headers=headers, transport=transport, timeout=10.0)
        self._secret = secret
        self._sleep, self.max_attempts, self.backoff = sleep, max_attempts, backoff
        self.base_url = base_url

    def _redact(self, text: str) -> str:
        # Upstreams sometimes echo the credential they rejected; it must not reach our logs through an exception.
        return text.replace(self._secret, "***")

    def _message(self, resp: httpx.Response) -> str:
        """The upstream's JSON `message`, else the reason phrase, with the secret masked."""
        try:
            message = _json(resp).get("message") if resp.content else None
        except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
            message = None
        return self._redact(str(message) if message is not None else resp.reason_phrase)

    def __repr__(self) -> str:  # never include credentials
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send with retries on 429/5xx/network errors. The caller builds the request body ONCE, outside
        this loop, so every attempt is byte-for-byte the same request (same client_order_id)."""
        for attempt in range(1, self.max_attempts + 1):
            delay = self.backoff * 2 ** (attempt - 1)
            try:
                resp = self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                # The message names the failure, never the request headers (they hold the keys).
                problem = type(exc).__name__
                if attempt == self.max_attempts:
                    raise BrokerUnavailable(f"{method} {url}: {problem} after {attempt} attempts") from exc
            else:
                if resp.status_code not in RETRYABLE_STATUS:
                    return resp
                problem = f"HTTP {resp.status_code}"
                if attempt == self.max_attempts:
                    raise BrokerUnavailable(f"{method} {url}: {problem} after {attempt} attempts")
                retry_after = _retry_after(resp)
                if retry_after is not None:  # "Retry-After: 0" means retry now, not "use the backoff"
                    delay = retry_after
            self._sleep(delay)
        raise AssertionError("unreachable")


class AlpacaClient(_RetryingClient):
    def __init__(self, key_id: str, secret_key: str, *, base_url: str = "https://paper-api.alpaca.markets",
                 transport: Optional[httpx.BaseTransport] = None, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 3, backoff: float = 0.5) -> None:
        headers = {"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret_key}
        super().__init__(base_url, headers, secret_key, transport, sleep, max_attempts, backoff)

    def submit_order(self, symbol: str, qty: Decimal | int, side: str, *, type: str = "market",
                     time_in_force: str = "day", limit_price: Optional[Decimal] = None,
                     client_order_id: Optional[str] = None) -> dict:
        _validate(symbol, qty, side, type, time_in_force, limit_price)
        # Generated once, before any attempt: a retry after a lost response must be recognisable as the same order.
        client_order_id = client_order_id or uuid.uuid4().hex
        body = {
            "symbol": symbol,
            "qty": str(qty),  # strings on the wire: no float ever touches the amount
            "side": side,
            "type": type,
            "time_in_force": time_in_force,
            "client_order_id": client_order_id,
        }
        if limit_price is not None:
            body["limit_price"] = str(limit_price)
        resp = self._send("POST", "/v2/orders", json=body)
        if resp.status_code < 300:
            return _json(resp)
        message = self._message(resp)
        if resp.status_code == 422 and "client_order_id" in message and "unique" in message:
            # An earlier attempt reached the broker even though we never saw its response: fetch that order.
            return self.get_order_by_client_id(client_order_id)
        raise OrderRejected(resp.status_code, message)

    def get_order_by_client_id(self, client_order_id: str) -> dict:
        resp = self._send("GET", "/v2/orders:by_client_order_id", params={"client_order_id": client_order_id})
        if resp.status_code >= 300:
            raise OrderRejected(resp.status_code, self._message(resp))
        return _json(resp)


def _is_amount(x: object) -> bool:
    if isinstance(x, bool):  # True is an int; an order for "True" shares is a bug
        return False
    if isinstance(x, Decimal):
        return x.is_finite()
    return isinstance(x, int)


def _validate(symbol, qty, side, type, time_in_force, limit_price) -> None:
    if not isinstance(symbol, str) or not symbol or symbol != symbol.strip().upper():
        raise ValueError("symbol must be a non-empty upper-case ticker")
    if not _is_amount(qty) or qty <= 0:
        raise ValueError("qty must be a positive Decimal or int (never a float)")
    if side not in ("buy", "sell"):
        raise ValueError("side must be 'buy' or 'sell'")
    if time_in_force not in ("day", "gtc", "ioc", "fok"):
        raise ValueError("time_in_force must be day, gtc, ioc or fok")
    if type == "market":
        if limit_price is not None:
            raise ValueError("a market order has no limit_price")
    elif type == "limit":
        if not _is_amount(limit_price) or limit_price <= 0:
            raise ValueError("a limit order needs a positive Decimal limit_price")
    else:
        raise ValueError("type must be 'market' or 'limit'")


@dataclass(frozen=True)
class Agg:
    ts: datetime  # UTC, start of the bar
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class PolygonClient(_RetryingClient):
    """Aggregates from Massive (formerly Polygon.io; api.polygon.io still answers with the same API)."""

    def __init__(self, api_key: str, *, base_url: str = "https://api.massive.com",
                 transport: Optional[httpx.BaseTransport] = None, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 3, backoff: float = 0.5) -> None:
        # A header, not ?apiKey=: query strings end up in access logs and proxies.
        super().__init__(base_url, {"Authorization": f"Bearer {api_key}"}, api_key, transport, sleep, max_attempts,
                         backoff)

    def get_aggs(self, ticker: str, multiplier: int, timespan: str, start: str, end: str) -> list[Agg]:
        url = f"/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{start}/{end}"
        params: Optional[dict] = {"adjusted": "true", "sort": "asc", "limit": "50000"}
        out: list[Agg] = []
        while url:
            resp = self._send("GET", url, params=params)
            if resp.status_code >= 300:
                raise BrokerError(f"GET {ticker} aggregates: HTTP {resp.status_code}")
            page = _json(resp)
            for r in page.get("results", []):
                out.append(Agg(
                    # t is milliseconds since the epoch, UTC. timedelta keeps it exact (no float seconds).
                    ts=EPOCH + timedelta(milliseconds=r["t"]),
                    open=Decimal(r["o"]), high=Decimal(r["h"]), low=Decimal(r["l"]), close=Decimal(r["c"]),
                    volume=Decimal(r["v"]),
                ))
            # next_url already carries the cursor and the original query: follow it as-is, but only on our own
            # origin. The Authorization header goes with every request; a next_url elsewhere would hand it the key.
            url, params = page.get("next_url"), None
            if url:
                target, base = httpx.URL(url), self._http.base_url
                if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
                    raise BrokerError(f"GET {ticker} aggregates: refusing a next_url on another origin than base_url"
                                      f" ({target.scheme}://{target.host}, port {target.port or 'default'})")
        return out
