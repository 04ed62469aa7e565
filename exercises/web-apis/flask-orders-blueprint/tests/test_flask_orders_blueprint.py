"""Verifier for flask-orders-blueprint: an app factory, a blueprint, one JSON error shape, hand-written validation."""
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

import flask_orders

ORDER = {"symbol": "AAPL", "side": "buy", "qty": 10, "limit_price": "187.10", "client_order_id": "c-1"}
FIELDS = {"id", "client_order_id", "symbol", "side", "qty", "limit_price"}
MISSING = 999  # an id no test creates


@pytest.fixture
def client():
    return flask_orders.create_app().test_client()


def create(client, **changes):
    """POST a valid order and return its JSON body (create-201 judges the status code and the header)."""
    resp = client.post("/orders", json=dict(ORDER, **changes))
    assert resp.status_code in (200, 201), f"POST /orders with a valid body must succeed, got {resp.status_code}: {resp.get_data(as_text=True)}"
    body = resp.get_json()
    assert isinstance(body, dict) and isinstance(body.get("id"), int), f"the created order must be a JSON object with an integer `id`, got {body}"
    return body


def envelope(resp, status, code):
    """Assert the one error shape: status, a JSON body {"error": {"code": ..., "message": ...}}."""
    text = resp.get_data(as_text=True)
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {text}"
    assert resp.is_json, f"a {status} must be JSON (Content-Type application/json), got {resp.content_type!r}: {text[:200]}"
    body = resp.get_json()
    err = body.get("error") if isinstance(body, dict) else None
    assert isinstance(err, dict), f"a {status} must have the shape {{\"error\": {{\"code\", \"message\"}}}}, got {body}"
    assert err.get("code") == code, f"a {status} must have error.code {code!r}, got {err.get('code')!r}"
    assert isinstance(err.get("message"), str) and err["message"], f"error.message must be a non-empty string, got {err.get('message')!r}"
    return err


# --- the factory and the blueprint ------------------------------------------------------------------------------


@pytest.mark.rule("factory-fresh-app")
def test_every_app_has_its_own_store_and_ids_from_1():
    first = flask_orders.create_app().test_client()
    ids = [create(first, client_order_id=f"c-{n}")["id"] for n in range(3)]
    assert ids == [1, 2, 3], f"ids must start at 1 and go up by one per order, got {ids}"
    second = flask_orders.create_app().test_client()
    assert second.get("/orders/3").status_code == 404, "create_app() must build a fresh store: an order of another app is visible"
    assert second.get("/orders").get_json() == {"orders": []}, "a new app must start with no orders"
    assert create(second)["id"] == 1, "a new app must start again at id 1"
    assert len(first.get("/orders").get_json()["orders"]) == 3, "creating in a second app must not touch the first app's store"


@pytest.mark.rule("factory-config")
def test_max_qty_defaults_to_10000():
    client = flask_orders.create_app().test_client()
    assert client.post("/orders", json=dict(ORDER, qty=10_000)).status_code == 201, "qty 10000 is the default MAX_QTY: it must be accepted"
    resp = client.post("/orders", json=dict(ORDER, qty=10_001, client_order_id="c-2"))
    envelope(resp, 422, "validation_error")
    client = flask_orders.create_app(None).test_client()
    assert client.post("/orders", json=ORDER).status_code == 201, "create_app(None) must work like create_app()"


@pytest.mark.rule("factory-config")
def test_config_overrides_the_defaults():
    app = flask_orders.create_app({"MAX_QTY": 5, "SOMETHING_ELSE": "kept"})
    assert app.config.get("SOMETHING_ELSE") == "kept", "every key of `config` must end up in app.config"
    assert app.config.get("MAX_QTY") == 5, f"config MAX_QTY=5 must override the default, app.config has {app.config.get('MAX_QTY')!r}"
    client = app.test_client()
    assert client.post("/orders", json=dict(ORDER, qty=5)).status_code == 201, "with MAX_QTY=5, qty 5 must be accepted"
    resp = client.post("/orders", json=dict(ORDER, qty=6, client_order_id="c-2"))
    assert resp.status_code == 422, f"with MAX_QTY=5, qty 6 must give 422, got {resp.status_code}"
    other = flask_orders.create_app().test_client()
    assert other.post("/orders", json=dict(ORDER, qty=6)).status_code == 201, "config of one app must not change another app's MAX_QTY"


