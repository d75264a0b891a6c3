"""What one imported file may hold, from the settings, checked before its rows are read.

A hostile or junk file must end in a clear refusal that names the file (and the line and
column where there is one), never in a process that takes gigabytes of memory, hangs or grows
the database by the size of the junk. Each limit is checked where it costs least and before
the work it protects:

- size: the file's ``stat`` on its first open (an .xlsx: also its members inflated, from the
  zip directory, in ``xlsx_guard``);
- rows: a CSV's lines are counted in the fingerprint pass that reads the bytes anyway; an
  .xlsx's rows and columns come from the cell references ``xlsx_guard`` scans;
- columns and cell length: the header row, then each batch of cells as it is read (an Arrow
  length kernel per column, no Python loop over cells), and every sheet cell;
- NUL bytes and lines too long for one read block: the fingerprint pass;
- rows failing their checks: counted while a file is validated; past ``max_rejected_rows`` the
  whole file is refused (all or nothing, so the database is as it was).
"""

from __future__ import annotations

from dataclasses import dataclass

from creditfarm.ingest.xlsx_guard import XLSX_LIMITS, XlsxLimits
from creditfarm.settings import Settings, get_settings

__all__ = ["ReadLimits", "default_limits"]


@dataclass(frozen=True)
class ReadLimits:
    """The settings' file limits (``Settings.max_*``) in the units the readers use."""

    max_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_rejected_rows: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(
            max_bytes=settings.max_file_mb << 20,
            max_rows=settings.max_rows,
            max_columns=settings.max_columns,
            max_cell_chars=settings.max_cell_chars,
            max_rejected_rows=settings.max_rejected_rows,
        )

    def xlsx(self) -> XlsxLimits:
        """The workbook guard's limits: the inflated size is the file size limit."""
        return XlsxLimits(
            max_uncompressed_bytes=self.max_bytes,
            max_ratio=XLSX_LIMITS.max_ratio,
            max_cells=XLSX_LIMITS.max_cells,
            max_rows=self.max_rows,
            max_columns=self.max_columns,
        )

    @property
    def max_mb(self) -> str:
        return f"{self.max_bytes / 2**20:,.0f} MB"


def default_limits() -> ReadLimits:
    """The limits of the environment's settings (a workspace's import passes its own)."""
    return ReadLimits.from_settings(get_settings())
