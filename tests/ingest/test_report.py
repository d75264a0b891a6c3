"""Import report and quarantine export: counts per source, current runs, masking."""

import pandas as pd

from creditfarm.ingest import ingest_file, ingest_folder
from creditfarm.ingest.report import import_report, mask_row, quarantine_frame, run_table
from tests.helpers.paths import COUNTY


def test_report_per_source(ws):
    ingest_folder(ws, COUNTY)
    report = import_report(ws).set_index("source")
    archive = report.loc["archive"]
    # 7 read, 5 accepted, 1 quarantined (id_checksum), 1 merged, 4 of 5 linked → 0.8
    assert archive[
        ["rows_read", "rows_accepted", "rows_quarantined", "duplicates_merged"]
    ].tolist() == [7, 5, 1, 1]
    assert archive["linked_share"] == 0.8
    assert archive["quarantined_by_reason"] == {"id_checksum": 1}
    assert report.loc["hukou", "linked_share"] == 1.0
    assert pd.isna(report.loc["regions", "linked_share"])  # regions name no person


def test_unchanged_runs_report_the_run_they_repeat(ws):
    first = ingest_folder(ws, COUNTY)
    again = ingest_folder(ws, COUNTY)
    table = run_table(ws, run_ids=[r.id for r in again if r.id is not None])
    assert table["run_id"].tolist() == [r.id for r in first]
    assert table["status"].tolist() == ["done"] * 3


def test_newer_file_of_the_same_name_keeps_the_earlier_quarantine(ws, tmp_path):
    ingest_file(ws, COUNTY / "行政区划.csv")
    path = tmp_path / "hukou.csv"
    path.write_text(
        "身份证号,姓名,户号,与户主关系,村代码\n12345,甲,H001,户主,469029100201\n", "utf-8"
    )
    ingest_file(ws, path)
    assert quarantine_frame(ws)["reason"].tolist() == ["id_format"]
    path.write_text(
        "身份证号,姓名,户号,与户主关系,村代码\n46902919800101001X,黎明,H001,户主,469029100201\n",
        "utf-8",
    )
    ingest_file(ws, path)
    # the newer hukou.csv has no bad row; the earlier export's row stays in the report
    assert quarantine_frame(ws)["reason"].tolist() == ["id_format"]
    report = import_report(ws).set_index("source")
    # two exports of hukou.csv: 1 + 1 read, 0 + 1 accepted, 1 + 0 quarantined
    counts = ["files", "rows_read", "rows_accepted", "rows_quarantined"]
    assert report.loc["hukou", counts].tolist() == [2, 2, 1, 1]
    runs = run_table(ws)
    hukou = runs[runs["source"] == "hukou"]
    assert hukou["rows_quarantined"].tolist() == [1, 0]  # each export its own row, oldest first
    assert hukou["imported_at"].notna().all()


def test_a_failure_fixed_by_a_later_import_is_not_reported(ws, tmp_path):
    ingest_file(ws, COUNTY / "行政区划.csv")
    path = tmp_path / "hukou.csv"
    path.write_text("no,header,we,know\n1,2,3,4\n", "utf-8")
    ingest_file(ws, path, source="hukou")
    assert run_table(ws)["status"].tolist()[-1] == "failed"
    path.write_text(
        "身份证号,姓名,户号,与户主关系,村代码\n46902919800101001X,黎明,H001,户主,469029100201\n",
        "utf-8",
    )
    ingest_file(ws, path)
    report = import_report(ws).set_index("source")
    assert report.loc["hukou", "failed_files"] == 0 and report.loc["hukou", "files"] == 1


def test_mask_row_masks_contract_and_extra_personal_numbers():
    row = {
        "户主身份证号": "46902919800101001X",
        "户主姓名": "黎明",
        "联系电话": "13812345678",
        "配偶身份证号": "469029198203050028",  # extra column, still an ID
        "银行卡号": "6228480000000000011",  # extra column for archive, still a card
        "备注": "无",
    }
    assert mask_row("archive", row) == {
        "户主身份证号": "469029********001X",
        "户主姓名": "黎明",
        "联系电话": "138****5678",
        "配偶身份证号": "469029********0028",
        "银行卡号": "622848*********0011",
        "备注": "无",
    }


def test_quarantine_columns_and_detail(ws, tmp_path):
    ingest_file(ws, COUNTY / "行政区划.csv")
    path = tmp_path / "hukou.csv"
    path.write_text(
        "身份证号,姓名,户号,与户主关系,村代码,line\n46902919800101001X,黎明,H001,户主,469029999999,x\n",
        "utf-8",
    )
    ingest_file(ws, path)
    frame = quarantine_frame(ws, detail=True)
    assert list(frame.columns) == [
        "source",
        "file",
        "line",
        "column",
        "reason",
        "身份证号",
        "姓名",
        "户号",
        "与户主关系",
        "村代码",
        "line(原列)",
        "detail",
    ]
    assert frame.loc[0, "reason"] == "unknown_village"
    assert "469029999999" in frame.loc[0, "detail"]
    assert frame.loc[0, "身份证号"] == "469029********001X"
