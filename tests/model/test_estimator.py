"""CreditModel: parameter checks, not-fitted errors, monotone constraints, calibration, artefact
round trip; metrics and the WoE scorecard worked by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from creditfarm.model import metrics as m
from creditfarm.model.artefacts import (
    latest_version,
    load_bundle,
    load_model,
    read_report,
    save_model,
    saved_versions,
)
from creditfarm.model.estimator import CreditModel, NotFittedError
from creditfarm.model.scorecard import WoEScorecard
from creditfarm.settings import DEFAULT_POLICY_FILE


def _data(n: int = 1200, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Risk falls with income and rises with past overdue days, plus a wiggle the model would
    follow without constraints."""
    rng = np.random.default_rng(seed)
    income = rng.uniform(10000, 100000, n)
    overdue = rng.integers(0, 200, n).astype(float)
    noise = rng.normal(size=n)
    logit = -2.5 - (income - 55000) / 20000 + overdue / 80 + np.sin(income / 4000) + 0.5 * noise
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame(
        {
            "annual_income": income,
            "loan_max_overdue_days": overdue,
            "household_size": rng.integers(1, 7, n).astype(float),
        }
    )
    return X, y


@pytest.fixture(scope="module")
def fitted() -> tuple[CreditModel, pd.DataFrame, np.ndarray]:
    X, y = _data()
    model = CreditModel(n_estimators=120).fit(X[:900], y[:900], X_valid=X[900:], y_valid=y[900:])
    return model, X, y


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("n_estimators", 0),
        ("n_estimators", 301),
        ("n_estimators", 2.5),
        ("num_leaves", 16),
        ("num_leaves", 1),
        ("learning_rate", 0.0),
        ("learning_rate", 1.5),
        ("learning_rate", "fast"),
        ("min_child_samples", 0),
        ("early_stopping_rounds", 0),
        ("min_rounds", 0),
        ("min_rounds", 301),
        ("n_jobs", 0),
        ("monotone", "yes"),
    ],
)
def test_each_bad_parameter_is_refused_at_fit(param, value):
    X, y = _data(200)
    model = CreditModel().set_params(**{param: value})
    with pytest.raises(ValueError, match=param):
        model.fit(X[:150], y[:150], X_valid=X[150:], y_valid=y[150:])


def test_bad_data_is_refused_at_fit():
    X, y = _data(200)
    with pytest.raises(TypeError):
        CreditModel().fit(X.to_numpy(), y, X_valid=X, y_valid=y)
    with pytest.raises(ValueError, match="one value per row"):
        CreditModel().fit(X, y[:-1], X_valid=X, y_valid=y)
    with pytest.raises(ValueError, match="only 0"):
        CreditModel().fit(X, np.where(y == 1, 2, 0), X_valid=X, y_valid=y)
    with pytest.raises(ValueError, match="both good"):
        CreditModel().fit(X, np.zeros(len(y), dtype=int), X_valid=X, y_valid=y)
    with pytest.raises(ValueError, match="same columns"):
        CreditModel().fit(X, y, X_valid=X[["annual_income"]], y_valid=y)
    with pytest.raises(ValueError, match="unknown parameter"):
        CreditModel().set_params(depth=3)


def test_unfitted_model_raises_not_fitted():
    X, _ = _data(10)
    for call in (CreditModel().predict_proba, CreditModel().raw_score):
        with pytest.raises(NotFittedError):
            call(X)


def test_monotone_constraints_from_the_catalogue(fitted):
    model, X, _ = fitted
    grid = np.linspace(10000, 100000, 60)
    for _, base in X.head(20).iterrows():
        rows = pd.DataFrame([base] * len(grid))
        rows["annual_income"] = grid  # catalogue: −1 (more income, less risk)
        assert np.all(np.diff(model.raw_score(rows)) <= 1e-12)
        rows = pd.DataFrame([base] * 50)
        rows["loan_max_overdue_days"] = np.linspace(0, 200, 50)  # catalogue: +1
        assert np.all(np.diff(model.raw_score(rows)) >= -1e-12)


def test_calibration_is_a_platt_map_of_the_raw_score(fitted):
    model, X, y = fitted
    a, b = model.calibration_["a"], model.calibration_["b"]
    assert model.calibration_["method"] == "platt"
    raw = model.raw_score(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-(a * raw + b))))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # a monotone map keeps the ranking: AUC of probability = AUC of raw score
    assert m.auc(y, proba[:, 1]) == pytest.approx(m.auc(y, raw))
    assert model.best_iteration_ <= 120
    assert model.feature_names_ == list(X.columns)


