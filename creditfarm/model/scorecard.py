"""WoE logistic scorecard: the traditional baseline the LightGBM model must beat.

Numeric columns: up to ``bins`` quantile bins (edges from the training rows) plus a missing
bin; text columns: one bin per category (unseen → missing bin). Each bin's weight of evidence
WoE = ln(share of goods / share of bads), with 0.5 added to both counts so empty cells stay
finite. A scikit-learn LogisticRegression is fitted on the WoE values.

``binning="monotone"`` (what ``creditfarm evaluate``'s pipeline uses) bins as a credit analyst
would, so that fewer, sturdier bins carry the evidence:

- numeric columns: ``prebins`` quantile bins, then adjacent bins are pooled until the bad rate
  moves one way only along the column (pool-adjacent-violators, the direction that of the
  column's rank correlation with the outcome), then bins holding less than ``min_share`` of the
  rows are pooled with the neighbour of the closer bad rate. Credit risk is nearly always
  monotone in an amount, an age or a count; a wiggle between quantile bins is mostly noise the
  logistic fit would otherwise learn;
- text columns: categories holding less than ``min_share`` of the rows share one bin. A rare
  category's WoE rests on a handful of cases and the logistic fit, on the same rows, would take
  that noise as evidence.

The default ``binning="quantile"`` is the county model card's baseline and stays as it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

__all__ = ["WoEScorecard"]

_MISSING = "__missing__"
_RARE = "__rare__"


def monotone_edges(
    values: np.ndarray, target: np.ndarray, *, prebins: int, min_share: float
) -> list[float]:
    """Bin edges (``searchsorted(..., side="right")`` convention) over ``values`` with a bad rate
    monotone in the value and every bin holding at least ``min_share`` of the rows (unless one
    bin is left). See the module docstring."""
    x = np.asarray(values, dtype=float)
    t = np.asarray(target, dtype=float)
    edges = sorted(set(map(float, np.quantile(x, np.linspace(0, 1, prebins + 1)[1:-1]))))
    idx = np.searchsorted(np.asarray(edges), x, side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
    bads = np.bincount(idx, weights=t, minlength=len(edges) + 1)
    # Direction: sign of the rank correlation of value and outcome (0 → increasing).
    ranks = pd.Series(x).rank().to_numpy()
    corr = np.corrcoef(ranks, t)[0, 1] if np.ptp(ranks) > 0 and np.ptp(t) > 0 else 0.0
    sign = -1.0 if corr < 0 else 1.0
    # Blocks of adjacent pre-bins: [rows, bads, right edge index (into edges) or None at the end].
    blocks: list[list[Any]] = []
    for k in range(len(edges) + 1):
        if counts[k] == 0:
            if blocks:
                blocks[-1][2] = k if k < len(edges) else None
            continue
        blocks.append([counts[k], bads[k], k if k < len(edges) else None])
        while len(blocks) >= 2 and (
            sign * blocks[-2][1] / blocks[-2][0] > sign * blocks[-1][1] / blocks[-1][0]
        ):
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], last[2]]
    floor = min_share * len(x)
    while len(blocks) > 1:
        small = min(range(len(blocks)), key=lambda i: blocks[i][0])
        if blocks[small][0] >= floor:
            break
        rate = blocks[small][1] / blocks[small][0]
        neighbours = [i for i in (small - 1, small + 1) if 0 <= i < len(blocks)]
        other = min(neighbours, key=lambda i: abs(blocks[i][1] / blocks[i][0] - rate))
        left, right = min(small, other), max(small, other)
        blocks[left] = [
            blocks[left][0] + blocks[right][0],
            blocks[left][1] + blocks[right][1],
            blocks[right][2],
        ]
        del blocks[right]
    return [edges[b[2]] for b in blocks[:-1] if b[2] is not None]


class WoEScorecard:
    def __init__(
        self,
        *,
        bins: int = 5,
        C: float = 1.0,
        max_iter: int = 1000,
        binning: str = "quantile",
        prebins: int = 20,
        min_share: float = 0.05,
    ) -> None:
        self.bins = bins
        self.C = C
        self.max_iter = max_iter
        self.binning = binning
        self.prebins = prebins
        self.min_share = min_share

    def _bin(self, name: str, column: pd.Series) -> pd.Series:
        spec = self.binning_[name]
        if spec["kind"] == "numeric":
            values = pd.to_numeric(column, errors="coerce").astype(float)
            idx = np.searchsorted(np.asarray(spec["edges"]), values.to_numpy(), side="right")
            labels = pd.Series(idx.astype(str), index=column.index)
            return labels.where(values.notna(), _MISSING)
        text = column.astype("string")
        known = text.isin(spec["categories"])
        out = text.where(known & text.notna(), _MISSING).astype(str)
        rare = spec.get("rare", [])
        if rare:
            out = out.where(~text.isin(rare).fillna(False).to_numpy(dtype=bool), _RARE)
        return out

    def fit(self, X: pd.DataFrame, y: Any) -> WoEScorecard:
        if not isinstance(self.bins, int) or self.bins < 2:
            raise ValueError("bins must be an integer of at least 2")
        if self.binning not in ("quantile", "monotone"):
            raise ValueError("binning must be 'quantile' or 'monotone'")
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
                numbers = pd.to_numeric(col, errors="coerce")
                present = numbers.notna().to_numpy()
                values = numbers[present]
                if self.binning == "monotone" and len(values):
                    edges = monotone_edges(
                        values.to_numpy(),
                        target[present],
                        prebins=int(self.prebins),
                        min_share=float(self.min_share),
                    )
                else:
                    qs = (
                        np.quantile(values, np.linspace(0, 1, self.bins + 1)[1:-1])
                        if len(values)
                        else []
                    )
                    edges = sorted(set(map(float, qs)))
                self.binning_[name] = {"kind": "numeric", "edges": edges}
            else:
                counts = col.dropna().astype(str).value_counts()
                cats = sorted(counts.index.tolist())
                rare: list[str] = []
                if self.binning == "monotone":
                    rare = sorted(counts.index[counts < self.min_share * len(col)].tolist())
                    # One rare category alone gains nothing from pooling.
                    rare = rare if len(rare) > 1 else []
                self.binning_[name] = {"kind": "category", "categories": cats, "rare": rare}
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
            spec, woe = self.binning_[name], self.woe_[name]
            if spec["kind"] != "numeric":
                binned = self._bin(name, X[name])
                out[name] = binned.map(woe).fillna(0.0).astype(float)
                continue
            # The bin's index straight into an array of its WoE (the labels ``_bin`` writes are
            # str(index)): a county's 130,000 rows × 57 columns as text cost 2.5 s.
            values = pd.to_numeric(X[name], errors="coerce").astype(float).to_numpy()
            edges = np.asarray(spec["edges"])
            table = np.array([woe.get(str(i), 0.0) for i in range(len(edges) + 1)], dtype=float)
            found = table[np.searchsorted(edges, values, side="right")]
            out[name] = pd.Series(
                np.where(np.isnan(values), woe.get(_MISSING, 0.0), found), index=X.index
            )
        return pd.DataFrame(out, index=X.index)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "logit_"):
            raise NotFittedError("WoEScorecard is not fitted yet")
        return self.logit_.predict_proba(self.transform(X))
