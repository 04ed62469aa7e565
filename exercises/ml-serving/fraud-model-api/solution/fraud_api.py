"""Fraud scoring API: a scikit-learn model behind FastAPI, served safely."""
from decimal import Decimal
from functools import lru_cache
from typing import List, Optional

import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, conint
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

MODEL_VERSION = "fraud-lr-2026.11"
# The column order the model was trained on. The request is a dict; the model only sees positions.
FEATURES = ("amount", "hour", "merchant_risk", "is_foreign")
MAX_BATCH = 100


def train_model() -> Pipeline:
    """Train a tiny, seeded fraud model (stands in for `joblib.load("fraud-v3.joblib")`).

    The scaler is part of the artefact: serving must apply exactly the preprocessing used in training.
    """
    rng = np.random.RandomState(7)
    n = 600
    amount = rng.lognormal(mean=4.0, sigma=1.2, size=n)
    hour = rng.randint(0, 24, size=n)
    merchant_risk = rng.beta(2, 5, size=n)
    is_foreign = rng.binomial(1, 0.2, size=n)
    logit = 0.004 * amount + 0.9 * (hour < 5) + 4.0 * merchant_risk + 1.5 * is_foreign - 4.0
    y = rng.binomial(1, 1.0 / (1.0 + np.exp(-logit)))
    X = np.column_stack([amount, hour, merchant_risk, is_foreign]).astype(float)
    return make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear")).fit(X, y)


@lru_cache(maxsize=1)
def get_model():
    """Load the model once per process; tests swap it with `app.dependency_overrides[get_model]`."""
    return train_model()


class Transaction(BaseModel):
    # Money on the wire is a Decimal; it only becomes a float at the model boundary.
    # The range checks also reject NaN and inf: every comparison with NaN is False.
    amount: Decimal = Field(..., ge=0, le=1_000_000)
    # A strict int: a plain `int` truncates 3.5 to 3 on pydantic 1 and takes `true` as 1 on both versions.
    hour: conint(strict=True, ge=0, le=23)
    merchant_risk: float = Field(..., ge=0, le=1)
    is_foreign: bool


class ScoreRequest(BaseModel):
    transactions: List[Transaction]
    threshold: Optional[float] = Field(None, gt=0, lt=1)


class ScoreResult(BaseModel):
    score: float
    flagged: bool


class ScoreResponse(BaseModel):
    model_version: str
    threshold: float
    results: List[ScoreResult]


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The default handler echoes the offending `input` (pydantic 2); a NaN there cannot be encoded as JSON,
    # so the client would get a 500 instead of a 422. Keep only loc, msg and type.
    detail = [{"loc": list(e["loc"]), "msg": str(e["msg"]), "type": str(e["type"])} for e in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": detail})


def create_app(default_threshold: float = 0.5) -> FastAPI:
    app = FastAPI(title="Fraud scoring")
    app.add_exception_handler(RequestValidationError, validation_error_handler)

    # `responses=` documents the shape for OpenAPI clients; the handler builds plain Python types itself.
    @app.post("/v1/score", responses={200: {"model": ScoreResponse}}, operation_id="scoreTransactions")
    def score(body: ScoreRequest, response: Response, model=Depends(get_model)):
        # Checked here rather than with conlist: its arguments differ between pydantic 1 and 2.
        if not 1 <= len(body.transactions) <= MAX_BATCH:
            raise HTTPException(
                status_code=422,
                detail=[{"loc": ["body", "transactions"], "msg": f"send 1 to {MAX_BATCH} transactions",
                         "type": "value_error.batch_size"}],
            )
        threshold = default_threshold if body.threshold is None else body.threshold
        X = np.array([[float(getattr(t, name)) for name in FEATURES] for t in body.transactions], dtype=float)
        probabilities = model.predict_proba(X)[:, 1]
        # `p >= threshold` is a numpy.bool_, which no JSON encoder accepts (500). Convert at the source, so the
        # same dict is also safe to log, cache or enqueue, where no response_model would coerce it.
        results = [{"score": float(p), "flagged": bool(p >= threshold)} for p in probabilities]
        response.headers["X-Model-Version"] = MODEL_VERSION
        return {"model_version": MODEL_VERSION, "threshold": threshold, "results": results}

    return app
