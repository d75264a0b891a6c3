"""Charts read Chinese: matplotlib draws with a CJK font (no missing glyphs), Plotly figures
carry the numbers and labels they are given."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager

from creditfarm.display import charts
from creditfarm.explain import drivers_by_grade, global_importance
from creditfarm.explain.beeswarm import save_beeswarm


def test_matplotlib_uses_a_cjk_font_and_draws_every_glyph(tmp_path):
    path = charts.use_cjk_font()
    assert "NotoSansCJK" in path.replace(" ", "")
    fig, ax = plt.subplots()
    title = ax.set_title("月均资金流入：高于本村 80% 的农户")
    ax.set_xlabel("违约对数几率")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "cjk.png")
    plt.close(fig)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    used = font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)
    assert font_manager.get_font(used).family_name == "Noto Sans CJK SC" or "CJK" in used


def test_font_list_cached_before_the_font_was_installed(monkeypatch):
    manager = font_manager.fontManager
    without_cjk = [f for f in manager.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(manager, "ttflist", without_cjk)
    # findfont's private cache: matplotlib's type stubs do not declare it
    manager._findfont_cached.cache_clear()  # type: ignore[attr-defined]
    try:
        path = charts.use_cjk_font()
        assert "NotoSansCJK" in path
    finally:
        manager._findfont_cached.cache_clear()  # type: ignore[attr-defined]


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(charts, "CJK_FONT", "No Such Font CJK")
    monkeypatch.setattr(charts, "_add_system_cjk_fonts", lambda: None)
    with pytest.raises(charts.CjkFontMissingError, match="fonts-noto-cjk"):
        charts.use_cjk_font()


@pytest.mark.slow
def test_beeswarm_png_with_chinese_labels(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    contrib = pd.DataFrame(
        {
            "pay_inflow_month_mean": rng.normal(0, 0.5, n),
            "land_area_mu": rng.normal(0, 0.1, n),
            "_base": -2.0,
        }
    )
    values = pd.DataFrame(
        {"pay_inflow_month_mean": rng.uniform(0, 9000, n), "land_area_mu": rng.uniform(0, 20, n)}
    )
    out = save_beeswarm(contrib, values, tmp_path / "bee.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def test_waterfall_goes_from_base_to_raw_output():
    contributions = {"a": 0.5, "b": -0.2, "c": 0.05, "d": 0.01, "_base": -2.0}
    fig = charts.waterfall(contributions, labels={"a": "月均资金流入"}, top=2)
    bar = fig.data[0]
    assert list(bar.x) == ["基准值", "月均资金流入", "b", "其他因素", "本户合计"]
    # other = 0.05 + 0.01 = 0.06; total = -2.0 + 0.5 - 0.2 + 0.05 + 0.01 = -1.64
    assert bar.y[3] == pytest.approx(0.06)
    assert bar.y[-1] == pytest.approx(-1.64)
    assert list(bar.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert "Noto Sans CJK SC" in fig.layout.font.family


def test_importance_and_village_bars():
    contrib = pd.DataFrame(
        {"pay_inflow_month_mean": [0.4, -0.6], "land_area_mu": [0.1, 0.1], "_base": [-2.0, -2.0]}
    )
    imp = global_importance(contrib)
    # mean |.|: inflow (0.4 + 0.6) / 2 = 0.5; land 0.1; shares 0.5/0.6 and 0.1/0.6
    assert list(imp["name_zh"]) == ["月均资金流入", "承包地面积"]
    assert imp["share"].tolist() == pytest.approx([0.5 / 0.6, 0.1 / 0.6])
    fig = charts.importance_bar(imp)
    assert list(fig.data[0].y) == ["承包地面积", "月均资金流入"]  # largest drawn on top
    drivers = imp.assign(mean_contribution=[-0.3, 0.1])
    fig = charts.village_drivers_bar(drivers)
    # smallest |mean| drawn first (bottom): land 0.1 lowers scores (red), inflow -0.3 raises
    assert list(fig.data[0].y) == ["承包地面积", "月均资金流入"]
    assert list(fig.data[0].marker.color) == ["#c0392b", "#27ae60"]


def test_drivers_by_grade_by_hand():
    contrib = pd.DataFrame(
        {"pay_inflow_month_mean": [0.6, 0.2, -0.5], "land_area_mu": [0.0, 0.1, 0.2], "_base": -2.0}
    )
    table = drivers_by_grade(contrib, pd.Series(["C", "C", "AA"]), order=["AAA", "AA", "C"])
    assert list(table.columns) == ["feature", "name_zh", "AA", "C"]
    row = table.set_index("feature").loc["pay_inflow_month_mean"]
    # C: (0.6 + 0.2) / 2 = 0.4; AA: -0.5
    assert row["C"] == pytest.approx(0.4) and row["AA"] == pytest.approx(-0.5)
