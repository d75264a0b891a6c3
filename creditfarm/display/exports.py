"""Exports that open safely in Excel and WPS (formula injection, CWE-1236).

A name such as ``=HYPERLINK("http://…","点我")`` or ``=cmd|' /C calc'!A0`` in an export becomes
a live formula when a spreadsheet opens the file. Every CSV and XLSX creditfarm writes goes
through here:

- CSV: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
  prefixed with ``'`` (OWASP's advice), so the spreadsheet shows it as text; number columns are
  untouched, so amounts and negative changes stay numbers;
- XLSX: the workbook is opened with xlsxwriter's ``strings_to_formulas`` and
  ``strings_to_urls`` off, so every string is written as a string — whether written through
  pandas or cell by cell — and no cell is ever a formula.
"""

from __future__ import annotations

from typing import IO, Any

import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "XLSX_OPTIONS",
    "csv_text",
    "excel_writer",
    "neutralise",
    "safe_frame",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_OPTIONS: dict[str, bool] = {"strings_to_formulas": False, "strings_to_urls": False}


def neutralise(value: object) -> object:
    """``value`` as a spreadsheet shows it literally: a formula-like string gets a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its text cells neutralised (numbers, dates, booleans kept)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out[column] = series.map(neutralise, na_action="ignore")
    # Headers are text a user may have sent too (unknown columns keep their header).
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame, **kwargs: Any) -> str:
    """``frame`` as CSV text, neutralised."""
    return str(safe_frame(frame).to_csv(index=False, **kwargs))


def excel_writer(target: str | IO[bytes] | Any) -> pd.ExcelWriter:
    """A pandas ``ExcelWriter`` (xlsxwriter) that writes every string as a string."""
    return pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS})
