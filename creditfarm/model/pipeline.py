"""``creditfarm evaluate``'s model: a small candidate set, chosen by inner cross-validation.

Why a choice at all: no single learner wins on every credit table. On a few hundred bad cases with
mostly categorical, monotone-ish features (German credit) a WoE logistic scorecard ranks better
than trees; on thousands of rows with interactions (UCI card sample) a booster does; a blend of
the two is often better than either, because the scorecard's smooth, additive log-odds and the
booster's interactions make different errors. Which one fits a bank's table is an empirical
question, so it is answered on that table, by the training rows only — never tuned per data set.

How (``fit_pipeline``):

1. One set of inner folds on the training rows (``group_folds``: stratified by outcome, whole
   groups per fold; one row = one group unless ``groups`` is given).
2. Candidates, each scored out of fold on those folds:

   - the WoE scorecard (``WoEScorecard`` with monotone binning);
   - LightGBM ``stumps``: one split per tree (an additive model, like a scorecard with learnt
     bins);
   - LightGBM ``small``: fewer, larger leaves and a stronger L2 penalty (4 leaves, 50 rows a
     leaf, λ = 10), the usual small-data setting: a few hundred bads cannot support 15-leaf
     interactions;
   - LightGBM ``default``: the county model's configuration (15 leaves, 20 rows a leaf);
   - for each booster, a blend ``w · booster log-odds + (1 − w) · scorecard log-odds`` with
     ``w`` on a grid of 0.1 steps (w = 0 is the scorecard, w = 1 the booster).

   Each booster's number of trees is the lowest mean out-of-fold log-loss on the inner folds
   (with ``CreditModel``'s floor and patience); its out-of-fold raw scores are taken at that
   number of trees, the scorecard's from a scorecard fitted without the fold.
3. Each candidate is scored by its out-of-fold log-loss after a Platt map fitted on its
   out-of-fold scores. Log-loss, a proper score, rewards ranking and calibration at once (AUC
   alone would ignore the Brier side; the Platt step puts every candidate on the same footing
   whatever the scale of its raw score). The winner is the simplest candidate (in the order
   above, blends last) within one standard error of the lowest loss (``one_standard_error``):
   the inner scores are noisy on a few hundred bads, and a complex model should beat a simple
   one by more than that noise.
4. The winner is refitted on every training row (booster with the chosen number of trees and/or
   scorecard), and its Platt map is the one fitted on the out-of-fold scores (cross-fitted: no
   row is calibrated by a model that learnt it).

The county model (``training.py``) keeps the ``default`` LightGBM alone (``CreditModel.fit_cv``):
its grades are explained with TreeSHAP, exact only for a booster's own log-odds, and a blend
with the scorecard would need a second, different explanation; 200,000 households also support
the default configuration, and three boosters would triple a training that must stay within a
minute. ``candidates=("default",)`` gives that same single-booster pipeline here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from creditfarm.model.estimator import CreditModel, cv_out_of_fold, fit_calibration, group_folds
from creditfarm.model.scorecard import WoEScorecard

__all__ = [
    "BLEND_WEIGHTS",
    "BOOSTERS",
    "PipelineModel",
    "best_blend",
    "fit_pipeline",
    "one_standard_error",
    "platt_log_loss",
]

# LightGBM settings on top of CreditModel's (see the module docstring for why these three).
# From the simplest to the most complex: the order in which the one-standard-error rule
# prefers them.
# ``rounds``: the most trees the inner CV may choose. A tree of 2 or 4 leaves learns less than
# one of 15, so the smaller configurations get a larger budget (the county model's 300-tree cap
# keeps its TreeSHAP fast; evaluate explains nothing, and small trees are cheap).
BOOSTERS: dict[str, dict[str, Any]] = {
    "stumps": {"num_leaves": 2, "min_child_samples": 20, "lambda_l2": 1.0, "rounds": 1000},
    "small": {"num_leaves": 4, "min_child_samples": 50, "lambda_l2": 10.0, "rounds": 1000},
    "default": {},
}
SCORECARD = "scorecard"
# Blend weights of the booster's log-odds (0 = scorecard alone, 1 = booster alone).
BLEND_WEIGHTS = tuple(round(0.1 * k, 1) for k in range(11))


def platt_log_loss(raw: Any, y: Any) -> tuple[float, dict[str, Any]]:
    """Mean log-loss of ``y`` under the Platt map fitted on ``raw`` (``fit_calibration``), and
    the map."""
    scores = np.asarray(raw, dtype=float)
    target = np.asarray(y, dtype=int)
    calibration = fit_calibration(scores, target)
    z = calibration["a"] * scores + calibration["b"]
    # log(1 + e^z) − y·z, computed stably.
    loss = float(np.mean(np.logaddexp(0.0, z) - target * z))
    return loss, calibration


def _row_losses(raw: np.ndarray, y: np.ndarray) -> np.ndarray:
    calibration = fit_calibration(raw, y)
    z = calibration["a"] * raw + calibration["b"]
    return np.asarray(np.logaddexp(0.0, z) - y * z, dtype=float)


def best_blend(
    booster_raw: Any, scorecard_raw: Any, y: Any, weights: tuple[float, ...] = BLEND_WEIGHTS
) -> tuple[float, float]:
    """The weight w (of ``weights``) whose blend ``w · booster + (1 − w) · scorecard`` has the
    lowest Platt log-loss on ``y``, and that loss. Ties go to the first weight."""
    a = np.asarray(booster_raw, dtype=float)
    b = np.asarray(scorecard_raw, dtype=float)
    best: tuple[float, float] | None = None
    for w in weights:
        loss, _ = platt_log_loss(w * a + (1.0 - w) * b, y)
        if best is None or loss < best[1] - 1e-12:
            best = (float(w), loss)
    assert best is not None
    return best


def one_standard_error(tried: list[Any]) -> Any:
    """The first (simplest) of ``tried`` whose mean out-of-fold loss is within one standard
    error of the best's; the standard error is that of the mean per-row difference between the
    two (paired: same rows). Each item has ``loss`` (mean) and ``rows`` (per-row losses).

    Why: the inner cross-validation scores are noisy (a German-credit training fold holds 240
    bads) and slightly flatter the boosters, whose number of trees is chosen on the same folds;
    the one-standard-error rule (Breiman et al., 1984) keeps the simpler model unless the
    complex one is better by more than that noise."""
    best = min(tried, key=lambda c: c.loss)
    for c in tried:
        diff = np.asarray(c.rows) - np.asarray(best.rows)
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
        if c.loss - best.loss <= se:
            return c
    return best


def _scorecard_log_odds(card: WoEScorecard, X: pd.DataFrame) -> np.ndarray:
    return np.asarray(card.logit_.decision_function(card.transform(X)), dtype=float)


@dataclass
class _Candidate:
    booster: str | None  # a BOOSTERS key, or None for the scorecard alone
    weight: float  # of the booster's log-odds (1.0 for a booster alone)
    loss: float
    rows: np.ndarray  # out-of-fold log-loss of each row under the candidate's Platt map

    @property
    def name(self) -> str:
        if self.booster is None or self.weight == 0.0:
            return SCORECARD
        if self.weight == 1.0:
            return f"lightgbm-{self.booster}"
        return f"blend-{self.booster}-{self.weight:.1f}"


class PipelineModel:
    """The chosen candidate refitted on every training row, with its cross-fitted Platt map.

    ``calibrated_log_odds = a · (w · booster raw + (1 − w) · scorecard log-odds) + b``; a booster
    alone has w = 1 and no scorecard, the scorecard alone w = 0 and no booster."""

    def __init__(
        self,
        *,
        booster: lgb.Booster | None,
        scorecard: WoEScorecard | None,
        weight: float,
        calibration: dict[str, Any],
        choice: str,
        losses: dict[str, float],
        feature_names: list[str],
    ) -> None:
        self.booster_ = booster
        self.scorecard_ = scorecard
        self.weight_ = float(weight)
        self.calibration_ = calibration
        self.choice_ = choice
        self.losses_ = losses
        self.feature_names_ = feature_names

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """The blended log-odds before calibration."""
        frame = X[self.feature_names_]
        total = np.zeros(len(frame), dtype=float)
        if self.booster_ is not None and self.weight_ > 0:
            total += self.weight_ * np.asarray(self.booster_.predict(frame, raw_score=True))
        if self.scorecard_ is not None and self.weight_ < 1:
            total += (1.0 - self.weight_) * _scorecard_log_odds(self.scorecard_, frame)
        return total

    def calibrated_log_odds(self, X: pd.DataFrame) -> np.ndarray:
        return self.calibration_["a"] * self.raw_score(X) + self.calibration_["b"]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, columns [good, bad] as in scikit-learn."""
        bad = 1.0 / (1.0 + np.exp(-self.calibrated_log_odds(X)))
        return np.column_stack([1.0 - bad, bad])


