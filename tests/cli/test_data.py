"""The data commands through typer's CliRunner with --db (SQLite and PostgreSQL)."""

import csv
import io
import json
import shutil
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from creditfarm.cli import app
from creditfarm.settings import get_settings
from tests.helpers.paths import COUNTY

runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path, monkeypatch) -> Iterator[str]:
    """A database URL for --db; data (payments) go to tmp_path, not the repository."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREDITFARM_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield (
        f"sqlite:///{tmp_path / 'cli.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    get_settings.cache_clear()


def _run(db: str, *args: str):
    return runner.invoke(app, ["--db", db, *args])


def test_ingest_prints_report_and_exits_zero_with_quarantined_rows(db):
    result = _run(db, "ingest", str(COUNTY))
    assert result.exit_code == 0, result.output
    assert "导入报告" in result.output
    assert "id_checksum×1" in result.output  # the bad ID of the archive file
    assert "身份证号校验位错误" in result.output  # the reason in Chinese
    again = _run(db, "ingest", str(COUNTY))
    assert again.exit_code == 0 and "3 个文件与已导入的内容相同" in again.output
    assert "id_checksum×1" in again.output  # the report of the runs the files repeat


def test_ingest_fails_clearly_on_missing_folder(db, tmp_path):
    result = _run(db, "ingest", str(tmp_path / "nope"))
    assert result.exit_code != 0
    assert "目录不存在" in result.output


def test_ingest_fails_when_a_file_cannot_be_placed(db, tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    (folder / "export.csv").write_text("甲,乙\n1,2\n", "utf-8")
    result = _run(db, "ingest", str(folder))
    assert result.exit_code != 0
    assert "export.csv" in result.output and "无法识别" in result.output
    assert "1 个文件未能导入" in result.output
    # the other files were imported all the same
    rates = _run(db, "rates", "--level", "county", "--format", "json")
    assert json.loads(rates.output)[0]["households"] == 6


def test_report_again(db):
    _run(db, "ingest", str(COUNTY))
    result = _run(db, "report")
    assert result.exit_code == 0
    assert "archive" in result.output and "80.0%" in result.output  # 4 of 5 archives linked


def test_quarantine_csv_masks_ids(db):
    _run(db, "ingest", str(COUNTY))
    result = _run(db, "quarantine", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][:5] == ["source", "file", "line", "column", "reason"]
    assert rows[0][5:] == [
        "档案编号",
        "户主身份证号",
        "户主姓名",
        "建档日期",
        "联系电话",
        "家庭年收入（万元）",
        "承包地面积(亩)",
        "村两委评议",
    ]
    assert rows[1][:5] == ["archive", "2021年农户信用档案.csv", "7", "户主身份证号", "id_checksum"]
    assert rows[1][6] == "469029********0512"  # 前6后4
    assert "469029198505200512" not in result.output
    only_hukou = _run(db, "quarantine", "--format", "csv", "--source", "hukou")
    assert only_hukou.output.strip() == "source,file,line,column,reason"  # hukou had no bad row


def test_rates_formats(db):
    _run(db, "ingest", str(COUNTY))
    as_csv = _run(db, "rates", "--level", "village", "--format", "csv")
    assert as_csv.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert list(rows[0]) == [
        "code",
        "name",
        "town_name",
        "households",
        "filed",
        "filing_rate",
        "pre_credited",
        "pre_credit_rate",
    ]
    assert [(r["code"], r["households"], r["filed"]) for r in rows] == [
        ("469029100201", "3", "2"),
        ("469029100202", "2", "1"),
        ("469029101201", "1", "0"),
    ]
    as_json = json.loads(_run(db, "rates", "--level", "town", "--format", "json").output)
    assert [(t["name"], t["filing_rate"]) for t in as_json] == [("什玲镇", 0.6), ("南林乡", 0.0)]
    table = _run(db, "rates", "--level", "village")
    assert table.exit_code == 0 and "什玲村" in table.output and "66.7%" in table.output
    bad = _run(db, "rates", "--level", "province")
    assert bad.exit_code != 0


def test_report_before_any_import(db):
    result = _run(db, "report")
    assert result.exit_code == 0 and "尚未导入任何文件" in result.output


def test_ingest_prints_warnings(db, tmp_path):
    folder = tmp_path / "county"
    folder.mkdir()
    shutil.copy(COUNTY / "行政区划.csv", folder)
    # 469029 800101 001 → 469029 19 800101 001 X: kept, upgraded, and reported as a hint
    (folder / "hukou.csv").write_text(
        "身份证号,姓名,户号,与户主关系,村代码\n469029800101001,黎明,H001,户主,469029100201\n",
        "utf-8",
    )
    result = _run(db, "ingest", str(folder))
    assert result.exit_code == 0
    assert "hukou 提示 id_upgraded_15_to_18×1（15 位旧身份证号已升为 18 位）" in result.output
