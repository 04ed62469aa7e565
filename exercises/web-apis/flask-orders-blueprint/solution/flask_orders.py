"""Orders API on Flask: an app factory, a blueprint, one JSON error shape and hand-written validation."""
import re
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

DEFAULTS = {"MAX_QTY": 10_000}
SYMBOL = re.compile(r"[A-Z][A-Z.]{0,9}")

orders_bp = Blueprint("orders", __name__)


class ValidationFailed(Exception):
    """Raised by `validate`; the error handler turns it into a 422 naming every bad field."""

    def __init__(self, fields):
        super().__init__("invalid order")
        self.fields = fields


class Conflict(Exception):
    pass


def error(status, code, message, **extra):
    body = {"error": {"code": code, "message": message, **extra}}
    return jsonify(body), status


def validate(data, max_qty):
    """Return the clean order fields, or raise ValidationFailed with every problem, not just the first."""
    problems = {}
    clean = {}

    symbol = data.get("symbol")
    if not isinstance(symbol, str) or not SYMBOL.fullmatch(symbol.strip().upper()):
        problems["symbol"] = "1 to 10 characters: letters and dots, starting with a letter"
    else:
        clean["symbol"] = symbol.strip().upper()

    side = data.get("side")
    if side not in ("buy", "sell"):
        problems["side"] = "must be 'buy' or 'sell'"
    else:
        clean["side"] = side

    qty = data.get("qty")
    # bool is a subclass of int in Python: True must not become an order for 1 share.
    if not isinstance(qty, int) or isinstance(qty, bool) or not 0 < qty <= max_qty:
        problems["qty"] = f"an integer from 1 to {max_qty}"
    else:
        clean["qty"] = qty

    price = data.get("limit_price")
    try:
        # Only a string: a JSON number has already been through a float in most clients.
        parsed = Decimal(price) if isinstance(price, str) else None
    except InvalidOperation:
        parsed = None
    if parsed is None or not parsed.is_finite() or parsed <= 0:
        problems["limit_price"] = "a decimal string greater than 0, e.g. \"187.10\""
    else:
        clean["limit_price"] = parsed

    client_order_id = data.get("client_order_id")
    if not isinstance(client_order_id, str) or not 1 <= len(client_order_id) <= 36:
        problems["client_order_id"] = "a string of 1 to 36 characters"
    else:
        clean["client_order_id"] = client_order_id

    if problems:
        raise ValidationFailed(problems)
    return clean


def public(order):
    return {**order, "limit_price": str(order["limit_price"])}


def store():
    # Each app built by create_app has its own store, kept on the app itself.
    return current_app.extensions["orders_store"]


@orders_bp.post("/orders")
def create_order():
    data = request.get_json(silent=True)  # silent: a bad body is ours to report, not a 400/415 from Flask
    if not isinstance(data, dict):
        return error(400, "bad_request", "the body must be a JSON object")
    fields = validate(data, current_app.config["MAX_QTY"])
    orders = store()["orders"]
    if any(o["client_order_id"] == fields["client_order_id"] for o in orders.values()):
        raise Conflict(f"client_order_id {fields['client_order_id']!r} is already used")
    store()["last_id"] += 1
    order_id = store()["last_id"]  # never reused, even after a delete
    orders[order_id] = {"id": order_id, **fields}
    response = jsonify(public(orders[order_id]))
    response.headers["Location"] = f"/orders/{order_id}"
    return response, 201


@orders_bp.get("/orders")
def list_orders():
    symbol = request.args.get("symbol")
    found = [public(o) for _, o in sorted(store()["orders"].items())]
    if symbol is not None:
        found = [o for o in found if o["symbol"] == symbol.strip().upper()]
    return jsonify({"orders": found})


@orders_bp.get("/orders/<int:order_id>")
def get_order(order_id):
    order = store()["orders"].get(order_id)
    if order is None:
        return error(404, "not_found", f"order {order_id} not found")
    return jsonify(public(order))


@orders_bp.delete("/orders/<int:order_id>")
def delete_order(order_id):
    if store()["orders"].pop(order_id, None) is None:
        return error(404, "not_found", f"order {order_id} not found")
    return "", 204


def handle_validation(exc):
    return error(422, "validation_error", "the order is invalid", fields=exc.fields)


def handle_conflict(exc):
    return error(409, "conflict", str(exc))


def handle_http(exc):
    response, status = error(exc.code, exc.name.lower().replace(" ", "_"), exc.description or exc.name)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response, status


def handle_unexpected(exc):
    # Logged with the traceback for us; the client gets no detail that could leak internals.
    current_app.logger.exception("unhandled error")
    return error(500, "internal_error", "internal server error")


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.extensions["orders_store"] = {"orders": {}, "last_id": 0}
    app.register_blueprint(orders_bp)
    # Handlers on the app, not the blueprint: they must also cover unknown URLs and routes added elsewhere.
    app.register_error_handler(ValidationFailed, handle_validation)
    app.register_error_handler(Conflict, handle_conflict)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
    return app
