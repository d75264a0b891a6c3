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


def test_waterfall_starts_at_the_base_score_in_points():
    steps = [
        {"label": "基准分", "kind": "base", "points": 50.0},
        {"label": "月均资金流入", "kind": "feature", "points": -5.5},
        {"label": "承包地面积", "kind": "feature", "points": 2.0},
        {"label": "村级背景", "kind": "context", "points": -1.0},
        {"label": "本户评分", "kind": "total", "points": 45.5},
    ]
    fig = charts.waterfall(steps)
    bar = fig.data[0]
    assert list(bar.x) == ["月均资金流入", "承包地面积", "村级背景", "本户评分"]
    assert bar.base == 50.0  # the bars start at the base score, not at zero
    assert list(bar.measure) == ["relative", "relative", "relative", "total"]
    assert list(bar.y[:3]) == [-5.5, 2.0, -1.0]
    # the running score passes 50 → 44.5 → 46.5 → 45.5; the axis spans 44.5..50 padded by
    # max(2, 0.15 · 5.5 = 0.825) = 2 on each side: 42.5..52, far from zero
    assert list(fig.layout.yaxis.range) == pytest.approx([42.5, 52.0])
    assert list(bar.text) == ["-5.5", "+2.0", "-1.0", "45.5"]
    assert "Noto Sans CJK SC" in fig.layout.font.family
    with pytest.raises(ValueError, match="base step"):
        charts.waterfall(steps[1:])


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
