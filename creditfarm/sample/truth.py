"""The oracle's side file: each household's true default probability, known only because the
county is generated. For judging the training design (``bench/bench_oracle.py``), never a model
input.

Written to ``<out>/.truth/households.csv``: the importer skips hidden folders (as it skips
Office lock files), so the file is never offered to the import contract nor reported as a file
it could not place.

``true_pd`` is the probability that one loan of the household goes bad (90+ days past due or
次级/可疑/损失), the generator's own: a loan is delinquent with probability
σ(INTERCEPT + risk + ε), ε ~ N(0, 1), and a delinquency is severe (never cured within 90 days)
with probability σ(risk / 2), so

    true_pd = E_ε[σ(INTERCEPT + risk + ε)] · σ(risk / 2),

the expectation by Gauss–Hermite quadrature (40 nodes: exact to far below any difference a
model could make). ``risk`` (the household's latent log-odds) is written beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["TRUTH_DIR", "TRUTH_FILE", "true_default_probability", "write_truth"]

TRUTH_DIR = ".truth"
TRUTH_FILE = "households.csv"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def true_default_probability(risk: np.ndarray, *, intercept: float) -> np.ndarray:
    """E_ε[σ(intercept + risk + ε)] · σ(risk / 2) for ε ~ N(0, 1)."""
    r = np.asarray(risk, dtype=float)
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()  # probabilists' Hermite: weights sum to √(2π)
    delinquent = _sigmoid(intercept + r[:, None] + nodes[None, :]) @ weights
    return np.asarray(delinquent * _sigmoid(0.5 * r), dtype=float)


def write_truth(out: Path, household_no: np.ndarray, risk: np.ndarray, *, intercept: float) -> Path:
    folder = Path(out) / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "household_no": np.asarray(household_no).astype(str),
            "risk": np.round(np.asarray(risk, dtype=float), 6),
            "true_pd": np.round(true_default_probability(risk, intercept=intercept), 8),
        }
    )
    path = folder / TRUTH_FILE
    frame.to_csv(path, index=False, lineterminator="\n")
    return path
