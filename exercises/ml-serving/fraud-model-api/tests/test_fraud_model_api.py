"""Verifier for fraud-model-api: a scikit-learn model served safely with FastAPI."""
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

import fraud_api

# The model's feature order is amount, hour, merchant_risk, is_foreign. JSON objects have no column order, so the
# keys below come in other orders: a row built from the dict's own order is wrong.
RISKY = {"is_foreign": True, "merchant_risk": 0.7, "amount": "120.50", "hour": 3}
SAFE = {"hour": 14, "amount": "5.00", "is_foreign": False, "merchant_risk": 0.05}
MIDDLING = {"merchant_risk": 0.5, "is_foreign": False, "hour": 1, "amount": "900.00"}
REAL_TRAIN = fraud_api.train_model


def as_row(tx):
    return [float(tx["amount"]), float(tx["hour"]), float(tx["merchant_risk"]), float(tx["is_foreign"])]


@pytest.fixture(scope="module")
def reference_model():
    return REAL_TRAIN()


class PythonFloats:
    """Wraps a model so predict_proba hands back plain Python floats (an object array), and records its input.

    Served through train_model in most tests, so that one mistake (numpy scalars in the response) fails the one
    test about it, test_response_types_are_json_native, instead of every test."""

    def __init__(self, model):
        self.model = model
        self.rows = []

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        self.rows.append(X.copy())
        return np.array(self.model.predict_proba(X).tolist(), dtype=object)


class FixedScore(PythonFloats):
    """Scores every row with the same probability."""

    def __init__(self, p):
        super().__init__(None)
        self.p = p

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        self.rows.append(X.copy())
        return np.array([[1.0 - self.p, self.p] for _ in range(len(X))], dtype=object)


def clear_model_cache():
    if hasattr(fraud_api.get_model, "cache_clear"):
        fraud_api.get_model.cache_clear()


@pytest.fixture
def serve(monkeypatch):
    """serve(model): train_model (and so get_model) returns `model` for this test."""
    def use(model):
        monkeypatch.setattr(fraud_api, "train_model", lambda: model)
        clear_model_cache()
        return model

    yield use
    clear_model_cache()  # the cached model came from the patched function


@pytest.fixture
def wrapped(serve, reference_model):
    return serve(PythonFloats(reference_model))


def make_client(app=None):
    # raise_server_exceptions=False: a crash must show up as the 500 a real client would get.
    return TestClient(app or fraud_api.create_app(), raise_server_exceptions=False)


def post_score(client, body):
    return client.post("/v1/score", json=body)


def post_raw(client, text):
    return client.post("/v1/score", content=text, headers={"content-type": "application/json"})


def locs(resp):
    try:
        return [list(e["loc"]) for e in resp.json()["detail"]]
    except (ValueError, KeyError, TypeError):
        return f"(no {{'detail': [{{'loc': ...}}]}} in {resp.text[:200]})"


# --- scoring --------------------------------------------------------------------------------------------------

@pytest.mark.rule("scores-in-feature-order")
def test_scores_match_predict_proba_in_feature_order(wrapped, reference_model):
    batch = [RISKY, SAFE, MIDDLING]
    resp = post_score(make_client(), {"transactions": batch})
    assert resp.status_code == 200, (
        f"POST /v1/score with 3 valid transactions must give 200, got {resp.status_code}: {resp.text[:200]}"
    )
    results = resp.json()["results"]
    assert len(results) == 3, "one result per transaction, in request order"
    expected = reference_model.predict_proba(np.array([as_row(t) for t in batch]))[:, 1]
    for i, (got, want) in enumerate(zip(results, expected)):
        assert float(got["score"]) == pytest.approx(float(want), abs=1e-9), (
            f"result {i}: score {got['score']} != predict_proba {want:.6f}; build each row in the training order"
            " (amount, hour, merchant_risk, is_foreign) and use column 1 (the fraud class)"
        )
    assert wrapped.rows and wrapped.rows[-1].tolist() == [as_row(t) for t in batch], (
        f"predict_proba must get one row per transaction in FEATURES order; got {wrapped.rows[-1:]}"
    )


