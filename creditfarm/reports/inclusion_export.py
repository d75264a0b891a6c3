"""The periodic filing of the 普惠金融指标体系 as an Excel workbook.

Sheets: 普惠金融指标体系 (the county's indicators: this period, last period, change, target where
the plans set one, met or not, formula and sources; the dimension scores, the index and the
balance between villages; the indicators the data cannot give, marked 数据暂缺), 分村指数 /
分乡镇指数 / 全县指数 (the index of the chosen level's areas), 指数趋势 (the county's index and
the balance month by month) and 指标说明 (the catalogue with its bounds and weights). Written
through ``display.exports.excel_writer``: no cell is ever a formula.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pandas as pd

from creditfarm.display.exports import excel_writer
from creditfarm.display.formatting import fmt_date
from creditfarm.policy.config import Policy
from creditfarm.policy.indicators import DIMENSIONS, Indicator
from creditfarm.reports.inclusion import InclusionIndex
from creditfarm.reports.rates import Level

__all__ = ["LEVEL_ZH", "filing_xlsx", "period_zh"]

LEVEL_ZH: dict[str, str] = {"village": "村", "town": "乡镇", "county": "全县"}
_DIRECTION_ZH = {"+": "越高越好", "-": "越低越好"}


def period_zh(month: date) -> str:
    return f"{month.year}年{month.month}月"


def _met(ind: Indicator, value: float, target: float | None) -> str:
    if target is None or pd.isna(value):
        return ""
    ok = value >= target if ind.direction == "+" else value < target
    return "达标" if ok else "未达标"


def filing_xlsx(
    result: InclusionIndex,
    *,
    policy: Policy,
    level: Level,
    unit_name: str,
    filed_on: date,
    month: date | None = None,
) -> bytes:
    """The filing workbook for ``month`` (default: the newest) against the month before it;
    ``unit_name`` is the 填报单位, ``filed_on`` the 填报日期."""
    month = month or result.month
    last = result.previous(month)
    county = result.index[(result.index["level"] == "county") & (result.index["month"] == month)]
    county_code = str(county["code"].iloc[0]) if not county.empty else ""
    county_name = str(county["name"].iloc[0]) if not county.empty else ""
    moves = result.moves("county", county_code, month) if county_code else pd.DataFrame()
    year_targets = {
        i.key: i.target_value(policy, year=month.year) for i in result.catalogue.indicators
    }

    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        book = writer.book
        f: dict[str, Any] = {
            "title": book.add_format({"bold": True, "font_size": 14}),
            "note": book.add_format({"font_color": "#555555"}),
            "head": book.add_format(
                {
                    "bold": True,
                    "bg_color": "#DDEBF7",
                    "border": 1,
                    "text_wrap": True,
                    "valign": "vcenter",
                    "align": "center",
                }
            ),
            "group": book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1}),
            "plain": book.add_format({"border": 1}),
            "wrap": book.add_format({"border": 1, "text_wrap": True}),
            "pct": book.add_format({"border": 1, "num_format": "0.0%"}),
            "dec": book.add_format({"border": 1, "num_format": "#,##0.00"}),
            "idx": book.add_format({"border": 1, "num_format": "0.000"}),
            "int": book.add_format({"border": 1, "num_format": "#,##0"}),
        }

        def number(sheet: Any, r: int, c: int, value: object, fmt: str) -> None:
            if value is None or pd.isna(value):  # type: ignore[arg-type]
                sheet.write(r, c, "—", f["plain"])
            else:
                sheet.write_number(r, c, float(value), f[fmt])  # type: ignore[arg-type]

        # --- sheet 1: the filing ---------------------------------------------------------
        sheet = book.add_worksheet("普惠金融指标体系")
        headers = [
            "序号",
            "维度",
            "指标代码",
            "指标名称",
            "单位",
            "本期",
            "上期",
            "变动",
            "目标值",
            "达标情况",
            "计算公式",
            "数据来源",
        ]
        sheet.merge_range(
            0, 0, 0, len(headers) - 1, f"{county_name}普惠金融指标体系报表", f["title"]
        )
        sheet.write(
            1,
            0,
            f"报告期：{period_zh(month)}　上期：{period_zh(last) if last else '—'}　"
            f"数据截至：{fmt_date(month)}",
            f["note"],
        )
        sheet.write(2, 0, f"填报单位：{unit_name}　填报日期：{fmt_date(filed_on)}", f["note"])
        sheet.write(
            3,
            0,
            "比率类指标以百分比列示，变动为百分点；指数取值0—1（Sarma距离法，方法见指标说明）",
            f["note"],
        )
        for j, h in enumerate(headers):
            sheet.write(4, j, h, f["head"])
        r = 5
        serial = 0
        by_key = moves.set_index("indicator") if not moves.empty else pd.DataFrame()
        for dim in DIMENSIONS:
            sheet.merge_range(
                r, 0, r, len(headers) - 1, result.catalogue.dimensions[dim], f["group"]
            )
            r += 1
            for ind in result.catalogue.in_dimension(dim):
                serial += 1
                now = by_key.loc[ind.key, "value"] if not by_key.empty else None
                before = by_key.loc[ind.key, "value_last"] if not by_key.empty else None
                fmt = "pct" if ind.is_share else "dec"
                sheet.write_number(r, 0, serial, f["plain"])
                sheet.write(r, 1, result.catalogue.dimensions[dim], f["plain"])
                sheet.write(r, 2, ind.code, f["plain"])
                sheet.write(r, 3, ind.name_zh, f["plain"])
                sheet.write(r, 4, "%" if ind.is_share else ind.unit, f["plain"])
                number(sheet, r, 5, now, fmt)
                number(sheet, r, 6, before, fmt)
                change = None if now is None or before is None else (float(now) - float(before))
                number(
                    sheet,
                    r,
                    7,
                    None if change is None else change * (100 if ind.is_share else 1),
                    "dec",
                )
                target = year_targets[ind.key]
                number(sheet, r, 8, target, fmt)
                sheet.write(
                    r, 9, _met(ind, float("nan") if now is None else float(now), target), f["plain"]
                )
                sheet.write(r, 10, ind.formula, f["wrap"])
                sheet.write(r, 11, "；".join(ind.sources), f["wrap"])
                r += 1
        # The index, its dimensions and the balance between villages.
        sheet.merge_range(r, 0, r, len(headers) - 1, "普惠金融指数", f["group"])
        r += 1
        last_county = (
            result.index[(result.index["level"] == "county") & (result.index["month"] == last)]
            if last
            else pd.DataFrame()
        )
        weights = "、".join(
            f"{result.catalogue.dimensions[d]}{result.weights[d]:g}" for d in DIMENSIONS
        )
        summary: list[tuple[str, str, object, object, str]] = []
        for dim in DIMENSIONS:
            summary.append(
                (
                    f"{result.catalogue.dimensions[dim]}维度得分",
                    "该维度各指标标准化值（固定上下限）的加权平均",
                    county[dim].iloc[0] if not county.empty else None,
                    last_county[dim].iloc[0] if not last_county.empty else None,
                    "idx",
                )
            )
        summary.append(
            (
                "普惠金融指数(IFI)",
                f"1 − √Σ(wᵢ − wᵢDᵢ)² / √Σwᵢ²，维度权重：{weights}",
                county["ifi"].iloc[0] if not county.empty else None,
                last_county["ifi"].iloc[0] if not last_county.empty else None,
                "idx",
            )
        )
        bal = result.balance.set_index("month")
        for key, label, formula in (
            ("cv", "村间指数变异系数", "各村指数的标准差 / 平均值（越小越均衡）"),
            ("theil", "村间指数泰尔指数", "(1/N)Σ(yᵢ/μ)ln(yᵢ/μ)（越小越均衡）"),
            ("theil_between_towns", "其中：乡镇间差异", "泰尔指数的乡镇间部分"),
        ):
            now_b = bal.loc[month, key] if month in bal.index else None
            last_b = bal.loc[last, key] if last in bal.index else None
            summary.append((label, formula, now_b, last_b, "idx"))
        for label, formula, now, before, fmt in summary:
            serial += 1
            sheet.write_number(r, 0, serial, f["plain"])
            sheet.write(r, 1, "综合", f["plain"])
            sheet.write(r, 2, "", f["plain"])
            sheet.write(r, 3, label, f["plain"])
            sheet.write(r, 4, "指数", f["plain"])
            number(sheet, r, 5, now, fmt)
            number(sheet, r, 6, before, fmt)
            both = (
                now is not None and before is not None and not pd.isna(now) and not pd.isna(before)
            )  # type: ignore[arg-type]
            number(sheet, r, 7, float(now) - float(before) if both else None, fmt)  # type: ignore[arg-type]
            sheet.write(r, 8, "", f["plain"])
            sheet.write(r, 9, "", f["plain"])
            sheet.write(r, 10, formula, f["wrap"])
            sheet.write(r, 11, "见上列各指标", f["wrap"])
            r += 1
        if result.catalogue.unavailable:
            sheet.merge_range(r, 0, r, len(headers) - 1, "数据暂缺的指标", f["group"])
            r += 1
            for u in result.catalogue.unavailable:
                sheet.write(r, 0, "", f["plain"])
                sheet.write(r, 1, result.catalogue.dimensions[u.dimension], f["plain"])
                sheet.write(r, 2, u.code, f["plain"])
                sheet.write(r, 3, u.name_zh, f["plain"])
                for c in range(4, 10):
                    sheet.write(r, c, "数据暂缺" if c == 5 else "", f["plain"])
                sheet.write(r, 10, u.why, f["wrap"])
                sheet.write(r, 11, "", f["plain"])
                r += 1
        sheet.set_column(0, 0, 5)
        sheet.set_column(1, 2, 9)
        sheet.set_column(3, 3, 30)
        sheet.set_column(4, 9, 10)
        sheet.set_column(10, 11, 48)
        sheet.freeze_panes(5, 4)

        # --- sheet 2: the areas ----------------------------------------------------------
        areas = result.table(level, month)
        name = f"分{LEVEL_ZH[level]}指数" if level != "county" else "全县指数"
        sheet2 = book.add_worksheet(name)
        sheet2.merge_range(
            0,
            0,
            0,
            11,
            f"{county_name}普惠金融指数（按{LEVEL_ZH[level]}，{period_zh(month)}）",
            f["title"],
        )
        sheet2.write(1, 0, "最弱维度：该区域得分最低的维度", f["note"])
        head2 = [
            "代码",
            "名称",
            "所属乡镇",
            "户籍户数(户)",
            "指数本期",
            "指数上期",
            "变动",
            *(f"{result.catalogue.dimensions[d]}得分" for d in DIMENSIONS),
            "最弱维度",
        ]
        inds = result.catalogue.indicators
        head2 += [f"{i.code} {i.name_zh}({'%' if i.is_share else i.unit})" for i in inds]
        for j, h in enumerate(head2):
            sheet2.write(2, j, h, f["head"])
        values = result.values[
            (result.values["level"] == level) & (result.values["month"] == month)
        ]
        values = values.set_index("code")
        for i, rec in enumerate(areas.to_dict("records"), start=3):
            sheet2.write(i, 0, str(rec["code"]), f["plain"])
            sheet2.write(i, 1, str(rec["name"] or ""), f["plain"])
            sheet2.write(i, 2, str(rec["town_name"] or ""), f["plain"])
            sheet2.write_number(i, 3, int(rec["households"]), f["int"])
            number(sheet2, i, 4, rec["ifi"], "idx")
            number(sheet2, i, 5, rec["ifi_last"], "idx")
            number(sheet2, i, 6, rec["change"], "idx")
            for k, d in enumerate(DIMENSIONS):
                number(sheet2, i, 7 + k, rec[d], "idx")
            weakest = rec["weakest"]
            sheet2.write(
                i,
                10,
                result.catalogue.dimension_zh(weakest),
                f["plain"],
            )
            for k, ind in enumerate(inds):
                number(
                    sheet2,
                    i,
                    11 + k,
                    values.loc[rec["code"], ind.key],
                    "pct" if ind.is_share else "dec",
                )
        sheet2.set_column(0, 0, 14)
        sheet2.set_column(1, 2, 12)
        sheet2.set_column(3, len(head2), 11)
        sheet2.freeze_panes(3, 2)

        # --- sheet 3: the trend ----------------------------------------------------------
        sheet3 = book.add_worksheet("指数趋势")
        sheet3.write(0, 0, f"{county_name}普惠金融指数月度趋势", f["title"])
        head3 = [
            "月份",
            "普惠金融指数",
            *(result.catalogue.dimensions[d] for d in DIMENSIONS),
            "村间变异系数",
            "村间泰尔指数",
        ]
        for j, h in enumerate(head3):
            sheet3.write(2, j, h, f["head"])
        trend = result.trend("county").merge(result.balance, on="month", how="left")
        for i, rec in enumerate(trend.sort_values("month").to_dict("records"), start=3):
            sheet3.write(i, 0, period_zh(rec["month"]), f["plain"])
            number(sheet3, i, 1, rec["ifi"], "idx")
            for k, d in enumerate(DIMENSIONS):
                number(sheet3, i, 2 + k, rec[d], "idx")
            number(sheet3, i, 5, rec["cv"], "idx")
            number(sheet3, i, 6, rec["theil"], "idx")
        sheet3.set_column(0, 6, 13)

        # --- sheet 4: the catalogue ------------------------------------------------------
        sheet4 = book.add_worksheet("指标说明")
        sheet4.write(0, 0, "指标说明（creditfarm/policy/indicators.toml）", f["title"])
        sheet4.write(
            1,
            0,
            "标准化：(值 − 下限)/(上限 − 下限)，越低越好的指标取 (上限 − 值)/(上限 − 下限)，"
            "截断到0—1；"
            f"维度得分为指标加权平均；指数为Sarma距离法，维度权重：{weights}",
            f["note"],
        )
        head4 = [
            "指标代码",
            "指标名称",
            "维度",
            "计算公式",
            "单位",
            "方向",
            "下限",
            "上限",
            "维度内权重",
            "目标",
            "数据来源",
        ]
        for j, h in enumerate(head4):
            sheet4.write(3, j, h, f["head"])
        r = 4
        for ind in inds:
            target = year_targets[ind.key]
            cells: list[object] = [
                ind.code,
                ind.name_zh,
                result.catalogue.dimensions[ind.dimension],
                ind.formula,
                "%" if ind.is_share else ind.unit,
                _DIRECTION_ZH[ind.direction],
                ind.lower,
                ind.upper,
                ind.weight,
                "" if target is None else target,
                "；".join(ind.sources),
            ]
            for j, v in enumerate(cells):
                if isinstance(v, float):
                    sheet4.write_number(r, j, v, f["dec"])
                else:
                    sheet4.write(r, j, str(v), f["wrap"] if j in (3, 10) else f["plain"])
            r += 1
        for u in result.catalogue.unavailable:
            sheet4.write(r, 0, u.code, f["plain"])
            sheet4.write(r, 1, u.name_zh, f["plain"])
            sheet4.write(r, 2, result.catalogue.dimensions[u.dimension], f["plain"])
            sheet4.write(r, 3, f"数据暂缺：{u.why}", f["wrap"])
            r += 1
        sheet4.set_column(0, 0, 9)
        sheet4.set_column(1, 1, 28)
        sheet4.set_column(2, 2, 9)
        sheet4.set_column(3, 3, 60)
        sheet4.set_column(4, 9, 9)
        sheet4.set_column(10, 10, 50)
    return buffer.getvalue()
