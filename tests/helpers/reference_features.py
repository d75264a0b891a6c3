"""The feature building that preceded the SQL engine, kept whole as the oracle of the
differential tests (tests/test_feature_engine.py): pandas for archive, government, loan and
village features, the payment SQL as it was. Not used by creditfarm itself.

Originally: household features as of a date, from every source, per the catalogue.

``load_county`` reads the SQL tables once; ``build_features`` turns them into one row per 户籍
household for an as-of date (training calls it for several observation dates). Only rows dated
strictly before the as-of date feed a feature. Undated government rows (tax, poverty, residence,
land, exit-entry, insurance) are snapshots of the export and are used as they are: a limit
stated in the model card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from creditfarm.features.catalogue import FEATURE_NAMES
from creditfarm.features.loan_timeline import (
    NPL_DAYS,
    dated_loans,
    days_overdue_at,
    outstanding_at,
)
from creditfarm.policy.config import Policy
from creditfarm.storage import paystore
from creditfarm.storage.models import Archive, Blacklist, GovRecord, Household, Loan, Person
from creditfarm.workspace import Workspace

__all__ = [
    "CountyData",
    "FeatureSet",
    "build_features",
    "data_date",
    "features_as_of",
    "load_county",
]

PAYMENT_WINDOW_MONTHS = 12
_EDUCATION = {
    "文盲": 0,
    "小学": 1,
    "初中": 2,
    "高中": 3,
    "中专": 3,
    "职高": 3,
    "大专": 4,
    "本科": 4,
    "大学": 4,
    "研究生": 4,
}
_EVALUATION = {"好": 3, "较好": 2, "一般": 1, "差": 0, "较差": 0}
_HOUSE = {"土木": 1, "土坯": 1, "木": 1, "砖木": 2, "砖混": 3, "框架": 4, "楼房": 4}
_INDUSTRY = {
    "industry_planting": ("种植",),
    "industry_livestock": ("养殖",),
    "industry_migrant": ("务工",),
    "industry_business": ("个体", "经营", "商"),
}
_YES = {"是", "y", "yes", "true", "1", "在境外"}


# --- the payment SQL as it was (creditfarm/features/payment_sql.py) ---

_OK = "(status IS NULL OR status <> '失败')"
_IN = f"({_OK} AND direction IN ('in', '收'))"
_OUT = f"({_OK} AND direction IN ('out', '付'))"
_WITHDRAW = f"({_OK} AND txn_type = '小额取款')"
_BILL = f"({_OK} AND (txn_type = '代理缴费' OR bill_category IS NOT NULL))"

# Per household and month: the monthly aggregates the features are built from.
MONTHLY_SQL: dict[str, str] = {
    "inflow": f"SUM(CASE WHEN {_IN} THEN amount ELSE 0 END)",
    "outflow": f"SUM(CASE WHEN {_OUT} THEN amount ELSE 0 END)",
    "withdrawn": f"SUM(CASE WHEN {_WITHDRAW} THEN amount ELSE 0 END)",
    "bills": f"SUM(CASE WHEN {_BILL} THEN amount ELSE 0 END)",
    "bill_count": f"SUM(CASE WHEN {_BILL} THEN 1 ELSE 0 END)",
    "ok_count": f"SUM(CASE WHEN {_OK} THEN 1 ELSE 0 END)",
    "failed_count": "SUM(CASE WHEN status = '失败' THEN 1 ELSE 0 END)",
    "txn_count": "COUNT(*)",
    "last_ok": f"MAX(CASE WHEN {_OK} THEN txn_time END)",
}

# Per household over the calendar grid (g = monthly row or zeros for a quiet month; n = months).
PAYMENT_FEATURE_SQL: dict[str, str] = {
    "pay_inflow_month_mean": "SUM(g.inflow) / COUNT(*)",
    "pay_outflow_month_mean": "SUM(g.outflow) / COUNT(*)",
    "pay_inflow_cv": "CASE WHEN SUM(g.inflow) > 0 THEN STDDEV_POP(g.inflow) / AVG(g.inflow) END",
    "pay_inflow_peak_share": "CASE WHEN SUM(g.inflow) > 0 THEN MAX(g.inflow) / SUM(g.inflow) END",
    "pay_active_month_share": "SUM(CASE WHEN g.ok_count > 0 THEN 1 ELSE 0 END) * 1.0 / COUNT(*)",
    "pay_days_since_last": "MAX(g.last_ok)",  # turned into days in Python (date arithmetic)
    "pay_txn_month_mean": "SUM(g.txn_count) * 1.0 / COUNT(*)",
    "pay_bill_month_share": "SUM(CASE WHEN g.bill_count > 0 THEN 1 ELSE 0 END) * 1.0 / COUNT(*)",
    "pay_bill_month_mean": "SUM(g.bills) / COUNT(*)",
    "pay_withdrawal_share": (
        "CASE WHEN SUM(g.outflow) > 0 THEN SUM(g.withdrawn) / SUM(g.outflow) END"
    ),
    "pay_failed_share": (
        "CASE WHEN SUM(g.txn_count) > 0 THEN SUM(g.failed_count) * 1.0 / SUM(g.txn_count) END"
    ),
}


def payment_feature_query(start: str, as_of: str) -> str:
    """The whole query for the window ``[start, as_of)`` (ISO dates, validated by the caller)."""
    monthly = ",\n    ".join(f"{expr} AS {name}" for name, expr in MONTHLY_SQL.items())
    zero = ", ".join(f"COALESCE(m.{n}, 0) AS {n}" for n in MONTHLY_SQL if n != "last_ok")
    features = ",\n  ".join(f"{expr} AS {name}" for name, expr in PAYMENT_FEATURE_SQL.items())
    return f"""
