"""Service-point payment flows (助农取款服务点交易流水), generated in bulk with numpy.

Each card has a monthly activity level (steady households vary little, erratic ones a lot, with
idle months); every stream (withdrawals, inquiries, bills, harvest sales by crop, remittances,
subsidies, input purchases) draws Poisson counts per card-month from it. The point rules hold:
successful withdrawals are ≥10 元, multiples of 10, and ≤1,000 元 per card per day (attempts
beyond the daily limit are declined and recorded as 失败).

The transactions are drawn in one pass, into compact numeric columns (26 bytes a transaction):
each random stream runs card by card across all months, so drawing them month by month would
change every seed's files. Sorting, the daily limit and all text happen one period at a time
(``Payments.period``, ``creditfarm.sample.payment_files``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from creditfarm.sample.people import EXPORT_DATE

__all__ = [
    "DAILY_LIMIT",
    "SEASONS",
    "TXN_TYPES",
    "Payments",
    "make_cards",
    "make_payments",
    "month_starts",
]

DAILY_LIMIT = 1000
TXN_TYPES = ("小额取款", "余额查询", "代理缴费", "转账", "汇款", "补贴发放")
BILLS = ("", "电费", "水费", "话费", "新农合", "养老保险")
# Share of a year's sales falling in each calendar month (Jan..Dec), by primary activity.
SEASONS: dict[str, tuple[float, ...]] = {
    "水稻": (0, 0, 0, 0, 0, 0, 3, 3, 0, 2, 2, 0),
    "槟榔": (0, 1, 1, 0, 0, 0, 1, 2, 3, 3, 2, 1),
    "橡胶": (0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0.5),
    "瓜菜": (3, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 2),
    "养殖": (3, 2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 2, 2, 0.5, 1),
    "务工": (1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    "个体": (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
}
_EPOCH = np.datetime64("1970-01-01", "s")
# draws the amounts of a stream for its (card, month) index arrays
Amounts = Callable[[np.ndarray, np.ndarray], np.ndarray]


def month_starts(months: int, end: date = EXPORT_DATE) -> pd.DatetimeIndex:
    """The first day of each covered month; the last month is the export date's."""
    last = pd.Timestamp(end.year, end.month, 1)
    return pd.date_range(last - pd.DateOffset(months=months - 1), last, freq="MS")


def _luhn_complete(body: np.ndarray) -> np.ndarray:
    """Append the Luhn check digit to digit matrix rows (card numbers)."""
    digits = body[:, ::-1].copy()
    doubled = digits[:, ::2] * 2
    digits[:, ::2] = np.where(doubled > 9, doubled - 9, doubled)
    check = (10 - digits.sum(axis=1) % 10) % 10
    return np.concatenate([body, check[:, None]], axis=1)


def _digit_strings(digits: np.ndarray) -> np.ndarray:
    """Rows of digits as strings ([[6, 2, 1], …] → "621", …)."""
    width = digits.shape[1]
    text = (digits + ord("0")).astype(np.uint8)
    return text.view(f"S{width}").ravel().astype(f"<U{width}")


