"""Verifier for rq-fraud-scoring: an RQ-shaped durable job queue on a real (private) Redis."""
import functools

import pytest
import redis
from fastapi.testclient import TestClient

import scoring_api
import fraud_queue
import fraud_scoring

RISKY = {"transaction_id": "t1", "amount": "15000.00", "country": "NG", "home_country": "US", "card_present": False}
SAFE = {"transaction_id": "t2", "amount": "42.50", "country": "US", "home_country": "US", "card_present": True}


def make(conn, is_async=False):
    queue = fraud_queue.Queue("fraud", connection=conn, is_async=is_async)
    return queue, TestClient(scoring_api.create_app(queue))


@pytest.fixture
def counted(monkeypatch):
    """Count real executions: the worker must look the function up by its dotted path, so it finds this wrapper."""
    calls = []
    real = fraud_scoring.score_transaction

    @functools.wraps(real)  # keeps __module__/__qualname__, so the wrapper is "fraud_scoring.score_transaction" too
    def counting(txn):
        calls.append(txn["transaction_id"])
        return real(txn)

    monkeypatch.setattr(fraud_scoring, "score_transaction", counting)
    return calls


def test_risky_transaction_is_accepted_and_flagged(redis_conn):
    queue, client = make(redis_conn)
    resp = client.post("/transactions/score", json=RISKY)
    assert resp.status_code == 202, f"a new transaction must give 202 Accepted, got {resp.status_code}: {resp.text}"
    assert resp.json()["job_id"] == "score-t1", f"the job id must be 'score-<transaction_id>'; got {resp.json()}"
    job = client.get("/jobs/score-t1")
    assert job.status_code == 200, f"GET /jobs/score-t1 should be 200, got {job.status_code}: {job.text}"
    body = job.json()
    assert body["status"] == "finished", f"with is_async=False the job runs at once and ends 'finished'; got {body}"
    assert body["result"] == {"transaction_id": "t1", "score": 1.0, "flagged": True}, (
        f"15000 abroad, card not present scores 50+30+20 = 100 points: score 1.0, flagged; got {body['result']}"
    )


def test_low_risk_transaction_is_not_flagged(redis_conn):
    queue, client = make(redis_conn)
    assert client.post("/transactions/score", json=SAFE).status_code == 202
    result = client.get("/jobs/score-t2").json()["result"]
    assert result == {"transaction_id": "t2", "score": 0.0, "flagged": False}, (
        f"a small domestic card-present payment scores 0 and is not flagged; got {result}"
    )


def test_duplicate_post_is_idempotent_and_runs_once(redis_conn, counted):
    queue, client = make(redis_conn)
    first = client.post("/transactions/score", json=RISKY)
    second = client.post("/transactions/score", json=RISKY)
    assert first.status_code == 202, f"the first POST must give 202, got {first.status_code}"
    assert second.status_code == 200, (
        f"a repeated POST for the same transaction must give 200 with the existing job, got {second.status_code}"
    )
    assert second.json()["job_id"] == "score-t1", f"the repeat must point at job score-t1; got {second.json()}"
    assert counted == ["t1"], (
        f"the scoring job must run exactly once for a duplicate POST; it ran {len(counted)} times. Do not re-enqueue "
        "an existing job_id (RQ itself would overwrite it and run it again)"
    )


@pytest.mark.parametrize("field,value", [("amount", "0"), ("country", "USA"), ("transaction_id", "")])
def test_invalid_transactions_give_422_and_enqueue_nothing(redis_conn, counted, field, value):
    queue, client = make(redis_conn, is_async=True)
    resp = client.post("/transactions/score", json=dict(RISKY, **{field: value}))
    assert resp.status_code == 422, f"{field}={value!r} must be rejected with 422, got {resp.status_code}: {resp.text}"
    assert len(queue) == 0 and redis_conn.dbsize() == 0, (
        f"an invalid transaction ({field}={value!r}) must not write anything to Redis; found {redis_conn.keys()}"
    )


