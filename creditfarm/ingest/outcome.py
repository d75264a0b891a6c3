"""What an import makes of one file's rows: the stable reason codes a row is quarantined for,
the warning codes of rows kept, one row's ``Problem``, and the file's ``Outcome`` (counts,
quarantined rows, warnings), which becomes its import run and quarantine rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from creditfarm.ingest.readers import RawRow, RawTable, TableReader

__all__ = ["PII_WARNING", "REASONS", "WARNINGS", "Outcome", "Problem"]

# Stable quarantine reason codes and what they mean (Chinese: shown to users).
REASONS: dict[str, str] = {
    "missing_required": "必填项为空",
    "id_format": "身份证号格式错误",
    "id_date": "身份证号出生日期无效",
    "id_checksum": "身份证号校验位错误",
    "id_excel_number": "身份证号以 Excel 数字存储，末位可能已丢失",
    "bad_amount": "金额无法识别",
    "bad_number": "数值无法识别",
    "bad_date": "日期无法识别",
    "date_in_future": "日期晚于导出日期（导入当日）",
    "date_implausible": "日期不在合理范围",
    "value_implausible": "数值不是有限数、为负数或超出合理范围",
    "bad_code": "代码格式错误",
    "card_format": "卡号格式错误",
    "card_excel_number": "卡号以 Excel 数字存储，末位可能已丢失",
    "unknown_village": "村代码或村名不在行政区划中",
    "unknown_card": "卡号不在卡户对照中",
    "duplicate_conflict": "同一主键的记录内容冲突（保留最后一条）",
}
# Warning codes: rows kept, but counted so the import report can point at them.
WARNINGS: dict[str, str] = {
    "id_upgraded_15_to_18": "15 位旧身份证号已升为 18 位",
    "id_unknown_region": "身份证号地区码未知（仍接受）",
    "unknown_point": "交易的服务点不在服务点表中",
    "payment_extra_columns_not_stored": "交易流水的额外列未保存",
    "head_name_differs_from_hukou": "档案姓名与户籍不一致",
    "village_differs_from_hukou": "档案村代码与户籍不一致",
    "extra_pii_not_stored": "契约外的身份证号/电话/卡号列未保存",
}
# Counted per column: ``extra_pii_not_stored:<header>`` (the header named in the report).
PII_WARNING = "extra_pii_not_stored"


@dataclass
class Problem:
    """Why a row is quarantined: the (original) header of the column at fault and a reason."""

    column: str | None
    reason: str
    detail: str = ""


@dataclass
class Outcome:
    """What one file's rows became."""

    rows_read: int = 0
    accepted: int = 0
    merged: int = 0
    linked: int = 0
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)
    # (line, problem) of rows rejected after their cells were parsed, quarantined in this
    # order once their raw cells are read again (``reject_pending``).
    pending: list[tuple[int, Problem]] = field(default_factory=list)

    def defer(self, line: int, problem: Problem) -> None:
        self.pending.append((line, problem))

    def reject_pending(self, table: TableReader) -> None:
        """Quarantine the deferred rows, with their cells as read."""
        if not self.pending:
            return
        rows = table.raw_rows(line for line, _ in self.pending)
        for line, problem in self.pending:
            self.reject(rows[line], [problem], table)
        self.pending.clear()

    def reject(
        self, row: RawRow, problems: Sequence[Problem], table: RawTable | TableReader
    ) -> None:
        """Quarantine ``row`` (kept whole) under its first problem; the others go in the
        detail."""
        first = problems[0]
        others = "；".join(f"{p.column}: {p.reason}" for p in problems[1:])
        detail = first.detail + (f"（另有: {others}）" if others else "")
        self.quarantine.append(
            {
                "source": table.source.name,
                "file_name": table.path.name,
                "line": row.line,
                "column": first.column,
                "reason": first.reason,
                "detail": detail or None,
                "row": dict(row.values),
            }
        )
