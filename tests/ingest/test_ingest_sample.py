"""The seeded sample county imports cleanly: every deliberate defect the generator reports is
quarantined or merged, with the reason the contract names, and nothing else is rejected."""

import pytest

from creditfarm.ingest import ingest_folder
from creditfarm.ingest.report import import_report
from creditfarm.reports.rates import rates
from creditfarm.sample import generate_county

pytestmark = pytest.mark.slow

# generator defect kind → quarantine reason
_REASON = {
    "id_checksum": "id_checksum",
    "id_format": "id_format",
    "id_as_number": "id_excel_number",
}


def test_sample_county_defects_match_the_import(ws, tmp_path):
    summary = generate_county(tmp_path / "county", households=120, seed=7, months=3)
    runs = ingest_folder(ws, tmp_path / "county")
    assert {r.status for r in runs} == {"done"}, [r.message for r in runs if r.status != "done"]
    report = import_report(ws).set_index("source")
    for source, written in summary.rows.items():
        defects = summary.defects.get(source, {})
        expected = {_REASON[k]: n for k, n in defects.items() if k in _REASON and n}
        got = report.loc[source]
        assert got["quarantined_by_reason"] == expected, source
        assert got["duplicates_merged"] == defects.get("duplicate_row", 0), source
        assert got["rows_read"] == written, source
        assert got["failed_files"] == 0, source
        merged = defects.get("duplicate_row", 0)
        assert got["rows_accepted"] == written - summary.expected_quarantine(source) - merged
        if got["linked_share"] == got["linked_share"]:  # not NaN: the source names persons
            assert got["linked_share"] == 1.0, source
    county = rates(ws, level="county").iloc[0]
    assert county["households"] == summary.households
    # every filed household is filed unless its only archive row was quarantined
    quarantined_archives = sum(report.loc["archive", "quarantined_by_reason"].values())
    assert summary.filed_households - quarantined_archives <= county["filed"]
    assert county["filed"] <= summary.filed_households