WITH tx AS (
  SELECT mb.household_no, p.*,
         CAST(EXTRACT(YEAR FROM p.txn_time) * 12 + EXTRACT(MONTH FROM p.txn_time) AS INTEGER)
           AS month_idx
  FROM payments p JOIN members mb ON p.person_key = mb.person_key
  WHERE p.txn_time >= TIMESTAMP '{start} 00:00:00' AND p.txn_time < TIMESTAMP '{as_of} 00:00:00'
),
monthly AS (
  SELECT household_no, month_idx,
    {monthly}
  FROM tx GROUP BY household_no, month_idx
),
hh AS (SELECT DISTINCT household_no FROM tx),
g AS (
  SELECT hh.household_no, c.month_idx, {zero}, m.last_ok
  FROM hh CROSS JOIN calendar c
  LEFT JOIN monthly m ON m.household_no = hh.household_no AND m.month_idx = c.month_idx
)
SELECT g.household_no,
  {features}
FROM g GROUP BY g.household_no
"""


@dataclass
class CountyData:
    """The SQL tables features are built from, read once."""

    households: pd.DataFrame  # household_no, village_code, head_person_key
    persons: (
        pd.DataFrame
    )  # person_key, household_no, relation_to_head, birth_date, gender, ethnicity
    archives: pd.DataFrame
    gov: pd.DataFrame  # source, person_key, record_date, data (dict)
    loans: pd.DataFrame
    blacklist: pd.DataFrame
    payments_root: Path
    snapshot: date  # the loan book's export date

    @property
    def members(self) -> pd.DataFrame:
        return self.persons.loc[
            self.persons["household_no"].notna(), ["person_key", "household_no"]
        ]


@dataclass
class FeatureSet:
    """Model features (``X``, columns = catalogue order) and what the policy rules need (``meta``),
    both indexed by household_no."""

    as_of: date
    X: pd.DataFrame
    meta: pd.DataFrame


def _frame(conn: Any, table: Any) -> pd.DataFrame:
    rows = conn.execute(select(table.__table__)).mappings().all()
    cols = [c.name for c in table.__table__.columns]
    return pd.DataFrame([dict(r) for r in rows], columns=cols)


def _month_end(d: date) -> date:
    return (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date()


def _latest_dated_row(loans: pd.DataFrame, archives: pd.DataFrame, payments_root: Path) -> date:
    dates = [max(loans["issue_date"])] if len(loans) else []
    if len(archives):
        dates.append(max(archives["filed_date"]))
    con = paystore.connect(payments_root)
    try:
        last = con.execute("SELECT MAX(txn_time) FROM payments").fetchall()[0]
    finally:
        con.close()
    if last and last[0] is not None:
        dates.append(pd.Timestamp(last[0]).date())
    if not dates:
        raise ValueError("the database holds no loans, archives or payments: import a county first")
    return max(pd.Timestamp(d).date() for d in dates)


def data_date(data: CountyData) -> date:
    """The county's data date: county exports are month-end, so the month end of the latest
    dated row (loan issued, archive filed, payment made). The default as-of date."""
    return data.snapshot


def load_county(ws: Workspace, *, snapshot: date | None = None) -> CountyData:
    """Read households, persons, archives, government records, loans and blacklist.

    ``snapshot`` is the loan book's export date (default: the data date, see ``data_date``)."""
    with ws.engine.connect() as conn:
        households = _frame(conn, Household)
        persons = _frame(conn, Person).drop(columns=["id_number", "extra", "run_id"])
        archives = _frame(conn, Archive).drop(columns=["phone", "extra", "run_id"])
        gov = _frame(conn, GovRecord)
        loans = _frame(conn, Loan)
        blacklist = _frame(conn, Blacklist)
    if snapshot is None:
        snapshot = _month_end(_latest_dated_row(loans, archives, Path(ws.payments_root)))
    return CountyData(
        households, persons, archives, gov, loans, blacklist, Path(ws.payments_root), snapshot
    )


