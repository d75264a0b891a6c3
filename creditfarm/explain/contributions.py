"""Exact TreeSHAP contributions from LightGBM's own ``pred_contrib`` (the fast, bulk path).

Contributions are in the model's raw output: default log-odds before any calibration. For every
row, the sum over features plus ``_base`` equals the raw output; a positive contribution raises the
default odds and so lowers the score.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from creditfarm.model.estimator import PREDICT_THREADS

__all__ = ["BASE", "booster_of", "contributions_frame", "monotone_map", "raw_output"]

BASE = "_base"


def booster_of(model: Any) -> lgb.Booster:
    """The LightGBM Booster behind ``model`` (a Booster, or anything with ``.booster_``)."""
    seen = 0
    while not isinstance(model, lgb.Booster):
        inner = getattr(model, "booster_", None)
        if inner is None or seen > 3:
            raise TypeError(
                f"cannot explain {type(model).__name__}: expected a LightGBM Booster "
                "or an object with a .booster_ attribute"
            )
        model, seen = inner, seen + 1
    return model


def _aligned(booster: lgb.Booster, X: pd.DataFrame) -> pd.DataFrame:
    names = booster.feature_name()
    missing = [n for n in names if n not in X.columns]
    if missing:
        raise ValueError(f"feature table lacks the model's features: {', '.join(missing[:10])}")
    return X if list(X.columns) == names else X[names]


def contributions_frame(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """One row per row of ``X``: a column per model feature plus ``_base`` (log-odds)."""
    booster = booster_of(model)
    data = _aligned(booster, X)
    names = booster.feature_name()
    if len(data) == 0:
        return pd.DataFrame(columns=[*names, BASE], index=X.index, dtype=float)
    contrib = booster.predict(data, pred_contrib=True, num_threads=PREDICT_THREADS)
    values = np.asarray(contrib, dtype=float)
    if values.shape[1] != len(names) + 1:
        raise ValueError("only single-output (binary) models can be explained")
    return pd.DataFrame(values, columns=[*names, BASE], index=X.index)


def raw_output(model: Any, X: pd.DataFrame) -> np.ndarray:
    """The model's raw score (default log-odds) for each row of ``X``."""
    booster = booster_of(model)
    raw = booster.predict(_aligned(booster, X), raw_score=True, num_threads=PREDICT_THREADS)
    return np.asarray(raw, dtype=float)


def monotone_map(model: Any) -> dict[str, int]:
    """Feature → monotone constraint (+1 raises default log-odds, -1 lowers, 0 none)."""
    booster = booster_of(model)
    names = booster.feature_name()
    params = getattr(booster, "params", None) or {}
    raw = params.get("monotone_constraints") or params.get("monotone_constraint")
    if raw is None:
        return dict.fromkeys(names, 0)
    if isinstance(raw, str):
        raw = [int(float(v)) for v in raw.replace(" ", "").split(",") if v != ""]
    values = [int(v) for v in raw]
    if len(values) != len(names):
        return dict.fromkeys(names, 0)
    return dict(zip(names, values, strict=True))
