"""户籍 households and their members: names, relations, valid resident IDs, ethnicity."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

__all__ = [
    "ETHNICITIES",
    "EXPORT_DATE",
    "checksum_chars",
    "make_households",
    "make_ids",
    "make_names",
]

EXPORT_DATE = date(2022, 6, 30)  # the county's exports are dated this day ("today" of the data)
ETHNICITIES = ("黎族", "汉族", "苗族", "回族")
_ETHNIC_P = (0.55, 0.33, 0.10, 0.02)
_SURNAMES = np.array(list("黄王陈符李林吴张刘邢吉董卓蒲周杨胡郑梁何羊高"))
_SURNAME_P = np.array(
    [12, 11, 10, 9, 7, 6, 5, 5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1], dtype=float
)
_MALE = np.array(list("文明志国建海强军华平伟成德福亮春东光荣新生永庆才金"))
_FEMALE = np.array(list("秀英梅兰芳玉花丽琼珍美霞娟桂凤燕红月妹爱慧云莲"))
_REGIONS_HOME = np.array(["469029"] * 17 + ["460200", "469030", "469028", "469027", "460100"])


def make_names(rng: np.random.Generator, surnames: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Given names of one or two characters after the family name."""
    n = len(surnames)
    pool_m, pool_f = _MALE, _FEMALE
    first = np.where(
        male, pool_m[rng.integers(0, len(pool_m), n)], pool_f[rng.integers(0, len(pool_f), n)]
    )
    second = np.where(
        male, pool_m[rng.integers(0, len(pool_m), n)], pool_f[rng.integers(0, len(pool_f), n)]
    )
    two = rng.random(n) < 0.7
    given = np.where(two, np.char.add(first.astype(str), second.astype(str)), first)
    return np.char.add(surnames.astype(str), given.astype(str))


# GB 11643 check character (as creditfarm.identity.checksum_char), for many IDs at once:
# weights 2^(17-i) mod 11 over the first 17 digits, then "10X98765432"[sum mod 11].
_ID_WEIGHTS = 2 ** np.arange(17, 0, -1, dtype=np.int64) % 11
_CHECK_BYTES = np.frombuffer(b"10X98765432", dtype=np.uint8)


def _check_bytes(digits: np.ndarray) -> np.ndarray:
    """The 18th character (ASCII code) for each row of 17 ASCII digits."""
    return _CHECK_BYTES[(digits.astype(np.int64) - ord("0")) @ _ID_WEIGHTS % 11]


def checksum_chars(first17: list[str]) -> np.ndarray:
    """The 18th character for each string of 17 digits."""
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17)
    return _check_bytes(digits).view("S1").astype(str)


def _ascii_rows(texts: np.ndarray, width: int) -> np.ndarray:
    """Strings of exactly ``width`` ASCII characters as rows of bytes."""
    raw = np.asarray(texts, dtype=str)
    if len(raw) and not (np.strings.str_len(raw) == width).all():
        raise ValueError(f"expected texts of {width} characters")
    return raw.astype(f"S{width}").view(np.uint8).reshape(-1, width)


def make_ids(
    rng: np.random.Generator, births: pd.DatetimeIndex, male: np.ndarray, region: np.ndarray
) -> np.ndarray:
    """Unique 18-character resident IDs with valid checksums; the 17th digit's parity is the
    gender (odd: male)."""
    n = len(births)
    ymd = births.strftime("%Y%m%d").to_numpy(dtype=str)
    # region (6) + birth date (8) as bytes; the sequence (2) and the gender digit (1) per round
    base = np.concatenate([_ascii_rows(region, 6), _ascii_rows(ymd, 8)], axis=1)
    ids = np.empty(n, dtype="<U18")
    todo = np.arange(n)
    seen: set[str] = set()
    while len(todo):
        seq2 = rng.integers(0, 100, size=len(todo))
        last = rng.integers(0, 5, size=len(todo)) * 2 + male[todo].astype(int)
        digits = np.empty((len(todo), 18), dtype=np.uint8)
        digits[:, :14] = base[todo]
        digits[:, 14], digits[:, 15], digits[:, 16] = seq2 // 10, seq2 % 10, last
        digits[:, 14:17] += ord("0")
        digits[:, 17] = _check_bytes(digits[:, :17])
        full = digits.view("S18").ravel().astype("<U18")
        # An ID is kept unless an earlier round or an earlier person of this round has it.
        fresh = ~pd.Series(full).duplicated().to_numpy()
        if seen:
            fresh &= np.array([f not in seen for f in full.tolist()], dtype=bool)
        ids[todo[fresh]] = full[fresh]
        seen.update(full[fresh].tolist())
        todo = todo[~fresh]
    return ids


def _births(rng: np.random.Generator, ages: np.ndarray) -> pd.DatetimeIndex:
    days = (ages * 365.25).astype(int) + rng.integers(0, 365, size=len(ages))
    return pd.DatetimeIndex(pd.Timestamp(EXPORT_DATE) - pd.to_timedelta(days, unit="D"))


