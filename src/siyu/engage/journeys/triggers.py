"""Trigger occurrences in a time window (after the watermark, up to now), one query per type.

Each query selects (customer_id, occurrence, occurred_at): `occurrence` names what happened
(an order, a segment event, a contact, a dormancy, a year's birthday), so a customer is enrolled
at most once per occurrence.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, String, and_, cast, false, func, literal, or_, select
from sqlalchemy.orm import Session

from siyu.accounts.tables import WecomContact
from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.customers.tables import BehaviourEvent
from siyu.db.types import UTCDateTime
from siyu.engage.journeys.definition import (
    Birthday,
    ContactAdded,
    EnteredSegment,
    EventHappened,
    NoOrderFor,
    OrderDelivered,
    OrderPaid,
    OrderShipped,
)
from siyu.engage.journeys.errors import InvalidJourneyError
from siyu.engage.journeys.tables import CustomerAttribute
from siyu.segments.tables import Segment, SegmentEvent

TriggerModel = (
    EnteredSegment
    | OrderPaid
    | OrderShipped
    | OrderDelivered
    | ContactAdded
    | NoOrderFor
    | Birthday
    | EventHappened
)
MAX_BIRTHDAY_DAYS = 366


def segment_id(session: Session, code_or_name: str) -> int:
    found = session.scalar(
        select(Segment.id)
        .where(or_(Segment.code == code_or_name, Segment.name == code_or_name))
        .order_by(Segment.code.is_(None), Segment.id)
    )
    if found is None:
        raise InvalidJourneyError(f"no segment {code_or_name!r} (give its code or name)")
    return int(found)


def occurrence_shift(trigger: TriggerModel) -> timedelta:
    """What to add to a selected `occurred_at`: a dormancy happens `days` after the last order
    (the query selects the last order's time, as date arithmetic is spelt per dialect)."""
    return timedelta(days=trigger.days) if isinstance(trigger, NoOrderFor) else timedelta(0)


def occurrences(
    session: Session, trigger: TriggerModel, *, after: datetime, until: datetime, zone: ZoneInfo
) -> Select[Any]:
    """The occurrences in (after, until] as a select of customer_id, occurrence, occurred_at
    (plus `occurrence_shift`)."""
    if isinstance(trigger, EnteredSegment):
        return _segment_entries(session, trigger, after, until)
    if isinstance(trigger, OrderPaid | OrderShipped | OrderDelivered):
        return _orders(trigger, after, until)
    if isinstance(trigger, ContactAdded):
        return _keyed(
            WecomContact.customer_id, "wc:", WecomContact.id, WecomContact.added_at, after, until
        ).where(WecomContact.customer_id.is_not(None))
    if isinstance(trigger, NoOrderFor):
        return _dormant(trigger, after, until)
    if isinstance(trigger, Birthday):
        return _birthdays(trigger, after, until, zone)
    return _keyed(
        BehaviourEvent.customer_id,
        "ev:",
        BehaviourEvent.id,
        BehaviourEvent.occurred_at,
        after,
        until,
    ).where(BehaviourEvent.event_type == trigger.event_type)


def _keyed(
    customer: Any, prefix: str, key: Any, at: Any, after: datetime, until: datetime
) -> Select[Any]:
    return select(
        customer.label("customer_id"),
        (literal(prefix) + cast(key, String)).label("occurrence"),
        at.label("occurred_at"),
    ).where(at > after, at <= until)


def _segment_entries(
    session: Session, trigger: EnteredSegment, after: datetime, until: datetime
) -> Select[Any]:
    chosen = segment_id(session, trigger.segment)
    return _keyed(
        SegmentEvent.customer_id, "se:", SegmentEvent.id, SegmentEvent.at, after, until
    ).where(SegmentEvent.segment_id == chosen, SegmentEvent.kind == "entered")


def _orders(
    trigger: OrderPaid | OrderShipped | OrderDelivered, after: datetime, until: datetime
) -> Select[Any]:
    column = {
        "order_paid": Order.paid_at,
        "order_shipped": Order.shipped_at,
        "order_delivered": Order.completed_at,
    }[trigger.type]
    return _keyed(Order.customer_id, "o:", Order.id, column, after, until).where(
        Order.customer_id.is_not(None), Order.status.in_(REVENUE_STATUSES)
    )


def _dormant(trigger: NoOrderFor, after: datetime, until: datetime) -> Select[Any]:
    """Customers whose last paid order reached `days` of age inside the window."""
    days = timedelta(days=trigger.days)
    last = func.max(Order.ordered_at)
    rows = (
        select(
            Order.customer_id.label("customer_id"),
            (literal(f"n{trigger.days}:") + cast(func.max(Order.id), String)).label("occurrence"),
            last.label("last_at"),
        )
        .where(Order.customer_id.is_not(None), Order.status.in_(REVENUE_STATUSES))
        .group_by(Order.customer_id)
        .having(and_(last > after - days, last <= until - days))
        .subquery("dormant")
    )
    return select(rows.c.customer_id, rows.c.occurrence, rows.c.last_at.label("occurred_at"))


def _birthdays(trigger: Birthday, after: datetime, until: datetime, zone: ZoneInfo) -> Select[Any]:
    """One select per local day started in the window: `MM-DD` matches the value's end (29 Feb
    birthdays are celebrated on 28 Feb in other years)."""
    value = CustomerAttribute.value
    month_day = func.substr(value, func.length(value) - 4, 5)
    days = [
        select(
            CustomerAttribute.customer_id.label("customer_id"),
            literal(f"bd:{day.year}").label("occurrence"),
            literal(datetime.combine(day, time(0), zone), UTCDateTime()).label("occurred_at"),
        ).where(CustomerAttribute.name == trigger.attribute, month_day.in_(_month_days(day)))
        for day in _local_days(after, until, zone)
    ]
    if not days:
        return _keyed(
            CustomerAttribute.customer_id,
            "bd:",
            CustomerAttribute.name,
            literal(until),
            after,
            until,
        ).where(false())
    union = days[0].union_all(*days[1:]).subquery("birthdays")
    chosen: Select[Any] = select(union.c.customer_id, union.c.occurrence, union.c.occurred_at)
    return chosen


def _month_days(day: date) -> list[str]:
    wanted = [day.strftime("%m-%d")]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        wanted.append("02-29")
    return wanted


def _local_days(after: datetime, until: datetime, zone: ZoneInfo) -> list[date]:
    """The local days whose start (00:00) lies in (after, until], at most a year of them."""
    first = after.astimezone(zone).date() + timedelta(days=1)
    last = until.astimezone(zone).date()
    count = min((last - first).days + 1, MAX_BIRTHDAY_DAYS)
    return [first + timedelta(days=offset) for offset in range(max(count, 0))]
