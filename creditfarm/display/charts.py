"""Charts that read Chinese: matplotlib with a CJK font (server-rendered PNG) and Plotly figures
(drawn by the viewer's browser with its own fonts). Shared by the explanations and the UI.

Without a CJK font matplotlib draws 汉字 as empty boxes and only warns; here a missing font is a
clear error instead. The font comes from Debian ``fonts-noto-cjk`` (``make system-deps``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "CJK_FONT",
    "PLOTLY_FONT",
    "CjkFontMissingError",
    "importance_bar",
    "use_cjk_font",
    "village_drivers_bar",
    "waterfall",
]

CJK_FONT = "Noto Sans CJK SC"
# Browsers pick the first family they have.
PLOTLY_FONT = f"{CJK_FONT}, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
_LOWER = "#c0392b"  # factors that lower the score (raise default risk)
_RAISE = "#27ae60"


class CjkFontMissingError(RuntimeError):
    """The CJK font for server-rendered charts is not installed."""


def _find_font(family: str) -> str | None:
    from matplotlib import font_manager

    try:
        return font_manager.fontManager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )
    except ValueError:
        return None


def _add_system_cjk_fonts() -> None:
    """Register installed Noto CJK files with matplotlib's (shared) font manager: its cached
    font list may predate the installation of fonts-noto-cjk."""
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        if "cjk" in Path(path).name.lower():
            font_manager.fontManager.addfont(path)


def use_cjk_font() -> str:
    """Make matplotlib draw with Noto Sans CJK SC; return the font file. Raises
    ``CjkFontMissingError`` when the font is not installed."""
    import matplotlib

    path = _find_font(CJK_FONT)
    if path is None:
        _add_system_cjk_fonts()
        path = _find_font(CJK_FONT)
    if path is None:
        raise CjkFontMissingError(
            f"font {CJK_FONT!r} not found: server-rendered charts would show Chinese as empty "
            "boxes. Install Debian fonts-noto-cjk (make system-deps), then delete "
            "~/.cache/matplotlib/fontlist-*.json"
        )
    sans = [f for f in matplotlib.rcParams["font.sans-serif"] if f != CJK_FONT]
    matplotlib.rcParams["font.sans-serif"] = [CJK_FONT, *sans]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False  # ASCII hyphen-minus: in every font
    return path


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=title,
        font={"family": PLOTLY_FONT},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        showlegend=False,
    )
    return fig


def waterfall(
    steps: Sequence[Mapping[str, Any]],
    *,
    title: str = "本户评分的主要影响因素（分）",
) -> go.Figure:
    """One household in score points, as ``explain`` gives it (``reasons["waterfall"]``): the
    first step is the base score (kind ``base``), the last the household's score (``total``),
    the steps between add points (up, green: raised the score; down, red: lowered it). The bars
    start at the base score and the axis spans only the scores passed through, so a few points
    are not dwarfed by a bar from zero."""
    if len(steps) < 2 or steps[0].get("kind") != "base" or steps[-1].get("kind") != "total":
        raise ValueError("waterfall steps run from a base step to a total step")
    base = float(steps[0]["points"])
    moves = list(steps[1:-1])
    names = [str(s["label"]) for s in moves] + [str(steps[-1]["label"])]
    values = [float(s["points"]) for s in moves] + [0.0]
    running, levels = base, [base]
    for v in values[:-1]:
        running += v
        levels.append(running)
    low, high = min(levels), max(levels)
    pad = max(2.0, 0.15 * (high - low))
    fig = go.Figure(
        go.Waterfall(
            x=names,
            y=values,
            base=base,
            measure=["relative"] * len(moves) + ["total"],
            increasing={"marker": {"color": _RAISE}},
            decreasing={"marker": {"color": _LOWER}},
            totals={"marker": {"color": "#7f8c8d"}},
            text=[f"{v:+.1f}" for v in values[:-1]] + [f"{running:.1f}"],
            textposition="outside",
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    fig.add_hline(
        y=base,
        line={"dash": "dot", "color": "#888"},
        annotation_text=f"基准分 {base:.1f}",
        annotation_position="top left",
    )
    fig.update_yaxes(title="评分（分）", range=[low - pad, high + pad])
    return _layout(fig, title, 420)


def importance_bar(
    importance: pd.DataFrame, *, top: int = 15, title: str = "模型全局重要性（平均|SHAP|）"
) -> go.Figure:
    """``importance``: columns ``name_zh`` and ``mean_abs`` (from ``explain.views``)."""
    data = importance.nlargest(top, "mean_abs").iloc[::-1]
    fig = go.Figure(go.Bar(x=data["mean_abs"], y=data["name_zh"], orientation="h"))
    fig.update_xaxes(title="平均绝对贡献（对数几率）")
    return _layout(fig, title, 60 + 26 * len(data))


def village_drivers_bar(
    drivers: pd.DataFrame, *, top: int = 12, title: str = "本村评分的主要驱动因素"
) -> go.Figure:
    """``drivers``: columns ``name_zh`` and ``mean_contribution`` (from ``explain.views``).
    Positive means lower scores on average in the village (red)."""
    data = drivers.reindex(drivers["mean_contribution"].abs().sort_values().index).tail(top)
    colors = [_LOWER if v > 0 else _RAISE for v in data["mean_contribution"]]
    fig = go.Figure(
        go.Bar(
            x=data["mean_contribution"],
            y=data["name_zh"],
            orientation="h",
            marker={"color": colors},
        )
    )
    fig.update_xaxes(title="平均贡献（正值 = 拉低本村评分）")
    return _layout(fig, title, 60 + 26 * len(data))
