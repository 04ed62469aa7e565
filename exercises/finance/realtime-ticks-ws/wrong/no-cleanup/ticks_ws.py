"""A live tick feed over WebSocket: authenticate before accept, a small JSON protocol, per-symbol fan-out."""
from __future__ import annotations

import hmac
import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Dict, Iterable, List, Optional, Set

from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

POLICY_VIOLATION = 1008  # RFC 6455 close code for "you are not allowed here"


class TickHub:
    """Who is connected and what each connection wants. One hub per app, never a module global."""

    def __init__(self) -> None:
        self._subs: Dict[WebSocket, Set[str]] = {}

    @property
    def client_count(self) -> int:
        return len(self._subs)

    def add(self, ws: WebSocket) -> None:
        self._subs[ws] = set()

    def remove(self, ws: WebSocket) -> None:
        self._subs.pop(ws, None)

    def subscribe(self, ws: WebSocket, symbols: Iterable[str]) -> List[str]:
        self._subs[ws].update(symbols)
        return sorted(self._subs[ws])

    def unsubscribe(self, ws: WebSocket, symbols: Iterable[str]) -> List[str]:
        self._subs[ws].difference_update(symbols)
        return sorted(self._subs[ws])

    async def publish(self, message: dict) -> int:
        delivered = 0
        # Iterate over a copy: a failed send removes the client while we loop.
        for ws, symbols in list(self._subs.items()):
            if message["symbol"] not in symbols:
                continue
            try:
                await ws.send_json(message)
                delivered += 1
            except Exception:  # the peer went away mid-send: drop it, keep serving the others
                self.remove(ws)
        return delivered


class Tick(BaseModel):
    symbol: str
    price: Decimal
    size: int
    ts: datetime


def _error(message: str) -> dict:
    return {"type": "error", "message": message}


def _symbols(raw: object) -> Optional[List[str]]:
    if not isinstance(raw, list) or not raw:
        return None
    if not all(isinstance(s, str) and s.strip() for s in raw):
        return None
    return sorted({s.strip().upper() for s in raw})


def handle_message(hub: TickHub, ws: WebSocket, text: Optional[str]) -> dict:
    """One client frame in, one reply out. Bad input gets an error frame; it never ends the connection."""
    if text is None:
        return _error("send JSON text frames")
    try:
        msg = json.loads(text)
    except ValueError:
        return _error("malformed JSON")
    if not isinstance(msg, dict):
        return _error("expected a JSON object")
    action = msg.get("action")
    if action == "ping":
        return {"type": "pong"}
    if action not in ("subscribe", "unsubscribe"):
        return _error(f"unknown action {action!r}")
    symbols = _symbols(msg.get("symbols"))
    if symbols is None:
        return _error("symbols must be a non-empty list of ticker strings")
    if action == "subscribe":
        return {"type": "subscribed", "symbols": hub.subscribe(ws, symbols)}
    return {"type": "unsubscribed", "symbols": hub.unsubscribe(ws, symbols)}


def create_app(tokens: Iterable[str] = ("demo-token",)) -> FastAPI:
    app = FastAPI(title="ticks")
    valid = list(tokens)
    hub = TickHub()
    app.state.hub = hub

    def authorised(token: Optional[str]) -> bool:
        return token is not None and any(hmac.compare_digest(token, t) for t in valid)

    @app.websocket("/v1/stream")
    async def stream(websocket: WebSocket, token: Optional[str] = None) -> None:
        if not authorised(token):
            # Close BEFORE accept: the handshake is refused and no connection state is ever created.
            await websocket.close(code=POLICY_VIOLATION)
            return
        await websocket.accept()
        hub.add(websocket)
        try:
            while True:
                # receive(), not receive_json(): a malformed frame must become an error reply, not a crash.
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await websocket.send_json(handle_message(hub, websocket, message.get("text")))
        except WebSocketDisconnect:
            pass
        finally:
            pass

    @app.post("/internal/ticks", status_code=202)
    async def post_tick(tick: Tick) -> dict:
        if tick.ts.tzinfo is None:
            raise HTTPException(status_code=422, detail="ts needs a UTC offset")
        message = {
            "type": "tick",
            "symbol": tick.symbol.strip().upper(),
            "price": str(tick.price),
            "size": tick.size,
            "ts": tick.ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        }
        return {"delivered": await hub.publish(message)}

    @app.get("/internal/stats")
    def stats() -> dict:
        return {"clients": hub.client_count}

    return app
