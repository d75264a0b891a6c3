"""`python -m pipelines demo [--households N] [--seed S]`: the README's main job."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines")
    sub = parser.add_subparsers(dest="pipeline", required=True)
    demo = sub.add_parser("demo", help="sample county → import → train → score")
    demo.add_argument(
        "--households",
        type=int,
        default=None,
        help="generate a fresh county of this size instead of sample_data/",
    )
    demo.add_argument("--seed", type=int, default=2021)
    demo.add_argument("--sample-dir", type=Path, default=Path("sample_data"))
    args = parser.parse_args(argv)

    from creditfarm.reports.rates import rates

    from .pipeline import run_demo

    started = time.perf_counter()
    result = run_demo(sample_dir=args.sample_dir, households=args.households, seed=args.seed)
    model, base = result.train.metrics["model"], result.train.metrics["baseline"]
    score = result.score
    print(
        f"model {result.train.version}: out-of-time AUC {model['auc']:.3f} "
        f"(scorecard baseline {base['auc']:.3f}); card: {result.train.path / 'model_card.md'}"
    )
    print(
        f"scored {score.households:,} filed households as of {score.as_of}: "
        f"pre-credited {score.pre_credited:,}, credit households {score.credit_households:,}, "
        f"thin files {score.thin_files:,}, vetoed {score.vetoed:,}"
    )
    table = rates(result.workspace, level="village")
    print(table.to_string(index=False))
    print(f"done in {time.perf_counter() - started:.1f} s — open http://localhost:8501")
    return 0


if __name__ == "__main__":
    sys.exit(main())