@pytest.mark.rule("scores-in-feature-order")
def test_readme_example_scores_0_8003_with_the_given_model(wrapped):
    # RISKY is the README's example transaction; train_model() is given and must be kept exactly as it is.
    resp = post_score(make_client(), {"transactions": [RISKY], "threshold": 0.9})
    assert resp.status_code == 200, f"the README's example request must give 200, got {resp.status_code}: {resp.text[:200]}"
    score = float(resp.json()["results"][0]["score"])
    assert score == pytest.approx(0.8003, abs=5e-5), (
        f"the README's example transaction must score 0.8003 with the given model, got {score:.6f}: keep"
        " train_model() exactly as given (seed, data, scaler, solver) and build the row in FEATURES order"
    )


@pytest.mark.rule("flagged-at-threshold")
def test_flagged_from_exactly_the_threshold(serve):
    client = make_client()
    for p, threshold, flagged in [(0.75, 0.75, True), (0.7499, 0.75, False), (0.749999, 0.75, False),
                                  (0.3, 0.3, True), (0.2999, 0.3, False)]:
        serve(FixedScore(p))
        resp = post_score(client, {"transactions": [SAFE], "threshold": threshold})
        assert resp.status_code == 200, f"expected 200, got {resp.status_code}: {resp.text[:200]}"
        assert resp.json()["results"][0]["flagged"] is flagged, (
            f"score {p} with threshold {threshold}: flagged must be score >= threshold, so {flagged}; "
            f"got {resp.json()}"
        )


@pytest.mark.rule("threshold-default-and-override")
def test_threshold_default_comes_from_create_app_and_the_body_overrides_it(serve):
    serve(FixedScore(0.7))
    default = post_score(make_client(), {"transactions": [SAFE]})
    strict_app = make_client(fraud_api.create_app(default_threshold=0.8))
    strict = post_score(strict_app, {"transactions": [SAFE]})
    override = post_score(strict_app, {"transactions": [SAFE], "threshold": 0.65})
    fine_app = make_client(fraud_api.create_app(default_threshold=0.705))
    fine = post_score(fine_app, {"transactions": [SAFE]})
    fine_override = post_score(fine_app, {"transactions": [SAFE], "threshold": 0.695})
    for resp in (default, strict, override, fine, fine_override):
        assert resp.status_code == 200, f"expected 200, got {resp.status_code}: {resp.text[:200]}"
    checks = [(default, 0.5, True, "create_app() defaults to 0.5"),
              (strict, 0.8, False, "create_app(default_threshold=0.8) without a body threshold uses 0.8"),
              (override, 0.65, True, "a body threshold 0.65 overrides the app's 0.8"),
              (fine, 0.705, False, "create_app(default_threshold=0.705) uses and echoes 0.705 exactly, not rounded"),
              (fine_override, 0.695, True, "a body threshold 0.695 is applied and echoed exactly, not rounded")]
    for resp, threshold, flagged, why in checks:
        body = resp.json()
        assert body.get("threshold") == threshold and body["results"][0]["flagged"] is flagged, (
            f"{why}: score 0.7 gives threshold {threshold} echoed and flagged {flagged}; got {body}"
        )


@pytest.mark.rule("json-native-types")
def test_response_types_are_json_native(monkeypatch):
    monkeypatch.setattr(fraud_api, "train_model", REAL_TRAIN)  # the real model: predict_proba returns numpy floats
    clear_model_cache()
    try:
        resp = post_score(make_client(), {"transactions": [RISKY, SAFE]})
    finally:
        clear_model_cache()
    assert resp.status_code == 200, (
        f"expected 200, got {resp.status_code}: numpy.bool_/numpy.float64 are not JSON types, convert with"
        " bool()/float()"
    )
    body = json.loads(resp.text)
    for result in body["results"]:
        assert type(result["score"]) is float, f"score must be a JSON number with a fraction, got {result['score']!r}"
        assert type(result["flagged"]) is bool, f"flagged must be JSON true/false, got {result['flagged']!r}"
    assert type(body.get("model_version")) is str, f"model_version must be a string; got {body}"
    assert type(body.get("threshold")) is float, f"threshold must be a JSON number; got {body}"


