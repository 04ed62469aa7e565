"""Orders API on Flask: an app factory, a blueprint, one JSON error shape and hand-written validation.

The blueprint's views below answer 501, and create_app() does not register them yet. Read README.md, then fill
in the views, the validation, the error handlers and the factory.
"""
from flask import Blueprint, Flask, jsonify

DEFAULTS = {"MAX_QTY": 10_000}

orders_bp = Blueprint("orders", __name__)


def not_implemented(what):
    return jsonify({"error": {"code": "not_implemented", "message": f"TODO: {what}"}}), 501


@orders_bp.post("/orders")
def create_order():
    return not_implemented("validate the body and create the order")


@orders_bp.get("/orders")
def list_orders():
    return not_implemented("list the orders, optionally filtered by ?symbol=")


@orders_bp.get("/orders/<int:order_id>")
def get_order(order_id):
    return not_implemented("return the order")


@orders_bp.delete("/orders/<int:order_id>")
def delete_order(order_id):
    return not_implemented("delete the order")


def create_app(config=None):
    app = Flask(__name__)
    # TODO: defaults, then `config` on top; a store of this app's own; register the blueprint and the error handlers.
    return app