@pytest.mark.rule("blueprint")
def test_routes_come_from_a_blueprint_named_orders():
    app = flask_orders.create_app()
    assert "orders" in app.blueprints, f"register a Blueprint named 'orders', the app has {sorted(app.blueprints)}"
    routes = {(rule.rule, method): rule.endpoint for rule in app.url_map.iter_rules() for method in rule.methods}
    for path, method in [("/orders", "POST"), ("/orders", "GET"), ("/orders/<int:order_id>", "GET"), ("/orders/<int:order_id>", "DELETE")]:
        matching = [endpoint for (rule, m), endpoint in routes.items() if m == method and rule.replace("<order_id>", "<int:order_id>") == path]
        assert matching, f"no route for {method} {path}: the app's routes are {sorted(set(r for r, _ in routes))}"
        assert all(e.startswith("orders.") for e in matching), f"{method} {path} must be a view of the 'orders' blueprint, its endpoint is {matching}"


# --- create --------------------------------------------------------------------------------------------------


@pytest.mark.rule("create-201")
def test_post_gives_201_with_the_order_and_its_location(client):
    for changes in ({}, {"symbol": "MSFT", "side": "sell", "qty": 3, "limit_price": "410.25", "client_order_id": "c-2"}):
        sent = dict(ORDER, **changes)
        resp = client.post("/orders", json=sent)
        assert resp.status_code == 201, f"POST /orders with a valid body must give 201 Created, got {resp.status_code}: {resp.get_data(as_text=True)}"
        assert resp.is_json, f"the created order must be JSON, got {resp.content_type!r}"
        body = resp.get_json()
        assert set(body) == FIELDS, f"the order must have exactly the fields {sorted(FIELDS)}, got {sorted(body)}"
        expected = {k: sent[k] for k in ("symbol", "side", "qty", "client_order_id")}
        assert {k: body[k] for k in expected} == expected, f"the order must echo {expected}, got {body}"
        assert Decimal(body["limit_price"]) == Decimal(sent["limit_price"]), f"limit_price must be {sent['limit_price']}, got {body['limit_price']!r}"
        location = resp.headers.get("Location", "")
        assert urlsplit(location).path == f"/orders/{body['id']}", f"201 must carry Location: /orders/{body['id']}, got {location!r}"


@pytest.mark.rule("symbol-normalised", "get-order")
def test_symbol_is_trimmed_and_upper_cased(client):
    for n, (sent, stored) in enumerate([("aapl", "AAPL"), ("brk.b", "BRK.B"), (" Msft\n", "MSFT")]):
        order = create(client, symbol=sent, client_order_id=f"s-{n}")
        assert order["symbol"] == stored, f"symbol {sent!r} must be stored as {stored!r}, got {order['symbol']!r}"
        fetched = client.get(f"/orders/{order['id']}").get_json()
        assert fetched.get("symbol") == stored, f"GET must show the stored symbol {stored!r}, got {fetched}"


@pytest.mark.rule("price-exact", "get-order")
def test_limit_price_is_an_exact_decimal_string(client):
    price = "12345678901234.567891"  # a float keeps only ~17 significant digits
    order = create(client, limit_price=price)
    assert order["limit_price"] == price, f"POST must return limit_price as the JSON string {price!r}, got {order['limit_price']!r}"
    fetched = client.get(f"/orders/{order['id']}").get_json()
    assert fetched.get("limit_price") == price, f"GET must return the exact string {price!r}, got {fetched.get('limit_price')!r}"
    listed = client.get("/orders").get_json()["orders"]
    assert listed and listed[0].get("limit_price") == price, f"GET /orders must list the exact string {price!r}, got {listed}"


@pytest.mark.rule("price-exact")
@pytest.mark.parametrize("number", [187.1, 187])
def test_limit_price_as_a_json_number_is_refused(client, number):
    assert create(client, client_order_id="ok")["limit_price"] == "187.10", "a valid order must keep limit_price '187.10'"
    resp = client.post("/orders", json=dict(ORDER, limit_price=number))
    err = envelope(resp, 422, "validation_error")
    assert set(err.get("fields", {})) == {"limit_price"}, f"a JSON number {number!r} for limit_price must be refused, naming only limit_price, got {err}"


# --- validation ----------------------------------------------------------------------------------------------

INVALID = [
    ("symbol", ""), ("symbol", "   "), ("symbol", "ABCDEFGHIJK"), ("symbol", "AAPL1"), ("symbol", 42), ("symbol", None),
    ("symbol", ".AAPL"),
    ("side", "hold"), ("side", "BUY"), ("side", None),
    ("qty", 0), ("qty", -3), ("qty", 1.5), ("qty", "10"), ("qty", True), ("qty", None), ("qty", 2.0),
    ("limit_price", "0"), ("limit_price", "-1"), ("limit_price", "abc"), ("limit_price", "NaN"), ("limit_price", "Infinity"), ("limit_price", "1,000"),
    ("limit_price", None),
    ("client_order_id", ""), ("client_order_id", "x" * 37), ("client_order_id", 7), ("client_order_id", None),
]
VALID_EDGES = [("symbol", "A"), ("symbol", "ABCDEFGHIJ"), ("qty", 1), ("limit_price", "0.01"), ("client_order_id", "x"), ("client_order_id", "x" * 36)]


