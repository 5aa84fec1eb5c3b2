"""Points from orders: earn on paid orders, reverse on refunds, expire what is due.

Earning: `points_per_yuan` per yuan paid, times the multiplier of the tier the member held
when they paid (the lowest tier's before their first tier), rounded down; one entry per order
(`earn:<order id>`). Reversal: an order's reversals add up to its earned points × refunded ÷
paid (rounded down); each sync adds the difference (`reverse:<order id>:<refunded fen>`),
taking no more than the balance allows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session, aliased

from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.db.types import UTCDateTime
from siyu.loyalty.calendar import require_aware
from siyu.loyalty.debits import LEDGER, LEDGER_COLUMNS, insert_capped_debits
from siyu.loyalty.expiry import expire_points
from siyu.loyalty.rules import LoyaltyRules, get_rules
from siyu.loyalty.statements import affected_rows
from siyu.loyalty.sync_state import read_since, store_watermark
from siyu.loyalty.tables import PointsEntry, TierChange, TierLevel
from siyu.loyalty.tiers import list_levels

SYNC_NAME = "points"


@dataclass(frozen=True, slots=True)
class PointsSyncResult:
    orders_since: datetime
    expired_points: int
    earn_entries: int
    reverse_entries: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sync_points(session: Session, *, now: datetime) -> PointsSyncResult:
    """Expire due points, then earn and reverse for orders changed since the last sync."""
    require_aware(now, "now")
    rules = get_rules(session)
    since, watermark = read_since(session, SYNC_NAME)
    expired = expire_points(session, now=now)
    earned = earn_points(session, rules=rules, since=since, now=now)
    reversed_ = reverse_points(session, since=since, now=now)
    store_watermark(session, SYNC_NAME, watermark)
    return PointsSyncResult(since, expired, earned, reversed_)


def earn_points(session: Session, *, rules: LoyaltyRules, since: datetime, now: datetime) -> int:
    paid_at = func.coalesce(Order.paid_at, Order.ordered_at)
    base_multiplier = min(list_levels(session), key=lambda level: level.rank)
    held = (
        select(TierLevel.points_multiplier_percent)
        .join(TierChange, TierChange.to_tier == TierLevel.code)
        .where(TierChange.customer_id == Order.customer_id, TierChange.effective_at <= paid_at)
        .order_by(TierChange.effective_at.desc(), TierChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    multiplier = func.coalesce(held, base_multiplier.points_multiplier_percent)
    already = exists().where(PointsEntry.order_id == Order.id, PointsEntry.kind == "earn")
    candidates = (
        select(
            Order.customer_id,
            (Order.paid_fen * rules.points_per_yuan * multiplier // 10_000).label("points"),
            paid_at.label("occurred_at"),
            Order.id.label("order_id"),
        )
        .where(
            Order.updated_at >= since,
            Order.customer_id.is_not(None),
            Order.status.in_(REVENUE_STATUSES),
            Order.paid_fen > 0,
            ~already,
        )
        .subquery()
    )
    moment = literal(now, UTCDateTime())
    rows = select(
        candidates.c.customer_id,
        literal("earn"),
        candidates.c.points,
        literal(0),
        candidates.c.occurred_at,
        candidates.c.order_id,
        cast(null(), BigInteger),
        _key("earn:", candidates.c.order_id),
        literal("paid order"),
        literal("system"),
        moment,
    ).where(candidates.c.points > 0)
    return affected_rows(session, insert(LEDGER).from_select(LEDGER_COLUMNS, rows))


def reverse_points(session: Session, *, since: datetime, now: datetime) -> int:
    earned = aliased(PointsEntry)
    reversal = aliased(PointsEntry)
    already = (
        select(func.coalesce(func.sum(reversal.shortfall - reversal.points), 0))
        .where(reversal.order_id == Order.id, reversal.kind == "reverse")
        .scalar_subquery()
    )
    refunded = refunded_share()
    key = _key("reverse:", Order.id) + literal(":") + cast(refunded, String)
    candidates = (
        select(
            earned.customer_id,
            (earned.points * refunded // Order.paid_fen - already).label("wanted"),
            Order.id.label("order_id"),
            cast(null(), BigInteger).label("referral_id"),
            key.label("entry_key"),
            Order.id.label("sort_key"),
        )
        .join(earned, and_(earned.order_id == Order.id, earned.kind == "earn"))
        .where(Order.updated_at >= since, refunded > 0, Order.paid_fen > 0)
        .subquery()
    )
    taken_before = exists().where(PointsEntry.entry_key == candidates.c.entry_key)
    wanted = select(candidates).where(candidates.c.wanted > 0, ~taken_before).subquery()
    return insert_capped_debits(session, wanted, kind="reverse", reason="refund", now=now)


def refunded_share() -> Any:
    """What an order gave back: its refunds (at most what was paid), or all of it once the
    order was closed after payment."""
    return case(
        (Order.status == "closed", Order.paid_fen),
        (Order.refunded_fen > Order.paid_fen, Order.paid_fen),
        else_=Order.refunded_fen,
    )


def _key(prefix: str, order_id: Any) -> Any:
    return literal(prefix) + cast(order_id, String)
