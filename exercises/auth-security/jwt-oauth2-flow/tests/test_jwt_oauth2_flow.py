"""Verifier for jwt-oauth2-flow: OAuth2 password flow, strict JWT checks, scopes.

Route tests send tokens made here with PyJWT (`forge`), so each rule about verifying tokens is checked apart
from the rules about issuing them; the round-trip test checks that what /token issues works on the routes.
"""
import base64
import json
from datetime import datetime, timedelta, timezone

import bcrypt
import jwt
import pytest
from fastapi.testclient import TestClient
from roadmap_pytest import bcrypt_cut_at_72_bytes

import token_auth_api as api

# 64+ bytes: current PyJWT warns on HMAC keys shorter than the hash, and one test signs with HS512.
KEY = "test-signing-key-0123456789abcdef-0123456789abcdef-0123456789abcdef"
OTHER_KEY = "attacker-signing-key-0123456789abcdef-0123456789abcdef-0123456789ab"
ISS = "https://auth.tradedesk.test"
AUD = "tradedesk-api"
ALICE = {"username": "alice", "password": "alice-trades-2024"}
BOB = {"username": "bob", "password": "bob-reads-only-1"}
BOTH = "orders:read orders:write"


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
    return resp.json()["access_token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def claims_of(token):
    """The issued token's claims, checked with our key but without PyJWT's own sub type check (a separate rule)."""
    return jwt.decode(token, KEY, algorithms=["HS256"], audience=AUD, issuer=ISS, options={"verify_sub": False})


def forge(key=KEY, drop=(), algorithm="HS256", **overrides):
    now = datetime.now(timezone.utc)
    claims = {"sub": "1", "iss": ISS, "aud": AUD, "iat": now, "exp": now + timedelta(minutes=15), "scope": BOTH}
    claims.update(overrides)
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, key, algorithm=algorithm)


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def assert_status(resp, status, what):
    assert resp.status_code == status, f"{what} must give {status}, got {resp.status_code}: {resp.text}"


def _user(user_id, username, password, scopes):
    return api.User(user_id, username, bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode(), scopes)


@pytest.mark.rule("short-key-refused")
def test_signing_key_needs_32_bytes():
    for key in ("a" * 31, "é" * 15 + "a"):
        try:
            api.create_app(key)
        except ValueError:
            continue
        pytest.fail(f"create_app must raise ValueError for an HS256 key of {len(key.encode())} bytes ({len(key)}"
                    " characters): it needs at least 32 bytes", pytrace=False)
    for key in ("a" * 32, "é" * 16):
        try:
            api.create_app(key)
        except ValueError:
            pytest.fail(f"a key of {len(key.encode())} bytes ({len(key)} characters) is long enough: count UTF-8"
                        " bytes, and 32 is allowed", pytrace=False)


@pytest.mark.rule("users-argument")
def test_create_app_uses_the_given_users():
    carol = _user(7, "carol", "carol-is-custom-9", ("orders:read",))
    client = TestClient(api.create_app(KEY, users={"carol": carol}))
    assert_status(login(client, {"username": "carol", "password": "carol-is-custom-9"}), 200,
                  "create_app(key, users={'carol': ...}): carol's login")
    assert_status(login(client, ALICE), 401, "with users={'carol': ...}, alice is not a user: her login")
    assert_status(client.get("/me", headers=bearer(forge(sub="7", scope=""))), 200, "a token for carol (sub '7') on /me")
    nobody = TestClient(api.create_app(KEY, users={}))
    assert_status(login(nobody, ALICE), 401, "create_app(key, users={}) serves no users (DEMO_USERS only for None): alice's login")


@pytest.mark.rule("token-response")
def test_token_response_body(client):
    resp = login(client, ALICE)
    assert_status(resp, 200, "POST /token with alice's form data")
    body = resp.json()
    assert isinstance(body.get("access_token"), str) and body["access_token"].count(".") == 2, (
        f"the body must hold the JWT as 'access_token', got {body!r}"
    )
    assert str(body.get("token_type", "")).lower() == "bearer", f"token_type must be 'bearer', got {body!r}"
    assert body.get("expires_in") == 900, f"expires_in must be 900 (seconds), got {body.get('expires_in')!r}"


@pytest.mark.rule("sub-is-string")
def test_sub_is_the_user_id_as_a_string(client):
    for creds, expected in ((ALICE, "1"), (BOB, "2")):
        sub = claims_of(token_for(client, creds)).get("sub")
        assert sub == expected and isinstance(sub, str), (
            f"'sub' for {creds['username']} must be {expected!r}, the user id as a string (RFC 7519), got {sub!r}"
        )


