"""Click through every page and one household in headless chromium; screenshots go to
test-output/screenshots/ (look at them: the Chinese must be legible, not boxes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [
    ("", "农户评估"),  # the default page lives at "/"
    ("rates", "建档与预授信"),
    ("villages", "信用村评定"),
    ("model", "模型"),
    ("import", "数据导入"),
]


def settle(page: Any) -> None:
    """Wait until the script run has finished (the status widget leaves) and nothing failed."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_timeout(500)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
    body = page.inner_text("body")
    assert page.locator('[data-testid="stException"]').count() == 0, body[:2000]
    assert "Page not found" not in body


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_page_renders(page: Any, app_url: str, screenshots: Path, path: str, title: str) -> None:
    page.goto(f"{app_url}/{path}")
    page.get_by_role("heading", name=title, exact=True).wait_for()
    settle(page)
    page.screenshot(path=str(screenshots / f"page-{path or 'officer'}.png"), full_page=True)
    assert title in page.inner_text("body")


def test_navigation_sidebar(page: Any, app_url: str) -> None:
    page.goto(app_url)
    page.get_by_role("heading", name="农户评估", exact=True).wait_for()
    settle(page)
    for _, title in PAGES[1:]:
        page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
        page.get_by_role("heading", name=title, exact=True).wait_for()
        settle(page)


def test_open_a_household(page: Any, app_url: str, screenshots: Path) -> None:
    page.goto(app_url)
    page.get_by_role("heading", name="农户评估", exact=True).wait_for()
    settle(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="选择农户查看详情")
    box.click()
    page.locator('li[role="option"]').nth(1).click()
    page.get_by_text("家庭成员").wait_for()
    page.get_by_text("评分解释").wait_for()
    settle(page)
    body = page.inner_text("body")
    assert "户号 " in body and "等级" in body and "预授信额度" in body
    page.screenshot(path=str(screenshots / "household-card.png"), full_page=True)
