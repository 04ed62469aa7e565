"""Verifier for orders-crud-api: routing, status codes, validation, response filtering, exact money."""
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

import orders_api

ORDER = {"symbol": "AAPL", "side": "buy", "qty": 10, "limit_price": "187.10"}
FIELDS = {"id", "symbol", "side", "qty", "limit_price", "status"}
MISSING = 999  # an id no test ever creates


@pytest.fixture
def client():
    # A new app per test: create_app() must not share its store between apps.
    with TestClient(orders_api.create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def shared_client():
    # One app for the tests that only ever read or change orders they create themselves (the 422s and 404s, the
    # upper-cased symbols, the exact prices): building an app and its client is most of this verifier's time.
    with TestClient(orders_api.create_app()) as c:
        yield c


def create(client, **changes):
    """POST a valid order and return its body. Judges only that it was created (the status code is create-201's)."""
    resp = client.post("/orders", json=dict(ORDER, **changes))
    assert resp.status_code in (200, 201), f"POST /orders with a valid body must succeed, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("id"), int), f"the created order needs an integer `id`, got {body}"
    return body


def fill(client, order_id):
    resp = client.post(f"/orders/{order_id}/fill")
    assert resp.status_code == 200 and resp.json().get("status") == "filled", (
        f"POST /orders/{order_id}/fill must give 200 with status 'filled', got {resp.status_code}: {resp.text}"
    )
    return resp.json()


def locs(resp):
    detail = resp.json().get("detail")
    assert isinstance(detail, list), f"a 422 body must have a `detail` list of errors, got {resp.text}"
    return [list(err["loc"]) for err in detail]


def same_price(value, expected):
    return isinstance(value, str) and Decimal(value) == Decimal(expected)


# --- create -----------------------------------------------------------------------------------------------


@pytest.mark.rule("create-201")
def test_post_returns_201_with_the_order_and_its_location(client):
    for changes in ({}, {"symbol": "MSFT", "side": "sell", "qty": 3, "limit_price": "410.25"}):
        sent = dict(ORDER, **changes)
        resp = client.post("/orders", json=sent)
        assert resp.status_code == 201, f"POST /orders with a valid body must return 201 Created, got {resp.status_code}: {resp.text}"
        body = resp.json()
        assert FIELDS <= set(body), f"the created order must have every OrderOut field {sorted(FIELDS)}, got {sorted(body)}"
        assert isinstance(body["id"], int), f"`id` must be an integer, got {body['id']!r}"
        expected = {k: sent[k] for k in ("symbol", "side", "qty")}
        assert {k: body[k] for k in expected} == expected, f"symbol, side and qty must echo the request {expected}, got {body}"
        assert Decimal(str(body["limit_price"])) == Decimal(sent["limit_price"]), f"limit_price must be {sent['limit_price']}, got {body}"
        assert body["status"] == "open", f"a new order's status must be 'open', got {body['status']!r}"
        location = resp.headers.get("location", "")
        assert urlsplit(location).path == f"/orders/{body['id']}", (
            f"201 Created must carry `Location: /orders/{body['id']}` (the order just created), got {location!r}"
        )


@pytest.mark.rule("ids-per-app")
def test_ids_start_at_1_in_every_app_and_stores_are_separate():
    with TestClient(orders_api.create_app()) as first:
        ids = [create(first, symbol=s)["id"] for s in ("AAPL", "MSFT", "NVDA")]
        assert ids == [1, 2, 3], f"ids must start at 1 and go up by one per order, got {ids}"
    with TestClient(orders_api.create_app()) as second:
        assert second.get("/orders/3").status_code == 404, (
            "create_app() must build a fresh store: an order created in another app instance is visible"
        )
        assert create(second)["id"] == 1, "a new app must start again at id 1"


@pytest.mark.rule("ids-per-app", "get-order")
def test_ids_are_never_reused_after_a_delete(client):
    ids = [create(client, symbol=s)["id"] for s in ("AAPL", "MSFT", "NVDA")]
    client.delete(f"/orders/{ids[-1]}")
    client.delete(f"/orders/{ids[0]}")
    later = create(client, symbol="TSLA")["id"]
    assert later == ids[-1] + 1, (
        f"ids go up by one per created order and are never reused: after orders {ids} and two deletes the next "
        f"order must get id {ids[-1] + 1}, got {later} (an id like len(store) + 1 comes back after a delete)"
    )
    survivor = client.get(f"/orders/{ids[1]}")
    assert survivor.status_code == 200 and survivor.json().get("symbol") == "MSFT", (
        f"creating an order must not overwrite another one: order {ids[1]} (MSFT) is now {survivor.status_code}: {survivor.text}"
    )


@pytest.mark.rule("symbol-upper", "get-order")
def test_symbol_is_upper_cased_on_post_and_put(shared_client):
    for sent, stored in [("aapl", "AAPL"), ("brk.b", "BRK.B"), ("Msft", "MSFT")]:
        order = create(shared_client, symbol=sent)
        assert order["symbol"] == stored, f"POST with symbol {sent!r} must store {stored!r}, got {order['symbol']!r}"
        fetched = shared_client.get(f"/orders/{order['id']}").json().get("symbol")
        assert fetched == stored, f"the symbol is stored upper-cased: GET after POST with {sent!r} must show {stored!r}, got {fetched!r}"
    order_id = create(shared_client)["id"]
    resp = shared_client.put(f"/orders/{order_id}", json=dict(ORDER, symbol="tsla"))
    assert resp.status_code == 200 and resp.json().get("symbol") == "TSLA", (
        f"PUT with symbol 'tsla' must store 'TSLA' too, got {resp.status_code}: {resp.text}"
    )


# --- validation -------------------------------------------------------------------------------------------

INVALID = [
    ("qty", 0, 1),
    ("qty", -3, 1),
    ("qty", "ten", 10),
    ("side", "hold", "sell"),
    ("side", "BUY", "buy"),
    ("symbol", "", "A"),
    ("symbol", "ABCDEFGHIJK", "ABCDEFGHIJ"),
    ("limit_price", "0", "0.01"),
    ("limit_price", "-1", "0.01"),
    ("limit_price", "abc", "1"),
]
INVALID_IDS = [f"{field}={bad!r}" for field, bad, _ in INVALID]


@pytest.mark.rule("validation-422")
@pytest.mark.parametrize("field, bad, good", INVALID, ids=INVALID_IDS)
def test_post_invalid_field_gives_422_with_its_location(shared_client, field, bad, good):
    resp = shared_client.post("/orders", json=dict(ORDER, **{field: bad}))
    assert resp.status_code == 422, f"POST /orders with {field}={bad!r} must be rejected with 422, got {resp.status_code}: {resp.text}"
    assert ["body", field] in locs(resp), f"the 422 for {field}={bad!r} must point at loc ['body', '{field}'], got {locs(resp)}"
    resp = shared_client.post("/orders", json=dict(ORDER, **{field: good}))
    assert resp.status_code == 201, f"the edge value {field}={good!r} is valid: POST must accept it, got {resp.status_code}: {resp.text}"


@pytest.mark.rule("validation-422")
@pytest.mark.parametrize("field, bad, good", INVALID, ids=INVALID_IDS)
def test_put_invalid_field_gives_422_with_its_location(shared_client, field, bad, good):
    order_id = create(shared_client)["id"]
    resp = shared_client.put(f"/orders/{order_id}", json=dict(ORDER, **{field: bad}))
    assert resp.status_code == 422, f"PUT /orders/{order_id} with {field}={bad!r} must be rejected with 422, got {resp.status_code}: {resp.text}"
    assert ["body", field] in locs(resp), f"the 422 for {field}={bad!r} must point at loc ['body', '{field}'], got {locs(resp)}"


@pytest.mark.rule("validation-422")
@pytest.mark.parametrize("field", ["symbol", "side", "qty", "limit_price"])
def test_missing_field_gives_422(shared_client, field):
    body = dict(ORDER)
    del body[field]
    for method, path in [("POST", "/orders"), ("PUT", f"/orders/{create(shared_client)['id']}")]:
        resp = shared_client.request(method, path, json=body)
        assert resp.status_code == 422, f"{method} {path} without `{field}` must give 422, got {resp.status_code}"
        assert ["body", field] in locs(resp), f"the 422 must point at ['body', '{field}'], got {locs(resp)}"


# --- read, not found ----------------------------------------------------------------------------------------


@pytest.mark.rule("not-found")
@pytest.mark.parametrize(
    "method, path, body",
    [("GET", f"/orders/{MISSING}", None), ("PUT", f"/orders/{MISSING}", ORDER), ("POST", f"/orders/{MISSING}/fill", None),
     ("DELETE", f"/orders/{MISSING}", None)],
    ids=["GET", "PUT", "fill", "DELETE"],
)
def test_never_created_order_gives_404(shared_client, method, path, body):
    create(shared_client)  # the store is not empty, just missing this id
    resp = shared_client.request(method, path, json=body)
    assert resp.status_code == 404, f"{method} {path} (never created) must return 404, got {resp.status_code}: {resp.text}"


@pytest.mark.rule("get-order")
def test_get_returns_the_created_order(client):
    first = create(client)
    second = create(client, symbol="MSFT", side="sell", qty=3, limit_price="410.25")
    for created in (first, second):
        resp = client.get(f"/orders/{created['id']}")
        assert resp.status_code == 200, f"GET /orders/{created['id']} of an existing order must return 200, got {resp.status_code}"
        assert resp.json() == created, f"GET must return the same representation POST returned: {resp.json()} != {created}"


# --- never leak, never round ----------------------------------------------------------------------------------


@pytest.mark.rule("internal-note-hidden", "get-order")
def test_internal_note_is_never_returned(client):
    secret, other = "client is on a margin call", "second note, also private"
    resp = client.post("/orders", json=dict(ORDER, internal_note=secret))
    order_id = resp.json()["id"]
    responses = [("POST", resp, secret), ("GET", client.get(f"/orders/{order_id}"), secret)]
    responses.append(("PUT", client.put(f"/orders/{order_id}", json=dict(ORDER, qty=5, internal_note=other)), other))
    responses.append(("GET after PUT", client.get(f"/orders/{order_id}"), other))
    responses.append(("fill", client.post(f"/orders/{order_id}/fill"), other))
    for label, r, note in responses:
        assert r.status_code < 400, f"{label} must succeed, got {r.status_code}: {r.text}"
        assert "internal_note" not in r.json(), f"{label} response must not contain `internal_note`: use a response_model that omits it"
        assert note not in r.text, f"{label} response leaks the internal note's text"
        leaking = [name for name, value in r.headers.items() if note in value]
        assert not leaking, f"{label} response leaks the internal note's text in the header(s) {leaking}"


@pytest.mark.rule("decimal-exact", "get-order")
@pytest.mark.parametrize("price", ["187.10", "100", "0.50"])
def test_decimal_price_keeps_the_digits_sent(shared_client, price):
    created = create(shared_client, limit_price=price)
    assert created["limit_price"] == price, (
        f"POST: limit_price must come back as exactly the string sent, {price!r}, got {created['limit_price']!r} "
        "(don't normalize, round or go through float: str() of the Decimal keeps the digits)"
    )
    fetched = shared_client.get(f"/orders/{created['id']}").json().get("limit_price")
    assert fetched == price, f"GET: limit_price must be exactly {price!r}, got {fetched!r}"
    replaced = shared_client.put(f"/orders/{created['id']}", json=dict(ORDER, limit_price=price)).json().get("limit_price")
    assert replaced == price, f"PUT: limit_price must be exactly {price!r}, got {replaced!r}"


@pytest.mark.rule("decimal-exact", "get-order")
def test_decimal_price_round_trips_exactly(shared_client):
    price = "12345678901234.567891"  # a float keeps only ~17 significant digits
    created = create(shared_client, limit_price=price)
    assert same_price(created["limit_price"], price), f"POST: limit_price must be the JSON string {price!r}, got {created['limit_price']!r}"
    fetched = shared_client.get(f"/orders/{created['id']}").json()
    assert same_price(fetched.get("limit_price"), price), f"GET must return the exact stored price {price!r}, got {fetched.get('limit_price')!r}"
    other = "98765432109876.543211"
    replaced = shared_client.put(f"/orders/{created['id']}", json=dict(ORDER, limit_price=other)).json()
    assert same_price(replaced.get("limit_price"), other), f"PUT must return the exact new price {other!r}, got {replaced.get('limit_price')!r}"


# --- replace, fill, delete -------------------------------------------------------------------------------------


@pytest.mark.rule("put-replaces", "get-order")
def test_put_replaces_every_field_of_an_open_order(client):
    order_id = create(client)["id"]
    new = {"symbol": "MSFT", "side": "sell", "qty": 5, "limit_price": "186.00", "internal_note": "moved"}
    resp = client.put(f"/orders/{order_id}", json=new)
    assert resp.status_code == 200, f"PUT on an open order must return 200, got {resp.status_code}: {resp.text}"
    expected = {"id": order_id, "symbol": "MSFT", "side": "sell", "qty": 5, "status": "open"}
    for label, body in [("PUT", resp.json()), ("GET after PUT", client.get(f"/orders/{order_id}").json())]:
        assert {k: body.get(k) for k in expected} == expected, f"{label} must show every field from the new body {expected}, got {body}"
        assert Decimal(str(body.get("limit_price"))) == Decimal("186.00"), f"{label} must show limit_price 186.00, got {body}"


@pytest.mark.rule("put-filled-409", "fill", "get-order")
def test_put_on_filled_order_gives_409_and_changes_nothing(client):
    order_id = create(client)["id"]
    before = fill(client, order_id)
    resp = client.put(f"/orders/{order_id}", json={"symbol": "MSFT", "side": "sell", "qty": 99, "limit_price": "1.00"})
    assert resp.status_code == 409, f"PUT on a filled order conflicts with its state and must return 409, got {resp.status_code}"
    after = client.get(f"/orders/{order_id}").json()
    assert after == before, f"a rejected PUT must not change the order: it was {before}, now {after}"


@pytest.mark.rule("fill", "get-order")
def test_fill_marks_the_order_filled(client):
    created = create(client)
    other = create(client, symbol="MSFT")
    resp = client.post(f"/orders/{created['id']}/fill")
    assert resp.status_code == 200, f"POST /orders/{{id}}/fill must return 200, got {resp.status_code}: {resp.text}"
    assert resp.json() == dict(created, status="filled"), f"fill must return the order with status 'filled', got {resp.json()}"
    assert client.get(f"/orders/{created['id']}").json().get("status") == "filled", "after fill, GET must show status 'filled'"
    assert client.get(f"/orders/{other['id']}").json().get("status") == "open", "filling one order must not fill another"


@pytest.mark.rule("delete-204", "not-found", "get-order")
@pytest.mark.parametrize("filled", [False, True], ids=["open", "filled"])
def test_delete_gives_204_with_empty_body_then_404_everywhere(client, filled):
    order_id = create(client)["id"]
    kept = create(client, symbol="MSFT")["id"]
    if filled:
        fill(client, order_id)
    resp = client.delete(f"/orders/{order_id}")
    assert resp.status_code == 204, f"DELETE of an existing {'filled' if filled else 'open'} order must return 204, got {resp.status_code}"
    assert resp.content == b"", f"a 204 response must have an empty body, got {resp.content!r}"
    for method, path, body in [("GET", f"/orders/{order_id}", None), ("PUT", f"/orders/{order_id}", ORDER),
                               ("POST", f"/orders/{order_id}/fill", None), ("DELETE", f"/orders/{order_id}", None)]:
        after = client.request(method, path, json=body)
        assert after.status_code == 404, f"{method} {path} after DELETE must return 404, got {after.status_code}"
    assert client.get(f"/orders/{kept}").status_code == 200, "DELETE must remove only that order"
