"""Verifier for cors-csrf: exact-origin CORS with credentials, cookie flags, double-submit CSRF bound to the session."""
import pytest
from fastapi.testclient import TestClient
from roadmap_pytest import raises

import spa_session_api as spa

SPA = "https://app.tradedesk.test"
ADMIN = "https://admin.tradedesk.test"
ALLOWED = (SPA, ADMIN)  # a tuple: create_app takes any Sequence
EVIL_ORIGINS = [
    "https://evil.example",
    "http://app.tradedesk.test",                 # same host, plain HTTP
    "https://app.tradedesk.test.evil.example",   # look-alike prefix
    "null",                                      # sandboxed iframes and file:// pages
]
USERS = {"alice": "s3cret-passphrase", "bob": "hunter2-but-longer"}
TRANSFER = {"to_account": "ACC-42", "amount": "25.00"}


def authenticate(username, password):
    return USERS.get(username) == password


@pytest.fixture
def app():
    return spa.create_app(ALLOWED, authenticate)


def browser(app):
    # Secure cookies are only stored and sent back over HTTPS, so the test client must use an https base URL.
    return TestClient(app, base_url="https://testserver")


@pytest.fixture
def client(app):
    return browser(app)


def set_cookies(resp):
    """{name: (value, {attribute: value})} from every Set-Cookie header of a response."""
    found = {}
    for header in resp.headers.get_list("set-cookie"):
        first, *attrs = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        found[name] = (value.strip('"'), {a.split("=", 1)[0].lower(): (a.split("=", 1) + [""])[1].lower() for a in attrs})
    return found


def login(client, username="alice"):
    """Log in; returns (session id, csrf token, response). Judges only what every session test needs."""
    resp = client.post("/login", json={"username": username, "password": USERS[username]})
    assert resp.status_code == 200, f"POST /login with the right password must give 200, got {resp.status_code}: {resp.text}"
    cookies = set_cookies(resp)
    assert "session" in cookies and "csrf_token" in cookies, (
        f"POST /login must set the 'session' and 'csrf_token' cookies; Set-Cookie headers were {resp.headers.get_list('set-cookie')}"
    )
    return cookies["session"][0], cookies["csrf_token"][0], resp


def raw_post(app, cookie_header=None, csrf_header=None, body=TRANSFER):
    """POST /transfers from a fresh client (empty cookie jar) with exactly these Cookie and X-CSRF-Token headers."""
    headers = {}
    if cookie_header is not None:
        headers["Cookie"] = cookie_header
    if csrf_header is not None:
        headers["X-CSRF-Token"] = csrf_header
    return browser(app).post("/transfers", json=body, headers=headers)


def preflight(client, origin, method="POST", request_headers="content-type", path="/transfers"):
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers:
        headers["Access-Control-Request-Headers"] = request_headers
    return client.options(path, headers=headers)


def acao(resp):
    value = resp.headers.get("access-control-allow-origin")
    assert value != "*", "never answer Access-Control-Allow-Origin: * on a credentialed API"
    return value


# --- CORS -----------------------------------------------------------------------------------------------------


@pytest.mark.rule("origins-validated")
@pytest.mark.parametrize("origins", [[], ["*"], [SPA, "*"]], ids=["empty", "wildcard", "wildcard-next-to-an-origin"])
def test_empty_or_wildcard_origins_are_refused(origins):
    with raises(ValueError, f"create_app({origins!r}, ...) must raise ValueError: list the exact origins, never '*'"):
        spa.create_app(origins, authenticate)


@pytest.mark.rule("allowed-origin-credentials")
@pytest.mark.parametrize("origin", ALLOWED, ids=["first-origin", "second-origin"])
@pytest.mark.parametrize("method, path, request_headers", [("POST", "/transfers", "content-type"), ("GET", "/me", None)], ids=["post-transfers", "get-me"])
def test_allowed_preflight_echoes_the_exact_origin_with_credentials(client, origin, method, path, request_headers):
    resp = preflight(client, origin, method, request_headers, path)
    assert resp.status_code == 200, f"a {method} {path} preflight from the allowed origin {origin} must give 200, got {resp.status_code}: {resp.text}"
    assert acao(resp) == origin, f"Access-Control-Allow-Origin must be exactly {origin!r}, got {acao(resp)!r}"
    assert resp.headers.get("access-control-allow-credentials") == "true", (
        f"the preflight from {origin} must say Access-Control-Allow-Credentials: true (the SPA sends cookies)"
    )


