"""Value parsing: amounts, numbers, dates, datetimes, missing markers, full-width input."""

from datetime import date, datetime

import pytest

from creditfarm.ingest.normalize import (
    ValueProblem,
    is_missing,
    parse_amount,
    parse_code,
    parse_date,
    parse_datetime,
    parse_int,
    parse_number,
    parse_text,
    unit_scale,
)


@pytest.mark.parametrize("raw", ["", "  ", "-", "无", "/", "NULL", "null", "N/A", "－", "／"])
def test_missing_markers(raw):
    assert is_missing(raw)
    assert parse_amount(raw) is None
    assert parse_date(raw) is None
    assert parse_text(raw) is None
    assert parse_int(raw) is None


@pytest.mark.parametrize(
    ("raw", "scale", "expected"),
    [
        ("1234.5", 1.0, 1234.5),
        ("1,234.5", 1.0, 1234.5),  # thousands separator
        ("１，２３４．５", 1.0, 1234.5),  # full-width digits, comma and point
        ("3000元", 1.0, 3000.0),
        ("3.5万元", 1.0, 35000.0),  # 3.5 × 10,000
        ("2万", 1.0, 20000.0),
        ("3.5", 10_000.0, 35000.0),  # column header said 万元
        ("800元", 10_000.0, 800.0),  # a unit on the value wins over the header's
        ("-12.5", 1.0, -12.5),
        ("¥1,000", 1.0, 1000.0),
    ],
)
def test_amounts(raw, scale, expected):
    assert parse_amount(raw, scale=scale) == pytest.approx(expected)


def test_bad_amount_has_reason():
    with pytest.raises(ValueProblem) as err:
        parse_amount("三千")
    assert err.value.reason == "bad_amount"
    with pytest.raises(ValueProblem) as err:
        parse_amount("30美元")
    assert err.value.reason == "bad_amount"


def test_numbers_and_ints():
    assert parse_number("5.5亩") == 5.5
    assert parse_number("３") == 3.0
    assert parse_int("4人") == 4
    assert parse_int("4.0") == 4
    with pytest.raises(ValueProblem) as err:
        parse_int("4.5")
    assert err.value.reason == "bad_number"
    with pytest.raises(ValueProblem) as err:
        parse_number("五亩")
    assert err.value.reason == "bad_number"


@pytest.mark.parametrize(
    "raw",
    [
        "2021-03-05",
        "2021/3/5",
        "2021.3.5",
        "20210305",
        "2021年3月5日",
        "２０２１年３月５日",
        "44260",  # Excel serial: 2021-01-01 is 44197; + 31 (Jan) + 28 (Feb) + 4 = 44260
        "44260.0",
        "2021-03-05 00:00:00",
    ],
)
def test_every_date_form(raw):
    assert parse_date(raw) == date(2021, 3, 5)


@pytest.mark.parametrize("raw", ["2021-02-30", "2021-13-01", "20211301", "明天", "2021年2月30日"])
def test_bad_dates(raw):
    with pytest.raises(ValueProblem) as err:
        parse_date(raw)
    assert err.value.reason == "bad_date"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-03-05 10:20:30", datetime(2021, 3, 5, 10, 20, 30)),
        ("2021-03-05T10:20:30", datetime(2021, 3, 5, 10, 20, 30)),
        ("2021/3/5 9:05", datetime(2021, 3, 5, 9, 5)),
        ("2021年3月5日 10:20:30", datetime(2021, 3, 5, 10, 20, 30)),
        ("20210305102030", datetime(2021, 3, 5, 10, 20, 30)),
        ("2021-03-05", datetime(2021, 3, 5)),
        # Excel serial with a day fraction: 0.5 day = 12:00
        ("44260.5", datetime(2021, 3, 5, 12, 0)),
    ],
)
def test_datetimes(raw, expected):
    assert parse_datetime(raw) == expected


def test_bad_datetime():
    with pytest.raises(ValueProblem) as err:
        parse_datetime("2021-03-05 25:00")
    assert err.value.reason == "bad_date"


def test_codes_and_text():
    assert parse_code(" ４６９０２９ １００２０１ ") == "469029100201"
    assert parse_text("  黎䶮 ") == "黎䶮"


def test_unit_scale():
    assert unit_scale("万元") == 10_000
    assert unit_scale("元") == 1
    assert unit_scale("亩") is None
