"""Coupon results per template, in three GROUP BY statements."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.loyalty.tables import Coupon, CouponTemplate


@dataclass(frozen=True, slots=True)
class CouponResults:
    """Redeeming orders' net revenue against the net revenue that holders who did not redeem
    spent while their coupon was valid; both per coupon, so the two compare."""

    template_id: int
    name: str
    issued: int
    redeemed: int
    expired: int
    revoked: int
    redemption_rate: float
    redeeming_revenue_fen: int
    revenue_per_redeemer_fen: int
    non_redeemers: int
    non_redeemer_revenue_fen: int
    revenue_per_non_redeemer_fen: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def coupon_results(session: Session, template_id: int | None = None) -> list[CouponResults]:
    templates = select(CouponTemplate.id, CouponTemplate.name).order_by(CouponTemplate.id)
    if template_id is not None:
        templates = templates.where(CouponTemplate.id == template_id)
    counts = _counts(session)
    redeeming = _redeeming_revenue(session)
    others = _non_redeemer_revenue(session)
    results = []
    for key, name in session.execute(templates):
        issued, redeemed, expired, revoked = counts.get(key, (0, 0, 0, 0))
        revenue = redeeming.get(key, 0)
        holders, holder_revenue = others.get(key, (0, 0))
        results.append(
            CouponResults(
                template_id=key,
                name=name,
                issued=issued,
                redeemed=redeemed,
                expired=expired,
                revoked=revoked,
                redemption_rate=round(redeemed / issued, 4) if issued else 0.0,
                redeeming_revenue_fen=revenue,
                revenue_per_redeemer_fen=revenue // redeemed if redeemed else 0,
                non_redeemers=holders,
                non_redeemer_revenue_fen=holder_revenue,
                revenue_per_non_redeemer_fen=holder_revenue // holders if holders else 0,
            )
        )
    return results


def _counts(session: Session) -> dict[int, tuple[int, int, int, int]]:
    def count(status: str) -> Any:
        return func.sum(case((Coupon.status == status, 1), else_=0))

    rows = session.execute(
        select(
            Coupon.template_id, func.count(), count("redeemed"), count("expired"), count("revoked")
        ).group_by(Coupon.template_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in rows}


def _redeeming_revenue(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Coupon.template_id, func.sum(Order.paid_fen - Order.refunded_fen))
        .join(Order, Order.id == Coupon.order_id)
        .where(Coupon.status == "redeemed")
        .group_by(Coupon.template_id)
    )
    return {template: int(revenue or 0) for template, revenue in rows}


def _non_redeemer_revenue(session: Session) -> dict[int, tuple[int, int]]:
    during_validity = and_(
        Order.customer_id == Coupon.customer_id,
        Order.status.in_(REVENUE_STATUSES),
        Order.ordered_at >= Coupon.valid_from,
        Order.ordered_at <= Coupon.valid_until,
    )
    rows = session.execute(
        select(
            Coupon.template_id,
            func.count(func.distinct(Coupon.id)),
            func.coalesce(func.sum(Order.paid_fen - Order.refunded_fen), 0),
        )
        .outerjoin(Order, during_validity)
        .where(Coupon.status.in_(("issued", "expired")))
        .group_by(Coupon.template_id)
    )
    return {template: (int(holders), int(revenue)) for template, holders, revenue in rows}
