"""Benchmark (not a test): how fast each page of the app answers on the sample county.

    .venv/bin/python bench/bench_app.py                     # build a 3,000-household county
    .venv/bin/python bench/bench_app.py --households 1500
    .venv/bin/python bench/bench_app.py --data-dir DIR      # an existing workspace (data/, models/)

Each page runs through Streamlit's AppTest (the script as the server runs it, without the
browser): the first run in a fresh process (imports, workspace, queries), a run after the data
changed (every cached query misses, as after an import or scoring run), and warm reruns, as a
user who interacts with the page sees them. Also timed: opening one household's card with
its explanation. The goal is every warm page under one second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["page_officer", "page_rates", "page_village", "page_model", "page_import"]
GOAL_SECONDS = 1.0


def build(root: Path, households: int, seed: int) -> Path:
    from creditfarm.settings import Settings
    from pipelines.pipeline import run_demo

    settings = Settings(data_dir=root / "data", model_dir=root / "models", _env_file=None)  # type: ignore[call-arg]
    started = time.perf_counter()
    run_demo(settings, households=households, seed=seed, log=lambda m: print("  " + m))
    print(f"county of {households} households built in {time.perf_counter() - started:.1f} s")
    return root


def point_env(root: Path) -> None:
    os.environ["CREDITFARM_DATA_DIR"] = str(root / "data")
    os.environ["CREDITFARM_MODEL_DIR"] = str(root / "models")
    os.environ.pop("CREDITFARM_DATABASE_URL", None)


def timed_runs(name: str, warm_runs: int) -> tuple[float, float, list[float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "ui" / f"{name}.py"), default_timeout=300)
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{name}: {at.exception[0].value}")
    warm = []
    for _ in range(warm_runs):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
    # After an import or scoring run the data stamp changes: every cached query misses once.
    st.cache_data.clear()
    started = time.perf_counter()
    at.run()
    miss = time.perf_counter() - started
    return cold, miss, warm


def household_open(warm_runs: int) -> tuple[float, float, list[float]]:
    """Officer page: pick a scored household (first time: card + explanation computed)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "ui" / "page_officer.py"), default_timeout=300).run()
    at.selectbox(key="q_status").set_value("scored").run()
    household = at.dataframe[0].value["户号"].iloc[0]
    started = time.perf_counter()
    at.selectbox(key="household").set_value(household).run()
    first = time.perf_counter() - started
    warm = []
    for _ in range(warm_runs):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
    return first, first, warm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="a folder holding data/ and models/ of an existing workspace",
    )
    parser.add_argument("--warm-runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        root = args.data_dir or build(Path(tmp), args.households, args.seed)
        point_env(root)
        rows = [(name, *timed_runs(name, args.warm_runs)) for name in PAGES]
        rows.append(("household card (select)", *household_open(args.warm_runs)))
    header = f"{'page':<26}{'first run':>11}{'cache miss':>12}{'warm median':>13}{'warm max':>10}"
    print(f"\n{header}  goal < {GOAL_SECONDS:.0f} s")
    slow = 0
    for name, cold, miss, warm in rows:
        median, worst = statistics.median(warm), max(warm)
        ok = "ok" if max(median, miss) < GOAL_SECONDS else "SLOW"
        slow += max(median, miss) >= GOAL_SECONDS
        print(f"{name:<26}{cold:>10.2f}s{miss:>11.2f}s{median:>12.2f}s{worst:>9.2f}s  {ok}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
