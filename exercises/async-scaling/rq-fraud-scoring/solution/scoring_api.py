"""HTTP front door: validate, enqueue a scoring job, answer at once. The work happens in a worker."""
from decimal import Decimal

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

import fraud_queue
import fraud_scoring


class Transaction(BaseModel):
    transaction_id: str = Field(..., min_length=1, max_length=64)
    amount: Decimal = Field(..., gt=0)  # a Decimal field also refuses "NaN" and "Infinity" on pydantic 1 and 2
    country: str  # checked in submit(): a regex constraint is `regex=` on pydantic 1 but `pattern=` on 2
    home_country: str
    card_present: bool


def country_code(value: str, field: str) -> str:
    """An ISO 3166 alpha-2 code: exactly two letters A-Z in either case, returned upper-cased ("us" -> "US").

    The check runs on the value as sent: upper-casing first would turn "ß" (one letter) into "SS".
    """
    if len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    raise HTTPException(
        status_code=422,
        detail=[{"loc": ["body", field], "msg": "must be two letters A-Z, e.g. US", "type": "value_error"}],
    )


def create_app(queue: fraud_queue.Queue) -> FastAPI:
    app = FastAPI()

    # Plain `def` endpoints: redis-py is a blocking client, so FastAPI runs these in its threadpool.
    @app.post("/transactions/score")
    def submit(txn: Transaction):
        # Every check runs before enqueue: an invalid transaction must leave nothing in Redis.
        payload = {
            "transaction_id": txn.transaction_id,
            "amount": str(txn.amount),  # JSON-friendly job arguments: Decimal travels as a string
            "country": country_code(txn.country, "country"),
            "home_country": country_code(txn.home_country, "home_country"),
            "card_present": txn.card_present,
        }
        # The job id is derived from the business key, so a retried POST maps to the same job.
        job = queue.enqueue(fraud_scoring.score_transaction, payload, job_id=f"score-{txn.transaction_id}")
        body = {"job_id": job.id, "status": job.get_status()}
        return JSONResponse(body, status_code=202 if job.created else 200)

    @app.get("/jobs/{job_id}")
    def job_status(job_id: str):
        job = queue.fetch_job(job_id)
        if job is None:
            raise HTTPException(status_code=404, detail="unknown job")
        return {"job_id": job.id, "status": job.get_status(), "result": job.result}

    return app
