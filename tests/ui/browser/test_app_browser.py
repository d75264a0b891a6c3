"""Click through every page and one household in headless chromium; screenshots go to
test-output/screenshots/ (look at them: the Chinese must be legible, not boxes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("app_county")]

# (path, title, the demo account that may open it)
PAGES = [
    ("", "农户评估", "supervisor1"),  # the first page a role may use lives at "/"
    ("rates", "建档与预授信", "pboc1"),
    ("index", "普惠金融指数", "pboc1"),
    ("villages", "信用村评定", "village1"),
    ("model", "模型", "supervisor1"),
    ("import", "数据导入", "admin1"),
    ("admin", "用户与审计", "admin1"),
]


def sign_in(page: Any, url: str, user: str) -> None:
    """Open ``url`` and sign in as a demo account (password ``<user>-demo``): every new browser
    session starts at the sign-in form."""
    page.goto(url)
    page.get_by_role("heading", name="creditfarm 农户信用 · 登录").wait_for()
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(f"{user}-demo")
    page.get_by_role("button", name="登录").click()


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


def test_sign_in_is_required_and_wrong_passwords_refused(page: Any, app_url: str) -> None:
    page.goto(app_url)
    page.get_by_role("heading", name="creditfarm 农户信用 · 登录").wait_for()
    assert "农户评估" not in page.inner_text("body")
    page.get_by_label("用户名").fill("supervisor1")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码错误").wait_for()


@pytest.mark.parametrize(("path", "title", "user"), PAGES)
def test_page_renders(
    page: Any, app_url: str, screenshots: Path, path: str, title: str, user: str
) -> None:
    sign_in(page, app_url, user)  # lands on the first page the role may use
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text(title, exact=True).wait_for()
    nav.get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    settle(page)
    page.screenshot(path=str(screenshots / f"page-{path or 'officer'}.png"), full_page=True)
    assert title in page.inner_text("body")


def test_navigation_shows_each_role_its_pages(page: Any, app_url: str) -> None:
    sign_in(page, app_url, "supervisor1")
    page.get_by_role("heading", name="农户评估", exact=True).wait_for()
    settle(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    for title in ("建档与预授信", "信用村评定", "模型"):
        nav.get_by_text(title, exact=True).click()
        page.get_by_role("heading", name=title, exact=True).wait_for()
        settle(page)
    shown = nav.inner_text()
    assert "数据导入" not in shown and "用户与审计" not in shown  # the administrator's pages


def test_the_pboc_analyst_sees_no_household(page: Any, app_url: str, screenshots: Path) -> None:
    sign_in(page, app_url, "pboc1")
    page.get_by_role("heading", name="建档与预授信", exact=True).wait_for()  # their first page
    settle(page)
    shown = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "农户评估" not in shown and "数据导入" not in shown
    page.screenshot(path=str(screenshots / "pboc-first-page.png"), full_page=True)


def test_upload_files(page: Any, app_url: str, app_county: Any, screenshots: Path) -> None:
    """Upload two of the county's own exports: re-importing the same files changes nothing."""
    files = sorted(
        p for p in app_county.sample_dir.iterdir() if p.stem in ("行政区划", "逃废债黑名单")
    )
    assert files, sorted(p.name for p in app_county.sample_dir.iterdir())
    sign_in(page, app_url, "admin1")
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text("数据导入", exact=True).click()
    page.get_by_role("heading", name="数据导入", exact=True).wait_for()
    settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(p) for p in files]
    )
    page.get_by_text(files[0].name).wait_for()
    page.get_by_role("button", name="导入上传的文件").click()
    page.get_by_text("导入完成：2 个文件全部导入。").wait_for()
    settle(page)
    page.screenshot(path=str(screenshots / "import-upload.png"), full_page=True)


def test_open_a_household(page: Any, app_url: str, screenshots: Path) -> None:
    sign_in(page, app_url, "supervisor1")
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


def test_queue_and_approvals(page: Any, app_url: str, screenshots: Path) -> None:
    """The supervisor's views: the queue with its counts per reason, and the 待审批 list."""
    sign_in(page, app_url, "supervisor1")
    page.get_by_role("heading", name="农户评估", exact=True).wait_for()
    settle(page)
    page.get_by_text("待复核队列", exact=True).click()
    page.get_by_text("按优先顺序排列").wait_for()
    settle(page)
    body = page.inner_text("body")
    assert "复核原因" in body and "信贷员" in body
    page.screenshot(path=str(screenshots / "officer-queue.png"), full_page=True)
    page.get_by_text("待审批", exact=True).click()
    page.get_by_text("须由经办人以外的信贷主管审批后生效").wait_for()
    settle(page)
    page.screenshot(path=str(screenshots / "officer-approvals.png"), full_page=True)
