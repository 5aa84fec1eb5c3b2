"""Distributors (分销): customers or staff earning a commission on the customers they bring.

A customer is bound to the first distributor who brings them (through a referral from a
distributing customer, or bound by hand) for `attribution_days`. Commission is earned on the
bound customer's sales in that window (never on the distributor's own orders) and clawed back
in proportion to refunds, in an append-only ledger. A clawed-back commission may leave the
balance negative — money owed, netted against later commissions; payouts never exceed it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from siyu.accounts.tables import StaffAccount
from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.customers.tables import Customer
from siyu.db.base import table_of
from siyu.db.types import UTCDateTime
from siyu.loyalty.calendar import require_aware
from siyu.loyalty.codes import new_code
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.locks import begin_immediate
from siyu.loyalty.points_sync import refunded_share
from siyu.loyalty.statements import affected_rows
from siyu.loyalty.sync_state import read_since, store_watermark
from siyu.loyalty.tables import CommissionEntry, Distributor, DistributorBinding
from siyu.segments.builtins import PARTNER_GROUP, PARTNER_TAG
from siyu.segments.tags import add_tag, ensure_tag

SYNC_NAME = "commissions"
COMMISSIONS = table_of(CommissionEntry)
COLUMNS = [
    "distributor_id",
    "kind",
    "amount_fen",
    "order_id",
    "entry_key",
    "occurred_at",
    "reason",
    "operator",
    "created_at",
]


@dataclass(frozen=True, slots=True)
class DistributorView:
    id: int
    code: str
    customer_id: int | None
    staff_id: int | None
    commission_bp: int
    attribution_days: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CommissionSyncResult:
    earned_entries: int
    clawback_entries: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def create_distributor(
    session: Session,
    *,
    commission_bp: int,
    attribution_days: int,
    now: datetime,
    customer_id: int | None = None,
    staff_id: int | None = None,
) -> DistributorView:
    """Appoint a distributor. A distributing customer is tagged 身份/合伙人 (the built-in
    `partner` segment)."""
    if (customer_id is None) == (staff_id is None):
        message = "a distributor is either a customer or a staff member"
        raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, message)
    if not 0 <= commission_bp <= 10_000 or attribution_days <= 0:
        message = "commission is 0–10000 basis points and attribution days are positive"
        raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, message)
    owner = (
        session.get(Customer, customer_id)
        if customer_id is not None
        else session.get(StaffAccount, staff_id)
    )
    if owner is None:
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CUSTOMER, "no such customer or staff member")
    distributor = Distributor(
        code=new_code(),
        customer_id=customer_id,
        staff_id=staff_id,
        commission_bp=commission_bp,
        attribution_days=attribution_days,
    )
    session.add(distributor)
    session.flush()
    if customer_id is not None:
        tag = ensure_tag(session, name=PARTNER_TAG, group=PARTNER_GROUP)
        chosen = select(Customer.id).where(Customer.id == customer_id)
        add_tag(session, tag=tag, customers=chosen, source="loyalty", now=require_aware(now))
    return _view(distributor)


def bind_customer(
    session: Session, *, distributor_id: int, customer_id: int, now: datetime
) -> bool:
    """Bind `customer_id` to the distributor; False if they are bound already (first wins) or
    are the distributor themselves."""
    distributor = session.get(Distributor, distributor_id)
    if distributor is None or not distributor.is_active:
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CODE, f"no active distributor {distributor_id}")
    if distributor.customer_id == customer_id:
        return False
    bound = select(DistributorBinding.id).where(DistributorBinding.customer_id == customer_id)
    if session.scalar(bound) is not None:
        return False
    session.add(
        DistributorBinding(
            distributor_id=distributor_id,
            customer_id=customer_id,
            bound_at=require_aware(now, "now"),
            ends_at=now + timedelta(days=distributor.attribution_days),
        )
    )
    session.flush()
    return True


def bind_to_inviter(session: Session, *, inviter_id: int, customer_id: int, now: datetime) -> None:
    """A referral from a distributing customer binds the invitee to them."""
    distributor_id = session.scalar(
        select(Distributor.id).where(Distributor.customer_id == inviter_id, Distributor.is_active)
    )
    if distributor_id is not None:
        bind_customer(session, distributor_id=distributor_id, customer_id=customer_id, now=now)


def commission_balance(session: Session, distributor_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(CommissionEntry.amount_fen), 0)).where(
            CommissionEntry.distributor_id == distributor_id
        )
    )
    return int(total or 0)


def pay_out(
    session: Session, *, distributor_id: int, amount_fen: int, operator: str, now: datetime
) -> int:
    """Record a payout; refused beyond the balance. Returns the balance after it."""
    if amount_fen <= 0 or not operator.strip():
        message = "a payout needs a positive amount and the operator"
        raise LoyaltyError(LoyaltyErrorCode.INVALID_AMOUNT, message)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Distributor.id).where(Distributor.id == distributor_id).with_for_update()
        )
    else:
        begin_immediate(session)
    balance = commission_balance(session, distributor_id)
    if amount_fen > balance:
        message = f"distributor {distributor_id} is owed ¥{balance / 100:.2f}"
        raise LoyaltyError(LoyaltyErrorCode.INSUFFICIENT_POINTS, message)
    session.add(
        CommissionEntry(
            distributor_id=distributor_id,
            kind="payout",
            amount_fen=-amount_fen,
            occurred_at=require_aware(now, "now"),
            reason="payout",
            operator=operator[:100],
        )
    )
    session.flush()
    return balance - amount_fen


def sync_commissions(session: Session, *, now: datetime) -> CommissionSyncResult:
    require_aware(now, "now")
    since, watermark = read_since(session, SYNC_NAME)
    earned = _earn(session, since, now)
    clawed = _claw_back(session, since, now)
    store_watermark(session, SYNC_NAME, watermark)
    return CommissionSyncResult(earned, clawed)


def _earn(session: Session, since: datetime, now: datetime) -> int:
    amount = Order.paid_fen * Distributor.commission_bp // 10_000
    done = exists().where(CommissionEntry.order_id == Order.id, CommissionEntry.kind == "earn")
    rows = (
        select(
            DistributorBinding.distributor_id,
            literal("earn"),
            amount,
            Order.id,
            literal("earn:") + cast(Order.id, String),
            func.coalesce(Order.paid_at, Order.ordered_at),
            literal("bound customer's order"),
            literal("system"),
            literal(now, UTCDateTime()),
        )
        .join(DistributorBinding, DistributorBinding.customer_id == Order.customer_id)
        .join(Distributor, Distributor.id == DistributorBinding.distributor_id)
        .where(
            Order.updated_at >= since,
            Order.status.in_(REVENUE_STATUSES),
            Order.ordered_at >= DistributorBinding.bound_at,
            Order.ordered_at <= DistributorBinding.ends_at,
            Distributor.is_active,
            or_(Distributor.customer_id.is_(None), Distributor.customer_id != Order.customer_id),
            amount > 0,
            ~done,
        )
    )
    return affected_rows(session, insert(COMMISSIONS).from_select(COLUMNS, rows))


def _claw_back(session: Session, since: datetime, now: datetime) -> int:
    earned = aliased(CommissionEntry)
    clawed = aliased(CommissionEntry)
    already = (
        select(func.coalesce(func.sum(-clawed.amount_fen), 0))
        .where(clawed.order_id == Order.id, clawed.kind == "clawback")
        .scalar_subquery()
    )
    refunded = refunded_share()
    wanted = earned.amount_fen * refunded // Order.paid_fen - already
    key = literal("clawback:") + cast(Order.id, String) + literal(":") + cast(refunded, String)
    rows = (
        select(
            earned.distributor_id,
            literal("clawback"),
            -wanted,
            Order.id,
            key,
            literal(now, UTCDateTime()),
            literal("refund"),
            literal("system"),
            literal(now, UTCDateTime()),
        )
        .join(earned, and_(earned.order_id == Order.id, earned.kind == "earn"))
        .where(
            Order.updated_at >= since,
            refunded > 0,
            Order.paid_fen > 0,
            wanted > 0,
            ~exists().where(CommissionEntry.entry_key == key),
        )
    )
    return affected_rows(session, insert(COMMISSIONS).from_select(COLUMNS, rows))


def _view(distributor: Distributor) -> DistributorView:
    return DistributorView(
        distributor.id,
        distributor.code,
        distributor.customer_id,
        distributor.staff_id,
        distributor.commission_bp,
        distributor.attribution_days,
    )
