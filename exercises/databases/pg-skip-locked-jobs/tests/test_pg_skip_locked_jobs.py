"""Verifier for pg-skip-locked-jobs: a private PostgreSQL (the postgres_dsn fixture), several worker connections."""
import time
from decimal import Decimal

import psycopg
import pytest
from psycopg import errors, sql
from roadmap_pytest import raises

import order_jobs as jobs


class RecordingCursor(psycopg.Cursor):
    """Remembers every statement the learner's code sends, so the verifier can EXPLAIN it."""

    statements = []

    def execute(self, query, params=None, **kwargs):
        RecordingCursor.statements.append((query, params))
        return super().execute(query, params, **kwargs)


def _text(query, conn):
    return (query.as_string(conn) if isinstance(query, sql.Composable) else
            query.decode() if isinstance(query, bytes) else str(query))


@pytest.fixture
def connect(postgres_dsn):
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute("DROP SCHEMA public CASCADE")
        admin.execute("CREATE SCHEMA public")
    opened = []

    def _connect(options=""):
        # lock_timeout: a worker that waits on another's locks fails fast instead of hanging the verifier.
        conn = psycopg.connect(postgres_dsn, options=f"-c lock_timeout=300 {options}", cursor_factory=RecordingCursor)
        opened.append(conn)
        return conn

    first = _connect()
    jobs.create_schema(first)
    RecordingCursor.statements.clear()
    yield _connect
    for conn in opened:
        conn.close()


def _seed(conn, n=5):
    ids = [jobs.enqueue(conn, f"co-{i}", "AAPL", 10 * i) for i in range(1, n + 1)]
    conn.commit()  # enqueue commits by itself; this only keeps other tests independent of that rule
    return ids


def _status(conn):
    """Job statuses as a connection that is not part of any claim sees them (committed data only)."""
    conn.rollback()
    statuses = dict(conn.execute("SELECT id, status FROM order_jobs ORDER BY id").fetchall())
    conn.rollback()
    return statuses


def _claim_without_waiting(conn, limit, who):
    try:
        return jobs.claim(conn, limit)
    except errors.LockNotAvailable:
        pytest.fail(f"{who} waited on rows another worker holds (lock_timeout hit): add FOR UPDATE SKIP LOCKED",
                    pytrace=False)


@pytest.mark.rule("enqueue-commits")
def test_enqueue_commits_queued_jobs_with_ids_in_insert_order(connect):
    producer, observer = connect(), connect()
    ids = [jobs.enqueue(producer, f"co-{i}", sym, qty) for i, (sym, qty) in enumerate([("AAPL", 10), ("MSFT", 1)])]
    assert ids == [1, 2], f"the first two jobs get ids 1 and 2 (an identity column), got {ids}"
    rows = observer.execute("SELECT id, client_order_id, symbol, qty, status FROM order_jobs ORDER BY id").fetchall()
    assert rows == [(1, "co-0", "AAPL", 10, "queued"), (2, "co-1", "MSFT", 1, "queued")], (
        f"another connection must see both jobs, committed and 'queued'; it sees {rows}"
    )


@pytest.mark.rule("enqueue-idempotent")
def test_enqueue_replay_returns_the_first_id(connect):
    producer, restarted = connect(), connect()
    first = jobs.enqueue(producer, "co-1", "AAPL", 10)
    producer.commit()  # enqueue commits by itself; this only keeps the test independent of that rule
    other = jobs.enqueue(producer, "co-2", "MSFT", 5)
    producer.commit()
    RecordingCursor.statements.clear()
    again = jobs.enqueue(producer, "co-1", "AAPL", 10)
    producer.commit()
    replay_sql = [_text(q, producer).lower() for q, _ in RecordingCursor.statements]
    from_elsewhere = jobs.enqueue(restarted, "co-1", "AAPL", 10)
    assert isinstance(first, int) and other != first, f"enqueue() returns each new job's id, got {first!r}, {other!r}"
    assert again == first, f"enqueueing co-1 again must return the first job's id {first}, got {again!r}"
    assert from_elsewhere == first, (
        f"a replay from another connection (another web worker, or after a restart) must return {first} too,"
        f" got {from_elsewhere!r}"
    )
    producer.rollback()
    count = producer.execute("SELECT count(*) FROM order_jobs").fetchone()[0]
    assert count == 2, f"replays must not add rows: 2 client_order_ids must give 2 jobs, found {count}"
    assert any("insert" in q and "on conflict" in q for q in replay_sql), (
        f"enqueue must insert with INSERT ... ON CONFLICT (client_order_id) DO NOTHING; the replay sent {replay_sql}"
    )


@pytest.mark.rule("replay-keeps-job")
def test_replay_does_not_requeue_a_running_job(connect):
    producer, worker = connect(), connect()
    job = _seed(producer, 1)[0]
    producer.execute("UPDATE order_jobs SET status = 'running' WHERE id = %s", (job,))  # a worker took it
    producer.commit()
    try:
        jobs.enqueue(producer, "co-1", "AAPL", 10)
    except errors.UniqueViolation:  # judged by the enqueue-idempotent test; here only the job's status matters
        producer.rollback()
    assert _status(producer) == {job: "running"}, (
        f"a replayed client_order_id must not re-queue its running job; statuses are {_status(producer)}"
    )
    assert jobs.claim(worker, 5) == [], "a replay must not make a running job claimable again"


