"""A dry run: what a journey would send, day by day, over the next days — writing nothing.

The forecast runs the real runner (one tick a day from `now`, the journey as if enabled)
inside a savepoint that is always rolled back: who triggers, when each step fires, and what
the governor does with each message (the caps, WeCom's quotas and the staff limits of the
contact policy, against everything already planned or sent) are exactly what `tick` would do
on the current data. Nothing is committed; ids taken by the rolled-back rows are skipped.
What the forecast cannot know: occurrences that have not happened yet (new orders, segment
entries), except those that follow from time alone (no_order_for, birthdays, waits).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers.tables import Customer
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.journeys.actions import get_journey
from siyu.engage.journeys.definition import parse_definition
from siyu.engage.journeys.errors import InvalidJourneyError
from siyu.engage.journeys.runner import JourneyTick, run_journey
from siyu.engage.journeys.tables import Journey
from siyu.engage.tables import CHANNELS, OutboxMessage
from siyu.security.access import Actor, customer_scope

MAX_DAYS = 90
SHOWN_CUSTOMERS = 50


@dataclass
class SimulatedDay:
    day: date
    enrolled: int = 0
    held_out: int = 0
    requested: int = 0  # messages the day's tick asked for
    sends: dict[str, int] = field(default_factory=dict)  # channel -> messages placed on the day
    deferred: int = 0  # asked for on this day, placed on a later one
    suppressed: int = 0  # asked for on this day, suppressed
    tasks: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "enrolled": self.enrolled,
            "held_out": self.held_out,
            "requested": self.requested,
            "sends": self.sends,
            "deferred": self.deferred,
            "suppressed": self.suppressed,
            "tasks": self.tasks,
        }


@dataclass
class Simulation:
    journey_id: int
    start: datetime
    days: list[SimulatedDay]
    policy: dict[str, Any]
    later: dict[str, int] = field(default_factory=dict)  # placed after the simulated days
    suppressed_reasons: dict[str, int] = field(default_factory=dict)
    deferred_customers: list[int] = field(default_factory=list)
    suppressed_customers: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "journey_id": self.journey_id,
            "start": self.start.isoformat(),
            "days": [day.as_dict() for day in self.days],
            "policy": self.policy,
            "later": self.later,
            "suppressed_reasons": self.suppressed_reasons,
            "deferred_customers": self.deferred_customers,
            "suppressed_customers": self.suppressed_customers,
        }


def simulate(
    session: Session, journey_id: int, *, days: int, now: datetime, policy: ContactPolicy
) -> Simulation:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidJourneyError(f"days: simulate 1 to {MAX_DAYS} days, not {days}")
    journey = get_journey(session, journey_id)
    session.flush()
    last_id = session.scalar(select(func.max(OutboxMessage.id))) or 0
    savepoint = session.begin_nested()
    try:
        ticks = _run(session, journey, days=days, now=now, policy=policy)
        rows = session.execute(
            select(
                OutboxMessage.customer_id,
                OutboxMessage.channel,
                OutboxMessage.state,
                OutboxMessage.reason,
                OutboxMessage.created_at,
                OutboxMessage.scheduled_at,
            )
            .where(
                OutboxMessage.id > last_id,
                OutboxMessage.source.like(f"journey:{journey_id}:step:%"),
            )
            .order_by(OutboxMessage.id)
        ).all()
    finally:
        savepoint.rollback()
    return _report(journey_id, now, ticks, rows, policy)


def _run(
    session: Session, journey: Journey, *, days: int, now: datetime, policy: ContactPolicy
) -> list[JourneyTick]:
    if journey.status != "enabled":
        backfill = parse_definition(journey.definition).backfill_days
        first = journey.enabled_at is None
        journey.watermark_at = now - timedelta(days=backfill) if first else now
    return [
        run_journey(session, journey, now=now + timedelta(days=offset), policy=policy)
        for offset in range(days)
    ]


def _report(
    journey_id: int,
    now: datetime,
    ticks: list[JourneyTick],
    rows: Sequence[Any],
    policy: ContactPolicy,
) -> Simulation:
    zone = policy.zone
    first = now.astimezone(zone).date()
    days = [SimulatedDay(first + timedelta(days=offset)) for offset in range(len(ticks))]
    for day, result in zip(days, ticks, strict=True):
        day.enrolled, day.held_out, day.tasks = result.enrolled, result.held_out, result.tasks
    index = {day.day: day for day in days}
    later: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    deferred: set[int] = set()
    suppressed: set[int] = set()
    for customer, channel, state, reason, created_at, scheduled_at in rows:
        asked = index[created_at.astimezone(zone).date()]
        asked.requested += 1
        if state == "suppressed":
            asked.suppressed += 1
            reasons[reason or ""] += 1
            if customer is not None:
                suppressed.add(customer)
            continue
        placed_on = scheduled_at.astimezone(zone).date()
        if placed_on > asked.day:
            asked.deferred += 1
            if customer is not None:
                deferred.add(customer)
        target = index.get(placed_on)
        if target is None:
            later[channel] += 1
        else:
            target.sends[channel] = target.sends.get(channel, 0) + 1
    return Simulation(
        journey_id=journey_id,
        start=now,
        days=days,
        policy=_policy(policy),
        later=dict(later),
        suppressed_reasons=dict(reasons),
        deferred_customers=sorted(deferred)[:SHOWN_CUSTOMERS],
        suppressed_customers=sorted(suppressed)[:SHOWN_CUSTOMERS],
    )


def visible_customers(session: Session, actor: Actor, result: Simulation) -> Simulation:
    """The forecast naming only the customers `actor` may see (a guide: their own)."""
    wanted = set(result.deferred_customers) | set(result.suppressed_customers)
    if not actor.is_guide or not wanted:
        return result
    allowed = set(
        session.scalars(
            select(Customer.id).where(Customer.id.in_(sorted(wanted)), customer_scope(actor))
        )
    )
    return replace(
        result,
        deferred_customers=[c for c in result.deferred_customers if c in allowed],
        suppressed_customers=[c for c in result.suppressed_customers if c in allowed],
    )


def _policy(policy: ContactPolicy) -> dict[str, Any]:
    return {
        "per_day": policy.all_channels.per_day,
        "per_week": policy.all_channels.per_week,
        "channel_caps": {
            name: {"per_day": cap.per_day, "per_week": cap.per_week}
            for name, cap in policy.channel_caps.items()
            if name in CHANNELS
        },
        "wecom_quota": policy.wecom_quota.value,
        "staff_daily_limit": policy.staff_daily_limit,
        "quiet_hours": f"{policy.quiet_start:02d}-{policy.quiet_end:02d}",
    }
