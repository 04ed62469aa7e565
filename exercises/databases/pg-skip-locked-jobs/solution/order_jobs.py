"""Order-job queue on PostgreSQL: idempotent enqueue, SKIP LOCKED claims, upserts, a partial index (psycopg 3)."""
from decimal import Decimal

SCHEMA = """
CREATE TABLE order_jobs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_order_id text    NOT NULL UNIQUE,
    symbol          text    NOT NULL,
    qty             integer NOT NULL CHECK (qty > 0),
    status          text    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done'))
);
-- Only queued rows are ever searched for, and after a day of trading they are a tiny slice of the table:
-- a partial index stays small and hot however many finished jobs pile up.
CREATE INDEX order_jobs_queued_idx ON order_jobs (id) WHERE status = 'queued';

CREATE TABLE positions (
    account text           NOT NULL,
    symbol  text           NOT NULL,
    qty     numeric(20, 8) NOT NULL,
    PRIMARY KEY (account, symbol)
);
"""


def create_schema(conn):
    """Create the tables and indexes, and commit."""
    with conn.transaction():
        conn.execute(SCHEMA)


def enqueue(conn, client_order_id, symbol, qty):
    """Queue an order job and return its id; the same client_order_id always returns the first job's id.

    Commits. A qty the table's CHECK rejects raises psycopg.errors.CheckViolation, and the connection stays usable.
    """
    with conn.transaction():  # commits on success, rolls back on error
        row = conn.execute(
            "INSERT INTO order_jobs (client_order_id, symbol, qty) VALUES (%s, %s, %s)"
            " ON CONFLICT (client_order_id) DO NOTHING RETURNING id",
            (client_order_id, symbol, qty),
        ).fetchone()
        if row is None:  # a replay: the row already exists (DO NOTHING returns no row)
            row = conn.execute(
                "SELECT id FROM order_jobs WHERE client_order_id = %s", (client_order_id,)
            ).fetchone()
    return row[0]


def claim(conn, limit):
    """Claim up to `limit` queued jobs (lowest ids first), mark them running and return their ids, ascending.

    Does NOT commit: the row locks are the claim. The worker commits when it is done, or rolls back (or dies)
    and the jobs are queued again. SKIP LOCKED makes a second worker take the next free rows instead of waiting.
    """
    rows = conn.execute(
        """
        WITH picked AS (
            SELECT id FROM order_jobs
            WHERE status = 'queued'
            ORDER BY id
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        )
        UPDATE order_jobs SET status = 'running'
        FROM picked WHERE order_jobs.id = picked.id
        RETURNING order_jobs.id
        """,
        (limit,),
    ).fetchall()
    return sorted(row[0] for row in rows)  # RETURNING has no guaranteed order


def add_position(conn, account, symbol, qty):
    """Add qty (a Decimal) to the account's position in one statement; return the new total. Commits."""
    with conn.transaction():
        # ON CONFLICT ... DO UPDATE is atomic: no read-modify-write race between two fills.
        total = conn.execute(
            "INSERT INTO positions (account, symbol, qty) VALUES (%s, %s, %s)"
            " ON CONFLICT (account, symbol) DO UPDATE SET qty = positions.qty + EXCLUDED.qty"
            " RETURNING qty",
            (account, symbol, Decimal(qty)),
        ).fetchone()[0]
    return total
