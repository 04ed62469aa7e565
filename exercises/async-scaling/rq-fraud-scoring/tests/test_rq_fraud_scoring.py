"""Verifier for rq-fraud-scoring: an RQ-shaped durable job queue on a real (private) Redis."""
import functools
import json

import pytest
import redis
from fastapi.testclient import TestClient
from roadmap_pytest import raises

import scoring_api
import fraud_queue
import fraud_scoring

RISKY = {"transaction_id": "t1", "amount": "15000.00", "country": "NG", "home_country": "US", "card_present": False}
SAFE = {"transaction_id": "t2", "amount": "42.50", "country": "US", "home_country": "US", "card_present": True}
FIELDS = ["transaction_id", "amount", "country", "home_country", "card_present"]

# Jobs of this test module: the worker imports them by their dotted path ("test_rq_fraud_scoring.record"),
# so they are module-level functions. What they did is kept here; each test starts from empty.
RAN = []
CONTEXT = {}


@pytest.fixture(autouse=True)
def fresh_job_state():
    RAN.clear()
    CONTEXT.clear()
    yield
    CONTEXT.clear()


def record(label):
    RAN.append(label)
    return label


def poison(txn):
    raise ValueError("poison pill 7731")


def fan_out(label):
    """A job that enqueues more work while it runs: h2 on the first queue, l2 on the second."""
    RAN.append(label)
    CONTEXT["high"].enqueue(record, "h2", job_id="h2")
    CONTEXT["low"].enqueue(record, "l2", job_id="l2")
    return label


def status_while_running(job_id):
    return CONTEXT["queue"].fetch_job(job_id).get_status()


def enqueue_myself_again(job_id):
    RAN.append(job_id)
    again = CONTEXT["queue"].enqueue(record, "duplicate", job_id=job_id)
    return again.created


def main_function(txn):
    return txn


main_function.__module__ = "__main__"  # as if defined in a script run with `python script.py`

module_lambda = lambda txn: txn  # noqa: E731  a module-level lambda: its qualname is "<lambda>", with no dot


def make(conn, is_async=False):
    queue = fraud_queue.Queue("fraud", connection=conn, is_async=is_async)
    return queue, TestClient(scoring_api.create_app(queue))


def worker(conn, *queues):
    return fraud_queue.SimpleWorker(list(queues), connection=conn)


def stored(conn, job_id):
    """The job hash as the README lays it out: fraudq:job:<id>."""
    return {k.decode(): v.decode() for k, v in conn.hgetall(f"fraudq:job:{job_id}").items()}


def txn(transaction_id, amount, country, home_country, card_present):
    return {"transaction_id": transaction_id, "amount": amount, "country": country,
            "home_country": home_country, "card_present": card_present}


@pytest.fixture
def counted(monkeypatch):
    """Count real executions: the worker must look the function up by its dotted path, so it finds this wrapper."""
    calls = []
    real = fraud_scoring.score_transaction

    @functools.wraps(real)  # keeps __module__/__qualname__, so the wrapper is "fraud_scoring.score_transaction" too
    def counting(payload):
        calls.append(payload["transaction_id"])
        return real(payload)

    monkeypatch.setattr(fraud_scoring, "score_transaction", counting)
    return calls


# --- fraud_scoring.score_transaction -------------------------------------------------------------------------

@pytest.mark.rule("score-points")
def test_points_for_each_rule_and_the_amount_boundary():
    cases = [
        (txn("a1", "10000.00", "US", "US", True), 0.5, "exactly 10000.00 at home with the card: 50 points"),
        (txn("a2", "10000", "US", "US", True), 0.5, "amount '10000' (no decimals) at home with the card: 50 points"),
        (txn("a3", "9999.99", "US", "US", True), 0.0, "9999.99 at home with the card: 0 points"),
        (txn("a4", "42.50", "NG", "US", True), 0.3, "a small payment abroad with the card: 30 points"),
        (txn("a5", "42.50", "US", "US", False), 0.2, "a small payment at home without the card: 20 points"),
        (txn("a6", "15000.00", "NG", "US", False), 1.0, "15000 abroad without the card: 50 + 30 + 20 points"),
    ]
    for payload, score, why in cases:
        result = fraud_scoring.score_transaction(payload)
        assert result.get("transaction_id") == payload["transaction_id"], (
            f"the result must carry the transaction_id {payload['transaction_id']!r}; got {result}"
        )
        assert result.get("score") == pytest.approx(score, abs=1e-9), (
            f"{why}, so score = points / 100 = {score}; got {result.get('score')!r} for {payload}"
        )


