"""The printable 整村授信 list of one village (Excel and PDF), in the layout a bank posts for
公示 and has households sign: a title naming the county, town, village, the bank and the date;
序号, 户主 (masked per role), 户号, 户主身份证号 (前6后4), grade, line, term, 信用户, the reason for
a line of 0 or a capped line (the policy's own sentences), and columns to sign.

The rows are ``creditfarm.scoring.lists.latest_scores`` — the same households and lines as
every other list — so whatever decides the current line decides this list too.

PDF: reportlab with its built-in CID font STSong-Light (Adobe's Chinese font, known to every
PDF reader), so no font file needs to be installed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select

from creditfarm.access import Principal
from creditfarm.display.exports import excel_writer, neutralise
from creditfarm.display.formatting import fmt_date, fmt_yuan
from creditfarm.explain.policy_reasons import policy_reasons
from creditfarm.policy.config import Policy
from creditfarm.scoring.lists import latest_scores
from creditfarm.storage.models import Region
from creditfarm.workspace import Workspace

__all__ = [
    "LIST_COLUMNS",
    "LIST_HEADERS",
    "VillageList",
    "village_list",
    "village_list_pdf",
    "village_list_xlsx",
]

LIST_COLUMNS = [
    "seq",
    "head_name",
    "household_no",
    "head_id_masked",
    "grade",
    "limit",
    "term_years",
    "credit_household",
    "note",
]
LIST_HEADERS = [
    "序号",
    "户主",
    "户号",
    "户主身份证号",
    "信用等级",
    "预授信额度(元)",
    "授信期限(年)",
    "信用户",
    "额度为0或受限的原因",
    "户主签字",
    "签字日期",
]
_SIGNATURES = ("村两委（盖章）", "信贷员", "审核人", "日期")


@dataclass(frozen=True)
class VillageList:
    village_code: str
    village_name: str
    town_name: str
    county_name: str
    bank: str
    as_of: date | None  # the assessments' as-of date (the newest, if they differ)
    made_on: date
    rows: pd.DataFrame  # LIST_COLUMNS

    @property
    def title(self) -> str:
        return f"{self.county_name}{self.town_name}{self.village_name}整村授信农户名单"

    @property
    def subtitle(self) -> str:
        bank = self.bank or "＿＿＿＿＿＿＿＿"
        assessed = fmt_date(self.as_of) if self.as_of else "—"
        return f"授信银行：{bank}　　评估日：{assessed}　　制表日期：{fmt_date(self.made_on)}"


def _note(limit: int, vetoes: str, caps: str, policy: Policy) -> str:
    """Why a line is 0 or capped, in the policy's sentences; "" for a full line."""
    veto_codes = [v for v in vetoes.split(";") if v]
    cap_codes = [c for c in caps.split(";") if c]
    if limit > 0 and not cap_codes:
        return ""
    reasons = policy_reasons(veto_codes, cap_codes, policy=policy)
    return "".join(r["sentence"] for r in reasons)


def _term(limit: int, caps: str, policy: Policy) -> int | None:
    if limit <= 0:
        return None
    if "poverty_product" in caps.split(";"):
        return policy.poverty_product.term_years
    return policy.limit.term_years


def village_list(
    ws: Workspace,
    *,
    village_code: str,
    principal: Principal,
    bank: str = "",
    today: date | None = None,
) -> VillageList:
    """The 整村授信 list of ``village_code`` for ``principal`` (who must hold
    ``export_lists`` for the village; names as they may see them)."""
    scores = latest_scores(ws, village_code=village_code, principal=principal)
    t = Region.__table__  # type: ignore[attr-defined]
    with ws.engine.connect() as conn:
        region = conn.execute(
            select(t.c.village_name, t.c.town_name, t.c.county_name).where(
                t.c.village_code == village_code
            )
        ).first()
    if region is None:
        raise ValueError(f"村代码 {village_code} 不在行政区划中")
    policy = ws.policy
    rows = pd.DataFrame(
        {
            "seq": range(1, len(scores) + 1),
            "head_name": scores["head_name"],
            "household_no": scores["household_no"],
            "head_id_masked": scores["head_id_masked"],
            "grade": scores["grade"],
            "limit": scores["limit"].astype(int),
            "term_years": pd.array(
                [
                    _term(int(lim), caps, policy)
                    for lim, caps in zip(scores["limit"], scores["caps"], strict=True)
                ],
                dtype="Int64",  # no term for a line of 0
            ),
            "credit_household": scores["credit_household"].map(lambda v: "是" if v else "否"),
            "note": [
                _note(int(lim), vetoes, caps, policy)
                for lim, vetoes, caps in zip(
                    scores["limit"], scores["vetoes"], scores["caps"], strict=True
                )
            ],
        },
        columns=LIST_COLUMNS,
    )
    as_of = max((date.fromisoformat(d) for d in scores["as_of"]), default=None)
    return VillageList(
        village_code=village_code,
        village_name=region.village_name or "",
        town_name=region.town_name or "",
        county_name=region.county_name or "",
        bank=bank,
        as_of=as_of,
        made_on=today or date.today(),
        rows=rows,
    )


