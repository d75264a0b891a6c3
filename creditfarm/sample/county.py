"""``generate_county``: a seeded sample county written as the files its bank, card network and
government departments would hand over (see shared/spec/data-sources.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from creditfarm.sample import messy as mx
from creditfarm.sample.export import CountyWriter
from creditfarm.sample.finances import make_finances
from creditfarm.sample.geography import COUNTY_NAME, make_points, make_regions
from creditfarm.sample.government import make_blacklist, make_government
from creditfarm.sample.loans import DELINQUENCY_INTERCEPT, make_loans
from creditfarm.sample.payment_files import write_payments
from creditfarm.sample.payments import make_cards, make_payments
from creditfarm.sample.people import EXPORT_DATE, make_households, make_names
from creditfarm.sample.summary import CountySummary
from creditfarm.sample.truth import write_truth
from creditfarm.sample.writers import CSV_CHUNK_ROWS

__all__ = ["generate_county"]

Progress = Callable[[str], None]
_GOV_FILES = {  # source → (file title, encoding, header labels or None for English)
    "criminal": (
        "政务_违法犯罪记录",
        "gb18030",
        {
            "id_number": "身份证号",
            "record_type": "记录类型",
            "category": "类别",
            "record_date": "记录日期",
        },
    ),
    "business": (
        "政务_工商登记",
        "utf-8",
        {
            "id_number": "身份证号",
            "entity_type": "主体类型",
            "reg_date": "成立日期",
            "status": "登记状态",
            "registered_capital": "注册资本(万元)",
        },
    ),
    "tax": (
        "政务_税收登记",
        "xlsx",
        {
            "id_number": "身份证号码",
            "tax_status": "纳税状态",
            "tax_paid_last_year": "上年纳税额(元)",
            "arrears": "欠税金额(元)",
        },
    ),
    "exit_entry": ("政务_出入境", "utf-8", None),
    "poverty": (
        "政务_扶贫人口",
        "gb18030",
        {"id_number": "身份证号", "status": "贫困状态", "since_year": "认定年份"},
    ),
    "land": (
        "政务_农业土地确权",
        "utf-8-sig",
        {
            "id_number": "身份证号",
            "contract_area_mu": "确权面积(亩)",
            "certificate_no": "证书编号",
            "transferred_out_mu": "流转出面积(亩)",
        },
    ),
    "residence": ("政务_居住状况", "utf-8", None),
    "social_insurance": (
        "政务_社保",
        "utf-8",
        {"id_number": "身份证号", "pension_months": "养老缴费月数", "medical_insured": "医疗参保"},
    ),
    "agri_insurance": (
        "政务_农业保险",
        "gb18030",
        {
            "id_number": "身份证号",
            "policy_type": "险种",
            "insured_area_mu": "投保面积(亩)",
            "premium": "保费(元)",
            "claims": "赔款(元)",
        },
    ),
}


# Larger tables go to CSV: writing .xlsx cell by cell is the slow part of big counties.
_XLSX_MAX_ROWS = 50_000


def _num(values: np.ndarray, digits: int = 1) -> np.ndarray:
    return np.array(
        [f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}" for v in values],
        dtype=object,
    )


def generate_county(
    out_dir: Path | str,
    *,
    households: int = 3000,
    seed: int = 2021,
    months: int = 24,
    messy: bool = True,
    density: float = 1.0,
    progress: Progress | None = None,
    chunk_rows: int = CSV_CHUNK_ROWS,
) -> CountySummary:
    """Generate a sample county into ``out_dir`` (created; existing files of the same names are
    replaced). Same arguments → byte-identical files.

    ``months`` of payment flows end at the export date (2022-06-30); ``density`` scales the
    number of payment transactions (1.0 ≈ 22 per household over 24 months). Payment files are
    written one period at a time, ``chunk_rows`` rows at a time (memory against speed: the
    files are the same for any value)."""
    if households < 50:
        raise ValueError("households must be at least 50")
    if not 1 <= months <= 48:
        raise ValueError("months must be between 1 and 48")
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(10)]
    r_geo, r_people, r_fin, r_loan, r_gov, r_pay, r_mess, r_file, r_arch, r_card = streams

    say("户籍与家庭 …")
    n_villages = max(20, round(households / 150))
    regions = make_regions(r_geo, n_villages)
    hh, persons = make_households(r_people, regions, households)
    hh = make_finances(r_fin, hh, persons)
    staff = make_names(r_geo, np.array(list("王李陈黄林符吴张")[:8] * 4), r_geo.random(32) < 0.5)
    points = make_points(r_geo, regions, staff)
    filed = (
        r_file.random(households) < regions["filing_rate"].to_numpy()[hh["village_idx"].to_numpy()]
    )
    loans = make_loans(r_loan, hh, filed)
    sp = hh["spouse_pidx"].to_numpy()[loans["hh"].to_numpy()]
    by_spouse = (sp >= 0) & (r_loan.random(len(loans)) < 0.15)
    borrower = np.where(by_spouse, sp, hh["head_pidx"].to_numpy()[loans["hh"].to_numpy()])
    loans["id_number"] = persons["id_number"].to_numpy()[borrower]

    summary = CountySummary(
        out,
        seed,
        households,
        len(persons),
        len(regions),
        filed_households=int(filed.sum()),
        loans=len(loans),
        bad_loans=int(loans["bad"].sum()),
    )
    w = CountyWriter(out, summary, r_mess, messy, chunk_rows=chunk_rows)

    # 行政区划
    reg = regions[
        ["village_code", "village_name", "town_code", "town_name", "county_code", "county_name"]
    ].copy()
    w.write(
        "regions",
        "行政区划",
        reg,
        {
            "village_code": "村代码",
            "village_name": "村名",
            "town_code": "乡镇代码",
            "town_name": "乡镇",
            "county_code": "县代码",
            "county_name": "县/区",
        },
        "utf-8-sig",
    )

    say("户籍 …")
    scale = max(1, households // 3000)
    _write_hukou(w, persons, scale)

    say("农户信用档案 …")
    _write_archive(w, r_arch, hh, persons, regions, filed, scale)

    pts = points[["point_id", "village_code", "opened_date", "operator", "status"]].copy()
    pts["opened_date"] = mx.date_strings(r_mess, pts["opened_date"].to_numpy(), messy=False)
    w.write("points", "助农取款服务点", pts, None, "utf-8")

    say("支付流水 …")
    cards = make_cards(r_card, hh, persons)
    w.write(
        "cards",
        "卡户对照",
        cards[["card_no", "id_number"]].copy(),
        {"card_no": "卡号", "id_number": "身份证号"},
        "utf-8",
    )
    pay = make_payments(r_pay, hh, cards, points, regions, months=months, density=density)
    write_payments(w, pay, cards, points, months=months, scale=scale, xlsx_max_rows=_XLSX_MAX_ROWS)
    del pay, cards  # the bulk of a big county: gone before the government files

    say("政务 …")
    # drawn only now (their own random stream): they need not sit in memory beside the payments
    gov = make_government(r_gov, hh, persons)
    blacklist = make_blacklist(r_gov, loans, hh, persons, size=max(3, households // 400))
    for source, (title, fmt, labels) in _GOV_FILES.items():
        frame = gov[source].copy()
        for col in frame.columns:
            if col.endswith("_date"):
                frame[col] = mx.date_strings(r_mess, frame[col].to_numpy(), messy=messy)
        if source == "business" and messy:
            frame["registered_capital"] = _num(frame["registered_capital"].to_numpy() / 10000, 2)
        if source == "residence":
            w.ids(frame, source, "id_number", typo=1 * scale)
            w.missing(frame, source, "months_away", 3 * scale)
        if source == "social_insurance":
            w.ids(frame, source, "id_number", short=1 * scale)
        if source == "land":
            frame = w.duplicates(frame, source, 2 * scale)
        w.write(
            source,
            title,
            frame,
            labels,
            fmt,
            xlsx_title="保亭县税务局纳税人登记信息（导出）" if fmt == "xlsx" else None,
        )
    bl = blacklist.copy()
    bl["listed_date"] = mx.date_strings(r_mess, bl["listed_date"].to_numpy(), messy=messy)
    w.write(
        "blacklist",
        "逃废债黑名单",
        bl,
        {"id_number": "身份证号", "listed_date": "列入日期", "reason": "列入原因"},
        "utf-8",
    )

    say("贷款台账 …")
    _write_loans(w, r_mess, loans, scale)
    # The oracle's side file (hidden folder: never imported, never a model input).
    write_truth(
        out, hh["household_no"].to_numpy(), hh["risk"].to_numpy(), intercept=DELINQUENCY_INTERCEPT
    )
    summary.seconds = time.perf_counter() - started
    return summary


def _write_hukou(w: CountyWriter, persons: pd.DataFrame, scale: int) -> None:
    """户籍 (GB 18030): bad IDs only on children, who appear in no other source."""
    hk = persons[
        [
            "id_number",
            "name",
            "household_no",
            "relation_to_head",
            "village_code",
            "gender",
            "birth_date",
            "ethnicity",
        ]
    ].copy()
    hk["birth_date"] = mx.date_strings(w.rng, hk["birth_date"].to_numpy(), messy=w.messy)
    taken: set[int] = set()
    kids = np.flatnonzero(hk["relation_to_head"].isin(["子", "女"]).to_numpy())
    w.ids(hk, "hukou", "id_number", typo=6 * scale, short=3 * scale, allowed=kids, taken=taken)
    if w.messy:
        births = persons["birth_date"].to_numpy()
        elders = np.flatnonzero(
            (persons["relation_to_head"].isin(["父亲", "母亲"]).to_numpy())
            & np.array([b.year < 2000 for b in births])
        )
        ids = hk["id_number"].to_numpy(dtype=object).copy()
        for r in mx.pick(w.rng, elders, 8 * scale, taken):
            ids[r] = mx.legacy_15(ids[r])
            w.summary.add_defects("hukou", "legacy_id15", 1)
        hk["id_number"] = ids
    w.fullwidth(hk, "hukou", "id_number", 5 * scale, taken)
    w.missing(hk, "hukou", "ethnicity", 4 * scale)
    hk = w.duplicates(hk, "hukou", 5 * scale, taken)
    w.write(
        "hukou",
        "户籍",
        hk,
        {
            "id_number": "公民身份号码",
            "name": "姓名",
            "household_no": "户号",
            "relation_to_head": "与户主关系",
            "village_code": "村代码",
            "gender": "性别",
            "birth_date": "出生日期",
            "ethnicity": "民族",
        },
        "gb18030",
    )


def _write_archive(
    w: CountyWriter,
    rng: np.random.Generator,
    hh: pd.DataFrame,
    persons: pd.DataFrame,
    regions: pd.DataFrame,
    filed: np.ndarray,
    scale: int,
) -> None:
    """农户信用档案 (.xlsx with a merged title row; villages by town + village name only)."""
    f = np.flatnonzero(filed)
    a = hh.iloc[f]
    k = len(f)
    sp = a["spouse_pidx"].to_numpy()
    in_spouse = (sp >= 0) & (rng.random(k) < 0.06)  # archive opened in the spouse's name
    who = np.where(in_spouse, sp, a["head_pidx"].to_numpy())
    year = rng.choice([2018, 2019, 2020, 2021, 2022], k, p=[0.10, 0.20, 0.35, 0.28, 0.07])
    last = np.where(year == 2022, (EXPORT_DATE - date(2022, 1, 1)).days, 364)
    filed_date = np.array(
        [
            date(int(y), 1, 1) + timedelta(days=int(d))
            for y, d in zip(year, (rng.random(k) * last).astype(int), strict=True)
        ]
    )
    vidx = a["village_idx"].to_numpy()
    size = a["size"].to_numpy() + np.where(rng.random(k) < 0.1, rng.choice([-1, 1], k), 0)
    phones = np.array(
        [
            f"1{p}{n:09d}"
            for p, n in zip(rng.choice([3, 5, 7, 8, 9], k), rng.integers(0, 10**9, k), strict=True)
        ]
    )
    staff = make_names(rng, np.array(list("王李陈黄林符")[:6]), rng.random(6) < 0.5)
    village_no = [code[6:] for code in regions["village_code"].tolist()]
    frame = pd.DataFrame(
        {
            "archive_id": [f"DA{village_no[v]}{i:05d}" for i, v in enumerate(vidx.tolist(), 1)],
            "head_id_number": persons["id_number"].to_numpy()[who],
            "head_name": persons["name"].to_numpy()[who],
            "filed_date": filed_date,
            "village_code": a["village_code"].to_numpy(),
            "town_name": regions["town_name"].to_numpy()[vidx],
            "village_name": regions["village_name"].to_numpy()[vidx],
            "phone": phones,
            "household_size": np.maximum(size, 1),
            "labor_count": a["labor_count"].to_numpy(),
            "head_education": a["head_education"].to_numpy(),
            "main_industry": a["main_industry"].to_numpy(),
            "main_crops": a["main_crops"].to_numpy(),
            "land_area_mu": a["land_area_mu"].to_numpy(),
            "transferred_in_mu": a["transferred_in_mu"].to_numpy(),
            "livestock_units": a["livestock_units"].to_numpy(),
            "house_type": a["house_type"].to_numpy(),
            "machinery_value": a["machinery_value"].to_numpy(),
            "annual_income": a["annual_income"].to_numpy(),
            "annual_expense": a["annual_expense"].to_numpy(),
            "deposits": a["deposits"].to_numpy(),
            "other_debt": a["other_debt"].to_numpy(),
            "village_evaluation": a["village_evaluation"].to_numpy(),
            "collector": staff[rng.integers(0, len(staff), k)],
        }
    ).astype(object)
    frame["main_crops"] = frame["main_crops"].where(frame["main_crops"] != "", None)
    if not w.messy:
        frame["filed_date"] = mx.date_strings(rng, filed_date, messy=False)
        frame = frame.drop(columns=["town_name", "village_name"])
        w.write("archive", "2021年农户信用档案", frame, None, "utf-8")
        return
    frame = frame.drop(columns=["village_code"])
    taken: set[int] = set()
    # IDs typed into Excel as numbers lose their last digits (doubles): the import must flag them.
    numeric_ok = np.flatnonzero([not s.endswith("X") for s in frame["head_id_number"]])
    as_number = mx.pick(rng, numeric_ok, 4 * scale, taken)
    ids = frame["head_id_number"].to_numpy(dtype=object).copy()
    ids[as_number] = [int(ids[r]) for r in as_number]
    frame["head_id_number"] = ids
    w.summary.add_defects("archive", "id_as_number", len(as_number))
    w.ids(frame, "archive", "head_id_number", typo=3 * scale, taken=taken)
    # dates: text forms and Excel serial numbers
    serial = rng.random(k) < 0.2
    text = mx.date_strings(rng, filed_date, messy=True)
    frame["filed_date"] = np.where(serial, [mx.excel_serial(d) for d in filed_date], text)
    # money in 万元 (header unit), some cells with the unit in the value too
    for col in ("annual_income", "annual_expense", "deposits"):
        wan = frame[col].to_numpy(dtype=float) / 10000
        vals = np.array([f"{v:.2f}" for v in wan], dtype=object)
        unit = rng.random(k) < 0.1
        vals[unit] = [f"{v:.2f}万元" for v in wan[unit]]
        frame[col] = vals
    frame["machinery_value"] = mx.yuan_strings(
        rng, frame["machinery_value"].to_numpy(dtype=float), messy=True
    )
    frame["other_debt"] = [f"{v:,.0f}" for v in frame["other_debt"].to_numpy(dtype=float)]
    w.missing(frame, "archive", "other_debt", 4 * scale)
    w.missing(frame, "archive", "house_type", 3 * scale)
    frame["household_size"] = frame["household_size"].astype(str)
    w.fullwidth(frame, "archive", "household_size", 5 * scale)
    frame = w.duplicates(frame, "archive", 3 * scale, taken)
    id_mask = np.array([isinstance(v, int) for v in frame["head_id_number"]])
    serial_mask = np.array([isinstance(v, (int, np.integer)) for v in frame["filed_date"]])
    labels = {
        "archive_id": "档案编号",
        "head_id_number": "户主身份证号",
        "head_name": "户主姓名",
        "filed_date": "建档日期",
        "town_name": "乡镇",
        "village_name": "行政村",
        "phone": "联系电话",
        "household_size": "家庭人口",
        "labor_count": "劳动力",
        "head_education": "文化程度",
        "main_industry": "主营产业",
        "main_crops": "主要作物",
        "land_area_mu": "承包地面积(亩)",
        "transferred_in_mu": "流转土地(亩)",
        "livestock_units": "牲畜存栏",
        "house_type": "住房结构",
        "machinery_value": "农机具价值",
        "annual_income": "家庭年收入(万元)",
        "annual_expense": "家庭年支出(万元)",
        "deposits": "存款余额(万元)",
        "other_debt": "其他负债(元)",
        "village_evaluation": "村两委评议",
        "collector": "采集人",
    }
    if len(frame) > _XLSX_MAX_ROWS:
        # A big county's archive comes as CSV saved from Excel: numeric IDs show as 4.69029E+17.
        ids = frame["head_id_number"].to_numpy(dtype=object).copy()
        ids[id_mask] = [f"{float(v):.5E}" for v in ids[id_mask]]
        frame["head_id_number"] = ids
        frame["filed_date"] = frame["filed_date"].astype(str)
        w.write("archive", "2021年农户信用档案", frame, labels, "gb18030")
        return
    w.write(
        "archive",
        "2021年农户信用档案",
        frame,
        labels,
        "xlsx",
        xlsx_title=f"{COUNTY_NAME}农户信用档案汇总表（2021年）",
        numbers={"head_id_number": id_mask, "filed_date": serial_mask},
    )


def _write_loans(
    w: CountyWriter, rng: np.random.Generator, loans: pd.DataFrame, scale: int
) -> None:
    frame = pd.DataFrame(
        {
            "loan_id": loans["loan_id"].to_numpy(),
            "id_number": loans["id_number"].to_numpy(),
            "product": loans["product"].to_numpy(),
            "issue_date": mx.date_strings(rng, loans["issue_date"].to_numpy(), messy=w.messy),
            "maturity_date": mx.date_strings(rng, loans["maturity_date"].to_numpy(), messy=w.messy),
            "amount": mx.yuan_strings(rng, loans["amount"].to_numpy(), messy=w.messy),
            "balance": mx.yuan_strings(rng, loans["balance"].to_numpy(), messy=False),
            "max_days_overdue": loans["max_days_overdue"]
            .astype(int)
            .astype(str)
            .to_numpy(dtype=object),
            "classification": loans["classification"].to_numpy(),
            "status": loans["status"].to_numpy(),
        }
    )
    taken: set[int] = set()
    w.ids(frame, "loans", "id_number", typo=1 * scale, taken=taken)
    w.fullwidth(frame, "loans", "balance", 3 * scale, taken)
    frame = w.duplicates(frame, "loans", 2 * scale, taken)
    w.write(
        "loans",
        "贷款台账",
        frame,
        {
            "loan_id": "借据号",
            "id_number": "身份证号",
            "product": "贷款品种",
            "issue_date": "发放日期",
            "maturity_date": "到期日期",
            "amount": "贷款金额",
            "balance": "贷款余额",
            "max_days_overdue": "最长逾期天数",
            "classification": "五级分类",
            "status": "贷款状态",
        },
        "gb18030",
    )