def test_artefact_round_trip_gives_identical_predictions(fitted, tmp_path):
    model, X, _ = fitted
    path = save_model(
        tmp_path,
        version="2022-06-30-abcdef12",
        model=model,
        policy_file=DEFAULT_POLICY_FILE,
        fingerprint={"rows": 1},
        metrics={"auc": 0.8},
        card="# card\n",
    )
    names = {p.name for p in path.iterdir()}
    assert names == {
        "model.txt",
        "features.json",
        "calibration.json",
        "params.json",
        "policy.toml",
        "fingerprint.json",
        "metrics.json",
        "model_card.md",
    }
    assert not any(p.suffix in (".pkl", ".pickle", ".joblib") for p in tmp_path.rglob("*"))
    assert latest_version(tmp_path) == "2022-06-30-abcdef12"
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.raw_score(X), model.raw_score(X))
    features = json.loads((path / "features.json").read_text(encoding="utf-8"))
    assert features["features"] == list(X.columns)
    assert features["catalogue"][0]["zh"] == "家庭年收入"
    bundle = load_bundle(tmp_path)
    assert (bundle.version, bundle.metrics) == ("2022-06-30-abcdef12", {"auc": 0.8})
    assert read_report(tmp_path, "2022-06-30-abcdef12") == ({"auc": 0.8}, "# card\n")


def test_saved_versions_put_latest_first(tmp_path):
    assert saved_versions(tmp_path / "none") == []
    for version in ("2021-06-30-aaaa", "2022-06-30-bbbb", "2020-06-30-cccc"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "model.txt").write_text("tree\n", encoding="utf-8")
    (tmp_path / "2023-06-30-broken").mkdir()  # no model.txt: not a saved version
    (tmp_path / "LATEST").write_text("2021-06-30-aaaa\n", encoding="utf-8")
    assert saved_versions(tmp_path) == ["2021-06-30-aaaa", "2022-06-30-bbbb", "2020-06-30-cccc"]
    (tmp_path / "LATEST").write_text("2019-01-01-gone\n", encoding="utf-8")  # names no version
    assert saved_versions(tmp_path) == ["2022-06-30-bbbb", "2021-06-30-aaaa", "2020-06-30-cccc"]
    assert read_report(tmp_path, "2020-06-30-cccc") == ({}, "")


def test_metrics_worked_by_hand():
    y = [0, 0, 1, 1]
    p = [0.1, 0.4, 0.35, 0.8]
    # bad-over-good pairs: 0.35>0.1 yes, 0.35>0.4 no, 0.8>both yes → 3/4
    assert m.auc(y, p) == pytest.approx(0.75)
    assert m.gini(y, p) == pytest.approx(0.5)
    # descending: 0.8 bad (tpr .5, fpr 0) → 0.4 good (.5,.5) → 0.35 bad (1,.5): KS = 0.5
    assert m.ks(y, p) == pytest.approx(0.5)
    # (0.01 + 0.16 + 0.4225 + 0.04) / 4 = 0.158125
    assert m.brier(y, p) == pytest.approx(0.158125)
    cal = m.calibration_by_decile(y, p, bins=2)
    # lower half: 0.1 (good), 0.35 (bad); upper half: 0.4 (good), 0.8 (bad)
    assert [(c["predicted"], c["observed"]) for c in cal] == [
        (pytest.approx(0.225), 0.5),
        (pytest.approx(0.6), 0.5),
    ]


def test_woe_scorecard_worked_by_hand():
    X = pd.DataFrame({"x": ["a", "a", "a", "a", "b", "b", "b", "b"]})
    y = [0, 0, 0, 1, 0, 1, 1, 1]
    card = WoEScorecard().fit(X, y)
    # 4 goods, 4 bads; a: 3 good 1 bad → ln((3.5/4)/(1.5/4)) = ln(7/3) = 0.8473; b: −0.8473
    assert card.woe_["x"]["a"] == pytest.approx(math.log(7 / 3))
    assert card.woe_["x"]["b"] == pytest.approx(-math.log(7 / 3))
    proba = card.predict_proba(pd.DataFrame({"x": ["a", "b", "zzz"]}))[:, 1]
    assert proba[1] > proba[0]  # b is riskier
    with pytest.raises(NotFittedError):
        WoEScorecard().predict_proba(X)
