"""The scoring run as Spark jobs (``creditfarm score --engine spark``), for a province.

Features come from the Spark engine (the same SQL as locally); each village's rows then go
through ``applyInPandas`` to one Python worker, which finishes them into features, scores them
with the model (its text and calibration broadcast, rebuilt once per worker), applies the policy
and explains them — exactly the local run's ``assessment_rows`` — so village comparisons see
the whole village. Results are gathered on the driver in batches and bulk-inserted into the SQL
assessments table as the local run does. Training stays on one machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from creditfarm.features.build import data_date, feature_params, feature_set
from creditfarm.features.engine.spark import (
    DEFAULT_MASTER,
    SparkEngine,
    spark_county,
    spark_session,
)
from creditfarm.model.artefacts import current_bundle
from creditfarm.policy.config import Policy
from creditfarm.scoring.records import ScoreRun, assessment_rows, store_assessments
from creditfarm.workspace import Workspace

__all__ = ["RESULT_COLUMNS", "score_on_spark", "spark_assessment_rows"]

Progress = Callable[[int, int, str], None]

# Assessment columns a worker returns; lists and dicts travel as JSON text.
RESULT_COLUMNS: dict[str, str] = {
    "household_no": "string",
    "village_code": "string",
    "probability": "double",
    "score": "double",
    "grade": "string",
    "credit_household": "boolean",
    "pre_credit_limit": "double",
    "pre_credited": "boolean",
    "thin_file": "boolean",
    "vetoes": "string",
    "caps": "string",
    "features": "string",
    "contributions": "string",
    "reasons": "string",
}
_JSON_COLUMNS = ("vetoes", "caps", "features", "contributions", "reasons")
_MODELS: dict[str, Any] = {}  # per worker process: version → model rebuilt from its parts


def _model(parts: dict[str, Any]) -> Any:
    from creditfarm.model.estimator import CreditModel

    key = parts["version"]
    if key not in _MODELS:
        _MODELS[key] = CreditModel.from_parts(
            model_str=parts["model_str"], calibration=parts["calibration"], params=parts["params"]
        )
    return _MODELS[key]


def _model_parts(bundle: Any) -> dict[str, Any]:
    path = Path(bundle.path)
    return {
        "version": bundle.version,
        "model_str": (path / "model.txt").read_text(encoding="utf-8"),
        "calibration": json.loads((path / "calibration.json").read_text(encoding="utf-8")),
        "params": json.loads((path / "params.json").read_text(encoding="utf-8")),
    }


def _village_scorer(
    parts: Any, policy: Policy, as_of: date
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The function each village's rows go through (``parts``: a broadcast of the model)."""

    def score_village(rows: pd.DataFrame) -> pd.DataFrame:
        features = feature_set(rows, as_of=as_of)
        out = assessment_rows(features, model=_model(parts.value), policy=policy)
        frame = pd.DataFrame(out, columns=list(RESULT_COLUMNS))
        for column in _JSON_COLUMNS:
            frame[column] = [json.dumps(v, ensure_ascii=False) for v in frame[column]]
        return frame

    return score_village


def spark_assessment_rows(
    spark: Any, engine: SparkEngine, *, data: Any, as_of: date, bundle: Any, policy: Policy
) -> Iterator[dict[str, Any]]:
    """Assessment rows scored village by village on the executors, streamed to the driver."""
    params = feature_params(as_of=as_of, snapshot=data.snapshot, policy=policy)
    rows = engine.features(params.with_payment_span(engine.first_payment()))
    parts = spark.sparkContext.broadcast(_model_parts(bundle))
    schema = ", ".join(f"{name} {kind}" for name, kind in RESULT_COLUMNS.items())
    scored = rows.groupBy("village_code").applyInPandas(
        _village_scorer(parts, policy, as_of), schema=schema
    )
    for row in scored.toLocalIterator():
        record = row.asDict()
        for column in _JSON_COLUMNS:
            record[column] = json.loads(record[column])
        yield record


def score_on_spark(
    ws: Workspace,
    *,
    as_of: date | None = None,
    model_version: str | None = None,
    progress: Progress | None = None,
    master: str | None = None,
    spark: Any = None,
) -> ScoreRun:
    """``score_households`` with features and scoring as Spark jobs (``master`` default
    ``local[2]``; ``spark``: an existing session)."""
    bundle = current_bundle(ws, model_version)
    session = spark or spark_session(master or DEFAULT_MASTER)
    policy = ws.policy
    if progress:
        progress(0, 3, "features (Spark)")
    data, engine = spark_county(ws, session)
    when = as_of or data_date(data)
    if progress:
        progress(1, 3, "scores and explanations (Spark)")
    # Streamed from the executors into the database: the driver never holds the province.
    rows = spark_assessment_rows(
        session, engine, data=data, as_of=when, bundle=bundle, policy=policy
    )
    run = store_assessments(
        ws, rows, as_of=when, model_version=bundle.version, policy_version=policy.version
    )
    if progress:
        progress(3, 3, "")
    return run
