"""信用村 / 信用乡(镇) assessment from the policy file ([credit_village], [credit_town]).

Every figure is a count over one per-household frame (``village_households``), so the households
behind each figure are exactly the rows a loan officer can open. Definitions:

- 信用户 share = households whose latest assessment is a credit household / 户籍 households;
- borrower = a household with a loan not settled (status ≠ 结清) and a positive balance;
  in arrears = such a loan overdue now (max_days_overdue > 0) or non-performing;
  borrowers without arrears = borrowers not in arrears / borrowers (no borrowers: passes);
- non-performing ratio = balance of 次级/可疑/损失 loans / balance of all outstanding loans
  (no balance: 0, passes);
- filing rate = households with an archive / 户籍 households.
信用乡(镇): credit villages / villages ≥ [credit_town].min_credit_village_share.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import text

from creditfarm.access import Permission, Principal, can, require, system_principal
from creditfarm.display.exports import excel_writer
from creditfarm.identity import show_name
from creditfarm.ingest.contract import NON_PERFORMING
from creditfarm.officer.households import household_frame
from creditfarm.workspace import Workspace

__all__ = [
    "BEHIND",
    "CRITERIA",
    "Criterion",
    "assess_towns",
    "assess_villages",
    "count_behind",
    "criteria_long",
    "export_xlsx",
    "households_behind",
    "village_households",
]

SETTLED = "结清"


@dataclass(frozen=True)
class Criterion:
    key: str  # column of assess_villages holding the value
    label: str  # Chinese, for the page and the export
    policy_field: str  # field of policy.credit_village holding the threshold
    minimum: bool  # True: value ≥ threshold passes; False: value < threshold passes
    basis: str  # which household column the figure counts (for drill-down)


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "credit_household_share",
        "信用户占比",
        "min_credit_household_share",
        True,
        "credit_household",
    ),
    Criterion(
        "borrowers_without_arrears",
        "借款户无欠息占比",
        "min_borrowers_without_arrears",
        True,
        "borrower",
    ),
    Criterion(
        "non_performing_ratio", "不良贷款率", "max_non_performing_ratio", False, "npl_balance"
    ),
    Criterion("filing_rate", "建档率", "min_filing_rate", True, "filed"),
)


# The households behind a village's figures, for the drill-down (key → label).
BEHIND: dict[str, str] = {
    "credit_household": "信用户",
    "filed": "已建档户",
    "borrower": "借款户",
    "in_arrears": "有欠息借款户",
    "npl": "有不良贷款户",
    "all": "全部户籍户",
}


def _loans_by_household(ws: Workspace) -> pd.DataFrame:
    with ws.engine.connect() as conn:
        loans = pd.read_sql(
            text(
                "SELECT p.household_no, l.balance, l.max_days_overdue, l.classification, l.status "
                "FROM loan l JOIN person p ON p.person_key = l.person_key "
                "WHERE p.household_no IS NOT NULL"
            ),
            conn,
        )
    balance = pd.to_numeric(loans["balance"], errors="coerce").fillna(0.0)
    outstanding = (loans["status"].fillna("") != SETTLED) & (balance > 0)
    npl = outstanding & loans["classification"].isin(NON_PERFORMING)
    overdue = pd.to_numeric(loans["max_days_overdue"], errors="coerce").fillna(0) > 0
    loans = loans.assign(
        loan_balance=balance.where(outstanding, 0.0),
        npl_balance=balance.where(npl, 0.0),
        borrower=outstanding,
        in_arrears=outstanding & (overdue | npl),
    )
    return loans.groupby("household_no", as_index=False).agg(
        loan_balance=("loan_balance", "sum"),
        npl_balance=("npl_balance", "sum"),
        borrower=("borrower", "any"),
        in_arrears=("in_arrears", "any"),
    )


def village_households(
    ws: Workspace,
    *,
    village_code: str | None = None,
    principal: Principal,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per 户籍 household with the facts every credit-village figure counts:
    filed, credit_household, borrower, in_arrears, loan_balance, npl_balance — of the villages
    ``principal`` covers, names as they may see them. The rows feed the aggregates every role
    may see; the households themselves are shown only through ``households_behind``."""
    require(principal, Permission.view_credit_village, village_code=village_code)
    full = can(principal, Permission.see_names)
    hh = household_frame(ws) if frame is None else frame
    if village_code:
        hh = hh[hh["village_code"] == village_code]
    if principal.villages is not None:  # a village committee: its own village only
        hh = hh[hh["village_code"].isin(principal.villages)]
    out = hh[
        [
            "household_no",
            "village_code",
            "village_name",
            "town_code",
            "town_name",
            "head_name",
            "filed",
            "grade",
            "credit_household",
        ]
    ].merge(_loans_by_household(ws), on="household_no", how="left")
    out["head_name"] = out["head_name"].map(lambda n: show_name(n, full))
    for col in ("borrower", "in_arrears"):
        out[col] = out[col].astype("boolean").fillna(False).astype(bool)
    for col in ("loan_balance", "npl_balance"):
        out[col] = out[col].fillna(0.0)
    return out.reset_index(drop=True)


