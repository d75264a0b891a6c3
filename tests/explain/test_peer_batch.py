"""Village comparisons for a whole batch (``PeerBatch``) against a brute force by hand: for each
household, the other households of its village that have a value, counted and their median
taken with numpy, one household at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from creditfarm.explain.village_reference import VillageReference


def _brute(peers: pd.DataFrame, village: object, household: str, value: float) -> tuple | None:
    if village is None or value != value:
        return None
    others = peers[(peers["village_code"] == village) & (peers["household_no"] != household)]
    known = others["x"].dropna().to_numpy()
    if len(known) == 0:
        return None
    below = (known < value).sum() / len(known)
    above = (known > value).sum() / len(known)
    same = (known == value).sum() / len(known)
    return len(known), below, above, same, float(np.median(known))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_comparisons_equal_a_brute_force_over_random_villages(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    values = rng.integers(0, 6, size=n).astype(float)  # small integers: many ties
    values[rng.random(n) < 0.15] = np.nan
    names = np.array(["V1", "V2", "V3", "V4", None], dtype=object)
    villages = names[rng.choice(5, size=n, p=[0.4, 0.3, 0.2, 0.05, 0.05])]
    peers = pd.DataFrame(
        {"household_no": [f"H{i}" for i in range(n)], "village_code": villages, "x": values}
    )
    reference = VillageReference.build(peers, ["x"])
    # The batch: every peer, plus outsiders (not among the peers) of two villages.
    outsiders = pd.DataFrame(
        {"household_no": ["Z1", "Z2"], "village_code": ["V1", "V4"], "x": [2.5, 1.0]}
    )
    batch_rows = pd.concat([peers, outsiders], ignore_index=True)
    compared = reference.batch(
        village_codes=batch_rows["village_code"].tolist(),
        household_nos=batch_rows["household_no"].tolist(),
    ).compare("x", batch_rows["x"].to_numpy())
    for i, row in batch_rows.iterrows():
        got = compared.at(int(i))
        # Outsiders count every known value of the village; members leave themselves out.
        expected = _brute(peers, row["village_code"], row["household_no"], row["x"])
        if expected is None:
            assert got is None, row.to_dict()
            continue
        assert got is not None, row.to_dict()
        assert got.peers == expected[0]
        assert got.share_below == pytest.approx(expected[1])
        assert got.share_above == pytest.approx(expected[2])
        assert got.share_same == pytest.approx(expected[3])
        assert got.median == pytest.approx(expected[4])


def test_batch_comparisons_of_a_category_count_the_same_answers() -> None:
    peers = pd.DataFrame(
        {
            "household_no": ["A", "B", "C", "D"],
            "village_code": ["V", "V", "V", "W"],
            "kind": ["p", "q", "p", "p"],
        }
    )
    reference = VillageReference.build(peers, ["kind"])
    compared = reference.batch(
        village_codes=["V", "V", "W", "V"], household_nos=["A", "B", "D", "Z"]
    ).compare("kind", ["p", "q", "p", None])
    # A (p) against B q, C p: 1 of 2 the same; B (q) against A p, C p: none;
    # D alone in W: no peers; Z has no value.
    a, b = compared.at(0), compared.at(1)
    assert a is not None and (a.peers, a.share_same) == (2, 0.5)
    assert b is not None and (b.peers, b.share_same) == (2, 0.0)
    assert compared.at(2) is None
    assert compared.at(3) is None
