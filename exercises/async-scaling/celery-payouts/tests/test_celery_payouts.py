"""Verifier for celery-payouts: a real Celery worker (solo pool, in a subprocess) on a private Redis.

The worker runs the learner's task with the verifier's fake bank. The bank and the worker report what they did
in Redis (keys under verifier:/fakebank:), so every check reads facts, not timings. Waits are bounded polls that
only run out when something is wrong.
"""
import gc
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import pytest
import redis
from celery.result import AsyncResult
from celery.signals import before_task_publish
from fastapi.testclient import TestClient

import payout_api
import payout_tasks

HERE = os.path.dirname(os.path.abspath(__file__))
VISIBILITY_TIMEOUT = 1  # seconds; what the verifier passes to configure()
WAIT = 30  # seconds; the most any poll waits (a correct solution needs well under 1 s after the worker is up)
COUNTDOWNS = [0.02, 0.04, 0.08, 0.16]  # the README's backoff: RETRY_BASE_SECONDS * 2**n
_ids = itertools.count(1)


def new_id(label):
    return f"{label}-{os.getpid()}-{next(_ids)}"


# --- the fake bank and the worker process (this module is imported by the worker too) ---------------------------


class FakeBank:
    """What the task calls. Behaviour per payout id is set in Redis by the test: fail N times with BankUnavailable,
    reject with BankRejected, or block on the first call (so the worker can be killed mid-task)."""

    def __init__(self, redis_url):
        self.conn = redis.Redis.from_url(redis_url)

    def transfer(self, payout_id, account, amount_cents):
        conn = self.conn
        conn.rpush(f"fakebank:calls:{payout_id}", time.time())
        if conn.exists(f"fakebank:block:{payout_id}") and conn.incr(f"fakebank:blocked:{payout_id}") == 1:
            conn.set(f"fakebank:entered:{payout_id}", time.time())
            conn.blpop([f"fakebank:release:{payout_id}"], timeout=60)  # the test kills the worker meanwhile
        if conn.exists(f"fakebank:reject:{payout_id}"):
            raise payout_tasks.BankRejected(f"account {account} is closed")
        if conn.exists(f"fakebank:fail:{payout_id}") and conn.decr(f"fakebank:fail:{payout_id}") >= 0:
            conn.rpush(f"fakebank:failed_at:{payout_id}", time.time())
            raise payout_tasks.BankUnavailable("503 Service Unavailable from the bank")
        number = conn.incr("fakebank:confirmations")
        conn.rpush(f"fakebank:transfers:{payout_id}", json.dumps([account, amount_cents]))
        return f"conf-{number}"


def worker_main(redis_url, hostname):
    """Entry point of the worker subprocess: the learner's app with the fake bank, solo pool, one process."""
    from celery.signals import task_prerun, worker_ready

    conn = redis.Redis.from_url(redis_url)

    def record_retry(headers=None, **_):
        # A retry re-publishes the task with retries=n+1 and an absolute eta = now + countdown.
        if headers and headers.get("retries") and headers.get("eta"):
            conn.rpush(f"verifier:retries:{headers['id']}",
                       json.dumps({"retries": headers["retries"], "eta": headers["eta"], "published": time.time()}))

    def ready(**_):
        conn.set(f"verifier:ready:{hostname}", 1)

    def record_ack_mode(task_id=None, task=None, **_):
        # What this worker will do with the message of the task it is about to run.
        conn.hset("verifier:acks_late", task_id, int(bool(task.acks_late)))

    before_task_publish.connect(record_retry, weak=False)
    worker_ready.connect(ready, weak=False)
    task_prerun.connect(record_ack_mode, weak=False)
    payout_tasks.configure(redis_url, FakeBank(redis_url), visibility_timeout=VISIBILITY_TIMEOUT)
    payout_tasks.celery_app.Worker(
        # prefetch 4 (Celery's default), whatever the app says: with the solo pool and acks_late, a prefetch of 1
        # stalls the worker for seconds between tasks (seen on Celery 5.2 and 5.6).
        hostname=hostname, pool="solo", concurrency=1, prefetch_multiplier=4, loglevel="WARNING", quiet=True,
        without_heartbeat=True, without_mingle=True, without_gossip=True,
    ).start()


