"""The 整村授信 list: the current assessment and current line of every household, for export.

``limit`` and ``credit_household`` are the **current line** (``storage.current_line``: the
officer's effective decision where there is one, else the model's); ``line_source`` says which
(人工决定 / 模型), ``model_limit`` is the model's line beside it."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select

from creditfarm.access import Permission, Principal, can, require
from creditfarm.display.exports import excel_writer, safe_frame
from creditfarm.identity import show_name
from creditfarm.storage.assessments import ASSESSMENT_TABLE, as_list
from creditfarm.storage.current_line import SOURCE_ZH, current_line_select
from creditfarm.storage.models import Archive, Household, Person
from creditfarm.workspace import Workspace

__all__ = ["SCORE_COLUMNS", "latest_scores", "write_scores"]


SCORE_COLUMNS = (
    "household_no",
    "village_code",
    "head_name",
    "probability",
    "score",
    "grade",
    "credit_household",
    "limit",
    "line_source",
    "decided_by",
    "model_limit",
    "vetoes",
    "thin_file",
    "model_version",
    "as_of",
    "caps",
    "head_id_masked",
)


def _table(model: Any) -> Any:
    return model.__table__


def latest_scores(
    ws: Workspace, *, village_code: str | None = None, principal: Principal
) -> pd.DataFrame:
    """The current assessment of every household (of one village when given), columns
    ``SCORE_COLUMNS``; only for those who may export lists (``Permission.export_lists``), of
    their own villages; head names in full for ``see_names``, else 张**. The current
    assessment is ``creditfarm.storage.assessments``'s rule."""
    require(principal, Permission.export_lists, village_code=village_code)
    full = can(principal, Permission.see_names)
    a_t, h_t = ASSESSMENT_TABLE.c, _table(Household).c
    p_t, ar_t = _table(Person).c, _table(Archive).c
    lines = current_line_select(village_code=village_code).subquery("lines")
    query = (
        select(
            ASSESSMENT_TABLE,
            p_t.name,
            p_t.id_masked,
            ar_t.head_name,
            lines.c.line,
            lines.c.credit_household.label("line_credit_household"),
            lines.c.source,
            lines.c.decided_by,
        )
        .join(lines, lines.c.assessment_id == a_t.id)
        .join(_table(Household), h_t.household_no == a_t.household_no)
        .outerjoin(_table(Person), p_t.person_key == h_t.head_person_key)
        .outerjoin(_table(Archive), ar_t.head_person_key == h_t.head_person_key)
        .order_by(a_t.village_code, a_t.household_no)
    )
    if principal.villages is not None:  # an officer's list: their villages
        query = query.where(a_t.village_code.in_(sorted(principal.villages)))
    with ws.engine.connect() as conn:
        rows = conn.execute(query).all()
    records = []
    for row in rows:
        a = row  # Core rows: columns by name
        name = row.name or row.head_name
        records.append(
            {
                "household_no": a.household_no,
                "village_code": a.village_code,
                "head_name": show_name(name, full),
                "probability": round(a.probability, 4),
                "score": round(a.score, 1),
                "grade": a.grade,
                "credit_household": bool(a.line_credit_household),
                "limit": int(a.line),
                "line_source": SOURCE_ZH[a.source],
                "decided_by": a.decided_by or "",
                "model_limit": int(a.pre_credit_limit),
                "vetoes": ";".join(a.vetoes or []),
                "thin_file": a.thin_file,
                "model_version": a.model_version,
                "as_of": a.as_of.isoformat(),
                "caps": ";".join(as_list(a.caps)),
                "head_id_masked": row.id_masked or "",
            }
        )
    return pd.DataFrame(records, columns=list(SCORE_COLUMNS))


def write_scores(frame: pd.DataFrame, *, fmt: str, out: Any) -> None:
    """Write the list as CSV (UTF-8 with BOM, so Excel shows 汉字) or XLSX to a path or stream."""
    if fmt == "csv":
        safe_frame(frame).to_csv(out, index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        with excel_writer(out) as writer:
            frame.to_excel(writer, index=False, sheet_name="预授信名单")
    else:
        raise ValueError(f"unknown format {fmt!r}: csv or xlsx")
