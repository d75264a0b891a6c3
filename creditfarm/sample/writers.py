"""Writing one export file: CSV in a given encoding, or .xlsx with an optional merged title row.

Byte-for-byte reproducible: fixed document properties, fixed row order, '\\n' line ends.
``write_coded_csv`` streams a big table in bounded slices of rows and writes the same bytes as
``write_csv`` would for the same texts."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import xlsxwriter

__all__ = ["CSV_CHUNK_ROWS", "Coded", "write_coded_csv", "write_csv", "write_xlsx"]

CSV_CHUNK_ROWS = 250_000  # rows formatted and written at a time (a few tens of MB of text)
# A character that makes pandas (csv.QUOTE_MINIMAL) quote a field.
_NEEDS_QUOTES = '[,"\r\n]'

_FIXED_TIME = datetime(2022, 6, 30, 18, 0, 0)


def write_csv(path: Path, frame: pd.DataFrame, *, encoding: str = "utf-8") -> None:
    """``frame`` holds text (or numbers) under the header labels to write."""
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")


@dataclass(frozen=True)
class Coded:
    """A text column as its distinct ``labels`` and, per row, ``codes`` into them: export
    columns mostly repeat a few values (types, points, cards), so rows stay small integers
    until the moment they are written. ``codes`` None: one label per row, in row order."""

    labels: pa.Array
    codes: np.ndarray | None = None

    @classmethod
    def of(cls, labels: Sequence[str] | np.ndarray | pa.Array, codes: np.ndarray) -> Coded:
        arr = labels if isinstance(labels, pa.Array) else pa.array(list(labels), pa.string())
        return cls(arr, np.asarray(codes))

    def __len__(self) -> int:
        return len(self.labels) if self.codes is None else len(self.codes)

    def _codes(self) -> np.ndarray:
        return np.arange(len(self.labels)) if self.codes is None else self.codes

    def select(self, rows: np.ndarray) -> Coded:
        return Coded(self.labels, self._codes()[rows])

    def replace(self, rows: np.ndarray, texts: Sequence[str]) -> Coded:
        """Rows ``rows`` get new texts (new labels; other rows keep theirs)."""
        codes = self._codes().copy()
        codes[rows] = len(self.labels) + np.arange(len(rows))
        labels = pa.concat_arrays([self.labels, pa.array(list(texts), pa.string())])
        return Coded(labels, codes)

    def texts(self, rows: slice | None = None) -> pa.Array:
        if self.codes is None:
            return self.labels if rows is None else self.labels[rows]
        codes = self.codes if rows is None else self.codes[rows]
        return self.labels.take(pa.array(codes))


def write_coded_csv(
    path: Path,
    header: Sequence[str],
    columns: Sequence[Coded],
    *,
    encoding: str = "utf-8",
    chunk_rows: int = CSV_CHUNK_ROWS,
) -> None:
    """A CSV of ``columns`` under ``header``, ``chunk_rows`` rows at a time; the bytes are those
    ``write_csv`` writes for the same texts."""
    n = len(columns[0]) if columns else 0
    if any(len(c) != n for c in columns) or len(header) != len(columns):
        raise ValueError("columns and header must line up")
    # Arrow writes no quotes: it refuses a text with a comma, quote or line break, and a lone
    # empty field would need quotes too. Both are rare (no generated payment text has one):
    # pandas does the quoting then, for the whole file.
    if len(columns) < 2 or re.search(_NEEDS_QUOTES, "".join(header)):
        _write_via_pandas(path, header, columns, encoding)
        return
    try:
        _write_via_arrow(path, header, columns, encoding, max(1, chunk_rows))
    except pa.ArrowInvalid:
        _write_via_pandas(path, header, columns, encoding)


def _write_via_arrow(
    path: Path, header: Sequence[str], columns: Sequence[Coded], encoding: str, chunk_rows: int
) -> None:
    options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
    names = [f"c{j}" for j in range(len(columns))]
    n = len(columns[0])
    with path.open("wb") as fh:
        fh.write((",".join(header) + "\n").encode(encoding))  # a BOM first for utf-8-sig
        for lo in range(0, n, chunk_rows):
            part = slice(lo, min(lo + chunk_rows, n))
            buf = io.BytesIO()
            pa_csv.write_csv(pa.table([c.texts(part) for c in columns], names=names), buf, options)
            data = buf.getvalue()
            if encoding not in ("utf-8", "utf-8-sig"):
                data = data.decode("utf-8").encode(encoding)
            fh.write(data)


def _write_via_pandas(
    path: Path, header: Sequence[str], columns: Sequence[Coded], encoding: str
) -> None:
    cells = [c.texts().to_numpy(zero_copy_only=False) for c in columns]
    write_csv(path, pd.DataFrame(dict(zip(header, cells, strict=True))), encoding=encoding)


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
