"""The Spark engine gives the local engine's features, scores and rates (pyspark, local[2]).

One Spark session for the module (starting the JVM is most of the cost); the committed model
(models/<version>/, trained on the sample county) scores both runs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd
import pytest
from sqlalchemy import select
from sqlmodel import col

from creditfarm.features.build import build_features
from creditfarm.features.engine.spark import spark_county, spark_session
from creditfarm.reports.rates import rates
from creditfarm.scoring.run import score_households
from creditfarm.scoring.spark import score_on_spark
from creditfarm.storage.models import Assessment
from creditfarm.workspace import Workspace, open_workspace
from tests.conftest import make_settings
from tests.helpers.feature_oracle import assert_same_features, make_edge_county
from tests.helpers.paths import ROOT as REPO
from tests.helpers.paths import SAMPLE_DATA

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]

MODEL = (REPO / "models" / "LATEST").read_text(encoding="utf-8").strip()


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    session = spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from creditfarm.ingest import ingest_folder

    tmp = tmp_path_factory.mktemp("spark-county")
    ws = open_workspace(make_settings(tmp))
    ingest_folder(ws, SAMPLE_DATA)
    shutil.copytree(REPO / "models" / MODEL, Path(ws.model_dir) / MODEL)
    return ws


def test_spark_features_equal_the_local_features_on_the_sample_county(spark, county):
    data, engine = spark_county(county, spark)
    for when in (date(2021, 6, 30), data.snapshot):
        got = build_features(data, as_of=when, policy=county.policy, engine=engine)
        want = build_features(data, as_of=when, policy=county.policy)
        assert_same_features(got, want, tol=1e-9)
        assert got.meta["filed"].sum() == want.meta["filed"].sum() > 1500


def test_spark_features_equal_the_local_features_on_edge_cases(spark, tmp_path):
    ws = open_workspace(make_settings(tmp_path))
    make_edge_county(ws)
    data, engine = spark_county(ws, spark)
    for when in (date(2021, 6, 30), date(2022, 6, 30)):
        got = build_features(data, as_of=when, policy=ws.policy, engine=engine)
        assert_same_features(got, build_features(data, as_of=when, policy=ws.policy), tol=1e-9)


def _assessments(ws: Workspace) -> pd.DataFrame:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Assessment).order_by(col(Assessment.id))).mappings().all()
    return pd.DataFrame([dict(r) for r in rows])


def test_spark_scores_and_rates_equal_the_local_run(spark, county):
    local = score_households(county, model_version=MODEL)
    local_rates = rates(county, level="village")
    n = local.households
    on_spark = score_on_spark(county, model_version=MODEL, spark=spark)
    spark_rates = rates(county, level="village")  # the Spark run is now the current one

    assert (on_spark.households, on_spark.pre_credited, on_spark.vetoed) == (
        local.households,
        local.pre_credited,
        local.vetoed,
    )
    assert (on_spark.credit_households, on_spark.thin_files) == (
        local.credit_households,
        local.thin_files,
    )
    assert on_spark.explained and n > 2000
    stored = _assessments(county)
    assert len(stored) == 2 * n
    a = stored.iloc[:n].set_index("household_no").sort_index()
    b = stored.iloc[n:].set_index("household_no").sort_index()
    assert list(a.index) == list(b.index)
    assert (a["probability"] - b["probability"]).abs().max() <= 1e-9
    for column in ("grade", "pre_credit_limit", "pre_credited", "credit_household", "thin_file"):
        assert a[column].tolist() == b[column].tolist(), column
    assert a["vetoes"].tolist() == b["vetoes"].tolist()
    assert a["caps"].tolist() == b["caps"].tolist()
    for hh in a.index:
        fa, fb = a.at[hh, "features"], b.at[hh, "features"]
        assert fa.keys() == fb.keys()
        for name, value in fa.items():
            other = fb[name]
            assert (value is None and other is None) or abs(value - other) <= 1e-9, (hh, name)
        ca, cb = a.at[hh, "contributions"], b.at[hh, "contributions"]
        assert ca.keys() == cb.keys()
        assert max(abs(ca[k] - cb[k]) for k in ca) <= 1e-9
        # Reasons compare the household with its village: Spark scores whole villages together.
        assert a.at[hh, "reasons"] == b.at[hh, "reasons"]
    pd.testing.assert_frame_equal(spark_rates, local_rates)
    assert local_rates["pre_credited"].sum() == local.pre_credited
