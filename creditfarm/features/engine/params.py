"""What one feature query needs besides the tables: the as-of date and the dates derived from it,
the policy's lists, and the small mapping tables (ordinal levels, industry words).

Date arithmetic on the as-of date is done here, in Python, once: the SQL receives the results as
literals, so neither engine's calendar functions decide a month or a year boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

__all__ = ["FeatureParams", "months_back"]


def months_back(d: date, months: int) -> date:
    """The first day of the month ``months`` before ``d``'s month (negative: after)."""
    idx = d.year * 12 + d.month - 1 - months
    return date(idx // 12, idx % 12 + 1, 1)


@dataclass(frozen=True)
class FeatureParams:
    as_of: date
    snapshot: date  # the loan book's export date
    # Ordinal scales: archive column → {label: level}; a label found inside the text counts,
    # longer labels first (较好 before 好); text matching none is level 0, a missing value NULL.
    ordinals: Mapping[str, Mapping[str, int]]
    industries: Mapping[str, tuple[str, ...]]  # feature → words of main_industry
    yes_values: tuple[str, ...]  # lower-cased answers that mean yes (是, y, true, 1, …)
    fraud_categories: tuple[str, ...]
    fraud_record_years: int | None  # None: no policy, so no recent-fraud veto input
    poor_statuses: tuple[str, ...]
    non_performing: tuple[str, ...]  # 五级分类 classes that mean non-performing
    npl_days: int
    payment_window_months: int
    recent_loan_months: int = 36
    # Months (year*12 + month) of the payment window the store covers; None: the store is empty.
    payment_months: tuple[int, ...] | None = field(default=None)

    @property
    def payment_start(self) -> date:
        return months_back(self.as_of, self.payment_window_months)

    @property
    def recent_loans_since(self) -> date:
        return months_back(self.as_of, self.recent_loan_months)

    @property
    def fraud_since(self) -> date | None:
        if self.fraud_record_years is None:
            return None
        return (pd.Timestamp(self.as_of) - pd.DateOffset(years=self.fraud_record_years)).date()

    def with_payment_span(self, first: date | None) -> FeatureParams:
        """These parameters with the window's months that a store starting at ``first`` covers
        (a quiet month of a covered span counts as 0; months before the store began do not count,
        so early observation dates are not mistaken for inactivity)."""
        if first is None:
            return replace(self, payment_months=None)
        cursor = max(first.replace(day=1), self.payment_start)
        months = []
        while cursor < self.as_of:
            months.append(cursor.year * 12 + cursor.month)
            cursor = months_back(cursor, -1)
        return replace(self, payment_months=tuple(months) or (0,))
