"""The console in a real browser: Playwright driving Debian's chromium.

Outside CI the test skips when /usr/bin/chromium is absent; with CI=true it must run (.ci/run
installs chromium). Screenshots of every step are saved under test-artefacts/browser/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import REPO_ROOT, in_ci
from tests.web.conftest import PASSWORD, Site

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = REPO_ROOT / "test-artefacts" / "browser"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if in_ci():
            pytest.fail("CI must run the browser tests: chromium is missing (see .ci/run)")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_walkthrough(site: Site, browser: Browser, tmp_path: Path, backend: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{site.url}/")
        expect(page).to_have_url(f"{site.url}/login?next=/")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("数据看板")
        expect(page.locator("#kpi-customers")).to_have_text("3")
        shot(page, f"{backend}-1-dashboard")

        upload = tmp_path / "mini.csv"
        upload.write_text(
            "order_id,customer_id,phone,ordered_at,amount\n"
            "M1,C1,13800000001,2026-03-20 10:00:00,88\nM2,C7,,2026-03-21,bad\n",
            encoding="utf-8",
        )
        page.click("text=数据导入")
        page.wait_for_url(f"{site.url}/imports", wait_until="load")
        page.select_option("select[name=format]", "orders-csv")
        page.set_input_files("input[name=file]", str(upload))
        page.click("#upload button[type=submit]")
        expect(page.locator("#upload-result")).to_contain_text("已导入: 2 / 1 / 1", timeout=20_000)
        expect(page.locator("#runs tbody tr").first.locator(".rejected a")).to_have_text("1")
        shot(page, f"{backend}-2-import")

        page.click("header nav >> text=客户")
        page.wait_for_url(f"{site.url}/customers", wait_until="load")
        page.fill("input[name=q]", "13800000001")
        page.click("form.filters button")
        page.click(f"a[href='/customers/{site.customers['C1']}']")
        expect(page.locator("#stage")).to_have_text("二单")
        expect(page.locator("table").nth(1)).to_contain_text("M1")
        shot(page, f"{backend}-3-customer-360")

        page.click("a[data-lang=en]")
        expect(page.locator("#stage")).to_have_text("second_order")
        expect(page.locator("header nav")).to_contain_text("Customers")
        shot(page, f"{backend}-4-english")
    except Exception:
        shot(page, f"{backend}-failure")
        raise
    finally:
        page.close()
