"""Verifier for fraud-model-api: a scikit-learn model served safely with FastAPI."""
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

import fraud_api

# The documented feature order: amount, hour, merchant_risk, is_foreign.
RISKY = {"amount": "120.50", "hour": 3, "merchant_risk": 0.7, "is_foreign": True}
SAFE = {"amount": "5.00", "hour": 14, "merchant_risk": 0.05, "is_foreign": False}
MIDDLING = {"amount": "900.00", "hour": 1, "merchant_risk": 0.5, "is_foreign": False}


def as_row(tx):
    return [float(tx["amount"]), float(tx["hour"]), float(tx["merchant_risk"]), float(tx["is_foreign"])]


@pytest.fixture(scope="module")
def reference_model():
    return fraud_api.train_model()


def make_client(app=None):
    # raise_server_exceptions=False: a crash must show up as the 500 a real client would get.
    return TestClient(app or fraud_api.create_app(), raise_server_exceptions=False)


def post_score(client, body):
    return client.post("/v1/score", json=body)


def post_raw(client, text):
    return client.post("/v1/score", content=text, headers={"content-type": "application/json"})


def test_scores_match_predict_proba_in_feature_order(reference_model):
    batch = [RISKY, SAFE, MIDDLING]
    resp = post_score(make_client(), {"transactions": batch})
    assert resp.status_code == 200, (
        f"POST /v1/score with 3 valid transactions must give 200, got {resp.status_code}: {resp.text[:200]}"
        " (a 500 here is usually a numpy scalar such as numpy.bool_ in the response)"
    )
    results = resp.json()["results"]
    assert len(results) == 3, "one result per transaction, in request order"
    expected = reference_model.predict_proba(np.array([as_row(t) for t in batch]))[:, 1]
    for i, (got, want) in enumerate(zip(results, expected)):
        assert got["score"] == pytest.approx(float(want), abs=1e-9), (
            f"result {i}: score {got['score']} != predict_proba {want:.6f}; build each row in the training order"
            " (amount, hour, merchant_risk, is_foreign) and use column 1 (the fraud class)"
        )
        assert got["flagged"] is (float(want) >= 0.5), f"result {i}: flagged must be score >= 0.5 by default"


def test_response_types_are_json_native():
    resp = post_score(make_client(), {"transactions": [RISKY, SAFE]})
    assert resp.status_code == 200, (
        f"expected 200, got {resp.status_code}: numpy.bool_/numpy.int64 are not JSON types, convert with"
        " bool()/float()/int()"
    )
    body = json.loads(resp.text)
    for result in body["results"]:
        assert type(result["score"]) is float, f"score must be a JSON number with a fraction, got {result['score']!r}"
        assert type(result["flagged"]) is bool, f"flagged must be JSON true/false, got {result['flagged']!r}"
    assert body["model_version"] == fraud_api.MODEL_VERSION, "the body must carry model_version"
    assert type(body["threshold"]) is float and body["threshold"] == 0.5, "the body must echo the threshold used (0.5)"


def test_threshold_override(reference_model):
    score = float(reference_model.predict_proba(np.array([as_row(RISKY)]))[0, 1])
    assert 0.5 < score < 0.9, "test data drifted: RISKY must score between 0.5 and 0.9"
    client = make_client()
    default = post_score(client, {"transactions": [RISKY]})
    strict = post_score(client, {"transactions": [RISKY], "threshold": 0.9})
    assert default.status_code == strict.status_code == 200, f"expected 200s, got {default.status_code}, {strict.status_code}"
    assert default.json()["results"][0]["flagged"] is True, f"score {score:.3f} >= 0.5 must be flagged by default"
    assert strict.json()["results"][0]["flagged"] is False, f"score {score:.3f} < 0.9 must not be flagged at threshold 0.9"
    assert strict.json()["threshold"] == 0.9, "the response must echo the threshold that was applied"


def test_bad_threshold_is_422():
    resp = post_score(make_client(), {"transactions": [RISKY], "threshold": 1.5})
    assert resp.status_code == 422, f"threshold must be strictly between 0 and 1; 1.5 gave {resp.status_code}"


