"""The ingest stage: county exports → validated, linked rows in SQL and payments in Parquet.

Public API: ``ingest_file`` / ``ingest_folder`` (``IngestError`` when a folder cannot be
imported at all), the quarantine ``REASONS`` and ``WARNINGS`` codes, ``UNPLACED`` (the source of
a run for a file no source fits), the reports ``import_report``, ``quarantine_frame`` and
``run_table``, and the input contract's ``SOURCES``.

Modules, in the order a file goes through them: ``contract`` (the sources as data),
``readers`` (a file read once → text cells with line numbers → header-matched rows),
``placement`` (which source a file is), ``normalize`` (cell values) and ``validate`` (rows →
typed values or quarantine, dedup), ``linkage`` (villages, households, cards),
``importers`` (per-source records), ``write`` (the SQL writes of one file), ``runs`` (import
runs, fingerprints, unchanged files), ``orchestrate`` (files and folders, all or nothing),
``report`` (import report, quarantine export); ``outcome`` holds the reason codes and a file's
counts.

Names are loaded on first use: ``creditfarm.ingest.contract`` is imported by pages and features
that need none of the database or Parquet machinery.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from creditfarm.ingest.contract import SOURCES
    from creditfarm.ingest.orchestrate import IngestError, ingest_file, ingest_folder
    from creditfarm.ingest.outcome import REASONS, WARNINGS
    from creditfarm.ingest.report import import_report, quarantine_frame, run_table
    from creditfarm.ingest.runs import UNPLACED

__all__ = [
    "REASONS",
    "SOURCES",
    "UNPLACED",
    "WARNINGS",
    "IngestError",
    "import_report",
    "ingest_file",
    "ingest_folder",
    "quarantine_frame",
    "run_table",
]

_HOME = {
    "SOURCES": "contract",
    "IngestError": "orchestrate",
    "ingest_file": "orchestrate",
    "ingest_folder": "orchestrate",
    "REASONS": "outcome",
    "WARNINGS": "outcome",
    "import_report": "report",
    "quarantine_frame": "report",
    "run_table": "report",
    "UNPLACED": "runs",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted((*globals(), *__all__))