def test_poison_job_fails_into_the_registry_and_the_worker_carries_on(redis_conn):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)
    poison = queue.enqueue(fraud_scoring.score_transaction, {"transaction_id": "t9"}, job_id="score-t9")
    good = queue.enqueue(fraud_scoring.score_transaction, SAFE, job_id="score-t2")
    worker = fraud_queue.SimpleWorker([queue], connection=redis_conn)
    try:
        worker.work(burst=True)
    except Exception as exc:  # noqa: BLE001 - report it as a failed check
        pytest.fail(f"a failing job must not crash the worker, but work() raised {exc!r}")
    assert poison.get_status() == "failed", f"the malformed job must end 'failed', got {poison.get_status()!r}"
    registry = fraud_queue.FailedJobRegistry(queue)
    assert "score-t9" in registry and registry.get_job_ids() == ["score-t9"], (
        f"the failed job must be in FailedJobRegistry; it holds {registry.get_job_ids()}"
    )
    assert "KeyError" in (poison.exc_info or ""), f"exc_info should keep the traceback (a KeyError); got {poison.exc_info!r}"
    assert good.get_status() == "finished", (
        f"the job after the poison one must still run and finish; it is {good.get_status()!r}"
    )


def test_async_queue_keeps_job_queued_until_a_burst_worker_drains_it(redis_conn, redis_url, counted):
    queue, client = make(redis_conn, is_async=True)
    resp = client.post("/transactions/score", json=RISKY)
    assert resp.status_code == 202 and resp.json()["status"] == "queued", (
        f"with an async queue the POST returns at once with status 'queued'; got {resp.status_code} {resp.text}"
    )
    client.post("/transactions/score", json=SAFE)
    assert counted == [], "nothing may run before a worker picks the jobs up"
    # A fresh connection, as a worker process would have: the jobs are durable in Redis, not in this process.
    other = redis.Redis.from_url(redis_url)
    try:
        job = fraud_queue.Queue("fraud", connection=other).fetch_job("score-t1")
        assert job is not None and job.get_status() == "queued", "the job must be stored in Redis with status 'queued'"
        assert job.func_name == "fraud_scoring.score_transaction", (
            f"store the dotted path of the job function, got {job.func_name!r}"
        )
        worker_queue = fraud_queue.Queue("fraud", connection=other)
        assert worker_queue.job_ids == ["score-t1", "score-t2"], (
            f"the queue must hold both job ids in FIFO order; got {worker_queue.job_ids}"
        )
        ran = fraud_queue.SimpleWorker([worker_queue], connection=other).work(burst=True)
    finally:
        other.close()
    assert ran is True, "work(burst=True) must return True when it ran jobs"
    assert counted == ["t1", "t2"], f"the burst worker must run each job once, in order; ran {counted}"
    assert len(queue) == 0, "a burst worker drains the queue before returning"
    body = client.get("/jobs/score-t1").json()
    assert body["status"] == "finished" and body["result"]["flagged"] is True, f"after the worker: {body}"
    assert fraud_queue.SimpleWorker([queue], connection=redis_conn).work(burst=True) is False, (
        "work(burst=True) on an empty queue must return False at once"
    )


def test_only_importable_functions_can_be_enqueued(redis_conn):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)

    def nested(txn):
        return txn

    for func in (lambda txn: txn, nested):
        try:
            queue.enqueue(func, SAFE, job_id="score-x")
        except ValueError:
            continue
        pytest.fail(
            f"enqueue must raise ValueError for {func.__qualname__!r}: a worker cannot import a lambda or a nested "
            "function by its dotted path"
        )
    assert len(queue) == 0, "a rejected function must not leave a job in the queue"


def test_unknown_job_gives_404(redis_conn):
    queue, client = make(redis_conn)
    resp = client.get("/jobs/score-nope")
    assert resp.status_code == 404, f"an unknown job id must give 404, got {resp.status_code}"
