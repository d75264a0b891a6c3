"""The 助农取款服务点交易流水 files: one period at a time, from the compact payment columns.

Quarterly files (monthly for very large counties); formats, encodings, headers and time forms
vary by file as the card network's exports did. Only one period's rows are ever turned into
text, and a CSV is written in slices of rows, so memory does not grow with the county."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from creditfarm.sample.export import CountyWriter
from creditfarm.sample.payments import BILLS, TXN_TYPES, Payments, month_starts
from creditfarm.sample.writers import Coded

__all__ = ["MONTHLY_ABOVE_ROWS", "payment_periods", "write_payments"]

# Counties with more payment rows than this get one file per month instead of per quarter.
MONTHLY_ABOVE_ROWS = 2_000_000
_EPOCH_DAY = date(1970, 1, 1)
_PAY_LABELS = {
    "txn_id": "交易流水号",
    "point_id": "服务点编号",
    "txn_time": "交易时间",
    "txn_type": "交易类型",
    "amount": "交易金额",
    "status": "交易状态",
    "id_number": "持卡人身份证号",
    "card_no": "卡号",
    "point_village_code": "服务点所在村",
    "bill_category": "缴费项目",
    "direction": "收付方向",
}
_ENCODINGS = ("utf-8", "gb18030", "utf-8-sig")


def payment_periods(months: int, *, monthly: bool) -> list[tuple[str, int, int]]:
    """(label, start, end) of each file's period in seconds since 1970, oldest first: months
    (2021-03) or calendar quarters (2021Q1) of the covered months."""
    starts = month_starts(months)
    lows = starts.to_numpy().astype("datetime64[s]").astype(np.int64)
    highs = lows + starts.days_in_month.to_numpy() * 86400
    periods: list[tuple[str, int, int]] = []
    for ts, lo, hi in zip(starts, lows.tolist(), highs.tolist(), strict=True):
        label = f"{ts.year}-{ts.month:02d}" if monthly else f"{ts.year}Q{(ts.month - 1) // 3 + 1}"
        if periods and periods[-1][0] == label:
            periods[-1] = (label, periods[-1][1], hi)
        else:
            periods.append((label, lo, hi))
    return periods


def write_payments(
    w: CountyWriter,
    pay: Payments,
    cards: pd.DataFrame,
    points: pd.DataFrame,
    *,
    months: int,
    scale: int,
    xlsx_max_rows: int,
) -> None:
    """One file per period with transactions. Files alternate between holder ID and card
    number, some name the point's village; a messy county also varies encodings, headers
    (some English), the time form, puts a few in .xlsx (if small) and carries full-width
    amounts and repeated rows."""
    monthly = len(pay) > MONTHLY_ABOVE_ROWS
    id_numbers = pa.array(cards["id_number"].tolist(), pa.string())
    card_numbers = pa.array(cards["card_no"].tolist(), pa.string())
    point_ids = pa.array(points["point_id"].tolist(), pa.string())
    point_villages = pa.array(points["village_code"].tolist(), pa.string())
    written = 0  # transactions numbered across the county, in time order
    i = 0  # files written so far: periods without transactions get none
    for label, start, end in payment_periods(months, monthly=monthly):
        sub = pay.period(start, end)
        n = len(sub)
        if not n:
            continue
        by_id = i % 2 == 0
        slash_times = w.messy and i % 4 == 1
        columns = {
            "txn_id": Coded(_txn_ids(written + 1, n)),
            "point_id": Coded(point_ids, sub.point),
            "txn_time": Coded(_time_texts(sub.time, slash=slash_times)),
            "txn_type": Coded.of(TXN_TYPES, sub.txn_type),
            "amount": _amount_texts(sub.amount),
            "status": Coded.of(("成功", "失败"), sub.status),
        }
        if by_id:
            columns["id_number"] = Coded(id_numbers, sub.card)
        else:
            columns["card_no"] = Coded(card_numbers, sub.card)
        if i % 4 == 0:
            columns["point_village_code"] = Coded(point_villages, sub.point)
        columns["bill_category"] = Coded.of(BILLS, sub.bill)
        columns["direction"] = Coded.of(("", "收", "付"), sub.direction)
        labels: dict[str, str] | None = _PAY_LABELS
        fmt = _ENCODINGS[i % 3]
        if w.messy:
            if i % 4 == 3:
                labels = None  # this export came with English headers
            if i in (2, 5, 6) and n < xlsx_max_rows:
                fmt = "xlsx"
            columns["amount"] = w.fullwidth_coded(columns["amount"], "payments", 2 * scale)
            order = w.duplicate_rows(n, "payments", 2 * scale)
            if len(order) != n:
                columns = {k: c.select(order) for k, c in columns.items()}
        w.write_coded(
            "payments",
            f"助农取款服务点交易流水_{label}",
            columns,
            labels,
            fmt,
            xlsx_title="助农取款服务点交易明细" if fmt == "xlsx" else None,
        )
        written += n
        i += 1


def _txn_ids(first: int, n: int) -> pa.Array:
    """ZN0000000001, ZN0000000002, …: ten digits, "ZN" + two five-digit halves from a table."""
    seq = np.arange(first, first + n, dtype=np.int64)
    if n and first + n - 1 >= 10**10:
        raise ValueError("more than 9,999,999,999 transactions")
    text = np.empty((n, 12), dtype=np.uint8)
    text[:, 0], text[:, 1] = ord("Z"), ord("N")
    text[:, 2:7] = _five_digits()[seq // 100_000]
    text[:, 7:12] = _five_digits()[seq % 100_000]
    return pa.array(text.view("S12").ravel()).cast(pa.string())


@cache
def _five_digits() -> np.ndarray:
    """00000 … 99999 as rows of ASCII digits."""
    digits = "".join(f"{i:05d}" for i in range(100_000)).encode()
    return np.frombuffer(digits, dtype=np.uint8).reshape(-1, 5)


@cache
def _clock_texts() -> pa.Array:
    """HH:MM:SS for every second of a day."""
    return pa.array(
        [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)],
        pa.string(),
    )


def _time_texts(t: np.ndarray, *, slash: bool) -> pa.Array:
    """2021-03-05 10:20:30, or 2021/3/5 10:20:30 (``slash``)."""
    if not len(t):
        return pa.array([], pa.string())
    day = t // 86400
    first = int(day.min())
    dates = [_EPOCH_DAY + timedelta(days=first + d) for d in range(int(day.max()) - first + 1)]
    forms = [f"{d.year}/{d.month}/{d.day}" if slash else d.isoformat() for d in dates]
    date_part = pa.array(forms, pa.string()).take(pa.array(day - first))
    clock = _clock_texts().take(pa.array(t - day * 86400))
    return pc.binary_join_element_wise(date_part, clock, " ")


def _amount_texts(amount: np.ndarray) -> Coded:
    """Amounts with two decimals (%.2f), formatted once per distinct value (by bit pattern, so
    even -0.0 keeps its own text)."""
    bits, which = np.unique(amount.view(np.int64), return_inverse=True)
    labels = [f"{v:.2f}" for v in bits.view(np.float64).tolist()]
    return Coded.of(labels, which.ravel())
