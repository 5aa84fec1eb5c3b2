"""Debits that may meet a short balance (refund reversals, referral claw-backs).

They take what the balance allows, never more, and record the rest as `shortfall`. Several
debits for one customer in one statement are capped together, in `sort_key` order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Subquery, case, func, insert, literal, select
from sqlalchemy.orm import Session

from siyu.db.base import table_of
from siyu.db.types import UTCDateTime
from siyu.loyalty.locks import lock_accounts
from siyu.loyalty.statements import affected_rows
from siyu.loyalty.tables import PointsEntry

LEDGER = table_of(PointsEntry)
LEDGER_COLUMNS = [
    "customer_id",
    "kind",
    "points",
    "shortfall",
    "occurred_at",
    "order_id",
    "referral_id",
    "entry_key",
    "reason",
    "operator",
    "created_at",
]


def insert_capped_debits(
    session: Session, wanted: Subquery, *, kind: str, reason: str, now: datetime
) -> int:
    """Insert one `kind` debit per row of `wanted` (customer_id, wanted > 0, order_id,
    referral_id, entry_key, sort_key) after locking the accounts; returns rows inserted."""
    lock_accounts(session, select(wanted.c.customer_id).distinct())
    balances = (
        select(PointsEntry.customer_id, func.sum(PointsEntry.points).label("balance"))
        .where(PointsEntry.customer_id.in_(select(wanted.c.customer_id)))
        .group_by(PointsEntry.customer_id)
        .subquery()
    )
    running = func.sum(wanted.c.wanted).over(
        partition_by=wanted.c.customer_id, order_by=wanted.c.sort_key
    )
    ranked = (
        select(
            wanted,
            (func.coalesce(balances.c.balance, 0) - (running - wanted.c.wanted)).label("free"),
        )
        .outerjoin(balances, balances.c.customer_id == wanted.c.customer_id)
        .subquery()
    )
    taken = case(
        (ranked.c.free <= 0, 0),
        (ranked.c.free < ranked.c.wanted, ranked.c.free),
        else_=ranked.c.wanted,
    )
    moment = literal(now, UTCDateTime())
    rows = select(
        ranked.c.customer_id,
        literal(kind),
        -taken,
        ranked.c.wanted - taken,
        moment,
        ranked.c.order_id,
        ranked.c.referral_id,
        ranked.c.entry_key,
        literal(reason),
        literal("system"),
        moment,
    )
    return affected_rows(session, insert(LEDGER).from_select(LEDGER_COLUMNS, rows))
