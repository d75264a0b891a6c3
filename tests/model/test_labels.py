"""Labels on a snapshot loan book, worked by hand (observation 2021-06-30, window to 2022-06-30)."""

from __future__ import annotations

from datetime import date

import pytest

from creditfarm.features import load_county
from creditfarm.model.labels import build_labels, observation_dates, window_end
from tests.helpers.county import V1, Member, add_household, add_loans, add_regions, person_key

T = date(2021, 6, 30)
SNAP = date(2022, 6, 30)


def _loan(ws, loan_id, n, issue, maturity, dpd, cls, status):
    return {
        "loan_id": loan_id,
        "person_key": person_key(ws, n),
        "issue_date": issue,
        "maturity_date": maturity,
        "amount": 10000.0,
        "max_days_overdue": dpd,
        "classification": cls,
        "status": status,
        "balance": 0.0 if status == "结清" else 1.0,
    }


def test_observation_dates_are_quarter_ends_whose_windows_end_by_the_data_date():
    assert observation_dates(SNAP, count=3) == [date(2020, 12, 31), date(2021, 3, 31), T]
    assert window_end(T) == SNAP
    with pytest.raises(ValueError):
        observation_dates(SNAP, count=0)


def test_bad_good_and_excluded_households(ws):
    add_regions(ws)
    filed_early = {"filed_date": date(2019, 1, 1), "household_size": None}
    for i, hh in enumerate(["A", "B", "C", "D", "E", "F"], start=1):
        archive = (
            {"filed_date": date(2021, 12, 1), "household_size": None} if hh == "E" else filed_early
        )
        add_household(
            ws,
            hh,
            V1,
            [
                Member(
                    "张三",
                    key=person_key(ws, i),
                    birth_date=date(1975, 1, 1),
                    gender="男",
                    ethnicity="汉族",
                )
            ],
            archive=archive,
        )
    add_loans(
        ws,
        [
            # A: matured 2021-06-01, 120 days overdue → 90 days on 2021-08-30, in the window: bad
            _loan(ws, "a", 1, date(2020, 6, 1), date(2021, 6, 1), 120, "次级", "未结清"),
            # B: on book in the window, repaid on time: good
            _loan(ws, "b", 2, date(2021, 1, 1), date(2022, 1, 1), 0, "正常", "结清"),
            # C: repaid in 2020, nothing in the window: not in the population
            _loan(ws, "c", 3, date(2019, 1, 1), date(2020, 1, 1), 0, "正常", "结清"),
            # D: matured 2020-12-01, 200 days overdue and unpaid → 90 days on 2021-03-01 ≤ T:
            #    already non-performing at T, excluded
            _loan(ws, "d", 4, date(2019, 12, 1), date(2020, 12, 1), 200, "损失", "未结清"),
            # E: would be bad, but the archive was filed after T: not in the population
            _loan(ws, "e", 5, date(2020, 6, 1), date(2021, 6, 1), 120, "次级", "未结清"),
            # F: 30 days overdue yet 可疑 on the export: dated at the export, in window: bad
            _loan(ws, "f", 6, date(2021, 3, 1), date(2022, 3, 1), 30, "可疑", "未结清"),
        ],
    )
    labels = build_labels(load_county(ws, snapshot=SNAP), observed=T)
    assert labels["bad"].to_dict() == {"A": 1, "B": 0, "F": 1}


def test_a_window_past_the_loan_book_date_is_refused(ws):
    add_regions(ws)
    add_household(
        ws,
        "A",
        V1,
        [
            Member(
                "张三",
                key=person_key(ws, 1),
                birth_date=date(1975, 1, 1),
                gender="男",
                ethnicity="汉族",
            )
        ],
        archive={"filed_date": date(2019, 1, 1), "household_size": None},
    )
    with pytest.raises(ValueError, match="ends after"):
        build_labels(load_county(ws, snapshot=SNAP), observed=date(2021, 9, 30))


def test_new_loans_count_only_when_their_outcome_can_be_seen(ws):
    add_regions(ws)
    for i, hh in enumerate(["G", "H"], start=1):
        add_household(
            ws,
            hh,
            V1,
            [
                Member(
                    "张三",
                    key=person_key(ws, i),
                    birth_date=date(1975, 1, 1),
                    gender="男",
                    ethnicity="汉族",
                )
            ],
            archive={"filed_date": date(2019, 1, 1), "household_size": None},
        )
    add_loans(
        ws,
        [
            # G: first loan in the window, due 2022-08-01: 90 days past maturity fall after the
            #    window's end (2022-06-30), so its outcome is unseen: not in the population
            _loan(ws, "g", 1, date(2021, 8, 1), date(2022, 8, 1), 0, "正常", "未结清"),
            # H: a 3-month loan, due 2021-10-01; + 90 days = 2021-12-30 ≤ 2022-06-30: seen, good
            _loan(ws, "h", 2, date(2021, 7, 1), date(2021, 10, 1), 0, "正常", "结清"),
        ],
    )
    labels = build_labels(load_county(ws, snapshot=SNAP), observed=T)
    assert labels["bad"].to_dict() == {"H": 0}
