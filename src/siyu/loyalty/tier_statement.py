"""One member's tier statement: where they stand, what the next level needs, and when a
downgrade could happen — for `siyu tier show` and the customer 360."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.loyalty.calendar import add_months, require_aware
from siyu.loyalty.rules import get_rules
from siyu.loyalty.tables import TierChange
from siyu.loyalty.tier_recompute import rolling_figures
from siyu.loyalty.tiers import MemberTierView, TierLevelSpec, list_levels, tier_of


@dataclass(frozen=True, slots=True)
class TierChangeView:
    effective_at: datetime
    kind: str
    from_tier: str | None
    to_tier: str
    spend_fen: int
    orders: int


@dataclass(frozen=True, slots=True)
class TierStatement:
    customer_id: int
    as_of: datetime
    current: MemberTierView | None
    spend_fen: int  # rolling window
    orders: int
    qualifies_for: str
    next_tier: str | None
    spend_to_next_fen: int | None
    orders_to_next: int | None
    downgrade_from: datetime | None  # set when the figures no longer hold the current tier
    history: list[TierChangeView] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["current"] = self.current.as_dict() if self.current else None
        return data


def tier_statement(session: Session, customer_id: int, *, as_of: datetime) -> TierStatement:
    require_aware(as_of, "as_of")
    rules = get_rules(session)
    levels = list_levels(session)
    start = add_months(as_of, -rules.tier_window_months)
    figures = rolling_figures(start, as_of).subquery()
    row = session.execute(
        select(figures.c.spend_fen, figures.c.orders).where(figures.c.customer_id == customer_id)
    ).one_or_none()
    spend, orders = (int(row[0]), int(row[1])) if row else (0, 0)
    qualified = _qualified(levels, spend, orders)
    current = tier_of(session, customer_id)
    above = [level for level in levels if level.rank > qualified.rank]
    following = min(above, key=lambda level: level.rank) if above else None
    downgrade = None
    if current is not None and qualified.rank < current.level.rank:
        downgrade = current.period_ends_at + timedelta(days=rules.tier_grace_days)
    return TierStatement(
        customer_id=customer_id,
        as_of=as_of,
        current=current,
        spend_fen=spend,
        orders=orders,
        qualifies_for=qualified.code,
        next_tier=following.code if following else None,
        spend_to_next_fen=_gap(following.min_spend_fen, spend) if following else None,
        orders_to_next=_gap(following.min_orders, orders) if following else None,
        downgrade_from=downgrade,
        history=_history(session, customer_id),
    )


def _qualified(levels: list[TierLevelSpec], spend: int, orders: int) -> TierLevelSpec:
    reached = [
        level
        for level in levels
        if (level.min_spend_fen is not None and spend >= level.min_spend_fen)
        or (level.min_orders is not None and orders >= level.min_orders)
    ]
    return max(reached or levels[:1], key=lambda level: level.rank)


def _gap(threshold: int | None, value: int) -> int | None:
    return None if threshold is None else max(threshold - value, 0)


def _history(session: Session, customer_id: int) -> list[TierChangeView]:
    changes = session.scalars(
        select(TierChange)
        .where(TierChange.customer_id == customer_id)
        .order_by(TierChange.effective_at, TierChange.id)
    )
    return [
        TierChangeView(c.effective_at, c.kind, c.from_tier, c.to_tier, c.spend_fen, c.orders)
        for c in changes
    ]
