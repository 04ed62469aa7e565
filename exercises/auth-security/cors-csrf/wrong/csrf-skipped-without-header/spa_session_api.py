"""SPA security: cookie sessions for a browser front end, with exact-origin CORS and double-submit CSRF."""
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Dict, Optional, Sequence

from fastapi import Cookie, Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.middleware.cors import CORSMiddleware
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


def _same(a: str, b: str) -> bool:
    # Constant-time comparison; compare bytes because compare_digest refuses non-ASCII str.
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def create_app(allowed_origins: Sequence[str], authenticate: Callable[[str, str], bool]) -> FastAPI:
    origins = list(allowed_origins)
    if not origins or "*" in origins:
        # With credentials, "*" would make Starlette reflect ANY origin, so every site could read users' data.
        raise ValueError("allowed_origins must be an explicit list of origins, never '*'")
    sessions: Dict[str, Session] = {}
    app = FastAPI(title="TradeDesk web API")
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,  # exact scheme://host[:port] matches, nothing else
        allow_credentials=True,  # the SPA sends cookies with fetch(..., {credentials: "include"})
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", CSRF_HEADER],
        max_age=600,
    )

    def current_session(session_id: Optional[str] = Cookie(None, alias=SESSION_COOKIE)) -> Session:
        session = sessions.get(session_id) if session_id else None
        if session is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Not logged in")
        return session

    def require_csrf(request: Request, session: Session = Depends(current_session)) -> Session:
        # Double submit: JS reads the csrf_token cookie and echoes it in a header. Another site can make the
        # browser SEND our cookies, but it can't READ them, so it can't produce the header.
        header = request.headers.get(CSRF_HEADER)
        cookie = request.cookies.get(CSRF_COOKIE)
        if header is None:
            return session
        if not cookie or not _same(header, cookie):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or invalid")
        # Bind the token to the session, so an attacker who can plant a cookie (a sibling subdomain, for
        # example) can't choose matching cookie and header values.
        if not _same(header, session.csrf_token):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or invalid")
        return session

    @app.post("/login")
    def login(credentials: Credentials, response: Response) -> dict:
        if not authenticate(credentials.username, credentials.password):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid credentials")
        session_id = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        sessions[session_id] = Session(credentials.username, csrf_token)
        # The session cookie: JS never needs it, so HttpOnly (an XSS can't steal it); Secure (HTTPS only);
        # SameSite=Lax (not sent on cross-site POSTs, a first line of CSRF defence).
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True, secure=True, samesite="lax", path="/")
        # The CSRF cookie must be readable by the SPA's JS, so it is NOT HttpOnly.
        response.set_cookie(CSRF_COOKIE, csrf_token, httponly=False, secure=True, samesite="lax", path="/")
        return {"username": credentials.username, "csrf_token": csrf_token}

    @app.get("/me")
    def me(session: Session = Depends(current_session)) -> dict:
        return {"username": session.username}

    @app.post("/transfers")
    def transfer(body: TransferIn, session: Session = Depends(require_csrf)) -> dict:
        return {"status": "accepted", "to_account": body.to_account, "amount": str(body.amount)}

    return app
