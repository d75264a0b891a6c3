"""Streaming the sample county's payments: a CSV written slice by slice has the bytes pandas
writes for the whole table, and sorting plus the daily limit period by period give what one
pass over the whole table gives."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from creditfarm.sample.payments import Payments
from creditfarm.sample.people import checksum_chars
from creditfarm.sample.writers import Coded, write_coded_csv, write_csv

_DAY = 86400
_T0 = 1_625_097_600  # 2021-07-01 00:00:00 as seconds since 1970


def _payments(**cols: list[float] | list[int]) -> Payments:
    n = len(cols["time"])
    return Payments(
        time=np.array(cols["time"], dtype=np.int64),
        card=np.array(cols.get("card", [0] * n), dtype=np.int32),
        point=np.zeros(n, dtype=np.int32),
        txn_type=np.array(cols.get("txn_type", [0] * n), dtype=np.int8),
        amount=np.array(cols["amount"], dtype=float),
        status=np.array(cols.get("status", [0] * n), dtype=np.int8),
        bill=np.zeros(n, dtype=np.int8),
        direction=np.full(n, 2, dtype=np.int8),
    )


def test_daily_limit_declines_only_what_overflows() -> None:
    h = 3600
    pay = _payments(
        # card 0 on one day: 600 + 300 go through, 200 would make 1,100 (declined), 100 fits
        # (1,000 exactly); an inquiry and an already failed withdrawal do not count.
        # Then card 0 the next day starts afresh; card 1 the first day has its own limit.
        time=[_T0 + hour * h for hour in (8, 9, 10, 11, 12, 13)]
        + [_T0 + _DAY + 8 * h, _T0 + 14 * h],
        card=[0, 0, 0, 0, 0, 0, 0, 1],
        txn_type=[0, 0, 1, 0, 0, 0, 0, 0],
        amount=[600, 300, 0, 200, 100, 500, 1000, 1000],
        status=[0, 0, 0, 0, 0, 1, 0, 0],
    )
    out = pay.period(_T0, _T0 + 2 * _DAY)
    assert out.time.tolist() == sorted(pay.time.tolist())
    assert out.status.tolist() == [0, 0, 0, 1, 0, 1, 0, 0]


def _reference(pay: Payments) -> pd.DataFrame:
    """The whole table at once, the rule written out row by row."""
    frame = pd.DataFrame({k: getattr(pay, k) for k in ("time", "card", "txn_type", "amount")})
    frame["status"] = pay.status.copy()
    frame = frame.sort_values(["time", "card", "txn_type"], kind="stable")  # keeps row labels
    totals: dict[tuple[int, int], float] = {}
    for r in frame.itertuples():
        if r.txn_type != 0 or r.status != 0:
            continue
        day = (int(r.card), int(r.time) // _DAY)
        if totals.get(day, 0.0) + r.amount > 1000:
            frame.loc[r.Index, "status"] = 1
        else:
            totals[day] = totals.get(day, 0.0) + r.amount
    return frame


def test_month_by_month_equals_the_whole_table() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    # 3 months, 40 cards: many cards withdraw several times a day, some the same second
    pay = _payments(
        time=(_T0 + rng.integers(0, 92 * _DAY // 600, n) * 600).tolist(),
        card=rng.integers(0, 40, n).tolist(),
        txn_type=rng.choice([0, 0, 0, 1, 2], n).tolist(),
        amount=(rng.integers(1, 101, n) * 10).tolist(),
        status=(rng.random(n) < 0.05).astype(int).tolist(),
    )
    expected = _reference(pay)
    assert (expected["status"] != pay.status[expected.index]).any()  # the limit bites
    bounds = [_T0, _T0 + 31 * _DAY, _T0 + 62 * _DAY, _T0 + 92 * _DAY]  # Jul, Aug, Sep 2021
    months = [pay.period(lo, hi) for lo, hi in itertools.pairwise(bounds)]
    whole = pay.period(bounds[0], bounds[-1])
    for col in ("time", "card", "txn_type", "amount", "status"):
        by_month = np.concatenate([getattr(m, col) for m in months])
        assert np.array_equal(by_month, getattr(whole, col)), col
        assert np.array_equal(getattr(whole, col), expected[col].to_numpy()), col
    assert sum(len(m) for m in months) == n


_TEXTS = pd.DataFrame(
    {
        "交易流水号": ["ZN0000000001", "ZN0000000002", "ZN0000000003", "ZN0000000004"],
        "交易金额": ["12.50", "１２．５０", "0.00", "1000.00"],
        "缴费项目": ["", "电费", "新农合", ""],
        "收付方向": ["付", "收", "", "付"],
    }
)


def _coded(frame: pd.DataFrame) -> list[Coded]:
    out = []
    for col in frame.columns:
        labels, codes = np.unique(frame[col].to_numpy(dtype=str), return_inverse=True)
        out.append(Coded.of(labels.tolist(), codes))
    return out


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("chunk_rows", [1, 3, 1000])
def test_coded_csv_has_the_bytes_of_the_whole_table(
    tmp_path: Path, encoding: str, chunk_rows: int
) -> None:
    whole, sliced = tmp_path / "whole.csv", tmp_path / "sliced.csv"
    write_csv(whole, _TEXTS, encoding=encoding)
    header = list(_TEXTS.columns)
    write_coded_csv(sliced, header, _coded(_TEXTS), encoding=encoding, chunk_rows=chunk_rows)
    assert sliced.read_bytes() == whole.read_bytes()
    assert sliced.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")


def test_coded_csv_quotes_like_pandas(tmp_path: Path) -> None:
    texts = _TEXTS.assign(缴费项目=["", '电费,"水费"', "新农合", ""])
    whole, sliced = tmp_path / "whole.csv", tmp_path / "sliced.csv"
    write_csv(whole, texts)
    write_coded_csv(sliced, list(texts.columns), _coded(texts), chunk_rows=1)
    assert sliced.read_bytes() == whole.read_bytes()
    assert b'"\xe7\x94\xb5\xe8\xb4\xb9,""' in sliced.read_bytes()  # "电费,""水费"""


