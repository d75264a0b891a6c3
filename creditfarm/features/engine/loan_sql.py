"""Loan-history and village features from a snapshot loan book, as SQL.

Reads ``loans`` and ``members``. The loan book is exported once, so each loan's state on an earlier
date is *dated* from its overdue spell exactly as ``creditfarm.features.loan_timeline`` says (the
labels use that module; this is the same rule written as SQL): repayment in one sum at maturity
(maturity default: a year after issue); a spell starts at maturity, or earlier when it is longer
than the time from maturity to the export (at the latest ``export - max_days_overdue``, never
before issue); a settled loan was repaid when its spell ended, or at maturity; 90 days into a
spell (or, for a loan classified 次级/可疑/损失 without one, the export date) it became
non-performing.
"""

from __future__ import annotations

from creditfarm.features.engine.dialects import Dialect
from creditfarm.features.engine.params import FeatureParams

__all__ = ["HISTORY_CAP_MONTHS", "LOAN_ZERO_FEATURES", "loan_ctes"]

# Credit-history length is counted up to two years. A loan book exported on one date reaches
# back a fixed span (the sample's: 2018-01), so an uncapped figure grows with the observation
# date: households observed in 2020 could not have more than ~32 months, in 2022 ~54, and the
# model would learn a range that scoring then leaves (PSI ~3 between training and scoring).
# Every observation date sees at least two years of book, so the capped figure means the same
# on each of them.
HISTORY_CAP_MONTHS = 24


