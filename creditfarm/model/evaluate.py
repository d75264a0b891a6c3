"""``creditfarm evaluate``: a bank's own feature table, this model pipeline vs the scorecard.

Stratified, seeded K-fold. In each fold the model pipeline (``fit_pipeline``, see
``creditfarm.model.pipeline``: LightGBM configurations, the WoE scorecard and their blends
compared by an inner cross-validation on the training fold, the winner refitted on the whole
training fold and Platt-calibrated on its out-of-fold scores) and the WoE scorecard baseline
(the whole training fold) are fitted on the same rows and scored on the same test fold.
Figures are means over folds.
Numeric columns stay numbers (gaps allowed); text columns become categories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from creditfarm.model import metrics as m
from creditfarm.model.pipeline import PipelineModel
from creditfarm.model.pipeline import fit_pipeline as _fit_pipeline
from creditfarm.model.scorecard import WoEScorecard

__all__ = [
    "EvaluateResult",
    "TableError",
    "evaluate_table",
    "fit_pipeline",
    "prepare_table",
    "read_table",
]

_MISSING = {"", "-", "无", "/", "null", "NULL", "nan", "NaN", "NA"}


class TableError(ValueError):
    """Bad input: names the file, line and column."""


@dataclass
class EvaluateResult:
    folds: int
    rows: int
    bads: int
    model: dict[str, float]
    baseline: dict[str, float]
    per_fold: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"folds": self.folds, "model": self.model, "baseline": self.baseline}


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8, BOM or GB18030) or Parquet table, every cell as text or number as stored."""
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: file not found")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if path.suffix.lower() not in (".csv", ".txt"):
        raise TableError(f"{path}: expected a .csv or .parquet file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(f"{path}: neither UTF-8 nor GB18030 text")


def _line(frame: pd.DataFrame, pos: int) -> int:
    return pos + 2  # line 1 is the header


def prepare_table(
    frame: pd.DataFrame,
    *,
    label: str,
    bad: str | None = None,
    id_col: str | None = None,
    source: str = "table",
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features (numbers or categories) and the 0/1 label; clear errors for bad input."""
    for name, what in ((label, "--label"), (id_col, "--id")):
        if name is not None and name not in frame.columns:
            raise TableError(
                f"{source}: no column {name!r} ({what}); columns: "
                + ", ".join(map(str, frame.columns))
            )
    raw = frame[label].astype("string").str.strip()
    y = np.zeros(len(frame), dtype=int)
    for pos, value in enumerate(raw):
        where = f"{source}, line {_line(frame, pos)}, column {label!r}"
        if value is pd.NA or value in _MISSING:
            raise TableError(f"{where}: the label is missing")
        if bad is not None:
            y[pos] = int(value == bad)
        elif value in ("1", "1.0"):
            y[pos] = 1
        elif value not in ("0", "0.0"):
            raise TableError(
                f"{where}: label {value!r} is not 1/0 (use --bad to name the bad class)"
            )
    if len(np.unique(y)) < 2:
        raise TableError(
            f"{source}: column {label!r} holds only one class"
            + (f" (no row equals --bad {bad!r})" if bad is not None else "")
        )
    features = frame.drop(columns=[c for c in (label, id_col) if c is not None])
    if features.shape[1] == 0:
        raise TableError(f"{source}: no feature columns besides the label")
    X = pd.DataFrame(index=frame.index)
    for i, col in enumerate(features.columns):
        values = features[col]
        text = values.astype("string").str.strip()
        text = text.where(~text.isin(_MISSING) & text.notna())
        numbers = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        name = f"f{i:03d}"  # LightGBM wants plain names; the mapping is kept in attrs
        if numbers.notna().sum() == text.notna().sum():
            X[name] = numbers.astype(float)
        else:
            X[name] = text.astype("category")
    X.attrs["columns"] = dict(zip(X.columns, map(str, features.columns), strict=True))
    return X, y


def fit_pipeline(X: pd.DataFrame, y: Any, *, seed: int = 2021) -> PipelineModel:
    """The pipeline on one training fold (``creditfarm.model.pipeline.fit_pipeline``): the
    candidates (LightGBM ``default`` — the county model's configuration, ``small``, ``stumps``;
    the WoE scorecard; booster–scorecard blends) are compared on an inner 5-fold
    cross-validation (one row = one group), the simplest within one standard error of the best
    out-of-fold log-loss is refitted on every training row, and its Platt map comes from its
    out-of-fold scores, never from rows a model learnt. The county model is this pipeline with
    the ``default`` booster as the only candidate (``CreditModel.fit_cv``: TreeSHAP must explain
    it exactly). ``bench/bench_peers.py`` runs the same."""
    return _fit_pipeline(X, np.asarray(y, dtype=int), seed=seed, folds=5)


def evaluate_table(
    path: Path,
    *,
    label: str,
    bad: str | None = None,
    id_col: str | None = None,
    folds: int = 5,
    seed: int = 2021,
) -> EvaluateResult:
    """Stratified K-fold of the LightGBM pipeline beside the scorecard on the same folds."""
    if not isinstance(folds, int) or folds < 2:
        raise TableError(f"--folds must be an integer of at least 2, got {folds!r}")
    X, y = prepare_table(read_table(path), label=label, bad=bad, id_col=id_col, source=str(path))
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < 2 * folds:
        raise TableError(
            f"{path}: {minority} rows of the rarer class; {folds} folds need at least {2 * folds}"
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    per_fold: list[dict[str, Any]] = []
    for k, (train, test) in enumerate(splitter.split(X, y), start=1):
        model = fit_pipeline(X.iloc[train], y[train], seed=seed)
        baseline = WoEScorecard().fit(X.iloc[train], y[train])
        p_model = model.predict_proba(X.iloc[test])[:, 1]
        p_base = baseline.predict_proba(X.iloc[test])[:, 1]
        per_fold.append(
            {
                "fold": k,
                "choice": model.choice_,
                "model": {"auc": m.auc(y[test], p_model), "ks": m.ks(y[test], p_model)},
                "baseline": {"auc": m.auc(y[test], p_base), "ks": m.ks(y[test], p_base)},
            }
        )

    def mean(which: str, key: str) -> float:
        return float(np.mean([f[which][key] for f in per_fold]))

    return EvaluateResult(
        folds=folds,
        rows=len(y),
        bads=int(y.sum()),
        model={"auc": mean("model", "auc"), "ks": mean("model", "ks")},
        baseline={"auc": mean("baseline", "auc"), "ks": mean("baseline", "ks")},
        per_fold=per_fold,
    )