def make_households(
    rng: np.random.Generator, regions: pd.DataFrame, n: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Households (one row each) and persons (head, spouse, children, parents)."""
    nv = len(regions)
    weights = rng.gamma(6.0, 1.0, size=nv)
    village_idx = np.sort(rng.choice(nv, size=n, p=weights / weights.sum()))
    seq = np.zeros(n, dtype=int)
    for v in np.unique(village_idx):
        m = village_idx == v
        seq[m] = np.arange(1, m.sum() + 1)
    codes = regions["village_code"].to_numpy()[village_idx]
    hh = pd.DataFrame(
        {
            "household_no": [f"{c[6:]}{s:04d}" for c, s in zip(codes, seq, strict=True)],
            "village_idx": village_idx,
            "village_code": codes,
            "head_age": np.clip(rng.normal(49, 12, n), 23, 82).astype(int),
            "head_male": rng.random(n) < 0.88,
            "ethnicity": rng.choice(ETHNICITIES, size=n, p=_ETHNIC_P),
            "surname": _SURNAMES[
                rng.choice(len(_SURNAMES), size=n, p=_SURNAME_P / _SURNAME_P.sum())
            ],
        }
    )
    hh["has_spouse"] = rng.random(n) < np.where(hh["head_age"] < 30, 0.6, 0.88)
    max_kids = np.clip((hh["head_age"].to_numpy() - 22) // 6, 0, 4)
    hh["n_children"] = np.minimum(rng.poisson(1.8, n), max_kids)
    hh["n_parents"] = np.where(
        hh["head_age"] < 55, rng.choice([0, 1, 2], n, p=[0.45, 0.3, 0.25]), 0
    )

    # persons, built per relation and concatenated
    idx = np.arange(n)
    parts = []
    # head
    parts.append(
        pd.DataFrame(
            {
                "hh": idx,
                "relation_to_head": "户主",
                "age": hh["head_age"],
                "male": hh["head_male"],
                "order": 0,
            }
        )
    )
    sp = idx[hh["has_spouse"].to_numpy()]
    parts.append(
        pd.DataFrame(
            {
                "hh": sp,
                "relation_to_head": "配偶",
                "age": np.clip(
                    hh["head_age"].to_numpy()[sp] + rng.integers(-5, 4, len(sp)), 20, 85
                ),
                "male": ~hh["head_male"].to_numpy()[sp],
                "order": 1,
            }
        )
    )
    kids_hh = np.repeat(idx, hh["n_children"].to_numpy())
    # position of each child / parent within its household
    kid_no = np.concatenate(
        [np.arange(k) for k in hh["n_children"].to_numpy()] + [np.zeros(0, int)]
    )
    kid_age = np.clip(
        hh["head_age"].to_numpy()[kids_hh]
        - rng.integers(22, 34, len(kids_hh))
        - 2 * np.asarray(kid_no),
        0,
        None,
    )
    kid_male = rng.random(len(kids_hh)) < 0.52
    parts.append(
        pd.DataFrame(
            {
                "hh": kids_hh,
                "relation_to_head": np.where(kid_male, "子", "女"),
                "age": kid_age,
                "male": kid_male,
                "order": 2,
            }
        )
    )
    par_hh = np.repeat(idx, hh["n_parents"].to_numpy())
    # position of each child / parent within its household
    par_no = np.concatenate([np.arange(k) for k in hh["n_parents"].to_numpy()] + [np.zeros(0, int)])
    par_male = np.asarray(par_no) == 0
    par_male = np.where(
        hh["n_parents"].to_numpy()[par_hh] == 1, rng.random(len(par_hh)) < 0.35, par_male
    )
    parts.append(
        pd.DataFrame(
            {
                "hh": par_hh,
                "relation_to_head": np.where(par_male, "父亲", "母亲"),
                "age": hh["head_age"].to_numpy()[par_hh] + rng.integers(21, 33, len(par_hh)),
                "male": par_male,
                "order": 3,
            }
        )
    )
    persons = pd.concat(parts, ignore_index=True).sort_values(["hh", "order"], kind="stable")
    persons = persons.reset_index(drop=True)
    m = len(persons)
    hh_of = persons["hh"].to_numpy()
    male = persons["male"].to_numpy(dtype=bool)
    rel = persons["relation_to_head"].to_numpy()
    # Children take the father's family name: the head's, or the spouse's when the head is a woman.
    surname = hh["surname"].to_numpy()[hh_of]
    own_family = np.isin(rel, ["配偶", "父亲", "母亲"]) & ~(
        (rel == "配偶") & ~hh["head_male"].to_numpy()[hh_of]
    )
    own_family &= ~np.isin(rel, ["父亲"])  # the head's father shares the head's name
    other = _SURNAMES[rng.choice(len(_SURNAMES), size=m, p=_SURNAME_P / _SURNAME_P.sum())]
    surname = np.where(own_family, other, surname)
    persons["name"] = make_names(rng, surname, male)
    births = _births(rng, persons["age"].to_numpy())
    persons["birth_date"] = births.date
    persons["gender"] = np.where(male, "男", "女")
    eth = hh["ethnicity"].to_numpy()[hh_of]
    mixed = np.isin(rel, ["配偶", "母亲"]) & (rng.random(m) < 0.15)
    persons["ethnicity"] = np.where(mixed, rng.choice(ETHNICITIES, size=m, p=_ETHNIC_P), eth)
    home = np.where(
        np.isin(rel, ["配偶", "母亲"]),
        _REGIONS_HOME[rng.integers(0, len(_REGIONS_HOME), m)],
        "469029",
    )
    persons["id_number"] = make_ids(rng, births, male, home)
    persons["household_no"] = hh["household_no"].to_numpy()[hh_of]
    persons["village_code"] = hh["village_code"].to_numpy()[hh_of]
    hh["size"] = np.bincount(hh_of, minlength=n)
    heads = persons.index[persons["relation_to_head"] == "户主"].to_numpy()
    hh["head_pidx"] = heads
    spouse_pidx = np.full(n, -1)
    sp_rows = persons.index[persons["relation_to_head"] == "配偶"].to_numpy()
    spouse_pidx[hh_of[sp_rows]] = sp_rows
    hh["spouse_pidx"] = spouse_pidx
    return hh, persons
