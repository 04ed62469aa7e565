"""Verifier for password-hashing. Uses bcrypt cost 4 everywhere but one test, so the file runs in well under a second.

Hashes for verify_password and needs_rehash are made here with bcrypt itself, and the output of hash_password is
checked with bcrypt.checkpw, so each rule is judged on its own.
"""
import logging

import bcrypt
import pytest
from roadmap_pytest import bcrypt_cut_at_72_bytes, raises

import password_store as ps

FAST = 4  # rounds; production uses 12+, tests use the minimum so they stay fast
PASSWORD = "correct horse battery"


def bcrypt_hash(password, rounds=FAST):
    """A reference bcrypt hash (str) of `password` (str, encoded as UTF-8, or raw bytes)."""
    data = password if isinstance(password, bytes) else password.encode("utf-8")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def is_hash_of(password, hashed):
    """Does bcrypt itself accept `hashed` (str or bytes) for `password`? Lenient about the type: hash-format checks it."""
    stored = hashed if isinstance(hashed, bytes) else str(hashed).encode("ascii", "replace")
    try:
        return bcrypt.checkpw(password.encode("utf-8"), stored)
    except ValueError:
        return False


def as_text(hashed):
    return hashed.decode("ascii", "replace") if isinstance(hashed, bytes) else str(hashed)


def nbytes(password):
    return len(password.encode("utf-8"))


# --- hash_password -----------------------------------------------------------------------------------------


@pytest.mark.rule("hash-format")
@pytest.mark.parametrize("rounds", [4, 5])
@pytest.mark.parametrize("password", [PASSWORD, "pässwörd-日本語-€"], ids=["ascii", "non-ascii"])
def test_hash_is_a_bcrypt_string_with_the_requested_cost(password, rounds):
    hashed = ps.hash_password(password, rounds=rounds)
    assert isinstance(hashed, str), f"hash_password must return a str (decode bcrypt's bytes with ascii), got {type(hashed).__name__}"
    assert len(hashed) == 60, f"a bcrypt hash is 60 characters, got {len(hashed)}: {hashed!r}"
    prefix = f"$2b${rounds:02d}$"
    assert hashed.startswith(prefix), f"expected a {prefix!r} prefix for rounds={rounds}, got {hashed[:7]!r}"
    assert is_hash_of(password, hashed), (
        f"bcrypt.checkpw(password.encode('utf-8'), hash) must accept the hash of {password!r}: hash the UTF-8 bytes"
    )
    assert password not in hashed, "the plaintext must never appear in the stored hash"


@pytest.mark.rule("fresh-salt")
def test_hashes_are_salted_and_both_verify():
    first = ps.hash_password(PASSWORD, rounds=FAST)
    second = ps.hash_password(PASSWORD, rounds=FAST)
    assert first != second, "two hashes of the same password must differ: use a fresh bcrypt.gensalt() per hash"
    assert is_hash_of(PASSWORD, first) and is_hash_of(PASSWORD, second), "both hashes of the same password must verify"


@pytest.mark.rule("default-cost")
def test_default_cost_is_at_least_12_and_is_the_default():
    assert ps.DEFAULT_ROUNDS >= 12, f"DEFAULT_ROUNDS must be at least 12 for production, got {ps.DEFAULT_ROUNDS}"
    hashed = ps.hash_password(PASSWORD)  # the one slow hash of the file (~0.2 s at cost 12)
    prefix = f"$2b${ps.DEFAULT_ROUNDS:02d}$"
    assert as_text(hashed).startswith(prefix), (
        f"hash_password without rounds must use DEFAULT_ROUNDS ({ps.DEFAULT_ROUNDS}): expected {prefix!r}, got {as_text(hashed)[:7]!r}"
    )
    assert ps.needs_rehash(bcrypt_hash(PASSWORD, rounds=FAST)) is True, (
        "needs_rehash without rounds must compare with DEFAULT_ROUNDS, so a cost-4 hash needs a rehash"
    )
    assert ps.needs_rehash(as_text(hashed)) is False, (
        "needs_rehash without rounds must compare with DEFAULT_ROUNDS, so a hash made at that cost needs none"
    )


@pytest.mark.rule("min-length")
@pytest.mark.parametrize("password", ["", "short", "1234567", "€" * 7], ids=["empty", "5-chars", "7-chars", "7-euros-21-bytes"])
def test_under_8_characters_is_refused(password):
    with raises(ps.PasswordPolicyError, f"hash_password({password!r}) ({len(password)} characters) must raise PasswordPolicyError: passwords need at least 8 characters"):
        ps.hash_password(password, rounds=FAST)
    assert issubclass(ps.PasswordPolicyError, ValueError), "PasswordPolicyError must subclass ValueError"


