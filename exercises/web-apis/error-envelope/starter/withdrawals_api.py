"""Withdrawals API: domain exceptions mapped to one error envelope, with nothing internal leaking out.

The domain, the routes and the `envelope()` helper are done. Write `register_error_handlers`.
"""
import logging
from decimal import Decimal
from typing import Any, Dict, Optional

from fastapi import Depends, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("withdrawals")


# --- domain ---------------------------------------------------------------------------------------------------


class LedgerError(Exception):
    """Base class for errors a client can act on. Each subclass knows its HTTP status and stable code."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "ledger_error"


class AccountNotFound(LedgerError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "account_not_found"


class InsufficientFunds(LedgerError):
    status_code = status.HTTP_409_CONFLICT
    code = "insufficient_funds"


class Ledger:
    def __init__(self, balances: Dict[int, Decimal]):
        self._balances = dict(balances)

    def balance(self, account_id: int) -> Decimal:
        try:
            return self._balances[account_id]
        except KeyError:
            raise AccountNotFound(f"account {account_id} does not exist") from None

    def withdraw(self, account_id: int, amount: Decimal) -> Decimal:
        current = self.balance(account_id)
        if amount > current:
            raise InsufficientFunds(f"account {account_id} cannot withdraw {amount}")
        self._balances[account_id] = current - amount
        return self._balances[account_id]


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


# --- HTTP layer ---------------------------------------------------------------------------------------------


class WithdrawalIn(BaseModel):
    amount: Decimal = Field(gt=0)


class AccountOut(BaseModel):
    account_id: int
    balance: str


def envelope(status_code: int, code: str, message: str, headers: Optional[Dict[str, str]] = None,
             **extra: Any) -> JSONResponse:
    return JSONResponse(
        status_code=status_code,
        content={"error": {"code": code, "message": message, **extra}},
        headers=headers,
    )


def register_error_handlers(app: FastAPI) -> None:
    """TODO: register exception handlers so that every error answers with `envelope(...)`:

    - LedgerError subclasses -> their own status_code and code
    - Starlette's HTTPException (router 404 / 405 included) -> not_found / method_not_allowed / ...
    - RequestValidationError -> 422 validation_error with "fields"
    - any other Exception -> 500 internal_error, logged on `logger` with exc_info
    """


def create_app(balances: Optional[Dict[int, Decimal]] = None) -> FastAPI:
    app = FastAPI(title="Withdrawals")
    app.state.ledger = Ledger(balances if balances is not None else {1: Decimal("100.00")})
    register_error_handlers(app)

    @app.get("/accounts/{account_id}", response_model=AccountOut)
    def read_account(account_id: int, ledger: Ledger = Depends(get_ledger)) -> AccountOut:
        return AccountOut(account_id=account_id, balance=str(ledger.balance(account_id)))

    @app.post("/accounts/{account_id}/withdrawals", response_model=AccountOut, status_code=201)
    def withdraw(account_id: int, payload: WithdrawalIn, ledger: Ledger = Depends(get_ledger)) -> AccountOut:
        new_balance = ledger.withdraw(account_id, payload.amount)
        return AccountOut(account_id=account_id, balance=str(new_balance))

    return app
