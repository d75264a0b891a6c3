"""``creditfarm evaluate``'s candidate pipeline: blend weight, the one-standard-error choice,
monotone WoE binning, and the choice on data built to favour one candidate."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from creditfarm.model.estimator import CreditModel
from creditfarm.model.pipeline import best_blend, fit_pipeline, one_standard_error
from creditfarm.model.scorecard import WoEScorecard, monotone_edges


def test_blend_weight_recovers_the_only_separating_mix():
    """booster = s + e and scorecard = s − (3/7)·e, with s = ±1 the outcome and e loud noise:
    0.3·booster + 0.7·scorecard = s + (0.3 − 0.7·3/7)·e = s exactly, so w = 0.3 separates the
    classes perfectly (Platt log-loss → 0); any other weight on the 0.1 grid leaves
    ±e/7 of noise, up to ±2.9, which mixes the classes."""
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 200)
    s = np.where(y == 1, 1.0, -1.0)
    e = rng.uniform(-20, 20, len(y))
    w, loss = best_blend(s + e, s - 3 * e / 7, y)
    assert w == pytest.approx(0.3)
    assert loss < 0.01


def test_one_standard_error_keeps_the_simpler_candidate_within_noise():
    # Per-row losses: the complex candidate is better by 0.01 on average, and the paired
    # differences are ±0.1 alternating around that: sd ≈ 0.1, se ≈ 0.1/√100 = 0.01 ≥ 0.01.
    simple_rows = np.full(100, 0.50)
    diff = 0.01 + 0.1 * np.tile([1.0, -1.0], 50)
    complex_rows = simple_rows - diff
    simple = SimpleNamespace(loss=float(simple_rows.mean()), rows=simple_rows)
    complex_ = SimpleNamespace(loss=float(complex_rows.mean()), rows=complex_rows)
    assert one_standard_error([simple, complex_]) is simple
    # Ten times clearer (the same mean gain, differences ±0.01): se ≈ 0.001, the complex wins.
    clear_rows = simple_rows - (0.01 + 0.01 * np.tile([1.0, -1.0], 50))
    clear = SimpleNamespace(loss=float(clear_rows.mean()), rows=clear_rows)
    assert one_standard_error([simple, clear]) is clear


def test_monotone_edges_pool_the_violating_bins_by_hand():
    # Values 1…4, 50 rows each; bad rates 0.1, 0.3, 0.2, 0.5: the rate rises with the value
    # but dips at 3, so bins 2 and 3 pool (rate 0.25). The 4 quantile pre-bins have edges
    # 1.75, 2.5, 3.25 (linear interpolation between the 50th/51st, 100th/101st and
    # 150th/151st of 200 sorted values), so the pooled bins keep 1.75 and 3.25.
    values = np.repeat([1.0, 2.0, 3.0, 4.0], 50)
    bads = [5, 15, 10, 25]
    y = np.concatenate([np.r_[np.ones(b), np.zeros(50 - b)] for b in bads])
    assert monotone_edges(values, y, prebins=4, min_share=0.05) == [1.75, 3.25]
    # A falling trend the other way round pools likewise (rates 0.5, 0.2, 0.3, 0.1).
    assert monotone_edges(values, y[::-1], prebins=4, min_share=0.05) == [1.75, 3.25]
    # With a 30% minimum share the three bins (25%, 50%, 25%) merge again: the smallest bin
    # (1: rate 0.1) joins its only neighbour, then the last (rate 0.5) joins the middle.
    assert monotone_edges(values, y, prebins=4, min_share=0.3) == []


def test_monotone_scorecard_pools_rare_categories():
    X = pd.DataFrame({"c": ["a"] * 60 + ["b"] * 36 + ["r1"] * 2 + ["r2"] * 2})
    y = np.r_[np.tile([0, 1], 30), np.tile([0, 0, 1], 12), [1, 1, 0, 0]]
    card = WoEScorecard(binning="monotone", min_share=0.05).fit(X, y)
    assert card.binning_["c"]["rare"] == ["r1", "r2"]
    # r1 and r2 share one bin: 2 goods, 2 bads → the same WoE for both
    probs = card.predict_proba(pd.DataFrame({"c": ["r1", "r2"]}))[:, 1]
    assert probs[0] == pytest.approx(probs[1])
    # the default quantile binning keeps every category apart
    plain = WoEScorecard().fit(X, y)
    assert set(plain.woe_["c"]) == {"a", "b", "r1", "r2"}


def _linear_in_woe(n: int = 800, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Risk adds up over eight categorical columns of four levels, each level its own
    log-odds step (−0.6, −0.2, 0.2, 0.6): the WoE logistic scorecard is the true model, and
    800 rows are few for trees."""
    rng = np.random.default_rng(seed)
    effect = np.array([-0.6, -0.2, 0.2, 0.6])
    X = pd.DataFrame(index=range(n))
    logit = np.full(n, -1.0)
    for j in range(8):
        code = rng.integers(0, 4, n)
        X[f"c{j}"] = pd.Categorical([f"v{k}" for k in code])
        logit += effect[code]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.mark.slow
def test_pipeline_chooses_an_additive_model_when_risk_is_linear_in_woe():
    """Both the WoE scorecard and LightGBM stumps (one split a tree: a sum of per-column
    steps) are the true model's form; the deeper boosters are not. The choice must be one of
    the two additive ones, and the scorecard alone must beat every deeper booster alone."""
    X, y = _linear_in_woe()
    model = fit_pipeline(X, y, seed=2021)
    assert model.choice_ in ("scorecard", "lightgbm-stumps")
    assert model.losses_["scorecard"] < model.losses_["lightgbm-default"]
    p = model.predict_proba(X)[:, 1]
    # calibrated on out-of-fold scores: the mean prediction is the bad rate, to a point
    assert abs(p.mean() - y.mean()) < 0.01


@pytest.mark.slow
def test_pipeline_chooses_trees_when_risk_is_an_interaction():
    rng = np.random.default_rng(11)
    n = 3000
    income = rng.uniform(0, 10, n)
    industry = rng.choice(["务工", "种植"], n)
    risky = np.where(industry == "务工", income < 5, income >= 5)
    y = (rng.uniform(size=n) < np.where(risky, 0.25, 0.03)).astype(int)
    X = pd.DataFrame({"income": income, "industry": pd.Categorical(industry)})
    model = fit_pipeline(X, y, seed=2021)
    assert model.choice_ != "scorecard" and model.booster_ is not None


def test_default_booster_alone_is_the_county_models_fit_cv():
    """``candidates=("default",)`` is ``CreditModel(monotone=False).fit_cv`` with one row per
    group: the same trees, the same calibrated probabilities."""
    rng = np.random.default_rng(4)
    n = 600
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-1.0 + X["x1"] - 0.5 * X["x2"])))).astype(int)
    piped = fit_pipeline(X, y.to_numpy(), seed=7, candidates=("default",))
    county = CreditModel(monotone=False, random_state=7).fit_cv(
        X, y.to_numpy(), groups=np.arange(n), folds=5
    )
    assert piped.choice_ == "lightgbm-default" and piped.scorecard_ is None
    np.testing.assert_allclose(piped.raw_score(X), county.raw_score(X))
    np.testing.assert_allclose(piped.predict_proba(X), county.predict_proba(X), rtol=1e-9)


def test_pipeline_rejects_unknown_candidates():
    X, y = _linear_in_woe(n=200)
    with pytest.raises(ValueError, match="unknown candidates"):
        fit_pipeline(X, y, candidates=("forest",))