@pytest.mark.rule("min-length")
@pytest.mark.parametrize("password", ["12345678", "€" * 8, "ab cd ef", " 234567 "],
                         ids=["8-chars", "8-euros", "8-with-spaces", "8-with-edge-spaces"])
def test_exactly_8_characters_is_accepted(password):
    hashed = ps.hash_password(password, rounds=FAST)
    assert is_hash_of(password, hashed), f"{password!r} has exactly 8 characters: it must be accepted and hashed"


@pytest.mark.rule("max-bytes")
@pytest.mark.parametrize(
    "password",
    ["a" * 73, "€" * 25, "a" * 71 + "é", "日本語" * 9],
    ids=["73-ascii", "25-euros-75-bytes", "72-chars-73-bytes", "27-chars-81-bytes"],
)
def test_over_72_bytes_is_refused(password):
    with raises(
        ps.PasswordPolicyError,
        f"a password of {len(password)} characters but {nbytes(password)} bytes must raise PasswordPolicyError: "
        "the limit is 72 BYTES of UTF-8, so check len(password.encode('utf-8')) yourself, and never truncate",
    ):
        ps.hash_password(password, rounds=FAST)


@pytest.mark.rule("max-bytes")
@pytest.mark.parametrize("password", ["a" * 72, "€" * 24, "a" * 70 + "é"], ids=["72-ascii", "24-euros", "71-chars-72-bytes"])
def test_exactly_72_bytes_is_accepted(password):
    assert nbytes(password) == 72
    try:
        hashed = ps.hash_password(password, rounds=FAST)
    except ValueError as exc:
        pytest.fail(f"a password of exactly 72 bytes ({len(password)} characters) is allowed, but hash_password raised {exc!r}")
    assert is_hash_of(password, hashed), f"the hash of the 72-byte password {password!r} must verify"


# --- verify_password ---------------------------------------------------------------------------------------


@pytest.mark.rule("verify-match")
@pytest.mark.parametrize(
    "password, rounds",
    [(PASSWORD, 4), (PASSWORD, 5), ("pässwörd-日本語-€", 4), ("€" * 24, 4), ("a" * 72, 5), ("a" * 70 + "é", 4)],
    ids=["ascii", "cost-5", "non-ascii", "24-euros-72-bytes", "72-ascii", "71-chars-72-bytes"],
)
def test_matching_password_verifies(password, rounds):
    hashed = bcrypt_hash(password, rounds)
    assert ps.verify_password(password, hashed) is True, (
        f"verify_password({password!r}, <its bcrypt hash at cost {rounds}>) must be True: check the UTF-8 bytes with bcrypt.checkpw"
    )


@pytest.mark.rule("verify-mismatch")
@pytest.mark.parametrize(
    "stored, attempt",
    [
        (PASSWORD, PASSWORD + "!"),
        (PASSWORD, PASSWORD[:-1]),
        (PASSWORD, "Correct horse battery"),
        (PASSWORD, PASSWORD + " "),
        (PASSWORD, " " + PASSWORD),
        (PASSWORD, ""),
        ("pässwörd-€-€-€", "passwörd-€-€-€"),
        ("pässwörd-€-€-€", "pässwörd-€-€-£"),
    ],
    ids=["extra-char", "missing-char", "other-case", "trailing-space", "leading-space", "empty", "umlaut-dropped", "other-symbol"],
)
def test_other_password_does_not_verify(stored, attempt):
    hashed = bcrypt_hash(stored)
    assert ps.verify_password(attempt, hashed) is False, (
        f"{attempt!r} must not verify against the hash of {stored!r}: passwords are compared exactly, no trimming or case folding"
    )


@pytest.mark.rule("verify-over-72")
@pytest.mark.parametrize(
    "attempt",
    ["a" * 72 + "b", "€" * 25, "€" * 24 + "x", "a" * 71 + "é"],
    ids=["73-ascii", "25-euros", "24-euros-and-x", "72-chars-73-bytes"],
)
def test_password_over_72_bytes_never_verifies(attempt):
    hashed = bcrypt_hash(attempt.encode("utf-8")[:72])  # the hash of its own first 72 bytes
    try:
        result = ps.verify_password(attempt, hashed)
    except ValueError as exc:
        pytest.fail(f"verify_password must return False for a password over 72 bytes, not raise {exc!r} (bcrypt 5 raises)")
    assert result is False, (
        f"{attempt!r} ({nbytes(attempt)} bytes) must not verify against the hash of its first 72 bytes: "
        "refuse anything over 72 BYTES (len(password.encode('utf-8'))), never truncate it"
    )


@pytest.fixture
def truncating_bcrypt(monkeypatch):
    bcrypt_cut_at_72_bytes(monkeypatch, ps)


