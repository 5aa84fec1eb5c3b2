"""Referrals meeting orders: qualification, rewards within caps, and claw-back on refunds.

In order: (1) a pending or flagged referral whose invitee turns out to have bought before the
invitation, or whose two sides OneID has since merged, is rejected; (2) a qualified referral
whose qualifying order was refunded goes back to pending; (3) a pending referral qualifies on
the invitee's first sale placed within the attribution window; (4) rewarded referrals whose
qualifying order was refunded are clawed back (points taken back as far as the balance allows,
unused reward coupons revoked); (5) qualified referrals are rewarded — inviter and invitee —
oldest first, up to the inviter's daily and monthly caps (counted in the merchant's time
zone); the rest wait for the next sync.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.loyalty.calendar import day_bounds, month_bounds, require_aware
from siyu.loyalty.debits import insert_capped_debits
from siyu.loyalty.referral_rewards import grant_rewards, person
from siyu.loyalty.rules import get_rules
from siyu.loyalty.statements import affected_rows
from siyu.loyalty.tables import Coupon, PointsEntry, Referral

QUALIFYING = ("paid", "shipped", "completed", "partially_refunded")
OPEN = ("pending", "flagged")


@dataclass(frozen=True, slots=True)
class ReferralSyncResult:
    rejected: int
    requalifying: int
    qualified: int
    clawed_back: int
    rewarded: int
    waiting_for_cap: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sync_referrals(session: Session, *, now: datetime, zone: tzinfo) -> ReferralSyncResult:
    require_aware(now, "now")
    rejected = _reject_late_discoveries(session)
    requalifying = _requalify_refunded(session)
    qualified = _qualify(session, now)
    clawed_back = _claw_back(session, now)
    chosen, waiting = _within_caps(session, now, zone)
    grant_rewards(session, referral_ids=chosen, now=now)
    return ReferralSyncResult(rejected, requalifying, qualified, clawed_back, len(chosen), waiting)


def _refunded() -> Any:
    return or_(Order.status.in_(("refunded", "closed")), Order.refunded_fen >= Order.paid_fen)


def _reject_late_discoveries(session: Session) -> int:
    bought_before = (
        exists()
        .where(
            Order.customer_id == person(Referral.invitee_id),
            Order.status.in_(REVENUE_STATUSES),
            Order.ordered_at < Referral.created_at,
        )
        .correlate_except(Order)
    )
    same_person = person(Referral.invitee_id) == person(Referral.inviter_id)
    return affected_rows(
        session,
        update(Referral)
        .where(Referral.status.in_(OPEN), or_(bought_before, same_person))
        .values(
            status="rejected", note=literal("found later: already a customer, or the same person")
        ),
    )


def _requalify_refunded(session: Session) -> int:
    refunded = exists().where(Order.id == Referral.qualifying_order_id, _refunded())
    return affected_rows(
        session,
        update(Referral)
        .where(Referral.status == "qualified", refunded)
        .values(status="pending", qualifying_order_id=None, qualified_at=None),
    )


def _qualify(session: Session, now: datetime) -> int:
    first_sale = (
        select(Order.id)
        .where(
            Order.customer_id == person(Referral.invitee_id),
            Order.status.in_(QUALIFYING),
            Order.refunded_fen < Order.paid_fen,
            Order.ordered_at >= Referral.created_at,
            Order.ordered_at <= Referral.attribution_ends_at,
        )
        .order_by(Order.ordered_at, Order.id)
        .limit(1)
        .correlate_except(Order)
        .scalar_subquery()
    )
    return affected_rows(
        session,
        update(Referral)
        .where(Referral.status == "pending", first_sale.is_not(None))
        .values(status="qualified", qualifying_order_id=first_sale, qualified_at=now),
    )


def _claw_back(session: Session, now: datetime) -> int:
    ids = list(
        session.scalars(
            select(Referral.id)
            .join(Order, Order.id == Referral.qualifying_order_id)
            .where(Referral.status == "rewarded", _refunded())
        )
    )
    if not ids:
        return 0
    key = literal("clawback:") + cast(PointsEntry.id, String)
    reward = aliased(PointsEntry)
    wanted = (
        select(
            PointsEntry.customer_id,
            PointsEntry.points.label("wanted"),
            cast(null(), BigInteger).label("order_id"),
            PointsEntry.referral_id,
            key.label("entry_key"),
            PointsEntry.id.label("sort_key"),
        )
        .where(
            PointsEntry.kind == "referral",
            PointsEntry.referral_id.in_(ids),
            ~exists().where(reward.entry_key == key),
        )
        .subquery()
    )
    insert_capped_debits(
        session, wanted, kind="clawback", reason="qualifying order refunded", now=now
    )
    keys = [
        f"referral:{referral_id}:{role}" for referral_id in ids for role in ("inviter", "invitee")
    ]
    session.execute(
        update(Coupon)
        .where(Coupon.source == "referral", Coupon.issue_key.in_(keys), Coupon.status == "issued")
        .values(status="revoked")
    )
    session.execute(
        update(Referral)
        .where(Referral.id.in_(ids))
        .values(status="clawed_back", clawed_back_at=now)
    )
    return len(ids)


def _within_caps(session: Session, now: datetime, zone: tzinfo) -> tuple[list[int], int]:
    """Qualified referrals to reward now (oldest first per inviter, within the caps), and how
    many wait for cap room."""
    rules = get_rules(session)
    paid = Referral.status.in_(("rewarded", "clawed_back"))

    def rewarded_between(bounds: tuple[datetime, datetime], label: str) -> Any:
        return (
            select(Referral.inviter_id, func.count().label(label))
            .where(paid, Referral.rewarded_at >= bounds[0], Referral.rewarded_at < bounds[1])
            .group_by(Referral.inviter_id)
            .subquery()
        )

    today = rewarded_between(day_bounds(now, zone), "count")
    month = rewarded_between(month_bounds(now, zone), "count")
    position = func.row_number().over(
        partition_by=Referral.inviter_id, order_by=(Referral.qualified_at, Referral.id)
    )
    queue = (
        select(Referral.id, Referral.inviter_id, position.label("position"))
        .where(Referral.status == "qualified")
        .subquery()
    )
    rows = session.execute(
        select(
            queue.c.id,
            and_(
                queue.c.position <= rules.reward_cap_per_day - func.coalesce(today.c.count, 0),
                queue.c.position <= rules.reward_cap_per_month - func.coalesce(month.c.count, 0),
            ),
        )
        .outerjoin(today, today.c.inviter_id == queue.c.inviter_id)
        .outerjoin(month, month.c.inviter_id == queue.c.inviter_id)
        .order_by(queue.c.id)
    ).all()
    chosen = [int(referral_id) for referral_id, allowed in rows if allowed]
    return chosen, len(rows) - len(chosen)
