"""Fairness tables: grade shares, mean limit and rates per group, worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from creditfarm.model.fairness import fairness_tables


def test_fairness_tables_by_hand():
    outcomes = pd.DataFrame(
        {
            "grade": ["AAA", "A", "C", "AAA"],
            "limit": [100000.0, 50000.0, 0.0, 90000.0],
            "pre_credited": [True, True, False, True],
            "credit_household": [True, True, False, False],
        },
        index=pd.Index(["H1", "H2", "H3", "H4"], name="household_no"),
    )
    groups = pd.DataFrame(
        {
            "ethnicity": ["黎族", "汉族", "黎族", "汉族"],
            "gender": ["男", "男", "女", "男"],
            "poverty": ["非扶贫户", "监测户", "非扶贫户", "非扶贫户"],
        },
        index=outcomes.index,
    )
    tables = fairness_tables(outcomes, groups)
    li = next(r for r in tables["ethnicity"] if r["group"] == "黎族")
    # 黎族: H1 (AAA, 100,000, pre-credited, 信用户) and H3 (C, 0, neither)
    assert li["households"] == 2
    assert li["mean_limit"] == pytest.approx(50000.0)  # (100,000 + 0) / 2
    assert li["pre_credit_rate"] == pytest.approx(0.5)
    assert li["credit_household_rate"] == pytest.approx(0.5)
    assert (li["grade_AAA"], li["grade_C"], li["grade_A"]) == (0.5, 0.5, 0.0)
    men = next(r for r in tables["gender"] if r["group"] == "男")
    # 男: H1, H2, H4 → limits 240,000 / 3 = 80,000; pre-credited 3/3; 信用户 2/3
    assert men["mean_limit"] == pytest.approx(80000.0)
    assert men["pre_credit_rate"] == 1.0
    assert men["credit_household_rate"] == pytest.approx(2 / 3)
    assert [r["group"] for r in tables["poverty"]] == ["监测户", "非扶贫户"]
