"""Enrolling trigger occurrences, and the exits checked before any step runs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.commerce.tables import Order
from siyu.customers.tables import Customer
from siyu.engage.holdout import hashed_holdout
from siyu.engage.journeys.definition import EnteredSegment, JourneyDefinition
from siyu.engage.journeys.tables import Journey, JourneyEnrolment
from siyu.engage.journeys.triggers import occurrence_shift, occurrences, segment_id
from siyu.engage.tables import Consent, MessageInteraction, OutboxMessage
from siyu.segments.tables import SegmentMember

Enrolment = JourneyEnrolment
PENDING = ("planned", "queued")  # placed but not yet claimed by a worker


def enrol(
    session: Session,
    journey: Journey,
    definition: JourneyDefinition,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[int, int]:
    """Enrol the occurrences after the watermark (one per customer, none for a customer already
    active in the journey); move the watermark to `now`. Returns (enrolled, held out)."""
    after = journey.watermark_at or now
    if now <= after:
        return 0, 0
    found = occurrences(session, definition.trigger, after=after, until=now, zone=zone).subquery()
    rows = session.execute(
        select(found.c.customer_id, found.c.occurrence, found.c.occurred_at)
        .where(
            exists().where(Customer.id == found.c.customer_id, Customer.merged_into_id.is_(None)),
            ~exists().where(
                Enrolment.journey_id == journey.id,
                Enrolment.customer_id == found.c.customer_id,
                or_(Enrolment.state == "active", Enrolment.occurrence == found.c.occurrence),
            ),
        )
        .order_by(found.c.occurred_at, found.c.customer_id, found.c.occurrence)
    ).all()
    journey.watermark_at = now
    if not rows:
        return 0, 0
    customers = np.array([row[0] for row in rows], dtype=np.int64)
    _, first = np.unique(customers, return_index=True)  # the earliest occurrence per customer
    chosen = [rows[index] for index in sorted(first.tolist())]
    ids = np.array([row[0] for row in chosen], dtype=np.int64)
    held = hashed_holdout(ids, share=journey.holdout_share, seed=journey.seed)
    shift = occurrence_shift(definition.trigger)
    values = [
        {
            "journey_id": journey.id,
            "customer_id": int(customer),
            "occurrence": occurrence,
            "occurred_at": occurred_at + shift,
            "enrolled_at": now,
            "holdout": bool(out),
            "current_step": 1,
            "next_at": now,
            "state": "active",
        }
        for (customer, occurrence, occurred_at), out in zip(chosen, held.tolist(), strict=True)
    ]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Enrolment).on_conflict_do_nothing(), values)
    session.flush()
    return len(values), int(held.sum())


def apply_exits(
    session: Session, journey: Journey, definition: JourneyDefinition, *, now: datetime
) -> Counter[str]:
    """Exit active enrolments that meet an exit (in the definition's order); their pending
    messages from this journey are suppressed in the same transaction."""
    exited: Counter[str] = Counter()
    for reason in definition.exits:
        clause = _exit_clause(session, reason, definition)
        result = session.execute(
            update(Enrolment)
            .where(Enrolment.journey_id == journey.id, Enrolment.state == "active", clause)
            .values(state="exited", exit_reason=reason, ended_at=now, next_at=None),
            execution_options={"synchronize_session": False, "preserve_rowcount": True},
        )
        count = int(getattr(result, "rowcount", 0))
        if count:
            exited[reason] = count
            _suppress_pending(session, journey, reason, now)
    return exited


def _exit_clause(
    session: Session, reason: str, definition: JourneyDefinition
) -> ColumnElement[bool]:
    customer = Enrolment.customer_id
    if reason == "ordered":
        return exists().where(
            Order.customer_id == customer,
            Order.ordered_at > Enrolment.occurred_at,
            Order.status.not_in(("pending_payment", "closed")),
        )
    if reason == "opted_out":
        return or_(
            exists().where(
                Consent.customer_id == customer,
                Consent.granted.is_(False),
                Consent.purpose != "service",
                Consent.at > Enrolment.occurred_at,
            ),
            exists().where(
                MessageInteraction.customer_id == customer,
                MessageInteraction.kind.in_(("unsubscribe", "opt_out")),
                MessageInteraction.occurred_at > Enrolment.occurred_at,
            ),
        )
    trigger = definition.trigger
    assert isinstance(trigger, EnteredSegment)  # the definition checks it
    member: ColumnElement[bool] = exists().where(
        SegmentMember.segment_id == segment_id(session, trigger.segment),
        SegmentMember.customer_id == customer,
    )
    return ~member


def _suppress_pending(session: Session, journey: Journey, reason: str, now: datetime) -> None:
    leavers = select(Enrolment.customer_id).where(
        Enrolment.journey_id == journey.id,
        Enrolment.exit_reason == reason,
        Enrolment.ended_at == now,
    )
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.source.like(f"journey:{journey.id}:step:%"),
            OutboxMessage.state.in_(PENDING),
            OutboxMessage.customer_id.in_(leavers),
        )
        .values(state="suppressed", reason=f"left journey {journey.id}: {reason}", updated_at=now),
        execution_options={"synchronize_session": False},
    )
