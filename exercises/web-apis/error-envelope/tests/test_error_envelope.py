"""Verifier for error-envelope: every failure answers {"error": {"code", "message"}} and leaks nothing."""
import logging
from decimal import Decimal

import pytest
from fastapi import HTTPException as FastAPIHTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.testclient import TestClient

import withdrawals_api

SECRET = "s3cr3t-pw"


@pytest.fixture
def app():
    return withdrawals_api.create_app()  # the default balances: {1: Decimal("100.00")}


@pytest.fixture
def client(app):
    # raise_server_exceptions=False: show an unhandled error as the 500 a real client would get.
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def error_of(resp, status, code):
    """The `error` object of an envelope, after checking the status, the shape and the code."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text}"
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"an error response must be JSON, got {resp.text!r}") from None
    assert isinstance(body, dict) and set(body) == {"error"}, (
        f'every error must be exactly {{"error": {{...}}}} with no other top-level keys, got {body}'
    )
    err = body["error"]
    allowed = {"code", "message", "fields"} if status == 422 else {"code", "message"}
    assert isinstance(err, dict) and {"code", "message"} <= set(err) <= allowed, (
        f"the error object must have exactly the keys {sorted(allowed)} for a {status}, got {err}"
    )
    assert isinstance(err["code"], str) and isinstance(err["message"], str) and err["message"], (
        f'the envelope needs a string "code" and a non-empty string "message", got {err}'
    )
    assert err["code"] == code, f"expected error code {code!r} for this {status}, got {err['code']!r}"
    return err


def fields_of(err):
    fields = err.get("fields")
    assert isinstance(fields, list) and fields, f'a 422 envelope needs a non-empty "fields" list, got {err}'
    for field in fields:
        assert isinstance(field, dict) and set(field) == {"loc", "message"}, (
            f'each entry of "fields" must be exactly {{"loc": [...], "message": "..."}} (never the rejected input), got {field}'
        )
        assert isinstance(field["loc"], list) and all(isinstance(part, str) for part in field["loc"]), (
            f'"loc" must be a list of strings, got {field["loc"]!r}'
        )
        assert isinstance(field["message"], str), f'"message" must be a string, got {field["message"]!r}'
    return [field["loc"] for field in fields]


def withdraw(client, amount, account="1"):
    return client.post(f"/accounts/{account}/withdrawals", json={"amount": amount})


def balance(client):
    resp = client.get("/accounts/1")
    assert resp.status_code == 200, f"GET /accounts/1 must give 200, got {resp.status_code}: {resp.text}"
    return Decimal(str(resp.json()["balance"]))


# --- domain errors ----------------------------------------------------------------------------------------------


@pytest.mark.rule("insufficient-funds", "envelope-shape")
def test_insufficient_funds_gives_409_envelope(client):
    resp = withdraw(client, "30.10")
    assert resp.status_code == 201 and Decimal(str(resp.json().get("balance"))) == Decimal("69.90"), (
        f"a valid withdrawal of 30.10 from 100.00 must give 201 with the new balance 69.90, got {resp.status_code}: {resp.text}"
    )
    error_of(withdraw(client, "69.91"), 409, "insufficient_funds")
    assert balance(client) == Decimal("69.90"), "a refused withdrawal must not change the balance"
    assert withdraw(client, "69.90").status_code == 201, "withdrawing exactly the balance must give 201"
    error_of(withdraw(client, "0.01"), 409, "insufficient_funds")


@pytest.mark.rule("account-not-found", "envelope-shape")
def test_unknown_account_gives_404_envelope(client):
    error_of(client.get("/accounts/999"), 404, "account_not_found")
    error_of(withdraw(client, "1.00", account="999"), 404, "account_not_found")


@pytest.mark.rule("account-not-found", "envelope-shape")
def test_accounts_are_the_ones_given_to_create_app():
    with TestClient(withdrawals_api.create_app({7: Decimal("5.00")}), raise_server_exceptions=False) as c:
        resp = c.get("/accounts/7")
        assert resp.status_code == 200, (
            f"create_app({{7: Decimal('5.00')}}) must serve account 7, got {resp.status_code}: {resp.text}"
        )
        error_of(c.get("/accounts/1"), 404, "account_not_found")
        error_of(withdraw(c, "1.00", account="1"), 404, "account_not_found")


class AccountFrozen(withdrawals_api.LedgerError):
    status_code = 423
    code = "account_frozen"


class FrozenLedger:
    def balance(self, account_id):
        raise AccountFrozen(f"account {account_id} is frozen")

    def withdraw(self, account_id, amount):
        raise AccountFrozen(f"account {account_id} is frozen")


@pytest.mark.rule("ledger-error-own", "envelope-shape")
def test_any_ledger_error_gives_its_own_status_and_code(client, app):
    app.dependency_overrides[withdrawals_api.get_ledger] = lambda: FrozenLedger()
    error_of(withdraw(client, "1.00"), 423, "account_frozen")
    error_of(client.get("/accounts/1"), 423, "account_frozen")


class SilentFrozenLedger:
    def balance(self, account_id):
        raise AccountFrozen()  # no text: str(exc) is ""

    def withdraw(self, account_id, amount):
        raise AccountFrozen()


@pytest.mark.rule("envelope-shape", "ledger-error-own")
def test_a_ledger_error_without_text_still_gets_a_message(client, app):
    app.dependency_overrides[withdrawals_api.get_ledger] = lambda: SilentFrozenLedger()
    for resp in (withdraw(client, "1.00"), client.get("/accounts/1")):
        error_of(resp, 423, "account_frozen")  # checks that `message` is a non-empty string


# --- router and HTTPException -----------------------------------------------------------------------------------


@pytest.mark.rule("router-404", "envelope-shape")
@pytest.mark.parametrize("path", ["/no-such-route", "/accounts", "/accounts/1/nope"])
def test_unknown_route_gives_404_envelope(client, path):
    error_of(client.get(path), 404, "not_found")


@pytest.mark.rule("router-405", "envelope-shape")
@pytest.mark.parametrize(
    "method, path, allow",
    [("GET", "/accounts/1/withdrawals", "POST"), ("PUT", "/accounts/1/withdrawals", "POST"), ("DELETE", "/accounts/1", "GET")],
)
def test_wrong_method_gives_405_envelope(client, method, path, allow):
    resp = client.request(method, path)
    error_of(resp, 405, "method_not_allowed")
    assert allow in resp.headers.get("allow", ""), (
        f"keep the HTTPException's headers: {method} {path} must still say `Allow: {allow}`, got {resp.headers.get('allow')!r}"
    )


@pytest.mark.rule("http-exception", "envelope-shape")
@pytest.mark.parametrize(
    "cls, status, headers, code",
    [
        (FastAPIHTTPException, 401, {"WWW-Authenticate": "Bearer"}, "unauthorized"),
        (StarletteHTTPException, 401, {"WWW-Authenticate": "Bearer"}, "unauthorized"),
        (FastAPIHTTPException, 403, None, "forbidden"),
        (StarletteHTTPException, 403, None, "forbidden"),
        (FastAPIHTTPException, 400, None, "http_error"),
        (FastAPIHTTPException, 418, None, "http_error"),
        (StarletteHTTPException, 429, {"Retry-After": "2"}, "http_error"),
    ],
    ids=["fastapi-401", "starlette-401", "fastapi-403", "starlette-403", "fastapi-400", "fastapi-418", "starlette-429"],
)
def test_other_http_exceptions_keep_status_and_headers(client, app, cls, status, headers, code):
    def raising_route():
        raise cls(status_code=status, detail="refused by a test route", headers=headers)

    app.add_api_route("/test-only/raise", raising_route, methods=["GET"])
    resp = client.get("/test-only/raise")
    error_of(resp, status, code)
    for name, value in (headers or {}).items():
        assert resp.headers.get(name) == value, (
            f"keep the HTTPException's headers: the {status} must still carry `{name}: {value}`, got {resp.headers.get(name)!r}"
        )


@pytest.mark.rule("envelope-shape", "http-exception")
@pytest.mark.parametrize("cls", [FastAPIHTTPException, StarletteHTTPException], ids=["fastapi", "starlette"])
def test_an_http_exception_with_an_empty_detail_still_gets_a_message(client, app, cls):
    def raising_route():
        raise cls(status_code=400, detail="")

    app.add_api_route("/test-only/raise-empty", raising_route, methods=["GET"])
    error_of(client.get("/test-only/raise-empty"), 400, "http_error")  # checks that `message` is a non-empty string


# --- validation -------------------------------------------------------------------------------------------------


@pytest.mark.rule("validation-422", "fields-shape", "envelope-shape")
@pytest.mark.parametrize(
    "path, body, loc",
    [
        ("/accounts/1/withdrawals", {"amount": "-5"}, ["body", "amount"]),
        ("/accounts/1/withdrawals", {"amount": -5}, ["body", "amount"]),
        ("/accounts/1/withdrawals", {"amount": "0"}, ["body", "amount"]),
        ("/accounts/1/withdrawals", {"amount": 0}, ["body", "amount"]),
        ("/accounts/1/withdrawals", {}, ["body", "amount"]),
        ("/accounts/1/withdrawals", {"amount": "abc"}, ["body", "amount"]),
        ("/accounts/abc/withdrawals", {"amount": "5"}, ["path", "account_id"]),
    ],
    ids=["minus-5-string", "minus-5-number", "zero-string", "zero-number", "missing-amount", "abc", "path-abc"],
)
def test_validation_errors_give_422_with_fields(client, path, body, loc):
    locs = fields_of(error_of(client.post(path, json=body), 422, "validation_error"))
    assert loc in locs, f"expected a field with loc {loc}, got {locs}"


@pytest.mark.rule("fields-shape", "validation-422", "envelope-shape")
def test_fields_never_echo_the_rejected_input(client):
    rejected = "sk_live_9f8e7d6c"  # clients paste all sorts of things into the wrong field
    resp = client.post("/accounts/1/withdrawals", json={"amount": rejected})
    locs = fields_of(error_of(resp, 422, "validation_error"))
    assert ["body", "amount"] in locs, f"expected loc ['body', 'amount'], got {locs}"
    assert rejected not in resp.text, (
        f"the 422 body repeats the rejected input {rejected!r}: neither a field nor its message may echo what the client sent"
    )


@pytest.mark.rule("validation-422", "fields-shape", "envelope-shape")
def test_every_problem_gets_its_own_field(client):
    locs = fields_of(error_of(client.post("/accounts/abc/withdrawals", json={"amount": "-5"}), 422, "validation_error"))
    assert ["path", "account_id"] in locs and ["body", "amount"] in locs, (
        f"a request with a bad account_id AND a bad amount must list both problems in fields, got {locs}"
    )


@pytest.mark.rule("validation-422", "fields-shape", "envelope-shape")
def test_body_that_is_not_json_gives_422(client):
    resp = client.post("/accounts/1/withdrawals", content=b"amount=5", headers={"content-type": "application/json"})
    fields_of(error_of(resp, 422, "validation_error"))


@pytest.mark.rule("validation-422", "fields-shape", "envelope-shape")
def test_raw_nan_gives_422_not_500(client):
    # Python's json module accepts the bare literal NaN; pydantic 2 echoes it back as `input`, which JSON
    # cannot encode, so a handler that passes exc.errors() through turns this into a 500.
    resp = client.post(
        "/accounts/1/withdrawals", content=b'{"amount": NaN}', headers={"content-type": "application/json"}
    )
    locs = fields_of(error_of(resp, 422, "validation_error"))
    assert ["body", "amount"] in locs, f"expected loc ['body', 'amount'], got {locs}"


# --- bugs -------------------------------------------------------------------------------------------------------


class BrokenLedger:
    def balance(self, account_id):
        raise RuntimeError(f"connection failed: postgresql://ledger:{SECRET}@db.internal/ledger")

    def withdraw(self, account_id, amount):
        self.balance(account_id)


@pytest.mark.rule("unhandled-500", "envelope-shape")
def test_unhandled_error_gives_500_without_the_secret(client, app):
    app.dependency_overrides[withdrawals_api.get_ledger] = lambda: BrokenLedger()
    for label, resp in [("POST", withdraw(client, "1.00")), ("GET", client.get("/accounts/1"))]:
        error_of(resp, 500, "internal_error")
        assert SECRET not in resp.text and "postgresql://" not in resp.text and "connection failed" not in resp.text, (
            f"the {label} 500 body leaks the exception text (a database URL with a password): use a fixed message"
        )


@pytest.mark.rule("unhandled-logged")
def test_unhandled_error_is_logged_with_its_traceback(client, app, caplog):
    app.dependency_overrides[withdrawals_api.get_ledger] = lambda: BrokenLedger()
    with caplog.at_level(logging.ERROR):
        withdraw(client, "1.00")
    records = [r for r in caplog.records if r.name == "withdrawals" and r.levelno >= logging.ERROR]
    assert records, (
        "log the unhandled error at ERROR on the logger named 'withdrawals' (logging.getLogger('withdrawals')), "
        f"got records from {sorted({r.name for r in caplog.records})}"
    )
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in records), (
        "log it with exc_info (logger.error(..., exc_info=exc) or logger.exception) so the traceback is kept"
    )
