"""Payouts on Celery: a real broker, retries with exponential backoff, an idempotent task, acks_late.

Read README.md, then write configure() and the task. The verifier starts a real worker on this app.
"""
from celery import Celery

RETRY_BASE_SECONDS = 0.02  # retry n (0-based) waits RETRY_BASE_SECONDS * 2**n: 20, 40, 80, 160 ms
MAX_RETRIES = 4

celery_app = Celery("payout_tasks")


class BankUnavailable(Exception):
    """The bank could not be reached or answered 5xx: worth another try."""


class BankRejected(Exception):
    """The bank refused the payout (closed account, bad IBAN): another try gives the same answer."""


def configure(redis_url, bank, visibility_timeout=3600):
    raise NotImplementedError("configure: broker and result backend on Redis, late acks, the visibility timeout, the bank")


@celery_app.task(bind=True, name="payout_tasks.send_payout")
def send_payout(self, payout_id, account, amount_cents):
    raise NotImplementedError("send_payout: pay once through the bank, retry BankUnavailable with backoff")
