"""Password storage with bcrypt: hash on sign-up, verify on login, rehash when the cost changes.

Fill in the three functions. Read README.md for the exact rules.
"""
import bcrypt

DEFAULT_ROUNDS = 12
MIN_LENGTH = 8
MAX_BYTES = 72


class PasswordPolicyError(ValueError):
    """The password breaks a rule (too short, too long)."""


def hash_password(password: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """Return a bcrypt hash (a 60-character str) of `password` with a fresh random salt."""
    raise NotImplementedError("hash_password")


def verify_password(password: str, hashed: str) -> bool:
    """True only if `password` matches `hashed`. Never raises for bad input."""
    return False


def needs_rehash(hashed: str, rounds: int = DEFAULT_ROUNDS) -> bool:
    """True when `hashed` was made with a different cost than `rounds`."""
    return False
