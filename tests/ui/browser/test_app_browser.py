"""Click through every page and one household in headless chromium; screenshots go to
test-output/screenshots/ (look at them: the Chinese must be legible, not boxes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("app_county")]

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
    # Tables and charts load lazily: wait until no placeholder skeleton is left.
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0")
    page.wait_for_timeout(800)
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


def test_upload_files(page: Any, app_url: str, app_county: Any, screenshots: Path) -> None:
    """Upload two of the county's own exports: re-importing the same files changes nothing."""
    files = sorted(
        p for p in app_county.sample_dir.iterdir() if p.stem in ("行政区划", "逃废债黑名单")
    )
    assert files, sorted(p.name for p in app_county.sample_dir.iterdir())
    page.goto(f"{app_url}/import")
    page.get_by_role("heading", name="数据导入", exact=True).wait_for()
    settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(p) for p in files]
    )
    page.get_by_text(files[0].name).wait_for()
    page.get_by_role("button", name="导入上传的文件").click()
    page.get_by_text("导入完成：2 个文件，其中失败 0 个。").wait_for()
    settle(page)
    page.screenshot(path=str(screenshots / "import-upload.png"), full_page=True)


def test_open_a_household(page: Any, app_url: str, screenshots: Path) -> None:
    page.goto(app_url)
    page.get_by_role("heading", name="农户评估", exact=True).wait_for()
    settle(page)
    status = page.locator('[data-testid="stSelectbox"]').filter(has_text="状态")
    status.click()
    page.get_by_role("option", name="已评级", exact=True).click()
    settle(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="选择农户查看详情")
    box.click()
    page.get_by_role("option").nth(1).click()
    page.get_by_text("家庭成员").wait_for()
    page.get_by_text("评分解释").wait_for()
    settle(page)
    body = page.inner_text("body")
    assert "户号 " in body and "等级历史" in body and "预授信额度" in body
    assert "降低评分的因素" in body and "提高评分的因素" in body
    page.screenshot(path=str(screenshots / "household-card.png"), full_page=True)
    # The waterfall (Plotly, drawn by the browser) and the reason sentences.
    page.get_by_text("降低评分的因素").scroll_into_view_if_needed()
    page.locator(".js-plotly-plot").first.wait_for()
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "household-explanation.png"))