@pytest.mark.rule("model-version")
def test_model_version_header_and_body(wrapped):
    for batch in ([SAFE], [RISKY, MIDDLING]):
        resp = post_score(make_client(), {"transactions": batch})
        assert resp.status_code == 200, f"expected 200, got {resp.status_code}: {resp.text[:200]}"
        assert resp.headers.get("X-Model-Version") == fraud_api.MODEL_VERSION, (
            f"every prediction needs the X-Model-Version header ({fraud_api.MODEL_VERSION!r}),"
            f" got {resp.headers.get('X-Model-Version')!r}"
        )
        assert resp.json().get("model_version") == fraud_api.MODEL_VERSION, "the body must carry model_version too"


# --- validation -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size, too_many", [(1, 0), (100, 101)], ids=["1-and-0", "100-and-101"])
@pytest.mark.rule("batch-size")
def test_batch_size_limits(wrapped, size, too_many):
    resp = post_score(make_client(), {"transactions": [SAFE] * size})
    assert resp.status_code == 200 and len(resp.json()["results"]) == size, (
        f"{size} transaction(s) is within 1 to 100 and must be scored, got {resp.status_code}: {resp.text[:200]}"
    )
    resp = post_score(make_client(), {"transactions": [SAFE] * too_many})
    assert resp.status_code == 422, f"a batch of {too_many} must give 422 (allowed: 1 to 100), got {resp.status_code}"
    assert ["body", "transactions"] in locs(resp), f"the 422 must point at loc ['body', 'transactions'], got {locs(resp)}"


BOUNDS = [("amount", "0", "-0.01"), ("amount", "1000000", "1000000.01"), ("hour", 0, -1), ("hour", 23, 24),
          ("merchant_risk", 0, -0.01), ("merchant_risk", 1, 1.01)]


@pytest.mark.parametrize("field, edge, outside", BOUNDS, ids=[f"{f}-{e}" for f, e, _ in BOUNDS])
@pytest.mark.rule("feature-ranges")
def test_bounds_are_included_and_just_outside_is_422(wrapped, field, edge, outside):
    resp = post_score(make_client(), {"transactions": [dict(SAFE, **{field: edge})]})
    assert resp.status_code == 200, (
        f"bounds are included: {field}={edge!r} must be scored, got {resp.status_code}: {resp.text[:300]}"
    )
    resp = post_score(make_client(), {"transactions": [dict(SAFE, **{field: outside})]})
    assert resp.status_code == 422 and ["body", "transactions", 0, field] in locs(resp), (
        f"{field}={outside!r} is just outside the range: expected 422 naming {field}, got {resp.status_code}: "
        f"{resp.text[:300]}"
    )


MISSING = object()
BAD_FEATURES = [
    ("amount", -1), ("amount", "-0.01"), ("amount", "1000000.01"), ("amount", "1000000.00000000001"),
    ("amount", "abc"), ("amount", MISSING),
    ("hour", -1), ("hour", 24), ("hour", "noon"), ("hour", 3.5), ("hour", 3.0), ("hour", True), ("hour", "3"),
    ("hour", MISSING),
    ("merchant_risk", -0.1), ("merchant_risk", 1.5), ("merchant_risk", "high"), ("merchant_risk", MISSING),
    ("is_foreign", "maybe"), ("is_foreign", 0.5), ("is_foreign", 2), ("is_foreign", MISSING),
]


@pytest.mark.parametrize("field, value", BAD_FEATURES,
                         ids=[f"{f}-{'missing' if v is MISSING else json.dumps(v)}" for f, v in BAD_FEATURES])
@pytest.mark.rule("feature-ranges")
def test_bad_features_give_422_naming_the_field(wrapped, field, value):
    bad = {k: v for k, v in SAFE.items() if k != field}
    if value is not MISSING:
        bad[field] = value
    resp = post_score(make_client(), {"transactions": [SAFE, bad]})
    shown = "missing" if value is MISSING else f"{json.dumps(value)} (JSON)"
    assert resp.status_code == 422, (
        f"{field}={shown} must give 422 (amount is compared as an exact decimal; hour must be a JSON integer;"
        f" is_foreign is a bool, not a number),"
        f" got {resp.status_code}: {resp.text[:200]}"
    )
    assert ["body", "transactions", 1, field] in locs(resp), (
        f"the 422 must name loc ['body', 'transactions', 1, {field!r}] (the second transaction); got {locs(resp)}"
    )


