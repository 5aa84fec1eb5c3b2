"""A campaign's results: orders (paid, net of refunds) its recipients placed within the
attribution window after launch, per variant and for the holdout, and each variant's lift over
the holdout with 95% intervals. Aggregation in SQL, the statistics in `stats`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.engage.campaigns.actions import get_campaign
from siyu.engage.campaigns.launch import variants_of
from siyu.engage.campaigns.stats import Interval, mean_difference, proportion_difference
from siyu.engage.campaigns.tables import CampaignRecipient
from siyu.engage.tables import OutboxMessage

HOLDOUT = "holdout"
ALL = "all"  # every variant together


@dataclass(frozen=True, slots=True)
class ArmResult:
    arm: str  # a variant key, "all" or "holdout"
    customers: int
    converters: int
    conversion_rate: float | None
    revenue_fen: int
    revenue_per_customer_fen: float | None
    messages: dict[str, int]  # outbox state → messages


@dataclass(frozen=True, slots=True)
class Lift:
    arm: str
    conversion: Interval  # difference of conversion rates (treated − holdout)
    relative_conversion: float | None  # treated / holdout − 1
    revenue_per_customer_fen: Interval | None  # Welch; None with < 2 customers in a group
    incremental_revenue_fen: Interval | None  # the difference × the arm's customers


@dataclass(frozen=True, slots=True)
class CampaignResults:
    campaign_id: int
    window_start: datetime | None
    window_end: datetime | None
    final: bool  # the attribution window has ended
    arms: list[ArmResult]
    lifts: list[Lift]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_public(self) -> dict[str, Any]:
        """As the CLI and the API show it: money in yuan (2 decimals), rates to 4 decimals."""
        return {
            "campaign_id": self.campaign_id,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "final": self.final,
            "arms": [_public_arm(arm) for arm in self.arms],
            "lifts": [_public_lift(lift) for lift in self.lifts],
        }


def _yuan(fen: float | None) -> float | None:
    return None if fen is None else round(fen / 100, 2)


def _public_arm(arm: ArmResult) -> dict[str, Any]:
    rate = arm.conversion_rate
    return {
        "arm": arm.arm, "customers": arm.customers, "converters": arm.converters,
        "conversion_rate": None if rate is None else round(rate, 4),
        "revenue": _yuan(arm.revenue_fen),
        "revenue_per_customer": _yuan(arm.revenue_per_customer_fen), "messages": arm.messages,
    }  # fmt: skip


def _interval(interval: Interval | None, scale: float, digits: int) -> dict[str, float] | None:
    if interval is None:
        return None
    return {
        name: round(getattr(interval, name) * scale, digits) for name in ("estimate", "low", "high")
    }


def _public_lift(lift: Lift) -> dict[str, Any]:
    relative = lift.relative_conversion
    return {
        "arm": lift.arm,
        "conversion": _interval(lift.conversion, 1.0, 4),
        "relative_conversion": None if relative is None else round(relative, 4),
        "revenue_per_customer": _interval(lift.revenue_per_customer_fen, 0.01, 2),
        "incremental_revenue": _interval(lift.incremental_revenue_fen, 0.01, 2),
    }


def campaign_results(session: Session, campaign_id: int, *, now: datetime) -> CampaignResults:
    campaign = get_campaign(session, campaign_id)
    start = campaign.launched_at
    if start is None:
        return CampaignResults(campaign_id, None, None, False, [], [])
    end = start + timedelta(days=campaign.attribution_days)
    names = {v.id: v.key for v in variants_of(session, campaign_id)}
    sizes = _sizes(session, campaign_id, names)
    revenue = _revenue(session, campaign_id, names, start, end)
    messages = _messages(session, campaign_id, names)
    arms = {
        arm: _arm(arm, sizes.get(arm, 0), revenue.get(arm, []), messages) for arm in names.values()
    }
    treated = [key for key in names.values() if sizes.get(key)]
    if len(treated) > 1:
        everyone = [value for key in treated for value in revenue.get(key, [])]
        arms[ALL] = _arm(ALL, sum(sizes[k] for k in treated), everyone, messages, treated)
    arms[HOLDOUT] = _arm(HOLDOUT, sizes.get(HOLDOUT, 0), revenue.get(HOLDOUT, []), messages)
    base = arms[HOLDOUT]
    lifts = [
        lift
        for arm in arms.values()
        if arm.arm != HOLDOUT and (lift := _lift(arm, base, revenue)) is not None
    ]
    return CampaignResults(campaign_id, start, end, now >= end, list(arms.values()), lifts)


def _label(names: dict[int, str], variant_id: int | None) -> str:
    return HOLDOUT if variant_id is None else names[variant_id]


def _sizes(session: Session, campaign_id: int, names: dict[int, str]) -> dict[str, int]:
    rows = session.execute(
        select(CampaignRecipient.variant_id, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.variant_id)
    )
    return {_label(names, variant): int(count) for variant, count in rows}


def _revenue(
    session: Session, campaign_id: int, names: dict[int, str], start: datetime, end: datetime
) -> dict[str, list[int]]:
    """Each arm's buyers' net revenue in the window (one value per buying customer)."""
    rows = session.execute(
        select(CampaignRecipient.variant_id, func.sum(Order.paid_fen - Order.refunded_fen))
        .join(Order, Order.customer_id == CampaignRecipient.customer_id)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            Order.status.in_(REVENUE_STATUSES),
            Order.ordered_at >= start,
            Order.ordered_at < end,
        )
        .group_by(CampaignRecipient.variant_id, CampaignRecipient.customer_id)
    )
    found: dict[str, list[int]] = {}
    for variant, net in rows:
        found.setdefault(_label(names, variant), []).append(int(net or 0))
    return found


def _messages(
    session: Session, campaign_id: int, names: dict[int, str]
) -> dict[str, dict[str, int]]:
    rows = session.execute(
        select(CampaignRecipient.variant_id, OutboxMessage.state, func.count())
        .join(OutboxMessage, OutboxMessage.id == CampaignRecipient.message_id)
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.variant_id, OutboxMessage.state)
    )
    found: dict[str, dict[str, int]] = {}
    for variant, state, count in rows:
        found.setdefault(_label(names, variant), {})[str(state)] = int(count)
    return found


def _values(customers: int, buyers: list[int]) -> NDArray[np.float64]:
    values = np.zeros(customers, dtype=np.float64)
    values[: len(buyers)] = buyers
    return values


def _arm(
    arm: str,
    customers: int,
    buyers: list[int],
    messages: dict[str, dict[str, int]],
    parts: list[str] | None = None,
) -> ArmResult:
    converters = sum(1 for net in buyers if net > 0)
    total = sum(buyers)
    states: dict[str, int] = {}
    for part in parts or [arm]:
        for state, count in messages.get(part, {}).items():
            states[state] = states.get(state, 0) + count
    return ArmResult(
        arm, customers, converters,
        converters / customers if customers else None, total,
        total / customers if customers else None, dict(sorted(states.items())),
    )  # fmt: skip


def _lift(arm: ArmResult, base: ArmResult, revenue: dict[str, list[int]]) -> Lift | None:
    if not arm.customers or not base.customers:
        return None
    conversion = proportion_difference(
        arm.converters, arm.customers, base.converters, base.customers
    )
    relative = None
    if base.converters and arm.conversion_rate is not None and base.conversion_rate:
        relative = arm.conversion_rate / base.conversion_rate - 1
    buyers = (
        [v for key, values in revenue.items() if key != HOLDOUT for v in values]
        if arm.arm == ALL
        else revenue.get(arm.arm, [])
    )
    per_customer = mean_difference(
        _values(arm.customers, buyers), _values(base.customers, revenue.get(HOLDOUT, []))
    )
    incremental = None
    if per_customer is not None:
        n = arm.customers
        incremental = Interval(
            per_customer.estimate * n, per_customer.low * n, per_customer.high * n
        )
    return Lift(arm.arm, conversion, relative, per_customer, incremental)
