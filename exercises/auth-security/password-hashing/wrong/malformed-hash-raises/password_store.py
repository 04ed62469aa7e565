"""Password storage with bcrypt: hash on sign-up, verify on login, rehash when the cost changes."""
import bcrypt

DEFAULT_ROUNDS = 12   # bcrypt cost: each +1 doubles the work. Tune to ~250 ms per hash on your servers.
MIN_LENGTH = 8        # characters, as the user sees them
MAX_BYTES = 72        # bcrypt only ever reads the first 72 bytes of its input


class PasswordPolicyError(ValueError):
    """The password breaks a rule (too short, too long); the API layer turns it into a 422 with the message."""


def _encode(password: str) -> bytes:
    # bcrypt works on bytes; UTF-8 makes "€" 3 bytes, so the 72-byte limit is about bytes, not characters.
    return password.encode("utf-8")


def hash_password(password: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """Return a bcrypt hash (a 60-character str) of `password` with a fresh random salt."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"password must be at least {MIN_LENGTH} characters")
    data = _encode(password)
    if len(data) > MAX_BYTES:
        # bcrypt 3.x and 4.x silently drop everything after byte 72; bcrypt 5.0+ raises. Be explicit on both.
        raise PasswordPolicyError(f"password must be at most {MAX_BYTES} bytes in UTF-8")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    """True only if `password` matches `hashed`. Never raises for bad input: a login just fails."""
    data = _encode(password)
    if len(data) > MAX_BYTES:
        # Such a password could never have been stored; on bcrypt 3.x checkpw would compare only the
        # first 72 bytes and accept it.
        return False
    # checkpw re-hashes with the salt and cost stored in `hashed` and compares in constant time.
    return bcrypt.checkpw(data, hashed.encode("ascii"))


def needs_rehash(hashed: str, rounds: int = DEFAULT_ROUNDS) -> bool:
    """True when `hashed` was made with a different cost than `rounds` (check after a successful login)."""
    # A bcrypt hash looks like $2b$12$<22-char salt><31-char digest>; the cost is the second field.
    parts = hashed.split("$")
    if len(parts) != 4 or not parts[2].isdigit():
        return True
    return int(parts[2]) != rounds