@pytest.mark.rule("verify-over-72", "verify-match")
def test_over_72_bytes_never_verifies_even_with_a_truncating_bcrypt(truncating_bcrypt):
    hashed = bcrypt_hash("a" * 72)
    assert ps.verify_password("a" * 72, hashed) is True, "the exact 72-byte password must verify"
    assert ps.verify_password("a" * 72 + "b", hashed) is False, (
        "with a bcrypt that ignores everything after byte 72 (3.2 and 4.x do; 5 raises instead), 73 bytes must"
        " still be refused: check len(password.encode('utf-8')) > 72 yourself before calling bcrypt"
    )


@pytest.mark.rule("malformed-hash")
@pytest.mark.parametrize(
    "bad_hash",
    ["not-a-hash", "", "$2b$04$tooshort", "5f4dcc3b5aa765d61d8327deb882cf99", "$2b$04$" + "é" * 53],
    ids=["words", "empty", "truncated", "md5", "non-ascii"],
)
def test_malformed_hash_gives_false(bad_hash):
    try:
        result = ps.verify_password(PASSWORD, bad_hash)
    except Exception as exc:  # noqa: BLE001 - any exception here is the bug being tested
        pytest.fail(f"verify_password with a malformed hash {bad_hash!r} must return False, not raise {exc!r}")
    assert result is False, f"a malformed hash {bad_hash!r} must give False"


# --- needs_rehash ------------------------------------------------------------------------------------------


@pytest.mark.rule("needs-rehash")
@pytest.mark.parametrize(
    "stored_cost, rounds, expected",
    [(4, 4, False), (5, 5, False), (4, 5, True), (5, 4, True), (4, 12, True)],
    ids=["4-vs-4", "5-vs-5", "4-vs-5-lower", "5-vs-4-higher", "4-vs-12"],
)
def test_needs_rehash_compares_the_stored_cost(stored_cost, rounds, expected):
    hashed = bcrypt_hash(PASSWORD, rounds=stored_cost)
    assert ps.needs_rehash(hashed, rounds=rounds) is expected, (
        f"a hash made at cost {stored_cost} checked against rounds={rounds}: needs_rehash must be {expected} "
        "(True whenever the costs differ, in either direction)"
    )


@pytest.mark.rule("needs-rehash")
@pytest.mark.parametrize(
    "bad_hash",
    ["not-a-hash", "", "5f4dcc3b5aa765d61d8327deb882cf99", "$2b$xx$" + "a" * 53],
    ids=["words", "empty", "md5", "cost-not-a-number"],
)
def test_unreadable_hash_needs_rehash(bad_hash):
    try:
        result = ps.needs_rehash(bad_hash, rounds=FAST)
    except Exception as exc:  # noqa: BLE001 - any exception here is the bug being tested
        pytest.fail(f"needs_rehash({bad_hash!r}) must return True, not raise {exc!r}")
    assert result is True, f"an unreadable hash {bad_hash!r} must be reported as needing a rehash"


# --- the plaintext never leaves ----------------------------------------------------------------------------


@pytest.mark.rule("no-plaintext-output")
def test_plaintext_is_never_logged_printed_or_put_in_an_error(caplog, capsys):
    caplog.set_level(logging.DEBUG)
    good, wrong, short, long = "Zebra-Plain-9931", "Wrong-Plain-7713", "Shrt-42", "Long-Plain-5520-" * 5
    seen = []

    def attempt(function, *args, **kwargs):
        # Other tests judge what each call returns; here only what leaks matters, so errors are collected, not judged.
        try:
            return function(*args, **kwargs)
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - its message is checked below
            seen.append((f"the {type(exc).__name__} raised by {function.__name__}", f"{exc} {exc.args!r}"))
            return None

    hashed = attempt(ps.hash_password, good, rounds=FAST)
    assert is_hash_of(good, hashed), f"hash_password({good!r}, rounds=4) must return a working bcrypt hash, got {hashed!r}"
    stored = bcrypt_hash(good)
    for password in (good, wrong, long):
        attempt(ps.verify_password, password, stored)
    attempt(ps.verify_password, good, "not-a-hash")
    attempt(ps.needs_rehash, stored, rounds=FAST)
    for refused in (short, long):
        attempt(ps.hash_password, refused, rounds=FAST)
    out = capsys.readouterr()
    seen.append(("printed output", out.out + out.err))
    seen += [(f"the log record {r.name}:{r.levelname}", r.getMessage()) for r in caplog.records]
    for where, text in seen:
        for password in (good, wrong, short, "Long-Plain-5520"):
            assert password not in text, f"the plaintext password {password!r} appears in {where}: {text!r}"