@pytest.mark.rule("flag-threshold")
def test_flagged_from_exactly_70_points():
    cases = [
        (txn("f1", "20000.00", "US", "US", False), True, "70 points (50 amount + 20 no card) is the threshold itself"),
        (txn("f2", "20000.00", "US", "US", True), False, "50 points (amount only) is below 70"),
        (txn("f3", "42.50", "NG", "US", False), False, "50 points (30 abroad + 20 no card) is below 70"),
        (txn("f4", "20000.00", "NG", "US", True), True, "80 points (50 amount + 30 abroad) is above 70"),
        (txn("f5", "20000.00", "NG", "US", False), True, "100 points is above 70"),
        (txn("f6", "42.50", "US", "US", True), False, "0 points is below 70"),
    ]
    for payload, flagged, why in cases:
        result = fraud_scoring.score_transaction(payload)
        assert result.get("flagged") is flagged, (
            f"{why}: flagged must be {flagged} (points >= 70); got {result.get('flagged')!r} for {payload}"
        )


@pytest.mark.rule("malformed-payload-raises")
def test_a_missing_key_raises_key_error():
    for key in FIELDS:
        payload = {k: v for k, v in RISKY.items() if k != key}
        with raises(KeyError, f"score_transaction must raise KeyError when {key!r} is missing, not use a default"):
            fraud_scoring.score_transaction(payload)


# --- scoring_api ----------------------------------------------------------------------------------------------

@pytest.mark.rule("post-status-codes", "get-job", "sync-runs-now")
def test_risky_transaction_is_accepted_and_flagged(redis_conn):
    queue, client = make(redis_conn)
    resp = client.post("/transactions/score", json=RISKY)
    assert resp.status_code == 202, f"a new transaction must give 202 Accepted, got {resp.status_code}: {resp.text}"
    assert resp.json().get("job_id") == "score-t1", f"the job id must be 'score-<transaction_id>'; got {resp.json()}"
    job = client.get("/jobs/score-t1")
    assert job.status_code == 200, f"GET /jobs/score-t1 should be 200, got {job.status_code}: {job.text}"
    body = job.json()
    assert body.get("status") == "finished", f"with is_async=False the job runs at once and ends 'finished'; got {body}"
    assert body.get("result") == {"transaction_id": "t1", "score": 1.0, "flagged": True}, (
        f"15000 abroad, card not present scores 50+30+20 = 100 points: score 1.0, flagged; got {body.get('result')}"
    )


@pytest.mark.rule("country-case-insensitive")
def test_country_codes_are_upper_cased_before_scoring(redis_conn):
    queue, client = make(redis_conn)
    cases = [
        (txn("c1", "15000.00", "us", "US", True), ("US", "US"), 0.5, "'us' and 'US' are the same country"),
        (txn("c2", "15000.00", "US", "us", True), ("US", "US"), 0.5, "'US' and home 'us' are the same country"),
        (txn("c3", "15000.00", "ng", "us", True), ("NG", "US"), 0.8, "'ng' at home 'us' is abroad"),
    ]
    for payload, countries, score, why in cases:
        resp = client.post("/transactions/score", json=payload)
        assert resp.status_code == 202, f"lower-case codes are valid; {payload} gave {resp.status_code}: {resp.text}"
        job_id = f"score-{payload['transaction_id']}"
        args = json.loads(stored(redis_conn, job_id).get("args", "null"))
        sent = args[0] if isinstance(args, list) and args and isinstance(args[0], dict) else {}
        assert (sent.get("country"), sent.get("home_country")) == countries, (
            f"upper-case the codes before enqueueing: the job payload for {payload} must hold {countries}; got {args}"
        )
        result = client.get(f"/jobs/{job_id}").json().get("result") or {}
        assert result.get("score") == pytest.approx(score, abs=1e-9), (
            f"{why}: expected score {score} for {payload}, got {result}"
        )


