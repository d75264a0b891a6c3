"""Train the default model: features and labels on quarterly observation dates, out-of-time
validation, the WoE scorecard baseline on the same split, fairness and PSI, then the artefacts.

Split: every observation date but the latest is *in time*; its households are split (by a hash
of household_no, so a household never sits on both sides) into a fitting part (80%) and a held-out
part (20%) used for early stopping and Platt calibration. The latest date is the *out-of-time*
test: no fitting decision sees it, and every reported figure comes from it.
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

from creditfarm.db.models import Archive, GovRecord, Household, ImportRun, Loan, Person
from creditfarm.features.build import CountyData, build_features, data_date, load_county
from creditfarm.features.catalogue import FEATURE_NAMES
from creditfarm.labels import HORIZON_MONTHS, build_labels, observation_dates
from creditfarm.model import metrics as m
from creditfarm.model.artefacts import make_version, save_model
from creditfarm.model.card import render_card
from creditfarm.model.estimator import CreditModel
from creditfarm.model.scorecard import WoEScorecard
from creditfarm.policy import Policy
from creditfarm.workspace import Workspace

__all__ = ["TrainResult", "TrainingSet", "held_out", "train_model", "training_set"]

Progress = Callable[[int, int, str], None]
VALID_SHARE = 0.2
OBSERVATIONS = 4  # 2020-09-30 … 2021-06-30 for data dated 2022-06-30 (payments from 2020-07)


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


def held_out(household_no: Any, share: float = VALID_SHARE) -> np.ndarray:
    """True for households in the held-out part: a stable hash, the same on every run."""

    def bucket(hh: str) -> float:
        return int(hashlib.sha256(str(hh).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF

    return np.array([bucket(h) < share for h in household_no], dtype=bool)


def training_set(data: CountyData, *, observed: list[date], policy: Policy | None) -> TrainingSet:
    """Features as of each observation date joined to the labels of the window after it."""
    parts, ys, hhs, dates, thin = [], [], [], [], []
    for when in observed:
        labels = build_labels(data, observed=when)
        if labels.empty:
            continue
        fs = build_features(data, as_of=when, policy=policy)
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
    from creditfarm import paystore

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
            if r.status != "failed"
        ],
    }


def _safe_summary(y: np.ndarray, p: np.ndarray) -> dict[str, Any] | None:
    if len(y) == 0 or len(np.unique(y)) < 2:
        return None
    return m.summary(y, p)


def train_model(
    ws: Workspace,
    *,
    as_of: date | None = None,
    progress: Progress | None = None,
    observations: int = OBSERVATIONS,
) -> TrainResult:
    """Train, validate out of time, compare with the scorecard, write ``models/<version>/``."""
    from creditfarm.fairness import fairness_tables, household_groups
    from creditfarm.scoring import score_features

    steps = 5

    def step(k: int, label: str) -> None:
        if progress:
            progress(k, steps, label)

    policy = ws.policy
    data = load_county(ws)
    as_of = as_of or data_date(data)
    observed = observation_dates(as_of, count=observations, months=HORIZON_MONTHS)
    step(0, "features and labels")
    ts = training_set(data, observed=observed, policy=policy)
    oot_date = observed[-1]
    is_oot = ts.observed == oot_date
    in_time = ~is_oot
    valid = in_time & held_out(ts.household_no)
    fit = in_time & ~valid
    for name, mask in (("fitting", fit), ("held-out", valid), ("out-of-time", is_oot)):
        if len(np.unique(ts.y[mask])) < 2:
            raise ValueError(
                f"the {name} part has {int(mask.sum())} rows and {int(ts.y[mask].sum())} bad: "
                "both good and bad households are needed (import a larger loan book)"
            )
    step(1, "LightGBM")
    model = CreditModel().fit(ts.X[fit], ts.y[fit], X_valid=ts.X[valid], y_valid=ts.y[valid])
    step(2, "baseline")
    baseline = WoEScorecard().fit(ts.X[in_time], ts.y[in_time])
    p_model = model.predict_proba(ts.X[is_oot])[:, 1]
    p_base = baseline.predict_proba(ts.X[is_oot])[:, 1]
    y_oot = ts.y[is_oot]
    thin_oot = ts.thin_file[is_oot]
    step(3, "scoring population, PSI, fairness")
    current = build_features(data, as_of=as_of, policy=policy)
    outcomes, X_now = score_features(current, model=model, policy=policy)
    p_train = model.predict_proba(ts.X[in_time])[:, 1]
    feature_psi = {}
    for name in FEATURE_NAMES:
        train_col, now_col = ts.X.loc[in_time, name], X_now[name]
        if train_col.notna().any() and now_col.notna().any():
            feature_psi[name] = m.psi(train_col, now_col)
    groups = household_groups(data, current.meta.loc[X_now.index])
    metrics: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "observation_dates": [d.isoformat() for d in observed],
        "out_of_time_date": oot_date.isoformat(),
        "horizon_months": HORIZON_MONTHS,
        "populations": {
            "fitting": {"rows": int(fit.sum()), "bads": int(ts.y[fit].sum())},
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
        "calibration_method": model.calibration_,
        "psi": {
            "score": m.psi(p_train, outcomes["probability"].to_numpy()) if len(outcomes) else None,
            "features": dict(sorted(feature_psi.items(), key=lambda kv: -kv[1])[:10]),
        },
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
    )
    step(5, "")
    return TrainResult(version=version, path=path, metrics=metrics)
