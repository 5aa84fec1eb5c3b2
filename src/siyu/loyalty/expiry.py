"""Points expiry, set-based: per customer, the points earned on or before the cut-off that no
debit has taken (debits take the soonest-expiring points first) expire in one entry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, insert, literal, select
from sqlalchemy.orm import Session

from siyu.db.types import UTCDateTime
from siyu.loyalty.calendar import add_months, require_aware
from siyu.loyalty.debits import LEDGER
from siyu.loyalty.locks import lock_accounts
from siyu.loyalty.rules import get_rules
from siyu.loyalty.tables import PointsEntry

COLUMNS = [
    "customer_id",
    "kind",
    "points",
    "shortfall",
    "occurred_at",
    "reason",
    "operator",
    "created_at",
]


def expire_points(
    session: Session, *, now: datetime, customer_ids: Sequence[int] | None = None
) -> int:
    """Expire what is due at `now` (for everyone, or `customer_ids`); returns points expired."""
    require_aware(now, "now")
    cutoff = add_months(now, -get_rules(session).points_validity_months)
    lot_due = and_(PointsEntry.points > 0, PointsEntry.occurred_at <= cutoff)
    due = func.sum(case((lot_due, PointsEntry.points), else_=0))
    debits = func.sum(case((PointsEntry.points < 0, -PointsEntry.points), else_=0))
    scope = select(PointsEntry.customer_id, (due - debits).label("expiring"))
    if customer_ids is not None:
        scope = scope.where(PointsEntry.customer_id.in_(list(customer_ids)))
    expiring = scope.group_by(PointsEntry.customer_id).having(due > debits).subquery()
    lock_accounts(
        session, list(customer_ids) if customer_ids is not None else select(expiring.c.customer_id)
    )
    last_id = session.scalar(select(func.coalesce(func.max(PointsEntry.id), 0)))
    moment = literal(now, UTCDateTime())
    reason = f"earned on or before {cutoff:%Y-%m-%d %H:%M %Z}"
    rows = select(
        expiring.c.customer_id,
        literal("expire"),
        -expiring.c.expiring,
        literal(0),
        moment,
        literal(reason),
        literal("system"),
        moment,
    )
    session.execute(insert(LEDGER).from_select(COLUMNS, rows))
    total = session.scalar(
        select(func.coalesce(func.sum(-PointsEntry.points), 0)).where(
            PointsEntry.id > last_id, PointsEntry.kind == "expire"
        )
    )
    return int(total or 0)