@pytest.mark.rule("job-payload")
def test_the_job_gets_the_payload_with_amount_as_a_string(redis_conn):
    queue, client = make(redis_conn, is_async=True)
    resp = client.post("/transactions/score", json=RISKY)
    assert resp.status_code == 202, f"expected 202, got {resp.status_code}: {resp.text}"
    job = stored(redis_conn, "score-t1")
    assert job, f"the job must be stored as the hash fraudq:job:score-t1; keys: {redis_conn.keys()}"
    assert job.get("func_name") == "fraud_scoring.score_transaction", (
        f"enqueue fraud_scoring.score_transaction; func_name is {job.get('func_name')!r}"
    )
    args, kwargs = json.loads(job.get("args", "null")), json.loads(job.get("kwargs", "{}"))
    assert isinstance(args, list) and len(args) == 1 and kwargs == {}, (
        f"call it with ONE positional argument, the payload; got args={args} kwargs={kwargs}"
    )
    payload = args[0]
    assert sorted(payload) == sorted(FIELDS), f"the payload holds exactly the five fields {FIELDS}; got {payload}"
    assert isinstance(payload["amount"], str), (
        f"send the amount as a string (a Decimal is not JSON, a float is not exact); got {payload['amount']!r}"
    )
    assert fraud_scoring.Decimal(payload["amount"]) == fraud_scoring.Decimal("15000.00"), f"amount: {payload}"
    assert {k: payload[k] for k in FIELDS if k != "amount"} == {k: RISKY[k] for k in FIELDS if k != "amount"}, (
        f"the payload must carry the request's fields unchanged; got {payload}"
    )


@pytest.mark.rule("post-status-codes", "enqueue-idempotent")
def test_repeated_post_gives_200_and_runs_once_even_after_a_restart(redis_conn, redis_url, counted):
    queue, client = make(redis_conn)
    first = client.post("/transactions/score", json=RISKY)
    second = client.post("/transactions/score", json=RISKY)
    assert first.status_code == 202, f"the first POST must give 202, got {first.status_code}: {first.text}"
    assert second.status_code == 200, (
        f"a repeated POST for the same transaction must give 200 with the existing job, got {second.status_code}"
    )
    status = queue.fetch_job("score-t1").get_status()
    assert second.json() == {"job_id": "score-t1", "status": status}, (
        f"the repeat answers the existing job: {{'job_id': 'score-t1', 'status': {status!r}}}; got {second.json()}"
    )
    # The web process restarts: a new connection, a new Queue, a new app. Redis still knows the job.
    other = redis.Redis.from_url(redis_url)
    try:
        restarted = TestClient(scoring_api.create_app(fraud_queue.Queue("fraud", connection=other, is_async=False)))
        third = restarted.post("/transactions/score", json=RISKY)
    finally:
        other.close()
    assert third.status_code == 200, (
        f"after a restart the job still exists in Redis, so a repeat must give 200, got {third.status_code}: "
        "keep the duplicate check in Redis, not in the process"
    )
    assert counted == ["t1"], (
        f"the scoring job must run exactly once for three POSTs; it ran {len(counted)} times. Do not re-enqueue "
        "an existing job_id (RQ itself would overwrite it and run it again)"
    )


