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
from creditfarm.explain.reasons import build_reasons
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
    hh_nos = households["household_no"].astype(str).to_numpy()
    villages = households["village_code"].to_numpy()
    columns = [*names, BASE]
    matrix = contrib.to_numpy(dtype=float).tolist()  # Python floats, row by row
    out: list[Explanation] = []
    for i, record in enumerate(_records(values)):
        row = dict(zip(columns, matrix[i], strict=True))
        reasons = build_reasons(
            household_no=hh_nos[i],
            village_code=villages[i],
            contributions=row,
            values=record,
            infos=info_map,
            monotone=monotone,
            reference=reference,
            scale=scale,
            top_n=top_n,
        )
        out.append(Explanation(household_no=str(hh_nos[i]), contributions=row, reasons=reasons))
    return out


def _records(values: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row as ``{feature: value}`` of Python values. An all-numeric table goes through
    one float matrix (NaN stays NaN, as ``to_dict`` gives it); others row by row."""
    names = list(values.columns)
    if all(values[n].dtype == np.float64 for n in names):
        return [dict(zip(names, row, strict=True)) for row in values.to_numpy(float).tolist()]
    return [_plain(r) for r in values.to_dict(orient="records")]


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars → Python values (categorical values stay strings)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out
