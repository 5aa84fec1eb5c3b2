"""The journeys page in a real browser: create from a template, enable, and the dry-run chart."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.web.conftest import PASSWORD, Site
from tests.web.test_browser import browser, shot  # noqa: F401  (the browser fixture)


def test_create_enable_and_simulate_a_journey(site: Site, browser: Browser, backend: str) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{site.url}/login?next=/journeys")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("客户旅程")
        page.click("[data-journey-template=after_sales_sop]")
        row = page.locator("#journeys tr[data-journey]").first
        expect(row.locator(".status")).to_have_text("草稿")
        shot(page, f"{backend}-journeys-1-created")
        row.locator("[data-journey-action$='/enable']").click()
        expect(page.locator("#journeys tr[data-journey] .status").first).to_have_text("已启用")
        shot(page, f"{backend}-journeys-2-enabled")
        page.locator("#journeys tr[data-journey] a").first.click()
        expect(page.locator("h1")).to_contain_text("模拟预测")
        expect(page.locator("#journey-sends canvas")).to_have_count(1)
        expect(page.locator("#simulation tr")).to_have_count(15)
        shot(page, f"{backend}-journeys-3-simulation")
    finally:
        page.close()