@pytest.mark.rule("post-status-codes", "enqueue-idempotent")
def test_a_repeat_while_the_job_runs_is_not_queued_again(redis_conn, monkeypatch):
    queue, client = make(redis_conn, is_async=True)
    real = fraud_scoring.score_transaction
    runs, retries = [], []

    @functools.wraps(real)
    def scoring_while_client_retries(payload):
        runs.append(payload["transaction_id"])
        if len(runs) == 1:  # the client gives up waiting and POSTs again while the job is running
            resp = client.post("/transactions/score", json=RISKY)
            retries.append((resp.status_code, resp.json().get("job_id")))
        return real(payload)

    monkeypatch.setattr(fraud_scoring, "score_transaction", scoring_while_client_retries)
    assert client.post("/transactions/score", json=RISKY).status_code == 202, "the first POST must give 202"
    worker(redis_conn, queue).work(burst=True)
    assert retries == [(200, "score-t1")], (
        f"a POST for a job that is running must give 200 with job_id score-t1; got {retries}"
    )
    assert runs == ["t1"] and len(queue) == 0, (
        f"a running job must not be queued again by a duplicate POST: it ran {len(runs)} times, "
        f"queue left {queue.job_ids}"
    )


INVALID = [
    ("transaction_id", "", "transaction-id-length"),
    ("transaction_id", "x" * 65, "transaction-id-length"),
    ("amount", "0", "amount-positive"),
    ("amount", "-5", "amount-positive"),
    ("amount", "NaN", "amount-positive"),
    ("amount", "Infinity", "amount-positive"),
    ("country", "USA", "country-two-letters"),
    ("country", "U", "country-two-letters"),
    ("country", "12", "country-two-letters"),
    ("country", "U$", "country-two-letters"),
    ("country", "  ", "country-two-letters"),
    ("country", "\u00df", "country-two-letters"),
    ("country", "\u00c9S", "country-two-letters"),  # two letters, but not A-Z: isalpha() alone accepts it
    ("home_country", "\u00c4\u00d6", "country-two-letters"),
    ("home_country", "USA", "country-two-letters"),
    ("home_country", "12", "country-two-letters"),
    ("home_country", "U$", "country-two-letters"),
    ("home_country", "  ", "country-two-letters"),
    ("country", " US", "country-two-letters"),  # no trimming: exactly two characters, both letters
    ("home_country", "US\n", "country-two-letters"),  # re.match("^[A-Za-z]{2}$") accepts a trailing newline
]


@pytest.mark.parametrize("field, value, rule", [
    pytest.param(field, value, rule, marks=pytest.mark.rule(rule, "invalid-writes-nothing"), id=f"{field}-{value!r}")
    for field, value, rule in INVALID
])
def test_invalid_transactions_give_422_and_write_nothing(redis_conn, field, value, rule):
    queue, client = make(redis_conn, is_async=True)
    accepted = client.post("/transactions/score", json=dict(RISKY, transaction_id="ok-1"))
    assert accepted.status_code == 202 and accepted.json().get("job_id") == "score-ok-1", (
        f"a valid transaction must give 202 with job_id score-ok-1; got {accepted.status_code}: {accepted.text}"
    )
    keys_before, queued_before = sorted(redis_conn.keys()), queue.job_ids
    resp = client.post("/transactions/score", json={**RISKY, "transaction_id": "bad-1", field: value})
    assert resp.status_code == 422, f"{field}={value!r} must be rejected with 422, got {resp.status_code}: {resp.text}"
    assert sorted(redis_conn.keys()) == keys_before and queue.job_ids == queued_before, (
        f"a rejected transaction ({field}={value!r}) must not write anything to Redis; new keys: "
        f"{sorted(set(redis_conn.keys()) - set(keys_before))}, queue {queue.job_ids}"
    )


VALID_EDGES = [
    ("transaction_id", "x", "transaction-id-length"),
    ("transaction_id", "x" * 64, "transaction-id-length"),
    ("amount", "0.01", "amount-positive"),
    ("country", "gb", "country-two-letters"),
    ("home_country", "Us", "country-two-letters"),
]


@pytest.mark.parametrize("field, value, rule", [
    pytest.param(field, value, rule, marks=pytest.mark.rule(rule), id=f"{field}-{value[:8]!r}")
    for field, value, rule in VALID_EDGES
])
def test_valid_edge_values_are_accepted(redis_conn, field, value, rule):
    queue, client = make(redis_conn, is_async=True)
    body = {**RISKY, field: value}
    resp = client.post("/transactions/score", json=body)
    assert resp.status_code == 202, f"{field}={value!r} is valid and must give 202, got {resp.status_code}: {resp.text}"
    job_id = f"score-{body['transaction_id']}"
    assert resp.json().get("job_id") == job_id and queue.job_ids == [job_id], (
        f"{field}={value!r} must be enqueued as {job_id}; got {resp.json()} and queue {queue.job_ids}"
    )


