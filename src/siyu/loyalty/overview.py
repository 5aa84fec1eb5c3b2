"""Reading the programme for the console and the API: members per tier, one member's standing
(tier, balance, coupons held, referrer and invitees), coupon templates, flagged referrals."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.loyalty.coupons import CouponTemplateSpec, CouponTemplateView
from siyu.loyalty.points import ledger_sum_query
from siyu.loyalty.referrals import ReferralView, view_of
from siyu.loyalty.tables import Coupon, CouponTemplate, MemberTier, Referral, TierLevel
from siyu.loyalty.tiers import TierLevelSpec, list_levels, tier_of


@dataclass(frozen=True, slots=True)
class TierCount:
    level: TierLevelSpec
    members: int

    def as_dict(self) -> dict[str, Any]:
        return self.level.as_dict() | {"members": self.members}


@dataclass(frozen=True, slots=True)
class MemberSummary:
    """One customer's place in the programme (the customer 360's loyalty part)."""

    tier: str | None  # level code
    tier_name: str | None
    tier_since: datetime | None
    tier_period_ends_at: datetime | None
    points_balance: int
    coupons_held: int  # issued and not yet redeemed, expired or revoked
    referrer_id: int | None
    invitees: int  # referrals made that were not rejected

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def tier_counts(session: Session) -> list[TierCount]:
    """Every level, lowest first, with its current members (one grouped count)."""
    levels = list_levels(session)
    rows = session.execute(
        select(TierLevel.code, func.count(MemberTier.customer_id))
        .join(MemberTier, MemberTier.tier_id == TierLevel.id)
        .group_by(TierLevel.code)
    )
    counted = {code: int(members) for code, members in rows}
    return [TierCount(level, int(counted.get(level.code, 0))) for level in levels]


def member_summary(session: Session, customer_id: int) -> MemberSummary:
    current = tier_of(session, customer_id)
    held, referrer, invitees, balance = session.execute(  # one round trip for the 360
        select(
            select(func.count())
            .where(Coupon.customer_id == customer_id, Coupon.status == "issued")
            .scalar_subquery(),
            select(Referral.inviter_id)
            .where(Referral.invitee_id == customer_id, Referral.status != "rejected")
            .limit(1)
            .scalar_subquery(),
            select(func.count())
            .where(Referral.inviter_id == customer_id, Referral.status != "rejected")
            .scalar_subquery(),
            ledger_sum_query(customer_id).scalar_subquery(),
        )
    ).one()
    return MemberSummary(
        tier=current.level.code if current else None,
        tier_name=current.level.name if current else None,
        tier_since=current.since if current else None,
        tier_period_ends_at=current.period_ends_at if current else None,
        points_balance=int(balance or 0),
        coupons_held=int(held or 0),
        referrer_id=referrer,
        invitees=int(invitees or 0),
    )


def list_templates(session: Session) -> list[CouponTemplateView]:
    names = CouponTemplateSpec.__dataclass_fields__
    return [
        CouponTemplateView(
            template.id, CouponTemplateSpec(**{name: getattr(template, name) for name in names})
        )
        for template in session.scalars(select(CouponTemplate).order_by(CouponTemplate.id))
    ]


def flagged_referrals(session: Session, *, limit: int = 200) -> list[ReferralView]:
    """The review queue: referrals flagged by the anti-abuse checks, oldest first."""
    flagged = session.scalars(
        select(Referral)
        .where(Referral.status == "flagged")
        .order_by(Referral.created_at, Referral.id)
        .limit(limit)
    )
    return [view_of(referral) for referral in flagged]