@pytest.mark.rule("sub-is-string", "me-route")
def test_a_token_from_token_works_on_me(client):
    resp = client.get("/me", headers=bearer(token_for(client, BOB)))
    assert_status(resp, 200, "GET /me with the token POST /token just issued to bob (PyJWT 2.10+ refuses an int sub)")
    assert resp.json() == {"id": 2, "username": "bob"}, f"GET /me must return bob's id and username, got {resp.json()!r}"


@pytest.mark.rule("claims-exact")
def test_token_claims_are_exact(app, client):
    fixed = (datetime.now(timezone.utc) - timedelta(minutes=1)).replace(microsecond=654321)
    app.dependency_overrides[api.get_now] = lambda: fixed
    token = token_for(client, ALICE)
    header = jwt.get_unverified_header(token)
    assert header.get("alg") == "HS256", f"sign with HS256, got header {header!r}"
    claims = claims_of(token)  # signed with secret_key, iss and aud as stated
    assert claims.get("iat") == int(fixed.timestamp()), (
        f"'iat' must come from the get_now() dependency ({int(fixed.timestamp())}), got {claims.get('iat')!r}"
    )
    assert claims.get("exp", 0) - claims.get("iat", 0) == 900, "tokens must live exactly 15 minutes (exp - iat == 900)"
    assert set(claims) == {"sub", "iss", "aud", "iat", "exp", "scope"}, (
        f"the token must hold exactly sub, iss, aud, iat, exp and scope; it holds {sorted(claims)}"
    )


@pytest.mark.rule("scope-granting")
@pytest.mark.parametrize("creds,requested,granted", [
    (ALICE, None, ["orders:read", "orders:write"]),
    (ALICE, "orders:read", ["orders:read"]),
    (ALICE, "orders:write", ["orders:write"]),
    (ALICE, "orders:write orders:read", ["orders:read", "orders:write"]),
    (BOB, None, ["orders:read"]),
    (BOB, "orders:read orders:write", ["orders:read"]),
    (BOB, "orders:write", []),
    (ALICE, "admin", []),
], ids=["alice-all", "alice-read", "alice-write", "alice-both", "bob-all", "bob-asks-both", "bob-asks-write",
        "alice-asks-unknown"])
def test_granted_scopes(client, creds, requested, granted):
    extra = {} if requested is None else {"scope": requested}
    scope = claims_of(token_for(client, creds, **extra)).get("scope")
    assert isinstance(scope, str) and sorted(scope.split()) == granted, (
        f"{creds['username']} asking for {requested or 'no scope'!r} must be granted {' '.join(granted)!r}"
        f" (space-separated; all the user's scopes when none are asked for, otherwise only those asked for that"
        f" the user has); got {scope!r}"
    )


@pytest.mark.rule("same-401-for-bad-login")
def test_bad_password_and_unknown_user_look_identical(client):
    wrong_pw = login(client, {"username": "alice", "password": "not-her-password"})
    unknown = login(client, {"username": "mallory", "password": "not-her-password"})
    assert_status(wrong_pw, 401, "a wrong password")
    assert_status(unknown, 401, "an unknown username")
    assert wrong_pw.json() == unknown.json(), (
        f"an unknown user and a wrong password must get the same body (no user enumeration): "
        f"{unknown.json()!r} vs {wrong_pw.json()!r}"
    )
    assert wrong_pw.headers.get("www-authenticate") == unknown.headers.get("www-authenticate"), (
        "an unknown user and a wrong password must get the same WWW-Authenticate header"
    )


