"""Orders CRUD API: status codes, request/response models and Decimal money on the wire.

Every route below answers 501 Not Implemented. Replace each body, tighten the models, and run the verifier.
"""
from decimal import Decimal
from typing import Dict, Optional

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel


class OrderIn(BaseModel):
    # TODO: constrain these (symbol 1-10 chars, side "buy"/"sell" only, qty > 0, limit_price > 0).
    symbol: str
    side: str
    qty: int
    limit_price: Decimal
    internal_note: Optional[str] = None


class OrderOut(BaseModel):
    # TODO: the public representation (see README); it must not include internal_note.
    id: int


def create_app() -> FastAPI:
    app = FastAPI(title="Orders")
    orders: Dict[int, dict] = {}  # this app's own store

    @app.post("/orders")
    def create_order(payload: OrderIn):
        raise HTTPException(status_code=501, detail="TODO: create the order")

    @app.get("/orders/{order_id}")
    def read_order(order_id: int):
        raise HTTPException(status_code=501, detail="TODO: read the order")

    @app.put("/orders/{order_id}")
    def replace_order(order_id: int, payload: OrderIn):
        raise HTTPException(status_code=501, detail="TODO: replace the order")

    @app.post("/orders/{order_id}/fill")
    def fill_order(order_id: int):
        raise HTTPException(status_code=501, detail="TODO: mark the order filled")

    @app.delete("/orders/{order_id}")
    def delete_order(order_id: int):
        raise HTTPException(status_code=501, detail="TODO: delete the order")

    return app