class Workers:
    """At most one worker process at a time, started on demand, stopped (or killed) by the test."""

    def __init__(self, redis_url):
        self.redis_url = redis_url
        self.conn = redis.Redis.from_url(redis_url)
        self.process = None
        self.count = 0
        self.log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)

    def log_tail(self):
        with open(self.log.name, errors="replace") as fh:
            return fh.read()[-1500:]

    def ensure(self):
        if self.process is not None and self.process.poll() is None:
            return
        self.count += 1
        hostname = f"verifier{self.count}@payouts"
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_celery_payouts as v;"
                " v.worker_main(sys.argv[2], sys.argv[3])")
        flags = ["-s"] if sys.flags.no_user_site else []
        self.process = subprocess.Popen([sys.executable, *flags, "-c", code, HERE, self.redis_url, hostname],
                                        cwd=HERE, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while not self.conn.exists(f"verifier:ready:{hostname}"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the Celery worker did not start (did configure() fail?). Its log:\n{self.log_tail()}", pytrace=False)
            time.sleep(0.02)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


@pytest.fixture(scope="module")
def workers(redis_url):
    payout_tasks.configure(redis_url, FakeBank(redis_url), visibility_timeout=VISIBILITY_TIMEOUT)
    manager = Workers(redis_url)
    try:
        yield manager
    finally:
        manager.stop()
        os.unlink(manager.log.name)
        # apply_async() subscribed this process to result messages; let go of them while Redis is still up, or
        # results collected at interpreter exit try to unsubscribe from a server that is gone.
        gc.collect()
        consumer = getattr(payout_tasks.celery_app.backend, "result_consumer", None)
        if consumer is not None and getattr(consumer, "_pubsub", None) is not None:
            consumer.stop()
            consumer._pubsub = None


@pytest.fixture
def worker(workers):
    workers.ensure()
    return workers


@pytest.fixture
def client(workers):
    with TestClient(payout_api.create_app()) as c:
        yield c


# --- helpers -------------------------------------------------------------------------------------------------------


def wait_for_state(task_id, states=("SUCCESS", "FAILURE"), workers=None):
    deadline = time.monotonic() + WAIT
    while True:
        outcome = AsyncResult(task_id, app=payout_tasks.celery_app)
        if outcome.state in states:
            return outcome
        if time.monotonic() > deadline:
            tail = f"\nWorker log:\n{workers.log_tail()}" if workers else ""
            pytest.fail(f"task {task_id} did not reach {' or '.join(states)} within {WAIT} s (state {outcome.state}){tail}", pytrace=False)
        time.sleep(0.01)


def send(payout_id, account="DE89370400440532013000", amount=12_500, task_id=None):
    """Enqueue the task directly (as a replay or a second producer would) and return its task id."""
    task_id = task_id or new_id("task")
    payout_tasks.send_payout.apply_async(args=[payout_id, account, amount], task_id=task_id)
    return task_id


def transfers(conn, payout_id):
    return [json.loads(t) for t in conn.lrange(f"fakebank:transfers:{payout_id}", 0, -1)]


def bank_calls(conn, payout_id):
    return conn.llen(f"fakebank:calls:{payout_id}")


def poll_payout(client, payout_id, states=("SUCCESS", "FAILURE")):
    deadline = time.monotonic() + WAIT
    while True:
        resp = client.get(f"/payouts/{payout_id}")
        assert resp.status_code == 200, f"GET /payouts/{payout_id} must give 200, got {resp.status_code}: {resp.text}"
        body = resp.json()
        if body.get("state") in states:
            return body
        assert time.monotonic() < deadline, f"payout {payout_id} did not reach {states} within {WAIT} s: {body}"
        time.sleep(0.01)


# --- configure -----------------------------------------------------------------------------------------------------

CONFIGURE_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import payout_tasks
seen = {}
for url in ("redis://127.0.0.1:6399/3", "unix:///tmp/somewhere/redis.sock"):
    payout_tasks.configure(url, bank=None)
    conf = payout_tasks.celery_app.conf
    seen[url] = [conf.broker_url, conf.result_backend, (conf.broker_transport_options or {}).get("visibility_timeout")]
print(json.dumps(seen))
"""


@pytest.mark.rule("configure")
def test_configure_sets_the_urls_and_the_default_visibility_timeout():
    # In a process of its own: configuring this process's app for another Redis would break the other tests.
    done = subprocess.run([sys.executable, "-c", CONFIGURE_PROBE, HERE], capture_output=True, text=True, timeout=60, cwd=HERE)
    assert done.returncode == 0, f"configure(url, bank=None) raised:\n{done.stderr[-1500:]}"
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    tcp = seen["redis://127.0.0.1:6399/3"]
    assert tcp[:2] == ["redis://127.0.0.1:6399/3"] * 2, f"a redis:// URL must become broker_url and result_backend unchanged, got {tcp[:2]}"
    sock = seen["unix:///tmp/somewhere/redis.sock"]
    assert sock[:2] == ["redis+socket:///tmp/somewhere/redis.sock"] * 2, (
        f"unix:///tmp/somewhere/redis.sock must become redis+socket:///tmp/somewhere/redis.sock for Celery, got {sock[:2]}"
    )
    assert tcp[2] == 3600 and sock[2] == 3600, f"without visibility_timeout, the broker's visibility_timeout must be 3600 s, got {tcp[2]!r}"


# --- the task -----------------------------------------------------------------------------------------------------


@pytest.mark.rule("task-pays")
def test_the_task_pays_once_and_returns_the_confirmation(worker, redis_conn_raw):
    payout_id = new_id("pay")
    outcome = wait_for_state(send(payout_id, account="GB33BUKB20201555555555", amount=4_200), workers=worker)
    assert outcome.state == "SUCCESS", f"the payout must succeed, got {outcome.state}: {outcome.result!r}\n{worker.log_tail()}"
    sent = transfers(redis_conn_raw, payout_id)
    assert sent == [["GB33BUKB20201555555555", 4_200]], f"the bank must be asked once with (payout_id, account, amount_cents), got {sent}"
    result = outcome.result
    assert isinstance(result, dict) and result.get("confirmation", "").startswith("conf-"), f"the result must carry the bank's confirmation, got {result!r}"
    assert result == {"payout_id": payout_id, "account": "GB33BUKB20201555555555", "amount_cents": 4_200,
                      "confirmation": result["confirmation"]}, f"the result must be exactly the four fields of the README, got {result!r}"


@pytest.mark.rule("acks-late")
def test_the_worker_acks_the_payout_late(worker, redis_conn_raw):
    task_id = send(new_id("late"))
    outcome = wait_for_state(task_id, workers=worker)
    assert outcome.state == "SUCCESS", f"the payout must succeed, got {outcome.state}: {outcome.result!r}"
    mode = redis_conn_raw.hget("verifier:acks_late", task_id)
    assert mode == b"1", (
        "the worker ran send_payout with early acks (the message is acked as the task starts, so a worker that dies"
        " mid-payout loses it): set task_acks_late=True in configure() or acks_late=True on the task"
    )


@pytest.mark.rule("retry-backoff")
def test_bank_unavailable_is_retried_with_exponential_backoff(worker, redis_conn_raw):
    payout_id = new_id("flaky")
    redis_conn_raw.set(f"fakebank:fail:{payout_id}", 4)  # 4 failures, the 5th call succeeds
    task_id = send(payout_id)
    outcome = wait_for_state(task_id, workers=worker)
    assert outcome.state == "SUCCESS", (
        f"after 4 BankUnavailable the 5th try (4th retry) must succeed, got {outcome.state}: {outcome.result!r}"
    )
    assert bank_calls(redis_conn_raw, payout_id) == 5, f"4 failures then a success is 5 bank calls, got {bank_calls(redis_conn_raw, payout_id)}"
    assert len(transfers(redis_conn_raw, payout_id)) == 1, "the payout must be made exactly once"
    retries = [json.loads(r) for r in redis_conn_raw.lrange(f"verifier:retries:{task_id}", 0, -1)]
    assert [r["retries"] for r in retries] == [1, 2, 3, 4], f"each failure must re-publish the task as a retry (retries 1..4), saw {retries}"
    failed_at = [float(t) for t in redis_conn_raw.lrange(f"fakebank:failed_at:{payout_id}", 0, -1)]
    for n, (record, failed) in enumerate(zip(retries, failed_at)):
        eta = datetime.fromisoformat(record["eta"]).timestamp()
        # eta = (a moment between the failure and the publish) + countdown, so these bound the countdown exactly.
        longest, shortest = eta - failed, eta - record["published"]
        expected = COUNTDOWNS[n]
        assert shortest - 0.003 <= expected <= longest + 0.003, (
            f"retry {n + 1} must wait {expected * 1000:.0f} ms (0.02 * 2**{n} s), but its countdown was between"
            f" {shortest * 1000:.0f} and {longest * 1000:.0f} ms"
        )


@pytest.mark.rule("retry-limit")
def test_the_task_gives_up_after_four_retries(worker, redis_conn_raw):
    payout_id = new_id("down")
    redis_conn_raw.set(f"fakebank:fail:{payout_id}", 5)  # one failure more than the retries allow
    outcome = wait_for_state(send(payout_id), workers=worker)
    assert outcome.state == "FAILURE", f"5 BankUnavailable in a row (the first try and 4 retries) must fail the task, got {outcome.state}"
    assert isinstance(outcome.result, payout_tasks.BankUnavailable), f"the task must fail with BankUnavailable, got {outcome.result!r}"
    assert bank_calls(redis_conn_raw, payout_id) == 5, f"1 try + 4 retries is 5 bank calls, got {bank_calls(redis_conn_raw, payout_id)}"
    assert transfers(redis_conn_raw, payout_id) == [], "a failed payout must pay nothing"


@pytest.mark.rule("rejected-not-retried")
def test_a_rejected_payout_fails_at_once(worker, redis_conn_raw):
    payout_id = new_id("closed")
    redis_conn_raw.set(f"fakebank:reject:{payout_id}", 1)
    outcome = wait_for_state(send(payout_id), workers=worker)
    assert outcome.state == "FAILURE", f"BankRejected must fail the task, got {outcome.state}: {outcome.result!r}"
    assert isinstance(outcome.result, payout_tasks.BankRejected), f"the task must fail with BankRejected, got {outcome.result!r}"
    assert bank_calls(redis_conn_raw, payout_id) == 1, f"BankRejected must not be retried: 1 bank call, got {bank_calls(redis_conn_raw, payout_id)}"


@pytest.mark.rule("idempotent-replay")
def test_a_replayed_payout_is_not_paid_twice(worker, redis_conn_raw):
    payout_id = new_id("replay")
    first = wait_for_state(send(payout_id), workers=worker)
    assert first.state == "SUCCESS", f"the payout must succeed, got {first.state}: {first.result!r}"
    # The same payout again, as a new message (a client retry, a duplicate from a producer that re-read the amount).
    second = wait_for_state(send(payout_id, amount=99_999), workers=worker)
    assert second.state == "SUCCESS", f"a replay must succeed too, got {second.state}: {second.result!r}"
    assert len(transfers(redis_conn_raw, payout_id)) == 1, f"a replay must not pay again: the bank made {len(transfers(redis_conn_raw, payout_id))} transfers"
    assert second.result == first.result, (
        "a replay must return the first result (same confirmation, same account and amount), even when its own "
        f"arguments differ: {second.result!r} != {first.result!r}"
    )
    # Two copies queued back to back, before either runs.
    other = new_id("twice")
    ids = [send(other), send(other)]
    results = [wait_for_state(t, workers=worker) for t in ids]
    assert [r.state for r in results] == ["SUCCESS", "SUCCESS"], f"both copies must succeed, got {[r.state for r in results]}"
    assert len(transfers(redis_conn_raw, other)) == 1, "two queued copies of one payout must pay once"
    assert results[0].result == results[1].result, "both copies must return the same result"


# --- the API ---------------------------------------------------------------------------------------------------------


@pytest.mark.rule("api-enqueue")
def test_post_enqueues_and_get_returns_the_result(worker, client, redis_conn_raw):
    payout_id = new_id("api")
    resp = client.post("/payouts", json={"payout_id": payout_id, "account": "FR1420041010050500013M02606", "amount_cents": 990})
    assert resp.status_code == 202, f"POST /payouts must give 202 Accepted, got {resp.status_code}: {resp.text}"
    assert resp.json() == {"payout_id": payout_id, "task_id": f"payout-{payout_id}"}, f"POST must answer the payout_id and task_id 'payout-<payout_id>', got {resp.json()}"
    body = poll_payout(client, payout_id)
    assert body["state"] == "SUCCESS", f"the payout must succeed, got {body}"
    assert transfers(redis_conn_raw, payout_id) == [["FR1420041010050500013M02606", 990]], "POST must enqueue send_payout with the body's account and amount"
    task_result = AsyncResult(f"payout-{payout_id}", app=payout_tasks.celery_app).result
    assert body == {"payout_id": payout_id, "state": "SUCCESS", "result": task_result, "error": None}, (
        f"GET must answer payout_id, state SUCCESS, the result of task payout-{payout_id} ({task_result!r}) and error null, got {body}"
    )


@pytest.mark.rule("api-enqueue", "idempotent-replay")
def test_a_retried_post_pays_once(worker, client, redis_conn_raw):
    payout_id = new_id("post-twice")
    body = {"payout_id": payout_id, "account": "NL91ABNA0417164300", "amount_cents": 5}
    for _ in range(2):
        resp = client.post("/payouts", json=body)
        assert resp.status_code == 202, f"a retried POST must also give 202, got {resp.status_code}: {resp.text}"
    assert poll_payout(client, payout_id)["state"] == "SUCCESS", "the payout must succeed"
    # The second message may still be on its way: a later payout proves the queue before it has drained.
    marker = new_id("marker")
    assert wait_for_state(send(marker), workers=worker).state == "SUCCESS", "a later payout must succeed"
    assert len(transfers(redis_conn_raw, payout_id)) == 1, "posting the same payout twice must pay once"


@pytest.mark.rule("api-states")
def test_get_reports_pending_and_failure(worker, client, redis_conn_raw):
    unknown = new_id("never-sent")
    resp = client.get(f"/payouts/{unknown}")
    assert resp.status_code == 200, f"GET of a payout never sent must give 200 (Celery cannot tell it from a queued one), got {resp.status_code}"
    assert resp.json() == {"payout_id": unknown, "state": "PENDING", "result": None, "error": None}, f"an unknown payout is PENDING, got {resp.json()}"
    payout_id = new_id("api-closed")
    redis_conn_raw.set(f"fakebank:reject:{payout_id}", 1)
    assert client.post("/payouts", json={"payout_id": payout_id, "account": "X1", "amount_cents": 1}).status_code < 300, "a valid POST must be accepted"
    body = poll_payout(client, payout_id)
    assert body == {"payout_id": payout_id, "state": "FAILURE", "result": None, "error": "BankRejected"}, (
        f"a failed payout must show state FAILURE, result null and error 'BankRejected' (the exception's class name), got {body}"
    )


INVALID = [
    ("payout_id", ""), ("payout_id", "p" * 65), ("payout_id", None), ("account", ""), ("account", "A" * 35), ("account", None),
    ("amount_cents", 0), ("amount_cents", -1),
    ("amount_cents", 1.5), ("amount_cents", "100"), ("amount_cents", True), ("amount_cents", None),
]


@pytest.mark.rule("api-validation")
@pytest.mark.parametrize("field, bad", INVALID, ids=[f"{f}={b!r}" for f, b in INVALID])
def test_invalid_payouts_give_422_and_enqueue_nothing(workers, client, field, bad):
    published = []

    def spy(headers=None, **_):
        published.append(headers.get("id") if headers else None)

    before_task_publish.connect(spy, weak=False)
    try:
        ok = client.post("/payouts", json={"payout_id": new_id("valid"), "account": "A1", "amount_cents": 1})
        assert ok.status_code < 300 and len(published) == 1, f"a valid POST must enqueue one task, got {ok.status_code} and {len(published)} messages"
        body = {"payout_id": new_id("bad"), "account": "DE1", "amount_cents": 100}
        if bad is None:
            del body[field]
        else:
            body[field] = bad
        resp = client.post("/payouts", json=body)
        assert resp.status_code == 422, f"{field}={bad!r} must give 422, got {resp.status_code}: {resp.text}"
        assert len(published) == 1, f"an invalid payout ({field}={bad!r}) must not enqueue anything"
    finally:
        before_task_publish.disconnect(spy)
    for edge in ({"payout_id": "p" * 64, "account": "A", "amount_cents": 1}, {"payout_id": "p", "account": "A" * 34, "amount_cents": 1}):
        resp = client.post("/payouts", json=edge)
        assert resp.status_code < 300, f"{edge} is valid (payout_id 1-64, account 1-34 characters, 1 cent), got {resp.status_code}: {resp.text}"


# --- a worker that dies mid-task (runs last: it kills the shared worker) ------------------------------------------------


@pytest.mark.rule("redelivered-after-crash", "idempotent-replay")
def test_a_task_whose_worker_dies_is_delivered_again(workers, redis_conn_raw):
    workers.ensure()
    paid_before = new_id("paid-before-crash")
    first = wait_for_state(send(paid_before), workers=workers)
    assert first.state == "SUCCESS", f"the payout must succeed, got {first.state}: {first.result!r}"
    payout_id = new_id("crash")
    redis_conn_raw.set(f"fakebank:block:{payout_id}", 1)  # the first bank call blocks until the worker is killed
    task_id = send(payout_id)
    deadline = time.monotonic() + WAIT
    while not redis_conn_raw.exists(f"fakebank:entered:{payout_id}"):
        assert time.monotonic() < deadline, f"the worker never called the bank for {payout_id}:\n{workers.log_tail()}"
        time.sleep(0.01)
    workers.kill()  # SIGKILL mid-task: no ack, no clean shutdown
    entered = float(redis_conn_raw.get(f"fakebank:entered:{payout_id}"))
    # Redis hands an unacked message to another worker once it is older than the visibility timeout; a new
    # worker looks for such messages when it starts.
    time.sleep(max(0.0, entered + VISIBILITY_TIMEOUT + 0.3 - time.time()))
    workers.ensure()
    # Two payouts sent after the new worker is up: by the time the second is done, a redelivered message (queued
    # when the worker started) has run too, so a missing redelivery is seen at once instead of after a timeout.
    for label in ("after-crash-1", "after-crash-2"):
        assert wait_for_state(send(new_id(label)), workers=workers).state == "SUCCESS", "payouts after the restart must succeed"
    outcome = AsyncResult(task_id, app=payout_tasks.celery_app)
    assert outcome.state == "SUCCESS", (
        f"the payout whose worker was killed mid-task was never delivered again (state {outcome.state}): ack late"
        " (acks_late=True) and pass visibility_timeout to the broker (broker_transport_options)"
    )
    assert len(transfers(redis_conn_raw, payout_id)) == 1, "the redelivered payout must be paid exactly once"
    # A replay in the new worker process of a payout the dead one paid: the record must outlive the process.
    again = wait_for_state(send(paid_before), workers=workers)
    assert again.state == "SUCCESS" and again.result == first.result, (
        f"after a worker restart, a replay must return the first result, got {again.state}: {again.result!r}"
    )
    assert len(transfers(redis_conn_raw, paid_before)) == 1, (
        "a payout paid before the worker restarted was paid again: keep the record of paid payouts in Redis, not in memory"
    )


@pytest.fixture
def redis_conn_raw(redis_url):
    """A client on the same Redis as the broker. Never flushed: that would delete the broker's queue bindings."""
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()