@pytest.mark.parametrize("threshold", [0, 1, 1.5, -0.1])
@pytest.mark.rule("threshold-range")
def test_threshold_outside_0_to_1_gives_422(wrapped, threshold):
    ok = post_score(make_client(), {"transactions": [SAFE], "threshold": 0.01})
    assert ok.status_code == 200, f"threshold 0.01 is valid and must be scored, got {ok.status_code}: {ok.text[:200]}"
    resp = post_score(make_client(), {"transactions": [SAFE], "threshold": threshold})
    assert resp.status_code == 422, (
        f"threshold must be strictly between 0 and 1; {threshold} gave {resp.status_code}: {resp.text[:200]}"
    )
    assert ["body", "threshold"] in locs(resp), f"the 422 must name loc ['body', 'threshold'], got {locs(resp)}"


@pytest.mark.parametrize("field", ["amount", "hour", "merchant_risk", "threshold"])
@pytest.mark.parametrize("literal", ["NaN", "Infinity"])
@pytest.mark.rule("nan-inf-422")
def test_raw_nan_and_inf_give_422_not_500(wrapped, field, literal):
    marker = "__BAD__"
    if field == "threshold":
        body = {"transactions": [SAFE], "threshold": marker}
        loc = ["body", "threshold"]
    else:
        body = {"transactions": [dict(SAFE, **{field: marker})]}
        loc = ["body", "transactions", 0, field]
    text = json.dumps(body).replace(f'"{marker}"', literal)
    resp = post_raw(make_client(), text)
    assert resp.status_code == 422, (
        f"a raw {literal} in {field} must give 422, got {resp.status_code}. A 500 means it reached the model, or the"
        " error body echoed the NaN back (pydantic 2's `input`): add your own RequestValidationError handler"
    )
    assert loc in locs(resp), f"the 422 must name loc {loc}; got {locs(resp)}"
    for error in resp.json()["detail"]:
        assert all(isinstance(error.get(key), str) and error[key] for key in ("msg", "type")), (
            f"each 422 error must keep its non-empty 'msg' and 'type' strings (drop only 'input'); got {error}"
        )


# --- the model dependency -------------------------------------------------------------------------------------

@pytest.mark.rule("model-loaded-once")
def test_model_is_loaded_once(monkeypatch, reference_model):
    assert hasattr(fraud_api.get_model, "cache_info"), "get_model must be wrapped in functools.lru_cache"
    loads = []

    def counting_train():
        loads.append(1)
        return PythonFloats(reference_model)

    monkeypatch.setattr(fraud_api, "train_model", counting_train)
    fraud_api.get_model.cache_clear()
    try:
        for client in (make_client(), make_client()):  # two apps in one process share the loaded model
            for _ in range(2):
                resp = post_score(client, {"transactions": [SAFE]})
                assert resp.status_code == 200, f"expected 200, got {resp.status_code}: {resp.text[:200]}"
        assert len(loads) == 1, f"the model was trained/loaded {len(loads)} times for 4 requests; load it once"
        assert fraud_api.get_model.cache_info().misses == 1, "get_model's cache should miss exactly once"
    finally:
        fraud_api.get_model.cache_clear()  # the cached model came from the patched function


@pytest.mark.rule("model-override")
def test_dependency_override_is_honoured(monkeypatch):
    monkeypatch.setattr(fraud_api, "train_model", lambda: pytest.fail("train_model ran although get_model is overridden"))
    clear_model_cache()
    stub = FixedScore(0.75)
    app = fraud_api.create_app()
    app.dependency_overrides[fraud_api.get_model] = lambda: stub
    try:
        resp = post_score(make_client(app), {"transactions": [RISKY, SAFE]})
    finally:
        clear_model_cache()
    assert resp.status_code == 200, f"expected 200 with the stub model, got {resp.status_code}: {resp.text[:200]}"
    assert [r["score"] for r in resp.json()["results"]] == [0.75, 0.75], (
        "the route must get its model from Depends(get_model) so tests can override it"
    )
    assert len(stub.rows) == 1 and stub.rows[0].shape == (2, 4), (
        "the override's predict_proba must get one row of 4 features per transaction"
    )
