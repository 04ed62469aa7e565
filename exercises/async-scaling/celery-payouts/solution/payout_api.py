"""The HTTP side of payouts: enqueue a Celery task, report its state and result."""
from celery.result import AsyncResult
from fastapi import FastAPI
from pydantic import BaseModel, Field, conint

from payout_tasks import celery_app, send_payout


class PayoutIn(BaseModel):
    payout_id: str = Field(..., min_length=1, max_length=64)
    account: str = Field(..., min_length=1, max_length=34)
    # strict: pydantic 1 would turn 1.5 into 1 and "100" into 100 (and True into 1).
    amount_cents: conint(strict=True, gt=0)


def task_id_for(payout_id):
    return f"payout-{payout_id}"


def create_app():
    app = FastAPI(title="Payouts")

    @app.post("/payouts", status_code=202)
    def create_payout(payout: PayoutIn):
        task_id = task_id_for(payout.payout_id)
        send_payout.apply_async(args=[payout.payout_id, payout.account, payout.amount_cents], task_id=task_id)
        return {"payout_id": payout.payout_id, "task_id": task_id}

    @app.get("/payouts/{payout_id}")
    def read_payout(payout_id: str):
        outcome = AsyncResult(task_id_for(payout_id), app=celery_app)
        state = outcome.state  # PENDING for a task nobody has run yet, and for an id Celery never saw
        return {
            "payout_id": payout_id,
            "state": state,
            "result": outcome.result if state == "SUCCESS" else None,
            "error": type(outcome.result).__name__ if state == "FAILURE" else None,
        }

    return app
