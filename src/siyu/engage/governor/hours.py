"""Each customer's own hours, learned from when they buy, browse, click and reply.

One set-based query counts, per customer and local hour (merchant zone), their orders
(`orders.ordered_at`), behaviour events and message clicks and replies of the last year, and
ranks the hours; the top three are stored in `contact_hours` (best first, ties to the earlier
hour), with the number of observations. The governor sends at the allowed hour closest to
`best_hour`; a customer without observations gets the shop's default hour.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, literal, select, union_all
from sqlalchemy.orm import Session

from siyu.commerce.tables import Order
from siyu.customers.tables import BehaviourEvent
from siyu.db.sql import epoch_seconds
from siyu.engage.tables import ContactHours, MessageInteraction

TOP = 3
CHUNK = 20_000


def _hour(column: Any, offset: int) -> Any:
    return ((epoch_seconds(column) + literal(offset)) % literal(86_400)) // literal(3_600)


def learn_contact_hours(
    session: Session, *, zone: ZoneInfo, now: datetime, lookback_days: int = 365
) -> int:
    """Rebuild `contact_hours`; returns how many customers have learned hours."""
    since = now - timedelta(days=lookback_days)
    offset_delta = zone.utcoffset(datetime.combine(now.date(), time(12)))
    offset = int(offset_delta.total_seconds()) if offset_delta else 0
    moments = union_all(
        select(
            Order.customer_id.label("customer_id"), _hour(Order.ordered_at, offset).label("hour")
        ).where(Order.customer_id.is_not(None), Order.ordered_at >= since),
        select(BehaviourEvent.customer_id, _hour(BehaviourEvent.occurred_at, offset)).where(
            BehaviourEvent.occurred_at >= since
        ),
        select(MessageInteraction.customer_id, _hour(MessageInteraction.occurred_at, offset)).where(
            MessageInteraction.kind.in_(("click", "reply")), MessageInteraction.occurred_at >= since
        ),
    ).subquery()
    counted = (
        select(moments.c.customer_id, moments.c.hour, func.count().label("n"))
        .group_by(moments.c.customer_id, moments.c.hour)
        .subquery()
    )
    rank = func.row_number().over(
        partition_by=counted.c.customer_id, order_by=(counted.c.n.desc(), counted.c.hour)
    )
    total = func.sum(counted.c.n).over(partition_by=counted.c.customer_id)
    ranked = select(
        counted.c.customer_id, counted.c.hour, rank.label("rank"), total.label("total")
    ).subquery()
    rows = session.execute(
        select(ranked.c.customer_id, ranked.c.hour, ranked.c.total)
        .where(ranked.c.rank <= TOP)
        .order_by(ranked.c.customer_id, ranked.c.rank)
    ).all()
    top: dict[int, list[int]] = {}
    samples: dict[int, int] = {}
    for customer, hour, total in rows:
        top.setdefault(int(customer), []).append(int(hour))
        samples[int(customer)] = int(total)
    values = [
        {
            "customer_id": customer,
            "best_hour": hours[0],
            "top_hours": hours,
            "samples": samples[customer],
            "updated_at": now,
        }
        for customer, hours in top.items()
    ]
    session.execute(delete(ContactHours))
    for start in range(0, len(values), CHUNK):
        session.execute(insert(ContactHours), values[start : start + CHUNK])
    return len(values)
