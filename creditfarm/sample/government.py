"""Government department records (政务) and the 逃废债 blacklist, drawn from each household's
situation so that their shares look like a real county's."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from creditfarm.sample.people import EXPORT_DATE

__all__ = ["make_blacklist", "make_government"]

_POLICY = {
    "水稻": "水稻种植保险",
    "槟榔": "槟榔种植保险",
    "橡胶": "橡胶树综合保险",
    "瓜菜": "瓜菜种植保险",
    "养殖": "能繁母猪保险",
    "务工": "水稻种植保险",
    "个体": "槟榔种植保险",
}


def _dates(rng: np.random.Generator, n: int, first: date, last: date) -> np.ndarray:
    days = rng.integers(0, (last - first).days + 1, n)
    return np.array([first + timedelta(days=int(d)) for d in days], dtype=object)


def make_government(
    rng: np.random.Generator, hh: pd.DataFrame, persons: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """One frame per government source, canonical column names."""
    n = len(hh)
    ids = persons["id_number"].to_numpy()
    head_id = ids[hh["head_pidx"].to_numpy()]
    sp = hh["spouse_pidx"].to_numpy()
    has_sp = sp >= 0
    out: dict[str, pd.DataFrame] = {}

    crim = np.flatnonzero(hh["criminal"].to_numpy())
    who = np.where(
        has_sp[crim] & (rng.random(len(crim)) < 0.15), ids[np.maximum(sp[crim], 0)], head_id[crim]
    )
    cat = rng.choice(
        ["盗窃", "赌博", "诈骗", "打架斗殴", "酒后驾驶", "非法采伐", "寻衅滋事"],
        len(crim),
        p=[0.2, 0.25, 0.1, 0.2, 0.12, 0.08, 0.05],
    )
    out["criminal"] = pd.DataFrame(
        {
            "id_number": who,
            "record_type": np.where(rng.random(len(crim)) < 0.3, "刑事", "行政"),
            "category": cat,
            "record_date": _dates(rng, len(crim), date(2010, 1, 1), date(2022, 5, 31)),
        }
    )

    biz_p = np.where(
        hh["crop"].to_numpy() == "个体", 0.85, np.where(hh["crop"].to_numpy() == "养殖", 0.12, 0.04)
    )
    biz = np.flatnonzero(rng.random(n) < biz_p)
    etype = np.where(
        hh["crop"].to_numpy()[biz] == "个体",
        "个体工商户",
        rng.choice(
            ["农民专业合作社", "家庭农场", "个体工商户", "公司"], len(biz), p=[0.4, 0.35, 0.2, 0.05]
        ),
    )
    status = rng.choice(["存续", "注销", "吊销"], len(biz), p=[0.88, 0.08, 0.04])
    out["business"] = pd.DataFrame(
        {
            "id_number": head_id[biz],
            "entity_type": etype,
            "reg_date": _dates(rng, len(biz), date(2008, 1, 1), date(2022, 3, 31)),
            "status": status,
            "registered_capital": np.round(np.exp(rng.normal(np.log(50000), 1.0, len(biz))), -3),
        }
    )

    taxed = biz[status == "存续"]
    k = len(taxed)
    arrears = np.where(rng.random(k) < 0.06, np.round(rng.uniform(500, 30000, k), -1), 0.0)
    out["tax"] = pd.DataFrame(
        {
            "id_number": head_id[taxed],
            "tax_status": np.where(arrears > 0, "非正常", "正常"),
            "tax_paid_last_year": np.round(np.exp(rng.normal(np.log(1500), 1.0, k)), 0),
            "arrears": arrears,
        }
    )

    trav = np.flatnonzero(rng.random(n) < 0.03)
    out["exit_entry"] = pd.DataFrame(
        {
            "id_number": head_id[trav],
            "trips_last_year": rng.integers(0, 5, len(trav)),
            "abroad_now": np.where(rng.random(len(trav)) < 0.12, "是", "否"),
        }
    )

    # Poverty: every 建档立卡 household had exited by 2021; some are watched (监测户).
    poor = hh["poor"].to_numpy()
    watched = ~poor & (rng.random(n) < 0.015)
    pov = np.flatnonzero(poor | watched)
    pov_status = np.where(
        watched[pov], "监测户", np.where(rng.random(len(pov)) < 0.8, "已脱贫", "监测户")
    )
    since = np.where(
        watched[pov], rng.integers(2020, 2023, len(pov)), rng.integers(2014, 2020, len(pov))
    )
    sp_pov = pov[has_sp[pov]]
    out["poverty"] = pd.DataFrame(
        {
            "id_number": np.concatenate([head_id[pov], ids[sp[sp_pov]]]),
            "status": np.concatenate([pov_status, pov_status[has_sp[pov]]]),
            "since_year": np.concatenate([since, since[has_sp[pov]]]),
        }
    )

    owns = np.flatnonzero((hh["residence"].to_numpy() != "迁出") & (rng.random(n) < 0.88))
    land = hh["land_area_mu"].to_numpy()[owns]
    migrant = hh["migrant"].to_numpy()[owns]
    out["land"] = pd.DataFrame(
        {
            "id_number": head_id[owns],
            "contract_area_mu": np.round(land * rng.uniform(0.9, 1.1, len(owns)), 1),
            "certificate_no": [
                f"J469029{i:07d}" for i in rng.permutation(10**6)[: len(owns)] + 10**6
            ],
            "transferred_out_mu": np.where(
                migrant & (rng.random(len(owns)) < 0.6),
                np.round(land * rng.uniform(0.3, 1.0, len(owns)), 1),
                0.0,
            ),
        }
    )

    members = np.concatenate([np.arange(n), np.flatnonzero(has_sp)])
    pid = np.concatenate([head_id, ids[sp[has_sp]]])
    out["residence"] = pd.DataFrame(
        {
            "id_number": pid,
            "status": hh["residence"].to_numpy()[members],
            "months_away": hh["months_away"].to_numpy()[members],
        }
    )

    ages = persons["age"].to_numpy()
    age_m = np.concatenate([ages[hh["head_pidx"].to_numpy()], ages[sp[has_sp]]])
    insured = rng.random(len(pid)) < 0.9
    out["social_insurance"] = pd.DataFrame(
        {
            "id_number": pid[insured],
            "pension_months": np.minimum(
                rng.integers(0, 200, insured.sum()), np.maximum(age_m[insured] - 16, 0) * 12
            ),
            "medical_insured": np.where(rng.random(insured.sum()) < 0.96, "是", "否"),
        }
    )

    crop = hh["crop"].to_numpy()
    ins = np.flatnonzero(rng.random(n) < np.where(np.isin(crop, ["务工", "个体"]), 0.25, 0.72))
    area = hh["land_area_mu"].to_numpy()[ins] + hh["transferred_in_mu"].to_numpy()[ins]
    premium = np.round(area * rng.uniform(8, 25, len(ins)), 1)
    out["agri_insurance"] = pd.DataFrame(
        {
            "id_number": head_id[ins],
            "policy_type": pd.Series(crop[ins]).map(_POLICY).to_numpy(),
            "insured_area_mu": np.round(area, 1),
            "premium": premium,
            "claims": np.where(
                rng.random(len(ins)) < 0.12,
                np.round(premium * rng.uniform(2, 20, len(ins)), 0),
                0.0,
            ),
        }
    )
    return out


def make_blacklist(
    rng: np.random.Generator,
    loans: pd.DataFrame,
    hh: pd.DataFrame,
    persons: pd.DataFrame,
    size: int,
) -> pd.DataFrame:
    """A handful of 逃废债 debtors: borrowers with a 损失 loan, listed after the default."""
    lost = loans[(loans["classification"] == "损失")]
    lost = lost.sort_values("hh").drop_duplicates("hh")
    pick = lost.iloc[rng.permutation(len(lost))[:size]].sort_values("onset_day")
    epoch = date(1970, 1, 1)
    listed = [
        min(epoch + timedelta(days=int(d) + int(x)), EXPORT_DATE - timedelta(days=1))
        for d, x in zip(pick["onset_day"], rng.integers(200, 400, len(pick)), strict=True)
    ]
    return pd.DataFrame(
        {
            "id_number": pick["id_number"].to_numpy(),
            "listed_date": listed,
            "reason": rng.choice(
                ["恶意逃废银行债务", "有能力偿还拒不履行", "转移财产逃避债务"], len(pick)
            ),
        }
    )
