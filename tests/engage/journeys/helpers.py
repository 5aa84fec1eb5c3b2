"""Builders for the journey tests: a fixed clock, one-step journeys, orders with their times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import Order, Shop
from siyu.db.engine import transaction
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.journeys.actions import create_journey, enable_journey
from siyu.engage.journeys.runner import TickReport, tick
from siyu.engage.journeys.tables import JourneyEnrolment
from siyu.engage.tables import OutboxMessage
from tests.builders import make_customer, make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)  # a Monday, 08:00 local
POLICY = ContactPolicy()


def send(text: str = "您好", channel: str = "console", **extra: Any) -> dict[str, Any]:
    return {"type": "send", "channel": channel, "content": {"text": text}, **extra}


def document(
    trigger: dict[str, Any], steps: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "name": extra.pop("name", f"journey {trigger['type']}"),
        "trigger": trigger,
        "steps": steps or [send()],
        "holdout_share": extra.pop("holdout_share", 0.0),
        **extra,
    }


def make_journey(engine: Engine, doc: dict[str, Any], *, enabled_at: datetime = NOW) -> int:
    with transaction(engine) as session:
        journey = create_journey(session, doc)
        enable_journey(session, journey.id, now=enabled_at)
        return journey.id


def run(engine: Engine, now: datetime) -> TickReport:
    with transaction(engine) as session:
        return tick(session, now=now, policy=POLICY)


def customers(engine: Engine, count: int) -> list[int]:
    with transaction(engine) as session:
        return [make_customer(session).id for _ in range(count)]


def order(
    session: Session,
    shop: Shop,
    customer: int,
    at: datetime,
    *,
    shipped: datetime | None = None,
    completed: datetime | None = None,
    status: str = "paid",
) -> Order:
    from siyu.customers.tables import Customer

    made = make_order(
        session, shop=shop, customer=session.get(Customer, customer), ordered_at=at, status=status
    )
    made.shipped_at, made.completed_at = shipped, completed
    session.flush()
    return made


def enrolled(engine: Engine, journey_id: int) -> list[tuple[int, str]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(JourneyEnrolment.customer_id, JourneyEnrolment.occurrence)
            .where(JourneyEnrolment.journey_id == journey_id)
            .order_by(JourneyEnrolment.customer_id, JourneyEnrolment.occurrence)
        ).all()
        return [(int(c), str(o)) for c, o in rows]


def outbox(engine: Engine) -> list[tuple[str, int | None, str, str]]:
    """(key, customer, state, local scheduled time) of every outbox row, by id."""
    with transaction(engine) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            (
                m.idempotency_key,
                m.customer_id,
                m.state,
                m.scheduled_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
                if m.scheduled_at
                else "",
            )
            for m in rows
        ]


def count(engine: Engine, model: Any) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
