"""The Chinese model card: figures from metrics.json, the largest feature PSI beside the PD's."""

from __future__ import annotations

import json
from pathlib import Path

from creditfarm.model.artefacts import read_card_zh
from creditfarm.model.card_zh import render_card_zh

METRICS = {
    "as_of": "2022-06-30",
    "horizon_months": 12,
    "observation_dates": ["2020-09-30", "2021-06-30"],
    "out_of_time_date": "2021-06-30",
    "populations": {
        "fitting": {"rows": 800, "bads": 40},
        "held_out": {"rows": 200, "bads": 10},
        "out_of_time": {"rows": 500, "bads": 25, "thin_file_rows": 30, "thin_file_bads": 2},
    },
    "model": {"n": 500, "bads": 25, "auc": 0.8123, "ks": 0.5, "brier": 0.04321, "calibration": []},
    "baseline": {"n": 500, "bads": 25, "auc": 0.79, "ks": 0.45, "brier": 0.045},
    "calibration_method": {"method": "platt", "a": 0.9, "b": -0.1},
    "psi": {
        "score": 0.021,
        "features": {"village_filed_share": 4.9, "loan_count": 0.3, "head_age": 0.12},
        "reference": {"as_of": "2021-06-30", "households": 7},
    },
    "scoring_population": {"households": 10, "filed": 8, "thin_file": 3, "grades": {"AAA": 2}},
}


def test_card_zh_reports_the_largest_feature_psi_beside_the_pd_psi():
    card = render_card_zh(
        version="v1", metrics=METRICS, fingerprint={"loan_book_date": "2022-06-30"}
    )
    assert card.startswith("# 模型卡 — 农户违约模型 `v1`")
    assert "- 违约概率 PSI：**0.021（稳定）**" in card
    # the largest of 4.9 and 0.3, named in Chinese, verdict from the 0.25 cut-off
    assert "- 特征 PSI 最大值：**4.900（显著漂移）**（本村建档率）" in card
    assert "显著漂移的特征：2 个（本村建档率 4.90，不进入模型；历史贷款笔数 0.30）" in card
    # every feature with its verdict: 0.12 lies between the 0.1 and 0.25 cut-offs
    assert "| 户主年龄 | 0.120（需关注） |" in card
    assert "对 2021-06-30（时间外观察日" in card
    # a feature redefined for structural drift says so, with why
    assert "首次贷款距今月数：原不设上限" in card
    assert "| LightGBM 模型 | 500 | 25 | 0.812 | 0.500 | 0.0432 |" in card
    assert "| 其中白户（无贷款记录） | 30 | 2 |" in card


def test_read_card_zh_renders_for_a_version_saved_without_one(tmp_path: Path):
    version = tmp_path / "v0"
    version.mkdir()
    (version / "metrics.json").write_text(json.dumps(METRICS), encoding="utf-8")
    assert "违约概率 PSI" in read_card_zh(tmp_path, "v0")
    (version / "model_card.zh.md").write_text("# 已保存", encoding="utf-8")
    assert read_card_zh(tmp_path, "v0") == "# 已保存"
    assert read_card_zh(tmp_path, "missing") == ""