def test_coded_columns_select_and_replace() -> None:
    col = Coded.of(["成功", "失败"], np.array([0, 1, 0]))
    assert col.select(np.array([0, 0, 2, 1])).texts().to_pylist() == [
        "成功",
        "成功",
        "成功",
        "失败",
    ]
    assert col.replace(np.array([2]), ["ＯＫ"]).texts().to_pylist() == ["成功", "失败", "ＯＫ"]
    assert col.texts().to_pylist() == ["成功", "失败", "成功"]  # unchanged


def test_vectorised_id_checksums() -> None:
    # 11010519491231002 → X (the GB 11643 example); 44052418800101001: weighted sum 195,
    # 195 mod 11 = 8 → "10X98765432"[8] = 4
    assert checksum_chars(["11010519491231002", "44052418800101001"]).tolist() == ["X", "4"]
    assert checksum_chars([]).tolist() == []


def test_draws_in_slices_equal_one_draw() -> None:
    """The generator draws per-transaction values slice by slice; numpy must give the values
    (and leave the stream where) one draw over the whole array would, or seeds change files."""
    p = np.array([2, 6, 9, 9, 7, 5, 5, 6, 7, 7, 5, 3, 2], dtype=float)
    p /= p.sum()
    draws = [
        lambda r, k: r.random(k),
        lambda r, k: r.choice(np.arange(7, 20), k, p=p),
        lambda r, k: r.integers(0, 3600, k),
        lambda r, k: r.integers(0, 1333, k),
    ]
    sizes = [1, 2, 999, 4096, 3]  # odd sizes: a half-used 64-bit draw must carry over
    for draw in draws:
        whole, sliced = np.random.default_rng(9), np.random.default_rng(9)
        expected = draw(whole, sum(sizes))
        got = np.concatenate([draw(sliced, k) for k in sizes])
        assert np.array_equal(got, expected)
        assert whole.random() == sliced.random()  # the stream goes on from the same place
