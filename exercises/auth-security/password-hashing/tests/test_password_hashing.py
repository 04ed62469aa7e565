"""Verifier for password-hashing. Uses bcrypt cost 4 everywhere so the whole file runs in well under a second."""
import pytest

import password_store as ps

FAST = 4  # rounds; production uses 12+, tests use the minimum so they stay fast


def test_hash_is_a_bcrypt_string_with_the_requested_cost():
    hashed = ps.hash_password("correct horse battery", rounds=FAST)
    assert isinstance(hashed, str), "hash_password must return a str (decode bcrypt's bytes with ascii)"
    assert len(hashed) == 60, f"a bcrypt hash is 60 characters, got {len(hashed)}: {hashed!r}"
    assert hashed.startswith("$2b$04$"), f"expected a '$2b$04$' prefix for rounds=4, got {hashed[:7]!r}"
    assert "correct horse battery" not in hashed, "the plaintext must never appear in the stored hash"


def test_hashes_are_salted_and_both_verify():
    first = ps.hash_password("correct horse battery", rounds=FAST)
    second = ps.hash_password("correct horse battery", rounds=FAST)
    assert first != second, "two hashes of the same password must differ: use a fresh bcrypt.gensalt() per hash"
    assert ps.verify_password("correct horse battery", first), "the first hash must verify"
    assert ps.verify_password("correct horse battery", second), "the second hash must verify"


def test_wrong_password_is_rejected():
    hashed = ps.hash_password("correct horse battery", rounds=FAST)
    assert ps.verify_password("correct horse battery!", hashed) is False, "a wrong password must give False"
    assert ps.verify_password("Correct horse battery", hashed) is False, "passwords are case-sensitive"


def test_unicode_password_round_trips():
    password = "pässwörd-日本語-€"
    hashed = ps.hash_password(password, rounds=FAST)
    assert ps.verify_password(password, hashed), "a non-ASCII password must verify (encode it as UTF-8)"
    assert ps.verify_password("passwort-日本語-€", hashed) is False, "a different non-ASCII password must not verify"


def test_policy_error_is_a_value_error():
    assert issubclass(ps.PasswordPolicyError, ValueError), "PasswordPolicyError must subclass ValueError"


def test_default_cost_is_at_least_12():
    assert ps.DEFAULT_ROUNDS >= 12, "DEFAULT_ROUNDS must be at least 12 for production"


def test_over_72_bytes_is_refused_even_when_under_72_characters():
    password = "€" * 25  # 25 characters but 75 bytes in UTF-8
    with pytest.raises(ps.PasswordPolicyError):
        ps.hash_password(password, rounds=FAST)
        pytest.fail("'€'*25 is 75 bytes: hash_password must raise PasswordPolicyError (bcrypt 3.2 would silently truncate it)")


def test_exactly_72_bytes_is_accepted():
    password = "€" * 24  # 72 bytes
    hashed = ps.hash_password(password, rounds=FAST)
    assert ps.verify_password(password, hashed), "a password of exactly 72 bytes is allowed and must verify"


def test_longer_password_does_not_verify_against_its_72_byte_prefix():
    hashed = ps.hash_password("a" * 72, rounds=FAST)
    try:
        result = ps.verify_password("a" * 72 + "b", hashed)
    except ValueError:
        pytest.fail("verify_password must return False for a password over 72 bytes, not raise (bcrypt 5 raises)")
    assert result is False, "'a'*72+'b' must not verify against the hash of 'a'*72 (bcrypt truncation)"


def test_multibyte_password_does_not_verify_against_its_truncation():
    hashed = ps.hash_password("€" * 24, rounds=FAST)  # 72 bytes
    try:
        result = ps.verify_password("€" * 25, hashed)  # 25 characters, 75 bytes
    except ValueError:
        pytest.fail("verify_password('€'*25, ...) must return False, not raise: check the UTF-8 byte length first")
    assert result is False, (
        "'€'*25 must not verify against the hash of '€'*24: the limit is 72 BYTES, so count len(password.encode())"
    )


@pytest.mark.parametrize("password", ["", "short", "1234567"])
def test_under_8_characters_is_refused(password):
    with pytest.raises(ps.PasswordPolicyError):
        ps.hash_password(password, rounds=FAST)
        pytest.fail(f"hash_password({password!r}) must raise PasswordPolicyError: passwords need at least 8 characters")


@pytest.mark.parametrize("bad_hash", ["not-a-hash", "", "$2b$04$tooshort", "5f4dcc3b5aa765d61d8327deb882cf99"])
def test_malformed_hash_gives_false(bad_hash):
    try:
        result = ps.verify_password("correct horse battery", bad_hash)
    except Exception as exc:  # noqa: BLE001 - any exception here is the bug being tested
        pytest.fail(f"verify_password with a malformed hash {bad_hash!r} must return False, not raise {exc!r}")
    assert result is False, f"a malformed hash {bad_hash!r} must give False"


def test_needs_rehash_when_the_cost_changes():
    old = ps.hash_password("correct horse battery", rounds=FAST)
    assert ps.needs_rehash(old, rounds=FAST) is False, "a hash made with the current cost needs no rehash"
    assert ps.needs_rehash(old, rounds=5) is True, "a hash made with cost 4 must be rehashed when the cost is 5"
    assert ps.needs_rehash("not-a-hash", rounds=FAST) is True, "an unreadable hash must be reported as needing a rehash"
