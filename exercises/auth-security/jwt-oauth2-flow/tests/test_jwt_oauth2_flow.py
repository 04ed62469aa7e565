"""Verifier for jwt-oauth2-flow: OAuth2 password flow, strict JWT checks, scopes."""
import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from fastapi.testclient import TestClient

import token_auth_api as api

KEY = "test-signing-key-0123456789abcdef-0123456789"  # > 32 bytes (current PyJWT warns on shorter HMAC keys)
OTHER_KEY = "attacker-signing-key-0123456789abcdef-9876"
ISS = "https://auth.tradedesk.test"
AUD = "tradedesk-api"
ALICE = {"username": "alice", "password": "alice-trades-2024"}
BOB = {"username": "bob", "password": "bob-reads-only-1"}


@pytest.fixture
def app():
    return api.create_app(KEY)


@pytest.fixture
def client(app):
    return TestClient(app)


def login(client, creds, **extra):
    return client.post("/token", data={**creds, **extra})


def token_for(client, creds, **extra):
    resp = login(client, creds, **extra)
    assert resp.status_code == 200, f"POST /token with valid form data must give 200, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert body.get("token_type", "").lower() == "bearer", f"token_type must be 'bearer', got {body!r}"
    return body["access_token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def claims_of(token):
    return jwt.decode(token, KEY, algorithms=["HS256"], audience=AUD, issuer=ISS, options={"verify_sub": False})


def forge(key=KEY, drop=(), **overrides):
    now = datetime.now(timezone.utc)
    claims = {"sub": "1", "iss": ISS, "aud": AUD, "iat": now, "exp": now + timedelta(minutes=15),
              "scope": "orders:read orders:write"}
    claims.update(overrides)
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, key, algorithm="HS256")


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def assert_401(resp, what):
    assert resp.status_code == 401, f"{what} must give 401, got {resp.status_code}: {resp.text}"
    challenge = resp.headers.get("www-authenticate", "")
    assert challenge.startswith("Bearer"), f"{what}: a 401 must carry 'WWW-Authenticate: Bearer', got {challenge!r}"


def test_token_claims_are_strict_and_typed(app, client):
    fixed = (datetime.now(timezone.utc) - timedelta(minutes=1)).replace(microsecond=654321)
    app.dependency_overrides[api.get_now] = lambda: fixed
    token = token_for(client, ALICE)
    header = jwt.get_unverified_header(token)
    assert header.get("alg") == "HS256", f"sign with HS256, got header {header!r}"
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_aud": False, "verify_sub": False})
    assert isinstance(claims.get("sub"), str), f"'sub' must be a string (RFC 7519), got {claims.get('sub')!r}"
    assert claims["sub"] == "1", f"'sub' must be alice's user id as a string, '1', got {claims['sub']!r}"
    assert claims.get("iat") == int(fixed.timestamp()), "'iat' must come from the get_now() dependency"
    assert claims.get("exp", 0) - claims.get("iat", 0) == 900, "tokens must live exactly 15 minutes (exp - iat == 900)"
    assert claims.get("iss") == ISS, f"'iss' must be {ISS!r}, got {claims.get('iss')!r}"
    assert claims.get("aud") == AUD, f"'aud' must be {AUD!r}, got {claims.get('aud')!r}"
    assert set(claims.get("scope", "").split()) == {"orders:read", "orders:write"}, (
        f"with no scope requested, 'scope' must hold all of alice's scopes, space-separated; got {claims.get('scope')!r}"
    )
    assert "alice-trades-2024" not in json.dumps(claims), "the password must never go into a token"


def test_bad_password_and_unknown_user_look_identical(client):
    wrong_pw = login(client, {"username": "alice", "password": "not-her-password"})
    unknown = login(client, {"username": "mallory", "password": "not-her-password"})
    assert_401(wrong_pw, "a wrong password")
    assert_401(unknown, "an unknown username")
    assert wrong_pw.json() == unknown.json(), (
        f"an unknown user and a wrong password must get the same body (no user enumeration): "
        f"{unknown.json()!r} vs {wrong_pw.json()!r}"
    )
    assert wrong_pw.headers["www-authenticate"] == unknown.headers["www-authenticate"], "same WWW-Authenticate for both"


