"""Fission metrics and the referral tree.

Over referrals created in [since, until) that were not rejected:
- invites per referrer: referrals ÷ distinct inviters;
- invitee conversion: converted (status qualified or rewarded) ÷ referrals;
- K-factor: converted invitees ÷ the paying customers who could have invited them (live
  customers with a sale placed before `until`, less those converted invitees) — new paying
  customers per existing one;
- tree depth: the longest inviter → invitee chain (all time);
- top referrers: by converted invitees, then by invitations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.customers.tables import Customer
from siyu.loyalty.tables import Referral

CONVERTED = ("qualified", "rewarded")
DEPTH_LIMIT = 100


@dataclass(frozen=True, slots=True)
class TopReferrer:
    customer_id: int
    display_name: str
    invitations: int
    converted: int


@dataclass(frozen=True, slots=True)
class ReferralStats:
    since: datetime | None
    until: datetime | None
    referrals: int
    rejected: int
    flagged: int
    referrers: int
    converted: int
    invites_per_referrer: float
    invitee_conversion: float
    paying_customers: int
    k_factor: float
    tree_depth: int
    top_referrers: list[TopReferrer] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def referral_stats(
    session: Session, *, since: datetime | None = None, until: datetime | None = None, top: int = 10
) -> ReferralStats:
    period = select(Referral).where(*_period(since, until)).subquery()
    live = period.c.status != "rejected"
    converted = period.c.status.in_(CONVERTED)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    referrals, rejected, flagged, converted_count = (
        int(value)
        for value in session.execute(
            select(count(live), count(~live), count(period.c.status == "flagged"), count(converted))
        ).one()
    )
    referrers = int(
        session.scalar(select(func.count(func.distinct(period.c.inviter_id))).where(live)) or 0
    )
    paying = _paying_customers(session, until) - converted_count
    return ReferralStats(
        since=since,
        until=until,
        referrals=referrals,
        rejected=rejected,
        flagged=flagged,
        referrers=referrers,
        converted=converted_count,
        invites_per_referrer=round(referrals / referrers, 4) if referrers else 0.0,
        invitee_conversion=round(converted_count / referrals, 4) if referrals else 0.0,
        paying_customers=paying,
        k_factor=round(converted_count / paying, 4) if paying > 0 else 0.0,
        tree_depth=tree_depth(session),
        top_referrers=_top(session, since, until, top),
    )


def _period(since: datetime | None, until: datetime | None) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(Referral.created_at >= since)
    if until is not None:
        conditions.append(Referral.created_at < until)
    return conditions


def _paying_customers(session: Session, until: datetime | None) -> int:
    sales = select(Order.customer_id).where(Order.status.in_(REVENUE_STATUSES))
    if until is not None:
        sales = sales.where(Order.ordered_at < until)
    return int(
        session.scalar(
            select(func.count()).where(Customer.merged_into_id.is_(None), Customer.id.in_(sales))
        )
        or 0
    )


def _top(
    session: Session, since: datetime | None, until: datetime | None, top: int
) -> list[TopReferrer]:
    converted = func.sum(case((Referral.status.in_(CONVERTED), 1), else_=0))
    rows = session.execute(
        select(Referral.inviter_id, Customer.display_name, func.count(), converted)
        .join(Customer, Customer.id == Referral.inviter_id)
        .where(Referral.status != "rejected", *_period(since, until))
        .group_by(Referral.inviter_id, Customer.display_name)
        .order_by(converted.desc(), func.count().desc(), Referral.inviter_id)
        .limit(top)
    )
    return [
        TopReferrer(int(inviter), name or "", int(invitations), int(done or 0))
        for inviter, name, invitations, done in rows
    ]


def _chains(root: int | None) -> Select[Any]:
    """(inviter, invitee, depth, status) down the tree from `root`, or from every root."""
    live = Referral.status != "rejected"
    start = select(
        Referral.inviter_id,
        Referral.invitee_id,
        literal(1).label("depth"),
        Referral.status,
        Referral.created_at,
    ).where(live)
    if root is not None:
        start = start.where(Referral.inviter_id == root)
    else:
        invitees = select(Referral.invitee_id).where(live)
        start = start.where(Referral.inviter_id.not_in(invitees))
    chain = start.cte("chain", recursive=True)
    step = (
        select(
            Referral.inviter_id,
            Referral.invitee_id,
            chain.c.depth + 1,
            Referral.status,
            Referral.created_at,
        )
        .join(chain, Referral.inviter_id == chain.c.invitee_id)
        .where(live, chain.c.depth < DEPTH_LIMIT)
    )
    chain = chain.union_all(step)
    return select(chain)


def tree_depth(session: Session) -> int:
    chains = _chains(None).subquery()
    return int(session.scalar(select(func.coalesce(func.max(chains.c.depth), 0))) or 0)


@dataclass(frozen=True, slots=True)
class ReferralNode:
    customer_id: int
    status: str | None  # of the referral that brought them (None for the root)
    joined_at: datetime | None
    invitees: list[ReferralNode] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def referral_tree(session: Session, customer_id: int, *, depth: int = 5) -> ReferralNode:
    """Who `customer_id` brought, and whom they brought, `depth` levels down."""
    rows = session.execute(_chains(customer_id).order_by("depth", "created_at", "invitee_id")).all()
    root = ReferralNode(customer_id, None, None)
    nodes = {customer_id: root}
    for inviter, invitee, level, status, created_at in rows:
        if level > depth or inviter not in nodes or invitee in nodes:
            continue
        node = ReferralNode(int(invitee), status, created_at)
        nodes[inviter].invitees.append(node)
        nodes[int(invitee)] = node
    return root
