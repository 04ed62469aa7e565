"""Verifier for cors-csrf: exact-origin CORS with credentials, cookie flags, double-submit CSRF."""
import pytest
from fastapi.testclient import TestClient

import spa_session_api as spa

SPA = "https://app.tradedesk.test"
EVIL_ORIGINS = [
    "https://evil.example",
    "http://app.tradedesk.test",                 # same host, plain HTTP
    "https://app.tradedesk.test.evil.example",   # look-alike prefix
    "null",                                      # sandboxed iframes and file:// pages
]
TRANSFER = {"to_account": "ACC-42", "amount": "25.00"}


def authenticate(username, password):
    return (username, password) == ("alice", "s3cret-passphrase")


@pytest.fixture
def app():
    return spa.create_app([SPA], authenticate)


@pytest.fixture
def client(app):
    # Secure cookies are only stored and sent back over HTTPS, so the test client must use an https base URL.
    return TestClient(app, base_url="https://testserver")


def raw_post(app, cookie_header, csrf_header=None):
    """POST /transfers from a fresh client (empty cookie jar) with exactly these Cookie and X-CSRF-Token headers."""
    headers = {"Cookie": cookie_header}
    if csrf_header is not None:
        headers["X-CSRF-Token"] = csrf_header
    return TestClient(app, base_url="https://testserver").post("/transfers", json=TRANSFER, headers=headers)


def login(client):
    resp = client.post("/login", json={"username": "alice", "password": "s3cret-passphrase"})
    assert resp.status_code == 200, f"POST /login with the right password must give 200, got {resp.status_code}: {resp.text}"
    return resp


def cookie_attrs(resp, name):
    for header in resp.headers.get_list("set-cookie"):
        first, *attrs = [part.strip() for part in header.split(";")]
        if first.split("=", 1)[0] == name:
            return first.split("=", 1)[1], {a.split("=", 1)[0].lower(): (a.split("=", 1) + [""])[1].lower() for a in attrs}
    pytest.fail(f"POST /login must set a {name!r} cookie; Set-Cookie headers were {resp.headers.get_list('set-cookie')}")


def preflight(client, origin):
    return client.options("/transfers", headers={
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-csrf-token",
    })


def test_allowed_preflight_echoes_the_exact_origin_with_credentials(client):
    resp = preflight(client, SPA)
    assert resp.status_code == 200, f"a preflight from {SPA} must give 200, got {resp.status_code}: {resp.text}"
    assert resp.headers.get("access-control-allow-origin") == SPA, (
        f"Access-Control-Allow-Origin must be exactly {SPA!r}, got {resp.headers.get('access-control-allow-origin')!r}"
    )
    assert resp.headers.get("access-control-allow-credentials") == "true", "credentials (cookies) must be allowed"
    allowed = resp.headers.get("access-control-allow-headers", "").lower()
    assert "x-csrf-token" in allowed, f"the preflight must allow the X-CSRF-Token header, got {allowed!r}"


@pytest.mark.parametrize("origin", EVIL_ORIGINS)
def test_other_origins_fail_preflight(client, origin):
    resp = preflight(client, origin)
    assert resp.status_code == 400, f"a preflight from {origin!r} must be refused with 400, got {resp.status_code}"
    assert "access-control-allow-origin" not in resp.headers, (
        f"a refused origin {origin!r} must get no Access-Control-Allow-Origin, got {resp.headers.get('access-control-allow-origin')!r}"
    )


@pytest.mark.parametrize("origin", [SPA] + EVIL_ORIGINS)
def test_never_a_wildcard_origin(client, origin):
    login(client)
    resp = client.get("/me", headers={"Origin": origin})
    acao = resp.headers.get("access-control-allow-origin")
    assert acao != "*", "never answer Access-Control-Allow-Origin: * on a credentialed API"
    expected = SPA if origin == SPA else None
    assert acao == expected, f"GET /me from {origin!r}: Access-Control-Allow-Origin must be {expected!r}, got {acao!r}"


