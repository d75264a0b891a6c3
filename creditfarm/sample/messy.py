"""The mess of real exports: date forms, units, full-width digits, missing markers, bad IDs.

Every function takes the generator's own random stream so a county stays reproducible."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

__all__ = [
    "EXCEL_EPOCH",
    "MISSING_MARKERS",
    "checksum_typo",
    "date_strings",
    "excel_serial",
    "fullwidth",
    "legacy_15",
    "pick",
    "wrong_length",
    "yuan_strings",
]

MISSING_MARKERS = ("-", "无", "/", "NULL")
EXCEL_EPOCH = date(1899, 12, 30)
_FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
_DATE_FORMS = ("iso", "slash", "compact", "chinese")


def pick(
    rng: np.random.Generator, candidates: np.ndarray, k: int, taken: set[int] | None = None
) -> np.ndarray:
    """``k`` distinct row positions from ``candidates`` not already ``taken`` (sorted)."""
    pool = np.asarray(candidates, dtype=int)
    if taken:
        pool = pool[~np.isin(pool, np.fromiter(taken, dtype=int, count=len(taken)))]
    chosen = np.sort(rng.choice(pool, size=min(k, len(pool)), replace=False)) if len(pool) else pool
    if taken is not None:
        taken.update(int(c) for c in chosen)
    return chosen


def fullwidth(value: str) -> str:
    """ASCII digits and the decimal point as full-width characters (１２３．５)."""
    return value.translate(_FULLWIDTH)


def checksum_typo(id_number: str) -> str:
    """The same ID with a wrong check character (a typing error the checksum catches)."""
    chars = "0123456789X"
    return id_number[:17] + chars[(chars.index(id_number[17]) + 3) % 11]


def wrong_length(id_number: str) -> str:
    """The ID with one digit of the sequence dropped (17 characters)."""
    return id_number[:15] + id_number[16:]


def legacy_15(id_number: str) -> str:
    """The 15-digit form of an 18-digit ID of someone born 19xx."""
    return id_number[:6] + id_number[8:17]


def excel_serial(d: date) -> int:
    return (d - EXCEL_EPOCH).days


def date_strings(
    rng: np.random.Generator,
    dates: np.ndarray,
    *,
    messy: bool,
    weights: tuple[float, ...] = (0.55, 0.2, 0.1, 0.15),
) -> np.ndarray:
    """Dates as text, each row in one of the forms 2021-03-05, 2021/3/5, 20210305, 2021年3月5日."""
    s = pd.Series(pd.to_datetime(pd.Series(dates)))
    if not s.isna().any():
        # Each distinct day formatted once (a county has millions of dates, a few thousand days).
        days, which = np.unique(s.to_numpy().astype("datetime64[D]"), return_inverse=True)
        uniq = days.astype(object).tolist()
        iso_u = np.array([d.isoformat() for d in uniq], dtype=object)
        if not messy:
            return iso_u[which]
        form = rng.choice(len(_DATE_FORMS), size=len(s), p=np.array(weights) / sum(weights))
        table = np.array(
            [
                iso_u,
                [f"{d.year}/{d.month}/{d.day}" for d in uniq],
                [f"{d:%Y%m%d}" for d in uniq],
                [f"{d.year}年{d.month}月{d.day}日" for d in uniq],
            ],
            dtype=object,
        ).reshape(len(_DATE_FORMS), len(uniq))
        return table[form, which.ravel()]
    y, m, d = s.dt.year.astype(str), s.dt.month.astype(str), s.dt.day.astype(str)
    iso = s.dt.strftime("%Y-%m-%d")
    if not messy:
        return iso.to_numpy(dtype=object)
    form = rng.choice(len(_DATE_FORMS), size=len(s), p=np.array(weights) / sum(weights))
    out = np.where(
        form == 0,
        iso,
        np.where(
            form == 1,
            y + "/" + m + "/" + d,
            np.where(form == 2, s.dt.strftime("%Y%m%d"), y + "年" + m + "月" + d + "日"),
        ),
    )
    return out.astype(object)


def yuan_strings(rng: np.random.Generator, amounts: np.ndarray, *, messy: bool) -> np.ndarray:
    """Amounts in yuan as an export shows them: 50000, 50,000元, 5万元 (when exact)."""
    a = np.asarray(amounts, dtype=float)
    plain = np.array([f"{v:.0f}" if v == int(v) else f"{v:.2f}" for v in a], dtype=object)
    if not messy:
        return plain
    form = rng.choice(3, size=len(a), p=[0.6, 0.25, 0.15])
    sep = np.array([f"{v:,.0f}元" for v in a], dtype=object)
    wan = np.array([f"{v / 10000:g}万元" for v in a], dtype=object)
    exact = np.round(a, -2) == a
    return np.where(form == 1, sep, np.where((form == 2) & exact, wan, plain))
