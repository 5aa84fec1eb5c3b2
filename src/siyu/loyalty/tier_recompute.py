"""Recompute every member's tier in a handful of set-based statements.

1. Rolling figures per customer (net spend, orders) over the window, by one GROUP BY.
2. The level each qualifies for (a CASE built from the few configured levels) and the decision:
   a new member joins at the level they qualify for; an upgrade takes effect at once; a
   downgrade only once the tier year has ended and the grace period passed (to the level the
   figures then justify); a member who still qualifies when the tier year ends starts a new
   tier year. Only those decisions (usually few) go into a temporary table.
3. History rows, updated and new `member_tiers` rows, from that table.

On PostgreSQL the transaction gets a larger `work_mem` (the year of orders is hashed in memory)
and no JIT (compiling the plan costs more than it saves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased

from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.customers.tables import Customer
from siyu.db.base import table_of
from siyu.db.columns import utc_now
from siyu.db.types import UTCDateTime
from siyu.loyalty.calendar import add_months, require_aware
from siyu.loyalty.rules import get_rules
from siyu.loyalty.statements import affected_rows
from siyu.loyalty.tables import MemberTier, TierChange, TierLevel
from siyu.loyalty.tiers import TierLevelSpec, list_levels

EVALUATION = Table(  # only the members whose tier changes or whose tier year renews
    "loyalty_tier_evaluation",
    MetaData(),
    Column("customer_id", BigInteger, nullable=False),
    Column("spend_fen", BigInteger, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("current_rank", Integer),
    Column("from_tier", String(32)),
    Column("new_rank", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
E = EVALUATION.c
WORK_MEM = "256MB"  # PostgreSQL, for this transaction only


@dataclass(frozen=True, slots=True)
class TierRecomputeResult:
    as_of: datetime
    members: int
    joined: int
    upgraded: int
    downgraded: int
    renewed: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rolling_figures(start: datetime, end: datetime) -> Select[int | None, Any, Any]:
    """(customer_id, net spend, orders) over orders placed in [start, end). Fully refunded
    orders add nothing; unpaid and closed ones do not count."""
    counted = case((Order.status == "refunded", 0), else_=1)
    return (
        select(
            Order.customer_id,
            func.sum(Order.paid_fen - Order.refunded_fen).label("spend_fen"),
            func.sum(counted).label("orders"),
        )
        .where(
            Order.customer_id.is_not(None),
            Order.status.in_(REVENUE_STATUSES),
            Order.ordered_at >= start,
            Order.ordered_at < end,
        )
        .group_by(Order.customer_id)
    )


def qualified_rank(
    levels: Sequence[TierLevelSpec], spend: ColumnElement[Any], orders: ColumnElement[Any]
) -> ColumnElement[int]:
    """The highest rank whose spend or order threshold the figures reach."""
    whens = []
    for level in sorted(levels, key=lambda spec: -spec.rank):
        reached = []
        if level.min_spend_fen is not None:
            reached.append(spend >= level.min_spend_fen)
        if level.min_orders is not None:
            reached.append(orders >= level.min_orders)
        whens.append((or_(*reached), literal(level.rank)))
    return case(*whens, else_=literal(min(level.rank for level in levels)))


def recompute_tiers(
    session: Session, *, as_of: datetime, customer_ids: Sequence[int] | None = None
) -> TierRecomputeResult:
    """Recompute the tiers of all live customers (or only `customer_ids`) as of `as_of`."""
    require_aware(as_of, "as_of")
    rules = get_rules(session)
    levels = list_levels(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # one pass over a year of orders: hash it in memory, skip JIT compilation
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))
    _reset_evaluation(session)
    decisions = _decisions(
        levels,
        window=(add_months(as_of, -rules.tier_window_months), as_of),
        downgrade_cutoff=as_of - timedelta(days=rules.tier_grace_days),
        customer_ids=customer_ids,
    )
    session.execute(
        insert(EVALUATION).from_select(list(decisions.selected_columns.keys()), decisions)
    )
    if postgres:
        session.execute(text(f"ANALYZE {EVALUATION.name}"))
    counts = _count_decisions(session)
    _write_history(session, as_of)
    _write_member_tiers(session, as_of, add_months(as_of, rules.tier_period_months))
    if customer_ids is None:
        merged = select(Customer.id).where(Customer.merged_into_id.is_not(None))
        affected_rows(session, delete(MemberTier).where(MemberTier.customer_id.in_(merged)))
    EVALUATION.drop(session.connection())
    members = select(func.count()).where(Customer.merged_into_id.is_(None))
    if customer_ids is not None:
        members = members.where(Customer.id.in_(list(customer_ids)))
    return TierRecomputeResult(as_of=as_of, members=int(session.scalar(members) or 0), **counts)


def _decisions(
    levels: Sequence[TierLevelSpec],
    *,
    window: tuple[datetime, datetime],
    downgrade_cutoff: datetime,
    customer_ids: Sequence[int] | None,
) -> Select[Any]:
    """A row per member whose tier changes (or who joins), or whose tier year ends while they
    still qualify (a renewal: new_rank = current_rank)."""
    figures = rolling_figures(*window).subquery()
    spend = func.coalesce(figures.c.spend_fen, 0)
    orders = func.coalesce(figures.c.orders, 0)
    current = aliased(TierLevel)
    base = (
        select(
            Customer.id.label("customer_id"),
            spend.label("spend_fen"),
            orders.label("orders"),
            qualified_rank(levels, spend, orders).label("qualified_rank"),
            current.rank.label("current_rank"),
            current.code.label("from_tier"),
            MemberTier.period_ends_at.label("period_ends_at"),
        )
        .select_from(Customer)
        .outerjoin(figures, figures.c.customer_id == Customer.id)
        .outerjoin(MemberTier, MemberTier.customer_id == Customer.id)
        .outerjoin(current, current.id == MemberTier.tier_id)
        .where(Customer.merged_into_id.is_(None))
    )
    if customer_ids is not None:
        base = base.where(Customer.id.in_(list(customer_ids)))
    row = base.subquery()
    qualified, held, ends = row.c.qualified_rank, row.c.current_rank, row.c.period_ends_at
    year_over = ends <= window[1]
    new_rank = case(
        (held.is_(None), qualified),
        (qualified > held, qualified),
        (and_(qualified < held, ends <= downgrade_cutoff), qualified),
        else_=held,
    )
    return select(
        row.c.customer_id,
        row.c.spend_fen,
        row.c.orders,
        held,
        row.c.from_tier,
        new_rank.label("new_rank"),
    ).where(
        or_(
            held.is_(None),
            qualified > held,
            and_(qualified < held, ends <= downgrade_cutoff),
            and_(qualified >= held, year_over),
        )
    )


def _reset_evaluation(session: Session) -> None:
    schema = "pg_temp" if session.get_bind().dialect.name == "postgresql" else "temp"
    session.execute(text(f"DROP TABLE IF EXISTS {schema}.{EVALUATION.name}"))
    EVALUATION.create(session.connection())


def _count_decisions(session: Session) -> dict[str, int]:
    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    held = E.current_rank.is_not(None)
    row = session.execute(
        select(
            count(E.current_rank.is_(None)),
            count(and_(held, E.new_rank > E.current_rank)),
            count(and_(held, E.new_rank < E.current_rank)),
            count(E.new_rank == E.current_rank),
        ).select_from(EVALUATION)
    ).one()
    keys = ("joined", "upgraded", "downgraded", "renewed")
    return {key: int(value) for key, value in zip(keys, row, strict=True)}


def _write_history(session: Session, as_of: datetime) -> None:
    kind = case(
        (E.current_rank.is_(None), literal("joined")),
        (E.new_rank > E.current_rank, literal("upgrade")),
        else_=literal("downgrade"),
    )
    rows = (
        select(
            E.customer_id,
            E.from_tier,
            TierLevel.code,
            kind,
            literal(as_of, UTCDateTime()),
            E.spend_fen,
            E.orders,
            literal(utc_now(), UTCDateTime()),
        )
        .join(TierLevel, TierLevel.rank == E.new_rank)
        .where(or_(E.current_rank.is_(None), E.new_rank != E.current_rank))
    )
    names = [
        "customer_id",
        "from_tier",
        "to_tier",
        "kind",
        "effective_at",
        "spend_fen",
        "orders",
        "created_at",
    ]
    session.execute(insert(table_of(TierChange)).from_select(names, rows))


def _write_member_tiers(session: Session, as_of: datetime, period_end: datetime) -> None:
    now = utc_now()
    new_tier = (
        select(TierLevel.id)
        .join(EVALUATION, TierLevel.rank == E.new_rank)
        .where(E.customer_id == MemberTier.customer_id)
        .scalar_subquery()
    )
    changed = select(E.customer_id).where(E.current_rank.is_not(None), E.new_rank != E.current_rank)
    affected_rows(
        session,
        update(MemberTier)
        .where(MemberTier.customer_id.in_(changed))
        .values(tier_id=new_tier, since=as_of, period_ends_at=period_end, updated_at=now),
    )
    renewing = select(E.customer_id).where(E.new_rank == E.current_rank)
    affected_rows(
        session,
        update(MemberTier)
        .where(MemberTier.customer_id.in_(renewing))
        .values(period_ends_at=period_end, updated_at=now),
    )
    joining = (
        select(
            E.customer_id,
            TierLevel.id,
            literal(as_of, UTCDateTime()),
            literal(period_end, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        .join(TierLevel, TierLevel.rank == E.new_rank)
        .where(E.current_rank.is_(None))
    )
    columns = ["customer_id", "tier_id", "since", "period_ends_at", "updated_at"]
    session.execute(insert(table_of(MemberTier)).from_select(columns, joining))
