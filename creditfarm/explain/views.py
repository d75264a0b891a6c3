"""Village and model views of the contributions: DataFrames for the UI and the CLI.

The frame-level functions take a contributions table (one row per household, one column per
feature, optional ``_base``); ``load_contributions`` reads it from the stored assessments.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from creditfarm.explain.catalogue import SOURCE_ORDER, SOURCE_ZH, feature_infos
from creditfarm.explain.contributions import BASE
from creditfarm.storage.assessments import current_ids
from creditfarm.storage.models import Assessment
from creditfarm.workspace import Workspace

__all__ = [
    "drivers_by_grade",
    "feature_labels",
    "global_importance",
    "grade_drivers",
    "latest_assessments",
    "load_contributions",
    "mean_contributions",
    "model_beeswarm",
    "source_contributions",
    "village_drivers",
]


def _features(contrib: pd.DataFrame) -> list[str]:
    return [c for c in contrib.columns if c != BASE]


def _describe(frame: pd.DataFrame) -> pd.DataFrame:
    infos = feature_infos(list(frame["feature"]))
    frame.insert(1, "name_zh", [infos[f].zh for f in frame["feature"]])
    frame.insert(2, "source", [infos[f].source for f in frame["feature"]])
    frame.insert(3, "source_zh", [infos[f].source_zh for f in frame["feature"]])
    return frame


def mean_contributions(contrib: pd.DataFrame) -> pd.DataFrame:
    """Per feature: mean contribution (positive = lowers scores on average), mean |contribution|
    and households; largest mean |contribution| first."""
    feats = _features(contrib)
    frame = pd.DataFrame(
        {
            "feature": feats,
            "mean_contribution": [float(contrib[f].mean()) for f in feats],
            "mean_abs": [float(contrib[f].abs().mean()) for f in feats],
            "households": len(contrib),
        }
    )
    frame = frame.sort_values("mean_abs", ascending=False, kind="stable").reset_index(drop=True)
    return _describe(frame)


def global_importance(contrib: pd.DataFrame) -> pd.DataFrame:
    """Mean |SHAP| per feature over all rows: the model's global importance, largest first."""
    frame = mean_contributions(contrib)
    total = frame["mean_abs"].sum()
    frame["share"] = frame["mean_abs"] / total if total > 0 else 0.0
    return frame[["feature", "name_zh", "source", "source_zh", "mean_abs", "share"]]


def source_contributions(contrib: pd.DataFrame) -> pd.DataFrame:
    """Per data source (档案 / 支付流水 / 政务 / 贷款记录 / 村情): the mean over households of the
    summed contributions of the source's features, and of their absolute value."""
    feats = _features(contrib)
    infos = feature_infos(feats)
    rows = []
    for source in SOURCE_ORDER:
        cols = [f for f in feats if infos[f].source == source]
        if not cols:
            continue
        summed = contrib[cols].sum(axis=1)
        rows.append(
            {
                "source": source,
                "source_zh": SOURCE_ZH[source],
                "features": len(cols),
                "mean_contribution": float(summed.mean()),
                "mean_abs": float(summed.abs().mean()),
            }
        )
    return pd.DataFrame(
        rows, columns=["source", "source_zh", "features", "mean_contribution", "mean_abs"]
    )


def drivers_by_grade(
    contrib: pd.DataFrame, grades: pd.Series, *, order: list[str] | None = None
) -> pd.DataFrame:
    """Mean contribution of each feature within each grade (rows: features, columns: grades in
    ``order``), features by overall mean |contribution|."""
    feats = _features(contrib)
    grades = pd.Series(list(grades), index=contrib.index, name="grade")
    table = contrib[feats].groupby(grades).mean().T
    order = order or sorted(table.columns)
    table = table.reindex(columns=[g for g in order if g in table.columns])
    ranking = contrib[feats].abs().mean().sort_values(ascending=False, kind="stable").index
    table = table.loc[ranking]
    infos = feature_infos(list(table.index))
    table.insert(0, "name_zh", [infos[f].zh for f in table.index])
    table.index.name = "feature"
    return table.reset_index()


def latest_assessments(
    ws: Workspace, *, village_code: str | None = None, as_of: date | None = None
) -> list[Assessment]:
    """The current assessment of each household (``creditfarm.storage.assessments``); with
    ``as_of``, the newest run of that date per household (the peers of one assessment)."""
    ids = current_ids(village_code=village_code, as_of=as_of)
    stmt = select(Assessment).where(col(Assessment.id).in_(ids)).order_by(Assessment.household_no)
    with Session(ws.engine) as session:
        return list(session.exec(stmt).all())


def load_contributions(
    ws: Workspace, *, village_code: str | None = None, as_of: date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(contributions, feature values, meta) of the latest assessments, indexed by household_no.
    meta holds village_code, grade, score, probability, model_version and as_of."""
    rows = [
        a for a in latest_assessments(ws, village_code=village_code, as_of=as_of) if a.contributions
    ]
    index = pd.Index([a.household_no for a in rows], name="household_no")
    contrib = pd.DataFrame([a.contributions for a in rows], index=index, dtype=float)
    values = pd.DataFrame([a.features for a in rows], index=index)
    meta: dict[str, list[Any]] = {
        "village_code": [a.village_code for a in rows],
        "grade": [a.grade for a in rows],
        "score": [a.score for a in rows],
        "probability": [a.probability for a in rows],
        "model_version": [a.model_version for a in rows],
        "as_of": [a.as_of for a in rows],
    }
    return contrib, values, pd.DataFrame(meta, index=index)


def village_drivers(
    ws: Workspace, *, village_code: str, as_of: date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What drives grades in a village: (mean contributions by feature, by source)."""
    contrib, _, _ = load_contributions(ws, village_code=village_code, as_of=as_of)
    if contrib.empty:
        raise LookupError(f"村 {village_code} 尚无带贡献值的评估结果")
    return mean_contributions(contrib), source_contributions(contrib)


def feature_labels(names: list[str]) -> dict[str, str]:
    """Feature → Chinese name, e.g. for ``charts.waterfall(..., labels=...)``."""
    return {name: info.zh for name, info in feature_infos(list(names)).items()}


def grade_drivers(ws: Workspace, *, as_of: date | None = None) -> pd.DataFrame:
    """How the drivers differ between grades (county-wide, latest assessments)."""
    contrib, _, meta = load_contributions(ws, as_of=as_of)
    if contrib.empty:
        raise LookupError("尚无带贡献值的评估结果，请先运行 creditfarm score")
    return drivers_by_grade(contrib, meta["grade"], order=ws.policy.grade_order)


def model_beeswarm(ws: Workspace, path: Path, *, as_of: date | None = None) -> Path:
    """The model's beeswarm over the latest assessments, saved as a PNG (CJK font)."""
    from creditfarm.explain.beeswarm import save_beeswarm

    contrib, values, _ = load_contributions(ws, as_of=as_of)
    if contrib.empty:
        raise LookupError("尚无带贡献值的评估结果，请先运行 creditfarm score")
    return save_beeswarm(contrib, values, path)
