"""Is the model still looking at the population it was trained on? Population stability (PSI)
of the score and of each feature, and what a PSI value means.

PSI bins: ten bins at the deciles of the *expected* (training) distribution, open-ended at both
ends; an empty bin gets a share of 0.0001 so the log is defined. PSI = Σ (a − e) · ln(a / e).

The verdict cut-offs are the usual credit-scoring convention (Siddiqi, *Credit Risk Scorecards*),
a statistical rule of thumb rather than county policy, so they live here and not in policy.toml:
below 0.1 the population is stable, from 0.1 to below 0.25 it needs watching, from 0.25 it has
shifted and the model should be retrained.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "PSI_DRIFT_FROM",
    "PSI_STABLE_BELOW",
    "PSI_VERDICTS",
    "PsiVerdict",
    "feature_psi",
    "psi",
    "psi_verdict",
]

PSI_STABLE_BELOW = 0.10
PSI_DRIFT_FROM = 0.25

PsiVerdict = Literal["stable", "watch", "drift"]
PSI_VERDICTS: dict[PsiVerdict, str] = {"stable": "稳定", "watch": "需关注", "drift": "显著漂移"}

_EPS = 1e-4


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


def feature_psi(
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    *,
    features: Iterable[str],
    top: int | None = 10,
) -> dict[str, float]:
    """PSI of each feature with values on both sides, largest first (the ``top`` largest;
    ``top=None``: every feature)."""
    found = {}
    for name in features:
        before, now = expected[name], actual[name]
        if before.notna().any() and now.notna().any():
            found[name] = psi(before, now)
    ranked = sorted(found.items(), key=lambda kv: -kv[1])
    return dict(ranked if top is None else ranked[:top])


def psi_verdict(value: float) -> PsiVerdict:
    """stable (< PSI_STABLE_BELOW), watch (< PSI_DRIFT_FROM) or drift."""
    if value < PSI_STABLE_BELOW:
        return "stable"
    return "watch" if value < PSI_DRIFT_FROM else "drift"
