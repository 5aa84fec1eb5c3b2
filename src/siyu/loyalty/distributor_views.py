"""Reading distributors: the list with balances and bound customers, one distributor's
commission ledger, and finding a staff member by their WeCom userid."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.accounts.tables import StaffAccount
from siyu.customers.tables import Customer
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.tables import CommissionEntry, Distributor, DistributorBinding


@dataclass(frozen=True, slots=True)
class DistributorSummary:
    id: int
    code: str
    customer_id: int | None
    staff_id: int | None
    name: str  # the customer's display name or the staff member's name
    commission_bp: int
    attribution_days: int
    is_active: bool
    bound_customers: int
    earned_fen: int
    paid_out_fen: int
    balance_fen: int
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CommissionEntryView:
    id: int
    kind: str
    amount_fen: int
    order_id: int | None
    occurred_at: datetime
    reason: str
    operator: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_distributors(
    session: Session, distributor_id: int | None = None
) -> list[DistributorSummary]:
    """Every distributor (or one) with figures from two grouped aggregates."""
    bound = (
        select(DistributorBinding.distributor_id, func.count().label("bound"))
        .group_by(DistributorBinding.distributor_id)
        .subquery()
    )
    ledger = _ledger_sums()
    query = (
        select(
            Distributor,
            func.coalesce(Customer.display_name, StaffAccount.name, ""),
            func.coalesce(bound.c.bound, 0),
            func.coalesce(ledger.c.earned, 0),
            func.coalesce(ledger.c.paid_out, 0),
            func.coalesce(ledger.c.balance, 0),
        )
        .outerjoin(Customer, Customer.id == Distributor.customer_id)
        .outerjoin(StaffAccount, StaffAccount.id == Distributor.staff_id)
        .outerjoin(bound, bound.c.distributor_id == Distributor.id)
        .outerjoin(ledger, ledger.c.distributor_id == Distributor.id)
        .order_by(Distributor.id)
    )
    if distributor_id is not None:
        query = query.where(Distributor.id == distributor_id)
    return [
        DistributorSummary(
            row.id,
            row.code,
            row.customer_id,
            row.staff_id,
            str(name or ""),
            row.commission_bp,
            row.attribution_days,
            row.is_active,
            int(count),
            int(earned),
            int(paid),
            int(balance),
            row.created_at,
        )
        for row, name, count, earned, paid, balance in session.execute(query)
    ]


def _ledger_sums() -> Any:
    kind, amount = CommissionEntry.kind, CommissionEntry.amount_fen
    return (
        select(
            CommissionEntry.distributor_id,
            func.sum(amount).filter(kind.in_(("earn", "clawback", "adjust"))).label("earned"),
            func.sum(-amount).filter(kind == "payout").label("paid_out"),
            func.sum(amount).label("balance"),
        )
        .group_by(CommissionEntry.distributor_id)
        .subquery()
    )


def get_distributor(session: Session, distributor_id: int) -> DistributorSummary:
    found = list_distributors(session, distributor_id)
    if not found:
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CODE, f"no distributor {distributor_id}")
    return found[0]


def commission_ledger(
    session: Session, distributor_id: int, *, limit: int = 100, offset: int = 0
) -> tuple[list[CommissionEntryView], int]:
    """A page of the distributor's ledger, newest first, and the number of entries."""
    get_distributor(session, distributor_id)
    mine = CommissionEntry.distributor_id == distributor_id
    total = session.scalar(select(func.count()).select_from(CommissionEntry).where(mine))
    entries = session.scalars(
        select(CommissionEntry)
        .where(mine)
        .order_by(CommissionEntry.occurred_at.desc(), CommissionEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    views = [
        CommissionEntryView(
            entry.id,
            entry.kind,
            entry.amount_fen,
            entry.order_id,
            entry.occurred_at,
            entry.reason,
            entry.operator,
        )
        for entry in entries
    ]
    return views, int(total or 0)


def staff_id_for(session: Session, userid: str) -> int:
    staff_id = session.scalar(select(StaffAccount.id).where(StaffAccount.userid == userid))
    if staff_id is None:
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CUSTOMER, f"no staff member {userid!r}")
    return staff_id
