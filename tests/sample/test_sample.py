"""The sample-county generator: determinism, the input contract, IDs, point rules, the loan book.

Files are read back here with plain pandas (not creditfarm's readers), so these tests check the
generator against the contract itself."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from creditfarm.cli import app
from creditfarm.identity import check_id
from creditfarm.ingest.contract import NON_PERFORMING, SOURCES
from creditfarm.sample import EXPORT_DATE, CountySummary, generate_county
from creditfarm.sample.finances import risk_logit
from creditfarm.sample.messy import checksum_typo, legacy_15, wrong_length
from tests.helpers.paths import SAMPLE_DATA

pytestmark = pytest.mark.slow

_UNIT = re.compile(r"[(（][^)）]*[)）]$")


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CountySummary]:
    out = tmp_path_factory.mktemp("county")
    return out, generate_county(out, households=3000, seed=7)


# --- reading files back, independently of creditfarm.ingest.readers -------------------------------


def _norm(header: str) -> str:
    text = unicodedata.normalize("NFKC", str(header)).strip()
    return re.sub(r"\s+", "", _UNIT.sub("", text)).lower()


def _read(path: Path) -> pd.DataFrame:
    """A file as a frame of raw cells; xlsx cells keep their type (numbers stay numbers)."""
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, header=None, engine="calamine")
        first = next(
            i for i in range(len(raw)) if raw.iloc[i].notna().sum() >= 2
        )  # below the title
        frame = raw.iloc[first + 1 :].reset_index(drop=True)
        frame.columns = [str(c) for c in raw.iloc[first]]
        return frame
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"{path.name}: neither UTF-8 nor GB18030")


def _canonical(source: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rename headers to contract names through the contract's own alias lists."""
    names = {}
    for col in SOURCES[source].columns:
        for label in (col.name, *col.aliases):
            names[_norm(label)] = col.name
    return frame.rename(columns={h: names[_norm(h)] for h in frame.columns})


def _files(out: Path, summary: CountySummary, source: str) -> list[Path]:
    return [out / name for name, src in summary.files.items() if src == source]


def _source(out: Path, summary: CountySummary, source: str) -> pd.DataFrame:
    return pd.concat(
        [_canonical(source, _read(p)) for p in _files(out, summary, source)], ignore_index=True
    )


