"""The loan book (贷款台账): loans issued 2018-01..export date, renewed at maturity, with
outcomes as of the export date drawn from the household's latent risk plus noise.

Dates are handled as integer day numbers (days since 1970-01-01) for speed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from creditfarm.sample.people import EXPORT_DATE

__all__ = ["BOOK_START", "classify", "make_loans"]

BOOK_START = date(2018, 1, 1)
# sets the delinquency rate; about half of delinquencies reach 90+ days (public: the oracle's
# side file, creditfarm.sample.truth, computes each household's true probability with it)
DELINQUENCY_INTERCEPT = -3.15
_INTERCEPT = DELINQUENCY_INTERCEPT
_EPOCH = date(1970, 1, 1)


def _day(d: date) -> int:
    return (d - _EPOCH).days


def classify(days_overdue: np.ndarray) -> np.ndarray:
    """五级分类 from current days overdue (the common day-count rule)."""
    return np.select(
        [days_overdue <= 0, days_overdue < 90, days_overdue < 180, days_overdue < 360],
        ["正常", "关注", "次级", "可疑"],
        "损失",
    )


def make_loans(rng: np.random.Generator, hh: pd.DataFrame, filed: np.ndarray) -> pd.DataFrame:
    """One row per loan with canonical columns plus ``hh``, ``onset`` and ``bad``
    (bad = ever ≥90 days overdue or now 次级/可疑/损失)."""
    n = len(hh)
    export, start = _day(EXPORT_DATE), _day(BOOK_START)
    risk = hh["risk"].to_numpy()
    poor_all = hh["poor"].to_numpy()
    propensity = (
        0.22 + 0.38 * filed + 0.15 * hh["crop"].isin(["养殖", "个体"]).to_numpy() + 0.10 * poor_all
    )
    hh_idx = np.flatnonzero(rng.random(n) < np.clip(propensity, 0, 0.92))
    issue = rng.integers(start, export, len(hh_idx))
    frames = []
    seq = 0
    while len(hh_idx) and seq < 8:
        h, iss = hh_idx, issue
        k = len(h)
        poor = poor_all[h]
        term = np.where(
            poor & (rng.random(k) < 0.7), 36, rng.choice([12, 12, 12, 12, 12, 12, 24, 36], size=k)
        )
        income = hh["annual_income"].to_numpy()[h]
        amount = np.clip(
            np.round(income * np.exp(rng.normal(np.log(0.7), 0.45, k)), -3), 5000, 200000
        )
        amount = np.where(poor, np.minimum(amount, 50000), amount)
        product = np.where(
            poor & (term == 36),
            "扶贫小额信贷",
            rng.choice(
                ["农户小额信用贷款", "农户小额信用贷款", "惠农e贷", "农户联保贷款", "创业担保贷款"],
                size=k,
            ),
        )
        term_days = np.round(term * 30.44).astype(int)
        maturity = iss + term_days
        logit = _INTERCEPT + risk[h] + rng.normal(0, 1.0, k)
        delinquent = rng.random(k) < 1 / (1 + np.exp(-logit))
        severe = delinquent & (rng.random(k) < 1 / (1 + np.exp(-0.5 * risk[h])))
        onset = iss + (rng.uniform(0.3, 1.05, k) * term_days).astype(int)
        # days the delinquency lasts before it is cured (severe ones mostly never are)
        cure_after = np.where(
            severe,
            np.where(rng.random(k) < 0.25, rng.integers(90, 300, k), 10**6),
            rng.integers(1, 89, k),
        )
        elapsed = export - onset
        started = delinquent & (elapsed > 0)
        max_dpd = np.where(started, np.minimum(cure_after, elapsed), 0)
        cured = started & (cure_after < elapsed)
        overdue_now = np.where(started & ~cured, elapsed, 0)
        matured = maturity <= export
        early = (rng.random(k) < 0.12) & (export - iss > 120)
        settled = (~started & (matured | early)) | (
            cured & (matured | (onset + cure_after >= maturity))
        )
        paid_share = np.clip((export - iss) / term_days, 0, 1) * (term > 12) * 0.8
        balance = np.where(settled, 0.0, np.round(amount * (1 - paid_share), -2))
        frames.append(
            pd.DataFrame(
                {
                    "hh": h,
                    "seq": seq,
                    "issue": iss,
                    "maturity": maturity,
                    "amount": amount,
                    "product": product,
                    "term": term,
                    "max_days_overdue": max_dpd,
                    "classification": classify(overdue_now),
                    "status": np.where(settled, "结清", "未结清"),
                    "balance": balance,
                    "onset_day": np.where(started, onset, -1),
                }
            )
        )
        # renew at maturity (after a gap) unless the loan went bad or the household stops
        nxt = maturity + rng.integers(0, 150, k)
        go_on = (rng.random(k) < 0.72) & ~(severe & started) & (nxt < export)
        hh_idx, issue = h[go_on], nxt[go_on]
        seq += 1
    loans = pd.concat(frames, ignore_index=True).sort_values(["issue", "hh"], kind="stable")
    loans = loans.reset_index(drop=True)
    epoch = np.datetime64(_EPOCH, "D")
    loans["issue_date"] = pd.to_datetime(epoch + loans["issue"].to_numpy()).date
    loans["maturity_date"] = pd.to_datetime(epoch + loans["maturity"].to_numpy()).date
    loans["bad"] = (loans["max_days_overdue"] >= 90) | loans["classification"].isin(
        ["次级", "可疑", "损失"]
    )
    loans["loan_id"] = [f"JJ{d:%Y%m}{i + 1:06d}" for i, d in enumerate(loans["issue_date"])]
    return loans
