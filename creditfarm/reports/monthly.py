"""The monthly report of the PBoC sub-branch (农户建档与预授信情况月报), in the layout it files.

One row per village under its town's subtotal, the county total first; for filing and for
pre-credit: households counted, this month's rate, last month's rate, the change (比上月), the
target of the data's year and the gap to it. Figures are as of each month's end of the data
(``creditfarm.reports.rates.monthly_rates``), never the clock of the run.

Rates are stored as **percentages** (61.4 under a "(%)" header, not the fraction 0.614), rounded
to one decimal as printed, so a value pasted into the sub-branch's own template is the value
shown; changes and gaps are computed from the printed rates (本月 − 上月 = 比上月 on paper), in
percentage points (百分点). A pre-credit rate of a month before the first assessment is not
known and printed as —.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from creditfarm.access import AccessDenied, Permission, Principal, require
from creditfarm.display.exports import excel_writer, neutralise
from creditfarm.display.formatting import fmt_date
from creditfarm.reports.rates import (
    TargetChoice,
    data_months,
    first_assessed,
    month_end,
    monthly_rates,
    report_heading,
    target_for,
    village_towns,
)
from creditfarm.reports.trend import month_label, rate_trend
from creditfarm.workspace import Workspace

__all__ = [
    "MONTHLY_COLUMNS",
    "MonthlyTable",
    "ReportFooter",
    "monthly_report_xlsx",
    "monthly_table",
    "previous_month_end",
    "report_months",
]

MONTHLY_COLUMNS = [
    "row_kind",  # total | town | village
    "seq",  # 序号 of a village row (1, 2, …); None on total and subtotal rows
    "code",
    "town_name",
    "name",
    "households",
    "filed",
    "filing_rate",
    "filing_rate_last",
    "filing_change",
    "filing_target",
    "filing_gap",
    "pre_credited",
    "pre_credit_rate",
    "pre_credit_rate_last",
    "pre_credit_change",
    "pre_credit_target",
    "pre_credit_gap",
]


@dataclass(frozen=True)
class ReportFooter:
    """Who files the report (填报单位 / 填报人 / 审核人) and when; blanks are filled by hand."""

    filing_unit: str = ""
    preparer: str = ""
    reviewer: str = ""
    report_date: date | None = None


@dataclass(frozen=True)
class MonthlyTable:
    month_end: date
    last_month_end: date
    county_name: str
    target: TargetChoice
    frame: pd.DataFrame  # MONTHLY_COLUMNS, in report order


def report_months(ws: Workspace) -> list[date]:
    """The months a report can be made for, newest first (the data's months)."""
    return list(reversed(data_months(ws)))


def previous_month_end(day: date) -> date:
    return month_end(day.replace(day=1) - pd.Timedelta(days=1))


def _pct(count: int, households: int) -> float:
    """A rate as a percentage rounded to one decimal, as printed (0 households: 0.0)."""
    return round(100 * count / households, 1) if households else 0.0


def _diff(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return float("nan")
    return round(a - b, 1)


def monthly_table(ws: Workspace, *, month: date) -> MonthlyTable:
    """The report's figures for the month of ``month`` (any day of it), rows in report order:
    county total, then per town its subtotal and its villages (序号 1…N over the county)."""
    this_end = month_end(month)
    last_end = previous_month_end(this_end)
    monthly = monthly_rates(ws, months=[last_end, this_end])
    first = first_assessed(ws)
    choice = target_for(ws.policy, this_end.year)
    filing_target = choice.target.filing_rate * 100 if choice.target else float("nan")
    pre_target = choice.target.pre_credit_rate * 100 if choice.target else float("nan")

    def rows_of(level: str, end: date) -> pd.DataFrame:
        rows = monthly[(monthly["level"] == level) & (monthly["as_of"] == end)]
        return rows.set_index("code")

    def line(kind: str, code: str, level: str, seq: int | None) -> dict[str, object]:
        now, before = rows_of(level, this_end).loc[code], rows_of(level, last_end).loc[code]
        hh, hh_last = int(now["households"]), int(before["households"])
        filing, filing_last = _pct(int(now["filed"]), hh), _pct(int(before["filed"]), hh_last)
        assessed_now = first is not None and first <= this_end
        assessed_last = first is not None and first <= last_end
        pre = _pct(int(now["pre_credited"]), hh) if assessed_now else float("nan")
        pre_last = _pct(int(before["pre_credited"]), hh_last) if assessed_last else float("nan")
        return {
            "row_kind": kind,
            "seq": seq,
            "code": code,
            "town_name": str(now["town_name"] or "") if kind == "village" else "",
            "name": str(now["name"] or ""),
            "households": hh,
            "filed": int(now["filed"]),
            "filing_rate": filing,
            "filing_rate_last": filing_last,
            "filing_change": _diff(filing, filing_last),
            "filing_target": filing_target,
            "filing_gap": _diff(filing, filing_target),
            "pre_credited": int(now["pre_credited"]),
            "pre_credit_rate": pre,
            "pre_credit_rate_last": pre_last,
            "pre_credit_change": _diff(pre, pre_last),
            "pre_credit_target": pre_target,
            "pre_credit_gap": _diff(pre, pre_target),
        }

    out: list[dict[str, object]] = []
    counties = rows_of("county", this_end)
    for code in sorted(counties.index):
        out.append(line("total", code, "county", None))
    villages = rows_of("village", this_end)
    town_of = village_towns(ws)
    seq = 0
    for town_code in sorted(rows_of("town", this_end).index):
        out.append(line("town", town_code, "town", None))
        for code in sorted(c for c in villages.index if town_of.get(c) == town_code):
            seq += 1
            out.append(line("village", code, "village", seq))
    frame = pd.DataFrame(out, columns=MONTHLY_COLUMNS)
    return MonthlyTable(
        month_end=this_end,
        last_month_end=last_end,
        county_name=report_heading(ws).county_name,
        target=choice,
        frame=frame,
    )


_HEAD = [
    "序号",
    "乡镇",
    "村",
    "户籍户数(户)",
    "已建档户数(户)",
    "本月建档率(%)",
    "上月建档率(%)",
    "比上月(百分点)",
    "目标(%)",
    "与目标差距(百分点)",
    "已预授信户数(户)",
    "本月预授信率(%)",
    "上月预授信率(%)",
    "比上月(百分点)",
    "目标(%)",
    "与目标差距(百分点)",
]
_FIELDS = [c for c in MONTHLY_COLUMNS if c not in ("row_kind", "code")]  # printed, in order
_COUNT_FIELDS = {"seq", "households", "filed", "pre_credited"}
_SIGNED_FIELDS = {"filing_change", "filing_gap", "pre_credit_change", "pre_credit_gap"}


def monthly_report_xlsx(
    ws: Workspace,
    *,
    month: date,
    principal: Principal,
    footer: ReportFooter | None = None,
    trend: pd.DataFrame | None = None,
) -> bytes:
    """The monthly report workbook for the month of ``month``: sheet 月报 in report layout
    (title, period, 单位, 序号, county total and town subtotals, this month / last month /
    change, target and gap, footer; landscape A4, one page wide, print area, header rows
    repeated) and sheet 月度趋势 (the county by month up to this month; ``trend``: the
    county's ``rate_trend`` when the caller holds it). County-wide roles only (the report is
    the county's)."""
    require(principal, Permission.view_rates)
    if principal.villages is not None:
        raise AccessDenied(f"{principal.username}：月报为全县汇总，仅限全县范围的角色导出")
    table = monthly_table(ws, month=month)
    footer = footer or ReportFooter()
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        book = writer.book
        title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
        centre = book.add_format({"align": "center"})
        left = book.add_format({"align": "left"})
        right = book.add_format({"align": "right"})
        head = book.add_format(
            {
                "bold": True,
                "border": 1,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
                "bg_color": "#DDEBF7",
            }
        )

        def cell(kind: str, fmt: str) -> object:
            spec: dict[str, object] = {"border": 1, "num_format": fmt}
            if kind != "village":
                spec["bold"] = True
                spec["bg_color"] = "#F2F2F2" if kind == "town" else "#FFF2CC"
            return book.add_format(spec)

        formats = {
            (kind, name): cell(kind, fmt)
            for kind in ("total", "town", "village")
            for name, fmt in (
                ("text", "@"),
                ("count", "#,##0"),
                ("rate", "0.0"),
                ("signed", "+0.0;-0.0;0.0"),
            )
        }
        sheet = book.add_worksheet("月报")
        last_col = len(_HEAD) - 1
        county = table.county_name
        sheet.merge_range(0, 0, 0, last_col, f"{county}农户建档与预授信情况月报", title)
        sheet.merge_range(
            1,
            0,
            1,
            last_col,
            f"（{month_label(table.month_end)}，数据截至{fmt_date(table.month_end)}；"
            f"上月为{fmt_date(table.last_month_end)}）",
            centre,
        )
        sheet.write(2, 0, "单位：户、%、百分点", left)
        sheet.merge_range(2, 8, 2, last_col, f"考核目标：{table.target.note}", right)
        # Two header rows: the group (建档 / 预授信) above its columns.
        for j in range(4):
            sheet.merge_range(3, j, 4, j, _HEAD[j], head)
        sheet.merge_range(3, 4, 3, 9, "农户建档", head)
        sheet.merge_range(3, 10, 3, 15, "预授信", head)
        for j in range(4, len(_HEAD)):
            sheet.write(4, j, _HEAD[j], head)
        row = 5
        for rec in table.frame.to_dict("records"):
            kind = str(rec["row_kind"])
            for j, field in enumerate(_FIELDS):
                value = rec[field]
                if field == "name" and kind == "total":
                    value = "全县合计"
                elif field == "name" and kind == "town":
                    value = f"{rec['name']}小计"
                if field in _COUNT_FIELDS:
                    if value is None or pd.isna(value):
                        sheet.write_blank(row, j, None, formats[(kind, "text")])
                    else:
                        sheet.write_number(row, j, int(value), formats[(kind, "count")])
                elif field in ("town_name", "name"):
                    sheet.write_string(row, j, str(neutralise(value)), formats[(kind, "text")])
                elif pd.isna(value):
                    sheet.write_string(row, j, "—", formats[(kind, "text")])
                else:
                    style = "signed" if field in _SIGNED_FIELDS else "rate"
                    sheet.write_number(row, j, float(value), formats[(kind, style)])
            row += 1
        row += 1
        signed_date = fmt_date(footer.report_date) if footer.report_date else ""
        for col, label, value in (
            (0, "填报单位", footer.filing_unit),
            (4, "填报人", footer.preparer),
            (8, "审核人", footer.reviewer),
            (12, "填报日期", signed_date),
        ):
            sheet.merge_range(row, col, row, col + 3, f"{label}：{neutralise(value)}", left)
        sheet.set_column(0, 0, 6)
        sheet.set_column(1, 2, 12)
        sheet.set_column(3, 4, 10)
        sheet.set_column(5, 9, 9)
        sheet.set_column(10, 10, 10)
        sheet.set_column(11, 15, 9)
        sheet.set_row(4, 42)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        sheet.center_horizontally()
        sheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
        sheet.repeat_rows(3, 4)
        sheet.print_area(0, 0, row, last_col)
        sheet.freeze_panes(5, 3)
        _trend_sheet(book, rate_trend(ws) if trend is None else trend, table)
    return buffer.getvalue()


def _trend_sheet(book: object, trend: pd.DataFrame, table: MonthlyTable) -> None:
    """Sheet 月度趋势: the county month by month up to the report's month."""
    trend = trend[trend["month_end"] <= table.month_end]
    sheet = book.add_worksheet("月度趋势")  # type: ignore[attr-defined]
    title = book.add_format({"bold": True, "font_size": 14})  # type: ignore[attr-defined]
    head = book.add_format(  # type: ignore[attr-defined]
        {"bold": True, "border": 1, "text_wrap": True, "bg_color": "#DDEBF7"}
    )
    plain = book.add_format({"border": 1})  # type: ignore[attr-defined]
    count = book.add_format({"border": 1, "num_format": "#,##0"})  # type: ignore[attr-defined]
    rate = book.add_format({"border": 1, "num_format": "0.0"})  # type: ignore[attr-defined]
    signed = book.add_format({"border": 1, "num_format": "+0.0;-0.0;0.0"})  # type: ignore[attr-defined]
    sheet.write(0, 0, f"{table.county_name}建档率与预授信率月度趋势", title)
    sheet.write(1, 0, "单位：户、%、百分点；比上月、同比为百分点")
    headers = [
        "月份",
        "户籍户数(户)",
        "已建档户数(户)",
        "建档率(%)",
        "比上月(百分点)",
        "同比(百分点)",
        "已预授信户数(户)",
        "预授信率(%)",
        "比上月(百分点)",
        "同比(百分点)",
    ]
    for j, h in enumerate(headers):
        sheet.write(2, j, h, head)
    for i, rec in enumerate(trend.to_dict("records"), start=3):
        sheet.write_string(i, 0, str(rec["month"]), plain)
        for j, field in enumerate(
            [
                "households",
                "filed",
                "filing_rate",
                "filing_mom",
                "filing_yoy",
                "pre_credited",
                "pre_credit_rate",
                "pre_credit_mom",
                "pre_credit_yoy",
            ],
            start=1,
        ):
            value = rec[field]
            if field in ("households", "filed", "pre_credited"):
                sheet.write_number(i, j, int(value), count)
            elif pd.isna(value):
                sheet.write_string(i, j, "—", plain)
            elif field.endswith("_rate"):
                sheet.write_number(i, j, round(float(value) * 100, 1), rate)
            else:
                sheet.write_number(i, j, round(float(value), 1), signed)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, len(headers) - 1, 11)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