@pytest.mark.rule("get-job")
def test_get_job_shows_status_and_result_and_404_for_unknown(redis_conn):
    queue, client = make(redis_conn, is_async=True)
    assert client.post("/transactions/score", json=RISKY).status_code == 202, "a new transaction must give 202"
    waiting = client.get("/jobs/score-t1")
    status = queue.fetch_job("score-t1").get_status()
    assert waiting.status_code == 200 and waiting.json() == {"job_id": "score-t1", "status": status, "result": None}, (
        f"a queued job answers 200 {{'job_id': 'score-t1', 'status': {status!r}, 'result': None}}; "
        f"got {waiting.status_code} {waiting.text}"
    )
    worker(redis_conn, queue).work(burst=True)
    done = client.get("/jobs/score-t1").json()
    assert done.get("result") == {"transaction_id": "t1", "score": 1.0, "flagged": True}, (
        f"after the worker ran it, the job shows its result; got {done}"
    )
    assert done.get("status") == queue.fetch_job("score-t1").get_status(), f"status must be the job's status: {done}"
    unknown = client.get("/jobs/score-nope")
    assert unknown.status_code == 404, f"an unknown job id must give 404, got {unknown.status_code}: {unknown.text}"


@pytest.mark.rule("get-job", "perform-records-failure")
def test_get_job_of_a_failed_job_has_no_result(redis_conn):
    queue, client = make(redis_conn, is_async=True)
    queue.enqueue(poison, dict(RISKY), job_id="score-poisoned")
    worker(redis_conn, queue).work(burst=True)
    status = queue.fetch_job("score-poisoned").get_status()
    resp = client.get("/jobs/score-poisoned")
    assert resp.status_code == 200 and resp.json() == {"job_id": "score-poisoned", "status": status, "result": None}, (
        f"a failed job never finished, so it answers 200 {{'job_id': 'score-poisoned', 'status': {status!r}, "
        f"'result': None}}; got {resp.status_code} {resp.text}"
    )


@pytest.mark.rule("post-status-codes", "enqueue-stores-job", "async-queues-fifo")
def test_async_queue_keeps_job_queued_until_a_burst_worker_drains_it(redis_conn, redis_url, counted):
    queue, client = make(redis_conn, is_async=True)
    resp = client.post("/transactions/score", json=RISKY)
    assert resp.status_code == 202 and resp.json() == {"job_id": "score-t1", "status": "queued"}, (
        "with an async queue the POST returns at once with {'job_id': 'score-t1', 'status': 'queued'}; "
        f"got {resp.status_code} {resp.text}"
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
        ran = worker(other, worker_queue).work(burst=True)
    finally:
        other.close()
    assert ran is True, "work(burst=True) must return True when it ran jobs"
    assert counted == ["t1", "t2"], f"the burst worker must run each job once, oldest first; ran {counted}"


# --- fraud_queue ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["lambda", "module-level-lambda", "nested", "__main__"])
@pytest.mark.rule("enqueue-importable-only")
def test_only_importable_functions_can_be_enqueued(redis_conn, kind):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)

    def nested(payload):
        return payload

    func = {"lambda": lambda payload: payload, "module-level-lambda": module_lambda, "nested": nested,
            "__main__": main_function}[kind]
    with raises(ValueError, f"enqueue must refuse a {kind} function ({func.__module__}.{func.__qualname__}): a worker "
                            "in another process cannot import it by its dotted path"):
        queue.enqueue(func, SAFE, job_id="score-x")
    assert redis_conn.dbsize() == 0, f"a refused function must not leave anything in Redis; found {redis_conn.keys()}"


