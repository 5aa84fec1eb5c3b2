"""Issuing a coupon template to a saved segment's members (as last materialised)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.loyalty.coupons import IssueResult, issue_coupons
from siyu.segments.tables import SegmentMember


def issue_to_segment(
    session: Session,
    *,
    template_id: int,
    segment_id: int,
    now: datetime,
    issue_key: str | None = None,
) -> IssueResult:
    """One coupon for each member of the segment, within the template's per-customer limit.
    With an `issue_key`, issuing again with the same key is a no-op."""
    members = session.scalars(
        select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)
    ).all()
    return issue_coupons(
        session,
        template_id=template_id,
        customer_ids=members,
        source="segment",
        now=now,
        issue_key=issue_key,
    )