def _behind(households: pd.DataFrame, *, village_code: str, figure: str) -> pd.DataFrame:
    if figure not in BEHIND:
        raise ValueError(f"unknown figure {figure!r}; one of {', '.join(BEHIND)}")
    rows = households[households["village_code"] == village_code]
    if figure == "npl":
        return rows[rows["npl_balance"] > 0]
    return rows if figure == "all" else rows[rows[figure].astype(bool)]


def count_behind(households: pd.DataFrame, *, village_code: str, figure: str) -> int:
    """How many households of ``village_code`` ``figure`` (a key of ``BEHIND``) counts (an
    aggregate: every role that sees the assessment may see it)."""
    return len(_behind(households, village_code=village_code, figure=figure))


def households_behind(
    households: pd.DataFrame, *, village_code: str, figure: str, principal: Principal
) -> pd.DataFrame:
    """The rows of ``households`` (a ``village_households`` result) in ``village_code`` that
    ``figure`` (a key of ``BEHIND``) counts: a flag column, ``npl`` for a non-performing balance,
    ``all`` for every 户籍 household. Only for those who may see households."""
    require(principal, Permission.view_households, village_code=village_code)
    return _behind(households, village_code=village_code, figure=figure)


def assess_villages(
    ws: Workspace, *, households: pd.DataFrame | None = None, principal: Principal | None = None
) -> pd.DataFrame:
    """Per village: counts, each criterion's value and pass flag (``<key>_pass``) and
    ``credit_village`` (all pass); villages failing first, then by code. Without
    ``households``, those ``principal`` (default: the whole county) covers."""
    if households is None:
        households = village_households(ws, principal=principal or system_principal())
    hh = households
    rules = ws.policy.credit_village
    grouped = hh.groupby(
        ["village_code", "village_name", "town_code", "town_name"], dropna=False, as_index=False
    )
    out = grouped.agg(
        households=("household_no", "size"),
        filed=("filed", "sum"),
        credit_households=("credit_household", "sum"),
        borrowers=("borrower", "sum"),
        borrowers_in_arrears=("in_arrears", "sum"),
        loan_balance=("loan_balance", "sum"),
        npl_balance=("npl_balance", "sum"),
    )
    out["credit_household_share"] = out["credit_households"] / out["households"]
    without = out["borrowers"] - out["borrowers_in_arrears"]
    out["borrowers_without_arrears"] = (without / out["borrowers"]).where(out["borrowers"] > 0)
    out["non_performing_ratio"] = (out["npl_balance"] / out["loan_balance"]).where(
        out["loan_balance"] > 0, 0.0
    )
    out["filing_rate"] = out["filed"] / out["households"]
    passes = []
    for c in CRITERIA:
        threshold = getattr(rules, c.policy_field)
        value = out[c.key]
        ok = value >= threshold if c.minimum else value < threshold
        out[f"{c.key}_pass"] = ok | value.isna()  # no borrowers: nobody is in arrears
        passes.append(f"{c.key}_pass")
    out["credit_village"] = out[passes].all(axis=1)
    return out.sort_values(["credit_village", "village_code"]).reset_index(drop=True)