@pytest.mark.rule("enqueue-stores-job")
def test_enqueue_stores_the_dotted_path_args_kwargs_and_status(redis_conn):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)
    job = queue.enqueue(json.dumps, {"b": 1, "a": 2}, job_id="dump-1", sort_keys=True)
    assert job.created is True and job.id == "dump-1", f"a new job has created == True; got {job.created!r}"
    data = stored(redis_conn, "dump-1")
    assert data.get("func_name") == "json.dumps", f"func_name must be the dotted path 'json.dumps'; got {data}"
    assert json.loads(data.get("args", "null")) == [{"b": 1, "a": 2}], f"args must be the JSON list; got {data}"
    assert json.loads(data.get("kwargs", "null")) == {"sort_keys": True}, f"kwargs must be the JSON object; got {data}"
    assert data.get("status") == "queued", f"a new job waits with status 'queued'; got {data.get('status')!r}"
    worker(redis_conn, queue).work(burst=True)
    assert job.result == '{"a": 2, "b": 1}', (
        f"the worker must call json.dumps(*args, **kwargs), keyword arguments included; result {job.result!r}"
    )


@pytest.mark.rule("enqueue-idempotent")
def test_enqueueing_an_existing_job_id_changes_nothing(redis_conn, redis_url):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)
    assert queue.enqueue(record, "first", job_id="j1").created is True, "a new job has created == True"
    before = stored(redis_conn, "j1")
    again = queue.enqueue(record, "second", job_id="j1")
    assert again.created is False and again.id == "j1", (
        f"enqueueing job_id 'j1' again must return that job with created == False; got created={again.created!r}"
    )
    assert stored(redis_conn, "j1") == before and queue.job_ids == ["j1"], (
        f"a duplicate enqueue must not change the job or queue it twice; job {stored(redis_conn, 'j1')}, "
        f"queue {queue.job_ids}"
    )
    other = redis.Redis.from_url(redis_url)  # another web process, another Queue object
    try:
        third = fraud_queue.Queue("fraud", connection=other).enqueue(record, "third", job_id="j1")
    finally:
        other.close()
    assert third.created is False and queue.job_ids == ["j1"], (
        "the duplicate check must live in Redis: a new Queue on a new connection must also see 'j1'"
    )
    worker(redis_conn, queue).work(burst=True)
    finished = stored(redis_conn, "j1")
    for sync in (True, False):
        late = fraud_queue.Queue("fraud", connection=redis_conn, is_async=not sync).enqueue(record, "late", job_id="j1")
        assert late.created is False, "a finished job_id is still taken: created must be False"
    assert RAN == ["first"] and stored(redis_conn, "j1") == finished and queue.job_ids == [], (
        f"a finished job must not be reset, re-queued or run again; ran {RAN}, queue {queue.job_ids}"
    )
    CONTEXT["queue"] = queue
    queue.enqueue(enqueue_myself_again, "j2", job_id="j2")
    worker(redis_conn, queue).work(burst=True)
    assert RAN == ["first", "j2"] and queue.fetch_job("j2").result is False, (
        "a job that is running must not be queued again: enqueue() of its own id from inside the job must "
        f"return created == False and run nothing more; ran {RAN}, result {queue.fetch_job('j2').result!r}"
    )


class RacingConnection:
    """A connection that lets a second web process enqueue the same job id right after this process's first
    Redis command that names that id: the moment between a 'does it exist?' and a 'create it'."""

    def __init__(self, conn, rival):
        self._conn, self._rival, self.rival_job = conn, rival, None

    def __getattr__(self, name):
        attr = getattr(self._conn, name)
        if not callable(attr) or name in ("pipeline", "register_script", "lock"):
            return attr

        def call(*args, **kwargs):
            result = attr(*args, **kwargs)
            if self.rival_job is None and any("race" in str(a) for a in args):
                self.rival_job = self._rival()
            return result
        return call


