"""Campaigns, their variants, and their frozen recipients (each in one variant or the holdout)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column, sql_in, updated_at_column
from siyu.db.types import Id, UTCDateTime

STATUSES = ("draft", "scheduled", "launched", "completed", "cancelled")
CAMPAIGN_PURPOSES = ("marketing", "personalised")


class Campaign(Base):
    """One campaign. `holdout_share` of each lifecycle stage is drawn (with `seed`) and not
    contacted; messages are valid `valid_days` from launch; orders count for `attribution_days`.
    `coupon_template_id` makes {coupon} a code issued to each contacted customer at launch."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(STATUSES)})", name="status"),
        CheckConstraint(f"purpose IN ({sql_in(CAMPAIGN_PURPOSES)})", name="purpose"),
        CheckConstraint("holdout_share >= 0 AND holdout_share < 1", name="holdout_share"),
        CheckConstraint(
            "valid_days BETWEEN 1 AND 31 AND attribution_days BETWEEN 1 AND 365", name="days"
        ),
        Index("ix_campaigns_status_scheduled_at", "status", "scheduled_at"),
    )

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    segment_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("segments.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16), default="marketing")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    holdout_share: Mapped[float] = mapped_column(Float, default=0.10)
    seed: Mapped[int] = mapped_column(BigInteger)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_days: Mapped[int] = mapped_column(default=3)
    attribution_days: Mapped[int] = mapped_column(default=14)
    coupon_template_id: Mapped[int | None] = mapped_column(Id, ForeignKey("coupon_templates.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class CampaignVariant(Base):
    """One variant's share (`weight`, relative to the others) and content template."""

    __tablename__ = "campaign_variants"
    __table_args__ = (
        UniqueConstraint("campaign_id", "key"),
        CheckConstraint("weight > 0", name="weight"),
    )

    id: Mapped[int] = id_column()
    campaign_id: Mapped[int] = mapped_column(Id, ForeignKey("campaigns.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(16))
    weight: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(200), default="")
    link_url: Mapped[str] = mapped_column(String(500), default="")
    template_code: Mapped[str] = mapped_column(String(64), default="")


class CampaignRecipient(Base):
    """A customer of the audience frozen at launch: in a variant (`variant_id`) or the holdout
    (no variant), with their lifecycle stage at launch and the outbox message planned."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        CheckConstraint("(variant_id IS NULL) = holdout", name="arm"),
        Index("ix_campaign_recipients_customer_id", "customer_id"),
    )

    id: Mapped[int] = id_column()
    campaign_id: Mapped[int] = mapped_column(Id, ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    variant_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("campaign_variants.id", ondelete="CASCADE")
    )
    holdout: Mapped[bool] = mapped_column()
    stratum: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    message_id: Mapped[int | None] = mapped_column(Id, ForeignKey("outbox_messages.id"))
