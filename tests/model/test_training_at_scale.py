"""Training at county size costs less and decides the same: growing stops once the round is
chosen (same model text), a county with many bads uses three folds, the scorecard looks its WoE
up by bin index."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from creditfarm.model import estimator
from creditfarm.model.estimator import CreditModel, best_iteration


class _GrowAll:
    order = 30

    def __call__(self, env: Any) -> None:  # never stops
        return None


def _model() -> CreditModel:
    return CreditModel(n_estimators=300, min_rounds=20, early_stopping_rounds=15, monotone=False)


def _data(seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 1200
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.random(n)})
    logit = -2.0 + 1.2 * X["a"] - 0.8 * X["b"] + rng.normal(scale=1.0, size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, np.arange(n) // 2  # two rows a household


@pytest.mark.parametrize("seed", [5, 9])
def test_cross_validation_gives_the_same_model_whether_or_not_growing_stops(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y, groups = _data(seed)
    stopped = _model().fit_cv(X, y, groups=groups, folds=3)
    monkeypatch.setattr(CreditModel, "_stopper", lambda self: _GrowAll())
    grown = _model().fit_cv(X, y, groups=groups, folds=3)
    assert stopped.best_iteration_ == grown.best_iteration_
    assert stopped.best_iteration_ < 300 - 15  # it did stop: the curve turned before the end
    assert stopped.booster_.model_to_string() == grown.booster_.model_to_string()
    assert stopped.calibration_ == grown.calibration_


def test_held_out_fit_gives_the_same_model_whether_or_not_growing_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y, _ = _data(3)
    fit, valid = slice(0, 900), slice(900, None)
    stopped = _model().fit(X[fit], y[fit], X_valid=X[valid], y_valid=y[valid])
    monkeypatch.setattr(CreditModel, "_stopper", lambda self: _GrowAll())
    grown = _model().fit(X[fit], y[fit], X_valid=X[valid], y_valid=y[valid])
    assert stopped.booster_.model_to_string() == grown.booster_.model_to_string()


def test_the_scan_by_hand() -> None:
    # losses by round 1..8; min_rounds 2, patience 2: start at round 2 (0.9), round 3 improves
    # (0.8), rounds 4 and 5 do not (0.85, 0.8 is not below 0.8): stop, best round 3.
    curve = [1.0, 0.9, 0.8, 0.85, 0.8, 0.1, 0.1, 0.1]
    assert best_iteration(curve, min_rounds=2, patience=2) == 3
    scan = estimator._PatienceScan(min_rounds=2, patience=2, rounds=len(curve))
    rounds = 0
    for value in curve:
        rounds += 1
        if scan.push(value):
            break
    assert rounds == 5  # stopped on round 5, the scan's last
    assert scan.best == 3


def test_a_county_with_many_bads_is_cross_validated_over_three_folds() -> None:
    from creditfarm.model.training import calibration_folds

    assert calibration_folds(52) == 5  # the sample county
    assert calibration_folds(999) == 5
    assert calibration_folds(1_000) == 3
    assert calibration_folds(4_011) == 3  # 200,000 households


def test_scorecard_woe_lookup_equals_the_bin_labels_mapped() -> None:
    from creditfarm.model.scorecard import WoEScorecard

    rng = np.random.default_rng(11)
    X = pd.DataFrame({"a": rng.normal(size=600), "b": rng.integers(0, 4, size=600).astype(float)})
    X.loc[rng.random(600) < 0.1, "a"] = np.nan
    y = (rng.random(600) < 0.2).astype(int)
    card = WoEScorecard().fit(X, y)
    # New rows: values beyond every edge, missing values, and the 'b' value 9 no bin held.
    new = pd.DataFrame({"a": [-9.0, 0.0, np.nan, 9.0], "b": [0.0, 9.0, 1.0, np.nan]})
    got = card.transform(new)
    for name in new.columns:
        labels = card._bin(name, new[name])
        expected = [card.woe_[name].get(label, 0.0) for label in labels]
        assert got[name].tolist() == expected
