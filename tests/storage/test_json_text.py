"""JSON columns (orjson through the engine): what goes in comes back, Chinese stays readable
text, values JSON has no word for become null."""

from __future__ import annotations

import gc
import json

import numpy as np

from creditfarm.collector import collector_paused
from creditfarm.storage import json_text
from creditfarm.storage.engine import make_engine


def test_values_round_trip_and_chinese_is_stored_as_itself() -> None:
    value = {"sentence": "月均资金流入 3,200元", "points": -1.25, "codes": ["A_LOW"], "n": 3}
    text = json_text.dumps(value)
    assert "月均资金流入" in text  # not \u6708…
    assert json.loads(text) == value
    assert json_text.loads(text) == value


def test_nan_infinity_and_numpy_values() -> None:
    text = json_text.dumps(
        {"nan": float("nan"), "inf": float("inf"), "f": np.float64(0.5), "i": np.int64(7)}
    )
    assert json.loads(text) == {"nan": None, "inf": None, "f": 0.5, "i": 7}


def test_the_engine_writes_json_columns_with_it(tmp_path) -> None:
    from sqlalchemy import JSON, Column, MetaData, Table, insert, select, text

    engine = make_engine(f"sqlite:///{tmp_path / 'j.db'}")
    table = Table("t", MetaData(), Column("v", JSON))
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"v": {"名": "黎族", "x": float("nan")}}])
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT v FROM t")).scalar_one()
        back = conn.execute(select(table.c.v)).scalar_one()
    assert raw == '{"名":"黎族","x":null}'
    assert back == {"名": "黎族", "x": None}


def test_collector_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still holds it
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
