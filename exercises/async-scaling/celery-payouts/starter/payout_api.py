"""The HTTP side of payouts: enqueue a Celery task, report its state and result."""
from fastapi import FastAPI, HTTPException


def create_app():
    app = FastAPI(title="Payouts")

    @app.post("/payouts")
    def create_payout():
        raise HTTPException(status_code=501, detail="TODO: validate the body and enqueue send_payout")

    @app.get("/payouts/{payout_id}")
    def read_payout(payout_id: str):
        raise HTTPException(status_code=501, detail="TODO: report the task's state and result")

    return app