@pytest.mark.parametrize("size", [0, 101])
def test_batch_size_limits(size):
    resp = post_score(make_client(), {"transactions": [SAFE] * size})
    assert resp.status_code == 422, f"a batch of {size} must give 422 (allowed: 1 to 100), got {resp.status_code}"
    locs = [tuple(e["loc"]) for e in resp.json()["detail"]]
    assert ("body", "transactions") in locs, f"the 422 must point at loc ['body', 'transactions'], got {locs}"


def test_batch_of_100_is_fine():
    resp = post_score(make_client(), {"transactions": [SAFE] * 100})
    assert resp.status_code == 200, f"100 transactions is the maximum and must be accepted, got {resp.status_code}"


@pytest.mark.parametrize(
    "field, value",
    [("amount", -1), ("hour", 24), ("hour", -1), ("hour", "noon"), ("merchant_risk", 1.5), ("is_foreign", "maybe")],
)
def test_out_of_range_features_give_422(field, value):
    resp = post_score(make_client(), {"transactions": [dict(SAFE, **{field: value})]})
    assert resp.status_code == 422, f"{field}={value!r} must give 422, got {resp.status_code}"
    locs = [e["loc"] for e in resp.json()["detail"]]
    assert any(loc[-1] == field for loc in locs), f"the 422 must name {field!r} in loc, got {locs}"


@pytest.mark.parametrize("field", ["amount", "merchant_risk"])
@pytest.mark.parametrize("literal", ["NaN", "Infinity"])
def test_raw_nan_and_inf_give_422_not_500(field, literal):
    tx = dict(SAFE, amount=5.0)
    text = json.dumps({"transactions": [tx]}).replace(json.dumps(tx[field]), literal, 1)
    assert literal in text
    resp = post_raw(make_client(), text)
    assert resp.status_code == 422, (
        f"a raw {literal} in {field} must give 422, got {resp.status_code}. A 500 means the error body echoed the"
        " NaN back (pydantic 2's `input`): add your own RequestValidationError handler that drops it"
    )
    assert any(e["loc"][-1] == field for e in resp.json()["detail"]), "the 422 must name the field"


def test_model_is_loaded_once(monkeypatch):
    assert hasattr(fraud_api.get_model, "cache_info"), "get_model must be wrapped in functools.lru_cache"
    loads = []
    real_train = fraud_api.train_model

    def counting_train():
        loads.append(1)
        return real_train()

    monkeypatch.setattr(fraud_api, "train_model", counting_train)
    fraud_api.get_model.cache_clear()
    try:
        client = make_client()
        for _ in range(3):
            assert post_score(client, {"transactions": [SAFE]}).status_code == 200
        assert len(loads) == 1, f"the model was trained/loaded {len(loads)} times for 3 requests; load it once"
        assert fraud_api.get_model.cache_info().misses == 1, "get_model's cache should miss exactly once"
    finally:
        fraud_api.get_model.cache_clear()  # the cached model came from the patched function


def test_dependency_override_is_honoured(monkeypatch):
    class AlwaysFraud:
        def __init__(self):
            self.rows = None

        def predict_proba(self, X):
            self.rows = np.asarray(X)
            return np.tile([0.25, 0.75], (len(X), 1))

    monkeypatch.setattr(fraud_api, "train_model", lambda: pytest.fail("train_model ran although get_model is overridden"))
    stub = AlwaysFraud()
    app = fraud_api.create_app()
    app.dependency_overrides[fraud_api.get_model] = lambda: stub
    resp = post_score(make_client(app), {"transactions": [RISKY, SAFE]})
    assert resp.status_code == 200, f"expected 200 with the stub model, got {resp.status_code}"
    assert [r["score"] for r in resp.json()["results"]] == [0.75, 0.75], (
        "the route must get its model from Depends(get_model) so tests can override it"
    )
    assert stub.rows is not None and stub.rows.shape == (2, 4), "predict_proba must get one row of 4 features per transaction"


def test_model_version_header():
    resp = post_score(make_client(), {"transactions": [SAFE]})
    assert resp.status_code == 200
    assert resp.headers.get("X-Model-Version") == fraud_api.MODEL_VERSION, (
        f"every prediction needs the X-Model-Version header ({fraud_api.MODEL_VERSION!r}),"
        f" got {resp.headers.get('X-Model-Version')!r}"
    )
    assert resp.json()["model_version"] == fraud_api.MODEL_VERSION