def loan_ctes(d: Dialect, p: FeatureParams) -> list[tuple[str, str]]:
    """CTEs ``loan_state`` (per loan issued before the as-of date), ``loan`` (per borrowing
    household) and ``village_loans`` (per village)."""
    as_of, snap = d.date(p.as_of), d.date(p.snapshot)
    classes = ", ".join(d.text(c) for c in p.non_performing) or "NULL"
    base = f"""
  SELECT m.household_no, l.issue_date AS issue,
    COALESCE(l.maturity_date, {d.add_days("l.issue_date", "365")}) AS maturity,
    GREATEST(COALESCE(l.max_days_overdue, 0), 0) AS dpd,
    COALESCE(trim(l.status), '') = '结清' AS settled,
    COALESCE(trim(l.classification) IN ({classes}), FALSE) AS npl_class,
    COALESCE(CAST(l.amount AS DOUBLE), 0E0) AS amount
  FROM loans l JOIN members m ON m.person_key = l.person_key
  WHERE l.issue_date < {as_of}"""
    spell = f"""
  SELECT loan_base.*,
    CASE WHEN dpd > 0 THEN
      CASE WHEN {d.add_days("maturity", "dpd")} <= {snap} THEN maturity
           ELSE GREATEST(issue, {d.add_days(snap, "-dpd")}) END
    END AS spell_start
  FROM loan_base"""
    dated = f"""
  SELECT loan_spell.*,
    CASE WHEN settled THEN
      CASE WHEN dpd > 0 THEN {d.add_days("spell_start", "dpd")} ELSE maturity END
    END AS repaid,
    CASE WHEN dpd >= {p.npl_days} THEN {d.add_days("spell_start", str(p.npl_days))}
         WHEN npl_class THEN {snap} END AS npl_event
  FROM loan_spell"""
    # State on the as-of date: issued before it (every row here) and not yet repaid on it; the
    # days of the spell that lie before it (the longest so far, and the one still running).
    state = f"""
  SELECT household_no, issue, dpd, amount, repaid, npl_event,
    (repaid IS NULL OR repaid > {as_of}) AS open_now,
    LEAST(GREATEST(CASE WHEN spell_start IS NULL THEN 0
                        ELSE {d.days_between(as_of, "spell_start")} END, 0), dpd) AS dpd_so_far
  FROM loan_dated"""
    flags = f"""
  SELECT loan_open.*,
    CASE WHEN open_now THEN dpd_so_far ELSE 0 END AS dpd_now,
    (npl_event IS NOT NULL AND npl_event < {as_of}) AS npl_by_now
  FROM loan_open"""
    loan = f"""
  SELECT household_no,
    CAST(COUNT(*) AS DOUBLE) AS loan_count,
    CAST(MAX(dpd_so_far) AS DOUBLE) AS loan_max_overdue_days,
    SUM(CASE WHEN dpd_so_far > 0 THEN 1E0 ELSE 0E0 END) AS loan_overdue_count,
    SUM(CASE WHEN npl_by_now THEN 1E0 ELSE 0E0 END) AS loan_npl_count,
    SUM(CASE WHEN repaid IS NOT NULL AND repaid < {as_of} AND dpd = 0 THEN 1E0 ELSE 0E0 END)
      AS loan_clean_settled_count,
    {d.float_sum("CASE WHEN open_now THEN amount ELSE 0E0 END")} AS loan_outstanding,
    {d.float_sum(f"CASE WHEN issue >= {d.date(p.recent_loans_since)} THEN amount ELSE 0E0 END")}
      AS recent_amount,
    MIN(issue) AS first_issue,
    MAX(dpd_now) AS current_overdue_days,
    MAX(CASE WHEN open_now AND (npl_by_now OR dpd_now >= {p.npl_days}) THEN 1 ELSE 0 END)
      AS current_npl
  FROM loan_state GROUP BY household_no"""
    features = f"""
  SELECT loan_agg.*,
    loan_outstanding / CASE WHEN recent_amount > 0 THEN recent_amount END AS loan_utilisation,
    LEAST({d.days_between(as_of, "first_issue")} / 30.44E0, {HISTORY_CAP_MONTHS}E0)
      AS loan_months_since_first
  FROM loan_agg"""
    # Per village: the open amount that is 90+ days overdue, and the share of borrowing
    # households with an overdue loan, counting each household's open loans today.
    household_exposure = f"""
  SELECT household_no,
    {d.float_sum("CASE WHEN open_now THEN amount ELSE 0E0 END")} AS open_amount,
    {d.float_sum(f"CASE WHEN open_now AND dpd_now >= {p.npl_days} THEN amount ELSE 0E0 END")}
      AS npl_amount,
    SUM(CASE WHEN open_now THEN 1 ELSE 0 END) AS open_loans,
    SUM(CASE WHEN open_now AND dpd_now > 0 THEN 1 ELSE 0 END) AS overdue_loans
  FROM loan_state GROUP BY household_no"""
    village = f"""
  SELECT h.village_code,
    {d.float_sum("e.npl_amount")} AS npl_amount,
    {d.float_sum("e.open_amount")} AS open_amount,
    SUM(CASE WHEN e.open_loans > 0 THEN 1 ELSE 0 END) AS borrowers,
    SUM(CASE WHEN e.overdue_loans > 0 THEN 1 ELSE 0 END) AS overdue_borrowers
  FROM household_exposure e JOIN households h ON h.household_no = e.household_no
  WHERE h.village_code IS NOT NULL
  GROUP BY h.village_code"""
    # The same over the whole county: village features are read against it (see sql.py).
    county = """
  SELECT SUM(npl_amount) AS npl_amount, SUM(open_amount) AS open_amount,
    SUM(borrowers) AS borrowers, SUM(overdue_borrowers) AS overdue_borrowers
  FROM village_loans"""
    return [
        ("loan_base", base),
        ("loan_spell", spell),
        ("loan_dated", dated),
        ("loan_open", state),
        ("loan_state", flags),
        ("loan_agg", loan),
        ("loan", features),
        ("household_exposure", household_exposure),
        ("village_loans", village),
        ("county_loans", county),
    ]


# loan_* features a household without a loan before the as-of date has as 0 (utilisation: NULL).
LOAN_ZERO_FEATURES = (
    "loan_count",
    "loan_max_overdue_days",
    "loan_overdue_count",
    "loan_npl_count",
    "loan_clean_settled_count",
    "loan_outstanding",
    "loan_months_since_first",
)
