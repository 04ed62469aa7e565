"""Verifier for orders-crud-api: routing, status codes, validation, response filtering, exact money."""
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

import orders_api

ORDER = {"symbol": "aapl", "side": "buy", "qty": 10, "limit_price": "187.10"}


@pytest.fixture
def client():
    # A new app per test: create_app() must not share its store between apps.
    with TestClient(orders_api.create_app()) as c:
        yield c


def create(client, **changes):
    body = dict(ORDER, **changes)
    resp = client.post("/orders", json=body)
    assert resp.status_code == 201, (
        f"POST /orders with a valid body must return 201 Created, got {resp.status_code}: {resp.text}"
    )
    return resp


def locs(resp):
    detail = resp.json().get("detail")
    assert isinstance(detail, list), f"a 422 body must have a `detail` list of errors, got {resp.text}"
    return [list(err["loc"]) for err in detail]


def test_post_returns_201_location_and_uppercase_symbol(client):
    resp = create(client)
    body = resp.json()
    assert isinstance(body.get("id"), int), f"the created order needs an integer `id`, got {body}"
    location = resp.headers.get("location", "")
    assert location.endswith(f"/orders/{body['id']}"), (
        f"201 Created must carry `Location: /orders/{body['id']}`, got {location!r}"
    )
    assert body["symbol"] == "AAPL", f"the symbol must be stored upper-cased: sent 'aapl', got {body['symbol']!r}"
    assert body["side"] == "buy" and body["qty"] == 10, f"side and qty must echo the request, got {body}"
    assert body.get("status") == "open", f"a new order's status must be 'open', got {body.get('status')!r}"
    second = create(client, symbol="msft")
    assert second.json()["id"] != body["id"], "each created order needs its own id"


def test_get_returns_the_created_order(client):
    created = create(client).json()
    resp = client.get(f"/orders/{created['id']}")
    assert resp.status_code == 200, f"GET /orders/{{id}} of an existing order must return 200, got {resp.status_code}"
    assert resp.json() == created, f"GET must return the same representation POST returned: {resp.json()} != {created}"


@pytest.mark.parametrize(
    "field, value",
    [("qty", 0), ("qty", -3), ("side", "hold"), ("symbol", ""), ("qty", "ten")],
)
def test_invalid_fields_give_422_with_the_field_location(client, field, value):
    resp = client.post("/orders", json=dict(ORDER, **{field: value}))
    assert resp.status_code == 422, (
        f"POST /orders with {field}={value!r} must be rejected with 422, got {resp.status_code}: {resp.text}"
    )
    assert ["body", field] in locs(resp), (
        f"the 422 for {field}={value!r} must point at loc ['body', '{field}'], got {locs(resp)}"
    )


def test_missing_field_gives_422(client):
    body = dict(ORDER)
    del body["side"]
    resp = client.post("/orders", json=body)
    assert resp.status_code == 422, f"a body without `side` must give 422, got {resp.status_code}"
    assert ["body", "side"] in locs(resp), f"the 422 must point at ['body', 'side'], got {locs(resp)}"


def test_missing_order_gives_404(client):
    resp = client.get("/orders/999")
    assert resp.status_code == 404, f"GET /orders/999 (never created) must return 404, got {resp.status_code}"


def test_internal_note_is_never_returned(client):
    secret = "client is on a margin call"
    resp = create(client, internal_note=secret)
    order_id = resp.json()["id"]
    for label, r in [("POST", resp), ("GET", client.get(f"/orders/{order_id}"))]:
        assert "internal_note" not in r.json(), (
            f"{label} response must not contain `internal_note`: declare a response_model that omits it"
        )
        assert secret not in r.text, f"{label} response leaks the internal note's text"


def test_decimal_price_round_trips_exactly(client):
    price = "12345678901234.567891"  # a float keeps only ~17 significant digits
    created = create(client, limit_price=price).json()
    assert isinstance(created["limit_price"], str), (
        f"send money as a JSON string, not a number: got {created['limit_price']!r}"
    )
    assert Decimal(str(created["limit_price"])) == Decimal(price), (
        f"limit_price must round-trip exactly: sent {price}, got {created['limit_price']}"
    )
    fetched = client.get(f"/orders/{created['id']}").json()
    assert Decimal(str(fetched["limit_price"])) == Decimal(price), (
        f"GET must return the exact stored price {price}, got {fetched['limit_price']}"
    )


def test_put_replaces_an_open_order(client):
    order_id = create(client).json()["id"]
    resp = client.put(f"/orders/{order_id}", json=dict(ORDER, qty=5, limit_price="186.00"))
    assert resp.status_code == 200, f"PUT on an open order must return 200, got {resp.status_code}: {resp.text}"
    assert resp.json()["qty"] == 5, f"PUT must replace qty, got {resp.json()}"
    assert Decimal(str(resp.json()["limit_price"])) == Decimal("186.00")
    assert client.put("/orders/999", json=ORDER).status_code == 404, "PUT on a missing order must return 404"


def test_put_on_filled_order_gives_409(client):
    order_id = create(client).json()["id"]
    filled = client.post(f"/orders/{order_id}/fill")
    assert filled.status_code == 200 and filled.json()["status"] == "filled", (
        f"POST /orders/{{id}}/fill must return 200 with status 'filled', got {filled.status_code}: {filled.text}"
    )
    resp = client.put(f"/orders/{order_id}", json=dict(ORDER, qty=99))
    assert resp.status_code == 409, (
        f"PUT on a filled order conflicts with its state and must return 409, got {resp.status_code}"
    )
    after = client.get(f"/orders/{order_id}").json()
    assert after["qty"] == 10, f"a rejected PUT must not change the order, qty is now {after['qty']}"


def test_delete_gives_204_with_empty_body_then_404(client):
    order_id = create(client).json()["id"]
    resp = client.delete(f"/orders/{order_id}")
    assert resp.status_code == 204, f"DELETE of an existing order must return 204, got {resp.status_code}"
    assert resp.content == b"", f"a 204 response must have an empty body, got {resp.content!r}"
    assert client.get(f"/orders/{order_id}").status_code == 404, "GET after DELETE must return 404"
    assert client.delete(f"/orders/{order_id}").status_code == 404, "a second DELETE must return 404"


def test_each_app_has_its_own_store():
    with TestClient(orders_api.create_app()) as first:
        create(first)
    with TestClient(orders_api.create_app()) as second:
        assert second.get("/orders/1").status_code == 404, (
            "create_app() must build a fresh store: an order from another app instance is visible"
        )
