"""Payouts on Celery: a real broker, retries with exponential backoff, an idempotent task, acks_late."""
import json

import redis
from celery import Celery

RETRY_BASE_SECONDS = 0.02  # retry n (0-based) waits RETRY_BASE_SECONDS * 2**n: 20, 40, 80, 160 ms
MAX_RETRIES = 4

celery_app = Celery("payout_tasks")
_state = {"bank": None, "redis": None}


class BankUnavailable(Exception):
    """The bank could not be reached or answered 5xx: worth another try."""


class BankRejected(Exception):
    """The bank refused the payout (closed account, bad IBAN): another try gives the same answer."""


def celery_url(redis_url):
    # redis-py spells a unix socket unix:///path; Celery (kombu) spells it redis+socket:///path.
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://"):]
    return redis_url


def configure(redis_url, bank, visibility_timeout=3600):
    """Point the app at Redis (broker and results), and give the task its bank."""
    url = celery_url(redis_url)
    celery_app.conf.update(
        broker_url=url,
        result_backend=url,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # Ack after the task returns: a worker that dies mid-task leaves the message to be delivered again.
        task_acks_late=True,
        # How long an unacked message belongs to its worker before Redis hands it to another. Must be longer
        # than any task's runtime plus its countdown, or a slow task runs twice.
        broker_transport_options={"visibility_timeout": visibility_timeout},
        broker_connection_retry_on_startup=True,
    )
    _state["bank"] = bank
    _state["redis"] = redis.Redis.from_url(redis_url)


def _done_key(payout_id):
    return f"payouts:done:{payout_id}"


@celery_app.task(bind=True, name="payout_tasks.send_payout", acks_late=True, max_retries=MAX_RETRIES)
def send_payout(self, payout_id, account, amount_cents):
    store = _state["redis"]
    done = store.get(_done_key(payout_id))
    if done is not None:
        # A replay (a duplicate message, a redelivery after a crash, a client retry): answer, pay nothing.
        return json.loads(done)
    try:
        confirmation = _state["bank"].transfer(payout_id, account, amount_cents)
    except BankUnavailable as exc:
        # Past MAX_RETRIES, retry() raises exc itself and the task fails with BankUnavailable.
        raise self.retry(exc=exc, countdown=RETRY_BASE_SECONDS * 2 ** self.request.retries)
    result = {"payout_id": payout_id, "account": account, "amount_cents": amount_cents, "confirmation": confirmation}
    # SET NX: if two copies ever raced, the first record wins and both return it.
    store.set(_done_key(payout_id), json.dumps(result), nx=True)
    return json.loads(store.get(_done_key(payout_id)))
