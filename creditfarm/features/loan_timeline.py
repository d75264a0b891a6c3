"""What a snapshot loan book lets us say about a date before the snapshot.

The loan book (贷款台账) is exported once: outcome fields (max_days_overdue, classification,
status, balance) describe each loan *as of the export*. To know a loan's state on an earlier
date D we date its overdue spell:

- a loan is repaid in one sum at maturity (按月付息、到期还本, the usual schedule of
  农户小额信用贷款),
  so an overdue spell starts at maturity; when the spell is longer than the time from maturity
  to the export, it must have started earlier (an instalment), at the latest possible date
  ``export - max_days_overdue`` (never before issue);
- a settled loan (结清) was repaid when its spell ended (``start + max_days_overdue``) or at
  maturity when it never went overdue; an unsettled loan is outstanding at every date after issue;
- a loan classified 次级/可疑/损失 without a 90-day spell is known to be non-performing only at the
  export date.

The export date is the snapshot date passed in (the county's data date), by default the latest
issue date in the book.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from creditfarm.ingest.contract import NON_PERFORMING

__all__ = ["NPL_DAYS", "dated_loans", "days_overdue_at", "outstanding_at"]

NPL_DAYS = 90  # 五级分类: 90+ days past due is at least 次级 (substandard)
_DAY = np.timedelta64(1, "D")


def _ts(d: date) -> np.datetime64:
    return np.datetime64(pd.Timestamp(d).to_datetime64(), "D")


def dated_loans(loans: pd.DataFrame, *, snapshot: date) -> pd.DataFrame:
    """``loans`` plus columns issue, maturity, dpd, spell_start, repaid, npl_event (datetime64[D];
    NaT where none)."""
    out = loans.copy()
    snap = _ts(snapshot)
    issue = pd.to_datetime(out["issue_date"]).to_numpy().astype("datetime64[D]")
    maturity = pd.to_datetime(out["maturity_date"]).to_numpy().astype("datetime64[D]")
    maturity = np.where(np.isnat(maturity), issue + 365 * _DAY, maturity)
    dpd = pd.to_numeric(out["max_days_overdue"], errors="coerce").fillna(0).clip(lower=0)
    dpd_days = dpd.to_numpy().astype("int64") * _DAY
    settled = out["status"].fillna("").astype(str).str.strip().eq("结清").to_numpy()
    fits_after_maturity = maturity + dpd_days <= snap
    start = np.where(fits_after_maturity, maturity, np.maximum(issue, snap - dpd_days))
    start = np.where(dpd.to_numpy() > 0, start, np.datetime64("NaT"))
    repaid_at = np.where(dpd.to_numpy() > 0, start + dpd_days, maturity)
    repaid = np.where(settled, repaid_at, np.datetime64("NaT"))
    npl_class = out["classification"].fillna("").astype(str).str.strip().isin(NON_PERFORMING)
    npl_event = np.where(dpd.to_numpy() >= NPL_DAYS, start + NPL_DAYS * _DAY, np.datetime64("NaT"))
    npl_event = np.where(np.isnat(npl_event) & npl_class.to_numpy(), snap, npl_event)
    out["issue"] = issue
    out["maturity"] = maturity
    out["dpd"] = dpd.to_numpy().astype("int64")
    out["spell_start"] = start.astype("datetime64[D]")
    out["repaid"] = repaid.astype("datetime64[D]")
    out["npl_event"] = npl_event.astype("datetime64[D]")
    return out


def outstanding_at(dated: pd.DataFrame, when: date) -> np.ndarray:
    """Boolean per loan: issued before ``when`` and not yet repaid on it."""
    d = _ts(when)
    repaid = dated["repaid"].to_numpy()
    return (dated["issue"].to_numpy() < d) & (np.isnat(repaid) | (repaid > d))


def days_overdue_at(dated: pd.DataFrame, when: date, *, spell_so_far: bool = True) -> np.ndarray:
    """Days overdue per loan by ``when``: the part of its dated spell that lies before ``when``
    (``spell_so_far``: the longest so far, which also counts spells that ended)."""
    d = _ts(when)
    start = dated["spell_start"].to_numpy()
    elapsed = np.where(np.isnat(start), 0, (d - start) / _DAY)
    days = np.clip(elapsed, 0, dated["dpd"].to_numpy())
    if not spell_so_far:  # only spells still running on `when`
        days = np.where(outstanding_at(dated, when), days, 0)
    return np.where(dated["issue"].to_numpy() < d, days, 0).astype("int64")
