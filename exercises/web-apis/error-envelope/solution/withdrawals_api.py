"""Withdrawals API: domain exceptions mapped to one error envelope, with nothing internal leaking out."""
import logging
from http import HTTPStatus
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


HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
}


def register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, exc: LedgerError) -> JSONResponse:
        # An error raised without text still needs a message: fall back to its code.
        return envelope(exc.status_code, exc.code, str(exc) or exc.code)

    # Starlette's class, not FastAPI's subclass: the router raises Starlette's for unknown paths (404) and
    # wrong methods (405), and a handler registered for the subclass never sees those.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = str(exc.detail) or HTTPStatus(exc.status_code).phrase  # detail="" would leave no message
        return envelope(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Build the fields ourselves: pydantic 2's errors echo the rejected `input` (possibly a secret, or a NaN
        # that JSON cannot encode), and their `type` strings differ between pydantic 1 and 2.
        fields = [{"loc": [str(part) for part in err["loc"]], "message": err["msg"]} for err in exc.errors()]
        return envelope(422, "validation_error", "request validation failed", fields=fields)

    @app.exception_handler(Exception)
    async def unhandled_error(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the logs (exc_info), never to the client.
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return envelope(500, "internal_error", "internal server error")


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
