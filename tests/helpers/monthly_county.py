"""A hand-made county dated month by month, for the monthly rates, trend and report.

保亭县: 什玲镇 (什玲村 V1: H1–H4, 八村 V2: H5–H6) and 加茂镇 (加茂村 V3: H7–H10).

archive filed:  H7 2021-01-31 · H1 2021-11-10 · H2 2021-12-01 · H5 2021-12-31 · H9 2022-01-01 ·
                H3 2022-01-15 · H8 2022-01-31 · H6 2022-02-01 · H4, H10 never; an outsider's
                archive (2021-06-01) links to no household.
assessed 2021-12-31: H1 yes, H2 yes, H5 no, H7 yes (pre-credited or not)
assessed 2022-01-31: H1 yes, H2 no, H3 yes, H5 yes, H7 yes, H8 yes, H9 no
"""

from __future__ import annotations

from datetime import date

from creditfarm.storage.models import Archive
from creditfarm.workspace import Workspace
from tests.helpers.county import (
    V1,
    V2,
    V3,
    Member,
    add_assessment,
    add_household,
    add_regions,
    insert_rows,
)

DEC, JAN = date(2021, 12, 31), date(2022, 1, 31)
FILED = {
    "H1": (V1, date(2021, 11, 10)),
    "H2": (V1, date(2021, 12, 1)),
    "H3": (V1, date(2022, 1, 15)),
    "H4": (V1, None),
    "H5": (V2, date(2021, 12, 31)),
    "H6": (V2, date(2022, 2, 1)),
    "H7": (V3, date(2021, 1, 31)),
    "H8": (V3, date(2022, 1, 31)),
    "H9": (V3, date(2022, 1, 1)),
    "H10": (V3, None),
}
NAMES = ["黎明", "李梅", "符军", "王芳", "陈强", "林海", "吴刚", "赵丽", "周杰", "郑华"]
ASSESSED = {
    DEC: {"H1": True, "H2": True, "H5": False, "H7": True},
    JAN: {"H1": True, "H2": False, "H3": True, "H5": True, "H7": True, "H8": True, "H9": False},
}


def build(ws: Workspace) -> None:
    add_regions(ws)
    for i, (household, (village, filed)) in enumerate(FILED.items(), start=1):
        add_household(
            ws,
            household,
            village,
            [Member(NAMES[i - 1], serial=i)],
            archive=None if filed is None else {"filed_date": filed},
        )
    insert_rows(
        ws,
        {
            Archive: [
                {
                    "head_person_key": "outsider",
                    "household_no": None,
                    "head_name": "外来",
                    "filed_date": date(2021, 6, 1),
                }
            ]
        },
    )
    for as_of, households in ASSESSED.items():
        for household, granted in households.items():
            add_assessment(
                ws,
                household,
                grade="A" if granted else "B",
                score=65.0 if granted else 50.0,
                limit=50000.0 if granted else 0.0,
                village=FILED[household][0],
                as_of=as_of,
            )
