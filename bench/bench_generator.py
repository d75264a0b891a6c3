"""Benchmark (not a test): the sample-county generator alone — wall time and peak memory.

    .venv/bin/python bench/bench_generator.py                                  # 3,000 households
    .venv/bin/python bench/bench_generator.py --households 200000 --density 4.5

Runs `creditfarm sample` in a child process, as a user would, so the figures are the
generator's own: wall seconds (start-up and imports included), CPU seconds and the child's peak
resident memory (getrusage of the waited-for child), then the payment rows and bytes written.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--density", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--clean", action="store_true", help="tidy UTF-8 CSVs, no defects")
    parser.add_argument("--out", type=Path, help="keep the county here (default: a temp folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="cf-bench-gen-"))
    cmd = [
        sys.executable,
        "-m",
        "creditfarm",
        "sample",
        "--out",
        str(out),
        "--households",
        str(args.households),
        "--density",
        str(args.density),
        "--seed",
        str(args.seed),
        "--months",
        str(args.months),
        *(["--clean"] if args.clean else []),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"creditfarm sample failed:\n{done.stderr}{done.stdout}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rows = re.search(r"payments\s+([\d,]+)", done.stdout)
    files = [p for p in out.iterdir() if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"households             {args.households:>12,}   density {args.density:g}")
    print(f"payment rows           {rows[1] if rows else '?':>12}")
    print(f"files written          {len(files):>12}   {size / 1e9:.2f} GB")
    print(f"wall time              {wall:>12.1f} s")
    print(f"CPU time               {cpu:>12.1f} s")
    # ru_maxrss is in KiB on Linux: the largest resident set of any waited-for child
    print(f"peak memory (RSS)      {after.ru_maxrss / 1024:>12,.0f} MB")
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