def make_cards(rng: np.random.Generator, hh: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Debit cards used at the points: most households one, some a second for the spouse.
    Households that moved away use none."""
    n = len(hh)
    uses = (rng.random(n) < 0.80) & (hh["residence"].to_numpy() != "迁出")
    sp = hh["spouse_pidx"].to_numpy()
    holder = np.where((sp >= 0) & (rng.random(n) < 0.2), sp, hh["head_pidx"].to_numpy())
    second = uses & (sp >= 0) & (holder != sp) & (rng.random(n) < 0.25)
    hh_idx = np.concatenate([np.flatnonzero(uses), np.flatnonzero(second)])
    pidx = np.concatenate([holder[uses], sp[second]])
    order = np.argsort(hh_idx, kind="stable")
    hh_idx, pidx = hh_idx[order], pidx[order]
    primary = np.ones(len(hh_idx), dtype=bool)
    primary[1:] = hh_idx[1:] != hh_idx[:-1]
    k = len(hh_idx)
    prefix = np.array([6, 2, 1, 7, 9, 8], dtype=np.int64)
    body = np.concatenate([np.tile(prefix, (k, 1)), rng.integers(0, 10, (k, 12))], axis=1)
    numbers = _digit_strings(_luhn_complete(body))
    while len(set(numbers)) < k:  # astronomically rare; keep numbers unique anyway
        dup = pd.Series(numbers).duplicated().to_numpy()
        body[dup, 6:] = rng.integers(0, 10, (dup.sum(), 12))
        numbers = _digit_strings(_luhn_complete(body))
    return pd.DataFrame(
        {
            "card_no": numbers,
            "hh": hh_idx,
            "pidx": pidx,
            "primary": primary,
            "id_number": persons["id_number"].to_numpy()[pidx],
        }
    )


def _home_points(points: pd.DataFrame, regions: pd.DataFrame) -> np.ndarray:
    """For each village the point its people use: its own, else one in the same town."""
    nv = len(regions)
    home = np.full(nv, -1)
    pv = points["village_idx"].to_numpy()
    for p in range(len(points) - 1, -1, -1):
        home[pv[p]] = p
    towns = regions["town_code"].to_numpy()
    for v in np.flatnonzero(home < 0):
        same = np.flatnonzero(towns[pv] == towns[v])
        home[v] = same[0] if len(same) else 0
    return home


@dataclass(frozen=True)
class Payments:
    """Transactions as compact columns: ``time`` (seconds since 1970, local time), ``card``,
    ``point``, ``txn_type`` (code into TXN_TYPES), ``amount``, ``status`` (0 成功, 1 失败),
    ``bill`` (code into BILLS), ``direction`` (0 none, 1 收, 2 付).

    ``make_payments`` returns them in draw order; ``period`` gives one time range sorted with
    the daily limit applied."""

    time: np.ndarray
    card: np.ndarray
    point: np.ndarray
    txn_type: np.ndarray
    amount: np.ndarray
    status: np.ndarray
    bill: np.ndarray
    direction: np.ndarray

    def __len__(self) -> int:
        return len(self.time)

    def take(self, rows: np.ndarray) -> Payments:
        return Payments(
            self.time[rows],
            self.card[rows],
            self.point[rows],
            self.txn_type[rows],
            self.amount[rows],
            self.status[rows],
            self.bill[rows],
            self.direction[rows],
        )

    def period(self, start: int, end: int) -> Payments:
        """The transactions with ``start <= time < end`` sorted by time, card and type (a stable
        sort: ties keep draw order), withdrawals over the daily limit declined. A day never spans
        two periods, so the limit comes out as it would on the whole table."""
        rows = np.flatnonzero((self.time >= start) & (self.time < end))
        if len(rows):
            # One int64 key instead of a three-key lexsort: (time, card, type) in that order.
            time, card = self.time[rows] - start, self.card[rows].astype(np.int64)
            span, ncard = int(time.max()) + 1, int(card.max()) + 1
            if span * ncard * 8 >= 2**63:
                raise ValueError("period too long to sort with a single key")
            rows = rows[np.argsort((time * ncard + card) * 8 + self.txn_type[rows], kind="stable")]
        out = self.take(rows)
        _enforce_daily_limit(out)
        return out


def _chunks(n: int, size: int = 1 << 20) -> Iterator[slice]:
    """Bounded slices for drawing per-transaction values: numpy's generators give the same
    values whether an array is drawn at once or slice by slice, and the temporaries stay small."""
    for lo in range(0, n, size):
        yield slice(lo, min(lo + size, n))


def make_payments(
    rng: np.random.Generator,
    hh: pd.DataFrame,
    cards: pd.DataFrame,
    points: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    months: int,
    density: float = 1.0,
) -> Payments:
    """All transactions of the county, in draw order (not sorted; see ``Payments.period``)."""
    starts = month_starts(months)
    nm = len(starts)
    mdays = starts.days_in_month.to_numpy()
    cal = starts.month.to_numpy() - 1
    years = starts.year.to_numpy()
    h = cards["hh"].to_numpy()
    nc = len(cards)
    vol = hh["cf_vol"].to_numpy()[h]
    shape = 1 / vol**2
    act = rng.gamma(shape[:, None], (1 / shape)[:, None], (nc, nm))
    act *= rng.random((nc, nm)) > np.clip(0.02 + 0.5 * vol, 0, 0.85)[:, None]  # idle months
    primary = cards["primary"].to_numpy()
    stress = (hh["expense_ratio"].to_numpy()[h] > 0.9).astype(float)
    crop = hh["crop"].to_numpy()[h]
    income = hh["annual_income"].to_numpy()[h]
    size = hh["size"].to_numpy()[h]
    land = hh["land_area_mu"].to_numpy()[h]
    migrant = hh["migrant"].to_numpy()[h]
    poor = hh["poor"].to_numpy()[h]
    parts: list[dict[str, np.ndarray]] = []

    def stream(lam: np.ndarray, ttype: int, bill: int, direction: int, amount: Amounts) -> None:
        counts = rng.poisson(np.clip(lam, 0, None) * density)
        c, m = np.nonzero(counts)
        reps = counts[c, m]
        c, m = np.repeat(c.astype(np.int32), reps), np.repeat(m.astype(np.int8), reps)
        parts.append(
            {
                "card": c,
                "month": m,
                "txn_type": np.full(len(c), ttype, np.int8),
                "bill": np.full(len(c), bill, np.int8),
                "dir": np.full(len(c), direction, np.int8),
                "amount": np.asarray(amount(c, m), dtype=float),
            }
        )

    def cash(c: np.ndarray, m: np.ndarray) -> np.ndarray:
        raw = np.exp(rng.normal(np.log(320), 0.65, len(c)))
        step = np.where(rng.random(len(c)) < 0.6, 100, 10)
        return np.clip(np.round(raw / step) * step, 10, DAILY_LIMIT)

    stream(0.18 * act * (1 + 0.6 * stress[:, None]), 0, 0, 2, cash)
    stream(0.13 * act * (1 + 0.5 * stress[:, None]), 1, 0, 0, lambda c, m: np.zeros(len(c)))
    pays = primary & (rng.random(nc) < 0.16)
    summer = np.isin(cal, [5, 6, 7, 8]) * 0.6 + 1
    stream(
        np.outer(pays, np.ones(nm)) * 0.85 * (act > 0),
        2,
        1,
        2,
        lambda c, m: np.round(np.exp(rng.normal(np.log(75), 0.35, len(c))) * summer[m], 2),
    )
    water = primary & (rng.random(nc) < 0.08)
    stream(
        np.outer(water, np.ones(nm)) * 0.7 * (act > 0),
        2,
        2,
        2,
        lambda c, m: np.round(rng.uniform(12, 60, len(c)), 2),
    )
    phone = rng.random(nc) < 0.12
    stream(
        np.outer(phone, np.ones(nm)) * 0.8 * (act > 0),
        2,
        3,
        2,
        lambda c, m: rng.choice([30.0, 50.0, 100.0], len(c), p=[0.4, 0.45, 0.15]),
    )
    # 新农合 once a year (Sep–Dec, next year's premium per person); 养老保险 Mar–Jun.
    nhi = primary & (rng.random(nc) < 0.5)
    nhi_month = np.isin(cal, [8, 9, 10, 11]) / 4
    premium = np.where(years >= 2021, 350.0, 320.0)
    stream(np.outer(nhi, nhi_month), 2, 4, 2, lambda c, m: premium[m] * size[c])
    pen = primary & (rng.random(nc) < 0.35)
    stream(
        np.outer(pen, np.isin(cal, [2, 3, 4, 5]) / 4),
        2,
        5,
        2,
        lambda c, m: rng.choice([200.0, 300.0, 500.0, 1000.0], len(c), p=[0.4, 0.3, 0.2, 0.1]),
    )
    # Harvest and livestock sales through the point: a share of the year's income, by season.
    season = np.array([SEASONS[k] for k in crop]) if nc else np.zeros((0, 12))
    weights = season / np.maximum(season.sum(axis=1, keepdims=True), 1e-9)
    # Steady households sell often in small lots; erratic ones in a few large ones.
    per_year = np.where(crop == "个体", 18.0, np.where(crop == "务工", 1.0, 2.5)) * np.clip(
        0.5 / vol, 0.4, 3
    )
    lam_sales = (
        per_year[:, None] * weights[:, cal] * np.where(act > 0, np.sqrt(act), 0) * primary[:, None]
    )
    through = income * rng.uniform(0.15, 0.5, nc) / np.maximum(per_year, 1)
    stream(
        lam_sales,
        3,
        0,
        1,
        lambda c, m: np.round(
            through[c] * np.exp(rng.normal(0, 0.1 + 0.8 * vol[c], len(c))) / density, 0
        ),
    )
    spring = np.isin(cal, [1, 2, 3]) * 0.2
    planting = np.isin(crop, ["水稻", "槟榔", "橡胶", "瓜菜"]) & primary
    stream(
        np.outer(planting, spring) * (act > 0),
        3,
        0,
        2,
        lambda c, m: np.round(np.exp(rng.normal(np.log(1200), 0.5, len(c))), -1),
    )
    # Remittances from family working in the cities; more before the Spring Festival.
    festive = 1 + 0.6 * np.isin(cal, [0, 1])
    stream(
        np.outer(migrant & primary, festive) * 0.6 * (act > 0.2),
        4,
        0,
        1,
        lambda c, m: np.round(np.exp(rng.normal(np.log(2000), 0.35, len(c))), -2),
    )
    # Subsidies: 耕地地力保护补贴 in May–Jun by land; 橡胶 price subsidy Oct–Dec; poverty support.
    stream(
        np.outer(primary, np.isin(cal, [4, 5]) * 0.5),
        5,
        0,
        1,
        lambda c, m: np.round(land[c] * rng.uniform(80, 110, len(c)), 2),
    )
    stream(
        np.outer(primary & (crop == "橡胶"), np.isin(cal, [9, 10, 11]) / 3),
        5,
        0,
        1,
        lambda c, m: np.round(land[c] * rng.uniform(150, 300, len(c)), 0),
    )
    stream(
        np.outer(primary & poor, np.ones(nm)) * 0.25,
        5,
        0,
        1,
        lambda c, m: rng.choice([300.0, 450.0, 600.0], len(c)),
    )

    def column(name: str) -> np.ndarray:
        # one column at a time, dropping the parts' copy: the table is never held twice
        return np.concatenate([p.pop(name) for p in parts])

    card, month, ttype = column("card"), column("month"), column("txn_type")
    bill, direction, amount = column("bill"), column("dir"), column("amount")
    k = len(card)
    # Each per-transaction draw runs over all k transactions in turn, slice by slice.
    month_sec = (starts.to_numpy().astype("datetime64[s]") - _EPOCH).astype(np.int64)
    t = month_sec[month]
    for s in _chunks(k):
        t[s] += (rng.random(s.stop - s.start) * mdays[month[s]]).astype(np.int64) * 86400
    del month
    hours = np.arange(7, 20)
    for s in _chunks(k):
        t[s] += rng.choice(hours, s.stop - s.start, p=_HOUR_P) * 3600
    for s in _chunks(k):
        t[s] += rng.integers(0, 3600, s.stop - s.start)
    home = _home_points(points, regions)[hh["village_idx"].to_numpy()[h]]
    n_points = len(points)
    away = np.empty(k, dtype=bool)  # now and then a card is used at another point of the county
    for s in _chunks(k):
        away[s] = rng.random(s.stop - s.start) < 0.08
    point = np.empty(k, dtype=np.int32)
    for s in _chunks(k):
        point[s] = np.where(away[s], rng.integers(0, n_points, s.stop - s.start), home[card[s]])
    del away
    status = np.zeros(k, dtype=np.int8)  # 0 成功, 1 失败
    for s in _chunks(k):
        tt, sc = ttype[s], stress[card[s]]
        fail_p = np.where(tt == 0, 0.012 + 0.04 * sc, np.where(tt == 1, 0.0, 0.006))
        status[s] = rng.random(s.stop - s.start) < fail_p
    return Payments(t, card, point, ttype, amount, status, bill, direction)


_HOUR_P = np.array([2, 6, 9, 9, 7, 5, 5, 6, 7, 7, 5, 3, 2], dtype=float)
_HOUR_P /= _HOUR_P.sum()


def _enforce_daily_limit(pay: Payments) -> None:
    """Decline (失败) successful withdrawals beyond 1,000 元 per card per day, in time order:
    each withdrawal goes through if the day's accepted total still allows it (``pay`` sorted)."""
    idx = np.flatnonzero((pay.txn_type == 0) & (pay.status == 0))
    if not len(idx):
        return
    key = pay.card[idx].astype(np.int64) * 100000 + pay.time[idx] // 86400
    order = np.argsort(key, kind="stable")  # same-day withdrawals of a card together, in order
    key, idx = key[order], idx[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    rank = np.arange(len(key)) - starts[group]
    amount = pay.amount[idx]
    total = np.zeros(len(starts))
    # Walk the days' withdrawals by rank (rank 0 of every day at once, then rank 1, ...): few
    # cards withdraw more than twice a day, so this is a handful of vector steps.
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
    for j in range(len(bounds) - 1):
        rows = by_rank[bounds[j] : bounds[j + 1]]
        g = group[rows]
        over = total[g] + amount[rows] > DAILY_LIMIT
        pay.status[idx[rows[over]]] = 1
        total[g[~over]] += amount[rows[~over]]
