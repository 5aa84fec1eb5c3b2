"""Set-based reads for a campaign's audience and the values its templates put in.

The audience is the segment's materialised membership (merged-away customers left out), each
with their lifecycle stage (`prospect` without a profile). Personal values are read for all the
contacted recipients of a campaign at once, one statement per placeholder used.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from siyu.analytics.tables import CustomerProfile
from siyu.commerce.tables import REVENUE_STATUSES, Order, OrderLine, Product
from siyu.customers.tables import Customer
from siyu.engage.campaigns.tables import CampaignRecipient
from siyu.loyalty.tables import Coupon
from siyu.segments.tables import SegmentMember

NO_STAGE = "prospect"


def segment_audience(session: Session, segment_id: int) -> tuple[NDArray[np.int64], list[str]]:
    """The segment's live members, by customer id, and their lifecycle stage."""
    rows = session.execute(
        select(SegmentMember.customer_id, func.coalesce(CustomerProfile.stage, NO_STAGE))
        .join(Customer, Customer.id == SegmentMember.customer_id)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == SegmentMember.customer_id)
        .where(SegmentMember.segment_id == segment_id, Customer.merged_into_id.is_(None))
        .order_by(SegmentMember.customer_id)
    ).all()
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    return ids, [str(row[1]) for row in rows]


def _contacted(campaign_id: int) -> tuple[ColumnElement[bool], ...]:
    return (CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.holdout.is_(False))


def personal_values(
    session: Session, campaign_id: int, fields: Iterable[str], coupon_template_id: int | None
) -> dict[str, dict[int, str]]:
    """Each used placeholder → {customer id: value} for the campaign's contacted recipients
    (a customer without a value is absent: the template renders its fallback)."""
    values: dict[str, dict[int, str]] = {}
    for field in sorted(set(fields)):
        if field == "name":
            values[field] = _names(session, campaign_id)
        elif field == "last_product":
            values[field] = _last_products(session, campaign_id)
        elif field == "coupon" and coupon_template_id is not None:
            values[field] = _coupons(session, campaign_id, coupon_template_id)
        else:
            values[field] = {}
    return values


def _names(session: Session, campaign_id: int) -> dict[int, str]:
    rows = session.execute(
        select(Customer.id, Customer.display_name)
        .join(CampaignRecipient, CampaignRecipient.customer_id == Customer.id)
        .where(*_contacted(campaign_id), Customer.display_name.is_not(None))
    )
    return {int(cid): str(name) for cid, name in rows if str(name).strip()}


def _last_products(session: Session, campaign_id: int) -> dict[int, str]:
    """The product of the latest paid order's first line (its title when no product)."""
    ranked = (
        select(
            Order.customer_id.label("customer_id"),
            func.coalesce(Product.title, OrderLine.title).label("title"),
            func.row_number()
            .over(
                partition_by=Order.customer_id,
                order_by=(Order.ordered_at.desc(), Order.id.desc(), OrderLine.id),
            )
            .label("rank"),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .join(CampaignRecipient, CampaignRecipient.customer_id == Order.customer_id)
        .where(*_contacted(campaign_id), Order.status.in_(REVENUE_STATUSES))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.customer_id, ranked.c.title).where(
            and_(ranked.c.rank == 1, ranked.c.title != "")
        )
    )
    return {int(cid): str(title) for cid, title in rows}


def _coupons(session: Session, campaign_id: int, template_id: int) -> dict[int, str]:
    """The newest unredeemed coupon of the template each recipient holds."""
    newest = (
        select(func.max(Coupon.id))
        .join(CampaignRecipient, CampaignRecipient.customer_id == Coupon.customer_id)
        .where(*_contacted(campaign_id), Coupon.template_id == template_id)
        .where(Coupon.status == "issued")
        .group_by(Coupon.customer_id)
    )
    rows = session.execute(select(Coupon.customer_id, Coupon.code).where(Coupon.id.in_(newest)))
    return {int(cid): str(code) for cid, code in rows}
