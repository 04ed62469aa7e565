"""SPA security: cookie sessions for a browser front end, with exact-origin CORS and double-submit CSRF.

The models and the route signatures are here; every TODO answers 501 Not Implemented. README.md has the rules.
"""
import hmac  # noqa: F401  (compare tokens in constant time)
import secrets  # noqa: F401  (secrets.token_urlsafe(32) for session ids and CSRF tokens)
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Dict, Optional, Sequence

from fastapi import Cookie, Depends, FastAPI, HTTPException, Request, Response, status  # noqa: F401
from fastapi.middleware.cors import CORSMiddleware  # noqa: F401
from pydantic import BaseModel, Field

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Session:
    username: str
    csrf_token: str


class Credentials(BaseModel):
    username: str
    password: str


class TransferIn(BaseModel):
    to_account: str = Field(min_length=1)
    amount: Decimal = Field(gt=0)


def create_app(allowed_origins: Sequence[str], authenticate: Callable[[str, str], bool]) -> FastAPI:
    # TODO: refuse an empty list and "*"; add CORSMiddleware for exactly these origins, with credentials.
    sessions: Dict[str, Session] = {}  # session id -> Session
    app = FastAPI(title="TradeDesk web API")

    def current_session(session_id: Optional[str] = Cookie(None, alias=SESSION_COOKIE)) -> Session:
        # TODO: 401 unless the session cookie names a stored session; return that Session.
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "TODO: look up the session")

    # TODO: a require_csrf dependency for POST /transfers (see README for the order of the checks).

    @app.post("/login")
    def login(credentials: Credentials, response: Response) -> dict:
        # TODO: check authenticate(), store a new Session, set the session and csrf_token cookies.
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "TODO: log in")

    @app.get("/me")
    def me(session: Session = Depends(current_session)) -> dict:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "TODO: answer with the session's username")

    @app.post("/transfers")
    def transfer(body: TransferIn, session: Session = Depends(current_session)) -> dict:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "TODO: accept the transfer")

    return app
