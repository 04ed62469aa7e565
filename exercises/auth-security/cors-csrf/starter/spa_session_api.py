"""SPA security: cookie sessions for a browser front end, with exact-origin CORS and double-submit CSRF.

This works for a same-origin page but is wide open to cross-site attacks. README.md has the exact contract.
"""
import hmac  # noqa: F401  (compare tokens in constant time)
import secrets
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
    # TODO: refuse "*" and an empty list; add CORSMiddleware for exactly these origins, with credentials.
    sessions: Dict[str, Session] = {}
    app = FastAPI(title="TradeDesk web API")

    def current_session(session_id: Optional[str] = Cookie(None, alias=SESSION_COOKIE)) -> Session:
        session = sessions.get(session_id) if session_id else None
        if session is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Not logged in")
        return session

    # TODO: a require_csrf dependency (403 when the X-CSRF-Token header is missing or wrong)

    @app.post("/login")
    def login(credentials: Credentials, response: Response) -> dict:
        if not authenticate(credentials.username, credentials.password):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid credentials")
        session_id = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        sessions[session_id] = Session(credentials.username, csrf_token)
        response.set_cookie(SESSION_COOKIE, session_id)  # TODO: cookie flags, and the csrf_token cookie
        return {"username": credentials.username, "csrf_token": csrf_token}

    @app.get("/me")
    def me(session: Session = Depends(current_session)) -> dict:
        return {"username": session.username}

    @app.post("/transfers")
    def transfer(body: TransferIn, session: Session = Depends(current_session)) -> dict:
        return {"status": "accepted", "to_account": body.to_account, "amount": str(body.amount)}

    return app
