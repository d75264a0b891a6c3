"""Household features as of a date, from every source, per the catalogue.

``load_county`` reads the SQL tables once; ``build_features`` turns them into one row per 户籍
household for an as-of date (training calls it for several observation dates). Only rows dated
strictly before the as-of date feed a feature. Undated government rows (tax, poverty, residence,
land, exit-entry, insurance) are snapshots of the export and are used as they are: a limit
stated in the model card.

Every feature is defined once, as SQL (``creditfarm.features.engine``): the local engine runs it in
DuckDB, the Spark engine in Spark SQL. ``feature_set`` finishes an engine's rows into the model's
``X`` and the policy's ``meta``, row by row, so a Spark partition finishes its rows the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from creditfarm.features.catalogue import FEATURE_NAMES
from creditfarm.features.engine.local import DuckDBEngine
from creditfarm.features.engine.params import FeatureParams
from creditfarm.features.engine.relations import read_relations
from creditfarm.features.loan_timeline import NPL_DAYS
from creditfarm.features.ordinals import ORDINALS
from creditfarm.ingest.contract import NON_PERFORMING
from creditfarm.policy.config import Policy
from creditfarm.storage import paystore
from creditfarm.workspace import Workspace

__all__ = [
    "CountyData",
    "FeatureEngine",
    "FeatureSet",
    "build_features",
    "data_date",
    "feature_params",
    "feature_set",
    "features_as_of",
    "load_county",
]

PAYMENT_WINDOW_MONTHS = 12
_INDUSTRY = {
    "industry_planting": ("种植",),
    "industry_livestock": ("养殖",),
    "industry_migrant": ("务工",),
    "industry_business": ("个体", "经营", "商"),
}
_YES = {"是", "y", "yes", "true", "1", "在境外"}


_DEFAULT_POOR_STATUSES = ("建档立卡贫困户", "监测户")
_PAYMENT_FEATURES = [n for n in FEATURE_NAMES if n.startswith("pay_")]


class FeatureEngine(Protocol):
    """Runs the feature query: ``DuckDBEngine`` locally, ``SparkEngine`` at province scale."""

    name: str

    def first_payment(self) -> date | None: ...

    def features(self, params: FeatureParams) -> Any: ...


@dataclass
class CountyData:
    """The SQL tables features are built from, read once (Arrow relations, see
    ``creditfarm.features.engine.relations``), with pandas views for labels and fairness."""

    relations: dict[str, pa.Table]
    payments_root: Path
    snapshot: date  # the loan book's export date
    _engine: DuckDBEngine | None = field(default=None, repr=False)

    def _frame(self, name: str) -> pd.DataFrame:
        return self.relations[name].to_pandas()

    @cached_property
    def households(self) -> pd.DataFrame:
        return self._frame("households")

    @cached_property
    def persons(self) -> pd.DataFrame:
        return self._frame("persons")

    @cached_property
    def archives(self) -> pd.DataFrame:
        return self._frame("archives")

    @cached_property
    def loans(self) -> pd.DataFrame:
        return self._frame("loans")

    @cached_property
    def blacklist(self) -> pd.DataFrame:
        return self._frame("blacklist")

    @property
    def members(self) -> pd.DataFrame:
        return self.persons.loc[
            self.persons["household_no"].notna(), ["person_key", "household_no"]
        ]

    def local_engine(self) -> DuckDBEngine:
        """The DuckDB engine over these relations (opened once, reused for every as-of date)."""
        if self._engine is None:
            self._engine = DuckDBEngine(self.relations, self.payments_root)
        return self._engine


@dataclass
class FeatureSet:
    """Model features (``X``, columns = catalogue order) and what the policy rules need (``meta``),
    both indexed by household_no."""

    as_of: date
    X: pd.DataFrame
    meta: pd.DataFrame


def _month_end(d: date) -> date:
    return (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date()


def _latest(table: pa.Table, column: str) -> date | None:
    value = pc.max(table[column]).as_py() if table.num_rows else None
    return value if isinstance(value, date) else None


def _latest_dated_row(relations: dict[str, pa.Table], payments_root: Path) -> date:
    dates = [
        d
        for d in (
            _latest(relations["loans"], "issue_date"),
            _latest(relations["archives"], "filed_date"),
        )
        if d is not None
    ]
    con = paystore.connect(payments_root)
    try:
        last = con.execute("SELECT MAX(txn_time) FROM payments").fetchall()[0]
    finally:
        con.close()
    if last and last[0] is not None:
        dates.append(pd.Timestamp(last[0]).date())
    if not dates:
        raise ValueError("the database holds no loans, archives or payments: import a county first")
    return max(dates)


def data_date(data: CountyData) -> date:
    """The county's data date: county exports are month-end, so the month end of the latest
    dated row (loan issued, archive filed, payment made). The default as-of date."""
    return data.snapshot


def load_county(ws: Workspace, *, snapshot: date | None = None) -> CountyData:
    """Read households, persons, archives, government records, loans and blacklist.

    ``snapshot`` is the loan book's export date (default: the data date, see ``data_date``)."""
    with ws.engine.connect() as conn:
        relations = read_relations(conn)
    root = Path(ws.payments_root)
    if snapshot is None:
        snapshot = _month_end(_latest_dated_row(relations, root))
    return CountyData(relations, root, snapshot)


