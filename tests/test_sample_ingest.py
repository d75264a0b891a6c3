"""The sample county imports cleanly: every file is placed, and exactly the deliberate defects
are quarantined or merged (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from creditfarm.sample import generate_county
from creditfarm.workspace import Workspace

pytestmark = pytest.mark.slow


def test_sample_county_imports_with_only_deliberate_defects(ws: Workspace, tmp_path: Path) -> None:
    from creditfarm.ingest import ingest_folder
    from creditfarm.reports import import_report

    summary = generate_county(tmp_path / "county", households=200, seed=9, months=6)
    ingest_folder(ws, tmp_path / "county")
    report = import_report(ws).set_index("source")
    assert set(report.index) == set(summary.rows)  # every file placed, every source imported
    for source, rows in summary.rows.items():
        line = report.loc[source]
        defects = summary.defects.get(source, {})
        assert line["failed_files"] == 0, source
        assert line["rows_read"] == rows, source
        assert line["rows_quarantined"] == summary.expected_quarantine(source), source
        assert line["duplicates_merged"] == defects.get("duplicate_row", 0), source
        assert line["rows_accepted"] == rows - summary.expected_quarantine(source) - defects.get(
            "duplicate_row", 0
        ), source
        if pd.notna(line["linked_share"]):  # sources that name persons
            assert line["linked_share"] == 1.0, source
