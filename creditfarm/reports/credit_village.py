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

**By year.** ``assess_year`` stores a year's results (table ``creditarearesult``: per year,
village and town, rated or not, with the figures); assessing the same year again replaces it.
``history`` reads consecutive stored years per area: 评定 (rated this year, not in the year
assessed before it or never assessed before), 保持 (rated in both), 摘牌 (rated before, not
now), 未达标 (in neither). ``assessment_sheet_xlsx`` prints a village's 评定表 of a year and
``publicity_xlsx`` its 公示 list (the credit households, for the bank's roles).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select, text

from creditfarm.access import AccessDenied, Permission, Principal, can, require, system_principal
from creditfarm.display.exports import excel_writer, neutralise
from creditfarm.display.formatting import fmt_date, fmt_pct
from creditfarm.identity import show_name
from creditfarm.ingest.contract import NON_PERFORMING
from creditfarm.officer.households import household_frame
from creditfarm.reports.rates import report_heading
from creditfarm.storage.models import CreditAreaResult
from creditfarm.workspace import Workspace

__all__ = [
    "BEHIND",
    "CRITERIA",
    "STATUS",
    "Criterion",
    "assess_towns",
    "assess_villages",
    "assess_year",
    "assessed_years",
    "assessment_sheet_xlsx",
    "can_assess",
    "count_behind",
    "criteria_long",
    "export_xlsx",
    "history",
    "households_behind",
    "publicity_xlsx",
    "village_households",
    "year_results",
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


def export_xlsx(
    ws: Workspace, *, villages: pd.DataFrame, towns: pd.DataFrame, year: int | None = None
) -> bytes:
    """The assessment as an Excel workbook: one sheet of villages (the result first, then the
    criteria as columns with 达标/未达标), one of towns; a title naming the county (and the
    assessment ``year``), the date the data stands at, units."""
    heading = report_heading(ws)
    label = f"{heading.county_name}{f'{year}年度' if year else ''}"
    dated = f"数据截至{fmt_date(heading.as_of)}"
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
        sheet.write(0, 0, f"{label}信用村评定结果", title)
        sheet.write(1, 0, dated)
        headers = ["评定结果", "乡镇", "村代码", "村名", "户数(户)"]
        for c in CRITERIA:
            op = "≥" if c.minimum else "<"
            headers += [f"{c.label}(%)", f"{c.label}标准({op}{getattr(rules, c.policy_field):.0%})"]
        headers.append("评定结果")
        for j, h in enumerate(headers):
            sheet.write(2, j, h, head)
        for i, v in enumerate(villages.itertuples(), start=3):
            sheet.write(i, 0, "信用村" if v.credit_village else "未达标", plain)
            sheet.write(i, 1, v.town_name or "", plain)
            sheet.write(i, 2, v.village_code or "", plain)
            sheet.write(i, 3, v.village_name or "", plain)
            sheet.write_number(i, 4, int(v.households), plain)
            for k, c in enumerate(CRITERIA):
                value = getattr(v, c.key)
                if pd.isna(value):
                    sheet.write(i, 5 + 2 * k, "无借款户", plain)
                else:
                    sheet.write_number(i, 5 + 2 * k, float(value), pct)
                sheet.write(
                    i, 6 + 2 * k, "达标" if getattr(v, f"{c.key}_pass") else "未达标", plain
                )
        sheet.set_column(0, 3, 14)
        sheet.set_column(3, len(headers), 12)
        sheet2 = book.add_worksheet("信用乡镇评定")
        sheet2.write(0, 0, f"{label}信用乡(镇)评定结果", title)
        sheet2.write(1, 0, dated)
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


# The history of an area between two consecutive assessed years (key → label).
STATUS: dict[str, str] = {
    "rated": "评定",  # rated this year; not in the year assessed before (or never assessed)
    "kept": "保持",  # rated in both years
    "delisted": "摘牌",  # rated before, not this year
    "not_rated": "未达标",  # rated in neither
}
_FIGURES = (
    "households",
    "filed",
    "credit_households",
    "borrowers",
    "borrowers_in_arrears",
    "loan_balance",
    "npl_balance",
    *(c.key for c in CRITERIA),
    *(f"{c.key}_pass" for c in CRITERIA),
)


_HEAD_FORMAT = {"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7"}
_OPINIONS = ("村两委意见（盖章）", "银行评定小组意见（盖章）", "人民银行县支行意见（盖章）")


def can_assess(principal: Principal) -> bool:
    """Whether ``principal`` may record a year's assessment: the bank's credit supervisor (who
    approves) or the administrator (who runs the county's jobs), county-wide."""
    county_wide = principal.villages is None
    return county_wide and (
        can(principal, Permission.approve) or can(principal, Permission.run_models)
    )


def _plain(value: Any) -> Any:
    """A figure as JSON keeps it: numpy numbers as Python's, NaN as None."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def assess_year(
    ws: Workspace, *, year: int, principal: Principal, households: pd.DataFrame | None = None
) -> int:
    """Assess every village and town of the county on the current data and store the results
    as ``year``'s (replacing that year's earlier results; other years are kept). Returns the
    villages stored. ``households``: a county-wide ``village_households`` frame already held."""
    if not can_assess(principal):
        raise AccessDenied(f"{principal.username}：无权评定信用村（需信贷主管或系统管理员）")
    facts = (
        village_households(ws, principal=system_principal()) if households is None else households
    )
    villages = assess_villages(ws, households=facts)
    towns = assess_towns(ws, villages=villages)
    as_of = report_heading(ws).as_of
    now = datetime.now(UTC)
    common = {
        "year": year,
        "policy_version": ws.policy.version,
        "as_of": as_of,
        "assessed_by": principal.username,
        "assessed_at": now,
    }
    rows = [
        {
            **common,
            "level": "village",
            "code": str(v["village_code"]),
            "name": str(v["village_name"] or ""),
            "town_name": str(v["town_name"] or ""),
            "credit": bool(v["credit_village"]),
            "figures": {k: _plain(v[k]) for k in _FIGURES},
        }
        for v in villages.to_dict("records")
    ]
    rows += [
        {
            **common,
            "level": "town",
            "code": str(t["town_code"]),
            "name": str(t["town_name"] or ""),
            "town_name": str(t["town_name"] or ""),
            "credit": bool(t["credit_town"]),
            "figures": {
                k: _plain(t[k])
                for k in ("villages", "credit_villages", "credit_village_share", "threshold")
            },
        }
        for t in towns.to_dict("records")
    ]
    table = CreditAreaResult.__table__  # type: ignore[attr-defined]
    with ws.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.year == year))
        if rows:
            conn.execute(insert(table), rows)
    return len(villages)


def assessed_years(ws: Workspace) -> list[int]:
    """The years with stored results, oldest first."""
    table = CreditAreaResult.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        return sorted(int(y) for y in conn.execute(select(table.c.year).distinct()).scalars())


RESULT_COLUMNS = [
    "year",
    "level",
    "code",
    "name",
    "town_name",
    "credit",
    "figures",
    "as_of",
    "assessed_by",
]


def year_results(ws: Workspace, *, principal: Principal, level: str = "village") -> pd.DataFrame:
    """Every stored result of ``level`` (village or town) that ``principal`` may see (a village
    committee: its own village), ``RESULT_COLUMNS``, by code then year."""
    require(principal, Permission.view_credit_village)
    table = CreditAreaResult.__table__  # type: ignore[attr-defined]
    query = select(*(table.c[c] for c in RESULT_COLUMNS)).where(table.c.level == level)
    if principal.villages is not None:
        if level != "village":
            return pd.DataFrame(columns=RESULT_COLUMNS)
        query = query.where(table.c.code.in_(sorted(principal.villages)))
    with ws.engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=RESULT_COLUMNS)
    frame["credit"] = frame["credit"].astype(bool)
    frame["year"] = frame["year"].astype(int)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame.sort_values(["code", "year"]).reset_index(drop=True)


def history(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` (a ``year_results`` frame) with ``previous_year`` (the area's year assessed
    before, or NaN), ``previous_credit`` and ``status`` (a key of ``STATUS``) and
    ``status_label``: each year against the year assessed before it."""
    out = results.sort_values(["code", "year"]).reset_index(drop=True)
    grouped = out.groupby("code", sort=False)
    out["previous_year"] = grouped["year"].shift(1)
    previous = grouped["credit"].shift(1)
    before = previous.astype("boolean").fillna(False).astype(bool)
    now = out["credit"].astype(bool)
    out["previous_credit"] = previous
    out["status"] = [
        ("kept" if b else "rated") if n else ("delisted" if b else "not_rated")
        for n, b in zip(now, before, strict=True)
    ]
    out["status_label"] = out["status"].map(STATUS)
    return out


def _results_of(ws: Workspace, *, village_code: str, principal: Principal) -> pd.DataFrame:
    require(principal, Permission.view_credit_village, village_code=village_code)
    found = history(year_results(ws, principal=principal))
    return found[found["code"] == village_code]


def assessment_sheet_xlsx(
    ws: Workspace, *, village_code: str, year: int, principal: Principal
) -> bytes:
    """A village's 评定表 of ``year`` (stored by ``assess_year``): the village, the criteria with
    value, standard and result, the result and its history, and lines for the opinions and
    seals of the village committee, the bank and the PBoC sub-branch; A4 portrait."""
    rows = _results_of(ws, village_code=village_code, principal=principal)
    this = rows[rows["year"] == year]
    if this.empty:
        raise ValueError(f"村 {village_code} 没有 {year}年的评定结果：请先评定该年度")
    rec = this.iloc[0]
    figures = rec["figures"]
    rules = ws.policy.credit_village
    county = report_heading(ws).county_name
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        book = writer.book
        sheet = book.add_worksheet("信用村评定表")
        title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
        head = book.add_format(
            {"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7"}
        )
        box = book.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"})
        good = book.add_format({"border": 1, "bold": True, "bg_color": "#C6EFCE"})
        bad = book.add_format({"border": 1, "bold": True, "bg_color": "#FFC7CE"})
        sheet.merge_range(0, 0, 0, 3, f"{county}{year}年度信用村评定表", title)
        facts = [
            ("乡镇", rec["town_name"]),
            ("行政村", f"{rec['name']}（{village_code}）"),
            ("户籍户数", f"{int(figures.get('households') or 0):,}户"),
            ("数据截至", fmt_date(rec["as_of"]) if rec["as_of"] else "—"),
        ]
        for i, (label, value) in enumerate(facts, start=2):
            sheet.write(i, 0, label, head)
            sheet.merge_range(i, 1, i, 3, str(neutralise(value)), box)
        row = len(facts) + 3
        for j, h in enumerate(["评定指标", "本村数值", "标准", "结果"]):
            sheet.write(row, j, h, head)
        for c in CRITERIA:
            row += 1
            value = figures.get(c.key)
            threshold = getattr(rules, c.policy_field)
            passed = bool(figures.get(f"{c.key}_pass"))
            sheet.write(row, 0, c.label, box)
            sheet.write(row, 1, "无借款户" if value is None else fmt_pct(value), box)
            sheet.write(row, 2, f"{'≥' if c.minimum else '<'}{fmt_pct(threshold, 0)}", box)
            sheet.write(row, 3, "达标" if passed else "未达标", good if passed else bad)
        row += 2
        result = "信用村" if rec["credit"] else "未达标"
        sheet.write(row, 0, "评定结果", head)
        sheet.merge_range(
            row, 1, row, 3, f"{result}（{rec['status_label']}）", good if rec["credit"] else bad
        )
        row += 1
        earlier = rows[rows["year"] <= year]
        sheet.write(row, 0, "历年评定", head)
        sheet.merge_range(
            row,
            1,
            row,
            3,
            "；".join(
                f"{int(r.year)}年 {'信用村' if r.credit else '未达标'}（{r.status_label}）"
                for r in earlier.itertuples()
            ),
            box,
        )
        for label in (
            "村两委意见（盖章）",
            "银行评定小组意见（盖章）",
            "人民银行县支行意见（盖章）",
        ):
            row += 2
            sheet.write(row, 0, label, head)
            sheet.merge_range(row, 1, row + 1, 3, "　　　　　　　　　　　　年　　月　　日", box)
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 3, 18)
        sheet.set_portrait()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 1)
        sheet.print_area(0, 0, row + 1, 3)
    return buffer.getvalue()


