"""Run every benchmark in turn (`make bench`); figures go to docs/benchmarks.md by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["bench_pipeline.py"],
    ["bench_county.py", "--sizes", "50000"],
    ["bench_explain.py", "--county"],
    ["bench_app.py"],
    ["bench_startup.py"],
]

if __name__ == "__main__":
    failed = 0
    for script, *args in SCRIPTS:
        print(f"\n== {script} {' '.join(args)}", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / script), *args])
    sys.exit(failed)
