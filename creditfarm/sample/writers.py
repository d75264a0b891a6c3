"""Writing one export file: CSV in a given encoding, or .xlsx with an optional merged title row.

Byte-for-byte reproducible: fixed document properties, fixed row order, '\\n' line ends."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

__all__ = ["write_csv", "write_xlsx"]

_FIXED_TIME = datetime(2022, 6, 30, 18, 0, 0)


def write_csv(path: Path, frame: pd.DataFrame, *, encoding: str = "utf-8") -> None:
    """``frame`` holds text (or numbers) under the header labels to write."""
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")


def write_xlsx(
    path: Path,
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    numbers: dict[str, np.ndarray] | None = None,
    sheet: str = "Sheet1",
) -> None:
    """An Excel export; ``numbers`` maps a column to a boolean mask of cells written as numbers
    (Excel serial dates, IDs typed in as numbers) instead of text."""
    numbers = numbers or {}
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {"title": title or path.stem, "author": "creditfarm sample", "created": _FIXED_TIME}
    )
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True, "align": "center"})
    row0 = 0
    cols = list(frame.columns)
    if title:
        ws.merge_range(0, 0, 0, len(cols) - 1, title, bold)
        row0 = 1
    for j, name in enumerate(cols):
        ws.write_string(row0, j, str(name), bold)
    values = [frame[c].to_numpy(dtype=object) for c in cols]
    masks = [numbers.get(c) for c in cols]
    for i in range(len(frame)):
        r = row0 + 1 + i
        for j in range(len(cols)):
            v = values[j][i]
            if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
                continue
            mask = masks[j]
            numeric = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
                v, bool
            )
            if numeric or (mask is not None and mask[i]):
                ws.write_number(r, j, float(v))
            else:
                ws.write_string(r, j, str(v))
    wb.close()