def publicity_xlsx(
    ws: Workspace,
    *,
    village_code: str,
    year: int,
    principal: Principal,
    households: pd.DataFrame | None = None,
    today: date | None = None,
) -> bytes:
    """A village's 公示 list for ``year``: its credit households (序号, 户主 as ``principal`` may
    see names, 户号, grade), with the village's result and a line for objections; for the
    roles that may see households."""
    require(principal, Permission.view_households, village_code=village_code)
    facts = (
        village_households(ws, village_code=village_code, principal=principal)
        if households is None
        else households
    )
    credit = households_behind(
        facts, village_code=village_code, figure="credit_household", principal=principal
    ).sort_values("household_no")
    results = _results_of(ws, village_code=village_code, principal=principal)
    this = results[results["year"] == year]
    verdict = (
        ("信用村" if this.iloc[0]["credit"] else "未达标") + f"（{this.iloc[0]['status_label']}）"
        if not this.empty
        else "尚未评定"
    )
    heading = report_heading(ws)
    village = facts[facts["village_code"] == village_code]
    village_name = str(village["village_name"].iloc[0]) if not village.empty else village_code
    town_name = str(village["town_name"].iloc[0]) if not village.empty else ""
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        book = writer.book
        sheet = book.add_worksheet("公示名单")
        title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
        head = book.add_format(
            {"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7"}
        )
        box = book.add_format({"border": 1})
        sheet.merge_range(
            0,
            0,
            0,
            4,
            f"{heading.county_name}{town_name}{village_name}{year}年度信用户公示名单",
            title,
        )
        sheet.merge_range(
            1,
            0,
            1,
            4,
            f"本村评定结果：{verdict}；信用户 {len(credit)} 户；"
            f"数据截至{fmt_date(heading.as_of)}；公示日期：{fmt_date(today or date.today())}",
        )
        for j, h in enumerate(["序号", "户主", "户号", "信用等级", "备注"]):
            sheet.write(2, j, h, head)
        for i, rec in enumerate(credit.to_dict("records"), start=1):
            sheet.write_number(2 + i, 0, i, box)
            sheet.write_string(2 + i, 1, str(neutralise(rec["head_name"] or "")), box)
            sheet.write_string(2 + i, 2, str(neutralise(rec["household_no"])), box)
            sheet.write_string(2 + i, 3, str(rec["grade"] or ""), box)
            sheet.write_blank(2 + i, 4, None, box)
        end = 3 + len(credit) + 1
        sheet.merge_range(
            end,
            0,
            end,
            4,
            "公示期内如有异议，请向村两委或授信银行反映。村两委（盖章）：　　　　日期：",
        )
        sheet.set_column(0, 0, 6)
        sheet.set_column(1, 4, 16)
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(2)
        sheet.print_area(0, 0, end, 4)
    return buffer.getvalue()
