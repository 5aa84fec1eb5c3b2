"""A campaign in a real browser: an operator creates one to the console channel with a holdout,
previews it, launches it; the worker sends; the page shows the results. Screenshots of every
step are saved under test-artefacts/browser/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from siyu.customers.tables import Customer
from siyu.db.engine import transaction
from siyu.engage.campaigns.tables import Campaign, CampaignRecipient
from siyu.engage.channels.console import ConsoleChannel
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.holdout import stratified_holdout
from siyu.engage.worker import Worker, WorkerOptions
from tests.builders import make_order, make_shop
from tests.web.campaign_site import save_everyone
from tests.web.conftest import PASSWORD, Site
from tests.web.test_browser import browser, shot

__all__ = ["browser"]  # the module-scoped chromium fixture


def expected_holdout(site: Site, campaign_id: int) -> int:
    """What stratified_holdout draws for the campaign's random seed (the form sets none)."""
    with transaction(site.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        from siyu.engage.campaigns.audience import segment_audience

        assert campaign.segment_id is not None
        ids, stages = segment_audience(session, campaign.segment_id)
        return int(stratified_holdout(ids, stages, share=0.5, seed=campaign.seed).sum())


def sendable(moment: datetime, policy: ContactPolicy) -> datetime:
    """`moment`, or the first whole hour after it outside the policy's quiet hours: the test
    must not depend on the time of day it runs at (after 21:00 in Shanghai nothing is sent)."""
    local = moment.astimezone(policy.zone)
    while not policy.is_allowed_hour(local.hour):
        local = (local + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def send_and_buy(site: Site, campaign_id: int) -> None:
    """The worker runs once (two days on, in sending hours: every slot has come); one
    contacted customer buys."""
    policy = ContactPolicy()
    later = sendable(datetime.now(UTC) + timedelta(days=2), policy)
    worker = Worker(
        site.engine, {"console": ConsoleChannel()}, policy=policy,
        options=WorkerOptions(name="browser"), clock=lambda: later,
    )  # fmt: skip
    worker.drain()
    worker.close()
    with transaction(site.engine) as session:
        buyer = session.scalars(
            select(CampaignRecipient.customer_id).where(
                CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.holdout.is_(False)
            )
        ).first()
        make_order(session, shop=make_shop(session), customer=session.get(Customer, buyer),
                   paid_fen=12_800, ordered_at=datetime.now(UTC) + timedelta(hours=1))  # fmt: skip


def test_campaign_walkthrough(site: Site, browser: Browser, backend: str) -> None:
    save_everyone(site)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{site.url}/login?next=/campaigns")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("营销活动")
        page.fill("input[name=name]", "春季回访")
        page.select_option("select[name=segment]", "全部客户")
        page.select_option("select[name=channel]", "console")
        page.fill("input[name=holdout]", "50")
        page.fill("input[name=text-a]", "{name}，春季上新")
        page.fill("input[name=text-b]", "新品八折")
        shot(page, f"{backend}-campaign-1-create")
        page.click("#campaign-create button[type=submit]")
        page.wait_for_url(f"{site.url}/campaigns/*", wait_until="load")
        campaign_id = int(page.url.rsplit("/", 1)[1])
        held = expected_holdout(site, campaign_id)
        expect(page.locator("#status")).to_have_text("草稿")
        expect(page.locator("#preview-audience")).to_have_text("3")
        expect(page.locator("#preview-holdout")).to_have_text(str(held))
        shot(page, f"{backend}-campaign-2-preview")

        page.click("#launch")
        expect(page.locator("#status")).to_have_text("已发起")
        expect(page.locator("#arms tr[data-arm=holdout] td").nth(1)).to_have_text(str(held))
        shot(page, f"{backend}-campaign-3-launched")

        send_and_buy(site, campaign_id)
        page.reload()
        sent = page.locator("#arms tbody tr:not([data-arm=holdout]) .messages")
        expect(sent.first).to_contain_text("已送达")
        buyers = page.locator("#arms tbody tr:not([data-arm=holdout]) td:nth-child(3)")
        assert sum(int(text) for text in buyers.all_inner_texts()[:2]) >= 1
        expect(page.locator("#lifts tbody tr").first).to_contain_text("[")
        shot(page, f"{backend}-campaign-4-results")
        page.goto(f"{site.url}/campaigns")
        expect(page.locator("#campaigns tbody tr").first).to_contain_text("春季回访")
    except Exception:
        shot(page, f"{backend}-campaign-failure")
        raise
    finally:
        page.close()
