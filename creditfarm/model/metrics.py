"""Discrimination and calibration figures (stability, PSI: ``creditfarm.model.monitoring``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

__all__ = [
    "auc",
    "brier",
    "calibration_by_decile",
    "calibration_error",
    "gini",
    "ks",
    "summary",
]


def _check(y: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("labels and scores must be 1-dimensional and of equal length")
    if len(np.unique(y)) < 2:
        raise ValueError("both good (0) and bad (1) cases are needed")
    return y, p


def auc(y: Any, p: Any) -> float:
    y, p = _check(y, p)
    return float(roc_auc_score(y, p))


def gini(y: Any, p: Any) -> float:
    """Gini = 2·AUC − 1."""
    return 2.0 * auc(y, p) - 1.0


def ks(y: Any, p: Any) -> float:
    """Kolmogorov–Smirnov: the largest gap between the bad and good cumulative distributions."""
    y, p = _check(y, p)
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def brier(y: Any, p: Any) -> float:
    y, p = _check(y, p)
    return float(brier_score_loss(y, p))


def calibration_by_decile(y: Any, p: Any, *, bins: int = 10) -> list[dict[str, float]]:
    """Rows ranked by predicted probability into ``bins`` equal groups: mean predicted vs
    observed."""
    y, p = _check(y, p)
    order = np.argsort(p, kind="stable")
    out = []
    for k, idx in enumerate(np.array_split(order, bins), start=1):
        if len(idx) == 0:
            continue
        out.append(
            {
                "decile": k,
                "count": len(idx),
                "predicted": float(p[idx].mean()),
                "observed": float(y[idx].mean()),
                "bads": int(y[idx].sum()),
            }
        )
    return out


def calibration_error(y: Any, p: Any, *, bins: int = 10) -> dict[str, float]:
    """Where decisions are made: the expected calibration error over the deciles of
    ``calibration_by_decile`` (Σ rows_k / N · |mean predicted_k − observed_k|) and the top
    decile (the riskiest tenth, where declines fall): predicted, observed, their gap (observed −
    predicted) and its rows and bads."""
    rows = calibration_by_decile(y, p, bins=bins)
    total = sum(r["count"] for r in rows)
    top = rows[-1]
    return {
        "ece": float(sum(r["count"] * abs(r["predicted"] - r["observed"]) for r in rows) / total),
        "top_decile_predicted": top["predicted"],
        "top_decile_observed": top["observed"],
        "top_decile_gap": top["observed"] - top["predicted"],
        "top_decile_rows": int(top["count"]),
        "top_decile_bads": int(top["bads"]),
    }


def summary(y: Any, p: Any) -> dict[str, Any]:
    """AUC, KS, Gini, Brier, counts, calibration by decile, ECE and the top decile."""
    y, p = _check(y, p)
    return {
        "n": len(y),
        "bads": int(y.sum()),
        "bad_rate": float(y.mean()),
        "auc": auc(y, p),
        "ks": ks(y, p),
        "gini": gini(y, p),
        "brier": brier(y, p),
        "calibration": calibration_by_decile(y, p),
        "calibration_error": calibration_error(y, p),
    }