def _text(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def _date(value: object) -> date:
    """The four text forms of the contract, plus Excel serials."""
    text = _text(value)
    if re.fullmatch(r"\d{5}", text):
        return date.fromordinal(date(1899, 12, 30).toordinal() + int(text))
    m = (
        re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
        or re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", text)
        or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        or re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    )
    assert m, f"unexpected date form {value!r}"
    return date(int(m[1]), int(m[2]), int(m[3]))


def _yuan(value: object) -> float:
    text = _text(value).replace(",", "")
    if text.endswith("万元"):
        return float(text[:-2]) * 10000
    return float(text.removesuffix("元"))


# --- tests ------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a = generate_county(tmp_path / "a", households=300, seed=11)
    b = generate_county(tmp_path / "b", households=300, seed=11)
    c = generate_county(tmp_path / "c", households=300, seed=12)
    assert c.files == a.files  # the same file set, other contents

    def digests(folder: Path) -> dict[str, str]:
        return _digests(folder)  # every file, the oracle's .truth/ side file included

    assert a.files == b.files
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert digests(tmp_path / "a") != digests(tmp_path / "c")


def test_every_file_maps_to_the_contract(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    # the export files, and beside them only the oracle's hidden side file (never imported)
    assert sorted(p.name for p in out.iterdir() if p.name != ".truth") == sorted(summary.files)
    assert [p.name for p in (out / ".truth").iterdir()] == ["households.csv"]
    assert set(summary.files.values()) == set(SOURCES)  # every source of the contract is present
    for name, source in summary.files.items():
        frame = _read(out / name)
        known = {
            _norm(label) for col in SOURCES[source].columns for label in (col.name, *col.aliases)
        }
        unknown = [h for h in frame.columns if _norm(h) not in known]
        assert not unknown, f"{name}: headers outside the contract {unknown}"
        present = set(_canonical(source, frame).columns)
        required = {c.name for c in SOURCES[source].columns if c.required}
        if source == "archive":
            assert {"town_name", "village_name"} <= present  # villages by name only
        assert required <= present, f"{name}: missing {required - present}"
        for group in SOURCES[source].one_of:
            assert present & set(group), f"{name}: none of {group}"
        assert len(frame) == summary.rows[source] or source == "payments"
    payments = sum(len(_read(p)) for p in _files(out, summary, "payments"))
    assert payments == summary.rows["payments"]


def test_messy_forms_are_present(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    suffixes = {Path(n).suffix for n in summary.files}
    assert suffixes == {".csv", ".xlsx"}
    boms = [n for n in summary.files if (out / n).read_bytes()[:3] == b"\xef\xbb\xbf"]
    assert boms
    gb = []
    for n in summary.files:
        data = (out / n).read_bytes()
        if n.endswith(".csv"):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                data.decode("gb18030")
                gb.append(n)
    assert "户籍.csv" in gb and "贷款台账.csv" in gb
    archive = _read(out / "2021年农户信用档案.xlsx")
    assert "家庭年收入(万元)" in archive.columns
    english = _read(out / "政务_居住状况.csv")
    assert list(english.columns) == ["id_number", "status", "months_away"]
    dates = _source(out, summary, "loans")["issue_date"]
    assert dates.str.match(r"^\d{4}-\d{2}-\d{2}$").any() and dates.str.contains("年").any()
    assert dates.str.match(r"^\d{8}$").any() and dates.str.contains("/").any()
    for value in dates:
        _date(value)  # every form parses


def test_ids_valid_except_the_deliberate_defects(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    for source in SOURCES:
        frame = _source(out, summary, source)
        cols = [c for c in ("id_number", "head_id_number") if c in frame.columns]
        numeric = bad = legacy = 0
        for col in cols:
            for value in frame[col]:
                if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
                    continue
                if not isinstance(value, str):
                    numeric += 1  # an ID typed into Excel as a number
                    continue
                result = check_id(value, today=EXPORT_DATE)
                bad += not result.ok
                legacy += "id_upgraded_15_to_18" in result.warnings
        defects = summary.defects.get(source, {})
        assert numeric == defects.get("id_as_number", 0), source
        assert bad == defects.get("id_checksum", 0) + defects.get("id_format", 0), source
        assert legacy == defects.get("legacy_id15", 0), source
    # the 3,000-household county carries each kind, as documented
    assert summary.defect_total("id_checksum") >= 6
    assert summary.defect_total("id_format") >= 3
    assert summary.defect_total("id_as_number") >= 4
    assert summary.defect_total("legacy_id15") >= 8


def test_id_defect_helpers() -> None:
    good = "11010519491231002X"  # the GB 11643 example: weights give check char X
    assert check_id(good).ok
    assert check_id(checksum_typo(good)).error == "id_checksum"
    assert check_id(wrong_length(good)).error == "id_format"
    assert legacy_15(good) == "110105491231002"  # 6 digits + yymmdd + 3-digit sequence
    assert check_id(legacy_15(good)).normalized == good


def test_duplicates_as_counted(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    for source in SOURCES:
        dups = sum(
            int(_read(p).astype(str).duplicated().sum()) for p in _files(out, summary, source)
        )
        assert dups == summary.defects.get(source, {}).get("duplicate_row", 0), source


def test_genders_follow_the_id_and_households_have_heads(
    county: tuple[Path, CountySummary],
) -> None:
    out, summary = county
    hukou = _source(out, summary, "hukou")
    checks = [
        (check_id(i, today=EXPORT_DATE), g)
        for i, g in zip(hukou["id_number"], hukou["gender"], strict=True)
    ]
    for result, gender in checks:
        if result.ok:  # 17th digit odd → 男
            assert result.normalized is not None
            assert gender == ("男" if int(result.normalized[16]) % 2 else "女")
    heads = hukou[hukou["relation_to_head"] == "户主"]
    assert heads["household_no"].nunique() == summary.households
    assert hukou["village_code"].str.fullmatch(r"\d{12}").all()
    assert 18 <= summary.villages <= 25
    assert {"黎族", "苗族", "汉族"} <= set(hukou["ethnicity"])


def test_withdrawals_follow_the_point_rules(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    cards = _source(out, summary, "cards").set_index("card_no")["id_number"]
    frames = []
    for path in _files(out, summary, "payments"):
        f = _canonical("payments", _read(path)).drop_duplicates()
        holder = f["id_number"] if "id_number" in f.columns else f["card_no"].map(cards)
        frames.append(
            pd.DataFrame(
                {
                    "holder": holder,
                    "time": f["txn_time"].map(_text),
                    "type": f["txn_type"],
                    "amount": f["amount"].map(_yuan),
                    "status": f["status"],
                }
            )
        )
    pay = pd.concat(frames, ignore_index=True)
    assert pay["holder"].notna().all()
    assert set(pay["status"]) == {"成功", "失败"}
    assert 0 < (pay["status"] == "失败").mean() < 0.05  # a few failed transactions
    cash = pay[(pay["type"] == "小额取款") & (pay["status"] == "成功")].copy()
    assert (cash["amount"] >= 10).all()
    assert (cash["amount"] % 10 == 0).all()
    cash["day"] = pd.to_datetime(cash["time"], format="mixed").dt.date
    per_day = cash.groupby(["holder", "day"])["amount"].sum()
    assert per_day.max() <= 1000
    assert (pay["type"] == "余额查询").any() and (pay["type"] == "代理缴费").any()
    times = pd.to_datetime(pay["time"], format="mixed")
    assert times.min() >= pd.Timestamp("2020-07-01") and times.max() < pd.Timestamp("2022-07-01")


def test_harvest_inflows_follow_the_crop_season(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    hukou = _source(out, summary, "hukou")
    ids = hukou["id_number"].map(_text)
    household = pd.Series(hukou["household_no"].to_numpy(), index=ids)
    household = household[~household.index.duplicated()]
    archive = _source(out, summary, "archive")
    archive = archive[
        archive["head_id_number"].map(lambda v: isinstance(v, str))
        & (archive["main_industry"] == "种植")
    ]
    crop = pd.Series(
        archive["main_crops"].fillna("").to_numpy(), index=archive["head_id_number"].map(household)
    )
    rice = set(crop[crop == "水稻"].index.dropna())  # rice only: sales Jul–Aug and Oct–Nov
    cards = _source(out, summary, "cards").set_index("card_no")["id_number"]
    months = []
    for path in _files(out, summary, "payments"):
        f = _canonical("payments", _read(path))
        holder = f["id_number"] if "id_number" in f.columns else f["card_no"].map(cards)
        sale = (
            (f["txn_type"] == "转账") & (f["direction"] == "收") & holder.map(household).isin(rice)
        )
        months.extend(pd.to_datetime(f.loc[sale, "txn_time"].map(_text), format="mixed").dt.month)
    assert len(months) > 50
    assert set(months) <= {7, 8, 10, 11}


def test_loan_book(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    loans = _source(out, summary, "loans").drop_duplicates("loan_id")
    dpd = loans["max_days_overdue"].map(_text).astype(int)
    bad = (dpd >= 90) | loans["classification"].isin(NON_PERFORMING)
    assert 0.03 <= bad.mean() <= 0.06
    assert set(loans["classification"]) <= {"正常", "关注", "次级", "可疑", "损失"}
    issued = loans["issue_date"].map(_date)
    assert issued.min() >= date(2018, 1, 1) and issued.max() <= EXPORT_DATE
    assert issued.map(lambda d: d.year).nunique() == 5  # 2018..2022, for out-of-time validation
    age = issued.map(lambda d: (EXPORT_DATE - d).days)
    assert (dpd <= age).all()  # a loan cannot be overdue longer than it exists
    npl = loans["classification"].isin(NON_PERFORMING)
    assert (loans.loc[npl, "status"] == "未结清").all()
    settled = loans["status"] == "结清"
    assert (loans.loc[settled, "balance"].map(_yuan) == 0).all()
    borrowers = set(loans["id_number"].map(_text))
    heads = _source(out, summary, "hukou")
    assert len(borrowers) < 0.8 * len(
        heads[heads["relation_to_head"] == "户主"]
    )  # thin files exist


def test_protected_attributes_do_not_drive_bad_loans(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    hukou = _source(out, summary, "hukou")
    person = hukou.assign(id_number=hukou["id_number"].map(_text)).drop_duplicates("id_number")
    person = person.set_index("id_number")
    loans = _source(out, summary, "loans").drop_duplicates("loan_id")
    loans["bad"] = (loans["max_days_overdue"].map(_text).astype(int) >= 90) | loans[
        "classification"
    ].isin(NON_PERFORMING)
    for attribute in ("ethnicity", "gender"):
        group = loans["id_number"].map(person[attribute])
        p = loans["bad"].mean()
        for name, rows in loans.groupby(group):
            if len(rows) < 150:
                continue
            # within 3.5 binomial standard errors of the overall rate: sqrt(p(1-p)/n)
            assert abs(rows["bad"].mean() - p) <= 3.5 * np.sqrt(p * (1 - p) / len(rows)), (
                attribute,
                name,
            )


def test_risk_ignores_ethnicity_and_gender() -> None:
    rng = np.random.default_rng(3)
    n = 200
    hh = pd.DataFrame(
        {
            "other_debt": rng.uniform(0, 50000, n),
            "annual_income": rng.uniform(20000, 90000, n),
            "land_area_mu": rng.uniform(1, 20, n),
            "transferred_in_mu": np.zeros(n),
            "expense_ratio": rng.uniform(0.4, 1.2, n),
            "cf_vol": rng.uniform(0.2, 1.2, n),
            "u": rng.normal(0, 1, n),
            "criminal": rng.random(n) < 0.05,
            "residence": rng.choice(["常住", "外出务工"], n),
            "ethnicity": rng.choice(["黎族", "汉族"], n),
            "head_male": rng.random(n) < 0.5,
        }
    )
    flipped = hh.assign(
        ethnicity=hh["ethnicity"].map({"黎族": "汉族", "汉族": "黎族"}), head_male=~hh["head_male"]
    )
    assert np.array_equal(risk_logit(hh), risk_logit(flipped))
    worse = hh.assign(expense_ratio=hh["expense_ratio"] + 0.01 * (np.arange(n) == 0))
    assert risk_logit(worse)[0] > risk_logit(hh)[0]  # spending more of income raises risk


def test_villages_differ_in_filing(county: tuple[Path, CountySummary]) -> None:
    out, summary = county
    hukou = _source(out, summary, "hukou")
    household = pd.Series(hukou["household_no"].to_numpy(), index=hukou["id_number"].map(_text))
    household = household[~household.index.duplicated()]
    village = hukou.drop_duplicates("household_no").set_index("household_no")["village_code"]
    archive = _source(out, summary, "archive")
    filed = archive["head_id_number"].map(lambda v: household.get(_text(v))).dropna().unique()
    rate = village.index.isin(filed)
    by_village = pd.Series(rate, index=village.index).groupby(village).mean()
    assert by_village.max() >= 0.88 and by_village.min() <= 0.62
    spouse = hukou[hukou["relation_to_head"] == "配偶"]["id_number"].map(_text)
    assert (
        archive["head_id_number"].map(_text).isin(set(spouse)).sum() > 20
    )  # spouse-named archives


def test_clean_county_has_no_defects(tmp_path: Path) -> None:
    summary = generate_county(tmp_path, households=300, seed=5, months=12, messy=False)
    assert summary.defects == {}
    assert all(n.endswith(".csv") for n in summary.files)
    for name, source in summary.files.items():
        frame = pd.read_csv(tmp_path / name, dtype=str, encoding="utf-8", keep_default_na=False)
        assert set(frame.columns) <= {c.name for c in SOURCES[source].columns}
        for col in ("id_number", "head_id_number"):
            if col in frame.columns:
                assert frame[col].map(lambda v: check_id(v, today=EXPORT_DATE).ok).all()
    pay = [n for n, s in summary.files.items() if s == "payments"]
    assert len(pay) == 4  # 12 months → 4 quarterly files


def test_cli_writes_a_county(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["sample", "--households", "120", "--seed", "3", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "户籍.csv").exists() and (tmp_path / "贷款台账.csv").exists()
    bad = runner.invoke(app, ["sample", "--households", "10", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert "households" in bad.output


def test_big_tables_go_to_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the xlsx row limit the archive is an Excel-saved CSV: numeric IDs read 4.69029E+17."""
    import creditfarm.sample.county as county_module

    monkeypatch.setattr(county_module, "_XLSX_MAX_ROWS", 100)
    summary = generate_county(tmp_path, households=300, seed=4, months=6)
    assert "2021年农户信用档案.csv" in summary.files
    assert not [n for n, s in summary.files.items() if s == "payments" and n.endswith(".xlsx")]
    archive = _canonical("archive", _read(tmp_path / "2021年农户信用档案.csv"))
    sci = archive["head_id_number"].str.fullmatch(r"\d\.\d{5}E\+17")
    assert sci.sum() == summary.defects["archive"]["id_as_number"] == 4
    assert not archive.loc[sci, "head_id_number"].map(lambda v: check_id(v).ok).any()


def _digests(folder: Path) -> dict[str, str]:
    """Every file of the county, the oracle's side file in ``.truth/`` included."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def test_committed_sample_county_is_reproduced(tmp_path: Path) -> None:
    """sample_data/ is `creditfarm sample --households 3000 --seed 2021`, byte for byte (the
    committed model was trained on it)."""
    committed = SAMPLE_DATA
    summary = generate_county(tmp_path, households=3000, seed=2021)
    assert _digests(tmp_path) == _digests(committed)
    assert len(summary.files) == 24


def test_slices_of_rows_do_not_change_the_files(tmp_path: Path) -> None:
    whole = generate_county(tmp_path / "whole", households=300, seed=11, chunk_rows=10**9)
    sliced = generate_county(tmp_path / "sliced", households=300, seed=11, chunk_rows=37)
    assert sliced.file_rows == whole.file_rows
    assert max(n for f, n in whole.file_rows.items() if whole.files[f] == "payments") > 37
    assert _digests(tmp_path / "sliced") == _digests(tmp_path / "whole")
    with pytest.raises(ValueError, match="chunk_rows"):
        generate_county(tmp_path / "x", households=300, chunk_rows=0)


def _transactions(out: Path, summary: CountySummary) -> pd.DataFrame:
    """Every distinct payment of a county's files in one form: holder ID, parsed time, amount."""
    cards = _source(out, summary, "cards").set_index("card_no")["id_number"]
    frames = []
    for path in _files(out, summary, "payments"):
        f = _canonical("payments", _read(path)).drop_duplicates()
        holder = f["id_number"] if "id_number" in f.columns else f["card_no"].map(cards)
        frames.append(
            pd.DataFrame(
                {
                    "file": path.name,
                    "txn_id": f["txn_id"].map(_text),
                    "holder": holder.map(_text),
                    "point_id": f["point_id"],
                    "time": pd.to_datetime(f["txn_time"].map(_text), format="mixed"),
                    "type": f["txn_type"],
                    "amount": f["amount"].map(_yuan),
                    "status": f["status"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_monthly_files_hold_the_quarters_transactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big counties write a file per month: the same transactions as the quarterly files, each
    file's rows as the summary says and within its month."""
    import creditfarm.sample.payment_files as payment_files

    quarterly = generate_county(tmp_path / "q", households=300, seed=11, months=6)
    monkeypatch.setattr(payment_files, "MONTHLY_ABOVE_ROWS", 0)
    monthly = generate_county(tmp_path / "m", households=300, seed=11, months=6)
    names = sorted(n for n, s in monthly.files.items() if s == "payments")
    assert [n.split("_")[-1].split(".")[0] for n in names] == [f"2022-0{m}" for m in range(1, 7)]
    assert sorted(n for n, s in quarterly.files.items() if s == "payments") == [
        "助农取款服务点交易流水_2022Q1.csv",
        "助农取款服务点交易流水_2022Q2.csv",
    ]
    for name in names:  # rows as read back, deliberate duplicates included
        assert len(_read(tmp_path / "m" / name)) == monthly.file_rows[name], name
    assert sum(monthly.file_rows[n] for n in names) == monthly.rows["payments"]
    by_month = _transactions(tmp_path / "m", monthly)
    month_of_file = by_month["file"].str.extract(r"_(\d{4})-(\d{2})\.")
    assert (by_month["time"].dt.year == month_of_file[0].astype(int)).all()
    assert (by_month["time"].dt.month == month_of_file[1].astype(int)).all()
    by_quarter = _transactions(tmp_path / "q", quarterly)
    cols = ["txn_id", "holder", "point_id", "time", "type", "amount", "status"]
    a = by_month[cols].sort_values("txn_id").reset_index(drop=True)
    b = by_quarter[cols].sort_values("txn_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert a["txn_id"].is_unique and a["time"].is_monotonic_increasing  # numbered in time order
