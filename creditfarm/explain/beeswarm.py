"""The model's beeswarm (shap library) saved as a PNG whose Chinese labels use a CJK font."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from creditfarm.display.charts import use_cjk_font
from creditfarm.explain.catalogue import feature_infos
from creditfarm.explain.contributions import BASE

__all__ = ["GlyphMissingError", "save_beeswarm"]


class GlyphMissingError(RuntimeError):
    """matplotlib could not draw a character of the chart with its font."""


def save_beeswarm(
    contrib: pd.DataFrame,
    values: pd.DataFrame,
    path: Path,
    *,
    max_display: int = 15,
    title: str = "各因素对违约风险的影响（每点一户；右移 = 降低评分）",
) -> Path:
    """Beeswarm of ``contrib`` (households × features, log-odds) coloured by ``values``.

    Raises ``CjkFontMissingError`` without the CJK font and ``GlyphMissingError`` when a
    character could not be drawn, so an unreadable image is never produced silently.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import shap

    use_cjk_font()
    feats = [c for c in contrib.columns if c != BASE]
    infos = feature_infos(feats)
    data = values.reindex(index=contrib.index, columns=feats).apply(pd.to_numeric, errors="coerce")
    base = contrib[BASE].to_numpy(dtype=float) if BASE in contrib else np.zeros(len(contrib))
    explanation = shap.Explanation(
        values=contrib[feats].to_numpy(dtype=float),
        base_values=base,
        data=data.to_numpy(dtype=float),
        feature_names=[infos[f].zh for f in feats],
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shap.plots.beeswarm(
            explanation, max_display=max_display, show=False, color_bar_label="因素取值"
        )
        fig = plt.gcf()
        main_ax, *others = fig.axes
        main_ax.set_xlabel("对违约对数几率的贡献（SHAP 值）")
        for ax in others:  # shap's colour bar: English High / Low ticks
            ax.set_yticks(ax.get_yticks(), ["低", "高"][: len(ax.get_yticks())])
        fig.suptitle(title)
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise GlyphMissingError(f"chart {path.name}: {missing[0]}")
    return path
