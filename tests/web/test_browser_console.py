"""The segment builder, the outbox and the settings in a real browser (Playwright driving
Debian's chromium); screenshots of every step under test-artefacts/browser/."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.web.conftest import PASSWORD, Site
from tests.web.console_world import plan_messages
from tests.web.test_browser import browser, shot

__all__ = ["browser"]


def test_segment_builder_outbox_and_settings(site: Site, browser: Browser, backend: str) -> None:
    plan_messages(site.engine, [site.customers["C1"], site.customers["C2"]], batches=2)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{site.url}/login?next=/segments")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("人群分群")
        page.click("#new-segment")
        page.wait_for_url(f"{site.url}/segments/new", wait_until="load")
        count = page.locator("#live-count")
        # the new rule starts as stage = first_order: C2 and C3
        expect(count).to_have_text("2")
        page.select_option(".rule-condition .cond-field", "orders")
        page.select_option(".rule-condition .cond-op", ">=")
        page.fill(".rule-condition .cond-value", "1")
        expect(count).to_have_text("3")
        page.click(".rule-group > .group-actions .add-condition")
        conditions = page.locator(".rule-condition")
        expect(conditions).to_have_count(2)
        conditions.nth(1).locator(".cond-field").select_option("net_revenue_fen")
        conditions.nth(1).locator(".cond-op").select_option(">=")
        conditions.nth(1).locator(".cond-value").fill("15000")
        expect(count).to_have_text("2")
        conditions.nth(1).locator(".cond-field").select_option("stage")
        conditions.nth(1).locator(".cond-op").select_option("=")
        conditions.nth(1).locator(".cond-value").fill("second_order")
        expect(count).to_have_text("1")
        expect(page.locator("#rule-json")).to_have_value(re.compile('"second_order"'))
        page.fill("#rule-json", '{"version": 1, "rule": {"field": "stag", "op": "=", "value": 1}}')
        page.locator("#rule-json").dispatch_event("input")
        expect(page.locator(".rule-condition .rule-error")).to_contain_text(
            "$.rule.and[0].field: unknown field 'stag'"
        )
        expect(count).to_have_text("–")
        shot(page, f"{backend}-console-1-builder-error")
        page.fill(
            "#rule-json",
            '{"version": 1, "rule": {"and": [{"field": "orders", "op": ">=", "value": 1},'
            ' {"field": "net_revenue_fen", "op": ">=", "value": 15000}]}}',
        )
        page.locator("#rule-json").dispatch_event("input")
        expect(count).to_have_text("2")
        page.fill("input[name=name]", "高价值买家")
        shot(page, f"{backend}-console-2-builder")
        page.click("#save-segment")
        page.wait_for_url(f"{site.url}/segments/*", wait_until="load")
        expect(page.locator("h1")).to_have_text("高价值买家")
        expect(page.locator("#member-total")).to_have_text("2")
        expect(page.locator("#members tr")).to_have_count(3)
        shot(page, f"{backend}-console-3-segment")

        page.click("header nav >> text=发件箱")
        page.wait_for_url(f"{site.url}/outbox", wait_until="load")
        expect(page.locator("#state-counts")).to_contain_text("待发送 2")
        page.select_option("select[name=state]", "suppressed")
        page.click("form.filters button")
        expect(page.locator("#messages tr")).to_have_count(3)
        page.locator("#messages tr").nth(1).locator("a").first.click()
        expect(page.locator("#message-state")).to_have_text("已拦截")
        expect(page.locator("#message-reason")).to_contain_text("frequency cap")
        shot(page, f"{backend}-console-4-outbox")

        page.click("header nav >> text=设置")
        page.wait_for_url(f"{site.url}/settings", wait_until="load")
        page.fill("#contact-policy input[name=cap_per_week]", "1")
        page.click("#contact-policy button[type=submit]")
        expect(page.locator("#contact-policy .form-result")).to_have_text("已保存")
        page.fill("#contact-policy input[name=cap_per_day]", "5")
        page.click("#contact-policy button[type=submit]")
        expect(page.locator("#contact-policy .form-result")).to_contain_text("cap_per_week")
        page.reload()
        expect(page.locator("#contact-policy input[name=cap_per_week]")).to_have_value("1")
        expect(page.locator("#contact-policy input[name=cap_per_day]")).to_have_value("1")
        shot(page, f"{backend}-console-5-settings")

        page.goto(f"{site.url}/customers/{site.customers['C1']}")
        expect(page.locator("#customer-segments")).to_contain_text("高价值买家")
        mine = page.locator("details.why", has_text="高价值买家")
        mine.locator("summary .muted").click()
        expect(mine.locator("ul.explain > li")).to_contain_text("✓ and")
        expect(mine.locator("ul.explain")).to_contain_text("✓ net_revenue_fen >= 15000")
        expect(page.locator("#quota-week")).to_have_text("1")  # the new weekly cap, none used
        expect(page.locator("#customer-messages tr")).to_have_count(3)
        shot(page, f"{backend}-console-6-customer")
    except Exception:
        shot(page, f"{backend}-console-failure")
        raise
    finally:
        page.close()