@pytest.mark.rule("validation-422")
@pytest.mark.parametrize("field, bad", INVALID, ids=[f"{f}={b!r}" for f, b in INVALID])
def test_invalid_field_gives_422_naming_it(client, field, bad):
    body = dict(ORDER, **{field: bad})
    if bad is None:
        del body[field]  # None here means "the field is missing"
    resp = client.post("/orders", json=body)
    err = envelope(resp, 422, "validation_error")
    fields = err.get("fields")
    assert isinstance(fields, dict), f"a 422 must have error.fields, an object of field name -> message, got {err}"
    assert set(fields) == {field}, f"{field}={bad!r} must be reported under error.fields[{field!r}] and nothing else, got {sorted(fields)}"
    assert client.get("/orders").get_json() == {"orders": []}, f"an invalid order ({field}={bad!r}) must not be stored"


@pytest.mark.rule("validation-422", "factory-fresh-app")
def test_a_refused_order_uses_up_no_id(client):
    envelope(client.post("/orders", json=dict(ORDER, qty=0)), 422, "validation_error")
    first = create(client)
    assert first["id"] == 1, f"a refused order stores nothing and uses up no id: the first order stored must get id 1, got {first['id']}"


@pytest.mark.rule("validation-422")
@pytest.mark.parametrize("field, good", VALID_EDGES, ids=[f"{f}={g!r}" for f, g in VALID_EDGES])
def test_valid_edges_are_accepted(client, field, good):
    resp = client.post("/orders", json=dict(ORDER, **{field: good}))
    assert resp.status_code == 201, f"{field}={good!r} is valid: POST must accept it, got {resp.status_code}: {resp.get_data(as_text=True)}"


@pytest.mark.rule("validation-422")
def test_every_invalid_field_is_named_at_once(client):
    resp = client.post("/orders", json={"symbol": "", "side": "hold", "qty": 0, "limit_price": "x", "client_order_id": ""})
    err = envelope(resp, 422, "validation_error")
    expected = {"symbol", "side", "qty", "limit_price", "client_order_id"}
    assert set(err.get("fields") or {}) == expected, f"a 422 must name every invalid field, not only the first: expected {sorted(expected)}, got {err}"
    resp = client.post("/orders", json={"side": "buy"})
    err = envelope(resp, 422, "validation_error")
    assert set(err.get("fields") or {}) == expected - {"side"}, f"every missing field must be named, got {err}"


@pytest.mark.rule("bad-body-400")
@pytest.mark.parametrize(
    "kwargs",
    [{"data": "{not json", "content_type": "application/json"}, {"data": '{"symbol": "AAPL"}'}, {"json": [ORDER]}, {"json": "AAPL"}, {}],
    ids=["malformed", "no-content-type", "a-list", "a-string", "no-body"],
)
def test_a_body_that_is_not_a_json_object_gives_400(client, kwargs):
    assert client.post("/orders", json=ORDER).status_code == 201, "a valid order must be accepted first"
    resp = client.post("/orders", **kwargs)
    envelope(resp, 400, "bad_request")
    assert len(client.get("/orders").get_json()["orders"]) == 1, "a bad body must not store anything"


# --- conflict --------------------------------------------------------------------------------------------------


@pytest.mark.rule("duplicate-409")
def test_a_used_client_order_id_gives_409_and_changes_nothing(client):
    first = create(client)
    resp = client.post("/orders", json=dict(ORDER, symbol="MSFT", qty=1))
    envelope(resp, 409, "conflict")
    orders = client.get("/orders").get_json()["orders"]
    assert orders == [first], f"a 409 must leave the store as it was, got {orders}"
    second = create(client, client_order_id="c-2")
    assert second["id"] == first["id"] + 1, f"a refused order must not use up an id: expected {first['id'] + 1}, got {second['id']}"
    resp = client.post("/orders", json=dict(ORDER, client_order_id="c-2"))
    envelope(resp, 409, "conflict")
    resp = client.post("/orders", json=dict(ORDER, client_order_id="C-2"))
    assert resp.status_code == 201, (
        f"client_order_ids are compared exactly: 'C-2' is not the stored 'c-2', so POST must give 201, got {resp.status_code}"
    )


