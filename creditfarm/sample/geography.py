"""The sample county's towns, villages and service points (保亭-like codes, invented names)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

__all__ = ["COUNTY_CODE", "COUNTY_NAME", "make_points", "make_regions"]

COUNTY_CODE = "469029"
COUNTY_NAME = "保亭黎族苗族自治县"
_TOWNS = ("保城镇", "什玲镇", "加茂镇", "响水镇", "新政镇", "三道镇", "六弓乡", "南林乡", "毛感乡")
_HEADS = (
    "什",
    "番",
    "毛",
    "大",
    "新",
    "水",
    "南",
    "西",
    "东",
    "加",
    "抄",
    "界",
    "八",
    "石",
    "响",
    "田",
    "椰",
    "红",
    "金",
    "三",
)
_TAILS = (
    "玲",
    "文",
    "淋",
    "田",
    "兴",
    "尾",
    "坡",
    "林",
    "岭",
    "茂",
    "抗",
    "水",
    "峒",
    "岸",
    "丰",
    "湾",
    "塘",
    "和",
    "安",
    "平",
)


def make_regions(rng: np.random.Generator, n_villages: int) -> pd.DataFrame:
    """Villages with 12-digit codes in 2–3 towns (more towns for large counties), and how far
    each village is from the filing target (``filing_rate``)."""
    n_towns = 3 if n_villages <= 30 else max(3, n_villages // 8)
    town_of = np.sort(rng.integers(0, n_towns, size=n_villages))
    town_of[:n_towns] = np.arange(n_towns)  # every town has a village
    town_of = np.sort(town_of)
    rows = []
    names_used: set[str] = set()
    for i, t in enumerate(town_of):
        town_code = f"{COUNTY_CODE}{100 + t:03d}" if t < 100 else f"{COUNTY_CODE}{t:03d}"
        town_name = _TOWNS[t] if t < len(_TOWNS) else f"第{t + 1}镇"
        seq = int(np.sum(town_of[:i] == t)) + 1
        while True:
            name = str(rng.choice(_HEADS)) + str(rng.choice(_TAILS)) + "村"
            if name[0] != name[1] and (name not in names_used or len(names_used) > 350):
                break
        if name in names_used:
            name = f"{name[:-1]}{seq}村"
        names_used.add(name)
        rows.append(
            {
                "village_code": f"{town_code}{200 + seq:03d}",
                "village_name": name,
                "town_code": town_code,
                "town_name": town_name,
                "county_code": COUNTY_CODE,
                "county_name": COUNTY_NAME,
            }
        )
    regions = pd.DataFrame(rows)
    # Filing progress differs: some villages near the 90% target, some far (~50%).
    kind = rng.choice(3, size=n_villages, p=[0.4, 0.3, 0.3])
    low = np.array([0.90, 0.70, 0.45])[kind]
    high = np.array([0.97, 0.86, 0.60])[kind]
    regions["filing_rate"] = rng.uniform(low, high)
    return regions


def make_points(
    rng: np.random.Generator, regions: pd.DataFrame, operators: np.ndarray
) -> pd.DataFrame:
    """Service points: most villages one, some two, a few none (村村有服务 not yet reached)."""
    n = len(regions)
    per_village = rng.choice([0, 1, 2], size=n, p=[0.15, 0.75, 0.10])
    per_village[0] = max(per_village[0], 1)  # the county seat always has one
    village_idx = np.repeat(np.arange(n), per_village)
    k = len(village_idx)
    opened = pd.to_datetime(date(2012, 1, 1)) + pd.to_timedelta(
        rng.integers(0, 365 * 8, size=k), unit="D"
    )
    status = np.where(rng.random(k) < 0.95, "正常", "暂停")
    return pd.DataFrame(
        {
            "point_id": [f"{COUNTY_CODE}ZN{i + 1:04d}" for i in range(k)],
            "village_code": regions["village_code"].to_numpy()[village_idx],
            "opened_date": opened.date,
            "operator": operators[rng.integers(0, len(operators), size=k)],
            "status": status,
            "village_idx": village_idx,
        }
    )
