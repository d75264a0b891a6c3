"""Benchmark (not a test): the whole job on generated counties, step by step, against the targets.

    .venv/bin/python bench/bench_county.py                       # 50,000, 100,000 and 200,000
    .venv/bin/python bench/bench_county.py --sizes 50000 --steps import train
    .venv/bin/python bench/bench_county.py --sizes 200000 --skip-block

For each size the county (``creditfarm sample --households N --density 4.5``) is generated once
under ``--data-root`` (default ``.bench-data/``, gitignored) and reused; ``--regenerate`` draws
it again. Each step then runs in a child process of its own, so its figures are its own: wall
seconds and CPU seconds (user + system of the child and its threads, from ``wait4``), the
child's peak resident memory, the load average before and after, and the seconds of the work
itself measured inside the child (without Python start-up and imports).

Steps: ``generate`` (the CLI), ``import`` (``ingest_folder`` into a fresh SQLite workspace, with
its seconds per source), ``block`` (the columnar building block of ``bench_import.py``: DuckDB
over the same payment files), ``features`` (read the SQL tables, then every feature as of the
data date), ``train`` (four observation dates), ``score`` (every filed household with stored
TreeSHAP contributions and reasons), ``serve`` (rates for every village and one household's
page data — the officer card and its explanation — repeated, median and slowest).

The whole job is import + train + score + serve (features run inside train and score); it
writes ``<out>.json`` and ``<out>.md`` (default ``bench/results/county``): the table per size,
the targets, and how each step's cost grows with the county (the exponent ``b`` of
``time ∝ households^b`` between the smallest and the largest size: 1 is linear).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

STEPS = ("generate", "import", "block", "features", "train", "score", "serve")
JOB = ("import", "train", "score", "serve")  # the whole job (features run inside train/score)
SIZES = (50_000, 100_000, 200_000)
DENSITY = 4.5
SEED = 2021

# Targets at 200,000 households (issue 9), in seconds unless named otherwise.
TARGETS: dict[str, str] = {
    "import": "≤ 90 s (payments ≤ 1.5 × the building block)",
    "features": "≤ 10 s (one as-of date)",
    "train": "≤ 60 s",
    "score": "≤ 120 s",
    "rates": "≤ 0.1 s",
    "household page": "≤ 0.3 s",
    "whole job": "≤ 300 s",
    "peak memory": "≤ 4 GB",
}


# ---------------------------------------------------------------- child steps


def _settings(work: Path) -> Any:
    from creditfarm.settings import Settings

    return Settings(
        data_dir=work / "data",
        model_dir=work / "models",
        secret_key="bench",
        demo_mode=True,
        _env_file=None,  # type: ignore[call-arg]
    )


def _workspace(work: Path) -> Any:
    from creditfarm.workspace import open_workspace

    return open_workspace(_settings(work))


def child_import(county: Path, work: Path) -> dict[str, Any]:
    import bench_import

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    result = bench_import.run_import(county, work)
    by_source: dict[str, float] = {}
    rows: dict[str, int] = {}
    files: list[dict[str, Any]] = result["files"]  # type: ignore[assignment]
    for entry in files:
        name = entry["source"]
        by_source[name] = by_source.get(name, 0.0) + entry.get("seconds", 0)
        rows[name] = rows.get(name, 0) + int(entry.get("rows") or 0)
    return {
        "seconds": result["seconds"],
        "by_source": {k: round(v, 1) for k, v in by_source.items()},
        "rows": rows,
        "files": len(files),
    }


def child_block(county: Path, work: Path) -> dict[str, Any]:
    import bench_import

    block = work.parent / (work.name + "-block")
    if block.exists():
        shutil.rmtree(block)
    result = bench_import.run_block(county, block)
    shutil.rmtree(block, ignore_errors=True)
    return {"seconds": result["seconds"], "rows": result["rows"]}


def child_features(county: Path, work: Path) -> dict[str, Any]:
    from creditfarm.features.build import build_features, data_date, load_county

    ws = _workspace(work)
    t0 = time.perf_counter()
    data = load_county(ws)
    t1 = time.perf_counter()
    fs = build_features(data, as_of=data_date(data), policy=ws.policy)
    t2 = time.perf_counter()
    return {
        "seconds": round(t2 - t0, 2),
        "read_tables": round(t1 - t0, 2),
        "one_date": round(t2 - t1, 2),
        "households": len(fs.X),
    }


def child_train(county: Path, work: Path) -> dict[str, Any]:
    from creditfarm.model.training import train_model

    ws = _workspace(work)
    marks: list[tuple[str, float]] = []

    def progress(done: int, total: int, label: str) -> None:
        marks.append((label, time.perf_counter()))

    t0 = time.perf_counter()
    result = train_model(ws, progress=progress)
    seconds = time.perf_counter() - t0
    parts = {
        label: round(marks[i + 1][1] - when, 2)
        for i, (label, when) in enumerate(marks[:-1])
        if label
    }
    return {
        "seconds": round(seconds, 2),
        "parts": parts,
        "version": result.version,
        "rows": sum(int(p["rows"]) for p in result.metrics["populations"].values()),
        "trees": result.metrics["best_iteration"],
    }


def child_score(county: Path, work: Path) -> dict[str, Any]:
    from creditfarm.scoring.run import score_households

    ws = _workspace(work)
    marks: list[tuple[str, float]] = []

    def progress(done: int, total: int, label: str) -> None:
        marks.append((label, time.perf_counter()))

    t0 = time.perf_counter()
    run = score_households(ws, progress=progress)
    seconds = time.perf_counter() - t0
    parts = {
        label: round(marks[i + 1][1] - when, 2)
        for i, (label, when) in enumerate(marks[:-1])
        if label
    }
    return {
        "seconds": round(seconds, 2),
        "parts": parts,
        "assessments": run.households,
        "explained": run.explained,
    }


def _timed(fn: Any, repeat: int) -> tuple[float, list[float]]:
    first = time.perf_counter()
    fn()
    first = time.perf_counter() - first
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return first, times


def child_serve(county: Path, work: Path) -> dict[str, Any]:
    from sqlalchemy import text

    from creditfarm.access import Role, system_principal
    from creditfarm.explain.household import explain_household
    from creditfarm.officer.households import household_card
    from creditfarm.reports.rates import rates, take_snapshot

    bank = system_principal(Role.credit_supervisor, "bench")  # sees every village
    ws = _workspace(work)
    t0 = time.perf_counter()
    take_snapshot(ws)
    snapshot = time.perf_counter() - t0
    first_rates, rate_times = _timed(lambda: rates(ws, level="village"), 9)
    villages = len(rates(ws, level="village"))
    with ws.engine.connect() as conn:
        scored = [
            r[0]
            for r in conn.execute(text("SELECT DISTINCT household_no FROM assessment")).fetchall()
        ]
    chosen = random.Random(9).sample(sorted(scored), min(25, len(scored)))

    def page(hh: str) -> None:
        household_card(ws, household_no=hh, principal=bank)
        explain_household(ws, household_no=hh, principal=bank)

    page(chosen[0])  # warm: the first call loads LightGBM, DuckDB and the rest
    page_times = []
    for hh in chosen[1:]:
        t = time.perf_counter()
        page(hh)
        page_times.append(time.perf_counter() - t)
    return {
        "seconds": round(snapshot + first_rates + sum(rate_times) + sum(page_times), 2),
        "snapshot": round(snapshot, 3),
        "villages": villages,
        "rates_first": round(first_rates, 4),
        "rates_median": round(statistics.median(rate_times), 4),
        "rates_max": round(max(rate_times), 4),
        "page_median": round(statistics.median(page_times), 4),
        "page_max": round(max(page_times), 4),
        "pages": len(page_times),
    }


CHILDREN = {
    "import": child_import,
    "block": child_block,
    "features": child_features,
    "train": child_train,
    "score": child_score,
    "serve": child_serve,
}


# ---------------------------------------------------------------- parent


def _run_child(argv: list[str]) -> dict[str, Any]:
    """Run ``argv`` as a child; its wall and CPU seconds, peak RSS and last JSON line."""
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="2"),
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        print("   ", line.rstrip("\n"), flush=True)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"step failed ({proc.returncode}): {' '.join(argv)}")
    payload: dict[str, Any] = {}
    for line in reversed(lines):
        if line.startswith("{"):
            payload = json.loads(line)
            break
    return {
        "wall": round(wall, 2),
        "cpu": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        **payload,
    }


def _generate(county: Path, households: int) -> dict[str, Any]:
    if county.exists():
        shutil.rmtree(county)
    cli = Path(sys.executable).with_name("creditfarm")
    return _run_child(
        [
            str(cli),
            "sample",
            "--out",
            str(county),
            "--households",
            str(households),
            "--density",
            str(DENSITY),
            "--seed",
            str(SEED),
        ]
    )


def run_size(
    households: int, steps: list[str], data_root: Path, *, regenerate: bool
) -> dict[str, Any]:
    county = data_root / f"county-{households}"
    work = data_root / f"ws-{households}"
    record_file = data_root / f"county-{households}.json"
    record: dict[str, Any] = json.loads(record_file.read_text()) if record_file.exists() else {}
    record.setdefault("steps", {})
    record["households"] = households
    if "generate" in steps and (regenerate or not (county / "户籍.csv").exists()):
        print(f"== {households:,}: generate", flush=True)
        record["steps"]["generate"] = _generate(county, households)
    for name in steps:
        if name == "generate":
            continue
        print(f"== {households:,}: {name}", flush=True)
        argv = [sys.executable, __file__, "--child", name, str(county), str(work)]
        record["steps"][name] = _run_child(argv)
        record["steps"][name]["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        record_file.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    imported = record["steps"].get("import", {}).get("rows", {})
    record["payment_rows"] = imported.get("payments")
    record_file.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    return record


def _fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "—"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.1f} s" if value >= 1 else f"{value:.3f} s"


def _exponent(small: tuple[int, float], large: tuple[int, float]) -> float | None:
    (n1, t1), (n2, t2) = small, large
    if t1 <= 0 or t2 <= 0 or n1 == n2:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def markdown(records: list[dict[str, Any]]) -> str:
    records = sorted(records, key=lambda r: r["households"])
    sizes = [r["households"] for r in records]
    head = "| step | " + " | ".join(f"{n:,} households" for n in sizes) + " | growth b | target |"
    rule = "| --- |" + " ---: |" * len(sizes) + " ---: | --- |"
    lines = [
        "Each cell: wall seconds / CPU seconds / peak RSS of the step's process (start-up and "
        "imports included); *work* is the step's own seconds measured inside it. Growth b: "
        "time ∝ households^b between the smallest and largest size (1 = linear), on CPU "
        "seconds.",
        "",
        head,
        rule,
    ]

    def cell(r: dict[str, Any], name: str) -> str:
        s = r["steps"].get(name)
        if not s:
            return "—"
        work = f" (work {s['seconds']:.1f} s)" if "seconds" in s else ""
        return f"{s['wall']:.1f} s / {s['cpu']:.1f} s / {s['peak_mb']:,} MB{work}"

    target_of = {
        "import": TARGETS["import"],
        "features": TARGETS["features"],
        "train": TARGETS["train"],
        "score": TARGETS["score"],
    }
    for name in STEPS:
        if not any(name in r["steps"] for r in records):
            continue
        have = [(r["households"], r["steps"][name]["cpu"]) for r in records if name in r["steps"]]
        b = _exponent(have[0], have[-1]) if len(have) > 1 else None
        cells = " | ".join(cell(r, name) for r in records)
        growth = f"{b:.2f}" if b is not None else "—"
        lines.append(f"| {name} | {cells} | {growth} | {target_of.get(name, '')} |")
    # Details: import per source, block ratio, features split, serve figures, the whole job.
    lines += ["", "| figure | " + " | ".join(f"{n:,}" for n in sizes) + " | target |"]
    lines.append("| --- |" + " ---: |" * len(sizes) + " --- |")

    def detail(label: str, fn: Any, target: str = "") -> None:
        values = []
        for r in records:
            try:
                values.append(fn(r))
            except (KeyError, TypeError, ZeroDivisionError):
                values.append("—")
        lines.append(f"| {label} | " + " | ".join(values) + f" | {target} |")

    detail("payment rows", lambda r: f"{r['payment_rows']:,}")
    detail("import: payments (work)", lambda r: _fmt(r["steps"]["import"]["by_source"]["payments"]))
    detail(
        "import: other sources (work)",
        lambda r: _fmt(
            sum(v for k, v in r["steps"]["import"]["by_source"].items() if k != "payments")
        ),
    )
    detail("building block (work)", lambda r: _fmt(r["steps"]["block"]["seconds"]))
    detail(
        "payments ÷ building block",
        lambda r: (
            f"{r['steps']['import']['by_source']['payments'] / r['steps']['block']['seconds']:.2f}×"
        ),
        "≤ 1.5×",
    )
    detail("features: read SQL tables", lambda r: _fmt(r["steps"]["features"]["read_tables"]))
    detail("features: one as-of date", lambda r: _fmt(r["steps"]["features"]["one_date"]), "≤ 10 s")
    detail("train: trees", lambda r: str(r["steps"]["train"]["trees"]))
    detail("score: assessments", lambda r: f"{r['steps']['score']['assessments']:,}")
    detail("villages", lambda r: f"{r['steps']['serve']['villages']:,}")
    detail(
        "rates, every village (median of 9; first)",
        lambda r: "{} ({})".format(
            _fmt(r["steps"]["serve"]["rates_median"]), _fmt(r["steps"]["serve"]["rates_first"])
        ),
        TARGETS["rates"],
    )
    detail(
        "household page data (median; slowest of 24)",
        lambda r: (
            f"{_fmt(r['steps']['serve']['page_median'])} ({_fmt(r['steps']['serve']['page_max'])})"
        ),
        TARGETS["household page"],
    )
    detail(
        "whole job: import + train + score + serve (wall / CPU)",
        lambda r: (
            f"{sum(r['steps'][s]['wall'] for s in JOB):.0f} s / "
            f"{sum(r['steps'][s]['cpu'] for s in JOB):.0f} s"
        ),
        TARGETS["whole job"],
    )
    detail(
        "peak memory of any step",
        lambda r: _fmt(max(s["peak_mb"] for s in r["steps"].values()), "MB"),
        TARGETS["peak memory"],
    )
    detail(
        "load average (1 min) over the steps",
        lambda r: "{:.1f}–{:.1f}".format(
            min(min(s["load_before"], s["load_after"]) for s in r["steps"].values()),
            max(max(s["load_before"], s["load_after"]) for s in r["steps"].values()),
        ),
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--data-root", type=Path, default=ROOT / ".bench-data")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "county")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--skip-block", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="tables from stored records")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("paths", type=Path, nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        county, work = args.paths
        print(json.dumps(CHILDREN[args.child](county, work), ensure_ascii=False))
        return
    args.data_root.mkdir(parents=True, exist_ok=True)
    steps = [s for s in args.steps if not (args.skip_block and s == "block")]
    records = []
    for n in args.sizes:
        if args.report_only:
            records.append(json.loads((args.data_root / f"county-{n}.json").read_text()))
        else:
            records.append(run_size(n, steps, args.data_root, regenerate=args.regenerate))
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "density": DENSITY,
        "targets_at_200000": TARGETS,
        "counties": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    table = markdown(records)
    args.out.with_suffix(".md").write_text(table)
    print()
    print(table)


if __name__ == "__main__":
    main()
