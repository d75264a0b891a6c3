"""Property tests: for any input the parsers either return a value or raise the one documented
error (ValueProblem), and resident-ID checking agrees with the checksum rule."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from creditfarm.identity import check_id, checksum_char, mask_id
from creditfarm.ingest.normalize import (
    ValueProblem,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_int,
    parse_number,
)

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30
) | st.sampled_from(
    ["", "-", "无", "/", "NULL", "3.2万元", "１，２００元", "2021年3月5日", "44197"]
)


@settings(max_examples=300, deadline=None)
@given(_text)
def test_parsers_return_a_value_or_a_value_problem(raw):
    for parse in (parse_amount, parse_number, parse_int, parse_date, parse_datetime):
        try:
            parse(raw)
        except ValueProblem as problem:
            assert problem.args  # a reason the quarantine can name
        # any other exception escapes and fails the test


_born = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from(["469029", "110101", "370323"]),
    born=_born,
    seq=st.integers(min_value=0, max_value=999),
)
def test_any_well_formed_id_passes_and_any_other_check_char_fails(region, born, seq):
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    good = first17 + checksum_char(first17)
    assert check_id(good).normalized == good
    assert check_id(good.lower()).normalized == good  # x → X
    for wrong in "0123456789X":
        if wrong != good[-1]:
            assert check_id(first17 + wrong).error == "id_checksum"
    masked = mask_id(good)
    assert masked[:6] == good[:6] and masked[-4:] == good[-4:] and masked[6:14] == "*" * 8


def test_a_birth_date_in_the_future_is_rejected():
    tomorrow = date.today() + timedelta(days=1)
    first17 = f"469029{tomorrow:%Y%m%d}001"
    assert check_id(first17 + checksum_char(first17)).error == "id_date"
