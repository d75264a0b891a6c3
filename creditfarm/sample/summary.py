"""What a generated county holds: rows per source and the deliberate defects it carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["QUARANTINE_KINDS", "CountySummary"]

# Defect kinds an import must quarantine (the others are normalised or merged, not rejected).
QUARANTINE_KINDS = ("id_checksum", "id_format", "id_as_number")


@dataclass
class CountySummary:
    """Rows written per source and deliberate defects per source and kind.

    ``rows`` counts data rows as written, deliberate duplicates included (``file_rows`` per
    file). Defect kinds:
    ``id_checksum`` (an ID with a wrong check digit), ``id_format`` (an ID of the wrong length),
    ``id_as_number`` (an ID stored as an Excel number: digits lost), ``duplicate_row`` (a row
    repeated verbatim), ``legacy_id15`` (a valid 15-digit legacy ID), ``fullwidth`` (full-width
    digits in a cell), ``missing_marker`` (``-``/``无``/``/``/``NULL`` in an optional cell).
    """

    out_dir: Path
    seed: int
    households: int
    persons: int
    villages: int
    files: dict[str, str] = field(default_factory=dict)  # file name -> source
    file_rows: dict[str, int] = field(default_factory=dict)  # file name -> data rows written
    rows: dict[str, int] = field(default_factory=dict)
    defects: dict[str, dict[str, int]] = field(default_factory=dict)
    filed_households: int = 0
    loans: int = 0
    bad_loans: int = 0
    seconds: float = 0.0

    def add_rows(self, source: str, n: int) -> None:
        self.rows[source] = self.rows.get(source, 0) + int(n)

    def add_defects(self, source: str, kind: str, n: int) -> None:
        if n:
            per = self.defects.setdefault(source, {})
            per[kind] = per.get(kind, 0) + int(n)

    def defect_total(self, kind: str) -> int:
        return sum(per.get(kind, 0) for per in self.defects.values())

    def expected_quarantine(self, source: str | None = None) -> int:
        """Rows an import must quarantine (bad IDs), for one source or all."""
        sources = [source] if source else list(self.defects)
        return sum(self.defects.get(s, {}).get(k, 0) for s in sources for k in QUARANTINE_KINDS)

    def as_dict(self) -> dict[str, object]:
        return {
            "out_dir": str(self.out_dir),
            "seed": self.seed,
            "households": self.households,
            "persons": self.persons,
            "villages": self.villages,
            "filed_households": self.filed_households,
            "loans": self.loans,
            "bad_loans": self.bad_loans,
            "files": dict(self.files),
            "file_rows": dict(self.file_rows),
            "rows": dict(self.rows),
            "defects": {k: dict(v) for k, v in self.defects.items()},
            "seconds": round(self.seconds, 2),
        }