@pytest.mark.rule("allowed-origin-credentials")
@pytest.mark.parametrize("origin", ALLOWED, ids=["first-origin", "second-origin"])
def test_allowed_origin_can_read_every_response(app, origin):
    client = browser(app)
    header = {"Origin": origin}
    responses = [("GET /me before login (401)", client.get("/me", headers=header))]
    responses.append(("POST /login", client.post("/login", json={"username": "alice", "password": USERS["alice"]}, headers=header)))
    responses.append(("GET /me after login", client.get("/me", headers=header)))
    responses.append(("POST /transfers without a token", client.post("/transfers", json=TRANSFER, headers=header)))
    for label, resp in responses:
        assert acao(resp) == origin, f"{label} from {origin}: Access-Control-Allow-Origin must be {origin!r}, got {acao(resp)!r}"
        assert resp.headers.get("access-control-allow-credentials") == "true", (
            f"{label} from {origin}: Access-Control-Allow-Credentials must be 'true'"
        )


@pytest.mark.rule("preflight-methods-headers")
def test_preflight_allows_only_the_listed_methods_and_headers(client):
    for method, request_headers in [("POST", "content-type,x-csrf-token"), ("POST", "X-CSRF-Token"), ("GET", None)]:
        resp = preflight(client, SPA, method, request_headers)
        assert resp.status_code == 200, (
            f"a preflight from {SPA} for {method} with headers {request_headers!r} must give 200, got {resp.status_code}: {resp.text}"
        )
        allowed = resp.headers.get("access-control-allow-headers", "").lower()
        if request_headers:
            assert all(h.strip().lower() in allowed for h in request_headers.split(",")), (
                f"the preflight must allow the request headers {request_headers!r}, got Access-Control-Allow-Headers {allowed!r}"
            )
    for method, request_headers in [("DELETE", "content-type"), ("PUT", "content-type"), ("PATCH", None),
                                    ("POST", "x-debug"), ("POST", "content-type,x-csrf-token,x-debug"),
                                    ("POST", "authorization")]:
        resp = preflight(client, SPA, method, request_headers)
        assert resp.status_code == 400, (
            f"a preflight asking for {method} with headers {request_headers!r} must be refused with 400 "
            f"(only GET/POST and Content-Type/X-CSRF-Token are allowed), got {resp.status_code}"
        )


@pytest.mark.rule("other-origins-refused")
@pytest.mark.parametrize("origin", EVIL_ORIGINS)
def test_other_origins_fail_preflight(client, origin):
    assert acao(preflight(client, SPA)) == SPA, f"sanity check: a preflight from {SPA} must get Access-Control-Allow-Origin: {SPA}"
    for method, path in [("POST", "/transfers"), ("GET", "/me"), ("POST", "/login")]:
        resp = preflight(client, origin, method, "content-type" if method == "POST" else None, path)
        assert resp.status_code == 400, f"a {method} {path} preflight from {origin!r} must be refused with 400, got {resp.status_code}"
        assert acao(resp) is None, (
            f"a refused origin {origin!r} must get no Access-Control-Allow-Origin, got {acao(resp)!r}"
        )


@pytest.mark.rule("other-origins-refused")
@pytest.mark.parametrize("origin", EVIL_ORIGINS)
def test_other_origins_cannot_read_responses(app, origin):
    client = browser(app)
    assert acao(client.get("/me", headers={"Origin": SPA})) == SPA, (
        f"sanity check: GET /me from {SPA} must get Access-Control-Allow-Origin: {SPA}"
    )
    header = {"Origin": origin}
    responses = [("GET /me before login", client.get("/me", headers=header))]
    responses.append(("POST /login", client.post("/login", json={"username": "alice", "password": USERS["alice"]}, headers=header)))
    responses.append(("GET /me after login", client.get("/me", headers=header)))
    for label, resp in responses:
        assert acao(resp) is None, f"{label} from {origin!r} must carry no Access-Control-Allow-Origin, got {acao(resp)!r}"