@pytest.mark.rule("replay-keeps-job")
def test_replay_with_other_values_leaves_the_job_unchanged(connect):
    producer, observer = connect(), connect()
    job = _seed(producer, 1)[0]  # co-1: AAPL, qty 10
    try:
        jobs.enqueue(producer, "co-1", "MSFT", 99)  # a retry whose body changed: the first order stands
    except errors.UniqueViolation:  # judged by the enqueue-idempotent test; here only the stored job matters
        pass
    producer.rollback()
    rows = observer.execute("SELECT id, client_order_id, symbol, qty, status FROM order_jobs").fetchall()
    assert rows == [(job, "co-1", "AAPL", 10, "queued")], (
        "replaying co-1 with symbol MSFT and qty 99 must leave the first job exactly as it was"
        f" (ON CONFLICT ... DO NOTHING, not DO UPDATE); the table holds {rows}"
    )


@pytest.mark.rule("qty-check")
@pytest.mark.parametrize("bad", [0, -3])
def test_non_positive_qty_is_refused_by_the_database(connect, bad):
    conn, raw = connect(), connect()
    with raises(errors.CheckViolation, f"enqueue(qty={bad}) must fail with the table's CHECK (qty > 0)"):
        jobs.enqueue(conn, "co-bad", "AAPL", bad)
    try:
        job = jobs.enqueue(conn, "co-ok", "AAPL", 1)
    except errors.InFailedSqlTransaction:
        pytest.fail("after the CheckViolation the connection was left in a failed transaction: run the INSERT in"
                    " `with conn.transaction():` (or roll back on error)", pytrace=False)
    conn.commit()  # enqueue commits by itself; this only keeps the test independent of that rule
    assert _status(conn) == {job: "queued"}, "qty=1 is valid, and the rejected job must not be stored"
    with raises(errors.CheckViolation, f"the table itself must refuse qty={bad}, even from raw SQL"):
        raw.execute("INSERT INTO order_jobs (client_order_id, symbol, qty) VALUES ('co-raw', 'AAPL', %s)", (bad,))


@pytest.mark.rule("claim-skip-locked")
def test_two_workers_claim_different_jobs_without_blocking(connect):
    producer, worker_a, worker_b = connect(), connect(), connect()
    assert _seed(producer) == [1, 2, 3, 4, 5], "five new jobs get ids 1..5"
    assert jobs.claim(worker_a, 3) == [1, 2, 3], "the first worker claims the 3 oldest queued jobs"
    claimed_b = _claim_without_waiting(worker_b, 3, "the second worker")
    assert claimed_b == [4, 5], (
        f"while the first worker holds 1-3 the second must get [4, 5], got {claimed_b}"
        " (lock the rows with FOR UPDATE SKIP LOCKED)"
    )
    worker_c = connect()
    assert _claim_without_waiting(worker_c, 3, "a third worker") == [], "with every job held, a third worker gets []"


@pytest.mark.rule("claim-lowest-first")
def test_claim_takes_the_lowest_queued_ids_up_to_the_limit(connect):
    # This worker's planner may not use indexes, so rows come back in table order unless the query sorts them.
    producer, worker = connect(), connect("-c enable_indexscan=off -c enable_bitmapscan=off")
    _seed(producer)
    # Rewriting job 1 moves its row behind job 5 in the table, so only ORDER BY id still puts it first.
    producer.execute("UPDATE order_jobs SET symbol = 'AAPL' WHERE id = 1")
    producer.commit()
    assert jobs.claim(worker, 2) == [1, 2], "claim(conn, 2) must take the two lowest queued ids: ORDER BY id"
    worker.commit()
    assert _status(producer) == {1: "running", 2: "running", 3: "queued", 4: "queued", 5: "queued"}, (
        f"claimed jobs must be 'running' once the worker commits; statuses are {_status(producer)}"
    )
    assert jobs.claim(worker, 0) == [], "claim(conn, 0) takes up to 0 jobs: none"
    worker.commit()
    assert jobs.claim(worker, 1) == [3], "claim(conn, 1) takes exactly one job, the lowest still queued"
    worker.commit()
    assert jobs.claim(worker, 10) == [4, 5], "claim(conn, 10) takes what is left, in ascending order"
    worker.commit()
    assert jobs.claim(worker, 10) == [], "a committed claim is never handed out again: nothing is left"


def _wait_until_locks_released(conn, pid):
    """The server ends a closed connection's backend a moment later; wait (bounded) until it holds no locks."""
    for _ in range(500):
        conn.rollback()
        if conn.execute("SELECT count(*) FROM pg_locks WHERE pid = %s", (pid,)).fetchone()[0] == 0:
            conn.rollback()
            return
        time.sleep(0.01)
    pytest.fail("test setup: the closed worker's backend kept its locks for 5 s", pytrace=False)


