"""Creating and cancelling campaigns. Actions flush; the entry point commits."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.engage.campaigns.errors import CampaignError, CampaignErrorCode
from siyu.engage.campaigns.tables import (
    CAMPAIGN_PURPOSES,
    Campaign,
    CampaignRecipient,
    CampaignVariant,
)
from siyu.engage.campaigns.templates import parse_template
from siyu.engage.governor.consent import check_channel_purpose
from siyu.engage.holdout import DEFAULT_SHARE
from siyu.engage.tables import OutboxMessage
from siyu.errors import NotFoundError
from siyu.loyalty.coupons import get_template
from siyu.security.access import Actor
from siyu.security.audit import record
from siyu.segments.saved import get_segment

KEY = re.compile(r"^[a-z0-9_-]{1,16}$")
MAX_VARIANTS = 10
CANCELLABLE = ("draft", "scheduled", "launched")
PENDING = ("planned", "queued")


@dataclass(frozen=True, slots=True)
class VariantSpec:
    key: str
    text: str
    weight: int = 1
    subject: str = ""
    link_url: str = ""
    template_code: str = ""


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    segment: str  # a segment's name or code
    channel: str
    variants: Sequence[VariantSpec] = field(default_factory=tuple)
    purpose: str = "marketing"
    holdout_share: float = DEFAULT_SHARE
    seed: int | None = None  # None: a random seed, stored
    scheduled_at: datetime | None = None
    valid_days: int = 3
    attribution_days: int = 14
    coupon_template_id: int | None = None


def _invalid(message: str) -> CampaignError:
    return CampaignError(CampaignErrorCode.INVALID_CAMPAIGN, message)


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"no campaign {campaign_id} (see `siyu campaign list`)")
    return campaign


def create_campaign(
    session: Session, spec: CampaignSpec, *, actor: Actor | None, now: datetime
) -> Campaign:
    """A draft campaign, or a scheduled one when `scheduled_at` is given."""
    _check(session, spec, now)
    segment = get_segment(session, spec.segment)
    campaign = Campaign(
        name=spec.name.strip(),
        segment_id=segment.id,
        channel=spec.channel,
        purpose=spec.purpose,
        status="scheduled" if spec.scheduled_at else "draft",
        holdout_share=spec.holdout_share,
        seed=spec.seed if spec.seed is not None else secrets.randbits(31),
        scheduled_at=spec.scheduled_at,
        valid_days=spec.valid_days,
        attribution_days=spec.attribution_days,
        coupon_template_id=spec.coupon_template_id,
        created_by=actor.username if actor else "system",
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():  # two creates at once: the second loses cleanly
            session.add(campaign)
    except IntegrityError as error:
        raise _invalid(f"name: a campaign {campaign.name!r} exists already") from error
    session.add_all(
        CampaignVariant(
            campaign_id=campaign.id, key=v.key, weight=v.weight, text=v.text,
            subject=v.subject, link_url=v.link_url, template_code=v.template_code,
        )
        for v in spec.variants
    )  # fmt: skip
    session.flush()
    record(
        session, actor, "campaign.create", f"campaign:{campaign.id}", name=campaign.name,
        segment=segment.name, channel=campaign.channel, status=campaign.status,
    )  # fmt: skip
    return campaign


def _check(session: Session, spec: CampaignSpec, now: datetime) -> None:
    name = spec.name.strip()
    if not name or len(name) > 100:
        raise _invalid("name: give a name of 1 to 100 characters")
    if session.scalar(select(Campaign.id).where(Campaign.name == name)) is not None:
        raise _invalid(f"name: a campaign {name!r} exists already")
    check_channel_purpose(spec.channel, spec.purpose)
    if spec.purpose not in CAMPAIGN_PURPOSES:
        raise _invalid(f"purpose: a campaign is {' or '.join(CAMPAIGN_PURPOSES)}")
    if not 0.0 <= spec.holdout_share < 1.0:
        raise _invalid("holdout_share: at least 0 and below 1 (0.10 holds out 10%)")
    if not 1 <= spec.valid_days <= 31:
        raise _invalid("valid_days: 1 to 31 days")
    if not 1 <= spec.attribution_days <= 365:
        raise _invalid("attribution_days: 1 to 365 days")
    if spec.scheduled_at is not None and spec.scheduled_at <= now:
        raise _invalid("scheduled_at: must be in the future (leave it out to launch by hand)")
    if spec.coupon_template_id is not None:
        get_template(session, spec.coupon_template_id)
    _check_variants(spec)


def _check_variants(spec: CampaignSpec) -> None:
    if not 1 <= len(spec.variants) <= MAX_VARIANTS:
        raise _invalid(f"variants: give 1 to {MAX_VARIANTS} variants")
    if len({v.key for v in spec.variants}) != len(spec.variants):
        raise _invalid("variants: each variant needs its own key")
    for variant in spec.variants:
        where = f"variants[{variant.key}]"
        if not KEY.match(variant.key):
            raise _invalid(f"{where}: a key is 1-16 of a-z, 0-9, _ and -")
        if variant.weight < 1:
            raise _invalid(f"{where}: the weight must be a positive whole number")
        if not variant.text.strip():
            raise _invalid(f"{where}: the text is empty")
        if spec.channel == "sms" and not variant.template_code:
            raise _invalid(f"{where}: SMS needs the approved template_code")
        used = parse_template(variant.text, where=f"{where}.text").fields
        used |= parse_template(variant.subject, where=f"{where}.subject").fields
        if "coupon" in used and spec.coupon_template_id is None:
            raise CampaignError(
                CampaignErrorCode.INVALID_TEMPLATE,
                f"{where}: {{coupon}} needs a coupon template (coupon_template_id)",
            )


def cancel_campaign(
    session: Session, campaign_id: int, *, actor: Actor | None, now: datetime
) -> int:
    """Cancel; a launched campaign's messages not yet sent are suppressed. Returns how many."""
    campaign = get_campaign(session, campaign_id)
    if campaign.status not in CANCELLABLE:
        raise CampaignError(
            CampaignErrorCode.WRONG_STATUS, f"campaign {campaign_id} is {campaign.status}"
        )
    messages = select(CampaignRecipient.message_id).where(
        CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.message_id.is_not(None)
    )
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(messages), OutboxMessage.state.in_(PENDING))
        .values(state="suppressed", reason="campaign cancelled", updated_at=now)
        .execution_options(synchronize_session=False, preserve_rowcount=True)
    )
    suppressed = int(getattr(result, "rowcount", 0))
    campaign.status, campaign.cancelled_at, campaign.updated_at = "cancelled", now, now
    session.flush()
    record(session, actor, "campaign.cancel", f"campaign:{campaign_id}", suppressed=suppressed)
    return int(suppressed)