# --- login and cookies ----------------------------------------------------------------------------------------


@pytest.mark.rule("bad-login")
@pytest.mark.parametrize("username, password", [("alice", "guess"), ("alice", USERS["bob"]), ("mallory", "s3cret-passphrase")],
                         ids=["wrong-password", "other-users-password", "unknown-user"])
def test_bad_login_is_401_without_cookies(client, username, password):
    resp = client.post("/login", json={"username": username, "password": password})
    assert resp.status_code == 401, f"POST /login as {username!r} with a wrong password must give 401, got {resp.status_code}"
    assert not resp.headers.get_list("set-cookie"), (
        f"a failed login must not set any cookie, got {resp.headers.get_list('set-cookie')}"
    )


@pytest.mark.rule("session-cookie")
def test_login_sets_a_fresh_hardened_session_cookie(client):
    session_id, _, resp = login(client)
    assert resp.json().get("username") == "alice", f"the login body must carry the username, got {resp.json()}"
    assert isinstance(resp.json().get("csrf_token"), str), f"the login body must carry the csrf_token, got {resp.json()}"
    attrs = set_cookies(resp)["session"][1]
    assert "httponly" in attrs, "the session cookie must be HttpOnly (JavaScript, and so XSS, can't read it)"
    assert "secure" in attrs, "the session cookie must be Secure (HTTPS only)"
    assert attrs.get("samesite") == "lax", f"the session cookie must be SameSite=lax, got {attrs.get('samesite')!r}"
    assert attrs.get("path") == "/", f"the session cookie must be Path=/, got {attrs.get('path')!r}"
    assert len(session_id) >= 32, f"the session id must be long and random (secrets.token_urlsafe(32)), got {session_id!r}"
    again, _, _ = login(browser(client.app))
    assert again != session_id, "every login must get a fresh session id"


@pytest.mark.rule("csrf-cookie")
def test_login_sets_a_readable_csrf_cookie(client):
    session_id, token, resp = login(client)
    attrs = set_cookies(resp)["csrf_token"][1]
    assert "httponly" not in attrs, "the csrf_token cookie must NOT be HttpOnly: the SPA's JavaScript has to read it"
    assert "secure" in attrs, "the csrf_token cookie must be Secure"
    assert attrs.get("samesite") == "lax", f"the csrf_token cookie must be SameSite=lax, got {attrs.get('samesite')!r}"
    assert attrs.get("path") == "/", f"the csrf_token cookie must be Path=/, got {attrs.get('path')!r}"
    assert resp.json().get("csrf_token") == token, "the login body's csrf_token must be the same token as the cookie"
    assert token and token != session_id, "the CSRF token must not be the session id"
    _, again, _ = login(browser(client.app))
    assert again != token, "every login must get a fresh CSRF token"


# --- reading needs a session, not a token ---------------------------------------------------------------------


@pytest.mark.rule("me-session")
def test_me_answers_for_the_session_that_is_sent(app):
    alice, bob = browser(app), browser(app)
    login(alice, "alice")
    login(bob, "bob")
    for client, name in [(alice, "alice"), (bob, "bob")]:
        resp = client.get("/me")
        assert resp.status_code == 200 and resp.json() == {"username": name}, (
            f"GET /me with {name}'s session cookie (and no CSRF token) must give 200 {{'username': {name!r}}}, "
            f"got {resp.status_code}: {resp.text}"
        )
    assert browser(app).get("/me").status_code == 401, "GET /me without a session cookie must give 401"
    resp = browser(app).get("/me", headers={"Cookie": "session=forged-session-id-" + "x" * 32})
    assert resp.status_code == 401, f"GET /me with an unknown session id must give 401, got {resp.status_code}"


