"""Fraud scoring API: a scikit-learn model behind FastAPI.

This is the notebook code, moved into a route as-is. It works for one happy request and breaks in production:
make it pass the verifier (see README.md). Keep `train_model()` as it is.
"""
import numpy as np
from fastapi import FastAPI
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

MODEL_VERSION = "fraud-lr-2026.11"
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


def get_model():
    # TODO: load once per process, and let tests override it.
    return train_model()


# TODO: pydantic models for the request (types and ranges: they also keep NaN and inf out).


def create_app(default_threshold: float = 0.5) -> FastAPI:
    app = FastAPI(title="Fraud scoring")

    @app.post("/v1/score")
    def score(payload: dict):
        # The notebook cell, as pasted. Every line here hides a production bug.
        model = get_model()
        threshold = payload.get("threshold") or 0.5
        X = np.array([[float(v) for v in t.values()] for t in payload["transactions"]])
        probabilities = model.predict_proba(X)[:, 1]
        return {
            "model_version": MODEL_VERSION,
            "threshold": threshold,
            "results": [{"score": p, "flagged": p > threshold} for p in probabilities],
        }

    return app
