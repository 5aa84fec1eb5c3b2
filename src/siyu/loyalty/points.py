"""The points ledger: balances, history, redemptions and manual adjustments.

A balance is the sum of the customer's ledger entries, nothing else. Credits are lots that
expire `points_validity_months` after they occurred; every debit takes the soonest-expiring
points first, so what remains of a balance is always its latest-earned points.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.customers.tables import Customer
from siyu.loyalty.calendar import add_months, require_aware
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.expiry import expire_points
from siyu.loyalty.locks import lock_accounts
from siyu.loyalty.rules import get_rules
from siyu.loyalty.tables import PointsEntry


@dataclass(frozen=True, slots=True)
class PointsEntryView:
    id: int
    kind: str
    points: int
    shortfall: int
    occurred_at: datetime
    order_id: int | None
    referral_id: int | None
    reason: str
    operator: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ExpiringLot:
    expires_at: datetime
    points: int


@dataclass(frozen=True, slots=True)
class PointsBalance:
    customer_id: int
    balance: int
    expiring: list[ExpiringLot]  # what the balance is made of, soonest expiry first

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ledger_sum(session: Session, customer_id: int) -> int:
    """The balance: one indexed SUM over the customer's entries."""
    return int(session.scalar(ledger_sum_query(customer_id)) or 0)


def ledger_sum_query(customer_id: int) -> Select[int]:
    return select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.customer_id == customer_id
    )


def points_balance(session: Session, customer_id: int) -> PointsBalance:
    _live_customer(session, customer_id)
    balance = ledger_sum(session, customer_id)
    validity = get_rules(session).points_validity_months
    credits = session.execute(
        select(PointsEntry.occurred_at, PointsEntry.points)
        .where(PointsEntry.customer_id == customer_id, PointsEntry.points > 0)
        .order_by(PointsEntry.occurred_at.desc(), PointsEntry.id.desc())
    ).all()
    lots: list[ExpiringLot] = []
    left = balance
    for occurred_at, points in credits:  # one customer's lots, newest first
        if left <= 0:
            break
        lots.append(ExpiringLot(add_months(occurred_at, validity), min(points, left)))
        left -= points
    return PointsBalance(customer_id, balance, lots[::-1])


def points_history(
    session: Session, customer_id: int, *, limit: int = 100, offset: int = 0
) -> list[PointsEntryView]:
    _live_customer(session, customer_id)
    entries = session.scalars(
        select(PointsEntry)
        .where(PointsEntry.customer_id == customer_id)
        .order_by(PointsEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_view(entry) for entry in entries]


def ledger_count(session: Session, customer_id: int) -> int:
    """How many entries the customer's ledger holds (for paging the history)."""
    total = session.scalar(
        select(func.count()).select_from(PointsEntry).where(PointsEntry.customer_id == customer_id)
    )
    return int(total or 0)


def redeem_points(
    session: Session,
    *,
    customer_id: int,
    points: int,
    reason: str,
    now: datetime,
    operator: str = "customer",
    request_key: str | None = None,
) -> PointsEntryView:
    """Spend `points` (refused if the balance, after expiring due points, is short). With a
    `request_key` a retried request returns the first redemption instead of spending twice."""
    if points <= 0:
        raise LoyaltyError(LoyaltyErrorCode.INVALID_AMOUNT, "redeem a positive number of points")
    return _debit(session, customer_id, -points, "redeem", reason, operator, now, request_key)


def adjust_points(
    session: Session, *, customer_id: int, points: int, reason: str, operator: str, now: datetime
) -> PointsEntryView:
    """A manual credit or debit; the reason and the operator are required."""
    if not reason.strip() or not operator.strip():
        message = "an adjustment needs a reason and the operator who made it"
        raise LoyaltyError(LoyaltyErrorCode.MISSING_REASON, message)
    if points == 0:
        raise LoyaltyError(LoyaltyErrorCode.INVALID_AMOUNT, "adjust by a non-zero number of points")
    if points > 0:
        _live_customer(session, customer_id)
        entry = _add(session, customer_id, points, "adjust", reason, operator, now, None)
        return _view(entry)
    return _debit(session, customer_id, points, "adjust", reason, operator, now, None)


def _debit(
    session: Session,
    customer_id: int,
    points: int,
    kind: str,
    reason: str,
    operator: str,
    now: datetime,
    request_key: str | None,
) -> PointsEntryView:
    require_aware(now, "now")
    lock_accounts(session, [customer_id])
    _live_customer(session, customer_id)
    if request_key is not None:
        done = session.scalars(
            select(PointsEntry).where(PointsEntry.entry_key == request_key)
        ).one_or_none()
        if done is not None:
            return _view(done)
    expire_points(session, now=now, customer_ids=[customer_id])
    balance = ledger_sum(session, customer_id)
    if balance + points < 0:
        raise LoyaltyError(
            LoyaltyErrorCode.INSUFFICIENT_POINTS,
            f"customer {customer_id} has {balance} points; {-points} asked",
        )
    return _view(_add(session, customer_id, points, kind, reason, operator, now, request_key))


def _add(
    session: Session,
    customer_id: int,
    points: int,
    kind: str,
    reason: str,
    operator: str,
    now: datetime,
    entry_key: str | None,
) -> PointsEntry:
    entry = PointsEntry(
        customer_id=customer_id,
        kind=kind,
        points=points,
        shortfall=0,
        occurred_at=require_aware(now, "now"),
        entry_key=entry_key,
        reason=reason[:300],
        operator=operator[:100],
    )
    session.add(entry)
    session.flush()
    return entry


def _live_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CUSTOMER, f"no customer {customer_id}")
    if customer.merged_into_id is not None:
        raise LoyaltyError(
            LoyaltyErrorCode.UNKNOWN_CUSTOMER,
            f"customer {customer_id} was merged into {customer.merged_into_id}: use that id",
        )
    return customer


def _view(entry: PointsEntry) -> PointsEntryView:
    return PointsEntryView(
        entry.id,
        entry.kind,
        entry.points,
        entry.shortfall,
        entry.occurred_at,
        entry.order_id,
        entry.referral_id,
        entry.reason,
        entry.operator,
    )