@pytest.fixture
def bcrypt_calls(monkeypatch):
    """Counts bcrypt.checkpw/hashpw calls, also through names the learner's module imported from bcrypt."""
    calls = []
    for name in ("checkpw", "hashpw"):
        original = getattr(bcrypt, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(bcrypt, name, counting)
        for attr, value in list(vars(api).items()):
            if value is original:
                monkeypatch.setattr(api, attr, counting)
    return calls


@pytest.mark.rule("no-timing-oracle")
def test_unknown_users_still_cost_a_bcrypt_call(client, bcrypt_calls):
    assert_status(login(client, {"username": "alice", "password": "not-her-password"}), 401, "a wrong password")
    assert bcrypt_calls, "checking alice's password must call bcrypt"
    bcrypt_calls.clear()
    assert_status(login(client, {"username": "mallory", "password": "not-her-password"}), 401, "an unknown username")
    assert bcrypt_calls, (
        "a login for an unknown username returned without calling bcrypt, so it answers faster than a wrong"
        " password and reveals which usernames exist: check the password against a dummy hash too"
    )


@pytest.mark.rule("overlong-password-401", "users-argument")
def test_passwords_over_72_bytes_never_log_in(client):
    resp = login(client, {"username": "alice", "password": "x" * 100})
    assert_status(resp, 401, "a 100-byte password (bcrypt 5 raises on > 72 bytes; check the length yourself)")
    reference = login(client, {"username": "alice", "password": "not-her-password"})
    assert resp.json() == reference.json(), "an overlong password gets the same 401 body as a wrong one"
    dave = _user(9, "dave", "p" * 72, ("orders:read",))
    custom = TestClient(api.create_app(KEY, users={"dave": dave}))
    assert_status(login(custom, {"username": "dave", "password": "p" * 72}), 200, "dave's exact 72-byte password")
    for extra in ("x", "-and-more"):
        assert_status(login(custom, {"username": "dave", "password": "p" * 72 + extra}), 401, (
            f"dave's 72-byte password plus {len(extra)} more byte(s) (bcrypt 3.2 compares only the first 72 bytes"
            " and would let it in; bcrypt 5 raises)"
        ))


@pytest.fixture
def truncating_bcrypt(monkeypatch):
    bcrypt_cut_at_72_bytes(monkeypatch, api)


@pytest.mark.rule("overlong-password-401", "users-argument")
def test_overlong_password_is_refused_even_by_a_bcrypt_that_truncates(truncating_bcrypt):
    dave = _user(9, "dave", "p" * 72, ("orders:read",))
    custom = TestClient(api.create_app(KEY, users={"dave": dave}))
    assert_status(login(custom, {"username": "dave", "password": "p" * 72}), 200, "dave's exact 72-byte password")
    assert_status(login(custom, {"username": "dave", "password": "p" * 72 + "x"}), 401, (
        "dave's 72-byte password plus 1 byte, with a bcrypt that ignores everything after byte 72 (3.2 and 4.x do;"
        " 5 raises instead): check the byte length yourself before calling bcrypt"
    ))


@pytest.mark.rule("form-not-json")
def test_json_body_to_token_is_a_422(client):
    assert_status(login(client, ALICE), 200, "POST /token with form data")
    resp = client.post("/token", json=ALICE)
    assert resp.status_code == 422, (
        f"the OAuth2 password flow takes form data (OAuth2PasswordRequestForm), so JSON must give 422, got {resp.status_code}"
    )


@pytest.mark.rule("me-route")
def test_me_needs_a_token_then_returns_the_user(client):
    assert_status(client.get("/me"), 401, "GET /me without a token")
    for sub, expected in (("1", {"id": 1, "username": "alice"}), ("2", {"id": 2, "username": "bob"})):
        resp = client.get("/me", headers=bearer(forge(sub=sub, scope="")))
        assert_status(resp, 200, f"GET /me with a valid token for sub {sub!r} (any scope)")
        assert resp.json() == expected, f"GET /me for sub {sub!r} must return {expected}, got {resp.json()!r}"


@pytest.mark.rule("orders-routes")
def test_orders_routes_answer_with_their_bodies(client):
    resp = client.get("/orders", headers=bearer(forge(scope="orders:read")))
    assert_status(resp, 200, "GET /orders with scope orders:read")
    assert resp.json() == [], f"GET /orders must return [], got {resp.json()!r}"
    resp = client.post("/orders", headers=bearer(forge(scope="orders:write")))
    assert_status(resp, 201, "POST /orders with scope orders:write")
    assert resp.json() == {"status": "accepted", "user_id": 1}, (
        f"POST /orders must return {{'status': 'accepted', 'user_id': 1}} for alice, got {resp.json()!r}"
    )


@pytest.mark.rule("scope-403")
@pytest.mark.parametrize("scope,method,path", [
    ("orders:read", "POST", "/orders"), ("orders:write", "GET", "/orders"), ("", "GET", "/orders"), ("", "POST", "/orders"),
])
def test_a_valid_token_without_the_scope_gets_403(client, scope, method, path):
    resp = client.request(method, path, headers=bearer(forge(scope=scope)))
    assert resp.status_code == 403, (
        f"a valid token with scope {scope!r} is authenticated but not allowed to {method} {path}: that is 403 (a new"
        f" login would not help), got {resp.status_code}"
    )
    allowed = client.get("/me", headers=bearer(forge(scope=scope)))
    assert_status(allowed, 200, f"the same token (scope {scope!r}) on GET /me, which needs no scope")


@pytest.mark.rule("claims-exact", "expired-401")
def test_token_issued_two_hours_ago_is_expired(app, client):
    app.dependency_overrides[api.get_now] = lambda: datetime.now(timezone.utc) - timedelta(hours=2)
    old = token_for(client, ALICE)
    app.dependency_overrides.clear()
    assert_status(client.get("/me", headers=bearer(old)), 401,
                  "a token issued 2 hours ago (get_now overridden; it expired 1h45m ago)")


@pytest.mark.rule("expired-401")
def test_expiry_has_no_leeway(client):
    now = datetime.now(timezone.utc)
    fresh = forge(iat=now - timedelta(seconds=840), exp=now + timedelta(seconds=60))
    assert_status(client.get("/me", headers=bearer(fresh)), 200, "a token that expires in 60 s")
    stale = forge(iat=now - timedelta(seconds=905), exp=now - timedelta(seconds=5))
    assert_status(client.get("/me", headers=bearer(stale)), 401,
                  "a token that expired 5 seconds ago (no leeway: expired means expired)")


@pytest.mark.rule("strict-verification")
@pytest.mark.parametrize("case", ["wrong-key", "alg-none", "alg-hs512", "wrong-aud", "wrong-iss", "garbage"])
def test_tokens_that_fail_verification_are_401(client, case):
    now = int(datetime.now(timezone.utc).timestamp())
    tokens = {
        "wrong-key": lambda: forge(key=OTHER_KEY),
        "alg-none": lambda: b64({"alg": "none", "typ": "JWT"}) + "." + b64(
            {"sub": "1", "iss": ISS, "aud": AUD, "iat": now, "exp": now + 900, "scope": BOTH}) + ".",
        "alg-hs512": lambda: forge(algorithm="HS512"),  # the right key, but the algorithm is pinned to HS256
        "wrong-aud": lambda: forge(aud="some-other-api"),
        "wrong-iss": lambda: forge(iss="https://evil.example"),
        "garbage": lambda: "not.a.jwt",
    }
    assert_status(client.get("/me", headers=bearer(forge())), 200, "a correctly made token (the control)")
    assert_status(client.get("/me", headers=bearer(tokens[case]())), 401, f"a token with {case}")


@pytest.mark.rule("required-claims")
@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss", "aud"])
def test_tokens_missing_a_required_claim_are_401(client, claim):
    assert_status(client.get("/me", headers=bearer(forge())), 200, "a token with every claim (the control)")
    assert_status(client.get("/me", headers=bearer(forge(drop=(claim,)))), 401, f"a token without '{claim}'")


@pytest.mark.rule("unknown-user")
@pytest.mark.parametrize("sub", ["99", "alice"])
def test_a_token_for_no_known_user_is_401(client, sub):
    assert_status(client.get("/me", headers=bearer(forge(sub=sub))), 401, f"a valid token whose sub {sub!r} is no user id")


@pytest.mark.rule("www-authenticate")
def test_every_401_carries_a_bearer_challenge(client):
    now = datetime.now(timezone.utc)
    cases = {
        "GET /me without a token": lambda: client.get("/me"),
        "GET /orders without a token": lambda: client.get("/orders"),
        "GET /me with a garbage token": lambda: client.get("/me", headers=bearer("not.a.jwt")),
        "GET /orders with an expired token": lambda: client.get(
            "/orders", headers=bearer(forge(iat=now - timedelta(hours=1), exp=now - timedelta(minutes=45)))),
        "POST /orders signed with the wrong key": lambda: client.post("/orders", headers=bearer(forge(key=OTHER_KEY))),
        "POST /token with a wrong password": lambda: login(client, {"username": "bob", "password": "nope-nope-nope"}),
    }
    for what, send in cases.items():
        resp = send()
        assert_status(resp, 401, what)
        challenge = resp.headers.get("www-authenticate", "")
        assert challenge.startswith("Bearer"), f"{what}: a 401 must carry 'WWW-Authenticate: Bearer', got {challenge!r}"


@pytest.mark.rule("www-authenticate", "unknown-user")
def test_a_token_for_no_known_user_gets_a_bearer_challenge(client):
    resp = client.get("/me", headers=bearer(forge(sub="99")))
    assert_status(resp, 401, "GET /me with a correctly signed token for user id 99, who does not exist")
    challenge = resp.headers.get("www-authenticate", "")
    assert challenge.startswith("Bearer"), (
        f"the 401 for an unknown user must carry 'WWW-Authenticate: Bearer' like every other 401, got {challenge!r}"
    )
