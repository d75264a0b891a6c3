"""The scoring run: every filed household scored as of a date and stored as an Assessment.

建档 first: unfiled households get no assessment and count as not pre-credited. One Assessment per
household per run; older runs are kept (``creditfarm.storage.assessments`` says which is current).
"""

from __future__ import annotations

from datetime import date

from creditfarm.features.build import build_features, data_date, load_county
from creditfarm.model.artefacts import current_bundle
from creditfarm.model.predict import score_features
from creditfarm.scoring.records import (
    Progress,
    ScoreRun,
    assessment_rows,
    iter_assessment_rows,
    store_assessments,
)
from creditfarm.workspace import Workspace

__all__ = [
    "ScoreRun",
    "assessment_rows",
    "score_features",
    "score_households",
    "store_assessments",
]


def score_households(
    ws: Workspace,
    *,
    as_of: date | None = None,
    model_version: str | None = None,
    progress: Progress | None = None,
    engine: str = "local",
    master: str | None = None,
) -> ScoreRun:
    """Score every filed household as of ``as_of`` (default: the county's data date) and store
    one Assessment each, keeping earlier ones. ``engine="spark"`` builds features and scores
    as Spark jobs (``master``: default ``local[2]``; see docs/spark.md)."""
    if engine == "spark":
        from creditfarm.scoring.spark import score_on_spark

        return score_on_spark(
            ws, as_of=as_of, model_version=model_version, progress=progress, master=master
        )
    if engine != "local":
        raise ValueError(f"engine must be local or spark, not {engine!r}")
    bundle = current_bundle(ws, model_version)
    data = load_county(ws)
    as_of = as_of or data_date(data)
    policy = ws.policy
    if progress:
        progress(0, 3, "features")
    features = build_features(data, as_of=as_of, policy=policy)
    del data  # the SQL tables are not needed once features are built
    if progress:
        progress(1, 3, "explanations and storing")
    # Explained and stored part by part: the county's explanations never sit in memory whole.
    rows = iter_assessment_rows(features, model=bundle.model, policy=policy)
    run = store_assessments(
        ws, rows, as_of=as_of, model_version=bundle.version, policy_version=policy.version
    )
    if progress:
        progress(3, 3, "")
    return run
