"""``creditfarm evaluate`` on a bank's own table: numeric and text columns, gaps, text labels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from creditfarm.cli import app
from creditfarm.model.evaluate import TableError, evaluate_table, prepare_table


def _table(n: int = 600, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.uniform(1, 10, n)
    grade = rng.choice(["好", "一般", "差"], n)
    logit = -2.0 - 0.5 * (income - 5) + np.where(grade == "差", 1.5, 0.0)
    bad = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "客户号": [f"C{i:04d}" for i in range(n)],
            "收入(万元)": income.round(2).astype(str),
            "评议": grade,
            "状态": np.where(bad, "违约", "正常"),
        }
    )
    frame.loc[::17, "收入(万元)"] = ""  # gaps
    frame.loc[::23, "评议"] = "-"
    return frame


@pytest.mark.slow
def test_evaluate_cli_json(tmp_path):
    path = tmp_path / "bank.csv"
    _table().to_csv(path, index=False, encoding="gb18030")
    out = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--table",
            str(path),
            "--label",
            "状态",
            "--bad",
            "违约",
            "--id",
            "客户号",
            "--folds",
            "3",
            "--format",
            "json",
        ],
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["folds"] == 3
    assert set(result["model"]) == {"auc", "ks"} and set(result["baseline"]) == {"auc", "ks"}
    # income and the committee view drive risk by construction
    assert result["model"]["auc"] > 0.65 and result["baseline"]["auc"] > 0.65


@pytest.mark.slow
def test_evaluate_parquet_with_numeric_label(tmp_path):
    frame = _table()
    frame["y"] = (frame.pop("状态") == "违约").astype(int)
    path = tmp_path / "bank.parquet"
    frame.to_parquet(path)
    result = evaluate_table(path, label="y", id_col="客户号", folds=3)
    assert result.rows == len(frame) and result.bads == int(frame["y"].sum())
    assert len(result.per_fold) == 3
    # each fold names the candidate its inner cross-validation chose
    assert all(isinstance(f["choice"], str) and f["choice"] for f in result.per_fold)
    # the reported figures are the fold means
    assert result.model["auc"] == pytest.approx(
        np.mean([f["model"]["auc"] for f in result.per_fold])
    )


def test_prepare_table_types_and_errors():
    frame = pd.DataFrame({"a": ["1", "", "3,000"], "t": ["x", "y", "无"], "y": ["0", "1", "0"]})
    X, y = prepare_table(frame, label="y", source="t.csv")
    assert list(y) == [0, 1, 0]
    assert X["f000"].tolist()[0] == 1.0 and np.isnan(X["f000"].tolist()[1])
    assert X["f000"].tolist()[2] == 3000.0
    assert str(X["f001"].dtype) == "category" and pd.isna(X["f001"].iloc[2])
    assert X.attrs["columns"] == {"f000": "a", "f001": "t"}
    # row 3 of the data is line 4 of the file (line 1 is the header)
    odd = frame.assign(y=["0", "1", "maybe"])
    with pytest.raises(TableError, match=r"t\.csv, line 4, column 'y'"):
        prepare_table(odd, label="y", source="t.csv")
    with pytest.raises(TableError, match="label is missing"):
        prepare_table(frame.assign(y=["0", "", "1"]), label="y", source="t.csv")
    with pytest.raises(TableError, match="no column 'z'"):
        prepare_table(frame, label="z", source="t.csv")
    with pytest.raises(TableError, match="only one class"):
        prepare_table(frame, label="y", bad="违约", source="t.csv")


def test_evaluate_cli_reports_bad_input(tmp_path):
    path = tmp_path / "bank.csv"
    _table().to_csv(path, index=False)
    runner = CliRunner()
    missing = runner.invoke(app, ["evaluate", "--table", str(path), "--label", "nope"])
    assert missing.exit_code != 0 and "no column 'nope'" in missing.output
    folds = runner.invoke(
        app, ["evaluate", "--table", str(path), "--label", "状态", "--bad", "违约", "--folds", "1"]
    )
    assert folds.exit_code != 0 and "--folds" in folds.output
    absent = runner.invoke(app, ["evaluate", "--table", str(tmp_path / "x.csv"), "--label", "y"])
    assert absent.exit_code != 0 and "not found" in absent.output


@pytest.mark.slow
def test_trees_rank_at_least_as_well_when_risk_is_an_interaction(tmp_path):
    """Risk lives in an interaction the additive scorecard cannot express: migrant workers
    (务工) are risky only when their income is low, farmers only when it is high. By
    construction the LightGBM pipeline must rank at least as well on the same folds."""
    rng = np.random.default_rng(11)
    n = 3000
    income = rng.uniform(0, 10, n)
    industry = rng.choice(["务工", "种植"], n)
    risky = np.where(industry == "务工", income < 5, income >= 5)
    bad = rng.uniform(size=n) < np.where(risky, 0.25, 0.03)
    path = tmp_path / "interaction.csv"
    pd.DataFrame({"income": income.round(3), "industry": industry, "bad": bad.astype(int)}).to_csv(
        path, index=False
    )
    result = evaluate_table(path, label="bad", folds=3)
    # within each industry the scorecard's income bins point both ways and cancel out, so it is
    # near chance; the trees split on industry then income
    assert result.baseline["auc"] < 0.65
    assert result.model["auc"] >= result.baseline["auc"] + 0.1