def test_overlong_password_is_a_401_not_a_500(client):
    resp = login(client, {"username": "alice", "password": "x" * 100})
    assert_401(resp, "a 100-byte password (bcrypt 5 raises on > 72 bytes; check the length yourself)")


def test_json_body_to_token_is_a_422(client):
    resp = client.post("/token", json=ALICE)
    assert resp.status_code == 422, (
        f"the OAuth2 password flow takes form data (OAuth2PasswordRequestForm), so JSON must give 422, got {resp.status_code}"
    )


def test_me_needs_a_token_then_works(client):
    assert_401(client.get("/me"), "GET /me without a token")
    resp = client.get("/me", headers=bearer(token_for(client, ALICE)))
    assert resp.status_code == 200, f"GET /me with alice's token must give 200, got {resp.status_code}: {resp.text}"
    assert resp.json() == {"id": 1, "username": "alice"}, f"GET /me must return alice's id and username, got {resp.json()!r}"


def test_hand_made_valid_token_is_accepted(client):
    resp = client.get("/me", headers=bearer(forge()))
    assert resp.status_code == 200, (
        f"a correctly signed HS256 token with iss={ISS!r}, aud={AUD!r}, sub='1', iat, exp must be accepted, "
        f"got {resp.status_code}: {resp.text}"
    )


def test_token_issued_two_hours_ago_is_expired(app, client):
    app.dependency_overrides[api.get_now] = lambda: datetime.now(timezone.utc) - timedelta(hours=2)
    old = token_for(client, ALICE)
    app.dependency_overrides.clear()
    assert_401(client.get("/me", headers=bearer(old)), "a token issued 2 hours ago (expired 1h45m ago)")


@pytest.mark.parametrize(
    "case",
    ["wrong-key", "alg-none", "wrong-aud", "wrong-iss", "no-exp", "no-sub", "garbage", "expired"],
)
def test_bad_tokens_are_401(client, case):
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    tokens = {
        "wrong-key": lambda: forge(key=OTHER_KEY),
        "alg-none": lambda: b64({"alg": "none", "typ": "JWT"}) + "." + b64(
            {"sub": "1", "iss": ISS, "aud": AUD, "iat": int(past.timestamp()) + 3000,
             "exp": int(past.timestamp()) + 7200, "scope": "orders:read orders:write"}) + ".",
        "wrong-aud": lambda: forge(aud="some-other-api"),
        "wrong-iss": lambda: forge(iss="https://evil.example"),
        "no-exp": lambda: forge(drop=("exp",)),
        "no-sub": lambda: forge(drop=("sub",)),
        "garbage": lambda: "not.a.jwt",
        "expired": lambda: forge(iat=past - timedelta(minutes=15), exp=past),
    }
    assert_401(client.get("/me", headers=bearer(tokens[case]())), f"a token with {case}")


def test_read_only_scope_gets_403_not_401(client):
    bob = bearer(token_for(client, BOB))
    resp = client.get("/orders", headers=bob)
    assert resp.status_code == 200, f"bob has orders:read, so GET /orders must give 200, got {resp.status_code}"
    resp = client.post("/orders", headers=bob)
    assert resp.status_code == 403, (
        f"bob is authenticated but lacks orders:write: POST /orders must give 403 (not 401), got {resp.status_code}"
    )
    resp = client.post("/orders", headers=bearer(token_for(client, ALICE)))
    assert resp.status_code == 201, f"alice has orders:write: POST /orders must give 201, got {resp.status_code}"


def test_requested_scopes_narrow_the_token(client):
    token = token_for(client, ALICE, scope="orders:read")
    assert claims_of(token)["scope"].split() == ["orders:read"], "asking for scope=orders:read must grant only that"
    resp = client.post("/orders", headers=bearer(token))
    assert resp.status_code == 403, f"a token narrowed to orders:read must get 403 on POST /orders, got {resp.status_code}"
    token = token_for(client, BOB, scope="orders:read orders:write")
    assert claims_of(token)["scope"].split() == ["orders:read"], "bob must never be granted a scope he doesn't have"


def test_short_signing_key_is_refused():
    with pytest.raises(ValueError):
        api.create_app("too-short-key")
        pytest.fail("create_app must raise ValueError for an HS256 key under 32 bytes")
