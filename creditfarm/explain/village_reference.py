"""How a household's value compares with the other households of its village."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from creditfarm.explain.formatting import is_missing

__all__ = ["Comparison", "VillageReference", "percent"]


def percent(share: float) -> int:
    """A share as a whole percentage, halves rounded up (0.125 → 13)."""
    return math.floor(share * 100 + 0.5)


@dataclass(frozen=True)
class Comparison:
    """The household against the *other* households of its village that have a value."""

    peers: int
    share_below: float  # share of peers with a lower value
    share_above: float  # share of peers with a higher value
    share_same: float
    median: float | None = None  # of the peers, numeric features only

    def as_dict(self) -> dict[str, Any]:
        return {
            "peers": self.peers,
            "share_below": round(self.share_below, 4),
            "share_above": round(self.share_above, 4),
            "share_same": round(self.share_same, 4),
            "median": None if self.median is None else round(float(self.median), 4),
        }


@dataclass
class _Village:
    members: set[str] = field(default_factory=set)
    numeric: dict[str, np.ndarray] = field(default_factory=dict)  # sorted known values
    categories: dict[str, Counter[str]] = field(default_factory=dict)


class VillageReference:
    """Per village and feature, the known values of its households (self excluded on lookup)."""

    def __init__(self, villages: dict[str, _Village]) -> None:
        self._villages = villages

    @classmethod
    def build(cls, peers: pd.DataFrame, features: list[str]) -> VillageReference:
        """``peers``: one row per household with ``household_no``, ``village_code``, features."""
        villages: dict[str, _Village] = {}
        if peers.empty or "village_code" not in peers.columns:
            return cls(villages)
        # Villages in order of first appearance (as groupby(sort=False)); -1: no village.
        group, codes = pd.factorize(peers["village_code"], sort=False)
        households = peers["household_no"].astype(str).to_numpy()
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(len(codes) + 1))
        parts = [order[bounds[k] : bounds[k + 1]] for k in range(len(codes))]
        made = [_Village(members=set(households[rows].tolist())) for rows in parts]
        for name in features:
            if name not in peers.columns:
                continue
            column = peers[name]
            if (
                isinstance(column.dtype, pd.CategoricalDtype)
                or column.dtype == object
                or (pd.api.types.is_string_dtype(column.dtype))
            ):
                for village, rows in zip(made, parts, strict=True):
                    _add_text(village, name, column.iloc[rows])
                continue
            numbers = pd.to_numeric(column, errors="coerce")
            values = numbers.to_numpy(dtype=float, na_value=np.nan)
            known = ~np.isnan(values) & (group >= 0)
            # Sorted by village, then by value: each village's known values as one slice.
            by = np.lexsort((values[known], group[known]))
            ordered = values[known][by]
            cuts = np.searchsorted(group[known][by], np.arange(len(codes) + 1))
            for k, village in enumerate(made):
                village.numeric[name] = ordered[cuts[k] : cuts[k + 1]]
        for code, village in zip(codes, made, strict=True):
            villages[str(code)] = village
        return cls(villages)

    def compare(
        self, *, village_code: Any, household_no: str, feature: str, value: Any
    ) -> Comparison | None:
        """None when the value is missing or the village has no other household with a value."""
        if is_missing(value) or is_missing(village_code):
            return None
        village = self._villages.get(str(village_code))
        if village is None:
            return None
        in_peers = str(household_no) in village.members
        if feature in village.categories:
            counts = village.categories[feature]
            total = sum(counts.values()) - (1 if in_peers else 0)
            if total <= 0:
                return None
            same = counts.get(str(value), 0) - (1 if in_peers else 0)
            return Comparison(total, 0.0, 0.0, max(same, 0) / total)
        values = village.numeric.get(feature)
        if values is None:
            return None
        number = float(value)
        total = len(values) - (1 if in_peers else 0)
        if total <= 0:
            return None
        below = int(np.searchsorted(values, number, side="left"))
        above = len(values) - int(np.searchsorted(values, number, side="right"))
        same = total - below - above
        skip = below if in_peers and below < len(values) and values[below] == number else None
        median = _median_without(values, skip)
        return Comparison(total, below / total, above / total, max(same, 0) / total, median)


def _add_text(village: _Village, name: str, column: pd.Series) -> None:
    """A text-typed column of one village: numbers when every known value reads as one, else
    counts of each value."""
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.notna().sum() == column.notna().sum():
        village.numeric[name] = np.sort(numeric.dropna().to_numpy(dtype=float))
    else:
        village.categories[name] = Counter(column.dropna().astype(str))


def _median_without(values: np.ndarray, skip: int | None) -> float | None:
    """Median of sorted ``values`` leaving out position ``skip`` (no copy: one lookup per call)."""
    size = len(values) - (skip is not None)
    if size <= 0:
        return None

    def at(k: int) -> float:
        return float(values[k + 1 if skip is not None and k >= skip else k])

    half = size // 2
    return at(half) if size % 2 else (at(half - 1) + at(half)) / 2
