"""CreditModel: LightGBM default model, shaped like a scikit-learn estimator.

- monotone constraints from the feature catalogue (LightGBM ignores them on categorical columns);
- early stopping on a validation set, with a floor: at least ``min_rounds`` trees, then stop
  after ``early_stopping_rounds`` rounds without a better validation log-loss. A county's
  validation part holds a handful of bad loans, so its log-loss is noisy from the first tree; plain
  early stopping then keeps 1–3 trees, a near-constant model whose scores collapse to a few values;
- Platt calibration on held-out data: a logistic fit of the outcome on the booster's raw score.
  Platt rather than isotonic because a county has few bad loans (tens per window): isotonic
  steps would overfit them, Platt has two parameters, is smooth and keeps the ranking (AUC).
  The map must be increasing: a small held-out part can fit a slope ≤ 0, which would turn the
  ranking upside down (a 0.8 AUC model reported at 0.2). Then calibration falls back to
  intercept-only (slope 1, the raw score as offset), which keeps the booster's ranking and only
  moves the mean probability to the held-out bad rate.
- ``fit_cv`` (what training uses): no row set aside. A county's held-out fifth holds a handful of
  bad cases, too few to stop early on or to fit the map where decisions are made (the riskiest
  decile). The number of trees is chosen on the mean out-of-fold log-loss of K household-grouped
  folds, the booster is fitted on every row, and Platt is fitted on the fold boosters'
  out-of-fold raw scores (cross-fitted: every bad case informs the map, none is scored by a
  booster that saw its household).
- compact by default (≤ 300 trees, 15 leaves) so TreeSHAP explanations stay fast.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from creditfarm.features.catalogue import monotone_constraints

# Predictions use every core (0: OpenMP's default). The model is trained on one thread, which
# its saved parameters carry, and a loaded booster would predict on that one too; each row is
# computed whole by one thread, so the figures do not depend on the count. TreeSHAP for a
# county's 111,000 filed households took 23 s on one core.
PREDICT_THREADS = 0

__all__ = [
    "PREDICT_THREADS",
    "CreditModel",
    "NotFittedError",
    "best_iteration",
    "cv_out_of_fold",
    "fit_calibration",
    "group_folds",
]

MAX_TREES = 300
MAX_LEAVES = 15


class _PatienceScan:
    """The rule of ``best_iteration``, one round at a time: ``push`` each round's validation
    loss; it answers True once ``patience`` rounds after ``min_rounds`` brought no
    improvement, and ``best`` is then the 1-based round with the lowest loss so far."""

    def __init__(self, *, min_rounds: int, patience: int, rounds: int) -> None:
        self.start = min(max(int(min_rounds), 1), int(rounds))
        self.patience = int(patience)
        self.seen = 0
        self.best = self.start
        self.best_loss = float("inf")
        self.since = 0

    def push(self, loss: float) -> bool:
        self.seen += 1
        if self.seen < self.start:
            return False
        if self.seen == self.start:
            self.best_loss = loss
            return False
        if loss < self.best_loss:
            self.best, self.best_loss, self.since = self.seen, loss, 0
            return False
        self.since += 1
        return self.since >= self.patience


def best_iteration(curve: Any, *, min_rounds: int, patience: int) -> int:
    """The 1-based round with the lowest validation loss in ``curve`` (one value per round),
    never before ``min_rounds``, scanning on until ``patience`` rounds bring no improvement."""
    losses = np.asarray(curve, dtype=float)
    if losses.ndim != 1 or len(losses) == 0:
        raise ValueError("the validation curve needs one loss per round")
    scan = _PatienceScan(min_rounds=min_rounds, patience=patience, rounds=len(losses))
    for loss in losses.tolist():
        if scan.push(loss):
            break
    return scan.best


class _StopWhenChosen:
    """LightGBM callback: stop growing trees once ``best_iteration`` would have stopped its
    scan. Every later round would be thrown away, so the chosen round, the kept trees and the
    model text are the same as growing all ``rounds``; a county's cross-validation grew 300
    rounds per fold to keep ~160. Reads the mean validation log-loss (``lgb.cv``) or the
    validation log-loss (``lgb.train``)."""

    order = 30  # after record_evaluation, which must see the round it stops on

    def __init__(self, *, min_rounds: int, patience: int, rounds: int) -> None:
        self._scan = _PatienceScan(min_rounds=min_rounds, patience=patience, rounds=rounds)

    def __call__(self, env: Any) -> None:
        (entry,) = [e for e in env.evaluation_result_list if e[1] == "binary_logloss"]
        if self._scan.push(float(entry[2])):
            # Keep every round up to this one in the recorded curve (lgb.cv cuts it there).
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)


def _intercept_only(raw: np.ndarray, target: np.ndarray) -> float:
    """b maximising the likelihood of sigmoid(raw + b): Newton steps on a concave function."""
    b = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(raw + b)))
        grad, hess = float(np.sum(target - p)), float(np.sum(p * (1.0 - p)))
        if hess <= 1e-12:
            break
        step = grad / hess
        b += step
        if abs(step) < 1e-10:
            break
    return b


def fit_calibration(raw: Any, y: Any) -> dict[str, Any]:
    """Platt map ``sigmoid(a · raw + b)`` fitted on held-out raw scores, kept only when its slope
    a is positive (an increasing map keeps the ranking); otherwise intercept-only: a = 1 and b
    moves the mean to the held-out bad rate."""
    scores = np.asarray(raw, dtype=float).reshape(-1)
    target = np.asarray(y, dtype=int).reshape(-1)
    if len(np.unique(target)) < 2:
        raise ValueError("calibration needs both good (0) and bad (1) held-out cases")
    if np.ptp(scores) > 0:
        platt = LogisticRegression(C=1e6, solver="lbfgs")
        platt.fit(scores.reshape(-1, 1), target)
        # Rounded to 10 significant digits: the solver's last digits follow the BLAS threads and
        # the load, and a retrained model must give the same artefacts byte for byte.
        a, b = _stable(platt.coef_[0, 0]), _stable(platt.intercept_[0])
        if a > 0:
            return {"method": "platt", "a": a, "b": b}
    return {"method": "intercept", "a": 1.0, "b": _stable(_intercept_only(scores, target))}


def _stable(value: Any) -> float:
    return float(f"{float(value):.10g}")


def cv_out_of_fold(
    X: pd.DataFrame,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    params: dict[str, Any],
    *,
    rounds: int,
    min_rounds: int,
    patience: int,
    stopper: Any = None,
) -> tuple[np.ndarray, int]:
    """LightGBM cross-validated over ``splits``: the number of trees with the lowest mean
    out-of-fold log-loss (``best_iteration``'s rule; growing stops once it has chosen, by
    ``stopper``, default ``_StopWhenChosen``) and every row's out-of-fold raw score at that
    number of trees."""
    if stopper is None:
        stopper = _StopWhenChosen(min_rounds=min_rounds, patience=patience, rounds=rounds)
    cv = lgb.cv(
        params,
        lgb.Dataset(X, label=y, free_raw_data=False),
        num_boost_round=int(rounds),
        folds=splits,
        stratified=False,
        return_cvbooster=True,
        callbacks=[stopper],
    )
    best = best_iteration(cv["valid binary_logloss-mean"], min_rounds=min_rounds, patience=patience)
    raw = np.zeros(len(y), dtype=float)
    boosters: lgb.CVBooster = cv["cvbooster"]  # type: ignore[assignment]
    for booster, (_, test_idx) in zip(boosters.boosters, splits, strict=True):
        raw[test_idx] = booster.predict(X.iloc[test_idx], raw_score=True, num_iteration=best)
    return raw, best


class CreditModel:
    """LightGBM + Platt calibration. ``fit(X, y, X_valid=..., y_valid=...)``."""

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        num_leaves: int = 15,
        learning_rate: float = 0.05,
        min_child_samples: int = 20,
        early_stopping_rounds: int = 50,
        min_rounds: int = 50,
        monotone: bool = True,
        n_jobs: int = 1,
        random_state: int = 2021,
    ) -> None:
        self.n_estimators = n_estimators
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.min_child_samples = min_child_samples
        self.early_stopping_rounds = early_stopping_rounds
        self.min_rounds = min_rounds
        self.monotone = monotone
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -- scikit-learn protocol ---------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in (
                "n_estimators",
                "num_leaves",
                "learning_rate",
                "min_child_samples",
                "early_stopping_rounds",
                "min_rounds",
                "monotone",
                "n_jobs",
                "random_state",
            )
        }

    def set_params(self, **params: Any) -> CreditModel:
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"unknown parameter {key!r}")
            setattr(self, key, value)
        return self

    def _check_params(self) -> None:
        def positive_int(name: str, upper: int | None = None) -> None:
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
            if upper is not None and value > upper:
                raise ValueError(f"{name} must be at most {upper} (compact model), got {value}")

        positive_int("n_estimators", MAX_TREES)
        positive_int("num_leaves", MAX_LEAVES)
        positive_int("min_child_samples")
        positive_int("early_stopping_rounds")
        positive_int("min_rounds", MAX_TREES)
        positive_int("n_jobs")
        if self.num_leaves < 2:
            raise ValueError("num_leaves must be at least 2")
        lr = self.learning_rate
        if not isinstance(lr, float | int) or isinstance(lr, bool) or not 0 < lr <= 1:
            raise ValueError(f"learning_rate must be in (0, 1], got {lr!r}")
        if not isinstance(self.monotone, bool):
            raise ValueError("monotone must be True or False")

    @staticmethod
    def _check_xy(X: Any, y: Any, what: str) -> tuple[pd.DataFrame, np.ndarray]:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"{what}: X must be a pandas DataFrame with named columns")
        target = np.asarray(y)
        if target.ndim != 1 or len(target) != len(X):
            raise ValueError(f"{what}: y must be 1-dimensional with one value per row of X")
        if len(X) == 0:
            raise ValueError(f"{what}: no rows")
        if pd.isna(target).any() or not set(np.unique(target)) <= {0, 1}:
            raise ValueError(f"{what}: y must hold only 0 (good) and 1 (bad)")
        if len(np.unique(target)) < 2:
            raise ValueError(f"{what}: y needs both good (0) and bad (1) cases")
        return X, target.astype(int)

    def fit(self, X: pd.DataFrame, y: Any, *, X_valid: pd.DataFrame, y_valid: Any) -> CreditModel:
        """Fit on (X, y); stop early and calibrate on (X_valid, y_valid), held out from fitting.
        At least ``min(min_rounds, n_estimators)`` trees are kept."""
        self._check_params()
        X, target = self._check_xy(X, y, "training set")
        X_valid, valid_target = self._check_xy(X_valid, y_valid, "validation set")
        if list(X_valid.columns) != list(X.columns):
            raise ValueError("validation set must have the same columns as the training set")
        names = [str(c) for c in X.columns]
        params = self._lgb_params(names)
        train = lgb.Dataset(X, label=target, free_raw_data=False)
        valid = lgb.Dataset(X_valid, label=valid_target, reference=train)
        # Choose the round on the recorded validation curve (LightGBM's own early stopping has
        # no minimum number of rounds); growing stops once the choice is made.
        curve: dict[str, dict[str, list[float]]] = {}
        booster = lgb.train(
            params,
            train,
            num_boost_round=int(self.n_estimators),
            valid_sets=[valid],
            valid_names=["valid"],
            callbacks=[lgb.record_evaluation(curve), self._stopper()],
        )
        best = best_iteration(
            curve["valid"]["binary_logloss"],
            min_rounds=int(self.min_rounds),
            patience=int(self.early_stopping_rounds),
        )
        # Keep only the trees up to the best iteration so every consumer sees the same model.
        self.booster_ = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
        self.feature_names_ = names
        self.best_iteration_ = int(best)
        raw = np.asarray(self.booster_.predict(X_valid, raw_score=True), dtype=float)
        self.calibration_ = fit_calibration(raw, valid_target)
        return self

    def _stopper(self) -> _StopWhenChosen:
        return _StopWhenChosen(
            min_rounds=int(self.min_rounds),
            patience=int(self.early_stopping_rounds),
            rounds=int(self.n_estimators),
        )

    def _lgb_params(self, names: list[str]) -> dict[str, Any]:
        constraints = monotone_constraints(names) if self.monotone else [0] * len(names)
        return {
            "objective": "binary",
            "metric": "binary_logloss",
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_child_samples": int(self.min_child_samples),
            "monotone_constraints": constraints,
            "monotone_constraints_method": "advanced",
            "num_threads": int(self.n_jobs),
            "seed": int(self.random_state),
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.9,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
        }

    def fit_cv(self, X: pd.DataFrame, y: Any, *, groups: Any, folds: int = 5) -> CreditModel:
        """Fit on every row of (X, y), choosing the number of trees and the calibration by
        cross-validation over ``folds`` household-grouped folds (``group_folds``), so no row is
        set aside: the number of trees is the lowest mean out-of-fold log-loss (with the same
        floor and patience as ``fit``) and the Platt map is fitted on the fold boosters'
        out-of-fold raw scores at that number of trees (``platt_crossfit``)."""
        self._check_params()
        X, target = self._check_xy(X, y, "training set")
        names = [str(c) for c in X.columns]
        params = self._lgb_params(names)
        fold = group_folds(groups, target, folds=folds)
        splits = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(folds)]
        for k, (train_idx, test_idx) in enumerate(splits):
            if len(test_idx) == 0 or len(np.unique(target[train_idx])) < 2:
                raise ValueError(f"fold {k + 1} of {folds} cannot be fitted: too few bad cases")
        raw, best = cv_out_of_fold(
            X,
            target,
            splits,
            params,
            rounds=int(self.n_estimators),
            min_rounds=int(self.min_rounds),
            patience=int(self.early_stopping_rounds),
            stopper=self._stopper(),
        )
        final = lgb.train(params, lgb.Dataset(X, label=target), num_boost_round=best)
        self.booster_ = lgb.Booster(model_str=final.model_to_string())
        self.feature_names_ = names
        self.best_iteration_ = int(best)
        calibration = fit_calibration(raw, target)
        if calibration["method"] == "platt":
            calibration["method"] = "platt_crossfit"
        calibration["folds"] = int(folds)
        self.calibration_ = calibration
        self.oof_raw_ = raw
        return self

    # -- prediction -------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError("CreditModel is not fitted yet: call fit() or load_model()")

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError("X must be a pandas DataFrame with named columns")
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks feature columns: {', '.join(missing)}")
        return X[self.feature_names_]

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """The booster's log-odds (what TreeSHAP explains), before calibration."""
        self._check_fitted()
        # Every core for predictions (one row is one thread's: the figures do not depend on it).
        raw = self.booster_.predict(self._frame(X), raw_score=True, num_threads=PREDICT_THREADS)
        return np.asarray(raw, dtype=float)

    def calibrated_log_odds(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds after calibration: a · raw + b (a > 0, so the ranking is the raw score's)."""
        self._check_fitted()
        return self.calibration_["a"] * self.raw_score(X) + self.calibration_["b"]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, columns [good, bad] as in scikit-learn."""
        bad = 1.0 / (1.0 + np.exp(-self.calibrated_log_odds(X)))
        return np.column_stack([1.0 - bad, bad])

    def predict(self, X: pd.DataFrame, threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= threshold).astype(int)

    @classmethod
    def from_parts(
        cls, *, model_str: str, calibration: dict[str, Any], params: dict[str, Any]
    ) -> CreditModel:
        """Rebuild a fitted model from its saved parts (text model + calibration)."""
        model = cls(**params)
        model.booster_ = lgb.Booster(model_str=model_str)
        model.feature_names_ = list(model.booster_.feature_name())
        model.best_iteration_ = int(model.booster_.current_iteration())
        model.calibration_ = dict(calibration)
        return model


def group_folds(groups: Any, y: Any, *, folds: int) -> np.ndarray:
    """Fold number (0 … folds−1) of each row: whole groups (households) per fold, bad groups and
    the others dealt round-robin separately in the order of a stable hash, so every fold holds
    its share of the bad cases. The same on every run."""
    import hashlib

    keys = np.asarray(groups).astype(str)
    target = np.asarray(y, dtype=int)
    bad = pd.Series(target, index=keys).groupby(level=0).max()
    fold_of: dict[str, int] = {}
    for label in (1, 0):
        members = sorted(
            bad.index[bad.to_numpy() == label],
            key=lambda g: (hashlib.sha256(g.encode()).hexdigest(), g),
        )
        for k, g in enumerate(members):
            fold_of[g] = k % folds
    return np.array([fold_of[g] for g in keys], dtype=int)
