"""The scoring run: every filed household scored as of a date and stored as an Assessment.

建档 first: unfiled households get no assessment and count as not pre-credited. One Assessment per
household per run; older runs are kept (``creditfarm.storage.assessments`` says which is current).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert

from creditfarm.features.build import build_features, data_date, load_county
from creditfarm.model.artefacts import current_bundle
from creditfarm.model.predict import score_features
from creditfarm.storage.models import Assessment
from creditfarm.workspace import Workspace

__all__ = ["ScoreRun", "score_features", "score_households"]

Progress = Callable[[int, int, str], None]


@dataclass
class ScoreRun:
    as_of: date
    model_version: str
    policy_version: str
    households: int  # assessments stored
    pre_credited: int
    credit_households: int
    thin_files: int
    vetoed: int
    explained: bool  # contributions and reasons stored


def _table(model: Any) -> Any:
    """The SQLAlchemy Table behind a SQLModel class (for Core statements)."""
    return model.__table__


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
            out[key] = None
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out


def _explain(model: Any, X: pd.DataFrame, households: pd.DataFrame) -> list[Any]:
    """TreeSHAP contributions and Chinese reasons, stored with each assessment (issue 4)."""
    from creditfarm.explain import explain_batch  # lightgbm/shap: loaded only when scoring

    return explain_batch(model, X, households=households)


def score_households(
    ws: Workspace,
    *,
    as_of: date | None = None,
    model_version: str | None = None,
    progress: Progress | None = None,
) -> ScoreRun:
    """Score every filed household as of ``as_of`` (default: the county's data date) and store
    one Assessment each, keeping earlier ones."""
    bundle = current_bundle(ws, model_version)
    data = load_county(ws)
    as_of = as_of or data_date(data)
    policy = ws.policy
    if progress:
        progress(0, 3, "features")
    features = build_features(data, as_of=as_of, policy=policy)
    outcomes, X = score_features(features, model=bundle.model, policy=policy)
    if progress:
        progress(1, 3, "explanations")
    households = pd.DataFrame(
        {
            "household_no": X.index.astype(str),
            "village_code": features.meta.loc[X.index, "village_code"].to_numpy(),
        }
    )
    explanations = _explain(bundle.model, X, households) if len(X) else []
    if progress:
        progress(2, 3, "storing")
    meta = features.meta.loc[X.index]
    records = []
    for i, hh in enumerate(X.index):
        o = outcomes.loc[hh]
        exp = explanations[i] if explanations else None
        records.append(
            {
                "household_no": str(hh),
                "village_code": meta.at[hh, "village_code"],
                "as_of": as_of,
                "model_version": bundle.version,
                "policy_version": policy.version,
                "probability": float(o["probability"]),
                "score": float(o["score"]),
                "grade": str(o["grade"]),
                "credit_household": bool(o["credit_household"]),
                "pre_credit_limit": float(o["limit"]),
                "pre_credited": bool(o["pre_credited"]),
                "thin_file": bool(meta.at[hh, "thin_file"]),
                "vetoes": list(o["vetoes"]),
                "caps": list(o["caps"]),
                "features": _jsonable(X.loc[hh].to_dict()),
                "contributions": _jsonable(dict(exp.contributions)) if exp else {},
                "reasons": exp.reasons if exp else {},
                "created_at": pd.Timestamp.now(tz="UTC").to_pydatetime(),
            }
        )
    if records:
        with ws.engine.begin() as conn:  # Core bulk insert: thousands of rows
            conn.execute(insert(_table(Assessment)), records)
    if progress:
        progress(3, 3, "")
    return ScoreRun(
        as_of=as_of,
        model_version=bundle.version,
        policy_version=policy.version,
        households=len(records),
        pre_credited=int(outcomes["pre_credited"].sum()) if len(outcomes) else 0,
        credit_households=int(outcomes["credit_household"].sum()) if len(outcomes) else 0,
        thin_files=int(meta["thin_file"].sum()),
        vetoed=int(outcomes["vetoes"].map(bool).sum()) if len(outcomes) else 0,
        explained=bool(explanations),
    )
