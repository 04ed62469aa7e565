"""Password storage with bcrypt: hash on sign-up, verify on login, rehash when the cost changes.

Fill in the three functions. Read README.md for the exact rules.
"""
import bcrypt  # noqa: F401  (you will need it)

DEFAULT_ROUNDS = 12
MIN_LENGTH = 8
MAX_BYTES = 72


class PasswordPolicyError(ValueError):
    """The password breaks a rule (too short, too long)."""


def hash_password(password: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """Return a bcrypt hash (a 60-character str) of `password` with a fresh random salt."""
    raise NotImplementedError("hash_password: check the length rules, then bcrypt.hashpw with a fresh salt")


def verify_password(password: str, hashed: str) -> bool:
    """True only if `password` matches `hashed`. Never raises for bad input."""
    raise NotImplementedError("verify_password: refuse over-long passwords, then bcrypt.checkpw")


def needs_rehash(hashed: str, rounds: int = DEFAULT_ROUNDS) -> bool:
    """True when `hashed` was made with a different cost than `rounds`, or can't be read."""
    raise NotImplementedError("needs_rehash: read the cost out of the hash and compare it with rounds")
