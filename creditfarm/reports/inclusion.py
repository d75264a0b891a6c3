"""The inclusive-finance index (普惠金融指数) per village, town and county and per month.

Method (docs/index.md has the full text and the reasons):

1. **Indicators** — defined once in the catalogue ``creditfarm/policy/indicators.toml``; each is
   a ratio of two counts per village (``FORMULAS`` names them), so a town or the county sums
   its villages' numerators and denominators. Month-end values come from the data's own dates:
   payments in the 12 calendar months to the month end, archives filed by it, loans outstanding
   at its close (``features.loan_timeline`` dates their overdue spells and repayments), points
   opened by it, assessments dated by it. Filing and pre-credit reuse the households
   ``reports.rates.household_status`` counts as filed / pre-credited.
2. **Normalisation** — Sarma's fixed bounds from the catalogue: ``x = (v - lower) / (upper -
   lower)`` (``upper - v`` for "lower is better"), clipped to [0, 1].
3. **Dimension scores** — the weighted mean of a dimension's normalised indicators that have a
   value (a village without borrowers has no arrears ratio).
4. **Index** — Sarma (2008): ``d_i = w_i * D_i``, ``IFI = 1 - sqrt(sum (w_i - d_i)^2) /
   sqrt(sum w_i^2)`` over the dimensions with a score, the weights ``w_i`` from policy
   ``[index]``.
5. **Decomposition** — ``1 - IFI`` splits exactly into one shortfall per dimension,
   ``(w_i - d_i)^2 / (||w - d|| * ||w||)``, and each dimension's shortfall into its indicators
   in proportion to ``weight_k * (1 - x_k)``; between two months the index moves by minus the
   change of the shortfalls, so every indicator's part of a move is known.
6. **Balance** — across the villages of a month: the coefficient of variation of the index and
   Theil's T, split into within-town and between-town parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import text

from creditfarm.access import Permission, Principal, require
from creditfarm.display.formatting import fmt_pct
from creditfarm.features.loan_timeline import dated_loans, days_overdue_at, outstanding_at
from creditfarm.policy.indicators import DIMENSIONS, Catalogue, Indicator, default_catalogue
from creditfarm.reports.indicators import (
    INACTIVE_POINT_STATUSES,
    insured_households,
    monthly_payments,
)
from creditfarm.reports.rates import LEVELS, Level, household_status
from creditfarm.storage import paystore
from creditfarm.storage.assessments import current_assessments
from creditfarm.workspace import Workspace

__all__ = [
    "COUNT_COLUMNS",
    "FORMULAS",
    "InclusionIndex",
    "balance",
    "change_effects",
    "data_month",
    "fmt_indicator",
    "inclusion_index",
    "month_ends",
    "sarma_index",
    "shortfalls",
    "theil",
]

# indicator key → (numerator, denominator) among the village counts (COUNT_COLUMNS).
FORMULAS: dict[str, tuple[str, str]] = {
    "active_card_share": ("active_card_households", "households"),
    "borrower_share": ("borrowers", "households"),
    "credit_loan_share": ("credit_loan_amount", "loan_amount"),
    "txns_per_household": ("txns", "households"),
    "bill_payments_per_household": ("bill_txns", "households"),
    "service_coverage": ("villages_with_point", "villages"),
    "filing_rate": ("filed", "households"),
    "pre_credit_rate": ("pre_credited", "households"),
    "non_performing_ratio": ("npl_amount", "loan_amount"),
    "borrowers_without_arrears": ("borrowers_without_arrears_n", "borrowers"),
    "credit_household_share": ("credit_households", "households"),
    "insurance_coverage": ("insured_households", "households"),
}
COUNT_COLUMNS = sorted({c for pair in FORMULAS.values() for c in pair})
WINDOW_MONTHS = 12  # the payment indicators count the 12 calendar months to the month end
_AREA = ["code", "name", "town_name"]


def fmt_indicator(indicator: Indicator, value: object) -> str:
    """An indicator's value as the page and the CLI show it: a share as a percentage, a count
    with its unit (``10.16笔/户``), "—" when there is none."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "—"
    if indicator.is_share:
        return fmt_pct(float(value))  # type: ignore[arg-type]
    return f"{float(value):.2f}{indicator.unit}"  # type: ignore[arg-type]


