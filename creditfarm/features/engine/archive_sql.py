"""Archive (农户信用档案) features and the household head, as SQL.

Reads ``archives``, ``households`` and ``persons``. A household's archive is its latest one filed
strictly before the as-of date; a household without one is unfiled (its archive features NULL).
"""

from __future__ import annotations

from collections.abc import Mapping

from creditfarm.features.engine.dialects import Dialect
from creditfarm.features.engine.params import FeatureParams
from creditfarm.features.ordinals import ORDINALS

__all__ = ["ARCHIVE_NUMBERS", "age_on", "archive_ctes", "ordinal_level"]

# Archive columns taken as they are (as floats).
ARCHIVE_NUMBERS = (
    "household_size",
    "labor_count",
    "land_area_mu",
    "transferred_in_mu",
    "livestock_units",
    "machinery_value",
    "annual_income",
    "annual_expense",
    "deposits",
    "other_debt",
)
# Ordinal features: feature → the archive column its level is read from.
ORDINAL_FEATURES = {o.feature: o.field for o in ORDINALS.values()}


def ordinal_level(d: Dialect, column: str, table: Mapping[str, int]) -> str:
    """The level of the label found in ``column``: longer labels are tried first (较好 before
    好), the first label the text contains wins; no label is level 0; a missing value NULL."""
    # sorted() is stable: labels of equal length keep the table's order.
    labels = sorted(table, key=len, reverse=True)
    whens = " ".join(
        f"WHEN {d.contains(column, d.text(label))} THEN {int(table[label])}E0" for label in labels
    )
    return f"CASE WHEN {column} IS NULL THEN NULL {whens} ELSE 0E0 END"


def age_on(birth: str, p: FeatureParams) -> str:
    """Whole years from DATE ``birth`` to the as-of date (a birthday on the as-of date counts)."""
    a = p.as_of
    return (
        f"CAST({a.year} - EXTRACT(YEAR FROM {birth}) - CASE WHEN EXTRACT(MONTH FROM {birth}) > "
        f"{a.month} OR (EXTRACT(MONTH FROM {birth}) = {a.month} AND EXTRACT(DAY FROM {birth}) > "
        f"{a.day}) THEN 1 ELSE 0 END AS DOUBLE)"
    )


def _any_word(d: Dialect, column: str, words: tuple[str, ...]) -> str:
    if not words:
        return "FALSE"
    return "(" + " OR ".join(d.contains(column, d.text(w)) for w in words) + ")"


def archive_ctes(d: Dialect, p: FeatureParams) -> list[tuple[str, str]]:
    """CTEs ``arch`` (one row per filed household: archive features, ``filed_date``) and
    ``head`` (every household: ``head_key``, ``head_birth_date``)."""
    numbers = ",\n    ".join(f"CAST({c} AS DOUBLE) AS {c}" for c in ARCHIVE_NUMBERS)
    ordinals = ",\n    ".join(
        f"{ordinal_level(d, column, p.ordinals[column])} AS {name}"
        for name, column in ORDINAL_FEATURES.items()
    )
    main_industry = "COALESCE(main_industry, '')"
    industry = ",\n    ".join(
        f"CASE WHEN {_any_word(d, main_industry, words)} THEN 1E0 ELSE 0E0 END AS {name}"
        for name, words in p.industries.items()
    )
    as_of = d.date(p.as_of)
    arch_last = f"""
  SELECT * FROM (
    SELECT a.*, ROW_NUMBER() OVER (
      PARTITION BY a.household_no ORDER BY a.filed_date DESC, a.head_person_key DESC) AS rn
    FROM archives a
    WHERE a.household_no IS NOT NULL AND a.filed_date < {as_of}
  ) latest WHERE rn = 1"""
    arch = f"""
  SELECT household_no,
    {numbers},
    CAST(annual_income AS DOUBLE) - CAST(annual_expense AS DOUBLE) AS net_income,
    COALESCE(CAST(other_debt AS DOUBLE), 0E0)
      / CASE WHEN annual_income > 0 THEN CAST(annual_income AS DOUBLE) END AS debt_to_income,
    {ordinals},
    {industry},
    {d.days_between(as_of, "filed_date")} / 365.25E0 AS years_filed,
    filed_date
  FROM arch_last"""
    # The head: the 户籍 head key when it names a person, else a member recorded as 户主.
    head_by_relation = f"""
  SELECT household_no, MIN(person_key) AS person_key
  FROM persons
  WHERE household_no IS NOT NULL AND {d.contains("COALESCE(relation_to_head, '')", d.text("户主"))}
  GROUP BY household_no"""
    head = """
  SELECT h.household_no, COALESCE(hp.person_key, r.person_key) AS head_key,
    CASE WHEN hp.person_key IS NOT NULL THEN hp.birth_date ELSE rp.birth_date END
      AS head_birth_date
  FROM households h
  LEFT JOIN persons hp ON hp.person_key = h.head_person_key
  LEFT JOIN head_by_relation r ON r.household_no = h.household_no
  LEFT JOIN persons rp ON rp.person_key = r.person_key"""
    return [
        ("arch_last", arch_last),
        ("arch", arch),
        ("head_by_relation", head_by_relation),
        ("head", head),
    ]
