"""Exports that open safely in a spreadsheet: no formula from user-supplied text."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from creditfarm.display.exports import csv_text, excel_writer, neutralise, safe_frame
from creditfarm.scoring.lists import write_scores

HOSTILE = [
    '=HYPERLINK("http://x.example/","点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
]


def test_each_formula_prefix_is_quoted_and_plain_text_is_not():
    assert [neutralise(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert [neutralise(v) for v in ["黎明", "a=b", "3-2", "", None, -5, 2.5]] == [
        "黎明",
        "a=b",
        "3-2",
        "",
        None,
        -5,
        2.5,
    ]


def test_numbers_stay_numbers_in_a_csv():
    frame = pd.DataFrame({"户主": ["=1+1", "黎明"], "额度": [-5000, 30000], "比上月": [-0.5, 1.5]})
    text = csv_text(frame)
    assert text.splitlines() == ["户主,额度,比上月", "'=1+1,-5000,-0.5", "黎明,30000,1.5"]
    assert safe_frame(frame)["额度"].tolist() == [-5000, 30000]


def test_no_cell_of_an_xlsx_is_a_formula():
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        pd.DataFrame({"name": HOSTILE}).to_excel(writer, index=False, sheet_name="a")
        sheet = writer.book.add_worksheet("b")  # cell by cell, as the report writers do
        for row, value in enumerate(HOSTILE):
            sheet.write(row, 0, value)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert cells and all(c.data_type != "f" for c in cells)
    # Kept as text, word for word (a carriage return is stored as the escape _x000D_).
    assert [c.value for c in book["b"]["A"]][:-1] == HOSTILE[:-1]


def test_the_scores_list_in_both_formats():
    frame = pd.DataFrame({"head_name": HOSTILE[:2], "limit": [50000, 0]})
    out = io.BytesIO()
    write_scores(frame, fmt="csv", out=out)
    lines = out.getvalue().decode("utf-8-sig").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[2].startswith("'=cmd|")
    out = io.BytesIO()
    write_scores(frame, fmt="xlsx", out=out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet is not None
    assert [c.data_type for c in sheet["A"]] == ["s", "s", "s"]
    assert sheet["A2"].value == HOSTILE[0]
