"""Login + scopes: the OAuth2 password flow issuing short-lived, strictly verified JWTs."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, Optional, Tuple

import bcrypt
import jwt
from fastapi import Depends, FastAPI, HTTPException, Security, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm, SecurityScopes

ALGORITHM = "HS256"
ISSUER = "https://auth.tradedesk.test"
AUDIENCE = "tradedesk-api"
ACCESS_TOKEN_TTL = timedelta(minutes=15)
MIN_KEY_BYTES = 32  # RFC 7518: an HS256 key must be at least as long as the hash output (256 bits)

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

# Checked when the username is unknown, so both failure paths cost one bcrypt call (no timing oracle).
_DUMMY_HASH = _demo_hash("never-the-password")


def get_now() -> datetime:
    """The clock used to stamp tokens. A dependency, so tests can move time."""
    return datetime.now(timezone.utc)


def _password_matches(password: str, hashed: str) -> bool:
    data = password.encode("utf-8")
    if len(data) > 72:  # bcrypt 5 raises, bcrypt 3.2 truncates: refuse it ourselves
        return False
    return bcrypt.checkpw(data, hashed.encode("ascii"))


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token", scopes=SCOPES)


def create_app(secret_key: str, users: Optional[Dict[str, User]] = None) -> FastAPI:
    if len(secret_key.encode("utf-8")) < MIN_KEY_BYTES:
        raise ValueError(f"secret_key must be at least {MIN_KEY_BYTES} bytes")
    users = DEMO_USERS if users is None else users
    users_by_id = {user.id: user for user in users.values()}
    app = FastAPI(title="TradeDesk auth")

    def unauthorized(detail: str, scope_str: str = "") -> HTTPException:
        # RFC 6750: a 401 for a bearer-protected resource says which scheme (and scopes) to use.
        challenge = f'Bearer scope="{scope_str}"' if scope_str else "Bearer"
        return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})

    def current_user(security_scopes: SecurityScopes, token: str = Depends(oauth2_scheme)) -> User:
        try:
            claims = jwt.decode(
                token,
                secret_key,
                algorithms=[ALGORITHM],  # pinned: never read the algorithm from the token's own header
                audience=AUDIENCE,
                issuer=ISSUER,
            )
        except jwt.PyJWTError:
            # One vague message for every failure: expired, forged, wrong audience, garbage...
            raise unauthorized("Could not validate credentials", security_scopes.scope_str)
        try:
            user = users_by_id[int(claims["sub"])]
        except (KeyError, TypeError, ValueError):
            raise unauthorized("Could not validate credentials", security_scopes.scope_str)
        granted = set(str(claims.get("scope", "")).split())
        missing = [scope for scope in security_scopes.scopes if scope not in granted]
        if missing:
            # Authenticated but not allowed: 403, not 401 (a new login would not help).
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"Missing scope: {' '.join(missing)}")
        return user

    @app.post("/token")
    def issue_token(form: OAuth2PasswordRequestForm = Depends(), now: datetime = Depends(get_now)) -> dict:
        user = users.get(form.username)
        # Always run bcrypt, and give one answer for both failures, so nobody can probe which usernames exist.
        ok = _password_matches(form.password, user.password_hash if user else _DUMMY_HASH)
        if user is None or not ok:
            raise unauthorized("Incorrect username or password")
        requested = set(form.scopes)
        granted = [scope for scope in user.scopes if not requested or scope in requested]
        claims = {
            "sub": str(user.id),  # RFC 7519: sub is a string; PyJWT >= 2.10 rejects an int on decode
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + ACCESS_TOKEN_TTL,
            "scope": " ".join(granted),
        }
        token = jwt.encode(claims, secret_key, algorithm=ALGORITHM)
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(ACCESS_TOKEN_TTL.total_seconds()),
        }

    @app.get("/me")
    def me(user: User = Security(current_user)) -> dict:
        return {"id": user.id, "username": user.username}

    @app.get("/orders")
    def list_orders(user: User = Security(current_user, scopes=["orders:read"])) -> list:
        return []

    @app.post("/orders", status_code=status.HTTP_201_CREATED)
    def place_order(user: User = Security(current_user, scopes=["orders:write"])) -> dict:
        return {"status": "accepted", "user_id": user.id}

    return app