def _read(ws: Workspace, sql: str) -> pd.DataFrame:
    with ws.engine.connect() as conn:
        return pd.read_sql(text(sql), conn)


def _month_end(d: date) -> date:
    return (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date()


def _as_date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return None if pd.isna(stamp) else stamp.date()


def _newest_payment(ws: Workspace) -> date | None:
    con = paystore.connect(ws.payments_root)
    try:
        row = con.execute("SELECT MAX(txn_time) FROM payments").fetchone()
    finally:
        con.close()
    return _as_date(row[0]) if row else None


def _loan_snapshot(ws: Workspace) -> date | None:
    """The loan book's export date by the rule of ``features.build.data_date``: the month end
    of the latest loan issued, archive filed or payment made."""
    row = _read(
        ws,
        "SELECT (SELECT MAX(issue_date) FROM loan) AS loans, "
        "(SELECT MAX(filed_date) FROM archive) AS archives",
    ).iloc[0]
    dates = [d for d in (_as_date(row["loans"]), _as_date(row["archives"])) if d]
    if (paid := _newest_payment(ws)) is not None:
        dates.append(paid)
    return _month_end(max(dates)) if dates else None


def data_month(ws: Workspace) -> date | None:
    """The month end the newest figures stand at: the month of the latest dated row (loan
    issued, archive filed, payment made, assessment as-of); None for an empty workspace."""
    snapshot = _loan_snapshot(ws)
    assessed = _as_date(_read(ws, "SELECT MAX(as_of) AS d FROM assessment")["d"].iloc[0])
    dates = [d for d in (snapshot, assessed) if d is not None]
    return _month_end(max(dates)) if dates else None


def month_ends(last: date, count: int) -> list[date]:
    """``count`` month ends up to the month of ``last``, oldest first."""
    end = pd.Period(last, freq="M")
    return [(end - k).to_timestamp(how="end").date() for k in range(count - 1, -1, -1)]


# --- the village counts per month -----------------------------------------------------------


def _regions(ws: Workspace) -> pd.DataFrame:
    frame = _read(
        ws,
        "SELECT village_code, village_name, town_code, town_name, county_code, county_name "
        "FROM region",
    )
    # Codes as creditfarm.reports.rates fills them: a town is the first 9 digits, a county 6.
    frame["town_code"] = frame["town_code"].fillna(frame["village_code"].str[:9])
    frame["county_code"] = frame["county_code"].fillna(frame["village_code"].str[:6])
    frame["county_name"] = frame["county_name"].fillna("")
    return frame


def _rolling_payments(ws: Workspace, households: pd.DataFrame, months: list[date]) -> pd.DataFrame:
    """Per household and month end: txns, bill_txns and active_card (a card used) in the 12
    calendar months to it."""
    first = pd.Period(months[0], freq="M") - (WINDOW_MONTHS - 1)
    counts = monthly_payments(ws, start=first.to_timestamp(how="start").date(), end=months[-1])
    counts = counts[counts["household_no"].isin(households["household_no"])]
    # Months as integers (year * 12 + month - 1): a window is a range of them.
    index = counts["month"].str[:4].astype(int) * 12 + counts["month"].str[5:7].astype(int) - 1
    frames = []
    for month in months:
        end = month.year * 12 + month.month - 1
        inside = counts[(index > end - WINDOW_MONTHS) & (index <= end)]
        summed = inside.groupby("household_no", as_index=False)[
            ["txns", "card_txns", "bill_txns"]
        ].sum()
        frames.append(summed.assign(month=month))
    columns = ["household_no", "month", "txns", "bill_txns", "active_card"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    out["active_card"] = out["card_txns"] > 0
    return out[columns]


def _loan_state(ws: Workspace, catalogue: Catalogue, months: list[date]) -> pd.DataFrame | None:
    """Per household and month end: borrower, in_arrears, loan_amount, credit_loan_amount,
    npl_amount of the loans outstanding at the month's close (None: no loans)."""
    loans = _read(
        ws,
        "SELECT p.household_no, l.product, l.issue_date, l.maturity_date, l.amount, "
        "l.max_days_overdue, l.classification, l.status FROM loan l "
        "JOIN person p ON p.person_key = l.person_key WHERE p.household_no IS NOT NULL",
    )
    snapshot = _loan_snapshot(ws)
    if loans.empty or snapshot is None:
        return None
    dated = dated_loans(loans, snapshot=snapshot)
    amount = pd.to_numeric(dated["amount"], errors="coerce").fillna(0.0).to_numpy()
    credit = dated["product"].fillna("").isin(catalogue.credit_loan_products).to_numpy()
    npl_event = dated["npl_event"].to_numpy()
    frames = []
    for month in months:
        close = month + timedelta(days=1)  # the state at the close of the month end
        out = outstanding_at(dated, close)
        npl = out & ~np.isnat(npl_event) & (npl_event < np.datetime64(close, "D"))
        overdue = days_overdue_at(dated, close, spell_so_far=False) > 0
        frames.append(
            pd.DataFrame(
                {
                    "household_no": dated["household_no"].to_numpy(),
                    "month": month,
                    "borrower": out,
                    "in_arrears": out & (overdue | npl),
                    "loan_amount": np.where(out, amount, 0.0),
                    "credit_loan_amount": np.where(out & credit, amount, 0.0),
                    "npl_amount": np.where(npl, amount, 0.0),
                }
            )
        )
    per_loan = pd.concat(frames, ignore_index=True)
    return per_loan.groupby(["household_no", "month"], as_index=False).agg(
        borrower=("borrower", "any"),
        in_arrears=("in_arrears", "any"),
        loan_amount=("loan_amount", "sum"),
        credit_loan_amount=("credit_loan_amount", "sum"),
        npl_amount=("npl_amount", "sum"),
    )


def village_counts(
    ws: Workspace,
    *,
    months: list[date],
    villages: set[str] | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """The numerators and denominators of every indicator per village and month end: columns
    month, village_code and ``COUNT_COLUMNS``. ``villages`` keeps only those villages."""
    catalogue = catalogue or default_catalogue()
    regions = _regions(ws)
    if villages is not None:
        regions = regions[regions["village_code"].isin(villages)]
    status = household_status(ws)  # filed / pre-credited as the rates count them
    status = status[status["village_code"].isin(regions["village_code"])].copy()
    first_filed = _read(
        ws,
        "SELECT household_no, MIN(filed_date) AS first_filed FROM archive "
        "WHERE household_no IS NOT NULL GROUP BY household_no",
    )
    status = status.merge(first_filed, on="household_no", how="left")
    status["first_filed"] = pd.to_datetime(status["first_filed"])
    # 信用户 and 预授信 of the current line (an officer's decision where there is one) come with
    # the status; the assessment's date says from which month they count.
    current = current_assessments(ws.engine)[["household_no", "as_of"]]
    status = status.merge(current, on="household_no", how="left")
    status["insured"] = status["household_no"].isin(insured_households(ws))
    status["assessed"] = pd.to_datetime(status["as_of"])

    points = _read(ws, "SELECT village_code, opened_date, status FROM point")
    points = points[~points["status"].fillna("").isin(INACTIVE_POINT_STATUSES)]
    opened = pd.to_datetime(points["opened_date"]).dt.date

    pay = _rolling_payments(ws, status, months)
    loans = _loan_state(ws, catalogue, months)
    rows = []
    for month in months:
        hh = status.assign(month=month)
        stamp = pd.Timestamp(month)
        filed_by = (hh["first_filed"] <= stamp).fillna(False).astype(bool)  # NaT: never
        dated_by = (hh["assessed"] <= stamp).fillna(False).astype(bool)
        hh["filed_m"] = hh["filed"].astype(bool) & filed_by
        hh["pre_m"] = hh["pre_credited"].astype(bool) & dated_by
        hh["credit_m"] = hh["credit_household"].astype(bool) & dated_by
        hh = hh.merge(pay[pay["month"] == month].drop(columns="month"), "left", "household_no")
        if loans is not None:
            lm = loans[loans["month"] == month].drop(columns="month")
            hh = hh.merge(lm, on="household_no", how="left")
        for col in ("txns", "bill_txns", "loan_amount", "credit_loan_amount", "npl_amount"):
            hh[col] = hh[col].fillna(0.0) if col in hh else 0.0
        for col in ("active_card", "borrower", "in_arrears"):
            hh[col] = hh[col].astype("boolean").fillna(False).astype(bool) if col in hh else False
        hh["without_arrears"] = hh["borrower"] & ~hh["in_arrears"]
        counts = hh.groupby("village_code").agg(
            households=("household_no", "size"),
            active_card_households=("active_card", "sum"),
            borrowers=("borrower", "sum"),
            borrowers_without_arrears_n=("without_arrears", "sum"),
            credit_loan_amount=("credit_loan_amount", "sum"),
            loan_amount=("loan_amount", "sum"),
            npl_amount=("npl_amount", "sum"),
            txns=("txns", "sum"),
            bill_txns=("bill_txns", "sum"),
            filed=("filed_m", "sum"),
            pre_credited=("pre_m", "sum"),
            credit_households=("credit_m", "sum"),
            insured_households=("insured", "sum"),
        )
        open_by = opened.isna() | opened.map(lambda d, m=month: d == d and d is not None and d <= m)
        served = set(points.loc[open_by.astype(bool), "village_code"])
        frame = regions[["village_code"]].set_index("village_code").join(counts).fillna(0)
        frame["villages"] = 1
        frame["villages_with_point"] = frame.index.isin(served).astype(int)
        frame["month"] = month
        rows.append(frame.reset_index())
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return out[["month", "village_code", *COUNT_COLUMNS]]


# --- the index -------------------------------------------------------------------------------


def sarma_index(scores: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Sarma's index of rows of dimension scores in [0, 1] (columns = dimensions): ``1 -
    ||w - d|| / ||w||`` with ``d = w * score``, over the dimensions with a score in each row
    (NaN when none has)."""
    w = pd.DataFrame({d: weights[d] for d in scores.columns}, index=scores.index)
    w = w.where(scores.notna())
    gap = (w - w * scores) ** 2
    distance = np.sqrt(gap.sum(axis=1, min_count=1))
    norm = np.sqrt((w**2).sum(axis=1, min_count=1))
    return (1 - distance / norm).astype(float)


def shortfalls(
    normalised: pd.DataFrame, catalogue: Catalogue, weights: Mapping[str, float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(dimension scores, shortfall per indicator) of rows of normalised indicator values
    (columns = indicator keys). The shortfalls of a row sum to ``1 - IFI``."""
    dims = pd.DataFrame(index=normalised.index)
    for d in DIMENSIONS:
        members = catalogue.in_dimension(d)
        a = pd.DataFrame({i.key: i.weight for i in members}, index=normalised.index).where(
            normalised[[i.key for i in members]].notna()
        )
        dims[d] = (a * normalised[[i.key for i in members]]).sum(axis=1, min_count=1) / a.sum(
            axis=1, min_count=1
        )
    w = pd.DataFrame({d: weights[d] for d in DIMENSIONS}, index=dims.index).where(dims.notna())
    gap2 = (w - w * dims) ** 2
    distance = np.sqrt(gap2.sum(axis=1, min_count=1))
    norm = np.sqrt((w**2).sum(axis=1, min_count=1))
    dim_loss = gap2.div(distance * norm, axis=0).where(distance > 0, 0.0)
    loss = pd.DataFrame(index=normalised.index)
    for d in DIMENSIONS:
        members = catalogue.in_dimension(d)
        part = pd.DataFrame(
            {i.key: i.weight * (1 - normalised[i.key]) for i in members}, index=normalised.index
        )
        total = part.sum(axis=1, min_count=1)
        share = part.div(total, axis=0).where(total > 0, 0.0)
        for i in members:
            loss[i.key] = (share[i.key] * dim_loss[d]).where(normalised[i.key].notna())
    return dims, loss


def theil(values: pd.Series) -> float:
    """Theil's T of positive-or-zero values: ``(1/N) sum (y/mu) ln(y/mu)`` (a zero adds 0)."""
    y = values.dropna().to_numpy(dtype=float)
    mu = y.mean() if len(y) else float("nan")
    if not len(y) or mu <= 0:
        return float("nan")
    r = y / mu
    terms = np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)
    return float(terms.mean())


def balance(villages: pd.DataFrame) -> pd.DataFrame:
    """Per month, the spread of the index between villages (rows of ``InclusionIndex.index`` at
    village level): villages, mean, cv (population standard deviation / mean), theil and its
    within-town and between-town parts (they sum to theil)."""
    rows = []
    for month, group in villages.dropna(subset=["ifi"]).groupby("month"):
        y = group["ifi"].astype(float)
        mu = float(y.mean())
        n = len(y)
        between = within = 0.0
        for _, town in group.groupby("town_code"):
            ty = town["ifi"].astype(float)
            mu_g = float(ty.mean())
            s_g = len(ty) * mu_g / (n * mu) if mu > 0 else float("nan")
            if mu_g > 0:
                between += s_g * np.log(mu_g / mu)
                within += s_g * theil(ty)
        rows.append(
            {
                "month": month,
                "villages": n,
                "mean": mu,
                "cv": float(y.std(ddof=0)) / mu if mu > 0 else float("nan"),
                "theil": theil(y),
                "theil_within_towns": within if mu > 0 else float("nan"),
                "theil_between_towns": between if mu > 0 else float("nan"),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "month",
            "villages",
            "mean",
            "cv",
            "theil",
            "theil_within_towns",
            "theil_between_towns",
        ],
    )


@dataclass(frozen=True)
class InclusionIndex:
    """The index of every area at every level and month.

    ``values``: level, month, code, name, town_name, town_code, households and one column per
    indicator key (its value); ``scores``: the same keys normalised to [0, 1]; ``index``: level,
    month, code, name, town_name, town_code, households, usage, access, quality, ifi, weakest
    (the dimension with the lowest score); ``losses``: each indicator's shortfall (summing to
    ``1 - ifi``); ``balance``: per month across villages (see ``balance``)."""

    months: list[date]
    catalogue: Catalogue
    weights: dict[str, float]
    values: pd.DataFrame
    scores: pd.DataFrame
    index: pd.DataFrame
    losses: pd.DataFrame
    balance: pd.DataFrame

    @property
    def month(self) -> date:
        """The newest month."""
        return self.months[-1]

    def previous(self, month: date) -> date | None:
        at = self.months.index(month)
        return self.months[at - 1] if at > 0 else None

    def table(self, level: Level, month: date | None = None) -> pd.DataFrame:
        """The index of ``level``'s areas in ``month`` (default: the newest) with last month's
        (``ifi_last``) and the change, by code."""
        month = month or self.month
        rows = self.index[(self.index["level"] == level) & (self.index["month"] == month)]
        last_month = self.previous(month)
        out = rows.drop(columns=["level"]).copy()
        if last_month is None:
            out["ifi_last"] = np.nan
        else:
            last = self.index[(self.index["level"] == level) & (self.index["month"] == last_month)]
            out = out.merge(
                last[["code", "ifi"]].rename(columns={"ifi": "ifi_last"}), on="code", how="left"
            )
        out["change"] = out["ifi"] - out["ifi_last"]
        return out.sort_values("code").reset_index(drop=True)

    def weakest_first(self, level: Level = "village", month: date | None = None) -> pd.DataFrame:
        """``table`` with ``weakest_score`` (the weakest dimension's score), weakest first."""
        out = self.table(level, month)
        out["weakest_score"] = [
            r[w] if isinstance(w, str) else np.nan
            for r, w in zip(out.to_dict("records"), out["weakest"], strict=True)
        ]
        return out.sort_values(["weakest_score", "ifi", "code"]).reset_index(drop=True)

    def wide(self, level: Level) -> pd.DataFrame:
        """Every month of ``level``'s areas in one table: month, code, name, town_name,
        households, ifi, usage, access, quality, weakest and each indicator's value (by key),
        oldest month first, then by code."""
        keys = [i.key for i in self.catalogue.indicators]
        idx = self.index[self.index["level"] == level]
        vals = self.values[self.values["level"] == level][["month", "code", *keys]]
        out = idx[
            ["month", "code", "name", "town_name", "households", "ifi", *DIMENSIONS, "weakest"]
        ].merge(vals, on=["month", "code"])
        return out.sort_values(["month", "code"]).reset_index(drop=True)

    def trend(self, level: Level) -> pd.DataFrame:
        """Every month's index of ``level``'s areas: month, code, name, ifi and the dimensions."""
        rows = self.index[self.index["level"] == level]
        return rows[["month", "code", "name", "town_name", *DIMENSIONS, "ifi"]].reset_index(
            drop=True
        )

    def _row(self, frame: pd.DataFrame, level: Level, code: str, month: date) -> pd.Series:
        hit = frame[(frame["level"] == level) & (frame["code"] == code) & (frame["month"] == month)]
        if hit.empty:
            raise KeyError(f"no {level} {code} in {month:%Y-%m}")
        return hit.iloc[0]

    def moves(self, level: Level, code: str, month: date | None = None) -> pd.DataFrame:
        """One row per indicator of an area: indicator, code, name_zh, dimension, unit, value,
        value_last, score, score_last, shortfall (its part of ``1 - ifi``) and effect (its part
        of the index's change since last month, ``change_effects``; the effects sum to the
        change, and an indicator that did not move has none)."""
        month = month or self.month
        last = self.previous(month)
        keys = [i.key for i in self.catalogue.indicators]
        now_v = self._row(self.values, level, code, month)
        now_s = self._row(self.scores, level, code, month)
        now_l = self._row(self.losses, level, code, month)
        if last is not None:
            last_v = self._row(self.values, level, code, last)
            last_s = self._row(self.scores, level, code, last)
            effects = change_effects(
                now_s[keys].astype(float), last_s[keys].astype(float), self.catalogue, self.weights
            )
        else:
            last_v = last_s = pd.Series(np.nan, index=keys)
            effects = dict.fromkeys(keys, np.nan)
        rows = [
            {
                "indicator": ind.key,
                "code": ind.code,
                "name_zh": ind.name_zh,
                "dimension": ind.dimension,
                "unit": ind.unit,
                "value": now_v[ind.key],
                "value_last": last_v[ind.key],
                "score": now_s[ind.key],
                "score_last": last_s[ind.key],
                "shortfall": now_l[ind.key],
                "effect": effects[ind.key],
            }
            for ind in self.catalogue.indicators
        ]
        return pd.DataFrame(rows)


def _dimension_parts(
    x: pd.Series, catalogue: Catalogue
) -> tuple[dict[str, float], dict[str, float]]:
    """(dimension score, each indicator's term ``a_k x_k / A``) of one row of normalised values;
    A sums the weights of the indicators with a value."""
    dims: dict[str, float] = {}
    terms: dict[str, float] = {}
    for d in DIMENSIONS:
        members = [i for i in catalogue.in_dimension(d) if not pd.isna(x[i.key])]
        total = sum(i.weight for i in members)
        for i in catalogue.in_dimension(d):
            terms[i.key] = i.weight * float(x[i.key]) / total if i in members else 0.0
        dims[d] = sum(terms[i.key] for i in members) if members else float("nan")
    return dims, terms


def change_effects(
    now: pd.Series, last: pd.Series, catalogue: Catalogue, weights: Mapping[str, float]
) -> dict[str, float]:
    """Each indicator's part of the change of Sarma's index from ``last`` to ``now``
    (normalised values by indicator key).

    With gaps ``g_i = w_i (1 - D_i)`` and ``N = ||g||``, the change is
    ``-(N1 - N0) / ||w|| = sum_i w_i (D1_i - D0_i) (g1_i + g0_i) / ((N1 + N0) ||w||)``, and
    ``D1_i - D0_i`` is the sum of the indicators' terms ``a_k x_k / A``: the parts sum to the
    change exactly and an indicator that did not move has no part. NaN for every indicator
    when a dimension has a score in one month only (the index's norm changed)."""
    d1, t1 = _dimension_parts(now, catalogue)
    d0, t0 = _dimension_parts(last, catalogue)
    keys = [i.key for i in catalogue.indicators]
    if any(pd.isna(d1[d]) != pd.isna(d0[d]) for d in DIMENSIONS):
        return dict.fromkeys(keys, float("nan"))
    present = [d for d in DIMENSIONS if not pd.isna(d1[d])]
    if not present:
        return dict.fromkeys(keys, float("nan"))
    g1 = {d: weights[d] * (1 - d1[d]) for d in present}
    g0 = {d: weights[d] * (1 - d0[d]) for d in present}
    n1 = float(np.sqrt(sum(v * v for v in g1.values())))
    n0 = float(np.sqrt(sum(v * v for v in g0.values())))
    norm = float(np.sqrt(sum(weights[d] ** 2 for d in present)))
    out = dict.fromkeys(keys, 0.0)
    if n1 + n0 == 0:
        return out
    for d in present:
        scale = weights[d] * (g1[d] + g0[d]) / ((n1 + n0) * norm)
        for i in catalogue.in_dimension(d):
            out[i.key] = scale * (t1[i.key] - t0[i.key])
    return out


def _level_frame(counts: pd.DataFrame, regions: pd.DataFrame, level: Level) -> pd.DataFrame:
    merged = counts.merge(regions, on="village_code")
    if level == "village":
        keys = {"code": "village_code", "name": "village_name", "town_name": "town_name"}
        merged = merged.assign(**{k: merged[v] for k, v in keys.items()})
        group_cols = ["month", "code", "name", "town_name", "town_code"]
    elif level == "town":
        merged = merged.assign(code=merged["town_code"], name=merged["town_name"])
        merged["town_name"] = merged["town_name"]
        group_cols = ["month", "code", "name", "town_name", "town_code"]
    else:
        merged = merged.assign(
            code=merged["county_code"], name=merged["county_name"], town_name="", town_code=""
        )
        group_cols = ["month", "code", "name", "town_name", "town_code"]
    return merged.groupby(group_cols, as_index=False, dropna=False)[COUNT_COLUMNS].sum()


def inclusion_index(
    ws: Workspace,
    *,
    principal: Principal,
    month: date | None = None,
    months: int | None = None,
    catalogue: Catalogue | None = None,
) -> InclusionIndex:
    """The index of every village, town and county of the villages ``principal`` covers, for
    ``months`` month ends (default policy ``[index].months``) up to ``month`` (default: the data's
    newest month, ``data_month``). Aggregates only: any role that may see rates may call it."""
    require(principal, Permission.view_rates)
    catalogue = catalogue or default_catalogue()
    missing = [i.key for i in catalogue.indicators if i.key not in FORMULAS]
    if missing:
        raise ValueError(f"the catalogue names indicators with no formula: {', '.join(missing)}")
    last = month or data_month(ws)
    if last is None:
        raise ValueError(
            "no dated data yet (payments, archives, loans or assessments): import first"
        )
    ends = month_ends(last, months or ws.policy.index.months)
    weights: dict[str, float] = {d: ws.policy.index.weight(d) for d in DIMENSIONS}
    villages = None if principal.villages is None else set(principal.villages)
    counts = village_counts(ws, months=ends, villages=villages, catalogue=catalogue)
    regions = _regions(ws)

    values_parts, score_parts, index_parts, loss_parts = [], [], [], []
    for level in LEVELS:
        frame = _level_frame(counts, regions, level)
        area = frame[["month", "code", "name", "town_name", "town_code", "households"]].copy()
        area.insert(0, "level", level)
        values = area.copy()
        for ind in catalogue.indicators:
            num, den = FORMULAS[ind.key]
            values[ind.key] = (frame[num] / frame[den].where(frame[den] > 0)).astype(float)
        scores = area.copy()
        for ind in catalogue.indicators:
            scores[ind.key] = values[ind.key].map(ind.normalise).astype(float)
        keys = [i.key for i in catalogue.indicators]
        dims, loss = shortfalls(scores[keys], catalogue, weights)
        idx = area.copy()
        for d in DIMENSIONS:
            idx[d] = dims[d]
        idx["ifi"] = sarma_index(dims, weights)
        scored = dims.notna().any(axis=1)
        idx["weakest"] = dims.astype(float).fillna(np.inf).idxmin(axis=1).where(scored)
        losses = area.copy()
        for k in keys:
            losses[k] = loss[k]
        values_parts.append(values)
        score_parts.append(scores)
        index_parts.append(idx)
        loss_parts.append(losses)
    index_frame = pd.concat(index_parts, ignore_index=True)
    return InclusionIndex(
        months=ends,
        catalogue=catalogue,
        weights=weights,
        values=pd.concat(values_parts, ignore_index=True),
        scores=pd.concat(score_parts, ignore_index=True),
        index=index_frame,
        losses=pd.concat(loss_parts, ignore_index=True),
        balance=balance(index_frame[index_frame["level"] == "village"]),
    )
