"""The PBoC analyst's monthly report and the credit-village year in headless chromium:
pboc1 downloads the report (the test opens the saved file), supervisor1 stores a year's
assessment and sees the result column first; screenshots in test-output/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.ui.browser.test_app_browser import settle, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("app_county")]


def _open(page: Any, app_url: str, user: str, title: str) -> None:
    sign_in(page, app_url, user)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text(title, exact=True).wait_for()
    nav.get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    settle(page)


def test_pboc_downloads_the_monthly_report(
    page: Any, app_url: str, screenshots: Path, tmp_path: Path
) -> None:
    _open(page, app_url, "pboc1", "建档与预授信")
    body = page.inner_text("body")
    assert "全县月度趋势" in body and "年目标" in body
    page.get_by_label("填报人").fill("王五")
    page.get_by_label("填报人").press("Enter")
    settle(page)
    page.get_by_text("月报（Excel）", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "rates-monthly.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="导出月报（Excel）").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.endswith("月.xlsx")
    sheet = load_workbook(saved)["月报"]
    assert sheet["C6"].value == "全县合计"
    rows = sheet.iter_rows(min_row=6, values_only=True)
    villages = [r for r in rows if isinstance(r[0], int)]  # 序号 1…N
    assert sheet["D6"].value == sum(r[3] for r in villages)  # the total adds up
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "填报人：王五" in texts


def test_a_year_is_assessed_and_the_result_comes_first(
    page: Any, app_url: str, screenshots: Path
) -> None:
    _open(page, app_url, "supervisor1", "信用村评定")
    page.get_by_role("button", name="评定2022年度并保存结果").click()
    page.get_by_text("已保存2022年度评定结果").wait_for()
    settle(page)
    # the viewport, not the whole page: the result column must show without scrolling
    page.screenshot(path=str(screenshots / "villages-year.png"))
    assert "历年评定" in page.inner_text("body")
