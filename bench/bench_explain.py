"""Benchmark (not a test): explanations in bulk for a county and for one household on demand.

    .venv/bin/python bench/bench_explain.py            # synthetic county, 3,000 households
    .venv/bin/python bench/bench_explain.py --county   # sample → import → train → score
    .venv/bin/python bench/bench_explain.py --households 20000 --trees 500

Synthetic mode trains a LightGBM model over the catalogue's features on random data (as many
trees and leaves as asked), stores assessments without contributions and times: bulk
``pred_contrib`` for every household, ``explain_batch`` (contributions + Chinese reasons), and
``explain_household`` computing one household on demand (model load, village peers, reasons).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import lightgbm as lgb
import numpy as np
import pandas as pd
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from creditfarm.access import Role, system_principal
from creditfarm.explain import contributions_frame, explain_batch, explain_household
from creditfarm.features.catalogue import FEATURE_NAMES, monotone_constraints
from creditfarm.settings import Settings
from creditfarm.storage.models import Assessment, Household, Region
from creditfarm.workspace import Workspace, open_workspace

AS_OF = date(2022, 6, 30)
BANK = system_principal(Role.credit_supervisor, "bench")  # sees every village


def timed(label: str, fn, repeat: int = 1):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    best, median = min(times), statistics.median(times)
    print(f"{label:<58} best {best * 1000:9.1f} ms   median {median * 1000:9.1f} ms")
    return result, median


def workspace(tmp: Path) -> Workspace:
    settings = Settings(
        data_dir=tmp / "data",
        model_dir=tmp / "models",
        secret_key="bench",
        demo_mode=True,
        _env_file=None,
    )  # type: ignore[call-arg]
    return open_workspace(settings)


def synthetic(args: argparse.Namespace, tmp: Path) -> None:
    rng = np.random.default_rng(1)
    n, names = args.households, list(FEATURE_NAMES)
    X = pd.DataFrame(rng.normal(size=(n, len(names))), columns=names)
    X[X > 2.2] = np.nan  # some gaps
    risk = X["pay_inflow_month_mean"].fillna(0) * -0.8 + X["loan_max_overdue_days"].fillna(0)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(risk - 2.5)))).astype(int)
    params = {
        "objective": "binary",
        "num_leaves": args.leaves,
        "min_data_in_leaf": 5,
        "learning_rate": 0.05,
        "monotone_constraints": monotone_constraints(names),
        "num_threads": 1,
        "verbosity": -1,
        "seed": 1,
    }
    booster = lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=args.trees)
    print(
        f"model: {booster.num_trees()} trees × ≤{args.leaves} leaves, {len(names)} features; "
        f"{n:,} households"
    )

    villages = [f"4690291002{i:02d}" for i in range(max(1, n // 150))]
    households = pd.DataFrame(
        {
            "household_no": [f"H{i:06d}" for i in range(n)],
            "village_code": [villages[i % len(villages)] for i in range(n)],
        }
    )
    timed("bulk pred_contrib, whole county", lambda: contributions_frame(booster, X), 3)
    _, t_batch = timed(
        "explain_batch (contributions + reasons), whole county",
        lambda: explain_batch(booster, X, households=households),
        1,
    )
    print(f"{'':<58} = {t_batch / n * 1000:.2f} ms per household")

    ws = workspace(tmp)
    version = "bench"
    (ws.model_dir / version).mkdir(parents=True)
    booster.save_model(str(ws.model_dir / version / "model.txt"))
    with ws.engine.begin() as conn:
        conn.execute(
            insert(Region),
            [
                {
                    "village_code": v,
                    "village_name": f"村{v[-2:]}",
                    "town_name": "保城镇",
                    "extra": {},
                }
                for v in villages
            ],
        )
        conn.execute(insert(Household), households.to_dict(orient="records"))
        conn.execute(
            insert(Assessment),
            [
                {
                    "household_no": hh,
                    "village_code": vc,
                    "as_of": AS_OF,
                    "model_version": version,
                    "policy_version": "bench",
                    "probability": 0.05,
                    "score": 72.0,
                    "grade": "AA",
                    "credit_household": True,
                    "pre_credit_limit": 80000.0,
                    "pre_credited": True,
                    "thin_file": False,
                    "vetoes": [],
                    "caps": [],
                    "contributions": {},
                    "reasons": {},
                    "features": {k: (None if pd.isna(v) else float(v)) for k, v in row.items()},
                    "created_at": pd.Timestamp.now(tz="UTC").to_pydatetime(),
                }
                for hh, vc, row in zip(
                    households["household_no"],
                    households["village_code"],
                    X.to_dict(orient="records"),
                    strict=True,
                )
            ],
        )
    target = households["household_no"].iloc[n // 2]
    out, _ = timed(
        "explain_household on demand (load model, peers, reasons)",
        lambda: explain_household(ws, household_no=target, principal=BANK),
        7,
    )
    assert out["computed_on_demand"]
    print("first lowered reason:", out["reasons"]["lowered"][0]["sentence"])


def county(args: argparse.Namespace, tmp: Path) -> None:
    from creditfarm.ingest import ingest_folder
    from creditfarm.model.artefacts import load_bundle
    from creditfarm.sample import generate_county
    from creditfarm.scoring.run import score_households

    ws = workspace(tmp)
    folder = tmp / "county"
    timed("generate sample county", lambda: generate_county(folder, households=args.households))
    timed("ingest", lambda: ingest_folder(ws, folder))
    from creditfarm.model.training import train_model

    trained, _ = timed("train", lambda: train_model(ws))
    run, _ = timed(
        "score (incl. explain_batch for every household)",
        lambda: score_households(ws, model_version=trained.version),
    )
    print(f"scored {run.households:,} households, explained={run.explained}")
    from creditfarm.features.build import build_features, load_county

    bundle = load_bundle(ws.model_dir, trained.version)
    features = build_features(load_county(ws), as_of=run.as_of, policy=ws.policy)
    X = features.X[bundle.model.feature_names_]
    print(f"model: {bundle.model.booster_.num_trees()} trees; {len(X):,} rows")
    timed("bulk pred_contrib, whole county", lambda: contributions_frame(bundle.model, X), 3)
    from sqlmodel import Session, select

    with Session(ws.engine) as s:
        a = s.exec(select(Assessment).limit(1)).one()
        hh = a.household_no
        a.contributions, a.reasons = {}, {}
        s.add(a)
        s.commit()
    out, _ = timed(
        "explain_household on demand",
        lambda: explain_household(ws, household_no=hh, principal=BANK),
        7,
    )
    assert out["computed_on_demand"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--leaves", type=int, default=31)
    parser.add_argument("--county", action="store_true", help="run the real pipeline instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (county if args.county else synthetic)(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