@pytest.mark.rule("claim-no-commit")
def test_a_claim_is_undone_by_rollback_or_a_crash(connect):
    producer, worker_a, worker_b = connect(), connect(), connect()
    _seed(producer)
    assert jobs.claim(worker_a, 3) == [1, 2, 3], "the first worker claims the 3 oldest queued jobs"
    assert set(_status(producer).values()) == {"queued"}, (
        "claim() must not commit: until the worker commits, other connections still see its jobs as 'queued'"
    )
    worker_a.rollback()  # the worker gave up
    assert jobs.claim(worker_b, 3) == [1, 2, 3], "after a rollback the same jobs must be claimable again"
    crashed_pid = worker_b.info.backend_pid
    worker_b.close()  # the worker crashed between claim and completion: Postgres aborts its transaction
    _wait_until_locks_released(producer, crashed_pid)
    assert jobs.claim(connect(), 3) == [1, 2, 3], (
        "after a worker's connection dies mid-claim, its jobs must be claimable again (claim() must not commit)"
    )


def _index_names(plan):
    found = []
    if isinstance(plan, dict):
        if "Index Name" in plan:
            found.append(plan["Index Name"])
        for value in plan.values():
            found += _index_names(value)
    elif isinstance(plan, list):
        for value in plan:
            found += _index_names(value)
    return found


@pytest.mark.rule("partial-index")
def test_claim_uses_a_partial_index(connect, postgres_dsn):
    worker = connect()
    _seed(connect())
    RecordingCursor.statements.clear()
    assert jobs.claim(worker, 2) == [1, 2], "claim must work"
    worker.rollback()
    claim_statements = list(RecordingCursor.statements)
    used = []
    with psycopg.connect(postgres_dsn) as conn:
        partial = {row[0] for row in conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index"
            " WHERE indrelid = 'order_jobs'::regclass AND indpred IS NOT NULL").fetchall()}
        # Five rows would always be read sequentially; forbid that so the planner shows its index choice.
        conn.execute("SET enable_seqscan = off")
        for query, params in claim_statements:
            plan = conn.execute("EXPLAIN (FORMAT JSON) " + _text(query, conn), params).fetchone()[0]
            used += _index_names(plan)
        conn.rollback()
    assert partial, "order_jobs needs a partial index: CREATE INDEX ... ON order_jobs (id) WHERE status = 'queued'"
    assert set(used) & partial, (
        f"the claim query must be served by the partial index {sorted(partial)}; its plan used {used or 'no index'}"
        " (the index predicate must match the claim's WHERE status = 'queued')"
    )


@pytest.mark.rule("upsert-adds")
def test_position_upsert_adds(connect):
    conn, observer = connect(), connect()
    first = jobs.add_position(conn, "acct-1", "AAPL", Decimal("10.5"))
    assert first == Decimal("10.5"), f"the first fill of 10.5 opens the position at 10.5, got {first!r}"
    total = jobs.add_position(conn, "acct-1", "AAPL", Decimal("0.25"))
    assert isinstance(total, Decimal) and total == Decimal("10.75"), (
        f"10.5 + 0.25 must give Decimal('10.75'), got {total!r}: ON CONFLICT ... DO UPDATE SET"
        " qty = positions.qty + EXCLUDED.qty"
    )
    assert jobs.add_position(conn, "acct-1", "MSFT", Decimal("2")) == Decimal("2"), "another symbol is separate"
    assert jobs.add_position(conn, "acct-2", "AAPL", Decimal("1")) == Decimal("1"), "another account is separate"
    assert jobs.add_position(conn, "acct-1", "AAPL", Decimal("0.00000001")) == Decimal("10.75000001"), (
        "a third fill adds again, to 8 decimal places"
    )
    rows = observer.execute("SELECT account, symbol, qty FROM positions ORDER BY account, symbol").fetchall()
    assert rows == [("acct-1", "AAPL", Decimal("10.75000001")), ("acct-1", "MSFT", Decimal("2")),
                    ("acct-2", "AAPL", Decimal("1"))], (
        f"another connection must see one committed row per (account, symbol); it sees {rows}"
    )


@pytest.mark.rule("upsert-one-statement")
def test_position_update_is_one_upsert_statement(connect):
    conn = connect()
    jobs.add_position(conn, "acct-1", "AAPL", Decimal("10.5"))
    RecordingCursor.statements.clear()
    assert jobs.add_position(conn, "acct-1", "AAPL", Decimal("0.25")), "add_position must return the new total"
    sent = [_text(q, conn) for q, _ in RecordingCursor.statements]
    assert len(sent) == 1 and "on conflict" in sent[0].lower(), (
        "adding to a position must be one INSERT ... ON CONFLICT (account, symbol) DO UPDATE statement, so two fills"
        f" at once cannot read the same old total; add_position sent {sent}"
    )
