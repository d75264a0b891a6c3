"""``explain_batch``: contributions and reasons for many households in one pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from creditfarm.explain.catalogue import FeatureInfo, feature_infos
from creditfarm.explain.contributions import BASE, booster_of, contributions_frame, monotone_map
from creditfarm.explain.points import PointsScale, scale_for
from creditfarm.explain.reasons import reasons_table
from creditfarm.explain.village_reference import VillageReference

__all__ = ["Explanation", "explain_batch"]


@dataclass
class Explanation:
    """One household: contributions per feature (log-odds, plus ``_base``) and reasons (JSON)."""

    household_no: str
    contributions: dict[str, float]
    reasons: dict[str, Any] = field(default_factory=dict)

    @property
    def raw(self) -> float:
        """Base plus contributions: the model's raw output (default log-odds)."""
        return float(sum(self.contributions.values()))


def _peers_frame(X: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    frame = X.reset_index(drop=True).copy()
    frame["household_no"] = households["household_no"].astype(str).to_numpy()
    frame["village_code"] = households["village_code"].to_numpy()
    return frame


def explain_batch(
    model: Any,
    X: pd.DataFrame,
    *,
    households: pd.DataFrame,
    peers: pd.DataFrame | None = None,
    infos: Mapping[str, FeatureInfo] | None = None,
    top_n: int = 6,
    reference: VillageReference | None = None,
    scale: PointsScale | None = None,
) -> list[Explanation]:
    """Explain each row of ``X`` (the model's features; ``households`` aligned row by row with
    ``household_no`` and ``village_code``).

    Village comparisons use ``peers`` (rows of ``household_no``, ``village_code`` and features;
    default: the batch itself), always leaving the household itself out. ``infos`` overrides the
    feature catalogue. ``reference``: the peers already built (``VillageReference.build``), so
    a large batch can be explained in parts against the same villages. ``scale``: how log-odds
    become score points (default: the model's calibration under the packaged policy; scoring
    passes the workspace's policy).
    """
    if len(households) != len(X):
        raise ValueError(f"households has {len(households)} rows but X has {len(X)}")
    for column in ("household_no", "village_code"):
        if column not in households.columns:
            raise ValueError(f"households lacks the column {column!r}")
    booster = booster_of(model)
    scale = scale or scale_for(model)
    names = booster.feature_name()
    contrib = contributions_frame(booster, X)
    info_map = feature_infos(names, dict(infos) if infos else None)
    monotone = monotone_map(booster)
    if reference is None:
        reference = VillageReference.build(
            peers if peers is not None else _peers_frame(X[names], households), names
        )
    values = X[names].reset_index(drop=True)
    hh_nos = households["household_no"].astype(str).tolist()
    matrix = contrib.to_numpy(dtype=float)
    reasons = reasons_table(
        household_nos=hh_nos,
        village_codes=households["village_code"].tolist(),
        names=names,
        contributions=matrix[:, : len(names)],
        base=matrix[:, len(names)],
        values={name: _column(values[name]) for name in names},
        infos=info_map,
        monotone=monotone,
        reference=reference,
        scale=scale,
        top_n=top_n,
    )
    columns = [*names, BASE]
    return [
        Explanation(
            household_no=household, contributions=dict(zip(columns, row, strict=True)), reasons=r
        )
        for household, row, r in zip(hh_nos, matrix.tolist(), reasons, strict=True)
    ]


def _column(values: pd.Series) -> np.ndarray | list[Any]:
    """A float column as it is (NaN missing); any other as Python values (categorical values
    stay strings)."""
    if values.dtype == np.float64:
        return values.to_numpy()
    return values.tolist()