def _months_back(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 - months
    return date(idx // 12, idx % 12 + 1, 1)


def _level(value: Any, table: dict[str, int]) -> float:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    text = str(value).strip()
    if text in table:
        return float(table[text])
    for key in sorted(table, key=len, reverse=True):  # 较好 before 好
        if key in text:
            return float(table[key])
    return 0.0


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return np.nan
    return out


def _yes(value: Any) -> bool:
    return str(value).strip().lower() in _YES if value is not None else False


def _age(birth: Any, as_of: date) -> float:
    if birth is None or pd.isna(birth):
        return np.nan
    b = pd.Timestamp(birth)
    return float(as_of.year - b.year - ((as_of.month, as_of.day) < (b.month, b.day)))


def _archive_features(data: CountyData, as_of: date, index: pd.Index) -> pd.DataFrame:
    arch = data.archives
    arch = arch[
        arch["household_no"].notna() & (pd.to_datetime(arch["filed_date"]) < pd.Timestamp(as_of))
    ]
    arch = arch.sort_values("filed_date").groupby("household_no").tail(1).set_index("household_no")
    out = pd.DataFrame(index=index)
    for col in (
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
    ):
        out[col] = pd.to_numeric(arch[col], errors="coerce").reindex(index)
    out["net_income"] = out["annual_income"] - out["annual_expense"]
    income = out["annual_income"].where(out["annual_income"] > 0)
    out["debt_to_income"] = out["other_debt"].fillna(0) / income
    out["head_education_level"] = (
        arch["head_education"].map(lambda v: _level(v, _EDUCATION)).reindex(index)
    )
    out["village_evaluation_level"] = (
        arch["village_evaluation"].map(lambda v: _level(v, _EVALUATION)).reindex(index)
    )
    out["house_type_level"] = arch["house_type"].map(lambda v: _level(v, _HOUSE)).reindex(index)
    industry = arch["main_industry"].fillna("").astype(str).reindex(index)
    filed = industry.index.isin(arch.index)
    for name, words in _INDUSTRY.items():
        flag = industry.fillna("").map(lambda t, w=words: float(any(x in t for x in w)))
        out[name] = flag.where(filed)
    filed_date = pd.to_datetime(arch["filed_date"]).reindex(index)
    out["years_filed"] = (pd.Timestamp(as_of) - filed_date).dt.days / 365.25
    out["_filed"] = filed
    out["_filed_date"] = filed_date
    return out


def _payment_features(data: CountyData, as_of: date, index: pd.Index) -> pd.DataFrame:
    start = _months_back(as_of, PAYMENT_WINDOW_MONTHS)
    con = paystore.connect(data.payments_root)
    try:
        span = con.execute("SELECT MIN(txn_time), MAX(txn_time) FROM payments").fetchall()[0]
        out = pd.DataFrame(index=index)
        if span is None or span[0] is None:
            for name in FEATURE_NAMES:
                if name.startswith("pay_"):
                    out[name] = np.nan
            return out
        # Months of the window the store covers: a quiet month of a covered span counts as 0,
        # months before the store began do not count at all (so early observation dates are
        # not mistaken for inactivity).
        first = max(pd.Timestamp(span[0]).date().replace(day=1), start)
        months = []
        cursor = first
        while cursor < as_of:
            months.append(cursor.year * 12 + cursor.month)
            cursor = _months_back(cursor, -1)
        con.register("members", data.members)
        con.register("calendar", pd.DataFrame({"month_idx": months or [0]}))
        frame = con.execute(payment_feature_query(start.isoformat(), as_of.isoformat())).df()
    finally:
        con.close()
    frame = frame.set_index("household_no").reindex(index)
    last = pd.to_datetime(frame["pay_days_since_last"])
    frame["pay_days_since_last"] = (pd.Timestamp(as_of) - last).dt.days
    for col in frame.columns:
        # Parallel SQL aggregation sums floats in no fixed order: the last bits differ from run to
        # run. Rounding makes features (and so the trained model and its version) reproducible.
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float).round(9)
    return frame


def _gov_features(
    data: CountyData, as_of: date, index: pd.Index, policy: Policy | None
) -> pd.DataFrame:
    gov = data.gov.merge(data.members, on="person_key", how="inner")
    dated = pd.to_datetime(gov["record_date"])
    gov = gov[dated.isna() | (dated < pd.Timestamp(as_of))]
    fields = pd.json_normalize(gov["data"].tolist()) if len(gov) else pd.DataFrame()
    fields.index = gov.index
    # A JSON field named like a table column (record_date) only fills the column's gaps.
    for name in [c for c in fields.columns if c in gov.columns]:
        gov[name] = gov[name].where(
            gov[name].notna(), pd.to_datetime(fields.pop(name), errors="coerce").dt.date
        )
    gov = pd.concat([gov.drop(columns=["data"]), fields], axis=1)
    out = pd.DataFrame(index=index)

    def part(source: str) -> pd.DataFrame:
        return gov[gov["source"] == source]

    def col(frame: pd.DataFrame, name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series(np.nan, index=frame.index, dtype=object)

    def per_hh(series: pd.Series, how: str = "sum") -> pd.Series:
        grouped = series.astype(float).groupby(gov.loc[series.index, "household_no"])
        return getattr(grouped, how)().reindex(index).fillna(0).astype(float)

    crim = part("criminal")
    fraud_cats = set(policy.vetoes.fraud_categories) if policy else set()
    out["gov_criminal_count"] = per_hh(pd.Series(1.0, index=crim.index))
    is_fraud = (
        col(crim, "category")
        .fillna("")
        .astype(str)
        .map(lambda c: float(any(f in c for f in fraud_cats)))
    )
    out["gov_fraud_record"] = per_hh(is_fraud, "max")
    biz = part("business")
    status = col(biz, "status").fillna("").astype(str)
    out["gov_business_active"] = per_hh(status.str.contains("存续").astype(float))
    out["gov_business_revoked"] = per_hh(status.str.contains("吊销").astype(float), "max")
    tax = part("tax")
    out["gov_tax_paid"] = per_hh(col(tax, "tax_paid_last_year").map(_num).fillna(0))
    out["gov_tax_arrears"] = per_hh(col(tax, "arrears").map(_num).fillna(0))
    pov = part("poverty")
    pstat = col(pov, "status").fillna("").astype(str)
    poor_statuses = policy.poverty_product.statuses if policy else ["建档立卡贫困户", "监测户"]
    out["gov_poverty"] = per_hh(pstat.isin(poor_statuses).astype(float), "max")
    out["gov_poverty_exited"] = per_hh(pstat.str.contains("脱贫").astype(float), "max")
    land = part("land")
    out["gov_certified_land_mu"] = per_hh(col(land, "contract_area_mu").map(_num).fillna(0))
    out["gov_transferred_out_mu"] = per_hh(col(land, "transferred_out_mu").map(_num).fillna(0))
    res = part("residence")
    rstat = col(res, "status").fillna("").astype(str)
    out["gov_migrant_members"] = per_hh(rstat.str.contains("外出").astype(float))
    out["gov_months_away"] = per_hh(col(res, "months_away").map(_num).fillna(0))
    ee = part("exit_entry")
    out["gov_abroad_now"] = per_hh(col(ee, "abroad_now").map(_yes).astype(float), "max")
    out["gov_trips_abroad"] = per_hh(col(ee, "trips_last_year").map(_num).fillna(0))
    si = part("social_insurance")
    out["gov_pension_months"] = per_hh(col(si, "pension_months").map(_num).fillna(0))
    insured = per_hh(col(si, "medical_insured").map(_yes).astype(float))
    size = data.members.groupby("household_no").size().reindex(index).fillna(0)
    out["gov_medical_insured_share"] = (insured / size.where(size > 0)).fillna(0)
    out["gov_agri_insured"] = per_hh(pd.Series(1.0, index=part("agri_insurance").index), "max")
    bl = data.blacklist.merge(data.members, on="person_key", how="inner")
    listed = pd.to_datetime(bl["listed_date"])
    bl = bl[listed.isna() | (listed < pd.Timestamp(as_of))]
    out["gov_blacklisted"] = (
        pd.Series(1.0, index=bl["household_no"].unique()).reindex(index).fillna(0)
    )
    # Head facts for the vetoes.
    if policy is not None:
        since = pd.Timestamp(as_of) - pd.DateOffset(years=policy.vetoes.fraud_record_years)
        recent_fraud = is_fraud.astype(bool) & (pd.to_datetime(crim["record_date"]) >= since)
        out["_fraud_recent"] = per_hh(recent_fraud.astype(float), "max") > 0
    out["_poverty_status"] = (
        pstat.groupby(pov["household_no"])
        .agg(lambda s: next((v for v in s if v in poor_statuses), ""))
        .reindex(index)
        .fillna("")
    )
    # Any poverty-register status (incl. 已脱贫), for the fairness tables only.
    out["_poverty_group"] = (
        pstat.groupby(pov["household_no"])
        .agg(lambda s: next((v for v in s if v in poor_statuses), next((v for v in s if v), "")))
        .reindex(index)
        .fillna("")
    )
    return out


def _loan_features(data: CountyData, as_of: date, index: pd.Index) -> pd.DataFrame:
    loans = data.loans.merge(data.members, on="person_key", how="inner")
    loans = loans[pd.to_datetime(loans["issue_date"]) < pd.Timestamp(as_of)]
    out = pd.DataFrame(index=index)
    if loans.empty:
        for name in FEATURE_NAMES:
            if name.startswith("loan_"):
                out[name] = 0.0
        out["loan_utilisation"] = np.nan
        out["_current_overdue_days"] = 0
        out["_current_npl"] = False
        return out
    dated = dated_loans(loans, snapshot=data.snapshot).reset_index(drop=True)
    hh = dated["household_no"]
    dpd_so_far = days_overdue_at(dated, as_of)
    dpd_now = days_overdue_at(dated, as_of, spell_so_far=False)
    open_now = outstanding_at(dated, as_of)
    npl_event = dated["npl_event"].to_numpy()
    npl_by_now = ~np.isnat(npl_event) & (npl_event < np.datetime64(as_of, "D"))
    repaid = dated["repaid"].to_numpy()
    clean = (
        (~np.isnat(repaid)) & (repaid < np.datetime64(as_of, "D")) & (dated["dpd"].to_numpy() == 0)
    )
    amount = pd.to_numeric(dated["amount"], errors="coerce").fillna(0).to_numpy()
    recent = dated["issue"].to_numpy() >= np.datetime64(_months_back(as_of, 36), "D")
    frame = pd.DataFrame(
        {
            "household_no": hh,
            "loan_count": 1.0,
            "loan_max_overdue_days": dpd_so_far.astype(float),
            "loan_overdue_count": (dpd_so_far > 0).astype(float),
            "loan_npl_count": npl_by_now.astype(float),
            "loan_clean_settled_count": clean.astype(float),
            "loan_outstanding": np.where(open_now, amount, 0.0),
            "_recent_amount": np.where(recent, amount, 0.0),
            "_first_issue": dated["issue"],
            "_current_overdue_days": dpd_now,
            "_current_npl": open_now & (npl_by_now | (dpd_now >= NPL_DAYS)),
        }
    )
    agg = frame.groupby("household_no").agg(
        loan_count=("loan_count", "sum"),
        loan_max_overdue_days=("loan_max_overdue_days", "max"),
        loan_overdue_count=("loan_overdue_count", "sum"),
        loan_npl_count=("loan_npl_count", "sum"),
        loan_clean_settled_count=("loan_clean_settled_count", "sum"),
        loan_outstanding=("loan_outstanding", "sum"),
        _recent_amount=("_recent_amount", "sum"),
        _first_issue=("_first_issue", "min"),
        _current_overdue_days=("_current_overdue_days", "max"),
        _current_npl=("_current_npl", "max"),
    )
    agg["loan_utilisation"] = agg["loan_outstanding"] / agg["_recent_amount"].where(
        agg["_recent_amount"] > 0
    )
    agg["loan_months_since_first"] = (
        (pd.Timestamp(as_of) - pd.to_datetime(agg["_first_issue"])).dt.days / 30.44
    ).clip(upper=24.0)  # history counted up to two years
    agg = agg.drop(columns=["_recent_amount", "_first_issue"]).reindex(index)
    zero = [c for c in agg.columns if c not in ("loan_utilisation",)]
    agg[zero] = agg[zero].fillna(0)
    agg["_current_npl"] = agg["_current_npl"].astype(bool)
    return agg


def _village_features(data: CountyData, as_of: date, hh: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=hh.index)
    village = hh["village_code"]
    out["village_filed_share"] = hh["_filed"].astype(float).groupby(village).transform("mean")
    loans = data.loans.merge(data.members, on="person_key", how="inner")
    loans = loans[pd.to_datetime(loans["issue_date"]) < pd.Timestamp(as_of)]
    if loans.empty:
        out["village_npl_vs_county"] = 0.0
        out["village_overdue_vs_county"] = 0.0
        return out
    dated = dated_loans(loans, snapshot=data.snapshot).reset_index(drop=True)
    open_now = outstanding_at(dated, as_of)
    dpd_now = days_overdue_at(dated, as_of, spell_so_far=False)
    amount = pd.to_numeric(dated["amount"], errors="coerce").fillna(0).to_numpy()
    frame = (
        pd.DataFrame(
            {
                "household_no": dated["household_no"],
                "open": np.where(open_now, amount, 0.0),
                "npl": np.where(open_now & (dpd_now >= NPL_DAYS), amount, 0.0),
                "borrower": open_now.astype(float),
                "overdue": (open_now & (dpd_now > 0)).astype(float),
            }
        )
        .groupby("household_no")
        .sum()
    )
    frame["village_code"] = hh["village_code"].reindex(frame.index)
    per_village = frame.groupby("village_code").agg(
        open=("open", "sum"),
        npl=("npl", "sum"),
        borrowers=("borrower", lambda s: float((s > 0).sum())),
        overdue=("overdue", lambda s: float((s > 0).sum())),
    )
    ratio = (per_village["npl"] / per_village["open"].where(per_village["open"] > 0)).fillna(0)
    share = (
        per_village["overdue"] / per_village["borrowers"].where(per_village["borrowers"] > 0)
    ).fillna(0)
    # Against the whole county (households with a village code) on the same date.
    open_total, borrowers_total = per_village["open"].sum(), per_village["borrowers"].sum()
    county_ratio = per_village["npl"].sum() / open_total if open_total > 0 else 0.0
    county_share = per_village["overdue"].sum() / borrowers_total if borrowers_total > 0 else 0.0
    has_village = village.notna()
    out["village_npl_vs_county"] = (
        village.map(ratio).fillna(0).astype(float) - county_ratio
    ).where(has_village, 0.0)
    out["village_overdue_vs_county"] = (
        village.map(share).fillna(0).astype(float) - county_share
    ).where(has_village, 0.0)
    return out


def build_features(data: CountyData, *, as_of: date, policy: Policy | None = None) -> FeatureSet:
    """One row per 户籍 household: catalogue features in ``X``, policy inputs in ``meta``."""
    households = data.households.set_index("household_no").sort_index()
    index = households.index
    archive = _archive_features(data, as_of, index)
    payments = _payment_features(data, as_of, index)
    gov = _gov_features(data, as_of, index, policy)
    loans = _loan_features(data, as_of, index)
    base = pd.DataFrame({"village_code": households["village_code"], "_filed": archive["_filed"]})
    village = _village_features(data, as_of, base)
    head = _heads(data, households)
    archive["head_age"] = head["birth_date"].map(lambda b: _age(b, as_of))
    every = pd.concat([archive, payments, gov, loans, village], axis=1)
    X = every[list(FEATURE_NAMES)].astype(float)
    meta = pd.DataFrame(index=index)
    meta["village_code"] = households["village_code"]
    meta["head_person_key"] = head["person_key"]
    meta["filed"] = archive["_filed"].astype(bool)
    meta["filed_date"] = archive["_filed_date"]
    meta["thin_file"] = X["loan_count"].eq(0)
    meta["head_age"] = archive["head_age"]
    meta["blacklisted"] = X["gov_blacklisted"] > 0
    meta["current_npl"] = loans["_current_npl"].astype(bool)
    meta["current_overdue_days"] = loans["_current_overdue_days"].astype(int)
    meta["fraud_recent"] = gov.get("_fraud_recent", False)
    meta["tax_arrears"] = X["gov_tax_arrears"]
    meta["business_revoked"] = X["gov_business_revoked"] > 0
    meta["abroad_now"] = _head_abroad(data, head, as_of)
    meta["poverty_status"] = gov["_poverty_status"]
    meta["poverty_group"] = gov["_poverty_group"]
    meta["assets"] = X["deposits"].fillna(0) + X["machinery_value"].fillna(0)
    meta["net_income"] = X["net_income"].fillna(0)
    meta["existing_debt"] = X["other_debt"].fillna(0) + X["loan_outstanding"].fillna(0)
    return FeatureSet(as_of=as_of, X=X, meta=meta)


def _heads(data: CountyData, households: pd.DataFrame) -> pd.DataFrame:
    """The head of each household: the 户籍 head key, else the member recorded as 户主."""
    persons = data.persons.set_index("person_key")
    key = households["head_person_key"].copy()
    by_relation = (
        data.persons[data.persons["relation_to_head"].fillna("").astype(str).str.contains("户主")]
        .groupby("household_no")["person_key"]
        .first()
    )
    key = key.where(key.notna() & key.isin(persons.index), by_relation.reindex(key.index))
    birth = key.map(persons["birth_date"]) if len(persons) else pd.Series(None, index=key.index)
    return pd.DataFrame({"person_key": key, "birth_date": birth})


def _head_abroad(data: CountyData, head: pd.DataFrame, as_of: date) -> pd.Series:
    ee = data.gov[data.gov["source"] == "exit_entry"]
    abroad = {
        r.person_key
        for r in ee.itertuples()
        if _yes((r.data or {}).get("abroad_now"))
        and (
            r.record_date is None
            or pd.isna(r.record_date)
            or pd.Timestamp(r.record_date) < pd.Timestamp(as_of)
        )
    }
    return head["person_key"].isin(abroad)


def features_as_of(ws: Workspace, *, as_of: date) -> FeatureSet:
    """Features of every 户籍 household as of ``as_of`` (reads the database once)."""
    return build_features(load_county(ws), as_of=as_of, policy=ws.policy)