def feature_params(*, as_of: date, snapshot: date, policy: Policy | None) -> FeatureParams:
    """The feature query's parameters: the as-of date, the policy's lists, the mapping tables."""
    return FeatureParams(
        as_of=as_of,
        snapshot=snapshot,
        ordinals={o.field: o.table for o in ORDINALS.values()},
        industries=_INDUSTRY,
        yes_values=tuple(sorted(_YES)),
        fraud_categories=tuple(policy.vetoes.fraud_categories) if policy else (),
        fraud_record_years=policy.vetoes.fraud_record_years if policy else None,
        poor_statuses=tuple(policy.poverty_product.statuses) if policy else _DEFAULT_POOR_STATUSES,
        non_performing=tuple(NON_PERFORMING),
        npl_days=NPL_DAYS,
        payment_window_months=PAYMENT_WINDOW_MONTHS,
    )


def feature_set(rows: pd.DataFrame, *, as_of: date) -> FeatureSet:
    """An engine's rows (any order, any subset of households) as ``X`` and ``meta`` indexed by
    household_no, sorted."""
    frame = rows.set_index("household_no").sort_index()
    frame.index.name = "household_no"
    for col in _PAYMENT_FEATURES:
        # Parallel SQL aggregation sums floats in no fixed order: the last bits differ from run to
        # run. Rounding makes features (and so the trained model and its version) reproducible.
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float).round(9)
    X = frame[list(FEATURE_NAMES)].astype(float)
    meta = pd.DataFrame(index=frame.index)
    meta["village_code"] = frame["village_code"]
    meta["head_person_key"] = frame["head_person_key"]
    meta["filed"] = frame["filed"].astype(bool)
    meta["filed_date"] = pd.to_datetime(frame["filed_date"]).astype("datetime64[s]")
    meta["thin_file"] = X["loan_count"].eq(0)
    meta["head_age"] = X["head_age"]
    meta["blacklisted"] = X["gov_blacklisted"] > 0
    meta["current_npl"] = frame["current_npl"].astype(bool)
    meta["current_overdue_days"] = frame["current_overdue_days"].astype(int)
    meta["fraud_recent"] = frame["fraud_recent"].astype(bool)
    meta["tax_arrears"] = X["gov_tax_arrears"]
    meta["business_revoked"] = X["gov_business_revoked"] > 0
    meta["abroad_now"] = frame["head_abroad"].astype(bool)
    meta["poverty_status"] = frame["poverty_status"].astype(str)
    meta["poverty_group"] = frame["poverty_group"].astype(str)
    meta["assets"] = X["deposits"].fillna(0) + X["machinery_value"].fillna(0)
    meta["net_income"] = X["net_income"].fillna(0)
    meta["existing_debt"] = X["other_debt"].fillna(0) + X["loan_outstanding"].fillna(0)
    return FeatureSet(as_of=as_of, X=X, meta=meta)


def build_features(
    data: CountyData,
    *,
    as_of: date,
    policy: Policy | None = None,
    engine: FeatureEngine | None = None,
) -> FeatureSet:
    """One row per 户籍 household: catalogue features in ``X``, policy inputs in ``meta``
    (``engine``: default the local DuckDB engine over ``data``)."""
    runner = engine or data.local_engine()
    params = feature_params(as_of=as_of, snapshot=data.snapshot, policy=policy)
    params = params.with_payment_span(runner.first_payment())
    rows = runner.features(params)
    if not isinstance(rows, pd.DataFrame):  # a Spark DataFrame: gathered for one machine
        rows = rows.toPandas()
    return feature_set(rows, as_of=as_of)


def features_as_of(ws: Workspace, *, as_of: date) -> FeatureSet:
    """Features of every 户籍 household as of ``as_of`` (reads the database once)."""
    return build_features(load_county(ws), as_of=as_of, policy=ws.policy)
