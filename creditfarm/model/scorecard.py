"""WoE logistic scorecard: the traditional baseline the LightGBM model must beat.

Numeric columns: up to ``bins`` quantile bins (edges from the training rows) plus a missing
bin; text columns: one bin per category (unseen → missing bin). Each bin's weight of evidence
WoE = ln(share of goods / share of bads), with 0.5 added to both counts so empty cells stay
finite. A scikit-learn LogisticRegression is fitted on the WoE values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

__all__ = ["WoEScorecard"]

_MISSING = "__missing__"


class WoEScorecard:
    def __init__(self, *, bins: int = 5, C: float = 1.0, max_iter: int = 1000) -> None:
        self.bins = bins
        self.C = C
        self.max_iter = max_iter

    def _bin(self, name: str, column: pd.Series) -> pd.Series:
        spec = self.binning_[name]
        if spec["kind"] == "numeric":
            values = pd.to_numeric(column, errors="coerce").astype(float)
            idx = np.searchsorted(np.asarray(spec["edges"]), values.to_numpy(), side="right")
            labels = pd.Series(idx.astype(str), index=column.index)
            return labels.where(values.notna(), _MISSING)
        text = column.astype("string")
        known = text.isin(spec["categories"])
        return text.where(known & text.notna(), _MISSING).astype(str)

    def fit(self, X: pd.DataFrame, y: Any) -> WoEScorecard:
        if not isinstance(self.bins, int) or self.bins < 2:
            raise ValueError("bins must be an integer of at least 2")
        target = np.asarray(y, dtype=int)
        if len(np.unique(target)) < 2:
            raise ValueError("y needs both good (0) and bad (1) cases")
        self.binning_: dict[str, dict[str, Any]] = {}
        self.woe_: dict[str, dict[str, float]] = {}
        goods, bads = float((target == 0).sum()), float((target == 1).sum())
        for name in X.columns:
            col = X[name]
            numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
            if numeric:
                values = pd.to_numeric(col, errors="coerce").dropna()
                qs = (
                    np.quantile(values, np.linspace(0, 1, self.bins + 1)[1:-1])
                    if len(values)
                    else []
                )
                self.binning_[name] = {"kind": "numeric", "edges": sorted(set(map(float, qs)))}
            else:
                cats = sorted(col.dropna().astype(str).unique().tolist())
                self.binning_[name] = {"kind": "category", "categories": cats}
            binned = self._bin(name, col)
            table = pd.crosstab(binned, target).reindex(columns=[0, 1], fill_value=0)
            woe = np.log(((table[0] + 0.5) / goods) / ((table[1] + 0.5) / bads))
            self.woe_[name] = {str(k): float(v) for k, v in woe.items()}
        self.columns_ = list(X.columns)
        self.logit_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        self.logit_.fit(self.transform(X), target)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each column replaced by its bins' WoE (bins unseen in training: 0, neutral)."""
        if not hasattr(self, "woe_"):
            raise NotFittedError("WoEScorecard is not fitted yet")
        out = {}
        for name in self.columns_:
            binned = self._bin(name, X[name])
            out[name] = binned.map(self.woe_[name]).fillna(0.0).astype(float)
        return pd.DataFrame(out, index=X.index)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "logit_"):
            raise NotFittedError("WoEScorecard is not fitted yet")
        return self.logit_.predict_proba(self.transform(X))
