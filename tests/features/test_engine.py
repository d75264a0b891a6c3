"""The feature engine against the pandas feature building it replaced (tests/reference_features.py):
every feature and policy input, on the committed sample county, the small synthetic county and a
county of edge cases, at several as-of dates."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from creditfarm.features.build import build_features, load_county
from creditfarm.features.engine.archive_sql import ordinal_level
from creditfarm.features.engine.dialects import DUCKDB, SPARK
from creditfarm.model.labels import observation_dates
from tests.helpers import reference_features as reference
from tests.helpers.feature_oracle import assert_same_features, make_edge_county
from tests.helpers.paths import SAMPLE_DATA
from tests.helpers.risk_county import make_county


def _compare(ws, dates: list[date]) -> None:
    new, old = load_county(ws), reference.load_county(ws)
    assert new.snapshot == old.snapshot
    for when in dates:
        for policy in (ws.policy, None):
            got = build_features(new, as_of=when, policy=policy)
            want = reference.build_features(old, as_of=when, policy=policy)
            assert_same_features(got, want)


@pytest.mark.slow
def test_engine_matches_the_pandas_features_on_the_sample_county(sqlite_ws):
    from creditfarm.ingest import ingest_folder

    ingest_folder(sqlite_ws, SAMPLE_DATA)
    snapshot = load_county(sqlite_ws).snapshot
    dates = [*observation_dates(snapshot, count=4), snapshot, date(2019, 12, 31)]
    new, old = load_county(sqlite_ws), reference.load_county(sqlite_ws)
    for when in dates:
        got = build_features(new, as_of=when, policy=sqlite_ws.policy)
        want = reference.build_features(old, as_of=when, policy=sqlite_ws.policy)
        # Exactly: the committed model is trained on these values.
        assert_same_features(got, want, tol=0.0)
        assert got.meta["filed"].sum() > 0 and got.X["loan_count"].sum() > 0


def test_engine_matches_the_pandas_features_on_the_model_county(sqlite_ws):
    make_county(sqlite_ws, households=120)
    _compare(sqlite_ws, [date(2020, 9, 30), date(2021, 6, 30), date(2022, 6, 30)])


def test_engine_matches_the_pandas_features_on_edge_cases(ws):
    make_edge_county(ws)
    dates = [date(2019, 12, 31), date(2021, 6, 30), date(2022, 6, 30), date(2024, 2, 29)]
    _compare(ws, dates)


def test_edge_cases_hold_the_values_worked_by_hand(sqlite_ws):
    make_edge_county(sqlite_ws)
    fs = build_features(load_county(sqlite_ws), as_of=date(2022, 6, 30), policy=sqlite_ws.policy)
    X, meta = fs.X, fs.meta
    # 大专及以上 contains 大专 → 4; 评议较好 contains 较好 (tried before 好) → 2; 钢混: no label → 0
    assert X.at["E1", "head_education_level"] == 4
    assert X.at["E1", "village_evaluation_level"] == 2
    assert X.at["E1", "house_type_level"] == 0
    assert X.at["E1", "industry_planting"] == 1 and X.at["E1", "industry_livestock"] == 1
    # 5.1 + 7.2 mu of two members; tax arrears "12.5" is read as a number
    assert X.at["E1", "gov_certified_land_mu"] == pytest.approx(12.3)
    assert X.at["E1", "gov_tax_arrears"] == 12.5
    # both members insured (是, 1) out of two
    assert X.at["E1", "gov_medical_insured_share"] == 1.0
    # head born 1980-06-30: 42 on 2022-06-30
    assert X.at["E1", "head_age"] == 42
    # E2: filed only after the as-of date; no village; head found by relation, without a birth date
    assert not meta.at["E2", "filed"] and pd_isna(X.at["E2", "village_filed_share"])
    assert pd_isna(X.at["E2", "head_age"])
    # E3: the later of two archives; 差 → 0
    assert X.at["E3", "village_evaluation_level"] == 0
    # E4: blacklisted (listed 2021-05-01); poverty 监测户 wins over 已脱贫 for the policy
    assert meta.at["E4", "blacklisted"] and meta.at["E4", "poverty_status"] == "监测户"
    # E6: no member: nothing of anyone else's reaches it
    assert X.at["E6", "gov_blacklisted"] == 0 and X.at["E6", "gov_agri_insured"] == 0


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_ordinal_levels_try_longer_labels_first():
    table = {"好": 3, "较好": 2, "一般": 1, "差": 0}
    expr = ordinal_level(DUCKDB, "v", table)
    relation = duckdb.sql(
        f"SELECT v, {expr} AS level FROM (VALUES ('较好'), ('好'), ('很好'), ('中'), (''), "
        "(NULL)) t(v)"
    )
    assert relation is not None
    rows = relation.fetchall()
    assert rows == [("较好", 2.0), ("好", 3.0), ("很好", 3.0), ("中", 0.0), ("", 0.0), (None, None)]


def test_text_literals_are_escaped_for_each_dialect():
    assert DUCKDB.text("it's") == "'it''s'"
    backslash = "a\\b"
    relation = duckdb.sql(f"SELECT {DUCKDB.text(backslash)}")
    assert relation is not None
    assert relation.fetchall() == [(backslash,)]
    # Spark joins adjacent literals, so a quote is escaped with a backslash.
    assert SPARK.text("it's") == "'it\\'s'"
    assert SPARK.text("a\\b") == "'a\\\\b'"


def test_score_and_train_refuse_an_unknown_engine(sqlite_ws):
    from typer.testing import CliRunner

    from creditfarm.cli import app

    for command in ("score", "train"):
        result = CliRunner().invoke(app, [command, "--engine", "hadoop"])
        assert result.exit_code == 2
        assert "--engine must be local or spark" in result.output
    with pytest.raises(ValueError, match="local or spark"):
        from creditfarm.scoring.run import score_households

        score_households(sqlite_ws, engine="hadoop")