def village_list_xlsx(vl: VillageList) -> bytes:
    """The list as a workbook ready to print: title, subtitle, header, one row per household,
    signature line; landscape A4, one page wide, header repeated on every page."""
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        book = writer.book
        sheet = book.add_worksheet("整村授信名单")
        last = len(LIST_HEADERS) - 1
        title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
        centre = book.add_format({"align": "center"})
        head = book.add_format(
            {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
        )
        text = book.add_format({"border": 1, "valign": "vcenter"})
        wrap = book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
        amount = book.add_format({"border": 1, "valign": "vcenter", "num_format": "#,##0"})
        sheet.merge_range(0, 0, 0, last, vl.title, title)
        sheet.merge_range(1, 0, 1, last, vl.subtitle, centre)
        for j, h in enumerate(LIST_HEADERS):
            sheet.write(2, j, h, head)
        row = 3
        for rec in vl.rows.to_dict("records"):
            sheet.write_number(row, 0, int(rec["seq"]), text)
            for j, field in enumerate(["head_name", "household_no", "head_id_masked", "grade"], 1):
                sheet.write_string(row, j, str(neutralise(rec[field] or "")), text)
            sheet.write_number(row, 5, int(rec["limit"]), amount)
            term = rec["term_years"]
            if pd.isna(term):
                sheet.write_string(row, 6, "—", text)
            else:
                sheet.write_number(row, 6, int(term), text)
            sheet.write_string(row, 7, str(rec["credit_household"]), text)
            if rec["note"]:
                sheet.write_string(row, 8, str(rec["note"]), wrap)
            else:
                sheet.write_blank(row, 8, None, wrap)
            sheet.write_blank(row, 9, None, text)
            sheet.write_blank(row, 10, None, text)
            row += 1
        row += 1
        for k, label in enumerate(_SIGNATURES):
            sheet.write_string(row, k * 3, f"{label}：")
        sheet.set_column(0, 0, 5)
        sheet.set_column(1, 1, 9)
        sheet.set_column(2, 2, 12)
        sheet.set_column(3, 3, 20)
        sheet.set_column(4, 7, 9)
        sheet.set_column(8, 8, 36)
        sheet.set_column(9, 10, 11)
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(2)
        sheet.print_area(0, 0, row, last)
    return buffer.getvalue()


_FONT = "STSong-Light"


def village_list_pdf(vl: VillageList) -> bytes:
    """The list as a PDF (landscape A4): the same columns and signature line as the workbook."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    title_style = ParagraphStyle("title", fontName=_FONT, fontSize=16, leading=22, alignment=1)
    sub_style = ParagraphStyle("sub", fontName=_FONT, fontSize=10, leading=14, alignment=1)
    cell_style = ParagraphStyle("cell", fontName=_FONT, fontSize=8, leading=10)
    data: list[list[object]] = [list(LIST_HEADERS)]
    for rec in vl.rows.to_dict("records"):
        term = rec["term_years"]
        data.append(
            [
                str(rec["seq"]),
                rec["head_name"] or "",
                rec["household_no"] or "",
                rec["head_id_masked"] or "",
                rec["grade"] or "",
                fmt_yuan(rec["limit"]) if rec["limit"] else "0元",
                "—" if pd.isna(term) else f"{int(term)}年",
                rec["credit_household"],
                Paragraph(str(rec["note"]), cell_style),
                "",
                "",
            ]
        )
    widths = [10, 18, 24, 38, 16, 24, 16, 12, 80, 22, 20]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("ALIGN", (5, 1), (6, -1), "RIGHT"),
            ]
        )
    )
    signatures = Table(
        [[f"{label}：" for label in _SIGNATURES]], colWidths=[70 * mm] * len(_SIGNATURES)
    )
    signatures.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), _FONT)]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=vl.title,
    )
    doc.build(
        [
            Paragraph(vl.title, title_style),
            Paragraph(vl.subtitle, sub_style),
            Spacer(1, 4 * mm),
            table,
            Spacer(1, 8 * mm),
            signatures,
        ]
    )
    return buffer.getvalue()
