"""Robustness on small counties: the early-stopping floor, an increasing calibration map, the
stratified held-out split and the too-few-bads error. Expectations worked by hand."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from creditfarm.model import metrics as m
from creditfarm.model.estimator import CreditModel, best_iteration, fit_calibration
from creditfarm.model.training import (
    MIN_BADS_IN_TIME,
    MIN_BADS_OUT_OF_TIME,
    TooFewBadsError,
    check_bads,
    held_out,
    train_model,
)
from tests.helpers.risk_county import make_county


# -- early stopping with a floor -----------------------------------------------------------------
def test_best_iteration_takes_the_lowest_loss_within_patience():
    curve = [0.50, 0.40, 0.45, 0.30, 0.35, 0.36, 0.10]
    # round 2 beats 1, 3 does not, 4 beats 2, 5 and 6 do not: patience 2 stops before round 7
    assert best_iteration(curve, min_rounds=1, patience=2) == 4
    # patience 3 reaches round 7 (0.10 < 0.30)
    assert best_iteration(curve, min_rounds=1, patience=3) == 7


def test_best_iteration_never_stops_before_the_floor():
    rising = [0.30, 0.31, 0.32, 0.33, 0.34]  # plain early stopping would keep 1 tree
    assert best_iteration(rising, min_rounds=3, patience=1) == 3
    # the floor beyond the curve: the last round
    assert best_iteration(rising, min_rounds=50, patience=5) == 5
    # from round 5 on (0.35), round 7 (0.10) is within patience 2
    curve = [0.50, 0.40, 0.45, 0.30, 0.35, 0.36, 0.10]
    assert best_iteration(curve, min_rounds=5, patience=2) == 7
    assert best_iteration(curve, min_rounds=5, patience=1) == 5


def test_small_noisy_data_keeps_at_least_min_rounds_and_many_scores():
    rng = np.random.default_rng(11)
    n = 400
    X = pd.DataFrame({"annual_income": rng.uniform(1e4, 1e5, n), "x": rng.normal(size=n)})
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-3 - (X["annual_income"] - 5.5e4) / 3e4)))).astype(
        int
    )
    y[:2], y[300:302] = 1, 1  # both parts have bads
    model = CreditModel(min_rounds=40, early_stopping_rounds=10).fit(
        X[:300], y[:300], X_valid=X[300:], y_valid=y[300:]
    )
    assert model.best_iteration_ >= 40
    assert model.booster_.current_iteration() == model.best_iteration_
    # 40 trees on a continuous feature: far more than a handful of distinct probabilities
    assert len(np.unique(np.round(model.predict_proba(X)[:, 1], 9))) > 50


def test_min_rounds_is_checked():
    X = pd.DataFrame({"a": np.arange(20.0)})
    y = np.array([0, 1] * 10)
    bad: Any  # 2.5 is no int on purpose: the runtime check must refuse it too
    for bad in (0, 301, 2.5):
        with pytest.raises(ValueError, match="min_rounds"):
            CreditModel(min_rounds=bad).fit(X, y, X_valid=X, y_valid=y)


# -- calibration must be increasing ----------------------------------------------------------------
def test_calibration_falls_back_to_intercept_when_the_platt_slope_is_negative():
    raw = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array([1, 1, 0, 0])  # the held-out bads have the *lowest* raw scores: slope < 0
    cal = fit_calibration(raw, y)
    assert cal["method"] == "intercept"
    assert cal["a"] == 1.0
    # sigmoid(r + b) must sum to the 2 bads; sigmoid(x) + sigmoid(−x) = 1 and the raw scores are
    # symmetric around 1.5, so b = −1.5: sigmoid(−1.5) + sigmoid(−0.5) + sigmoid(0.5) + sigmoid(1.5)
    # = 1 + 1 = 2
    assert cal["b"] == pytest.approx(-1.5, abs=1e-8)


def test_calibration_keeps_platt_when_its_slope_is_positive():
    raw = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([0, 0, 1, 0, 1, 1])  # bads mostly high: slope > 0, not separable
    cal = fit_calibration(raw, y)
    assert cal["method"] == "platt"
    assert cal["a"] > 0
    # symmetric data (y(r) = 1 − y(5 − r)) put the 50% point at r = 2.5: b = −2.5·a
    assert cal["b"] == pytest.approx(-2.5 * cal["a"], rel=1e-4)


def test_a_held_out_part_with_inverted_outcomes_does_not_invert_the_ranking():
    """Fit: bads at low income (the catalogue's direction). Held out: bads at *high* income, so a
    Platt fit there has a negative slope; the model must still rank as its raw score does."""
    rng = np.random.default_rng(5)
    income = rng.uniform(1e4, 1e5, 600)
    X = pd.DataFrame({"annual_income": income})
    y = (income < 3e4).astype(int)
    X_valid = pd.DataFrame({"annual_income": np.linspace(1e4, 1e5, 40)})
    y_valid = (X_valid["annual_income"] > 8e4).astype(int).to_numpy()
    model = CreditModel(min_rounds=20, n_estimators=40).fit(X, y, X_valid=X_valid, y_valid=y_valid)
    raw_valid = model.raw_score(X_valid)
    # the construction: an unconstrained Platt fit on the held-out part would be decreasing
    slope = LogisticRegression(C=1e6).fit(raw_valid.reshape(-1, 1), y_valid).coef_[0, 0]
    assert slope < 0
    assert model.calibration_["method"] == "intercept"
    assert model.calibration_["a"] == 1.0
    raw, proba = model.raw_score(X), model.predict_proba(X)[:, 1]
    # same order: wherever the raw score is higher, so is the probability
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(proba[order]) >= 0)
    assert m.auc(y, proba) == pytest.approx(m.auc(y, raw))
    assert m.auc(y, proba) > 0.9  # low income is risky, as in the fitting data


# -- the held-out split ----------------------------------------------------------------------------
def test_held_out_split_is_stratified_by_household_outcome():
    hh = [f"B{i}" for i in range(10)] + [f"G{i}" for i in range(40)]
    y = [1] * 10 + [0] * 40
    mask = held_out(hh, y, share=0.2)
    # round(0.2 · 10) = 2 bad households, round(0.2 · 40) = 8 good ones
    assert int(mask[:10].sum()) == 2
    assert int(mask[10:].sum()) == 8
    # stable: the same households on every run and in any row order
    again = held_out(hh[::-1], y[::-1], share=0.2)[::-1]
    assert np.array_equal(mask, again)


def test_held_out_split_has_a_bad_whenever_two_bad_households_exist():
    # round(0.2 · 2) = 0, raised to 1 so both sides see a bad; the other stays for fitting
    hh = ["B0", "B1"] + [f"G{i}" for i in range(20)]
    y = [1, 1] + [0] * 20
    mask = held_out(hh, y)
    assert int(mask[:2].sum()) == 1
    assert int(mask[2:].sum()) == 4  # round(0.2 · 20) = 4


def test_a_household_never_sits_on_both_sides():
    # household X has a bad row and a good row (two observation dates): it is a bad household
    hh = ["X", "X", "Y", "Y", "Z", "W", "V"]
    y = [0, 1, 0, 0, 1, 0, 0]
    mask = held_out(hh, y, share=0.5)
    assert mask[0] == mask[1] and mask[2] == mask[3]
    # bad households X, Z: round(0.5 · 2) = 1 held out; good Y, W, V: round(1.5) = 2 held out
    held = {h for h, k in zip(hh, mask, strict=True) if k}
    assert len(held & {"X", "Z"}) == 1
    assert len(held & {"Y", "W", "V"}) == 2


# -- too few bad outcomes --------------------------------------------------------------------------
def test_check_bads_names_what_was_found_and_what_is_needed():
    in_time = np.array([True] * 100 + [False] * 50)
    y = np.zeros(150, dtype=int)
    y[:19] = 1  # 19 in-time bads, one short of 20
    y[100:110] = 1  # 10 out-of-time bads: enough
    assert MIN_BADS_IN_TIME == 20 and MIN_BADS_OUT_OF_TIME == 10
    with pytest.raises(TooFewBadsError) as err:
        check_bads(y, in_time=in_time)
    assert err.value.found == 19 and err.value.needed == 20
    assert str(err.value).startswith(
        "too few bad outcomes to train: the in-time part has 19 bad outcomes among 100 rows; "
        "at least 20 are needed"
    )
    y[19] = 1  # 20 in time: passes; now take one out of time away
    check_bads(y, in_time=in_time)
    y[109] = 0
    with pytest.raises(TooFewBadsError, match="out-of-time part has 9 bad outcomes among 50 rows"):
        check_bads(y, in_time=in_time)


@pytest.mark.slow
def test_training_a_tiny_county_fails_with_the_counts(sqlite_ws, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    make_county(sqlite_ws, households=30)
    with pytest.raises(TooFewBadsError) as err:
        train_model(sqlite_ws)
    assert err.value.found < err.value.needed
    assert f"at least {err.value.needed} are needed" in str(err.value)
    assert not (sqlite_ws.model_dir / "LATEST").exists()
    assert isinstance(err.value, ValueError)
    assert math.isfinite(err.value.rows) and err.value.rows > 0