def criteria_long(ws: Workspace, *, villages: pd.DataFrame) -> pd.DataFrame:
    """The village table one criterion per row: village, criterion, label, value, threshold,
    comparison (≥ or <) and passed."""
    rules = ws.policy.credit_village
    rows = []
    for v in villages.itertuples():
        for c in CRITERIA:
            rows.append(
                {
                    "village_code": v.village_code,
                    "village_name": v.village_name,
                    "town_name": v.town_name,
                    "criterion": c.key,
                    "label": c.label,
                    "value": getattr(v, c.key),
                    "threshold": getattr(rules, c.policy_field),
                    "comparison": "≥" if c.minimum else "<",
                    "passed": bool(getattr(v, f"{c.key}_pass")),
                }
            )
    return pd.DataFrame(rows)


def assess_towns(ws: Workspace, *, villages: pd.DataFrame) -> pd.DataFrame:
    """信用乡(镇) roll-up: villages, credit villages, share, threshold, credit_town."""
    threshold = ws.policy.credit_town.min_credit_village_share
    key = villages["town_code"].fillna(villages["town_name"])
    out = (
        villages.assign(town_key=key)
        .groupby(["town_key", "town_name"], as_index=False, dropna=False)
        .agg(villages=("village_code", "size"), credit_villages=("credit_village", "sum"))
        .rename(columns={"town_key": "town_code"})
    )
    out["credit_village_share"] = out["credit_villages"] / out["villages"]
    out["threshold"] = threshold
    out["credit_town"] = out["credit_village_share"] >= threshold
    return out.sort_values(["credit_town", "town_code"]).reset_index(drop=True)


def export_xlsx(ws: Workspace, *, villages: pd.DataFrame, towns: pd.DataFrame) -> bytes:
    """The assessment as an Excel workbook: one sheet of villages (criteria as columns with
    达标/未达标), one of towns; title row and units."""
    rules = ws.policy.credit_village
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        book = writer.book
        title = book.add_format({"bold": True, "font_size": 14})
        head = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
        )
        pct = book.add_format({"num_format": "0.0%", "border": 1})
        plain = book.add_format({"border": 1})
        sheet = book.add_worksheet("信用村评定")
        sheet.write(0, 0, "信用村评定结果", title)
        headers = ["乡镇", "村代码", "村名", "户数(户)"]
        for c in CRITERIA:
            op = "≥" if c.minimum else "<"
            headers += [f"{c.label}(%)", f"{c.label}标准({op}{getattr(rules, c.policy_field):.0%})"]
        headers.append("评定结果")
        for j, h in enumerate(headers):
            sheet.write(2, j, h, head)
        for i, v in enumerate(villages.itertuples(), start=3):
            sheet.write(i, 0, v.town_name or "", plain)
            sheet.write(i, 1, v.village_code or "", plain)
            sheet.write(i, 2, v.village_name or "", plain)
            sheet.write_number(i, 3, int(v.households), plain)
            for k, c in enumerate(CRITERIA):
                value = getattr(v, c.key)
                if pd.isna(value):
                    sheet.write(i, 4 + 2 * k, "无借款户", plain)
                else:
                    sheet.write_number(i, 4 + 2 * k, float(value), pct)
                sheet.write(
                    i, 5 + 2 * k, "达标" if getattr(v, f"{c.key}_pass") else "未达标", plain
                )
            sheet.write(i, 4 + 2 * len(CRITERIA), "信用村" if v.credit_village else "未达标", plain)
        sheet.set_column(0, 2, 14)
        sheet.set_column(3, len(headers), 12)
        sheet2 = book.add_worksheet("信用乡镇评定")
        sheet2.write(0, 0, "信用乡(镇)评定结果", title)
        for j, h in enumerate(
            ["乡镇", "行政村数(个)", "信用村数(个)", "信用村占比(%)", "标准", "评定结果"]
        ):
            sheet2.write(2, j, h, head)
        for i, t in enumerate(towns.itertuples(), start=3):
            sheet2.write(i, 0, t.town_name or "", plain)
            sheet2.write_number(i, 1, int(t.villages), plain)
            sheet2.write_number(i, 2, int(t.credit_villages), plain)
            sheet2.write_number(i, 3, float(t.credit_village_share), pct)
            sheet2.write(i, 4, f"≥{t.threshold:.0%}", plain)
            sheet2.write(i, 5, "信用乡(镇)" if t.credit_town else "未达标", plain)
        sheet2.set_column(0, 5, 14)
    return buffer.getvalue()
