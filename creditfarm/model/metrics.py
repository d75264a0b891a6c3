"""Discrimination, calibration and stability figures.

PSI bins: ten bins at the deciles of the *expected* (training) distribution, open-ended at both
ends; an empty bin gets a share of 0.0001 so the log is defined. PSI = Σ (a − e) · ln(a / e).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

__all__ = ["auc", "brier", "calibration_by_decile", "gini", "ks", "psi", "summary"]

_EPS = 1e-4


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


def psi(expected: Any, actual: Any, *, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (bins: expected deciles)."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    if len(e) == 0 or len(a) == 0:
        raise ValueError("both populations need values")
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    e_share = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1) / len(
        e
    )
    a_share = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1) / len(
        a
    )
    e_share = np.maximum(e_share, _EPS)
    a_share = np.maximum(a_share, _EPS)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def summary(y: Any, p: Any) -> dict[str, Any]:
    """AUC, KS, Gini, Brier, counts and calibration by decile."""
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
    }
