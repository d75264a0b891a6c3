"""Pages only render: no SQL, no database access and no business constants in ``ui/`` or
``app.py``. Queries and figures live in the library rooms (officer, reports, model); grade bands
and thresholds come from the policy file or a documented library constant.

The checks read the code's syntax tree, so comments and Chinese UI text never trip them; the
last test shows that each check catches what it is meant to.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from creditfarm.policy.config import load_policy
from creditfarm.settings import DEFAULT_POLICY_FILE
from tests.helpers.paths import ROOT

UI_FILES = [*sorted((ROOT / "ui").glob("*.py")), ROOT / "app.py"]

# Database clients and the storage room: a page reaches data only through library functions.
FORBIDDEN_IMPORTS = ("sqlalchemy", "sqlmodel", "duckdb", "sqlite3", "psycopg", "creditfarm.storage")
# Attribute names that mean a query is being run here (ws.engine, conn.execute, pd.read_sql …).
FORBIDDEN_ATTRIBUTES = {"engine", "execute", "read_sql", "read_sql_query", "read_sql_table"}
# SQL keywords as the codebase writes them (upper case), in the shape of a statement.
SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b|\bUPDATE\s+\w+\s+SET\b"
)
GRADES = set(load_policy(DEFAULT_POLICY_FILE).grade_order)
ALLOWED_NUMBERS = {0, 1}  # emptiness and single-item checks; anything else is a threshold


def violations(source: str) -> list[str]:
    """What in ``source`` a page must not contain, one line per finding."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                if name and any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS):
                    found.append(f"{line}: imports {name}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"{line}: uses .{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL.search(node.value):
                found.append(f"{line}: SQL text {node.value[:40]!r}")
            if node.value in GRADES and len(node.value) > 1:
                found.append(f"{line}: grade {node.value!r} written out")
        elif isinstance(node, ast.List | ast.Tuple | ast.Set):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if sum(w in GRADES for w in words if isinstance(w, str)) >= 2:
                found.append(f"{line}: grade bands written out")
        elif isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                if (
                    isinstance(side, ast.Constant)
                    and isinstance(side.value, int | float)
                    and not isinstance(side.value, bool)
                    and side.value not in ALLOWED_NUMBERS
                ):
                    found.append(f"{line}: compares with the constant {side.value!r}")
    return found


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_pages_hold_no_sql_and_no_business_constants(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


def test_every_page_is_checked() -> None:
    names = {p.name for p in UI_FILES}
    assert {"app.py", "common.py", "page_officer.py", "page_rates.py", "page_model.py"} <= names


@pytest.mark.parametrize(
    ("source", "finding"),
    [
        ("from sqlalchemy import text", "imports sqlalchemy"),
        ("import duckdb", "imports duckdb"),
        ("from creditfarm.storage.models import Assessment", "imports creditfarm.storage"),
        ("with ws.engine.connect() as c:\n    pass", "uses .engine"),
        ("conn.execute(q)", "uses .execute"),
        ("pd.read_sql(q, c)", "uses .read_sql"),
        ("q = 'SELECT MAX(as_of) FROM assessment'", "SQL text"),
        ('q = """\n    SELECT household_no\n    FROM household\n"""', "SQL text"),
        ("GRADE_ORDER = ['AAA', 'AA', 'A', 'B', 'C']", "grade bands written out"),
        ("top = grade == 'AAA'", "grade 'AAA' written out"),
        ("verdict = '稳定' if value < 0.1 else '需关注'", "compares with the constant 0.1"),
        ("drift = value >= 0.25", "compares with the constant 0.25"),
    ],
)
def test_each_check_catches_what_it_is_for(source: str, finding: str) -> None:
    assert any(finding in v for v in violations(source)), violations(source)


def test_rendering_code_passes() -> None:
    ok = (
        "import streamlit as st\n"
        "st.text('SELECT 一个村')\n"  # st.text is Streamlit, and SELECT + Chinese is no query
        "st.selectbox('等级', ['', *ws.policy.grade_order])\n"
        "if not frame.empty and len(rows) > 1:\n"
        "    st.metric('建档率', fmt_pct(total['filing_rate']))\n"
    )
    assert violations(ok) == []
