"""What a scoring run stores: one Assessment row per filed household (score, policy outcome,
features, contributions, reasons) and the run's summary. Shared by the local and the Spark run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert

from creditfarm.collector import collector_paused
from creditfarm.features.build import FeatureSet
from creditfarm.model.predict import score_features
from creditfarm.policy.config import Policy
from creditfarm.storage.models import Assessment
from creditfarm.workspace import Workspace

__all__ = [
    "Progress",
    "ScoreRun",
    "assessment_rows",
    "iter_assessment_rows",
    "store_assessments",
]

Progress = Callable[[int, int, str], None]
_CHUNK = 20_000  # assessments per INSERT, and households explained at a time


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


def _float_dicts(names: list[str], matrix: np.ndarray) -> list[dict[str, float | None]]:
    """One ``{name: value}`` per row of a float matrix, NaN and ±inf as None (what
    ``_jsonable`` makes of a row, without a pandas lookup per household)."""
    finite = np.isfinite(matrix)
    rows = matrix.tolist()
    if finite.all():
        return [dict(zip(names, row, strict=True)) for row in rows]
    return [
        dict(zip(names, row, strict=True))
        if ok.all()
        else {n: (v if f else None) for n, v, f in zip(names, row, ok, strict=True)}
        for row, ok in zip(rows, finite, strict=True)
    ]


def _contributions(values: dict[str, float]) -> dict[str, Any]:
    """``_jsonable`` of an explanation's contributions; a finite sum means every value is finite
    (NaN or ±inf anywhere makes the sum so), the usual case, and then the floats stand as they
    are."""
    if math.isfinite(sum(values.values())):
        return dict(values)
    return _jsonable(values)


def assessment_rows(features: FeatureSet, *, model: Any, policy: Policy) -> list[dict[str, Any]]:
    """Score, apply the policy to and explain the filed households of ``features``: one row of
    the Assessment table each (without the run's as-of date, versions and time). Village
    comparisons are made among the households given, so a batch must hold whole villages."""
    return list(iter_assessment_rows(features, model=model, policy=policy))


def iter_assessment_rows(
    features: FeatureSet, *, model: Any, policy: Policy, chunk: int = _CHUNK
) -> Iterator[dict[str, Any]]:
    """``assessment_rows``, made and handed out ``chunk`` households at a time (the village
    comparisons still among all of them), so a county's explanations never sit in memory
    whole: ``store_assessments`` writes each part as it comes."""
    from creditfarm.explain import explain_batch  # lightgbm/shap: loaded only when scoring
    from creditfarm.explain.contributions import booster_of
    from creditfarm.explain.points import scale_for
    from creditfarm.explain.village_reference import VillageReference

    outcomes, X = score_features(features, model=model, policy=policy)
    if not len(X):
        return
    # Whole columns, read once: a pandas lookup per household and field cost more than the
    # explanations themselves at county size.
    meta = features.meta.loc[X.index]
    o = outcomes.loc[X.index]
    households = pd.DataFrame(
        {
            "household_no": X.index.astype(str),
            "village_code": meta["village_code"].to_numpy(),
        }
    )
    names = booster_of(model).feature_name()
    peers = X[names].reset_index(drop=True)
    peers["household_no"] = households["household_no"].to_numpy()
    peers["village_code"] = households["village_code"].to_numpy()
    reference = VillageReference.build(peers, names)
    del peers
    scale = scale_for(model, policy)  # reasons in the score points of this policy
    columns = [str(c) for c in X.columns]
    village = meta["village_code"].tolist()
    probability = o["probability"].astype(float).tolist()
    score = o["score"].astype(float).tolist()
    grade = o["grade"].astype(str).tolist()
    credit = o["credit_household"].astype(bool).tolist()
    limit = o["limit"].astype(float).tolist()
    granted = o["pre_credited"].astype(bool).tolist()
    thin = meta["thin_file"].astype(bool).tolist()
    vetoes = o["vetoes"].tolist()
    caps = o["caps"].tolist()
    hh = households["household_no"].tolist()
    for start in range(0, len(X), chunk):
        part = slice(start, start + chunk)
        X_part = X.iloc[part]
        explanations = explain_batch(
            model,
            X_part,
            households=households.iloc[part].reset_index(drop=True),
            reference=reference,
            scale=scale,
        )
        features_json = _float_dicts(columns, X_part.to_numpy(dtype=float))
        for k, exp in enumerate(explanations):
            i = start + k
            yield {
                "household_no": hh[i],
                "village_code": village[i],
                "probability": probability[i],
                "score": score[i],
                "grade": grade[i],
                "credit_household": credit[i],
                "pre_credit_limit": limit[i],
                "pre_credited": granted[i],
                "thin_file": thin[i],
                "vetoes": list(vetoes[i]),
                "caps": list(caps[i]),
                "features": features_json[k],
                "contributions": _contributions(exp.contributions),
                "reasons": exp.reasons,
            }


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
    # The collector waits while the rows are made and written (see ``collector_paused``).
    with collector_paused(), ws.engine.begin() as conn:
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
