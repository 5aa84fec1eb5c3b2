"""The members console in a real browser (Playwright driving Debian's chromium): the members
page with its tier chart, then a points adjustment on a customer page. Screenshots of every
step go to test-artefacts/browser/."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.web.conftest import PASSWORD, Site
from tests.web.test_browser import browser, shot

__all__ = ["browser"]


def test_members_page_and_points_adjustment(site: Site, browser: Browser, backend: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{site.url}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("数据看板")
        page.click("header nav >> text=会员")
        page.wait_for_url(f"{site.url}/members", wait_until="load")
        expect(page.locator("h1")).to_have_text("会员")
        page.click("#tiers button[type=submit]")  # recompute tiers
        page.wait_for_url(f"{site.url}/members", wait_until="load")
        expect(page.locator("td.members[data-tier=normal]")).to_have_text("3")
        expect(page.locator("#tier-chart canvas")).to_have_count(1)
        shot(page, f"{backend}-members-1-overview")

        page.goto(f"{site.url}/customers/{site.customers['C1']}")
        expect(page.locator("#member-tier")).to_have_text("普通")
        expect(page.locator("#points-balance")).to_have_text("0")
        page.fill("#points-adjust input[name=points]", "88")
        page.fill("#points-adjust input[name=reason]", "生日礼遇")
        page.click("#points-adjust button[type=submit]")
        expect(page.locator("#points-balance")).to_have_text("88")
        shot(page, f"{backend}-members-2-points-adjusted")
    except Exception:
        shot(page, f"{backend}-members-failure")
        raise
    finally:
        page.close()