def _params(base_params: dict[str, Any], name: str) -> dict[str, Any]:
    return {**base_params, **{k: v for k, v in BOOSTERS[name].items() if k != "rounds"}}


def _budget(base: CreditModel, name: str) -> int:
    return int(BOOSTERS[name].get("rounds", base.n_estimators))


def fit_pipeline(
    X: pd.DataFrame,
    y: Any,
    *,
    seed: int = 2021,
    folds: int = 5,
    groups: Any = None,
    candidates: tuple[str, ...] = (*BOOSTERS, SCORECARD),
) -> PipelineModel:
    """Choose among ``candidates`` (``BOOSTERS`` keys and ``"scorecard"``; blends are tried
    whenever both a booster and the scorecard are candidates) by inner ``folds``-fold
    cross-validation on (X, y), refit the winner on every row, calibrate it on its out-of-fold
    scores. See the module docstring."""
    target = np.asarray(y, dtype=int)
    if not isinstance(X, pd.DataFrame):
        raise TypeError("X must be a pandas DataFrame with named columns")
    if len(target) != len(X) or len(np.unique(target)) < 2:
        raise ValueError("y needs one 0/1 value per row of X, with both classes")
    unknown = [c for c in candidates if c not in BOOSTERS and c != SCORECARD]
    if unknown or not candidates:
        raise ValueError(f"unknown candidates: {unknown}; choose from {[*BOOSTERS, SCORECARD]}")
    names = [str(c) for c in X.columns]
    keys = np.arange(len(target)) if groups is None else np.asarray(groups)
    fold = group_folds(keys, target, folds=folds)
    splits = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(folds)]
    for k, (train_idx, test_idx) in enumerate(splits):
        if len(test_idx) == 0 or len(np.unique(target[train_idx])) < 2:
            raise ValueError(f"fold {k + 1} of {folds} cannot be fitted: too few bad cases")

    base = CreditModel(monotone=False, random_state=seed)
    base._check_params()
    base_params = base._lgb_params(names)
    boosters = [c for c in candidates if c in BOOSTERS]
    oof: dict[str, np.ndarray] = {}
    rounds: dict[str, int] = {}
    for name in boosters:
        oof[name], rounds[name] = cv_out_of_fold(
            X,
            target,
            splits,
            _params(base_params, name),
            rounds=_budget(base, name),
            min_rounds=int(base.min_rounds),
            patience=int(base.early_stopping_rounds),
        )
    card_oof: np.ndarray | None = None
    if SCORECARD in candidates:
        card_oof = np.zeros(len(target), dtype=float)
        for train_idx, test_idx in splits:
            card = WoEScorecard(binning="monotone").fit(X.iloc[train_idx], target[train_idx])
            card_oof[test_idx] = _scorecard_log_odds(card, X.iloc[test_idx])

    # Candidates from the simplest (the scorecard) to the most complex (blends).
    tried: list[_Candidate] = []

    def add(booster: str | None, weight: float, raw: np.ndarray) -> None:
        rows = _row_losses(raw, target)
        tried.append(_Candidate(booster, weight, float(rows.mean()), rows))

    if card_oof is not None:
        add(None, 0.0, card_oof)
    for name in boosters:
        add(name, 1.0, oof[name])
    if card_oof is not None:
        for name in boosters:
            inner = tuple(w for w in BLEND_WEIGHTS if 0.0 < w < 1.0)
            w, _ = best_blend(oof[name], card_oof, target, inner)
            add(name, w, w * oof[name] + (1.0 - w) * card_oof)
    chosen = one_standard_error(tried)
    weight = chosen.weight if chosen.booster is not None else 0.0
    blended = np.zeros(len(target), dtype=float)
    booster: lgb.Booster | None = None
    scorecard: WoEScorecard | None = None
    if chosen.booster is not None and weight > 0:
        params = _params(base_params, chosen.booster)
        final = lgb.train(
            params, lgb.Dataset(X, label=target), num_boost_round=rounds[chosen.booster]
        )
        booster = lgb.Booster(model_str=final.model_to_string())
        blended += weight * oof[chosen.booster]
    if weight < 1:
        assert card_oof is not None
        scorecard = WoEScorecard(binning="monotone").fit(X, target)
        blended += (1.0 - weight) * card_oof
    calibration = fit_calibration(blended, target)
    calibration["folds"] = int(folds)
    return PipelineModel(
        booster=booster,
        scorecard=scorecard,
        weight=weight,
        calibration=calibration,
        choice=chosen.name,
        losses={c.name: c.loss for c in tried},
        feature_names=names,
    )
