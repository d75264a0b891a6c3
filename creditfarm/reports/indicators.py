"""The county plans' other indicators, per village / town / county:

- 村村有服务: villages with an active 助农取款服务点 / villages (target policy
  [indicators].service_point_coverage);
- service-point use: successful transactions of a household's members at the points in the
  12 months up to the as-of date, per household, and the share of households that used a point;
- agricultural-insurance coverage: households with a member holding an 农业保险 record /
  households (target [indicators].agri_insurance_coverage, 65%).

Also the monthly report workbook (rates + indicators) for the PBoC sub-branch.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from creditfarm.display.exports import excel_writer
from creditfarm.reports.rates import against_target
from creditfarm.storage import paystore
from creditfarm.workspace import Workspace

__all__ = [
    "INACTIVE_POINT_STATUSES",
    "LEVELS",
    "indicators",
    "insured_households",
    "monthly_payments",
    "monthly_report_xlsx",
    "payment_use",
]

LEVELS = ("village", "town", "county")
# A point in one of these states does not serve its village.
INACTIVE_POINT_STATUSES = ("撤销", "停用", "关闭", "注销", "暂停")
# A transaction counts unless it is marked failed (exports without a status column succeed).
_SUCCEEDED = "COALESCE(status, '成功') = '成功'"


def _read(ws: Workspace, sql: str) -> pd.DataFrame:
    with ws.engine.connect() as conn:
        return pd.read_sql(text(sql), conn)


def payment_use(ws: Workspace, *, as_of: date | None = None) -> tuple[pd.DataFrame, date | None]:
    """Successful transactions per household in the 12 months up to ``as_of`` (default: the
    newest transaction's day). Returns (household_no, txns) and the as-of date used."""
    con = paystore.connect(ws.payments_root)
    try:
        if as_of is None:
            row = con.execute("SELECT MAX(txn_time) FROM payments").fetchone()
            newest = row[0] if row else None
            if newest is None:
                return pd.DataFrame({"household_no": [], "txns": []}), None
            as_of = newest.date()
        end = datetime.combine(as_of, time.max)
        start = datetime.combine(as_of - relativedelta(months=12), time.max)
        per_person = con.execute(
            "SELECT person_key, COUNT(*) AS txns FROM payments "
            f"WHERE person_key IS NOT NULL AND {_SUCCEEDED} "
            "AND txn_time > ? AND txn_time <= ? GROUP BY person_key",
            [start, end],
        ).df()
    finally:
        con.close()
    people = _read(ws, "SELECT person_key, household_no FROM person WHERE household_no IS NOT NULL")
    merged = per_person.merge(people, on="person_key")
    per_household = merged.groupby("household_no", as_index=False)["txns"].sum()
    return per_household, as_of


def monthly_payments(ws: Workspace, *, start: date, end: date) -> pd.DataFrame:
    """Successful transactions per 户籍 household and calendar month from ``start`` to ``end``
    (both days included): household_no, month (``YYYY-MM``), txns, card_txns (with a card),
    bill_txns (代理缴费, or a 缴费项目 given). The months the index rolls into 12-month windows,
    counted as ``payment_use`` counts."""
    con = paystore.connect(ws.payments_root)
    try:
        per_person = con.execute(
            "SELECT person_key, strftime(txn_time, '%Y-%m') AS month, COUNT(*) AS txns, "
            "COUNT(card_key) AS card_txns, "
            "SUM(CASE WHEN txn_type = '代理缴费' OR COALESCE(bill_category, '') <> '' "
            "THEN 1 ELSE 0 END) AS bill_txns FROM payments "
            f"WHERE person_key IS NOT NULL AND {_SUCCEEDED} "
            "AND txn_time >= ? AND txn_time <= ? GROUP BY person_key, month",
            [datetime.combine(start, time.min), datetime.combine(end, time.max)],
        ).df()
    finally:
        con.close()
    people = _read(ws, "SELECT person_key, household_no FROM person WHERE household_no IS NOT NULL")
    merged = per_person.merge(people, on="person_key")
    columns = ["txns", "card_txns", "bill_txns"]
    out = merged.groupby(["household_no", "month"], as_index=False)[columns].sum()
    out[columns] = out[columns].astype(int)
    return out


def insured_households(ws: Workspace) -> set[str]:
    """Households with a member holding an 农业保险 record (the records carry no date)."""
    insured = _read(
        ws,
        "SELECT DISTINCT p.household_no FROM govrecord g "
        "JOIN person p ON p.person_key = g.person_key "
        "WHERE g.source = 'agri_insurance' AND p.household_no IS NOT NULL",
    )
    return set(insured["household_no"])


def _household_base(ws: Workspace) -> pd.DataFrame:
    households = _read(
        ws,
        "SELECT h.household_no, h.village_code, r.village_name, r.town_code, r.town_name, "
        "r.county_code, r.county_name FROM household h "
        "LEFT JOIN region r ON r.village_code = h.village_code",
    )
    households["insured"] = households["household_no"].isin(insured_households(ws))
    return households


def _area_keys(frame: pd.DataFrame, level: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(code, name, town_name) of each row's area at ``level``."""
    if level == "village":
        return frame["village_code"], frame["village_name"], frame["town_name"]
    if level == "town":
        code = frame["town_code"].fillna(frame["town_name"])
        return code, frame["town_name"], frame["town_name"]
    code = frame["county_code"].fillna(frame["county_name"]).fillna("county")
    name = frame["county_name"].fillna("全县")
    return code, name, pd.Series("", index=frame.index)


def indicators(ws: Workspace, *, level: str = "village", as_of: date | None = None) -> pd.DataFrame:
    """Per area: code, name, town_name, villages, villages_with_point, service_coverage,
    households, txns, txns_per_household, using_households, use_share, insured_households,
    insurance_coverage, and the targets (service_target, insurance_target)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    hh = _household_base(ws)
    use, _ = payment_use(ws, as_of=as_of)
    hh = hh.merge(use, on="household_no", how="left")
    hh["txns"] = hh["txns"].fillna(0).astype(int)
    hh["code"], hh["name"], hh["town"] = _area_keys(hh, level)

    regions = _read(
        ws,
        "SELECT village_code, village_name, town_code, town_name, county_code, "
        "county_name FROM region",
    )
    points = _read(ws, "SELECT village_code, status FROM point")
    active = points[~points["status"].fillna("").isin(INACTIVE_POINT_STATUSES)]
    regions["has_point"] = regions["village_code"].isin(active["village_code"])
    regions["code"], regions["name"], regions["town"] = _area_keys(regions, level)

    villages = regions.groupby("code", as_index=False).agg(
        villages=("village_code", "size"), villages_with_point=("has_point", "sum")
    )
    areas = hh.groupby(["code", "name", "town"], as_index=False, dropna=False).agg(
        households=("household_no", "size"),
        txns=("txns", "sum"),
        using_households=("txns", lambda s: int((s > 0).sum())),
        insured_households=("insured", "sum"),
    )
    out = areas.merge(villages, on="code", how="outer")
    for col in (
        "households",
        "txns",
        "using_households",
        "insured_households",
        "villages",
        "villages_with_point",
    ):
        out[col] = out[col].fillna(0).astype(int)
    out["service_coverage"] = out["villages_with_point"] / out["villages"].where(
        out["villages"] > 0
    )
    per_hh = out["households"].where(out["households"] > 0)
    out["txns_per_household"] = out["txns"] / per_hh
    out["use_share"] = out["using_households"] / per_hh
    out["insurance_coverage"] = out["insured_households"] / per_hh
    out["service_target"] = ws.policy.indicators.service_point_coverage
    out["insurance_target"] = ws.policy.indicators.agri_insurance_coverage
    out = out.rename(columns={"town": "town_name"})
    columns = [
        "code",
        "name",
        "town_name",
        "villages",
        "villages_with_point",
        "service_coverage",
        "households",
        "txns",
        "txns_per_household",
        "using_households",
        "use_share",
        "insured_households",
        "insurance_coverage",
        "service_target",
        "insurance_target",
    ]
    return out[columns].sort_values("code").reset_index(drop=True)


def monthly_report_xlsx(
    *,
    rates: pd.DataFrame,
    indicator_table: pd.DataFrame,
    filing_target: float,
    pre_credit_target: float,
    period: str,
    unit_name: str = "",
) -> bytes:
    """The monthly report workbook: sheet 建档与预授信 (per area: households, filed, filing rate,
    target, gap, pre-credited, rate, target, gap) and sheet 其他指标; a title row naming the
    period, units in the headers, areas below target first."""
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        book = writer.book
        title = book.add_format({"bold": True, "font_size": 14})
        note = book.add_format({"italic": True, "font_color": "#555555"})
        head = book.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
            }
        )
        plain = book.add_format({"border": 1})
        num = book.add_format({"border": 1, "num_format": "#,##0"})
        dec = book.add_format({"border": 1, "num_format": "#,##0.0"})
        pct = book.add_format({"border": 1, "num_format": "0.0%"})
        red = book.add_format({"border": 1, "num_format": "0.0%", "font_color": "#C00000"})

        sheet = book.add_worksheet("建档与预授信")
        sheet.merge_range(0, 0, 0, 11, f"{unit_name}农户建档与预授信情况月报（{period}）", title)
        sheet.write(1, 0, "单位：户、%；目标为县域普惠金融方案年度目标", note)
        headers = [
            "代码",
            "名称",
            "所属乡镇",
            "户籍户数(户)",
            "已建档户数(户)",
            "建档率(%)",
            "建档率目标(%)",
            "建档率差距(百分点)",
            "已预授信户数(户)",
            "预授信率(%)",
            "预授信率目标(%)",
            "预授信率差距(百分点)",
        ]
        for j, h in enumerate(headers):
            sheet.write(2, j, h, head)
        ordered = against_target(
            rates, filing_target=filing_target, pre_credit_target=pre_credit_target
        )
        for i, r in enumerate(ordered.itertuples(), start=3):
            sheet.write(i, 0, str(r.code), plain)
            sheet.write(i, 1, str(r.name or ""), plain)
            sheet.write(i, 2, str(getattr(r, "town_name", "") or ""), plain)
            sheet.write_number(i, 3, int(r.households), num)
            sheet.write_number(i, 4, int(r.filed), num)
            sheet.write_number(i, 5, float(r.filing_rate), red if r.filing_below else pct)
            sheet.write_number(i, 6, filing_target, pct)
            sheet.write_number(i, 7, float(r.filing_gap) * 100, dec)  # percentage points
            sheet.write_number(i, 8, int(r.pre_credited), num)
            sheet.write_number(i, 9, float(r.pre_credit_rate), red if r.pre_credit_below else pct)
            sheet.write_number(i, 10, pre_credit_target, pct)
            sheet.write_number(i, 11, float(r.pre_credit_gap) * 100, dec)
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 2, 12)
        sheet.set_column(3, 11, 11)
        sheet.freeze_panes(3, 2)

        other = book.add_worksheet("其他指标")
        other.merge_range(0, 0, 0, 9, f"{unit_name}普惠金融其他指标（{period}）", title)
        other.write(1, 0, "服务点使用：近12个月成功交易笔数", note)
        headers = [
            "代码",
            "名称",
            "行政村数(个)",
            "有服务点村数(个)",
            "村村有服务覆盖率(%)",
            "户籍户数(户)",
            "户均服务点交易(笔/户)",
            "使用服务点户占比(%)",
            "参加农业保险户数(户)",
            "农业保险覆盖率(%)",
        ]
        for j, h in enumerate(headers):
            other.write(2, j, h, head)
        for i, r in enumerate(indicator_table.itertuples(), start=3):
            other.write(i, 0, str(r.code), plain)
            other.write(i, 1, str(r.name or ""), plain)
            other.write_number(i, 2, int(r.villages), num)
            other.write_number(i, 3, int(r.villages_with_point), num)
            _write_share(other, i, 4, r.service_coverage, pct, plain)
            other.write_number(i, 5, int(r.households), num)
            _write_share(other, i, 6, r.txns_per_household, dec, plain)
            _write_share(other, i, 7, r.use_share, pct, plain)
            other.write_number(i, 8, int(r.insured_households), num)
            _write_share(
                other,
                i,
                9,
                r.insurance_coverage,
                red if (r.insurance_coverage or 0) < r.insurance_target else pct,
                plain,
            )
        other.set_column(0, 9, 13)
    return buffer.getvalue()


def _write_share(sheet, row: int, col: int, value, fmt, plain) -> None:  # type: ignore[no-untyped-def]
    if value is None or pd.isna(value):
        sheet.write(row, col, "—", plain)
    else:
        sheet.write_number(row, col, float(value), fmt)
