"""Each household's situation: industry, crops, land, income, expenses, debts, and the latent
risk that drives its loan outcomes. Ethnicity and gender play no part in any of it."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CROPS", "make_finances", "risk_logit"]

# Primary activity → how money comes in (the payment generator reads these keys).
CROPS = ("水稻", "槟榔", "橡胶", "瓜菜", "养殖", "务工", "个体")
_INDUSTRY = {
    "水稻": "种植",
    "槟榔": "种植",
    "橡胶": "种植",
    "瓜菜": "种植",
    "养殖": "养殖",
    "务工": "务工",
    "个体": "个体经营",
}
_CROP_P = (0.16, 0.22, 0.20, 0.08, 0.14, 0.14, 0.06)
_SECOND = np.array(["", "水稻", "槟榔", "橡胶", "瓜菜", "益智", "红毛丹"])
_EDU = np.array(["文盲", "小学", "初中", "高中", "中专", "大专及以上"])
_EDU_P = (0.05, 0.35, 0.40, 0.11, 0.06, 0.03)
_HOUSE = np.array(["砖混", "钢混", "砖木", "土木"])
_HOUSE_P = (0.55, 0.15, 0.20, 0.10)


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9)


def make_finances(
    rng: np.random.Generator, hh: pd.DataFrame, persons: pd.DataFrame
) -> pd.DataFrame:
    """Adds the household's economy and latent traits as columns of ``hh`` (returns a copy)."""
    hh = hh.copy()
    n = len(hh)
    crop = rng.choice(CROPS, size=n, p=_CROP_P)
    hh["crop"] = crop
    hh["main_industry"] = pd.Series(crop).map(_INDUSTRY).to_numpy()
    second = _SECOND[rng.integers(0, len(_SECOND), n)]
    planted = np.isin(crop, ["水稻", "槟榔", "橡胶", "瓜菜"])
    main_crops = np.where(planted, crop, np.where(crop == "养殖", "生猪", ""))
    extra = (second != "") & (second != crop)
    hh["main_crops"] = np.where(
        extra & (main_crops != ""),
        np.char.add(np.char.add(main_crops.astype(str), "、"), second.astype(str)),
        np.where(main_crops == "", second, main_crops),
    )
    age = persons["age"].to_numpy()
    working = ((age >= 18) & (age <= 60)).astype(int)
    hh["labor_count"] = np.bincount(persons["hh"].to_numpy(), weights=working, minlength=n).astype(
        int
    )
    hh["head_education"] = rng.choice(_EDU, size=n, p=_EDU_P)
    hh["house_type"] = rng.choice(_HOUSE, size=n, p=_HOUSE_P)

    # latent traits: u = character/discipline (unobserved), poverty, cash-flow volatility
    u = rng.normal(0, 1, n)
    hh["u"] = u
    poor = rng.random(n) < 0.10
    hh["poor"] = poor
    land = np.exp(rng.normal(np.log(6.0), 0.6, n)) * np.where(crop == "务工", 0.5, 1.0)
    hh["land_area_mu"] = np.round(land, 1)
    big = planted & (rng.random(n) < 0.12)
    hh["transferred_in_mu"] = np.where(big, np.round(rng.uniform(5, 60, n), 1), 0.0)
    hh["livestock_units"] = np.where(crop == "养殖", rng.integers(5, 60, n), rng.integers(0, 4, n))
    base = np.exp(rng.normal(np.log(42000), 0.40, n))
    income = base * (1 + 0.04 * (hh["land_area_mu"] + hh["transferred_in_mu"] - 6)).clip(0.6, 3.5)
    income *= np.where(crop == "个体", 1.5, 1.0) * np.where(poor, 0.45, 1.0)
    income *= 0.7 + 0.15 * hh["labor_count"].clip(0, 4)
    hh["annual_income"] = np.round(income, -2)
    ratio = np.clip(rng.normal(0.72, 0.14, n) + 0.06 * u, 0.35, 1.4)
    hh["expense_ratio"] = ratio
    hh["annual_expense"] = np.round(income * ratio, -2)
    hh["deposits"] = np.round(
        income * np.exp(rng.normal(np.log(0.35), 0.8, n)) * (1.3 - ratio).clip(0.1), -2
    )
    has_debt = rng.random(n) < 0.4 + 0.15 * (ratio > 0.85)
    hh["other_debt"] = np.where(
        has_debt, np.round(np.exp(rng.normal(np.log(18000), 0.8, n)), -3), 0.0
    )
    hh["machinery_value"] = np.where(
        rng.random(n) < 0.45, np.round(np.exp(rng.normal(np.log(6000), 0.9, n)), -2), 0.0
    )
    # cash-flow volatility: visible in the payment flows; steadier households repay better
    hh["cf_vol"] = np.clip(rng.gamma(4.0, 0.12, n) + 0.08 * u, 0.15, 1.6)
    hh["migrant"] = (crop == "务工") | (rng.random(n) < 0.05)
    moved = rng.random(n) < 0.012
    hh["residence"] = np.where(moved, "迁出", np.where(hh["migrant"], "外出务工", "常住"))
    hh["months_away"] = np.where(
        hh["residence"] == "外出务工", rng.integers(4, 12, n), np.where(moved, 12, 0)
    )
    crim_p = 1 / (1 + np.exp(-(-4.7 + 0.7 * u)))
    hh["criminal"] = rng.random(n) < crim_p
    # village committee's view of the household: mostly reflects character, with noise
    view = -0.8 * u + rng.normal(0, 0.7, n) - 1.0 * hh["criminal"]
    hh["village_evaluation"] = np.select(
        [view > 0.6, view > -0.4, view > -1.3], ["好", "较好", "一般"], "差"
    )
    hh["risk"] = risk_logit(hh)
    return hh


def risk_logit(hh: pd.DataFrame) -> np.ndarray:
    """The household part of the log-odds of a loan going bad (zero-mean-ish, no intercept).

    Drivers as in rural portfolios: spending most of income, debt load, erratic cash flow,
    character (partly seen by the village committee and in past loans), criminal record,
    having moved away; more land lowers risk. Never ethnicity or gender."""
    debt_load = np.log1p(hh["other_debt"].to_numpy() / hh["annual_income"].to_numpy())
    land = np.log1p(hh["land_area_mu"].to_numpy() + hh["transferred_in_mu"].to_numpy())
    return (
        0.75 * _z(hh["expense_ratio"].to_numpy())
        + 0.40 * _z(debt_load)
        + 0.55 * _z(hh["cf_vol"].to_numpy())
        + 0.80 * hh["u"].to_numpy()
        + 1.00 * hh["criminal"].to_numpy()
        + 0.80 * (hh["residence"].to_numpy() == "迁出")
        - 0.25 * _z(land)
    )
