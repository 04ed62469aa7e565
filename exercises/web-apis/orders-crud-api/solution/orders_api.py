"""Orders CRUD API: status codes, request/response models and Decimal money on the wire."""
from decimal import Decimal
from typing import Dict, Literal, Optional

from fastapi import FastAPI, HTTPException, Response, status
from pydantic import BaseModel, Field


class OrderIn(BaseModel):
    """What a client may send. Every rule lives here, so bad input never reaches the handler."""

    symbol: str = Field(min_length=1, max_length=10)
    side: Literal["buy", "sell"]
    qty: int = Field(gt=0)
    # Decimal parses "187.10" exactly; a float field would already have lost digits.
    limit_price: Decimal = Field(gt=0)
    internal_note: Optional[str] = None


class OrderOut(BaseModel):
    """What a client may see. `internal_note` is absent, so response_model filtering drops it."""

    id: int
    symbol: str
    side: str
    qty: int
    # A string on the wire: pydantic 1 would emit a Decimal as a JSON number (a float in most clients).
    limit_price: str
    status: str


def _public(order: dict) -> OrderOut:
    return OrderOut(
        id=order["id"],
        symbol=order["symbol"],
        side=order["side"],
        qty=order["qty"],
        limit_price=str(order["limit_price"]),
        status=order["status"],
    )


def create_app() -> FastAPI:
    """Build a fresh app with its own in-memory store, so every test starts from zero."""
    app = FastAPI(title="Orders")
    orders: Dict[int, dict] = {}
    next_id = {"value": 1}

    def get_or_404(order_id: int) -> dict:
        order = orders.get(order_id)
        if order is None:
            raise HTTPException(status_code=404, detail=f"order {order_id} not found")
        return order

    @app.post("/orders", response_model=OrderOut, status_code=status.HTTP_201_CREATED)
    def create_order(payload: OrderIn, response: Response) -> OrderOut:
        order_id = next_id["value"]
        next_id["value"] += 1
        order = {
            "id": order_id,
            "symbol": payload.symbol.upper(),
            "side": payload.side,
            "qty": payload.qty,
            "limit_price": payload.limit_price,
            "internal_note": payload.internal_note,
            "status": "open",
        }
        orders[order_id] = order
        # 201 Created should say where the new resource lives (RFC 9110, section 15.3.2).
        response.headers["Location"] = f"/orders/{order_id}"
        return _public(order)

    @app.get("/orders/{order_id}", response_model=OrderOut)
    def read_order(order_id: int) -> OrderOut:
        return _public(get_or_404(order_id))

    @app.put("/orders/{order_id}", response_model=OrderOut)
    def replace_order(order_id: int, payload: OrderIn) -> OrderOut:
        order = get_or_404(order_id)
        if order["status"] == "filled":
            # The request is valid, but it conflicts with the resource's current state: 409, not 400/422.
            raise HTTPException(status_code=409, detail=f"order {order_id} is filled and cannot change")
        order.update(
            symbol=payload.symbol.upper(),
            side=payload.side,
            qty=payload.qty,
            limit_price=payload.limit_price,
            internal_note=payload.internal_note,
        )
        return _public(order)

    @app.post("/orders/{order_id}/fill", response_model=OrderOut)
    def fill_order(order_id: int) -> OrderOut:
        order = get_or_404(order_id)
        order["status"] = "filled"
        return _public(order)

    @app.delete("/orders/{order_id}", status_code=status.HTTP_204_NO_CONTENT)
    def delete_order(order_id: int) -> Response:
        get_or_404(order_id)
        del orders[order_id]
        # 204 means "no body": return a bare Response rather than None or {}.
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return app
