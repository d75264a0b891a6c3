"""How a household's value compares with the other households of its village."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Comparison", "Comparisons", "PeerBatch", "VillageReference", "percent"]


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
        batch = self.batch(village_codes=[village_code], household_nos=[household_no])
        return batch.compare(feature, [value]).at(0)

    def batch(self, *, village_codes: Sequence[Any], household_nos: Sequence[str]) -> PeerBatch:
        """Many households (aligned ``village_codes`` and ``household_nos``), to compare feature
        by feature: ``compare`` for all of them at once."""
        return PeerBatch(self._villages, village_codes, household_nos)


class PeerBatch:
    """Households grouped by village once; ``compare(feature, values)`` then searches each
    village's sorted values once per group, so a county's comparisons cost a few numpy calls
    per village and feature rather than several per household."""

    def __init__(
        self,
        villages: dict[str, _Village],
        village_codes: Sequence[Any],
        household_nos: Sequence[str],
    ) -> None:
        self._size = len(household_nos)
        group, codes = pd.factorize(pd.Series(list(village_codes), dtype=object), sort=False)
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(len(codes) + 1))
        self._groups: list[tuple[_Village, np.ndarray]] = []
        self.members = np.zeros(self._size, dtype=bool)  # among its own village's peers
        for k, code in enumerate(codes):
            village = villages.get(str(code))
            if village is None:
                continue
            rows = order[bounds[k] : bounds[k + 1]]
            self._groups.append((village, rows))
            self.members[rows] = [str(household_nos[i]) in village.members for i in rows.tolist()]

    def compare(self, feature: str, values: Sequence[Any] | np.ndarray) -> Comparisons:
        """``VillageReference.compare`` of every household for ``feature`` (``values`` aligned
        with the households; a float array is read as it is, NaN missing)."""
        out = Comparisons(self._size)
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            numbers: np.ndarray | None = values
            missing = np.isnan(values)
        else:
            numbers = None
            missing = pd.isna(pd.Series(list(values), dtype=object)).to_numpy(dtype=bool)
        for village, every in self._groups:
            rows = every[~missing[every]]
            if not len(rows):
                continue
            inside = self.members[rows]
            if feature in village.categories:
                counts = village.categories[feature]
                total = sum(counts.values()) - inside.astype(np.int64)
                same = np.array([counts.get(str(values[i]), 0) for i in rows.tolist()]) - inside
                ok = total > 0
                share = np.where(ok, total, 1).astype(float)
                zero = np.zeros(int(ok.sum()))
                out.fill(
                    rows[ok],
                    peers=total[ok],
                    below=zero,
                    above=zero,
                    same=(np.maximum(same, 0) / share)[ok],
                )
                continue
            known = village.numeric.get(feature)
            if known is None or not len(known):
                continue
            if numbers is not None:
                number = numbers[rows]
            else:
                number = np.array([float(values[i]) for i in rows.tolist()], dtype=float)
            size = len(known)
            total = size - inside.astype(np.int64)
            below = np.searchsorted(known, number, side="left")
            above = size - np.searchsorted(known, number, side="right")
            same = np.maximum(total - below - above, 0)
            # The household's own value is left out of the median: it sits at ``below``.
            skip = inside & (below < size) & (known[np.minimum(below, size - 1)] == number)
            median = _medians_without(known, np.where(skip, below, -1))
            ok = total > 0
            share = np.where(ok, total, 1).astype(float)
            out.fill(
                rows[ok],
                peers=total[ok],
                below=(below / share)[ok],
                above=(above / share)[ok],
                same=(same / share)[ok],
                median=median[ok],
            )
        return out


class Comparisons:
    """``compare`` for many households (one feature), as columns; ``at(i)`` gives one."""

    def __init__(self, n: int) -> None:
        self.known = np.zeros(n, dtype=bool)
        self.peers = np.zeros(n, dtype=np.int64)
        self.below = np.zeros(n, dtype=float)
        self.above = np.zeros(n, dtype=float)
        self.same = np.zeros(n, dtype=float)
        self.median = np.full(n, np.nan)  # NaN: no median (a categorical feature)
        self._rows: list[list[Any]] | None = None

    def fill(self, rows: np.ndarray, **columns: np.ndarray) -> None:
        self.known[rows] = True
        for name, column in columns.items():
            getattr(self, name)[rows] = column

    def at(self, i: int) -> Comparison | None:
        if self._rows is None:  # Python values once (whole columns), then plain lookups
            self._rows = [
                column.tolist()
                for column in (
                    self.known,
                    self.peers,
                    self.below,
                    self.above,
                    self.same,
                    self.median,
                )
            ]
        known, peers, below, above, same, median = self._rows
        if not known[i]:
            return None
        middle = median[i]
        return Comparison(
            peers[i], below[i], above[i], same[i], None if middle != middle else middle
        )


def _add_text(village: _Village, name: str, column: pd.Series) -> None:
    """A text-typed column of one village: numbers when every known value reads as one, else
    counts of each value."""
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.notna().sum() == column.notna().sum():
        village.numeric[name] = np.sort(numeric.dropna().to_numpy(dtype=float))
    else:
        village.categories[name] = Counter(column.dropna().astype(str))


def _medians_without(values: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """Per household, the median of sorted ``values`` leaving out position ``skip`` (-1: none);
    NaN when nothing is left. No copy: two lookups per household."""
    size = len(values) - (skip >= 0)
    half = size // 2

    def at(k: np.ndarray) -> np.ndarray:
        position = k + ((skip >= 0) & (k >= skip))
        return values[np.clip(position, 0, len(values) - 1)]

    odd = at(half)
    even = (at(half - 1) + odd) / 2
    return np.where(size <= 0, np.nan, np.where(size % 2 == 1, odd, even))