@pytest.mark.rule("enqueue-idempotent")
def test_two_racing_enqueues_create_the_job_once(redis_conn, redis_url):
    other = redis.Redis.from_url(redis_url)  # the other web process
    try:
        racing = RacingConnection(
            redis_conn, lambda: fraud_queue.Queue("fraud", connection=other).enqueue(record, "rival", job_id="race"))
        queue = fraud_queue.Queue("fraud", connection=racing)
        mine = queue.enqueue(record, "mine", job_id="race")
        rival = racing.rival_job or fraud_queue.Queue("fraud", connection=other).enqueue(record, "rival", job_id="race")
    finally:
        other.close()
    created = [mine.created, rival.created]
    assert created.count(True) == 1, (
        "two enqueues of the same new job_id at the same moment (one ran between your first Redis command for the "
        f"id and the next) must create it exactly once; created flags {created}. Claim the id atomically, e.g. "
        "HSETNX, instead of checking EXISTS and then writing"
    )
    winner = "mine" if mine.created else "rival"
    assert fraud_queue.Queue("fraud", connection=redis_conn).job_ids == ["race"], (
        f"the job must be queued once; queue {fraud_queue.Queue('fraud', connection=redis_conn).job_ids}"
    )
    assert json.loads(stored(redis_conn, "race").get("args", "null")) == [winner], (
        f"the job must keep the arguments of the enqueue that created it ({winner!r}); job {stored(redis_conn, 'race')}"
    )


@pytest.mark.rule("async-queues-fifo")
def test_async_enqueue_runs_nothing_and_the_worker_takes_the_oldest_first(redis_conn):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)
    for label in ("a", "b", "c"):
        queue.enqueue(record, label, job_id=f"job-{label}")
    assert RAN == [], f"with is_async=True enqueue must not run the job; it ran {RAN}"
    assert queue.job_ids == ["job-a", "job-b", "job-c"], f"the queue list must be in enqueue order; got {queue.job_ids}"
    worker(redis_conn, queue).work(burst=True)
    assert RAN == ["a", "b", "c"], f"the worker must run the oldest job first (FIFO); it ran {RAN}"


@pytest.mark.rule("sync-runs-now")
def test_a_synchronous_queue_runs_the_job_at_once(redis_conn):
    queue = fraud_queue.Queue("fraud", connection=redis_conn, is_async=False)
    job = queue.enqueue(record, "now", job_id="s1")
    assert RAN == ["now"], f"with is_async=False enqueue runs the job before it returns; ran {RAN}"
    assert job.get_status() == "finished" and job.result == "now", (
        f"the job must be finished with its result; status {job.get_status()!r}, result {job.result!r}"
    )
    assert len(queue) == 0 and queue.job_ids == [], f"a job that already ran must not be queued; queue {queue.job_ids}"
    assert worker(redis_conn, queue).work(burst=True) is False and RAN == ["now"], (
        f"a worker must find nothing left to run after a synchronous job; ran {RAN}"
    )


@pytest.mark.rule("perform-records-outcome")
def test_perform_sets_started_while_running_then_finished(redis_conn):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)
    CONTEXT["queue"] = queue
    job = queue.enqueue(status_while_running, "watch-1", job_id="watch-1")
    fraud_queue.perform(queue, job)
    assert job.result == "started", f"while the function runs, the job's status must be 'started'; it saw {job.result!r}"
    assert job.get_status() == "finished", f"after it returns, the status must be 'finished'; got {job.get_status()!r}"


@pytest.mark.rule("perform-records-failure", "failed-registry")
def test_poison_job_fails_into_the_registry_and_the_worker_carries_on(redis_conn):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)
    bad = queue.enqueue(poison, {"transaction_id": "t9"}, job_id="score-t9")
    good = queue.enqueue(record, "after", job_id="after-1")
    try:
        worker(redis_conn, queue).work(burst=True)
    except Exception as exc:  # noqa: BLE001 - report it as a failed check
        pytest.fail(f"a failing job must not crash the worker, but work() raised {exc!r}")
    assert bad.get_status() == "failed", f"the poison job must end 'failed', got {bad.get_status()!r}"
    info = bad.exc_info or ""
    assert "Traceback" in info and "ValueError" in info and "poison pill 7731" in info, (
        f"exc_info must hold the traceback text (traceback.format_exc()); got {bad.exc_info!r}"
    )
    assert "score-t9" in fraud_queue.FailedJobRegistry(queue), "the failed job must be in FailedJobRegistry"
    assert good.get_status() == "finished" and RAN == ["after"], (
        f"the job after the poison one must still run and finish; it is {good.get_status()!r}"
    )


