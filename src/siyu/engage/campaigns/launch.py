"""Launching: freeze the audience into recipients, issue coupons, plan every message through
the governor into the outbox, all in the caller's transaction. Launching twice plans nothing
twice: only the call that moves the campaign out of draft/scheduled does any work."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from siyu.engage.campaigns.actions import get_campaign
from siyu.engage.campaigns.assignment import HOLDOUT, Arms, assign_arms
from siyu.engage.campaigns.audience import personal_values, segment_audience
from siyu.engage.campaigns.errors import CampaignError, CampaignErrorCode
from siyu.engage.campaigns.plans import key_of, used_fields, variant_batches
from siyu.engage.campaigns.tables import Campaign, CampaignRecipient, CampaignVariant
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.planner import plan
from siyu.engage.tables import OutboxMessage
from siyu.loyalty.coupons import issue_coupons
from siyu.security.access import Actor
from siyu.security.audit import record

CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class LaunchReport:
    campaign_id: int
    launched: bool  # False: it was launched before, nothing was done now
    recipients: int = 0
    holdout: int = 0
    coupons: int = 0
    plan: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def variants_of(session: Session, campaign_id: int) -> list[CampaignVariant]:
    return list(
        session.scalars(
            select(CampaignVariant)
            .where(CampaignVariant.campaign_id == campaign_id)
            .order_by(CampaignVariant.id)
        )
    )


def draw_arms(session: Session, campaign: Campaign, variants: list[CampaignVariant]) -> Arms:
    if campaign.segment_id is None:
        raise CampaignError(
            CampaignErrorCode.INVALID_CAMPAIGN, f"campaign {campaign.id}: its segment was deleted"
        )
    ids, stages = segment_audience(session, campaign.segment_id)
    return assign_arms(
        ids, stages, weights=[v.weight for v in variants],
        holdout_share=campaign.holdout_share, seed=campaign.seed,
    )  # fmt: skip


def launch_campaign(
    session: Session, campaign_id: int, *, actor: Actor | None, policy: ContactPolicy, now: datetime
) -> LaunchReport:
    campaign = get_campaign(session, campaign_id)
    if campaign.status == "cancelled":
        raise CampaignError(CampaignErrorCode.WRONG_STATUS, f"campaign {campaign_id} is cancelled")
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(("draft", "scheduled")))
        .values(status="launched", launched_at=now, updated_at=now)
        .execution_options(synchronize_session=False, preserve_rowcount=True)
    )
    if int(getattr(result, "rowcount", 0)) != 1:
        return LaunchReport(campaign_id, launched=False)
    session.refresh(campaign)
    variants = variants_of(session, campaign_id)
    arms = draw_arms(session, campaign, variants)
    _freeze(session, campaign, variants, arms)
    members = [arms.customer_ids[arms.arm == index] for index in range(len(variants))]
    treated = arms.customer_ids[arms.arm != HOLDOUT]
    coupons = _issue(session, campaign, treated.tolist(), now)
    fields = used_fields(variants)
    values = personal_values(session, campaign_id, fields, campaign.coupon_template_id)
    batches = variant_batches(campaign, variants, members, values, now)
    report = plan(session, batches, policy=policy, now=now)
    _link_messages(session, campaign_id)
    held = int(np.count_nonzero(arms.arm == HOLDOUT))
    record(
        session, actor, "campaign.launch", f"campaign:{campaign_id}",
        recipients=arms.customer_ids.size, holdout=held, queued=report.queued,
        suppressed=sum(report.suppressed.values()),
    )  # fmt: skip
    return LaunchReport(
        campaign_id, True, int(arms.customer_ids.size), held, coupons, report.as_dict()
    )


def _freeze(
    session: Session, campaign: Campaign, variants: list[CampaignVariant], arms: Arms
) -> None:
    ids, keys = [v.id for v in variants], [v.key for v in variants]
    rows = [
        {
            "campaign_id": campaign.id,
            "customer_id": customer_id,
            "variant_id": None if arm == HOLDOUT else ids[arm],
            "holdout": arm == HOLDOUT,
            "stratum": stratum,
            "idempotency_key": None if arm == HOLDOUT else key_of(campaign, keys[arm], customer_id),
        }
        for customer_id, arm, stratum in zip(
            arms.customer_ids.tolist(), arms.arm.tolist(), arms.strata.tolist(), strict=True
        )
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(CampaignRecipient), rows[start : start + CHUNK])


def _issue(session: Session, campaign: Campaign, treated: list[int], now: datetime) -> int:
    if campaign.coupon_template_id is None or not treated:
        return 0
    result = issue_coupons(
        session, template_id=campaign.coupon_template_id, customer_ids=treated,
        source="segment", now=now, issue_key=f"campaign:{campaign.id}",
    )  # fmt: skip
    return result.issued


def _link_messages(session: Session, campaign_id: int) -> None:
    message = (
        select(OutboxMessage.id)
        .where(OutboxMessage.idempotency_key == CampaignRecipient.idempotency_key)
        .scalar_subquery()
    )
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.holdout.is_(False))
        .values(message_id=message)
        .execution_options(synchronize_session=False)
    )


def launch_due_campaigns(
    session: Session, *, policy: ContactPolicy, now: datetime
) -> list[LaunchReport]:
    """Launch every scheduled campaign whose time has come; mark launched campaigns whose
    attribution window has ended as completed. For the worker's scheduler and cron."""
    due = session.scalars(
        select(Campaign.id)
        .where(Campaign.status == "scheduled", Campaign.scheduled_at <= now)
        .order_by(Campaign.scheduled_at, Campaign.id)
    ).all()
    reports = [launch_campaign(session, cid, actor=None, policy=policy, now=now) for cid in due]
    _complete(session, now)
    return reports


def _complete(session: Session, now: datetime) -> None:
    launched = session.scalars(select(Campaign).where(Campaign.status == "launched")).all()
    for campaign in launched:
        assert campaign.launched_at is not None
        if campaign.launched_at + timedelta(days=campaign.attribution_days) <= now:
            campaign.status, campaign.updated_at = "completed", now
            record(session, None, "campaign.complete", f"campaign:{campaign.id}")
    session.flush()
