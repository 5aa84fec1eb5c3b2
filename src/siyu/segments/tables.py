"""Tags, in groups (exclusive or not), and which customers carry them; saved segments, their
materialised membership, its history (entered/exited events) and counts over time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.customers.tables import BehaviourEvent
from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column, sql_in, updated_at_column
from siyu.db.types import Id, UTCDateTime

TAG_PROVENANCES = ("manual", "rule", "wecom", "journey")
TAG_CHANGES = ("added", "removed")
SEGMENT_CHANGES = ("entered", "exited")


class TagGroup(Base):
    __tablename__ = "tag_groups"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_exclusive: Mapped[bool] = mapped_column(default=False)
    wecom_group_id: Mapped[str | None] = mapped_column(String(64))


class Tag(Base):
    """A tag. Its provenance says where it comes from: set by hand (manual), computed from
    `rule` on every refresh (rule), imported from a WeCom corp tag (wecom), or set by a journey.
    `wecom_tag_id` maps it to a WeCom corp tag, for syncing."""

    __tablename__ = "tags"
    __table_args__ = (
        UniqueConstraint("group_id", "name"),
        CheckConstraint(f"provenance IN ({sql_in(TAG_PROVENANCES)})", name="provenance"),
    )

    id: Mapped[int] = id_column()
    group_id: Mapped[int | None] = mapped_column(Id, ForeignKey("tag_groups.id"))
    name: Mapped[str] = mapped_column(String(100))
    provenance: Mapped[str] = mapped_column(String(16), default="manual")
    wecom_tag_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the rule of a rule tag
    created_at: Mapped[datetime] = created_at_column()


class CustomerTag(Base):
    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        Id, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime] = created_at_column()


class TagEvent(Base):
    """A tag added to or removed from a customer: the history, and what WeCom sync reads."""

    __tablename__ = "tag_events"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(TAG_CHANGES)})", name="kind"),
        Index("ix_tag_events_customer_id_tag_id", "customer_id", "tag_id"),
    )

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    tag_id: Mapped[int] = mapped_column(Id, ForeignKey("tags.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Segment(Base):
    """A saved audience: a versioned rule document. Built-in segments have a stable `code` and
    are read-only (operators copy them)."""

    __tablename__ = "segments"

    id: Mapped[int] = id_column()
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_builtin: Mapped[bool] = mapped_column(default=False)
    materialised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    materialised_as_of: Mapped[date | None] = mapped_column(Date)
    unavailable: Mapped[str | None] = mapped_column(Text)  # why the last refresh skipped it
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


# Behaviour windows ("favourited in the last 14 days") read the events of a type in a time range:
# this index lets the database scan only those (and answer from the index alone).
Index(
    "ix_behaviour_events_type_time_customer",
    BehaviourEvent.event_type,
    BehaviourEvent.occurred_at,
    BehaviourEvent.customer_id,
)


class SegmentMember(Base):
    __tablename__ = "segment_members"

    segment_id: Mapped[int] = mapped_column(
        Id, ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        Id, ForeignKey("customers.id"), primary_key=True, index=True
    )
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SegmentEvent(Base):
    """A customer entered or exited a segment (journeys trigger on `entered`)."""

    __tablename__ = "segment_events"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(SEGMENT_CHANGES)})", name="kind"),
        Index("ix_segment_events_segment_id_at", "segment_id", "at"),
    )

    id: Mapped[int] = id_column()
    segment_id: Mapped[int] = mapped_column(Id, ForeignKey("segments.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    as_of: Mapped[date] = mapped_column(Date)


class SegmentCount(Base):
    """Members of a segment after the refresh of one day (the last refresh of the day wins;
    entered and exited add up over the day's refreshes)."""

    __tablename__ = "segment_counts"

    segment_id: Mapped[int] = mapped_column(
        Id, ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    counted_on: Mapped[date] = mapped_column(Date, primary_key=True)
    members: Mapped[int] = mapped_column()
    entered: Mapped[int] = mapped_column()
    exited: Mapped[int] = mapped_column()
