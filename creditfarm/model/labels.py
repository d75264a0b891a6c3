"""Training labels on a snapshot loan book.

Definition: a household observed on date T (filed before T) is **bad** when one of its members'
loans becomes non-performing — 90+ days past due, or classified 次级/可疑/损失 — within the 12
months after T, i.e. in (T, T + 12 months]. It is in the **performance population** when a member
had a loan on the book at T (issued before T, not yet repaid), or took one in the window early
enough that 90 days past its maturity still fall inside the window — a later loan's outcome cannot
be seen by the window's end and would count as good by construction — and it was not already
non-performing at T (those are vetoed, not scored). With 1-year loans this leaves almost no
first-time borrowers in training: thin files are scored by extrapolation (see the model card).

What a snapshot book allows (see ``creditfarm.features.loan_timeline``): outcome fields are as of
the export, so the 90-day date is *dated* from the overdue spell (repayment at maturity; longer
spells started earlier); a 次级/可疑/损失 classification without a 90-day spell is known only on
the export date and counts in the window that contains it. Hence every window must end by the
export date.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from creditfarm.features.build import CountyData
from creditfarm.features.loan_timeline import NPL_DAYS, dated_loans

__all__ = ["HORIZON_MONTHS", "build_labels", "observation_dates", "window_end"]

HORIZON_MONTHS = 12


def window_end(observed: date, months: int = HORIZON_MONTHS) -> date:
    """The end of the performance window: the same day ``months`` later (month-end safe)."""
    end = pd.Timestamp(observed) + pd.DateOffset(months=months)
    return end.date()


def observation_dates(as_of: date, *, count: int = 4, months: int = HORIZON_MONTHS) -> list[date]:
    """Quarter-end observation dates whose windows end by ``as_of``, oldest first."""
    if count < 1:
        raise ValueError("count must be at least 1")
    last = pd.Timestamp(as_of) - pd.DateOffset(months=months)
    last_q = (last + pd.offsets.QuarterEnd(0)).normalize()
    if last_q > last:
        last_q = last_q - pd.offsets.QuarterEnd(1)
    return [(last_q - pd.offsets.QuarterEnd(k)).date() for k in range(count - 1, -1, -1)]


def build_labels(data: CountyData, *, observed: date, months: int = HORIZON_MONTHS) -> pd.DataFrame:
    """Per household in the performance population: ``bad`` (0/1), indexed by household_no."""
    end = window_end(observed, months)
    if end > data.snapshot:
        raise ValueError(
            f"the window {observed}..{end} ends after the loan book's date {data.snapshot}"
        )
    loans = data.loans.merge(data.members, on="person_key", how="inner")
    filed = data.archives[pd.to_datetime(data.archives["filed_date"]) < pd.Timestamp(observed)]
    loans = loans[loans["household_no"].isin(set(filed["household_no"].dropna()))]
    empty = pd.DataFrame({"bad": pd.Series(dtype="int64")})
    empty.index.name = "household_no"
    if loans.empty:
        return empty
    dated = dated_loans(loans, snapshot=data.snapshot)
    t0, t1 = np.datetime64(observed, "D"), np.datetime64(end, "D")
    repaid = dated["repaid"].to_numpy()
    issue = dated["issue"].to_numpy()
    event = dated["npl_event"].to_numpy()
    maturity = dated["maturity"].to_numpy()
    # On the book at T, or issued in the window early enough that 90 days past maturity fall
    # inside it. A newer loan's outcome cannot be seen by the window's end: it would count as
    # good by construction and teach the model that new borrowers are safe.
    on_book = (issue < t0) & (np.isnat(repaid) | (repaid > t0))
    seen = (issue >= t0) & (issue < t1) & (maturity + np.timedelta64(NPL_DAYS, "D") <= t1)
    exposed = on_book | seen
    had_event = ~np.isnat(event)
    bad_in_window = had_event & (event > t0) & (event <= t1) & exposed
    already_bad = had_event & (event <= t0) & (np.isnat(repaid) | (repaid > t0))
    frame = (
        pd.DataFrame(
            {
                "household_no": dated["household_no"].to_numpy(),
                "exposed": exposed,
                "bad": bad_in_window,
                "already_bad": already_bad,
            }
        )
        .groupby("household_no")
        .max()
    )
    frame = frame[frame["exposed"] & ~frame["already_bad"]]
    out = frame[["bad"]].astype("int64")
    out.index.name = "household_no"
    return out
