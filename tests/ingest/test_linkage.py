"""Linkage helpers: village names → codes, transaction direction, archive relinking."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from creditfarm.ingest import ingest_file
from creditfarm.ingest.linkage import DIRECTION_BY_TXN_TYPE, VillageResolver, direction_for
from creditfarm.storage.models import Archive


def _resolver() -> VillageResolver:
    r = VillageResolver()
    r.add("469029100201", "什玲镇", "什玲村")
    r.add("469029100202", "什玲镇", "八村村")
    r.add("469029101201", "南林乡", "南林村")
    r.add("469029102201", "响水镇", "南林村")  # the same village name in another town
    return r


def test_code_wins_and_must_be_known():
    r = _resolver()
    assert r.resolve("469029100202", "南林乡", "南林村") == ("469029100202", "")
    code, why = r.resolve("469029999999")
    assert code is None and "469029999999" in why


def test_names_with_or_without_suffixes():
    r = _resolver()
    assert r.resolve(None, "什玲镇", "什玲村")[0] == "469029100201"
    assert r.resolve(None, "什玲", "什玲村委会")[0] == "469029100201"  # 镇 / 村委会 dropped
    assert r.resolve(None, None, "八村村")[0] == "469029100202"  # unique without the town
    assert r.resolve(None, "ＮＡ", "八村")[0] is None  # wrong town


def test_ambiguous_village_name_needs_the_town():
    r = _resolver()
    code, why = r.resolve(None, None, "南林村")
    assert code is None and "多个" in why
    assert r.resolve(None, "响水镇", "南林村")[0] == "469029102201"


@pytest.mark.parametrize(
    ("txn_type", "direction", "expected"),
    [
        ("小额取款", None, "out"),
        ("转账转出", None, "out"),
        ("汇款", None, "out"),
        ("代理缴费", None, "out"),
        ("转账转入", None, "in"),
        ("补贴发放", None, "in"),
        ("汇入", None, "in"),
        ("余额查询", None, None),  # moves no money
        ("未知类型", None, None),
        ("转账", "收", "in"),  # the export's own direction wins
        ("转账", "付", "out"),
        ("小额取款", "in", "in"),
    ],
)
def test_direction(txn_type, direction, expected):
    assert direction_for(txn_type, direction) == expected


def test_direction_table_has_only_in_and_out():
    assert set(DIRECTION_BY_TXN_TYPE.values()) == {"in", "out"}


def test_archive_imported_before_hukou_is_linked_when_hukou_arrives(ws, tmp_path: Path):
    (tmp_path / "regions.csv").write_text("村代码,村名,乡镇\n469029100201,什玲村,什玲镇\n", "utf-8")
    (tmp_path / "archive.csv").write_text(
        "户主身份证号,户主姓名,建档日期\n469029198203050028,黎芳,2021-03-05\n", "utf-8"
    )
    (tmp_path / "hukou.csv").write_text(
        "身份证号,姓名,户号,与户主关系,村代码\n"
        "46902919800101001X,黎明,H001,户主,469029100201\n"
        "469029198203050028,黎芳,H001,配偶,469029100201\n",
        "utf-8",
    )
    ingest_file(ws, tmp_path / "regions.csv")
    first = ingest_file(ws, tmp_path / "archive.csv")
    assert first.rows_linked == 0
    ingest_file(ws, tmp_path / "hukou.csv")
    with ws.engine.connect() as conn:
        linked = conn.execute(select(col(Archive.household_no))).scalar_one()
    assert linked == "H001"  # the spouse's archive files her household