@pytest.mark.rule("perform-records-failure")
def test_a_function_that_cannot_be_imported_fails_the_job(redis_conn, monkeypatch):
    import sys

    queue = fraud_queue.Queue("fraud", connection=redis_conn)
    gone = queue.enqueue(record, "never", job_id="gone-1")
    after = queue.enqueue(json.dumps, [1, 2], job_id="after-1")
    monkeypatch.delattr(sys.modules[__name__], "record")  # deployed code no longer has the function
    try:
        worker(redis_conn, queue).work(burst=True)
    except Exception as exc:  # noqa: BLE001 - report it as a failed check
        pytest.fail(f"a job whose function cannot be imported must fail, not crash the worker; work() raised {exc!r}")
    assert gone.get_status() == "failed" and "Traceback" in (gone.exc_info or ""), (
        f"an import failure is a job failure: status 'failed' with the traceback; got {gone.get_status()!r}, "
        f"{gone.exc_info!r}"
    )
    assert "gone-1" in fraud_queue.FailedJobRegistry(queue), "the failed job must be in FailedJobRegistry"
    assert after.get_status() == "finished", f"the next job must still run; it is {after.get_status()!r}"


@pytest.mark.rule("failed-registry", "perform-records-failure")
def test_failed_registry_lists_this_queues_failures_sorted(redis_conn):
    queue = fraud_queue.Queue("fraud", connection=redis_conn)
    other = fraud_queue.Queue("other", connection=redis_conn)
    bad_ids = [f"bad-{n:02d}" for n in range(11, -1, -1)]  # enqueued newest-name first: bad-11 ... bad-00
    for job_id in bad_ids:
        queue.enqueue(poison, {}, job_id=job_id)
    queue.enqueue(record, "fine", job_id="good-1")
    other.enqueue(poison, {}, job_id="other-bad")
    worker(redis_conn, queue, other).work(burst=True)
    registry = fraud_queue.FailedJobRegistry(queue)
    assert registry.get_job_ids() == sorted(bad_ids), (
        f"get_job_ids() must list this queue's failed ids sorted; got {registry.get_job_ids()}"
    )
    assert all(job_id in registry for job_id in bad_ids), "every failed job id must be `in` the registry"
    assert "good-1" not in registry, "a finished job must not be in the failed registry"
    assert "other-bad" not in registry, "a job that failed on another queue belongs to that queue's registry"
    assert fraud_queue.FailedJobRegistry(other).get_job_ids() == ["other-bad"], "each queue has its own registry"


@pytest.mark.rule("worker-burst", "async-queues-fifo")
def test_burst_worker_drains_every_queue_in_priority_order(redis_conn):
    high = fraud_queue.Queue("high", connection=redis_conn)
    low = fraud_queue.Queue("low", connection=redis_conn)
    CONTEXT.update(high=high, low=low)
    high.enqueue(record, "h1", job_id="h1")
    high.enqueue(record, "h1b", job_id="h1b")
    low.enqueue(fan_out, "l1", job_id="l1")  # while it runs it enqueues h2 on high and l2 on low
    ran = worker(redis_conn, high, low).work(burst=True)
    assert ran is True, "work(burst=True) must return True when it ran jobs"
    assert RAN == ["h1", "h1b", "l1", "h2", "l2"], (
        "the worker must keep going until every queue is empty, taking each next job from the first non-empty "
        f"queue in the order given (h1b on 'high' before l1 on 'low', h2 on 'high' before l2 on 'low'); it ran {RAN}"
    )
    assert len(high) == 0 and len(low) == 0, "a burst worker drains every queue before returning"
    assert worker(redis_conn, high, low).work(burst=True) is False and len(RAN) == 5, (
        "work(burst=True) with every queue empty must return False at once"
    )
