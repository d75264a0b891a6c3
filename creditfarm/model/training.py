"""Train the default model: features and labels on quarterly observation dates, out-of-time
validation, the WoE scorecard baseline on the same split, fairness and PSI, then the artefacts.

Split: every observation date but the latest is *in time*; the model is fitted on every in-time
row, with the number of trees and the Platt calibration chosen by cross-validation over
``calibration_folds`` household-grouped folds stratified by outcome (``CreditModel.fit_cv``): a
county has tens of bad outcomes, and setting a fifth of them aside for early stopping and
calibration (the former design, still fitted and reported beside it as ``calibration_holdout``)
left the tail of the calibration to a handful of cases and the model to fewer bads. The latest
date is the *out-of-time* test: no fitting decision sees it, and every reported figure comes
from it.

Too small a county: training needs at least ``MIN_BADS_IN_TIME`` bad outcomes in time and
``MIN_BADS_OUT_OF_TIME`` out of time and otherwise stops with ``TooFewBadsError`` saying how many
were found and how many are needed (a model fitted on fewer learns noise, and its reported AUC
would mean nothing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from creditfarm.features.build import (
    CountyData,
    FeatureEngine,
    FeatureSet,
    build_features,
    data_date,
    load_county,
)
from creditfarm.features.catalogue import FEATURE_NAMES, MODEL_FEATURES
from creditfarm.model import metrics as m
from creditfarm.model.artefacts import make_version, save_model
from creditfarm.model.card import render_card
from creditfarm.model.card_zh import render_card_zh
from creditfarm.model.estimator import CreditModel
from creditfarm.model.labels import HORIZON_MONTHS, build_labels, observation_dates
from creditfarm.model.monitoring import feature_psi, psi
from creditfarm.model.predict import score_features
from creditfarm.model.scorecard import WoEScorecard
from creditfarm.policy.config import Policy
from creditfarm.storage.models import Archive, GovRecord, Household, ImportRun, Loan, Person
from creditfarm.workspace import Workspace

__all__ = [
    "MIN_BADS_IN_TIME",
    "MIN_BADS_OUT_OF_TIME",
    "TooFewBadsError",
    "TrainResult",
    "TrainingSet",
    "check_bads",
    "held_out",
    "train_model",
    "training_set",
]

Progress = Callable[[int, int, str], None]
VALID_SHARE = 0.2
OBSERVATIONS = 4  # 2020-09-30 … 2021-06-30 for data dated 2022-06-30 (payments from 2020-07)
# Bad outcomes (household × observation date) needed: in time, ~16 to fit and ~4 to hold out;
# out of time, enough that the AUC is not decided by two or three households.
MIN_BADS_IN_TIME = 20
MIN_BADS_OUT_OF_TIME = 10
CALIBRATION_FOLDS = 5
# A county with this many bad outcomes in time is cross-validated over LARGE_COUNTY_FOLDS folds:
# each fold still holds over 300 bads, and the Platt map is fitted on every in-time row's
# out-of-fold score whatever the count, while cross-validation's cost falls by half (200,000
# households: ~4,000 bads in time, 9 s of training's LightGBM 22 s).
LARGE_COUNTY_BADS = 1_000
LARGE_COUNTY_FOLDS = 3
# Below this many bad cases an AUC is decided by a few households (its 95% interval spans
# ±0.1 or more): the card says the thin-file figures cannot validate the model.
THIN_FILE_MIN_BADS = 20


def calibration_folds(bads_in_time: int) -> int:
    """How many household-grouped folds choose the trees and the calibration: five, or three
    for a county with ``LARGE_COUNTY_BADS`` bad outcomes in time."""
    return LARGE_COUNTY_FOLDS if bads_in_time >= LARGE_COUNTY_BADS else CALIBRATION_FOLDS


class TooFewBadsError(ValueError):
    """The loan book holds too few bad outcomes to train and validate a model."""

    def __init__(self, part: str, found: int, needed: int, rows: int) -> None:
        self.part, self.found, self.needed, self.rows = part, found, needed, rows
        super().__init__(
            f"too few bad outcomes to train: the {part} part has {found} bad "
            f"outcome{'' if found == 1 else 's'} among {rows} rows; at least {needed} are needed "
            "(import the loan book of a larger county or more households; "
            "a generated county needs about 1,500 households)"
        )


@dataclass
class TrainResult:
    version: str
    path: Path
    metrics: dict[str, Any]


@dataclass
class TrainingSet:
    X: pd.DataFrame  # features, one row per household and observation date
    y: np.ndarray
    household_no: np.ndarray
    observed: np.ndarray  # observation date of each row
    thin_file: np.ndarray
    # Every household's features as of the last observation date (labelled or not): the
    # reference population of the stability figures.
    latest: FeatureSet | None = None


def held_out(household_no: Any, y: Any, share: float = VALID_SHARE) -> np.ndarray:
    """True for rows of households in the held-out part, the same on every run.

    Stratified by household: a household is *bad* when any of its rows is bad. Within the bad
    households and within the others, households are ordered by a hash of household_no and the
    first ``round(share · n)`` are held out — at least one and at most n − 1 when n ≥ 2, so both
    parts see a bad household whenever the data has two."""
    households = np.asarray(household_no).astype(str)
    target = np.asarray(y, dtype=int)
    if len(households) != len(target):
        raise ValueError("household_no and y must have one value per row")
    if not 0 < share < 1:
        raise ValueError(f"share must be in (0, 1), got {share!r}")
    bad_household = pd.Series(target, index=households).groupby(level=0).max()

    def key(hh: str) -> tuple[str, str]:
        return (hashlib.sha256(hh.encode()).hexdigest(), hh)

    chosen: set[str] = set()
    for label in (0, 1):
        group = sorted(bad_household.index[bad_household.to_numpy() == label], key=key)
        n = len(group)
        k = round(share * n)
        if n >= 2:
            k = min(max(k, 1), n - 1)
        chosen.update(group[:k])
    return np.array([h in chosen for h in households], dtype=bool)


def check_bads(y: Any, *, in_time: Any) -> None:
    """Raise ``TooFewBadsError`` unless the in-time and out-of-time parts hold enough bads."""
    target = np.asarray(y, dtype=int)
    mask = np.asarray(in_time, dtype=bool)
    for part, rows, needed in (
        ("in-time", mask, MIN_BADS_IN_TIME),
        ("out-of-time", ~mask, MIN_BADS_OUT_OF_TIME),
    ):
        found = int(target[rows].sum())
        if found < needed:
            raise TooFewBadsError(part, found, needed, int(rows.sum()))


def training_set(
    data: CountyData,
    *,
    observed: list[date],
    policy: Policy | None,
    engine: FeatureEngine | None = None,
) -> TrainingSet:
    """Features as of each observation date joined to the labels of the window after it
    (``engine``: where features are built, default the local DuckDB engine)."""
    parts, ys, hhs, dates, thin = [], [], [], [], []
    latest: FeatureSet | None = None
    for when in observed:
        labels = build_labels(data, observed=when)
        if labels.empty:
            continue
        fs = build_features(data, as_of=when, policy=policy, engine=engine)
        latest = fs
        rows = labels.index.intersection(fs.X.index)
        parts.append(fs.X.loc[rows])
        ys.append(labels.loc[rows, "bad"].to_numpy())
        hhs.append(rows.to_numpy())
        dates.append(np.full(len(rows), when, dtype=object))
        thin.append(fs.meta.loc[rows, "thin_file"].to_numpy())
    if not parts:
        raise ValueError("no household had a loan in any performance window: nothing to learn from")
    X = pd.concat(parts).reset_index(drop=True)
    return TrainingSet(
        X,
        np.concatenate(ys).astype(int),
        np.concatenate(hhs),
        np.concatenate(dates),
        np.concatenate(thin).astype(bool),
        latest,
    )


def _fingerprint(
    ws: Workspace, data: CountyData, as_of: date, observed: list[date]
) -> dict[str, Any]:
    with ws.engine.connect() as conn:
        t = ImportRun.__table__.c  # type: ignore[attr-defined]
        runs = conn.execute(
            select(t.source, t.file_name, t.file_sha256, t.rows_accepted, t.status).order_by(t.id)
        ).all()
        counts = {
            t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Household, Person, Archive, GovRecord, Loan)
        }
    from creditfarm.storage import paystore

    con = paystore.connect(data.payments_root)
    try:
        counts["payments"] = int(con.execute("SELECT COUNT(*) FROM payments").fetchall()[0][0])
    finally:
        con.close()
    return {
        "as_of": as_of.isoformat(),
        "loan_book_date": data.snapshot.isoformat(),
        "observation_dates": [d.isoformat() for d in observed],
        "row_counts": counts,
        "import_runs": [
            {
                "source": r.source,
                "file": r.file_name,
                "sha256": r.file_sha256,
                "rows_accepted": r.rows_accepted,
                "status": r.status,
            }
            for r in runs
            # Failed runs left nothing behind and unchanged re-imports added nothing: the data
            # (and so the version) is the same however often a folder was imported.
            if r.status not in ("failed", "unchanged")
        ],
    }


def _safe_summary(y: np.ndarray, p: np.ndarray) -> dict[str, Any] | None:
    if len(y) == 0 or len(np.unique(y)) < 2:
        return None
    return m.summary(y, p)


def _thin_file_validation(
    y: np.ndarray, p: np.ndarray, y_in: np.ndarray, p_in: np.ndarray
) -> dict[str, Any]:
    """Households thin at an observation date whose first loan's outcome is observed in the
    window after it: out of time (``y``, ``p``) and, as a proxy, in time scored out of fold
    (``y_in``, ``p_in``: each by a booster that never saw the household), with a plain
    statement of how much either can say."""
    parts = {
        "out_of_time": (len(y), int(np.sum(y)), _safe_summary(y, p)),
        "in_time_out_of_fold": (len(y_in), int(np.sum(y_in)), _safe_summary(y_in, p_in)),
    }
    labels = {"out_of_time": "时间外", "in_time_out_of_fold": "时间内（交叉拟合样本外预测）"}
    notes = []
    for key, (rows, bads, figures) in parts.items():
        auc_text = f"AUC {figures['auc']:.3f}" if figures else "AUC 无法计算"
        notes.append(f"{labels[key]}白户 {rows} 户、坏样本 {bads} 个（{auc_text}）")
    enough = any(bads >= THIN_FILE_MIN_BADS for _, bads, _ in parts.values())
    note = "；".join(notes) + "。"
    if not enough:
        note += (
            f"坏样本都少于可靠验证所需的 {THIN_FILE_MIN_BADS} 个：白户的排序能力尚无法单独验证，"
            "需积累更多白户首笔贷款的表现数据；在此之前白户额度另设上限并进入复核队列。"
        )
    return {
        **{
            key: {"rows": rows, "bads": bads, "summary": figures}
            for key, (rows, bads, figures) in parts.items()
        },
        "min_bads": THIN_FILE_MIN_BADS,
        "enough": enough,
        "note_zh": note,
    }


def _stability(
    ts: TrainingSet,
    *,
    model: CreditModel,
    current: FeatureSet,
    scored: pd.Index,
    outcomes: pd.DataFrame,
) -> dict[str, Any]:
    """PSI of the score and of every catalogue feature: the filed households now against the
    filed households as of the out-of-time observation date, a year earlier, scored by the same
    model. Like is compared with like. The training rows are not the reference: they are the
    borrowers whose outcome could be seen, while scoring covers every filed household, thin
    files too, so against them loan counts showed PSI 3 from the population mix alone; that
    mix is reported apart (``thin_file_share``)."""
    ref = ts.latest
    if ref is None or not len(outcomes):
        return {"score": None, "features": {}, "reference": None}
    filed = ref.meta.index[ref.meta["filed"].astype(bool)]
    p_ref = model.predict_proba(ref.X.loc[filed, model.feature_names_])[:, 1]
    thin_now = current.meta.loc[scored, "thin_file"].astype(bool)
    return {
        "score": psi(p_ref, outcomes["probability"].to_numpy()),
        # Every catalogue feature, the excluded ones too: drift the model does not see is
        # still drift in the county's data.
        "features": feature_psi(
            ref.X.loc[filed], current.X.loc[scored], features=FEATURE_NAMES, top=None
        ),
        "reference": {"as_of": ref.as_of.isoformat(), "households": len(filed)},
        "thin_file_share": {
            "training": float(np.mean(ts.thin_file)) if len(ts.thin_file) else None,
            "reference": float(ref.meta.loc[filed, "thin_file"].astype(bool).mean()),
            "scoring": float(thin_now.mean()) if len(thin_now) else None,
        },
    }


def train_model(
    ws: Workspace,
    *,
    as_of: date | None = None,
    progress: Progress | None = None,
    observations: int = OBSERVATIONS,
    engine: str = "local",
    master: str | None = None,
) -> TrainResult:
    """Train, validate out of time, compare with the scorecard, write ``models/<version>/``.

    ``engine="spark"``: features are built as Spark jobs (``master``, default ``local[2]``) and
    gathered here; the model is trained on this machine."""
    from creditfarm.model.fairness import (
        fairness_gaps,
        fairness_tables,
        groups_of,
        household_groups,
    )

    steps = 5

    def step(k: int, label: str) -> None:
        if progress:
            progress(k, steps, label)

    policy = ws.policy
    runner: FeatureEngine | None = None
    if engine == "spark":
        from creditfarm.features.engine.spark import DEFAULT_MASTER, spark_county, spark_session

        data, runner = spark_county(ws, spark_session(master or DEFAULT_MASTER))
    elif engine == "local":
        data = load_county(ws)
    else:
        raise ValueError(f"engine must be local or spark, not {engine!r}")
    as_of = as_of or data_date(data)
    observed = observation_dates(as_of, count=observations, months=HORIZON_MONTHS)
    step(0, "features and labels")
    ts = training_set(data, observed=observed, policy=policy, engine=runner)
    oot_date = observed[-1]
    is_oot = ts.observed == oot_date
    in_time = ~is_oot
    check_bads(ts.y, in_time=in_time)
    valid = np.zeros(len(ts.y), dtype=bool)
    valid[in_time] = held_out(ts.household_no[in_time], ts.y[in_time])
    fit = in_time & ~valid
    for name, mask in (("fitting", fit), ("held-out", valid), ("out-of-time", is_oot)):
        if len(np.unique(ts.y[mask])) < 2:
            raise ValueError(
                f"the {name} part has {int(mask.sum())} rows and {int(ts.y[mask].sum())} bad: "
                "both good and bad households are needed (import a larger loan book)"
            )
    step(1, "LightGBM")
    # The model's inputs: the catalogue less the features it excludes (MODEL_EXCLUDED).
    X = ts.X[list(MODEL_FEATURES)]
    y_oot = ts.y[is_oot]
    thin_oot = ts.thin_file[is_oot]
    # Every in-time row fits the model; the number of trees and the Platt map come from
    # household-grouped cross-validation (a county's held-out fifth holds a handful of bads).
    folds = calibration_folds(int(ts.y[in_time].sum()))
    model = CreditModel().fit_cv(
        X[in_time], ts.y[in_time], groups=ts.household_no[in_time], folds=folds
    )
    a, b = model.calibration_["a"], model.calibration_["b"]
    p_oof = 1.0 / (1.0 + np.exp(-(a * model.oof_raw_ + b)))
    # The former design (fit on 80%, early stopping and Platt on the held-out 20%), reported
    # beside it in the card.
    former = CreditModel().fit(X[fit], ts.y[fit], X_valid=X[valid], y_valid=ts.y[valid])
    holdout_calibration = dict(former.calibration_)
    p_holdout = former.predict_proba(X[is_oot])[:, 1]
    thin_in = ts.thin_file[in_time]
    step(2, "baseline")
    baseline = WoEScorecard().fit(X[in_time], ts.y[in_time])
    p_model = model.predict_proba(X[is_oot])[:, 1]
    p_base = baseline.predict_proba(X[is_oot])[:, 1]
    step(3, "scoring population, PSI, fairness")
    current = build_features(data, as_of=as_of, policy=policy, engine=runner)
    outcomes, X_now = score_features(current, model=model, policy=policy)
    every_group = household_groups(data, current.meta)
    groups = every_group.loc[X_now.index]
    # The out-of-time rows with their groups (head and poverty status as exported: the same
    # snapshot the features read), for AUC and calibration by group.
    evaluation = groups_of(every_group, ts.household_no[is_oot]).assign(
        bad=y_oot, probability=p_model
    )
    metrics: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "observation_dates": [d.isoformat() for d in observed],
        "out_of_time_date": oot_date.isoformat(),
        "horizon_months": HORIZON_MONTHS,
        "populations": {
            # the model fits every in-time row (cross-validated trees and calibration)
            "fitting": {
                "rows": int(in_time.sum()),
                "bads": int(ts.y[in_time].sum()),
                "folds": folds,
            },
            # the former design's held-out fifth (the comparison in calibration_holdout)
            "held_out": {"rows": int(valid.sum()), "bads": int(ts.y[valid].sum())},
            "out_of_time": {
                "rows": int(is_oot.sum()),
                "bads": int(y_oot.sum()),
                "thin_file_rows": int(thin_oot.sum()),
                "thin_file_bads": int(y_oot[thin_oot].sum()),
            },
        },
        "model": m.summary(y_oot, p_model),
        "model_thin_file": _safe_summary(y_oot[thin_oot], p_model[thin_oot]),
        "baseline": m.summary(y_oot, p_base),
        "best_iteration": model.best_iteration_,
        "early_stopping": {"min_rounds": model.min_rounds, "patience": model.early_stopping_rounds},
        "minimum_bads": {"in_time": MIN_BADS_IN_TIME, "out_of_time": MIN_BADS_OUT_OF_TIME},
        "calibration_method": model.calibration_,
        "calibration_summary": m.calibration_error(y_oot, p_model),
        "calibration_holdout": {
            "method": holdout_calibration,
            "best_iteration": former.best_iteration_,
            "auc": m.auc(y_oot, p_holdout),
            **m.calibration_error(y_oot, p_holdout),
            "brier": m.brier(y_oot, p_holdout),
        },
        "thin_file_validation": _thin_file_validation(
            y_oot[thin_oot], p_model[thin_oot], ts.y[in_time][thin_in], p_oof[thin_in]
        ),
        "psi": _stability(ts, model=model, current=current, scored=X_now.index, outcomes=outcomes),
        "scoring_population": {
            "households": len(current.meta),
            "filed": int(current.meta["filed"].sum()),
            "thin_file": int(current.meta.loc[X_now.index, "thin_file"].sum()),
            "grades": outcomes["grade"].value_counts().sort_index().to_dict()
            if len(outcomes)
            else {},
            "pre_credited": int(outcomes["pre_credited"].sum()) if len(outcomes) else 0,
            "credit_households": int(outcomes["credit_household"].sum()) if len(outcomes) else 0,
        },
        "fairness": fairness_tables(outcomes, groups) if len(outcomes) else {},
        "fairness_gaps": fairness_gaps(
            outcomes, groups, evaluation, policy.fairness, policy_version=policy.version
        )
        if len(outcomes)
        else None,
    }
    metrics["model_beats_baseline"] = metrics["model"]["auc"] >= metrics["baseline"]["auc"]
    step(4, "artefacts")
    fingerprint = _fingerprint(ws, data, as_of, observed)
    version = make_version(as_of, model, fingerprint)
    card = render_card(version=version, metrics=metrics, fingerprint=fingerprint, policy=policy)
    path = save_model(
        ws.model_dir,
        version=version,
        model=model,
        policy_file=Path(ws.settings.policy_file),
        fingerprint=fingerprint,
        metrics=metrics,
        card=card,
        card_zh=render_card_zh(version=version, metrics=metrics, fingerprint=fingerprint),
    )
    ws.set_current_model(version)
    step(5, "")
    return TrainResult(version=version, path=path, metrics=metrics)
