"""Coupons meeting orders: redemption from imported orders' `coupon_code`, expiry, results.

An order redeems a coupon when it carries the coupon's code (case, spaces and dashes ignored),
counts as a sale, and was placed within the coupon's validity; the first such order wins. A
coupon marked expired is still redeemed by an order placed while it was valid (imported late).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.loyalty.calendar import require_aware
from siyu.loyalty.statements import affected_rows
from siyu.loyalty.sync_state import read_since, store_watermark
from siyu.loyalty.tables import Coupon

SYNC_NAME = "coupons"


@dataclass(frozen=True, slots=True)
class CouponSyncResult:
    orders_since: datetime
    redeemed: int
    expired: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sync_coupons(session: Session, *, now: datetime) -> CouponSyncResult:
    require_aware(now, "now")
    since, watermark = read_since(session, SYNC_NAME)
    redeemed = redeem_from_orders(session, since=since)
    expired = expire_coupons(session, now=now)
    store_watermark(session, SYNC_NAME, watermark)
    return CouponSyncResult(since, redeemed, expired)


def order_code(column: Any) -> Any:
    """An order's coupon code as stored on coupons (upper case, no spaces or dashes)."""
    return func.upper(func.replace(func.replace(func.trim(column), " ", ""), "-", ""))


def redeem_from_orders(session: Session, *, since: datetime) -> int:
    first = (
        func.row_number()
        .over(partition_by=Coupon.id, order_by=(Order.ordered_at, Order.id))
        .label("position")
    )
    used = select(Coupon.order_id).where(Coupon.order_id.is_not(None))
    matches = (
        select(
            Coupon.id.label("coupon_id"),
            Order.id.label("order_id"),
            func.coalesce(Order.paid_at, Order.ordered_at).label("redeemed_at"),
            first,
        )
        .join(Coupon, Coupon.code == order_code(Order.coupon_code))
        .where(
            Order.updated_at >= since,
            Order.coupon_code.is_not(None),
            Order.status.in_(REVENUE_STATUSES),
            Coupon.status.in_(("issued", "expired")),
            Order.ordered_at >= Coupon.valid_from,
            Order.ordered_at <= Coupon.valid_until,
            Order.id.not_in(used),
        )
        .subquery()
    )
    chosen = select(matches).where(matches.c.position == 1).subquery()
    return affected_rows(
        session,
        update(Coupon)
        .where(Coupon.id == chosen.c.coupon_id)
        .values(status="redeemed", order_id=chosen.c.order_id, redeemed_at=chosen.c.redeemed_at),
    )


def expire_coupons(session: Session, *, now: datetime) -> int:
    return affected_rows(
        session,
        update(Coupon)
        .where(Coupon.status == "issued", Coupon.valid_until < now)
        .values(status="expired"),
    )
