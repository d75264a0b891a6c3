"""Calibration where decisions are made: ECE and the top decile by hand, household folds, and
cross-fitted Platt on a case whose true probabilities are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from creditfarm.model import metrics as m
from creditfarm.model.estimator import CreditModel, group_folds


def test_calibration_error_worked_by_hand():
    y = [0, 0, 1, 0, 1, 1, 0, 0, 0, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    # two bins: p .1–.5 (mean .3) with bads 1 + 1 of 5 (.4); p .6–1.0 (mean .8), bads 2 of 5 (.4)
    # ECE = 5/10 · |.3 − .4| + 5/10 · |.8 − .4| = .05 + .2 = .25
    out = m.calibration_error(y, p, bins=2)
    assert out["ece"] == pytest.approx(0.25)
    assert out["top_decile_predicted"] == pytest.approx(0.8)
    assert out["top_decile_observed"] == pytest.approx(0.4)
    assert out["top_decile_gap"] == pytest.approx(-0.4)
    assert (out["top_decile_rows"], out["top_decile_bads"]) == (5, 2)


def test_group_folds_keep_households_whole_and_share_the_bads():
    # households A and B are bad (A has two rows); C, D, E, F good
    groups = ["A", "A", "B", "C", "D", "E", "F"]
    y = [0, 1, 1, 0, 0, 0, 0]
    fold = group_folds(groups, y, folds=2)
    assert fold[0] == fold[1]  # both rows of A in one fold
    # the two bad households dealt one to each fold, the four good ones two to each
    assert {int(fold[0]), int(fold[2])} == {0, 1}
    assert sorted(int(f) for f in fold[3:]) == [0, 0, 1, 1]
    assert list(group_folds(groups, y, folds=2)) == list(fold)  # the same on every run


def test_cross_validated_fit_matches_known_probabilities_in_the_top_decile():
    # True default probability sigmoid(−4 + 1.5 · overdue/50): rare bads, a steep tail; trees
    # and the Platt map come from five household folds, no row set aside.
    rng = np.random.default_rng(7)
    n = 6000
    overdue = rng.uniform(0, 150, n)
    true_p = 1 / (1 + np.exp(-(-4.0 + 1.5 * overdue / 50)))
    y = (rng.uniform(size=n) < true_p).astype(int)
    X = pd.DataFrame({"loan_max_overdue_days": overdue, "household_size": rng.integers(1, 7, n)})
    X = X.astype(float)
    households = np.array([f"H{i}" for i in range(n)])
    model = CreditModel(n_estimators=100, min_rounds=20).fit_cv(
        X[:4400], y[:4400], groups=households[:4400]
    )
    assert model.calibration_["method"] == "platt_crossfit"
    assert model.calibration_["folds"] == 5 and len(model.oof_raw_) == 4400
    assert 20 <= model.best_iteration_ <= 100
    # On the 1,600 rows never used: the riskiest tenth (overdue ≳ 135 days) has a true mean
    # probability of about sigmoid(−4 + 1.5 · 142/50) ≈ 0.58; compared with the true probabilities
    # of the same rows, not with anything the model computed.
    test = slice(4400, None)
    p = model.predict_proba(X[test])[:, 1]
    top = np.argsort(p, kind="stable")[-160:]
    assert p[top].mean() == pytest.approx(true_p[test][top].mean(), abs=0.06)
    # and every household's probability is close to its true one on average
    assert np.mean(np.abs(p - true_p[test])) < 0.04
