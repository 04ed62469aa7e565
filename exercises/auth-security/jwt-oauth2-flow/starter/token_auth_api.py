"""Login + scopes: the OAuth2 password flow issuing short-lived, strictly verified JWTs.

The user store, constants and clock are given. Implement create_app(); README.md has the exact contract.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, Optional, Tuple

import bcrypt
import jwt  # noqa: F401  (you will need it)
from fastapi import Depends, FastAPI, HTTPException, Security, status  # noqa: F401
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm, SecurityScopes  # noqa: F401

ALGORITHM = "HS256"
ISSUER = "https://auth.tradedesk.test"
AUDIENCE = "tradedesk-api"
ACCESS_TOKEN_TTL = timedelta(minutes=15)
MIN_KEY_BYTES = 32

SCOPES = {"orders:read": "See your orders", "orders:write": "Place orders"}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str
    scopes: Tuple[str, ...]


def _demo_hash(password: str) -> str:
    # Cost 4 keeps the demo and the verifier fast; real code uses 12+ (see password-hashing).
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=4)).decode("ascii")


DEMO_USERS: Dict[str, User] = {
    "alice": User(1, "alice", _demo_hash("alice-trades-2024"), ("orders:read", "orders:write")),
    "bob": User(2, "bob", _demo_hash("bob-reads-only-1"), ("orders:read",)),
}


def get_now() -> datetime:
    """The clock used to stamp tokens. A dependency, so tests can move time."""
    return datetime.now(timezone.utc)


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token", scopes=SCOPES)


def create_app(secret_key: str, users: Optional[Dict[str, User]] = None) -> FastAPI:
    users = DEMO_USERS if users is None else users
    app = FastAPI(title="TradeDesk auth")

    # TODO: refuse a secret_key shorter than MIN_KEY_BYTES bytes.
    # TODO: a current_user dependency (SecurityScopes + oauth2_scheme) that decodes strictly and checks scopes.

    @app.post("/token")
    def issue_token(form: OAuth2PasswordRequestForm = Depends(), now: datetime = Depends(get_now)) -> dict:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "TODO: check the password and issue a JWT")

    @app.get("/me")
    def me() -> dict:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "TODO: require a valid token")

    @app.get("/orders")
    def list_orders() -> list:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "TODO: require orders:read")

    @app.post("/orders", status_code=status.HTTP_201_CREATED)
    def place_order() -> dict:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "TODO: require orders:write")

    return app