def test_wildcard_configuration_is_refused():
    with pytest.raises(ValueError):
        spa.create_app(["*"], authenticate)
        pytest.fail("create_app(['*'], ...) must raise ValueError: a wildcard with credentials trusts every site")


def test_login_sets_hardened_cookies(client):
    resp = login(client)
    session_value, session = cookie_attrs(resp, "session")
    assert "httponly" in session, "the session cookie must be HttpOnly (JavaScript, and so XSS, can't read it)"
    assert "secure" in session, "the session cookie must be Secure (HTTPS only)"
    assert session.get("samesite") == "lax", f"the session cookie must be SameSite=lax, got {session.get('samesite')!r}"
    assert len(session_value) >= 32, "the session id must be long and random (secrets.token_urlsafe(32))"
    csrf_value, csrf = cookie_attrs(resp, "csrf_token")
    assert "httponly" not in csrf, "the csrf_token cookie must NOT be HttpOnly: the SPA's JavaScript has to read it"
    assert "secure" in csrf, "the csrf_token cookie must be Secure"
    assert csrf.get("samesite") == "lax", f"the csrf_token cookie must be SameSite=lax, got {csrf.get('samesite')!r}"
    assert resp.json().get("csrf_token") == csrf_value, "the login response body must also carry the same csrf_token"
    assert csrf_value != session_value, "the CSRF token must not be the session id"


def test_bad_login_is_401_without_cookies(client):
    resp = client.post("/login", json={"username": "alice", "password": "guess"})
    assert resp.status_code == 401, f"a wrong password must give 401, got {resp.status_code}"
    assert not resp.headers.get_list("set-cookie"), "a failed login must not set any cookie"


def test_no_session_is_401(app, client):
    assert client.get("/me").status_code == 401, "GET /me without a session cookie must give 401"
    resp = raw_post(app, "csrf_token=" + "x" * 43, "x" * 43)
    assert resp.status_code == 401, f"POST /transfers without a session must give 401 (checked before CSRF), got {resp.status_code}"
    login(client)
    resp = raw_post(app, "session=forged-session-id; csrf_token=" + "x" * 43, "x" * 43)
    assert resp.status_code == 401, f"an unknown session id must give 401, got {resp.status_code}"


def test_logged_in_user_can_read(client):
    login(client)
    resp = client.get("/me")
    assert resp.status_code == 200 and resp.json() == {"username": "alice"}, (
        f"after login, GET /me must give 200 {{'username': 'alice'}}, got {resp.status_code}: {resp.text}"
    )


def test_missing_csrf_header_is_403(client):
    login(client)
    resp = client.post("/transfers", json=TRANSFER)
    assert resp.status_code == 403, (
        f"a POST with the session cookie but no X-CSRF-Token header is what a forged cross-site form looks like: "
        f"expected 403, got {resp.status_code}"
    )


def test_forged_csrf_header_is_403(client):
    login(client)
    resp = client.post("/transfers", json=TRANSFER, headers={"X-CSRF-Token": "guessed-token-value"})
    assert resp.status_code == 403, f"an X-CSRF-Token that doesn't match the cookie must give 403, got {resp.status_code}"


def test_attacker_chosen_cookie_and_header_pair_is_403(app, client):
    session_id = login(client).cookies.get("session")
    # An attacker who can plant cookies (from a compromised sibling subdomain, say) sets BOTH halves to a value
    # they chose. Plain double-submit (header == cookie) accepts that; a token bound to the session doesn't.
    resp = raw_post(app, f"session={session_id}; csrf_token=attacker-chosen-value", "attacker-chosen-value")
    assert resp.status_code == 403, (
        f"a CSRF cookie/header pair that matches each other but not the token issued for this session must give 403, "
        f"got {resp.status_code}"
    )


def test_matching_csrf_token_is_200(client):
    token = login(client).json()["csrf_token"]
    resp = client.post("/transfers", json=TRANSFER, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200, f"session cookie + matching X-CSRF-Token must give 200, got {resp.status_code}: {resp.text}"
    assert resp.json() == {"status": "accepted", "to_account": "ACC-42", "amount": "25.00"}, (
        f"unexpected transfer response {resp.json()!r}"
    )
