"""HTTP front door: validate, enqueue a scoring job, answer at once."""
from decimal import Decimal

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import fraud_queue
import fraud_scoring


class Transaction(BaseModel):
    # TODO: constraints (non-empty id, amount > 0, 2-letter country codes)
    transaction_id: str
    amount: Decimal
    country: str
    home_country: str
    card_present: bool


def create_app(queue: fraud_queue.Queue) -> FastAPI:
    app = FastAPI()

    @app.post("/transactions/score")
    def submit(txn: Transaction):
        payload = {
            "transaction_id": txn.transaction_id,
            "amount": str(txn.amount),
            "country": txn.country,
            "home_country": txn.home_country,
            "card_present": txn.card_present,
        }
        job = queue.enqueue(fraud_scoring.score_transaction, payload, job_id=txn.transaction_id)
        return JSONResponse({"job_id": job.id, "status": job.get_status()}, status_code=202)

    @app.get("/jobs/{job_id}")
    def job_status(job_id: str):
        job = queue.fetch_job(job_id)
        if job is None:
            raise HTTPException(status_code=404, detail="unknown job")
        return {"job_id": job.id, "status": job.get_status(), "result": job.result}

    return app
