"""``CountyWriter``: writes one county's export files and keeps its summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from creditfarm.sample import messy as mx
from creditfarm.sample.summary import CountySummary
from creditfarm.sample.writers import CSV_CHUNK_ROWS, Coded, write_coded_csv, write_csv, write_xlsx

__all__ = ["CountyWriter"]


class CountyWriter:
    """Writes the files of one county, puts in the deliberate defects of a messy county (each
    drawn from the county's own random stream), and keeps the summary."""

    def __init__(
        self,
        out: Path,
        summary: CountySummary,
        rng: np.random.Generator,
        messy: bool,
        *,
        chunk_rows: int = CSV_CHUNK_ROWS,
    ):
        self.out, self.summary, self.rng, self.messy = out, summary, rng, messy
        self.chunk_rows = chunk_rows  # rows of a streamed CSV formatted at a time

    def ids(
        self,
        frame: pd.DataFrame,
        source: str,
        col: str,
        *,
        typo: int = 0,
        short: int = 0,
        allowed: np.ndarray | None = None,
        taken: set[int] | None = None,
    ) -> None:
        """Checksum typos and wrong-length IDs in rows of ``allowed`` (default: any row)."""
        if not self.messy:
            return
        taken = taken if taken is not None else set()
        cand = np.arange(len(frame)) if allowed is None else allowed
        values = frame[col].to_numpy(dtype=object).copy()
        for r in mx.pick(self.rng, cand, typo, taken):
            values[r] = mx.checksum_typo(values[r])
            self.summary.add_defects(source, "id_checksum", 1)
        for r in mx.pick(self.rng, cand, short, taken):
            values[r] = mx.wrong_length(values[r])
            self.summary.add_defects(source, "id_format", 1)
        frame[col] = values

    def fullwidth(
        self, frame: pd.DataFrame, source: str, col: str, k: int, taken: set[int] | None = None
    ) -> None:
        if not self.messy or k <= 0:
            return
        values = frame[col].to_numpy(dtype=object).copy()
        rows = mx.pick(self.rng, np.arange(len(frame)), k, taken)
        for r in rows:
            values[r] = mx.fullwidth(str(values[r]))
        frame[col] = values
        self.summary.add_defects(source, "fullwidth", len(rows))

    def fullwidth_coded(self, column: Coded, source: str, k: int) -> Coded:
        """``fullwidth`` for a coded column (the same draws: same rows for the same county)."""
        if not self.messy or k <= 0:
            return column
        rows = mx.pick(self.rng, np.arange(len(column)), k)
        self.summary.add_defects(source, "fullwidth", len(rows))
        old = column.select(rows).texts().to_pylist()
        return column.replace(rows, [mx.fullwidth(str(v)) for v in old])

    def missing(self, frame: pd.DataFrame, source: str, col: str, k: int) -> None:
        if not self.messy or k <= 0:
            return
        values = frame[col].to_numpy(dtype=object).copy()
        rows = mx.pick(self.rng, np.arange(len(frame)), k)
        values[rows] = self.rng.choice(mx.MISSING_MARKERS, len(rows))
        frame[col] = values
        self.summary.add_defects(source, "missing_marker", len(rows))

    def duplicates(
        self, frame: pd.DataFrame, source: str, k: int, taken: set[int] | None = None
    ) -> pd.DataFrame:
        """Repeat ``k`` rows verbatim, each right after its original."""
        if not self.messy or k <= 0 or not len(frame):
            return frame
        rows = mx.pick(self.rng, np.arange(len(frame)), k, taken)
        self.summary.add_defects(source, "duplicate_row", len(rows))
        frame = frame.reset_index(drop=True)
        both = pd.concat([frame, frame.iloc[rows]])
        return both.sort_index(kind="stable").reset_index(drop=True)

    def duplicate_rows(self, n: int, source: str, k: int) -> np.ndarray:
        """``duplicates`` for a table of ``n`` rows kept as columns: the row order to write,
        each repeated row right after its original."""
        if not self.messy or k <= 0 or not n:
            return np.arange(n)
        rows = mx.pick(self.rng, np.arange(n), k)
        self.summary.add_defects(source, "duplicate_row", len(rows))
        return np.sort(np.concatenate([np.arange(n), rows]), kind="stable")

    def write(
        self,
        source: str,
        title: str,
        frame: pd.DataFrame,
        labels: dict[str, str] | None,
        fmt: str,
        *,
        xlsx_title: str | None = None,
        numbers: dict[str, np.ndarray] | None = None,
    ) -> None:
        """``fmt``: a CSV encoding or "xlsx". Clean counties: UTF-8 CSV with English headers."""
        if not self.messy:
            labels, fmt, numbers = None, "utf-8", None
        out = frame.rename(columns=labels) if labels else frame
        numbers = {(labels or {}).get(k, k): v for k, v in (numbers or {}).items()}
        name = f"{title}.xlsx" if fmt == "xlsx" else f"{title}.csv"
        if fmt == "xlsx":
            write_xlsx(self.out / name, out, title=xlsx_title, numbers=numbers)
        else:
            write_csv(self.out / name, out, encoding=fmt)
        self._written(name, source, len(out))

    def write_coded(
        self,
        source: str,
        title: str,
        columns: dict[str, Coded],
        labels: dict[str, str] | None,
        fmt: str,
        *,
        xlsx_title: str | None = None,
    ) -> None:
        """``write`` for a table kept as coded columns: CSV is streamed in slices of rows; an
        .xlsx (small tables only) is written from the texts at once."""
        if fmt == "xlsx" and self.messy:
            texts = {k: c.texts().to_numpy(zero_copy_only=False) for k, c in columns.items()}
            self.write(source, title, pd.DataFrame(texts), labels, fmt, xlsx_title=xlsx_title)
            return
        if not self.messy:
            labels, fmt = None, "utf-8"
        header = [(labels or {}).get(k, k) for k in columns]
        name = f"{title}.csv"
        write_coded_csv(
            self.out / name,
            header,
            list(columns.values()),
            encoding=fmt,
            chunk_rows=self.chunk_rows,
        )
        self._written(name, source, len(next(iter(columns.values()))) if columns else 0)

    def _written(self, name: str, source: str, rows: int) -> None:
        self.summary.files[name] = source
        self.summary.file_rows[name] = rows
        self.summary.add_rows(source, rows)