@pytest.mark.rule("duplicate-409")
def test_a_deleted_orders_client_order_id_is_free_again(client):
    first = create(client)
    assert client.delete(f"/orders/{first['id']}").status_code < 300, "DELETE of an existing order must succeed"
    again = client.post("/orders", json=ORDER)
    assert again.status_code == 201, f"client_order_id of a deleted order is free: POST must give 201, got {again.status_code}"


# --- read ---------------------------------------------------------------------------------------------------------


@pytest.mark.rule("get-order")
def test_get_returns_the_order(client):
    first = create(client)
    second = create(client, symbol="MSFT", side="sell", qty=3, limit_price="410.25", client_order_id="c-2")
    for order in (first, second):
        resp = client.get(f"/orders/{order['id']}")
        assert resp.status_code == 200, f"GET /orders/{order['id']} must give 200, got {resp.status_code}"
        assert resp.get_json() == order, f"GET must return the order POST returned: {resp.get_json()} != {order}"


@pytest.mark.rule("not-found-404")
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_unknown_order_gives_404_envelope(client, method):
    create(client)
    resp = client.open(f"/orders/{MISSING}", method=method)
    envelope(resp, 404, "not_found")


@pytest.mark.rule("list-orders")
def test_list_in_id_order_with_symbol_filter(client):
    made = [create(client, symbol=s, client_order_id=f"c-{n}") for n, s in enumerate(["MSFT", "AAPL", "msft", "NVDA"])]
    resp = client.get("/orders")
    assert resp.status_code == 200 and resp.is_json, f"GET /orders must give 200 JSON, got {resp.status_code}"
    listed = resp.get_json().get("orders")
    assert listed == made, f"GET /orders must list every order in id order as {{\"orders\": [...]}}, got {listed}"
    for query, expected in [("MSFT", [made[0], made[2]]), ("msft", [made[0], made[2]]), (" aapl ", [made[1]]), ("TSLA", []), ("MS", []), ("AAPLX", [])]:
        got = client.get("/orders", query_string={"symbol": query}).get_json().get("orders")
        assert got == expected, f"GET /orders?symbol={query!r} must list {[o['id'] for o in expected]} in id order, got {got}"


# --- delete -------------------------------------------------------------------------------------------------------


@pytest.mark.rule("delete-204", "not-found-404")
def test_delete_gives_204_and_the_id_is_never_reused(client):
    first, second = create(client), create(client, client_order_id="c-2")
    resp = client.delete(f"/orders/{second['id']}")
    assert resp.status_code == 204, f"DELETE of an existing order must give 204, got {resp.status_code}"
    assert resp.get_data() == b"", f"a 204 must have an empty body, got {resp.get_data()!r}"
    assert client.get(f"/orders/{second['id']}").status_code == 404, "GET after DELETE must give 404"
    assert client.delete(f"/orders/{second['id']}").status_code == 404, "a second DELETE must give 404"
    assert client.get("/orders").get_json()["orders"] == [first], "only the deleted order leaves the list"
    third = create(client, client_order_id="c-3")
    assert third["id"] == second["id"] + 1, f"ids are never reused: after deleting {second['id']}, the next order must get {second['id'] + 1}, got {third['id']}"


# --- one error shape -----------------------------------------------------------------------------------------------


@pytest.mark.rule("error-envelope")
@pytest.mark.parametrize("path", ["/nope", "/orders/abc", "/orders/1/fill"])
def test_unknown_url_gives_404_envelope(client, path):
    create(client)
    envelope(client.get(path), 404, "not_found")


@pytest.mark.rule("error-envelope")
@pytest.mark.parametrize("method, path, allowed", [("PUT", "/orders", {"GET", "POST"}), ("PATCH", "/orders/1", {"GET", "DELETE"}), ("DELETE", "/orders", {"GET", "POST"})])
def test_wrong_method_gives_405_envelope_with_allow(client, method, path, allowed):
    create(client)
    resp = client.open(path, method=method)
    envelope(resp, 405, "method_not_allowed")
    allow = {m.strip() for m in resp.headers.get("Allow", "").split(",") if m.strip()}
    assert allowed <= allow, f"a 405 must keep the Allow header listing {sorted(allowed)}, got {resp.headers.get('Allow')!r}"


@pytest.mark.rule("internal-error-500")
@pytest.mark.parametrize("exc", [RuntimeError("db password hunter2"), KeyError("hunter2")], ids=["RuntimeError", "KeyError"])
def test_an_unhandled_error_gives_500_without_details(exc):
    app = flask_orders.create_app()

    def boom():
        raise exc

    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    assert client.post("/orders", json=ORDER).status_code == 201, "a valid order must be accepted"
    resp = client.get("/boom")
    envelope(resp, 500, "internal_error")
    assert "hunter2" not in resp.get_data(as_text=True), "a 500 must not show the exception's text to the client"
