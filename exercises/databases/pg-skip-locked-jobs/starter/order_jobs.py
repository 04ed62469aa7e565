"""Order-job queue on PostgreSQL: idempotent enqueue, SKIP LOCKED claims, upserts, a partial index (psycopg 3)."""
from decimal import Decimal  # noqa: F401  (positions are Decimals)

# TODO: a CHECK on qty, a partial index for queued jobs, and a positions table keyed by (account, symbol).
SCHEMA = """
CREATE TABLE order_jobs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_order_id text    NOT NULL UNIQUE,
    symbol          text    NOT NULL,
    qty             integer NOT NULL,
    status          text    NOT NULL DEFAULT 'queued'
);
"""


def create_schema(conn):
    """Create the tables and indexes, and commit."""
    with conn.transaction():
        conn.execute(SCHEMA)


def enqueue(conn, client_order_id, symbol, qty):
    """Queue an order job and return its id; the same client_order_id always returns the first job's id."""
    raise NotImplementedError


def claim(conn, limit):
    """Claim up to `limit` queued jobs (lowest ids first), mark them running, return their ids; no commit."""
    raise NotImplementedError


def add_position(conn, account, symbol, qty):
    """Add qty (a Decimal) to the account's position in one statement; return the new total. Commits."""
    raise NotImplementedError
