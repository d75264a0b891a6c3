"""Placement: a file's source by name (longest title wins), then by headers; never guessed."""

from pathlib import Path

import pytest

from creditfarm.ingest.placement import place_by_name, place_file


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("hukou.csv", "hukou"),
        ("户籍.xlsx", "hukou"),
        ("2021年农户信用档案.csv", "archive"),
        ("政务_违法犯罪记录.csv", "criminal"),
        ("助农取款服务点交易流水_2021-07.csv", "payments"),  # longest title beats 助农取款服务点
        ("助农取款服务点.csv", "points"),  # 7 characters beat payments' 助农取款 (4)
        ("payments_202107.csv", "payments"),
        ("LOANS.xlsx", "loans"),
        ("卡户对照.csv", "cards"),
        ("行政区划.csv", "regions"),
        ("农业土地确权.csv", "land"),
        ("逃废债黑名单.csv", "blacklist"),
    ],
)
def test_place_by_name(file_name: str, expected: str):
    found = place_by_name(file_name)
    assert found is not None and found.name == expected


@pytest.mark.parametrize("file_name", ["island.csv", "notes.csv", "taxonomy.csv", "data.csv"])
def test_english_names_must_stand_as_words(file_name: str):
    assert place_by_name(file_name) is None


def test_equal_length_titles_of_two_sources_are_ambiguous():
    # 户籍 (hukou, 2) and 社保 (social_insurance, 2): neither longer
    assert place_by_name("户籍_社保.csv") is None


def test_place_by_headers_when_name_says_nothing(tmp_path: Path):
    path = tmp_path / "export_0630.csv"
    path.write_text("卡号,身份证号\n6228480000000000001,46902919800101001X\n", "utf-8")
    placed = place_file(path)
    assert placed.source is not None and placed.source.name == "cards"
    assert placed.how == "headers"


def test_folder_name_places_monthly_files(tmp_path: Path):
    path = tmp_path / "2021-07.csv"
    path.write_text("a,b\n1,2\n", "utf-8")
    placed = place_file(path, folders=("助农取款服务点交易流水",))
    assert placed.source is not None and placed.source.name == "payments"


def test_unplaceable_file_is_reported_not_guessed(tmp_path: Path):
    path = tmp_path / "export.csv"
    path.write_text("甲,乙\n1,2\n", "utf-8")
    placed = place_file(path)
    assert placed.source is None and placed.how == ""
    assert "无法识别" in placed.message


def test_tied_headers_are_not_guessed(tmp_path: Path):
    # id_number + 状态 fits poverty, residence (both: id + status) equally well
    path = tmp_path / "export.csv"
    path.write_text("身份证号,状态\n46902919800101001X,常住\n", "utf-8")
    assert place_file(path).source is None
