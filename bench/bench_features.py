"""Benchmark (not a test): feature building for a county as of one date, locally and on Spark.

    creditfarm sample --households 20000 --density 4.5 --out /tmp/c20k/export
    CREDITFARM_DATA_DIR=/tmp/c20k/data creditfarm ingest /tmp/c20k/export
    .venv/bin/python bench/bench_features.py --data-dir /tmp/c20k/data
    .venv/bin/python bench/bench_features.py --data-dir /tmp/c20k/data --spark --model-dir models

Local: reading the SQL tables into Arrow (``load_county``), the first feature build (DuckDB
connection, views) and warm builds (training builds five dates on one connection). Spark
(``--spark``, local[N]): the feature query executed in full, and scoring with explanations per
village (``applyInPandas``), timed inside each task: the per-partition figures docs/spark.md
turns into a province estimate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from creditfarm.features.build import build_features, feature_params, load_county
from creditfarm.settings import Settings
from creditfarm.storage import paystore
from creditfarm.workspace import Workspace, open_workspace

T = TypeVar("T")


def step(label: str, fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn()
    took = time.perf_counter() - start
    print(f"  {label:52s} {took:8.2f} s", flush=True)
    return out, took


def payment_rows(ws: Workspace) -> int:
    con = paystore.connect(Path(ws.payments_root))
    try:
        return int(con.execute("SELECT COUNT(*) FROM payments").fetchall()[0][0])
    finally:
        con.close()


def local(ws: Workspace, as_of: date | None, repeat: int) -> None:
    data, _ = step("load county (SQL tables → Arrow)", lambda: load_county(ws))
    when = as_of or data.snapshot
    households = data.relations["households"].num_rows
    print(f"  {households:,} households, {payment_rows(ws):,} payment rows, as of {when}")
    step(
        "features, first build (DuckDB)", lambda: build_features(data, as_of=when, policy=ws.policy)
    )
    warm = [
        step(
            f"features, build {i + 2}", lambda: build_features(data, as_of=when, policy=ws.policy)
        )[1]
        for i in range(repeat)
    ]
    print(f"  median warm build: {statistics.median(warm):.2f} s")


def on_spark(ws: Workspace, as_of: date | None, master: str, model_dir: Path | None) -> None:
    import pandas as pd

    from creditfarm.features.engine.spark import spark_county, spark_session
    from creditfarm.model.artefacts import load_bundle
    from creditfarm.scoring.spark import _model_parts, _village_scorer

    cores = int(master[len("local[") : -1]) if master.startswith("local[") else 0
    spark, _ = step(
        f"Spark session ({master})", lambda: spark_session(master, shuffle_partitions=max(cores, 2))
    )
    (data, engine), _ = step("relations → Parquet, views", lambda: spark_county(ws, spark))
    when = as_of or data.snapshot
    households = data.relations["households"].num_rows
    params = feature_params(as_of=when, snapshot=data.snapshot, policy=ws.policy)
    params = params.with_payment_span(engine.first_payment())

    def run_features() -> None:
        engine.features(params).write.format("noop").mode("overwrite").save()

    step("features, cold (Spark SQL, executed in full)", run_features)
    _, took = step("features, warm", run_features)
    print(f"  features: {took * max(cores, 1) / households * 1000:.3f} core-s per 1,000 households")
    if model_dir is None:
        return
    bundle = load_bundle(model_dir)
    parts = spark.sparkContext.broadcast(_model_parts(bundle))
    scorer = _village_scorer(parts, ws.policy, when)

    def timed(rows: pd.DataFrame) -> pd.DataFrame:
        start = time.perf_counter()
        out = scorer(rows)
        return pd.DataFrame(
            {
                "households": [len(out)],
                "rows": [len(rows)],
                "seconds": [time.perf_counter() - start],
            }
        )

    def run_scoring() -> pd.DataFrame:
        frame = engine.features(params).groupBy("village_code")
        return frame.applyInPandas(timed, "households long, rows long, seconds double").toPandas()

    step("score + explain per village, cold (workers start)", run_scoring)
    per, took = step("score + explain per village, warm", run_scoring)
    scored = int(per["households"].sum())
    print(
        f"  {len(per)} villages, {scored:,} filed households scored: "
        f"{per['seconds'].sum():.2f} task-s in tasks, {per['seconds'].median():.3f} s median per "
        f"village ({per['rows'].median():.0f} households), "
        f"{per['seconds'].sum() / max(scored, 1) * 1000:.2f} ms per scored household"
    )
    spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="workspace data folder")
    parser.add_argument("--db", default="", help="database URL (default: the data folder's)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark", action="store_true", help="measure the Spark engine instead")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--model-dir", type=Path, default=None, help="score with LATEST here")
    args = parser.parse_args()
    settings = Settings(
        data_dir=args.data_dir,
        database_url=args.db,
        model_dir=args.model_dir or Path("models"),
        _env_file=None,
    )  # type: ignore[call-arg]
    ws = open_workspace(settings)
    print(f"county in {args.data_dir} ({settings.database_url})")
    if args.spark:
        on_spark(ws, args.as_of, args.master, args.model_dir)
    else:
        local(ws, args.as_of, args.repeat)


if __name__ == "__main__":
    main()
