"""HTTP front door: validate, enqueue a scoring job, answer at once. The work happens in a worker."""
from decimal import Decimal

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

import fraud_queue
import fraud_scoring


class Transaction(BaseModel):
    transaction_id: str = Field(..., min_length=1, max_length=64)
    amount: Decimal = Field(..., gt=0)
    country: str = Field(..., min_length=2, max_length=2)  # ISO 3166 alpha-2: "US", not "USA"
    home_country: str = Field(..., min_length=2, max_length=2)
    card_present: bool


def create_app(queue: fraud_queue.Queue) -> FastAPI:
    app = FastAPI()

    # Plain `def` endpoints: redis-py is a blocking client, so FastAPI runs these in its threadpool.
    @app.post("/transactions/score")
    def submit(txn: Transaction):
        payload = {
            "transaction_id": txn.transaction_id,
            "amount": str(txn.amount),  # JSON-friendly job arguments: Decimal travels as a string
            "country": txn.country.upper(),
            "home_country": txn.home_country.upper(),
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
