"""The one feature query: every feature group's CTEs joined onto the 户籍 households.

``feature_query(dialect, params)`` is the single definition of every catalogue feature and of the
policy inputs (``meta``); DuckDB runs it locally, Spark SQL at province scale. It reads the input
relations of ``creditfarm.features.engine.relations`` (``households``, ``persons``, ``archives``,
``govrecords``, ``loans``, ``blacklist``) and ``payments`` (the Parquet store), and returns one
row per household, unordered.

Number literals carry an exponent (``1E0``, ``365.25E0``): both engines read those as DOUBLE,
while Spark reads ``1.0`` as a DECIMAL and would divide with a fixed scale.
"""

from __future__ import annotations

from creditfarm.features.engine.archive_sql import (
    ARCHIVE_NUMBERS,
    ORDINAL_FEATURES,
    age_on,
    archive_ctes,
)
from creditfarm.features.engine.dialects import Dialect
from creditfarm.features.engine.gov_sql import GOV_ZERO_FEATURES, gov_ctes
from creditfarm.features.engine.loan_sql import LOAN_ZERO_FEATURES, loan_ctes
from creditfarm.features.engine.params import FeatureParams
from creditfarm.features.engine.payment_sql import PAYMENT_FEATURE_SQL, payment_ctes

__all__ = ["feature_ctes", "feature_query", "payment_span_query"]


def _payment_columns(p: FeatureParams) -> list[str]:
    if p.payment_months is None:  # an empty store: no payment feature is known
        return [f"CAST(NULL AS DOUBLE) AS {name}" for name in PAYMENT_FEATURE_SQL]
    return [f"pay.{name} AS {name}" for name in PAYMENT_FEATURE_SQL]


def _ratio(part: str, whole: str) -> str:
    """part / whole, 0 when the whole is empty or missing (a village or county without loans)."""
    return f"COALESCE(CASE WHEN {whole} > 0 THEN {part} / {whole} END, 0E0)"


def _vs_county(part: str, whole: str, name: str) -> str:
    """The village's part/whole less the county's; 0 for a household without a village."""
    village, county = _ratio(f"vl.{part}", f"vl.{whole}"), _ratio(f"cl.{part}", f"cl.{whole}")
    return f"CASE WHEN h.village_code IS NULL THEN 0E0 ELSE {village} - {county} END AS {name}"


def feature_query(d: Dialect, p: FeatureParams) -> str:
    """The whole query for the as-of date of ``p`` (payment months already set, see
    ``FeatureParams.with_payment_span``)."""
    ctes, select = feature_ctes(d, p)
    with_clause = ",\n".join(f"{name} AS ({body}\n)" for name, body in ctes)
    return f"WITH\n{with_clause}\n{select}"


def feature_ctes(d: Dialect, p: FeatureParams) -> tuple[list[tuple[str, str]], str]:
    """The query as its named steps (each may read the steps before it) and the final SELECT:
    an engine may run them as one query or step by step."""
    ctes: list[tuple[str, str]] = [
        (
            "members",
            "\n  SELECT person_key, household_no FROM persons WHERE household_no IS NOT NULL",
        ),
        *archive_ctes(d, p),
        *gov_ctes(d, p),
        *loan_ctes(d, p),
    ]
    if p.payment_months is not None:
        ctes += payment_ctes(d, p)
    ctes.append(
        (
            "village_filed",
            """
  SELECT h.village_code,
    SUM(CASE WHEN a.household_no IS NOT NULL THEN 1E0 ELSE 0E0 END) / COUNT(*) AS filed_share
  FROM households h LEFT JOIN arch a ON a.household_no = h.household_no
  WHERE h.village_code IS NOT NULL
  GROUP BY h.village_code""",
        )
    )
    archive = [
        *(f"a.{c}" for c in ARCHIVE_NUMBERS),
        "a.net_income",
        "a.debt_to_income",
        *(f"a.{c}" for c in ORDINAL_FEATURES),
        *(f"a.{c}" for c in p.industries),
        "a.years_filed",
    ]
    gov = [f"COALESCE(g.{c}, 0E0) AS {c}" for c in GOV_ZERO_FEATURES]
    loan = [f"COALESCE(l.{c}, 0E0) AS {c}" for c in LOAN_ZERO_FEATURES]
    columns = [
        "h.household_no",
        "h.village_code",
        "hd.head_key AS head_person_key",
        f"{age_on('hd.head_birth_date', p)} AS head_age",
        "a.household_no IS NOT NULL AS filed",
        "a.filed_date",
        *archive,
        *_payment_columns(p),
        *gov,
        "COALESCE(g.insured_members / NULLIF(mc.members, 0), 0E0) AS gov_medical_insured_share",
        "CASE WHEN bl.household_no IS NOT NULL THEN 1E0 ELSE 0E0 END AS gov_blacklisted",
        "COALESCE(g.fraud_recent, 0E0) > 0 AS fraud_recent",
        "COALESCE(g.poor_status, '') AS poverty_status",
        "COALESCE(g.poor_status, g.any_poverty_status, '') AS poverty_group",
        *loan,
        "l.loan_utilisation",
        "COALESCE(l.current_overdue_days, 0) AS current_overdue_days",
        "COALESCE(l.current_npl, 0) > 0 AS current_npl",
        "CASE WHEN h.village_code IS NOT NULL THEN vf.filed_share END AS village_filed_share",
        # Village credit quality against the county's on the same date: the county-wide level
        # moves with the credit cycle and the growth of the book (the sample's share of
        # overdue borrowers doubles in two years), which made the raw village ratios drift
        # structurally (PSI 2.4-4.2). Against the county the level shift goes; what is left is
        # still too noisy to be a model input (catalogue.MODEL_EXCLUDED).
        # A household without a village has no village context: 0, like the county itself.
        _vs_county("npl_amount", "open_amount", "village_npl_vs_county"),
        _vs_county("overdue_borrowers", "borrowers", "village_overdue_vs_county"),
        "ab.person_key IS NOT NULL AS head_abroad",
    ]
    joins = [
        "LEFT JOIN head hd ON hd.household_no = h.household_no",
        "LEFT JOIN arch a ON a.household_no = h.household_no",
        "LEFT JOIN gov g ON g.household_no = h.household_no",
        "LEFT JOIN member_count mc ON mc.household_no = h.household_no",
        "LEFT JOIN blacklisted bl ON bl.household_no = h.household_no",
        "LEFT JOIN loan l ON l.household_no = h.household_no",
        "LEFT JOIN village_filed vf ON vf.village_code = h.village_code",
        "LEFT JOIN village_loans vl ON vl.village_code = h.village_code",
        "CROSS JOIN county_loans cl",
        "LEFT JOIN abroad ab ON ab.person_key = hd.head_key",
    ]
    if p.payment_months is not None:
        joins.append("LEFT JOIN pay ON pay.household_no = h.household_no")
    select = ",\n  ".join(columns)
    return ctes, f"SELECT\n  {select}\nFROM households h\n" + "\n".join(joins)


def payment_span_query() -> str:
    """The first payment in the store (NULL when it is empty)."""
    return "SELECT MIN(txn_time) AS first_payment FROM payments"
