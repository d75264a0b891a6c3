"""Benchmark (not a test): the main job step by step — generate, import, features, train, score.

    .venv/bin/python bench/bench_pipeline.py                    # 3,000 households (sample size)
    .venv/bin/python bench/bench_pipeline.py --households 20000
    .venv/bin/python bench/bench_pipeline.py --households 50000 --density 2 --skip-train

Prints wall time and peak memory (RSS of this process) after each step. The payment-feature
step is the DuckDB SQL over the Parquet store that Spark will run at province scale.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from creditfarm.features import build  # noqa: E402
from creditfarm.ingest import ingest_folder  # noqa: E402
from creditfarm.model.training import train_model  # noqa: E402
from creditfarm.sample import generate_county  # noqa: E402
from creditfarm.scoring.run import score_households  # noqa: E402
from creditfarm.settings import Settings  # noqa: E402
from creditfarm.storage.paystore import connect  # noqa: E402
from creditfarm.workspace import open_workspace  # noqa: E402

AS_OF = date(2022, 6, 30)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(label: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    print(
        f"{label:<44} {time.perf_counter() - t0:8.1f} s   peak RSS {peak_mb():7.0f} MB", flush=True
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--density", type=float, default=1.0)
    parser.add_argument("--skip-train", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cf-bench-"))
    settings = Settings(
        data_dir=tmp / "data",
        model_dir=tmp / "models",
        secret_key="bench",
        demo_mode=True,
        _env_file=None,
    )  # type: ignore[call-arg]
    ws = open_workspace(settings)
    print(f"county of {args.households:,} households (density {args.density}) in {tmp}")
    summary = step(
        "generate county",
        lambda: generate_county(
            tmp / "county", households=args.households, seed=args.seed, density=args.density
        ),
    )
    print(f"  payment rows: {summary.rows.get('payments', 0):,}")
    step("import (ingest_folder, SQLite + Parquet)", lambda: ingest_folder(ws, tmp / "county"))
    data = step("load county tables", lambda: build.load_county(ws))
    members = data.members

    def payment_sql() -> int:
        con = connect(ws.payments_root)
        con.register("members", members)
        row = con.execute("SELECT COUNT(*) FROM payments").fetchone()
        assert row is not None  # COUNT(*) always returns a row
        return int(row[0])

    step("payments: count rows over Parquet", payment_sql)
    step("features as of 2022-06-30 (all sources)", lambda: build.build_features(data, as_of=AS_OF))
    if not args.skip_train:
        trained = step("train (4 observation dates, OOT)", lambda: train_model(ws))
        step(
            "score + explain every filed household",
            lambda: score_households(ws, model_version=trained.version),
        )


if __name__ == "__main__":
    main()
