"""Reading segments and tags: lists with counts, members, count history."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from siyu.analytics.tables import CustomerProfile
from siyu.segments.tables import (
    CustomerTag,
    Segment,
    SegmentCount,
    SegmentMember,
    Tag,
    TagGroup,
)


@dataclass(frozen=True, slots=True)
class SegmentSummary:
    name: str
    code: str | None
    is_builtin: bool
    description: str
    members: int
    materialised_as_of: date | None
    unavailable: str | None
    id: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MemberRow:
    customer_id: int
    entered_at: datetime
    stage: str | None
    rfm_segment: str | None
    orders: int | None
    net_revenue_fen: int | None
    clv_fen: int | None
    p_alive: float | None
    last_order_at: datetime | None


@dataclass(frozen=True, slots=True)
class TagSummary:
    group: str | None
    name: str
    provenance: str
    is_exclusive: bool
    customers: int
    wecom_tag_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_segments(session: Session) -> list[SegmentSummary]:
    """Member counts are read from the count the last materialisation recorded (only
    materialising changes membership), not counted again: one row per segment."""
    rows = session.execute(
        select(Segment, func.coalesce(SegmentCount.members, 0))
        .outerjoin(
            SegmentCount,
            (SegmentCount.segment_id == Segment.id)
            & (SegmentCount.counted_on == Segment.materialised_as_of),
        )
        .order_by(Segment.is_builtin.desc(), Segment.id)
    )
    return [
        SegmentSummary(
            segment.name,
            segment.code,
            segment.is_builtin,
            segment.description,
            int(count),
            segment.materialised_as_of,
            segment.unavailable,
            segment.id,
        )
        for segment, count in rows
    ]


def count_history(session: Session, segment_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(SegmentCount)
        .where(SegmentCount.segment_id == segment_id)
        .order_by(SegmentCount.counted_on)
    )
    return [
        {"on": row.counted_on, "members": row.members, "entered": row.entered, "exited": row.exited}
        for row in rows
    ]


def members_query(*where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """The materialised members with a few profile columns (no PII), by customer id."""
    profile = CustomerProfile
    return (
        select(
            SegmentMember.customer_id,
            SegmentMember.entered_at,
            profile.stage,
            profile.rfm_segment,
            profile.orders,
            profile.net_revenue_fen,
            profile.clv_fen,
            profile.p_alive,
            profile.last_order_at,
        )
        .outerjoin(profile, profile.customer_id == SegmentMember.customer_id)
        .where(*where)
        .order_by(SegmentMember.customer_id)
    )


def member_rows(session: Session, segment_id: int) -> Iterator[MemberRow]:
    """Every materialised member of the segment (see `members_query`), streamed."""
    query = members_query(SegmentMember.segment_id == segment_id)
    for row in session.execute(query.execution_options(yield_per=5_000)):
        yield MemberRow(*row)


def list_tags(session: Session) -> list[TagSummary]:
    held = (
        select(CustomerTag.tag_id, func.count().label("customers"))
        .group_by(CustomerTag.tag_id)
        .subquery()
    )
    rows = session.execute(
        select(
            TagGroup.name,
            TagGroup.is_exclusive,
            Tag.name,
            Tag.provenance,
            Tag.wecom_tag_id,
            func.coalesce(held.c.customers, 0),
        )
        .outerjoin(TagGroup, TagGroup.id == Tag.group_id)
        .outerjoin(held, held.c.tag_id == Tag.id)
    )
    tags = [
        TagSummary(group, name, provenance, bool(exclusive), int(count), wecom)
        for group, exclusive, name, provenance, wecom, count in rows
    ]
    return sorted(tags, key=lambda tag: (tag.group or "", tag.name))  # the same on every database
