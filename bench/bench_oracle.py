"""Benchmark (not a test): the county model against the truth of a generated county.

    .venv/bin/python bench/bench_oracle.py                       # 3,000 households, seed 2021
    .venv/bin/python bench/bench_oracle.py --households 50000 --seed 7

A generated county knows each household's true default probability (``creditfarm sample``
writes it to ``.truth/households.csv``, never imported, never a model input). This script
imports the county, trains with the real pipeline (``train_model``) and compares three scores:

- **model**: the committed pipeline (monotone LightGBM, cross-fitted Platt);
- **plain**: what an analyst writes in an afternoon: ``LGBMClassifier`` with default
  parameters (200 trees), no constraints, no early stopping, no calibration, fitted on every
  in-time row of the same feature table (every catalogue feature);
- **oracle**: the true probability itself (the ceiling any model can reach).

Figures, for all three:

- on the **scoring population** (filed households on the data date; no labels needed):
  Spearman rank correlation with the truth, and the *expected AUC against the truth* — the
  AUC a score would have if every household's outcome were drawn from its true probability
  (each row counted as bad with weight ``true_pd`` and good with weight ``1 − true_pd``); for
  borrowers and for thin files (白户) apart;
- on the **out-of-time rows** (the last observation date, realised labels): the AUC.

Writes ``bench/results/oracle.json`` and ``.md``; counties are generated under ``.bench-data/``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from creditfarm.features.build import build_features, load_county  # noqa: E402
from creditfarm.features.catalogue import FEATURE_NAMES  # noqa: E402
from creditfarm.ingest import ingest_folder  # noqa: E402
from creditfarm.model.artefacts import current_bundle  # noqa: E402
from creditfarm.model.training import train_model, training_set  # noqa: E402
from creditfarm.sample import generate_county  # noqa: E402
from creditfarm.sample.truth import TRUTH_DIR, TRUTH_FILE  # noqa: E402
from creditfarm.settings import Settings  # noqa: E402
from creditfarm.workspace import open_workspace  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def expected_auc(score: np.ndarray, truth: np.ndarray) -> float:
    """AUC of ``score`` when each row is bad with probability ``truth`` (soft labels)."""
    n = len(score)
    labels = np.r_[np.ones(n), np.zeros(n)]
    return float(
        roc_auc_score(labels, np.r_[score, score], sample_weight=np.r_[truth, 1.0 - truth])
    )


def figures(scores: dict[str, np.ndarray], truth: np.ndarray) -> dict[str, dict[str, float]]:
    out = {}
    for name, s in scores.items():
        rho = spearmanr(s, truth).statistic
        out[name] = {"spearman": float(rho), "expected_auc": expected_auc(s, truth)}
    return out


def county(households: int, seed: int) -> Path:
    folder = ROOT / ".bench-data" / f"oracle-{households}-{seed}"
    if not (folder / TRUTH_DIR / TRUTH_FILE).exists():
        generate_county(folder, households=households, seed=seed)
    return folder


def run(households: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    folder = county(households, seed)
    truth = pd.read_csv(folder / TRUTH_DIR / TRUTH_FILE, dtype={"household_no": str})
    truth = truth.set_index("household_no")["true_pd"]
    tmp = Path(tempfile.mkdtemp(prefix="cf-oracle-"))
    settings = Settings(
        data_dir=tmp / "data",
        model_dir=tmp / "models",
        secret_key="bench",
        demo_mode=True,
        _env_file=None,
    )  # type: ignore[call-arg]
    ws = open_workspace(settings)
    ingest_folder(ws, folder)
    trained = train_model(ws)
    model = current_bundle(ws).model
    data = load_county(ws)
    observed = [date.fromisoformat(d) for d in trained.metrics["observation_dates"]]
    ts = training_set(data, observed=observed, policy=ws.policy)
    oot = ts.observed == observed[-1]
    in_time = ~oot
    names = list(FEATURE_NAMES)
    plain = lgb.LGBMClassifier(n_estimators=200, random_state=0, n_jobs=2, verbosity=-1)
    plain.fit(ts.X.loc[in_time, names], ts.y[in_time])

    def three(X: pd.DataFrame, households: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "model": model.predict_proba(X[model.feature_names_])[:, 1],
            "plain": np.asarray(plain.predict_proba(X[names]))[:, 1],
            "oracle": truth.reindex(households.astype(str)).to_numpy(),
        }

    y_oot = ts.y[oot]
    oot_scores = three(ts.X[oot], ts.household_no[oot])
    result: dict[str, Any] = {
        "households": households,
        "seed": seed,
        "model_version": trained.version,
        "out_of_time": {
            "rows": int(oot.sum()),
            "bads": int(y_oot.sum()),
            "auc": {k: float(roc_auc_score(y_oot, v)) for k, v in oot_scores.items()},
        },
    }
    current = build_features(data, as_of=data_date_of(trained), policy=ws.policy)
    filed = current.meta.index[current.meta["filed"]]
    X_now = current.X.loc[filed]
    thin = current.meta.loc[filed, "thin_file"].to_numpy(dtype=bool)
    scores = three(X_now, np.asarray(filed))
    true_now = scores["oracle"]
    known = ~np.isnan(true_now)
    population: dict[str, Any] = {}
    for part, mask in (("all", known), ("borrowers", known & ~thin), ("thin_files", known & thin)):
        population[part] = {
            "households": int(mask.sum()),
            **figures({k: v[mask] for k, v in scores.items()}, true_now[mask]),
        }
    result["scoring_population"] = population
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def data_date_of(trained: Any) -> date:
    return date.fromisoformat(trained.metrics["as_of"])


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| county | population | households | Spearman model / plain / oracle | "
        "expected AUC model / plain / oracle |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for r in results:
        for part, f in r["scoring_population"].items():
            lines.append(
                f"| {r['households']:,} (seed {r['seed']}) | {part} | {f['households']:,} | "
                + " / ".join(f"{f[k]['spearman']:.3f}" for k in ("model", "plain", "oracle"))
                + " | "
                + " / ".join(f"{f[k]['expected_auc']:.3f}" for k in ("model", "plain", "oracle"))
                + " |"
            )
    lines += [
        "",
        "| county | out-of-time rows | bads | AUC model / plain / oracle |",
        "| --- | ---: | ---: | --- |",
    ]
    for r in results:
        o = r["out_of_time"]
        lines.append(
            f"| {r['households']:,} (seed {r['seed']}) | {o['rows']:,} | {o['bads']} | "
            + " / ".join(f"{o['auc'][k]:.3f}" for k in ("model", "plain", "oracle"))
            + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[3000])
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    results = []
    for n in args.households:
        r = run(n, args.seed)
        print(json.dumps(r, indent=2), flush=True)
        results.append(r)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "oracle.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (RESULTS / "oracle.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
