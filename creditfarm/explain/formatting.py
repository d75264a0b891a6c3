"""Values written the Chinese way: 元 / 万元, 亩, 个月, %, 是/否, and 数据缺失 for gaps.

Money goes through ``display.formatting.fmt_yuan`` so explanations read like the rest of the UI.
"""

from __future__ import annotations

import math
import re
from typing import Any

from creditfarm.display.formatting import fmt_yuan
from creditfarm.features.ordinals import ORDINALS

__all__ = ["LEVEL_LABELS", "MISSING_TEXT", "format_value", "format_yuan", "is_missing"]

MISSING_TEXT = "数据缺失"

_MONEY = {"元", "yuan"}
_WAN = {"万元"}
_AREA = {"亩", "mu"}
_MONTHS = {"个月", "月", "months"}
_SHARE = {"%", "share", "比例", "占比"}
_FLAG = {"是/否", "bool", "flag"}
_COUNTS = {"天", "次", "笔", "个", "人", "年", "岁", "户", "张", "头", "条"}
# Shares (0..1) carry no unit in the catalogue; their names say what they are.
_SHARE_NAME = re.compile(r"(_share|_ratio|_utilisation)$")
# Ordinal codes read back as words from the very table the features encode with.
LEVEL_LABELS: dict[str, dict[int, str]] = {name: o.labels for name, o in ORDINALS.items()}


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(value != value)  # pandas NA / NaT compare unequal to themselves
    except (TypeError, ValueError):
        return False


def _trim(number: float, decimals: int) -> str:
    text = f"{number:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_yuan(amount: float) -> str:
    """Amounts in yuan: below 10,000 with thousands separators (3,200元), else 万元 (3.2万元)."""
    return fmt_yuan(amount)


def format_value(value: Any, unit: str | None = None, *, feature: str | None = None) -> str:
    """``value`` in ``unit`` as a person reads it; missing values read 数据缺失.

    ``feature`` (a catalogue name) lets ordinal codes read as words and unit-less shares as %.
    """
    if is_missing(value):
        return MISSING_TEXT
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    unit = (unit or "").strip()
    number = float(value)
    if feature in LEVEL_LABELS and number.is_integer() and int(number) in LEVEL_LABELS[feature]:
        return LEVEL_LABELS[feature][int(number)]
    if not unit and feature and _SHARE_NAME.search(feature):
        unit = "%"
    if unit in _FLAG:
        return "是" if number >= 0.5 else "否"
    if unit in _MONEY:
        return format_yuan(number)
    if unit in _WAN:
        return format_yuan(number * 10_000)
    if unit in _AREA:
        return f"{_trim(number, 1)}亩"
    if unit in _MONTHS:
        return f"{_trim(number, 0)}个月"
    if unit in _SHARE:
        return f"{_trim(number * 100, 1)}%"
    if unit == "倍":
        return f"{_trim(number, 2)}倍"
    if unit in _COUNTS:
        return f"{_trim(number, 0)}{unit}"
    text = _trim(number, 2)
    return f"{text}{unit}" if unit else text
