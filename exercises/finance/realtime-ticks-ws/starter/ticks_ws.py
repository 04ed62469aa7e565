"""A live tick feed over WebSocket: authenticate before accept, a small JSON protocol, per-symbol fan-out.

Read README.md for the protocol. Keep all state on the app (create_app), never in module globals.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Iterable, Optional

from fastapi import FastAPI, WebSocket
from pydantic import BaseModel


class TickHub:
    """Who is connected and what each connection wants."""

    def __init__(self) -> None:
        self._subs: dict = {}

    @property
    def client_count(self) -> int:
        return len(self._subs)

    async def publish(self, message: dict) -> int:
        return 0  # TODO: send to subscribers of message["symbol"], return how many got it


class Tick(BaseModel):
    symbol: str
    price: Decimal
    size: int
    ts: datetime


def create_app(tokens: Iterable[str] = ("demo-token",)) -> FastAPI:
    app = FastAPI(title="ticks")
    hub = TickHub()
    app.state.hub = hub

    @app.websocket("/v1/stream")
    async def stream(websocket: WebSocket, token: Optional[str] = None) -> None:
        # TODO: check the token before accept (close 1008), then accept and loop: read a frame, reply,
        # and remove the client from the hub however the loop ends.
        await websocket.close()

    @app.post("/internal/ticks", status_code=202)
    async def post_tick(tick: Tick) -> dict:
        return {"delivered": 0}  # TODO: build the tick frame, publish it, return {"delivered": n}

    @app.get("/internal/stats")
    def stats() -> dict:
        return {"clients": hub.client_count}

    return app
