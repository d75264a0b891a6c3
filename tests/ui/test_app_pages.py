"""AppTest for every page on the small county: each renders without exception and its main
interactions work (search, select a household, record a decision, switch level, export, import).
Table contents are asserted through AppTest (st.dataframe draws on a canvas in the browser)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from creditfarm.access import Principal, Role
from creditfarm.reports.rates import rates
from creditfarm.settings import get_settings
from creditfarm.workspace import open_workspace
from tests.helpers.app_county import AppCounty
from tests.helpers.paths import UI

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("app_county")]


# Who is signed in for each page (the sign-in form itself is tested in test_signin.py).
APP_USER = Principal(username="app_test", role=Role.credit_supervisor)
APP_ADMIN = Principal(username="admin_test", role=Role.admin)


def page(name: str, principal: Principal | None = None) -> AppTest:
    at = AppTest.from_file(str(UI / f"{name}.py"), default_timeout=120)
    if principal is None:
        principal = APP_ADMIN if name in ("page_import", "page_admin") else APP_USER
    at.session_state["principal"] = principal
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _settings_changed() -> None:
    """The app holds one workspace per server process: new settings need a fresh one."""
    get_settings.cache_clear()
    st.cache_resource.clear()


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has ``column``."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column!r}")


def count_in_caption(at: AppTest) -> int:
    """The household count the search caption states (共 1,234户)."""
    for caption in at.caption:
        match = re.match(r"共 ([\d,]+)户", caption.value)
        if match:
            return int(match.group(1).replace(",", ""))
    raise AssertionError("no count caption")


def test_officer_search_select_and_decide(app_env: AppCounty) -> None:
    at = page("page_officer")
    everyone = frame_with(at, "户号")
    assert len(everyone) > 100
    assert everyone["户主身份证号"].str.contains(r"^\d{6}\*{8}[\dX]{4}$").all()  # 前6后4

    assert at.selectbox(key="q_grade").options == ["全部", "AAA", "AA", "A", "B", "C"]  # policy
    total = count_in_caption(at)
    at.selectbox(key="q_status").set_value("unfiled").run()
    unfiled = count_in_caption(at)
    assert (~frame_with(at, "户号")["已建档"]).all()  # booleans stay booleans
    at.selectbox(key="q_status").set_value("scored").run()
    scored = frame_with(at, "户号")
    assert 0 < count_in_caption(at) <= total - unfiled  # unfiled households are not scored
    assert (scored["等级"] != "未评级").all()
    surname = scored["户主"].iloc[0][0]
    at.text_input(key="q_name").set_value(surname).run()
    named = frame_with(at, "户号")
    assert 0 < len(named) <= len(scored)
    assert named["户主"].str.startswith(surname).any()

    household = named["户号"].iloc[0]
    at.selectbox(key="household").set_value(household).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"户号 {household}" in h.value for h in at.subheader)
    assert {m.label for m in at.metric} >= {"等级", "评分", "违约概率", "信用户"}
    assert any(m.label.startswith("预授信额度（") for m in at.metric)  # says its source
    members = frame_with(at, "与户主关系")
    assert members["身份证号"].str.contains(r"\*{8}").all()
    assert "来源" in frame_with(at, "来源").columns

    # A decision without a reason is refused with a clear message; nothing stored.
    at.radio(key="s-action").set_value("adjust")
    at.number_input(key="s-limit").set_value(12000)
    at.button[0].click()  # the form's submit button
    at.run()
    assert any("请填写理由" in e.value for e in at.error)

    at.radio(key="s-action").set_value("adjust")
    at.number_input(key="s-limit").set_value(12000)
    at.text_area(key="s-reason").set_value("入户核实：经营规模小于档案所载")
    at.button[0].click()
    at.run()
    assert not at.exception
    # effective at once, or (a vetoed household) waiting for a second supervisor's approval
    shown = [m.value for m in (*at.success, *at.warning)]
    assert any("已保存" in m and "1.2万元" in m for m in shown), shown
    ws = open_workspace(app_env.settings)
    with ws.engine.connect() as conn:
        row = conn.execute(
            text(  # the newest: another test of this county may have decided on it before
                'SELECT action, "limit", reason, decided_by FROM decision WHERE household_no = :h '
                "ORDER BY id DESC LIMIT 1"
            ),
            {"h": household},
        ).one()
    ws.engine.dispose()
    assert tuple(row) == ("adjust", 12000.0, "入户核实：经营规模小于档案所载", "app_test")
    at.run()  # the decision shows in the household's record
    assert "入户核实：经营规模小于档案所载" in set(frame_with(at, "理由")["理由"])


def test_officer_review_queue(app_env: AppCounty) -> None:
    at = page("page_officer")
    assert not any("复核原因" in df.value.columns for df in at.dataframe)  # not computed yet
    at.segmented_control(key="officer_view").set_value("queue").run()
    queue = frame_with(at, "复核原因")
    assert len(queue) > 0 and (queue["复核原因"] != "").all()
    first = queue["户号"].iloc[0]
    # AppTest matches a selectbox by its raw value (options show the formatted labels).
    at.selectbox(key="queue_household").set_value(first).run()
    assert not at.exception
    assert any(h.value.startswith(f"户号 {first}") for h in at.subheader)


def test_rates_page(app_env: AppCounty) -> None:
    at = page("page_rates")
    villages = frame_with(at, "建档率")
    assert len(villages) >= 10
    # rates are numbers (percentages), so the column sorts by value
    assert pd.api.types.is_float_dtype(villages["建档率"])
    assert villages["建档率"].between(0, 100).all()
    ws = open_workspace(app_env.settings)
    county = rates(ws, level="county").iloc[0]
    target = ws.policy.target(2022)  # data dated 2022-06-30: the 2021 targets are in force
    ws.engine.dispose()
    assert villages["已建档户数"].sum() == county["filed"]
    assert villages["户籍户数"].sum() == county["households"]
    pct = villages["建档率"] / 100
    pre = villages["预授信率"] / 100
    below = (pct < target.filing_rate) | (pre < target.pre_credit_rate)
    flags = list(below)  # villages below target first: no True after the first False
    assert flags == sorted(flags, reverse=True)
    assert {m.label for m in at.metric} >= {"建档率", "预授信率", "农业保险覆盖率"}
    # the county's gap to the target, in percentage points: (rate − target) × 100
    metrics = {m.label: m for m in at.metric}
    gap = (county["filing_rate"] - target.filing_rate) * 100
    assert metrics["建档率"].delta == f"{gap:+.1f} 个百分点"
    at.radio(key="level").set_value("town").run()
    towns = frame_with(at, "建档率")
    assert 2 <= len(towns) < len(villages)
    assert at.get("download_button"), "monthly report export missing"


def test_credit_village_page(app_env: AppCounty) -> None:
    at = page("page_village")
    villages = frame_with(at, "信用户占比达标")
    assert len(villages) >= 10
    assert list(villages.columns[:2]) == ["评定结果", "评定情况"]  # the result first
    assert set(villages["评定结果"]) <= {"信用村", "未达标"}
    assert set(villages["信用户占比达标"]) <= {"达标", "未达标"}
    assert set(frame_with(at, "信用村数")["评定结果"]) <= {"信用乡(镇)", "未达标"}
    code = villages["村代码"].iloc[0]
    at.selectbox(key="village").set_value(code).run()
    assert not at.exception
    criteria = frame_with(at, "比较")
    assert list(criteria["指标"]) == ["信用户占比", "借款户无欠息占比", "不良贷款率", "建档率"]
    at.radio(key="behind").set_value("all").run()
    households = frame_with(at, "有欠息")
    village_row = villages[villages["村代码"] == code].iloc[0]
    assert len(households) == village_row["户籍户数"]  # every household behind the figures
    assert at.get("download_button")


def test_model_page(app_env: AppCounty) -> None:
    at = page("page_model")
    perf = frame_with(at, "LightGBM 模型")
    assert list(perf["指标"]) == ["AUC", "KS", "Gini", "Brier"]
    # The figures are the ones in the version's metrics.json, rounded to 4 places.
    model_dir = app_env.settings.model_dir
    assert model_dir is not None
    version = (model_dir / "LATEST").read_text().strip()
    saved = json.loads((model_dir / version / "metrics.json").read_text())
    shown = perf.set_index("指标")
    for key, label in (("auc", "AUC"), ("ks", "KS"), ("gini", "Gini"), ("brier", "Brier")):
        assert shown.loc[label, "LightGBM 模型"] == pytest.approx(saved["model"][key], abs=1e-4)
        assert shown.loc[label, "WoE 评分卡基准"] == pytest.approx(saved["baseline"][key], abs=1e-4)
    (psi,) = [m for m in at.metric if "违约概率 PSI" in m.label]
    score = saved["psi"]["score"]

    def verdict(value: float) -> str:
        # cut-offs 0.1 and 0.25 (model.monitoring): below 0.1 stable, from 0.25 drift
        return "稳定" if value < 0.1 else "需关注" if value < 0.25 else "显著漂移"

    assert psi.value == f"{score:.3f}（{verdict(score)}）"
    # the largest feature PSI beside it: the headline never hides a drifting feature
    (top,) = [m for m in at.metric if "特征 PSI 最大值" in m.label]
    largest = max(saved["psi"]["features"].values())
    assert top.value == f"{largest:.3f}（{verdict(largest)}）"
    # the reliability chart's figures: ECE and the top decile, as saved
    (ece,) = [m for m in at.metric if "ECE" in m.label]
    assert ece.value == f"{100 * saved['calibration_summary']['ece']:.2f}%"
    assert any("≥ 0.25 显著漂移" in c.value for c in at.caption)
    assert any("模型卡" in t.label for t in at.tabs)
    assert any(md.value.startswith("# 模型卡") for md in at.markdown)  # the card in Chinese
    # 公平性: one warning per flagged gap, and each group's pre-credit rate as saved
    # (pre-credited / households), or 样本不足 below the policy's minimum of households
    assert any(t.label == "公平性" for t in at.tabs)
    gaps = saved["fairness_gaps"]
    assert len([w for w in at.warning if w.value.startswith("需复核：")]) == len(gaps["flags"])
    shown_rates = frame_with(at, "预授信率（95% 区间）").set_index("组别")  # ethnicity first
    saved_rows = gaps["groupings"]["ethnicity"]["approval"]["rows"]
    assert set(shown_rates.index) == {r["group"] for r in saved_rows}
    for row in saved_rows:
        cell = shown_rates.loc[row["group"], "预授信率（95% 区间）"]
        if row["households"] < gaps["rule"]["min_households"]:
            assert cell == "样本不足"
        else:
            assert cell.startswith(f"{100 * row['pre_credited'] / row['households']:.1f}%（")


def test_import_page_report_and_reimport(app_env: AppCounty) -> None:
    at = page("page_import")
    report = frame_with(at, "数据来源")
    assert "户籍" in set(report["数据来源"])
    quarantine = frame_with(at, "原因")
    assert len(quarantine) > 0  # the sample county is messy on purpose
    assert "身份证号校验位错误" in set(quarantine["原因"])  # reasons in Chinese
    cells = quarantine.astype(str).to_string()
    assert not re.search(r"\d{17}[\dXx]", cells)  # no unmasked ID or card number
    phones = [c for c in quarantine.columns if "电话" in c or "手机" in c]
    for column in phones:  # phones 前3后4
        shown = quarantine[column].astype(str)
        assert shown[shown.str.len() >= 7].str.contains(r"\*").all()


def test_import_page_imports_only_under_the_import_folder(
    app_env: AppCounty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITFARM_IMPORT_DIR", str(app_env.sample_dir.parent))
    _settings_changed()
    at = page("page_import")
    at.text_input(key="folder").set_value(app_env.sample_dir.name).run()
    at.button(key="import-folder").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("导入完成" in s.value for s in at.success)  # the same files: nothing failed
    for outside in ("/etc", "../../..", "/no/such/folder"):
        at.text_input(key="folder").set_value(outside).run()
        at.button(key="import-folder").click().run()
        assert any("不能导入" in e.value for e in at.error), outside
    assert not any("导入完成" in s.value for s in at.success)


def test_an_import_where_every_file_fails_is_red(
    app_env: AppCounty, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("imports")
    (root / "broken").mkdir()
    (root / "broken" / "户籍.xlsx").write_bytes(b"not a workbook at all")
    monkeypatch.setenv("CREDITFARM_IMPORT_DIR", str(root))
    _settings_changed()
    at = page("page_import")
    at.text_input(key="folder").set_value("broken").run()
    at.button(key="import-folder").click().run()
    assert not at.success
    shown = [e.value for e in at.error]
    assert any("全部未能导入" in e for e in shown), shown
    assert any("户籍.xlsx" in e.value for e in at.error)  # and why


def test_admin_page_lists_accounts_and_checks_the_audit_trail(app_env: AppCounty) -> None:
    at = page("page_admin")
    users = frame_with(at, "用户名")
    assert {"officer1", "supervisor1", "pboc1", "village1", "admin1"} <= set(users["用户名"])
    assert "password_hash" not in users.columns and "信贷员" in set(users["角色"])
    at.button(key="verify").click().run()
    assert any("审计日志完整" in s.value for s in at.success)
    trail = frame_with(at, "操作")
    assert {"用户", "时间（UTC）", "来源"} <= set(trail.columns)
