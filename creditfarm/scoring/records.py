"""What a scoring run stores: one Assessment row per filed household (score, policy outcome,
features, contributions, reasons) and the run's summary. Shared by the local and the Spark run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert

from creditfarm.features.build import FeatureSet
from creditfarm.model.predict import score_features
from creditfarm.policy.config import Policy
from creditfarm.storage.models import Assessment
from creditfarm.workspace import Workspace

__all__ = ["Progress", "ScoreRun", "assessment_rows", "store_assessments"]

Progress = Callable[[int, int, str], None]
_CHUNK = 20_000  # assessments per INSERT


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


def assessment_rows(features: FeatureSet, *, model: Any, policy: Policy) -> list[dict[str, Any]]:
    """Score, apply the policy to and explain the filed households of ``features``: one row of
    the Assessment table each (without the run's as-of date, versions and time). Village
    comparisons are made among the households given, so a batch must hold whole villages."""
    outcomes, X = score_features(features, model=model, policy=policy)
    households = pd.DataFrame(
        {
            "household_no": X.index.astype(str),
            "village_code": features.meta.loc[X.index, "village_code"].to_numpy(),
        }
    )
    explanations = _explain(model, X, households) if len(X) else []
    meta = features.meta.loc[X.index]
    rows = []
    for i, hh in enumerate(X.index):
        o = outcomes.loc[hh]
        exp = explanations[i] if explanations else None
        rows.append(
            {
                "household_no": str(hh),
                "village_code": meta.at[hh, "village_code"],
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
            }
        )
    return rows


def store_assessments(
    ws: Workspace,
    rows: Iterable[dict[str, Any]],
    *,
    as_of: date,
    model_version: str,
    policy_version: str,
) -> ScoreRun:
    """Insert one Assessment per row (Core bulk inserts of ``_CHUNK`` rows, one transaction, so
    a run is stored whole or not at all; ``rows`` may stream) and sum up the run."""
    created = pd.Timestamp.now(tz="UTC").to_pydatetime()
    run = ScoreRun(as_of, model_version, policy_version, 0, 0, 0, 0, 0, explained=True)
    batch: list[dict[str, Any]] = []
    with ws.engine.begin() as conn:
        for row in rows:
            run.households += 1
            run.pre_credited += bool(row["pre_credited"])
            run.credit_households += bool(row["credit_household"])
            run.thin_files += bool(row["thin_file"])
            run.vetoed += bool(row["vetoes"])
            run.explained = run.explained and bool(row["contributions"])
            batch.append(
                {
                    **row,
                    "as_of": as_of,
                    "model_version": model_version,
                    "policy_version": policy_version,
                    "created_at": created,
                }
            )
            if len(batch) == _CHUNK:
                conn.execute(insert(_table(Assessment)), batch)
                batch = []
        if batch:
            conn.execute(insert(_table(Assessment)), batch)
    run.explained = run.explained and run.households > 0
    return run
