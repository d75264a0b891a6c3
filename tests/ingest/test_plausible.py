"""Values that parse but cannot be true are quarantined with their reason, never stored: dates
after the export (the import's day), infinite or negative amounts, absurd maturities."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import select

from creditfarm.ingest import ingest_file
from creditfarm.ingest.contract import Column
from creditfarm.ingest.normalize import ValueProblem
from creditfarm.ingest.plausible import check_value, implausible
from creditfarm.storage.models import Archive, QuarantineRow
from creditfarm.workspace import Workspace

TODAY = date(2022, 6, 30)
LI_MING = "46902919800101001X"


def test_dates_after_the_export_day_are_the_future():
    filed = Column("filed_date", "date")
    values = pa.array(
        [date(2022, 6, 30), date(2022, 7, 1), date(2099, 1, 1), None, date(1899, 12, 31)]
    )
    low, high = implausible(filed, values, TODAY)
    assert high.tolist() == [False, True, True, False, False]
    assert low.tolist() == [False, False, False, False, True]
    txn = Column("txn_time", "datetime")
    times = pa.array(
        [datetime(2022, 6, 30, 23, 59, 59), datetime(2022, 7, 1, 0, 0, 0)], pa.timestamp("us")
    )
    assert implausible(txn, times, TODAY)[1].tolist() == [False, True]


def test_a_maturity_may_lie_ahead_but_not_in_9999():
    maturity = Column("maturity_date", "date")
    values = pa.array([date(2030, 1, 1), date(2072, 6, 1), date(9999, 12, 31)])
    # 50 years of 365.25 days after 2022-06-30 is 2072-06-30.
    assert implausible(maturity, values, TODAY)[1].tolist() == [False, False, True]


def test_amounts_must_be_finite_and_not_negative():
    income = Column("annual_income", "amount")
    values = pa.array([0.0, 35_000.0, -1.0, float("inf"), float("nan"), 1e308 * 10_000, 1e11])
    low, high = implausible(income, values, TODAY)
    assert low.tolist() == [False, False, True, True, True, True, False]
    assert high.tolist() == [False, False, False, False, False, False, True]


@pytest.mark.parametrize(
    ("col", "value", "reason"),
    [
        (Column("filed_date", "date"), date(2099, 1, 1), "date_in_future"),
        (Column("maturity_date", "date"), date(9999, 12, 31), "date_implausible"),
        (Column("annual_income", "amount"), -5_000.0, "value_implausible"),
        (Column("amount", "amount"), float("inf"), "value_implausible"),
        (Column("household_size", "int"), 101, "value_implausible"),
    ],
)
def test_one_cell_gets_the_same_verdict(col: Column, value: object, reason: str):
    low, high = implausible(col, pa.array([value]), TODAY)
    assert bool(low[0] or high[0])
    with pytest.raises(ValueProblem) as info:
        check_value(col, value, TODAY)
    assert info.value.reason == reason


def test_the_import_quarantines_them_and_stores_the_rest(sqlite_ws: Workspace, tmp_path: Path):
    path = tmp_path / "2021年农户信用档案.csv"
    path.write_text(
        "户主身份证号,户主姓名,建档日期,家庭年收入(万元),存款余额\n"
        f"{LI_MING},黎明,2021-03-01,3.5,1000\n"  # stored
        f"{LI_MING},黎明,2099-01-01,3.5,1000\n"  # a date after the import's day
        f"{LI_MING},黎明,2021-03-01,1e308,1000\n"  # 1e308 万元: infinite yuan
        f"{LI_MING},黎明,2021-03-01,-2,1000\n"  # a negative income
        f"{LI_MING},黎明,2021-03-01,3.5,1e309\n",  # infinity
        encoding="utf-8",
    )
    run = ingest_file(sqlite_ws, path, source="archive")
    assert (run.status, run.rows_read, run.rows_accepted, run.rows_quarantined) == (
        "done",
        5,
        1,
        4,
    )
    with sqlite_ws.engine.connect() as conn:
        found = {(r.line, r.column, r.reason) for r in conn.execute(select(QuarantineRow))}
        filed = conn.execute(select(Archive.filed_date)).scalars().all()  # type: ignore[call-overload]
    assert found == {
        (3, "建档日期", "date_in_future"),
        (4, "家庭年收入(万元)", "value_implausible"),
        (5, "家庭年收入(万元)", "value_implausible"),
        (6, "存款余额", "value_implausible"),
    }
    assert filed == [date(2021, 3, 1)]
