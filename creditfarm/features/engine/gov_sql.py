"""Government-source features (政务数据) and the blacklist, as SQL.

Reads ``govrecords(id, source, person_key, record_date, data)`` — ``data`` is the source's
fields as JSON text — ``members`` and ``blacklist``. Dated rows enter when dated strictly before
the as-of date; undated rows (tax, poverty, residence, land, exit-entry, insurance) are
snapshots of the export and always enter (a limit stated in the model card).
"""

from __future__ import annotations

from creditfarm.features.engine.dialects import Dialect
from creditfarm.features.engine.params import FeatureParams

__all__ = ["GOV_ZERO_FEATURES", "gov_ctes"]

# JSON fields read as text and as numbers (a value that is not a number counts as 0 where summed).
_TEXT_FIELDS = ("category", "status", "abroad_now", "medical_insured", "record_date")
_NUMBER_FIELDS = (
    "tax_paid_last_year",
    "arrears",
    "contract_area_mu",
    "transferred_out_mu",
    "months_away",
    "trips_last_year",
    "pension_months",
)


def _in(d: Dialect, expr: str, values: tuple[str, ...]) -> str:
    if not values:
        return "FALSE"
    return f"({expr} IN ({', '.join(d.text(v) for v in values)}))"


def _yes(d: Dialect, expr: str, p: FeatureParams) -> str:
    return f"COALESCE({_in(d, f'lower(trim({expr}))', p.yes_values)}, FALSE)"


def _flag(cond: str) -> str:
    return f"CASE WHEN {cond} THEN 1E0 ELSE 0E0 END"


def gov_ctes(d: Dialect, p: FeatureParams) -> list[tuple[str, str]]:
    """CTEs ``gov`` (per household with a government row: gov_* features and policy inputs),
    ``member_count``, ``blacklisted`` and ``abroad`` (persons abroad now)."""
    as_of = d.date(p.as_of)
    fields = ",\n    ".join(
        [f"{d.json_text('g.data', f)} AS {f}" for f in _TEXT_FIELDS]
        + [f"TRY_CAST({d.json_text('g.data', f)} AS DOUBLE) AS {f}" for f in _NUMBER_FIELDS]
    )
    rows = f"""
  SELECT g.id, g.source, m.household_no, g.record_date AS dated, {fields}
  FROM govrecords g JOIN members m ON m.person_key = g.person_key
  WHERE g.record_date IS NULL OR g.record_date < {as_of}"""
    fraud = " OR ".join(d.contains("COALESCE(category, '')", d.text(c)) for c in p.fraud_categories)
    fraud = f"({fraud})" if fraud else "FALSE"
    status = "COALESCE(status, '')"
    poor = _in(d, status, p.poor_statuses)

    def src(name: str, cond: str = "TRUE") -> str:
        return f"source = {d.text(name)} AND {cond}"

    def total(name: str, column: str) -> str:
        return d.float_sum(f"CASE WHEN source = {d.text(name)} THEN COALESCE({column}, 0E0) END")

    # A field named like a table column (record_date) only fills the column's gaps.
    record_date = "COALESCE(dated, TRY_CAST(record_date AS DATE))"
    recent_fraud = (
        f"MAX({_flag(src('criminal', f'{fraud} AND {record_date} >= {d.date(p.fraud_since)}'))})"
        if p.fraud_since is not None
        else "0E0"
    )
    per_household = f"""
  SELECT household_no,
    SUM({_flag(src("criminal"))}) AS gov_criminal_count,
    MAX({_flag(src("criminal", fraud))}) AS gov_fraud_record,
    SUM({_flag(src("business", d.contains(status, d.text("存续"))))}) AS gov_business_active,
    MAX({_flag(src("business", d.contains(status, d.text("吊销"))))}) AS gov_business_revoked,
    {total("tax", "tax_paid_last_year")} AS gov_tax_paid,
    {total("tax", "arrears")} AS gov_tax_arrears,
    MAX({_flag(src("poverty", poor))}) AS gov_poverty,
    MAX({_flag(src("poverty", d.contains(status, d.text("脱贫"))))}) AS gov_poverty_exited,
    {total("land", "contract_area_mu")} AS gov_certified_land_mu,
    {total("land", "transferred_out_mu")} AS gov_transferred_out_mu,
    SUM({_flag(src("residence", d.contains(status, d.text("外出"))))}) AS gov_migrant_members,
    {total("residence", "months_away")} AS gov_months_away,
    MAX({_flag(src("exit_entry", _yes(d, "abroad_now", p)))}) AS gov_abroad_now,
    {total("exit_entry", "trips_last_year")} AS gov_trips_abroad,
    {total("social_insurance", "pension_months")} AS gov_pension_months,
    SUM({_flag(src("social_insurance", _yes(d, "medical_insured", p)))}) AS insured_members,
    MAX({_flag(src("agri_insurance"))}) AS gov_agri_insured,
    {recent_fraud} AS fraud_recent,
    {d.first_by("status", "id")} FILTER (WHERE {src("poverty", poor)}) AS poor_status,
    {d.first_by("status", "id")} FILTER (WHERE {src("poverty", f"{status} <> ''")})
      AS any_poverty_status
  FROM gov_rows GROUP BY household_no"""
    member_count = """
  SELECT household_no, COUNT(*) AS members FROM members GROUP BY household_no"""
    blacklisted = f"""
  SELECT DISTINCT m.household_no
  FROM blacklist b JOIN members m ON m.person_key = b.person_key
  WHERE b.listed_date IS NULL OR b.listed_date < {as_of}"""
    # The head's exit-entry rows, whether or not the head is a linked member.
    abroad = f"""
  SELECT DISTINCT person_key FROM govrecords
  WHERE source = {d.text("exit_entry")} AND (record_date IS NULL OR record_date < {as_of})
    AND {_yes(d, d.json_text("data", "abroad_now"), p)}"""
    return [
        ("gov_rows", rows),
        ("gov", per_household),
        ("member_count", member_count),
        ("blacklisted", blacklisted),
        ("abroad", abroad),
    ]


# gov_* features a household without any government row has as 0.
GOV_ZERO_FEATURES = (
    "gov_criminal_count",
    "gov_fraud_record",
    "gov_business_active",
    "gov_business_revoked",
    "gov_tax_paid",
    "gov_tax_arrears",
    "gov_poverty",
    "gov_poverty_exited",
    "gov_certified_land_mu",
    "gov_transferred_out_mu",
    "gov_migrant_members",
    "gov_months_away",
    "gov_abroad_now",
    "gov_trips_abroad",
    "gov_pension_months",
    "gov_agri_insured",
)
