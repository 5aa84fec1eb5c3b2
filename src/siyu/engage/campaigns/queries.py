"""Reading campaigns: the list with audience sizes, and one campaign with its variants."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.engage.campaigns.actions import get_campaign
from siyu.engage.campaigns.launch import variants_of
from siyu.engage.campaigns.tables import Campaign, CampaignRecipient
from siyu.segments.tables import Segment


@dataclass(frozen=True, slots=True)
class VariantView:
    key: str
    weight: int
    text: str
    subject: str
    link_url: str
    template_code: str


@dataclass(frozen=True, slots=True)
class CampaignView:
    id: int
    name: str
    segment: str | None
    channel: str
    purpose: str
    status: str
    holdout_share: float
    seed: int
    scheduled_at: datetime | None
    valid_days: int
    attribution_days: int
    coupon_template_id: int | None
    created_by: str
    created_at: datetime
    launched_at: datetime | None
    cancelled_at: datetime | None
    recipients: int
    variants: list[VariantView]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _recipients() -> Any:
    return (
        select(CampaignRecipient.campaign_id, func.count().label("recipients"))
        .group_by(CampaignRecipient.campaign_id)
        .subquery()
    )


def _view(
    campaign: Campaign, segment: str | None, recipients: int, variants: list[Any]
) -> CampaignView:
    return CampaignView(
        campaign.id, campaign.name, segment, campaign.channel, campaign.purpose, campaign.status,
        campaign.holdout_share, campaign.seed, campaign.scheduled_at, campaign.valid_days,
        campaign.attribution_days, campaign.coupon_template_id, campaign.created_by,
        campaign.created_at, campaign.launched_at, campaign.cancelled_at, recipients,
        [VariantView(v.key, v.weight, v.text, v.subject, v.link_url, v.template_code)
         for v in variants],
    )  # fmt: skip


def list_campaigns(session: Session, *, status: str | None = None) -> list[CampaignView]:
    """Newest first, without variants."""
    counts = _recipients()
    query = (
        select(Campaign, Segment.name, func.coalesce(counts.c.recipients, 0))
        .outerjoin(Segment, Segment.id == Campaign.segment_id)
        .outerjoin(counts, counts.c.campaign_id == Campaign.id)
        .order_by(Campaign.id.desc())
    )
    if status:
        query = query.where(Campaign.status == status)
    return [_view(c, name, int(n), []) for c, name, n in session.execute(query)]


def show_campaign(session: Session, campaign_id: int) -> CampaignView:
    campaign = get_campaign(session, campaign_id)
    segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    recipients = session.scalar(
        select(func.count()).where(CampaignRecipient.campaign_id == campaign_id)
    )
    return _view(
        campaign, segment.name if segment else None, int(recipients or 0),
        variants_of(session, campaign_id),
    )  # fmt: skip
