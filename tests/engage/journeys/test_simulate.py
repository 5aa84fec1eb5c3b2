"""The dry run writes nothing, and its day-by-day forecast is what the ticks then plan."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from siyu.db.engine import transaction
from siyu.db.schema import metadata
from siyu.engage.journeys.actions import create_journey
from siyu.engage.journeys.simulate import simulate
from siyu.engage.journeys.tables import Journey
from siyu.engage.tables import OutboxMessage
from tests.builders import make_shop
from tests.engage.journeys.helpers import (
    NOW,
    POLICY,
    SHANGHAI,
    customers,
    document,
    hours,
    make_journey,
    order,
    run,
    send,
)

TICK = NOW + hours(2)
DAY = timedelta(days=1)
STEPS = [
    send("一"),
    send("二"),  # same day as the first: the daily cap defers it
    {"type": "wait", "days": 1},
    send("三", window_days=1),
    {"type": "wait", "days": 1},
    send("四", window_days=1),  # the fourth in 7 days: the weekly cap suppresses it
]


def row_counts(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata().sorted_tables
        }


def actual_days(engine: Engine, days: int) -> list[dict[str, Any]]:
    """What the outbox holds after the real ticks, in the forecast's shape."""
    with transaction(engine) as session:
        rows = session.execute(
            select(OutboxMessage.state, OutboxMessage.created_at, OutboxMessage.scheduled_at)
        ).all()
    first = TICK.astimezone(SHANGHAI).date()
    sends: Counter[int] = Counter()
    suppressed: Counter[int] = Counter()
    deferred: Counter[int] = Counter()
    for state, created, scheduled in rows:
        asked = (created.astimezone(SHANGHAI).date() - first).days
        if state == "suppressed":
            suppressed[asked] += 1
            continue
        assert scheduled is not None
        placed = (scheduled.astimezone(SHANGHAI).date() - first).days
        sends[placed] += 1
        deferred[asked] += placed > asked
    return [
        {"sends": {"console": sends[d]} if sends[d] else {}, "deferred": deferred[d],
         "suppressed": suppressed[d]}
        for d in range(days)
    ]  # fmt: skip


def test_simulate_writes_nothing_and_matches_the_ticks(engine: Engine) -> None:
    who = customers(engine, 3)
    with transaction(engine) as session:
        shop = make_shop(session)
        for customer in who:
            order(session, shop, customer, NOW + hours(1))
    journey = make_journey(engine, document({"type": "order_paid"}, STEPS))
    before = row_counts(engine)
    with transaction(engine) as session:
        forecast = simulate(session, journey, days=4, now=TICK, policy=POLICY)
    assert row_counts(engine) == before
    shape = [
        {"sends": d.sends, "deferred": d.deferred, "suppressed": d.suppressed}
        for d in forecast.days
    ]
    assert shape == [
        {"sends": {"console": 3}, "deferred": 3, "suppressed": 0},
        {"sends": {"console": 3}, "deferred": 3, "suppressed": 0},
        {"sends": {"console": 3}, "deferred": 0, "suppressed": 3},
        {"sends": {}, "deferred": 0, "suppressed": 0},
    ]
    assert [d.enrolled for d in forecast.days] == [3, 0, 0, 0]
    assert forecast.suppressed_customers == sorted(who)
    assert forecast.suppressed_reasons == {
        "frequency cap (all channels) reached in the validity window": 3
    }
    for offset in range(4):
        run(engine, TICK + offset * DAY)
    assert actual_days(engine, 4) == shape


def test_simulate_a_draft_journey_forecasts_time_triggers(engine: Engine) -> None:
    who = customers(engine, 2)
    with transaction(engine) as session:
        shop = make_shop(session)
        order(session, shop, who[0], TICK - timedelta(days=30) + 2 * DAY + hours(1))
        order(session, shop, who[1], TICK - timedelta(days=30) + 5 * DAY)
    with transaction(engine) as session:
        journey = create_journey(
            session, document({"type": "no_order_for", "days": 30}, [send("好久不见")])
        ).id
    before = row_counts(engine)
    with transaction(engine) as session:
        forecast = simulate(session, journey, days=4, now=TICK, policy=POLICY)
    assert row_counts(engine) == before
    with transaction(engine) as session:
        row = session.get(Journey, journey)
        assert row is not None
        assert (row.status, row.watermark_at) == ("draft", None)
    assert [d.enrolled for d in forecast.days] == [0, 0, 0, 1]
    assert [d.sends for d in forecast.days] == [{}, {}, {}, {"console": 1}]
    with transaction(engine) as session:
        status = session.execute(select(func.count()).select_from(OutboxMessage)).scalar()
    assert status == 0