# --- transfers: session, then CSRF ----------------------------------------------------------------------------


@pytest.mark.rule("transfer-401-first")
@pytest.mark.parametrize(
    "cookie_header, csrf_header",
    [
        (None, None),
        ("csrf_token=" + "x" * 43, "x" * 43),
        ("session=forged-session-id; csrf_token=" + "x" * 43, "x" * 43),
        ("session=forged-session-id", None),
    ],
    ids=["nothing", "token-pair-only", "unknown-session-with-token-pair", "unknown-session-alone"],
)
def test_transfer_without_a_valid_session_is_401(app, client, cookie_header, csrf_header):
    login(client)  # a real session exists, but this request doesn't carry it
    resp = raw_post(app, cookie_header, csrf_header)
    assert resp.status_code == 401, (
        f"POST /transfers with Cookie {cookie_header!r} and X-CSRF-Token {csrf_header!r}: no valid session must give 401 "
        f"(the session is checked before the CSRF token), got {resp.status_code}"
    )


@pytest.mark.rule("csrf-pair")
@pytest.mark.parametrize(
    "send_cookie, send_header",
    [("real", None), (None, "real"), (None, None), ("real", "forged"), ("forged", "real")],
    ids=["header-missing", "cookie-missing", "both-missing", "header-forged", "cookie-forged"],
)
def test_missing_or_mismatched_csrf_token_is_403(app, client, send_cookie, send_header):
    session_id, token, _ = login(client)
    value = {"real": token, "forged": "guessed-token-value", None: None}
    cookie = f"session={session_id}" + (f"; csrf_token={value[send_cookie]}" if send_cookie else "")
    resp = raw_post(app, cookie, value[send_header])
    assert resp.status_code == 403, (
        f"a logged-in POST /transfers with csrf_token cookie {send_cookie or 'missing'} and X-CSRF-Token header "
        f"{send_header or 'missing'} must give 403, got {resp.status_code}"
    )


@pytest.mark.rule("csrf-bound")
@pytest.mark.parametrize("pair", ["attacker-chosen", "another-users-token", "earlier-session-token"])
def test_matching_pair_that_is_not_this_sessions_token_is_403(app, pair):
    earlier_session, earlier_token, _ = login(browser(app), "alice")
    session_id, _, _ = login(browser(app), "alice")
    _, bobs_token, _ = login(browser(app), "bob")
    # An attacker who can plant cookies (from a compromised sibling subdomain, say) sets BOTH halves to a value
    # they know. Plain double-submit (header == cookie) accepts that; a token bound to the session doesn't.
    value = {"attacker-chosen": "attacker-chosen-value", "another-users-token": bobs_token, "earlier-session-token": earlier_token}[pair]
    resp = raw_post(app, f"session={session_id}; csrf_token={value}", value)
    assert resp.status_code == 403, (
        f"a CSRF cookie/header pair ({pair}) that match each other but not the token issued to THIS session at login "
        f"must give 403, got {resp.status_code}"
    )


@pytest.mark.rule("transfer-accepted")
@pytest.mark.parametrize("username, amount", [("alice", "25.00"), ("bob", "1000.5")])
def test_matching_csrf_token_is_200(app, username, amount):
    client = browser(app)
    session_id, token, _ = login(client, username)
    body = {"to_account": "ACC-42", "amount": amount}
    resp = client.post("/transfers", json=body, headers={"X-CSRF-Token": token})
    expected = {"status": "accepted", "to_account": "ACC-42", "amount": amount}
    assert resp.status_code == 200, f"session cookie + matching X-CSRF-Token must give 200, got {resp.status_code}: {resp.text}"
    assert resp.json() == expected, f"POST /transfers must answer {expected}, got {resp.json()!r}"
    again = raw_post(app, f"session={session_id}; csrf_token={token}", token, body)
    assert again.status_code == 200 and again.json() == expected, (
        f"the same session and token must be accepted again, got {again.status_code}: {again.text}"
    )
