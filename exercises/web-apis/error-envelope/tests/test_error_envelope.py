"""Verifier for error-envelope: every failure answers {"error": {"code", "message"}} and leaks nothing."""
import logging
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

import withdrawals_api

SECRET = "s3cr3t-pw"


@pytest.fixture
def app():
    return withdrawals_api.create_app({1: Decimal("100.00")})


@pytest.fixture
def client(app):
    # raise_server_exceptions=False: show an unhandled error as the 500 a real client would get.
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def error_of(resp, status, code):
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text}"
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"an error response must be JSON, got {resp.text!r}") from None
    assert isinstance(body, dict) and set(body) == {"error"}, (
        f'every error must be exactly {{"error": {{...}}}} with no other top-level keys, got {body}'
    )
    err = body["error"]
    assert isinstance(err.get("code"), str) and isinstance(err.get("message"), str) and err["message"], (
        f'the envelope needs string "code" and a non-empty string "message", got {err}'
    )
    assert err["code"] == code, f"expected error code {code!r} for this {status}, got {err['code']!r}"
    return err


def withdraw(client, amount, account="1"):
    return client.post(f"/accounts/{account}/withdrawals", json={"amount": amount})


def test_withdrawal_succeeds_with_exact_balance(client):
    resp = withdraw(client, "30.10")
    assert resp.status_code == 201, f"a valid withdrawal must return 201, got {resp.status_code}: {resp.text}"
    assert Decimal(str(resp.json()["balance"])) == Decimal("69.90"), f"100.00 - 30.10 is 69.90, got {resp.json()}"


def test_insufficient_funds_gives_409_envelope_and_changes_nothing(client):
    error_of(withdraw(client, "100.01"), 409, "insufficient_funds")
    balance = client.get("/accounts/1").json()["balance"]
    assert Decimal(str(balance)) == Decimal("100.00"), f"a refused withdrawal must not change the balance, got {balance}"


def test_unknown_account_gives_404_envelope(client):
    error_of(client.get("/accounts/999"), 404, "account_not_found")
    error_of(withdraw(client, "1.00", account="999"), 404, "account_not_found")


def test_unknown_route_gives_404_envelope(client):
    error_of(client.get("/no-such-route"), 404, "not_found")


def test_wrong_method_gives_405_envelope(client):
    resp = client.get("/accounts/1/withdrawals")
    error_of(resp, 405, "method_not_allowed")
    assert "POST" in resp.headers.get("allow", ""), (
        "keep the HTTPException's headers: a 405 must still say `Allow: POST`"
    )


@pytest.mark.parametrize(
    "path, body, loc",
    [
        ("/accounts/1/withdrawals", {"amount": "-5"}, ["body", "amount"]),
        ("/accounts/1/withdrawals", {"amount": -5}, ["body", "amount"]),
        ("/accounts/1/withdrawals", {}, ["body", "amount"]),
        ("/accounts/1/withdrawals", {"amount": "abc"}, ["body", "amount"]),
        ("/accounts/abc/withdrawals", {"amount": "5"}, ["path", "account_id"]),
    ],
    ids=["minus-5-string", "minus-5-number", "missing-amount", "abc", "path-abc"],
)
def test_validation_errors_give_422_with_fields(client, path, body, loc):
    err = error_of(client.post(path, json=body), 422, "validation_error")
    fields = err.get("fields")
    assert isinstance(fields, list) and fields, f'a 422 envelope needs a non-empty "fields" list, got {err}'
    for field in fields:
        assert isinstance(field.get("loc"), list) and isinstance(field.get("message"), str), (
            f'each entry of "fields" needs a "loc" list and a "message" string, got {field}'
        )
    assert loc in [field["loc"] for field in fields], f"expected a field with loc {loc}, got {fields}"


def test_raw_nan_gives_422_not_500(client):
    # Python's json module accepts the bare literal NaN; pydantic 2 echoes it back as `input`, which JSON
    # cannot encode, so a handler that passes exc.errors() through turns this into a 500.
    resp = client.post(
        "/accounts/1/withdrawals", content=b'{"amount": NaN}', headers={"content-type": "application/json"}
    )
    err = error_of(resp, 422, "validation_error")
    assert ["body", "amount"] in [field["loc"] for field in err["fields"]], f"expected loc ['body', 'amount'], got {err}"
    assert all(set(field) <= {"loc", "message"} for field in err["fields"]), (
        f'fields entries must carry only "loc" and "message" (never the rejected input), got {err["fields"]}'
    )


class BrokenLedger:
    def balance(self, account_id):
        raise RuntimeError(f"connection failed: postgresql://ledger:{SECRET}@db.internal/ledger")

    def withdraw(self, account_id, amount):
        self.balance(account_id)


def test_unhandled_error_gives_500_without_the_secret_and_is_logged(client, app, caplog):
    app.dependency_overrides[withdrawals_api.get_ledger] = lambda: BrokenLedger()
    with caplog.at_level(logging.ERROR, logger="withdrawals"):
        resp = withdraw(client, "1.00")
    error_of(resp, 500, "internal_error")
    assert SECRET not in resp.text and "postgresql://" not in resp.text, (
        "the 500 body leaks the exception text (a database URL with a password): use a fixed message"
    )
    records = [r for r in caplog.records if r.name == "withdrawals" and r.levelno >= logging.ERROR]
    assert records, "log the unhandled error at ERROR on the logger named 'withdrawals'"
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in records), (
        "log it with exc_info (logger.error(..., exc_info=exc) or logger.exception) so the traceback is kept"
    )
