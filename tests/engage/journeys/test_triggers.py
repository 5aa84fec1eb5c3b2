"""Each trigger type enrols exactly the customers whose occurrence lies after the watermark and
up to the tick, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from siyu.accounts.tables import StaffAccount, WecomContact
from siyu.customers.tables import BehaviourEvent
from siyu.db.engine import transaction
from siyu.engage.journeys.tables import CustomerAttribute
from siyu.segments.tables import Segment, SegmentEvent
from tests.builders import make_shop
from tests.engage.journeys.helpers import (
    NOW,
    customers,
    document,
    enrolled,
    hours,
    make_journey,
    order,
    run,
)

TICK = NOW + hours(2)


def test_order_paid_shipped_and_delivered_enrol_the_orders_in_the_window(engine: Engine) -> None:
    who = customers(engine, 4)
    with transaction(engine) as session:
        shop = make_shop(session)
        inside = order(session, shop, who[0], NOW + hours(1)).id
        order(session, shop, who[1], NOW - hours(1))
        order(session, shop, who[2], NOW + hours(3))
        order(session, shop, who[3], NOW + hours(1), status="closed")
        sent = order(session, shop, who[1], NOW - hours(30), shipped=NOW + hours(1)).id
        done = order(
            session, shop, who[2], NOW - hours(60), shipped=NOW - hours(40),
            completed=NOW + hours(1.5), status="completed",
        ).id  # fmt: skip
    paid = make_journey(engine, document({"type": "order_paid"}))
    shipped = make_journey(engine, document({"type": "order_shipped"}))
    delivered = make_journey(engine, document({"type": "order_delivered"}))
    report = run(engine, TICK)
    assert enrolled(engine, paid) == [(who[0], f"o:{inside}")]
    assert enrolled(engine, shipped) == [(who[1], f"o:{sent}")]
    assert enrolled(engine, delivered) == [(who[2], f"o:{done}")]
    assert [j.enrolled for j in report.journeys] == [1, 1, 1]


def test_contact_added_enrols_new_wecom_contacts(engine: Engine) -> None:
    who = customers(engine, 3)
    with transaction(engine) as session:
        staff = StaffAccount(userid="guide1")
        session.add(staff)
        session.flush()
        contacts = [
            WecomContact(staff_id=staff.id, external_userid=f"wm{n}", customer_id=c, added_at=at)
            for n, (c, at) in enumerate(
                [(who[0], NOW + hours(1)), (who[1], NOW - hours(1)), (None, NOW + hours(1))]
            )
        ]
        session.add_all(contacts)
        session.flush()
        first = contacts[0].id
    journey = make_journey(engine, document({"type": "contact_added"}))
    run(engine, TICK)
    assert enrolled(engine, journey) == [(who[0], f"wc:{first}")]


def test_entered_segment_enrols_entries_not_exits(engine: Engine) -> None:
    who = customers(engine, 3)
    with transaction(engine) as session:
        segment = Segment(code="trial", name="试用", rule={})
        session.add(segment)
        session.flush()
        events = [
            SegmentEvent(segment_id=segment.id, customer_id=c, kind=k, at=at, as_of=NOW.date())
            for c, k, at in [
                (who[0], "entered", NOW + hours(1)),
                (who[1], "exited", NOW + hours(1)),
                (who[2], "entered", NOW - hours(1)),
            ]
        ]
        session.add_all(events)
        session.flush()
        entry = events[0].id
    journey = make_journey(engine, document({"type": "entered_segment", "segment": "trial"}))
    run(engine, TICK)
    assert enrolled(engine, journey) == [(who[0], f"se:{entry}")]


def test_no_order_for_enrols_customers_whose_last_order_turns_the_age(engine: Engine) -> None:
    who = customers(engine, 3)
    month = timedelta(days=30)
    with transaction(engine) as session:
        shop = make_shop(session)
        last = order(session, shop, who[0], NOW + hours(1) - month).id
        order(session, shop, who[1], NOW - hours(1) - month)
        order(session, shop, who[2], NOW + hours(1) - month)
        order(session, shop, who[2], NOW - timedelta(days=5))
    journey = make_journey(engine, document({"type": "no_order_for", "days": 30}))
    run(engine, TICK)
    assert enrolled(engine, journey) == [(who[0], f"n30:{last}")]


def test_birthday_reads_the_optional_attribute_on_the_local_day(engine: Engine) -> None:
    who = customers(engine, 4)
    with transaction(engine) as session:
        session.add_all(
            CustomerAttribute(customer_id=c, name="birthday", value=v)
            for c, v in zip(who, ["1990-03-03", "03-02", "1992-03-04", "03-03"], strict=True)
        )
        session.add(CustomerAttribute(customer_id=who[2], name="anniversary", value="03-03"))
    journey = make_journey(engine, document({"type": "birthday"}))
    run(engine, NOW + timedelta(days=1))  # passes 3 March 00:00 local
    assert enrolled(engine, journey) == [(who[0], "bd:2026"), (who[3], "bd:2026")]


def test_event_trigger_enrols_one_occurrence_per_customer_per_tick(engine: Engine) -> None:
    who = customers(engine, 3)
    with transaction(engine) as session:
        rows = [
            (who[0], "cart", NOW + hours(1)),
            (who[0], "cart", NOW + hours(1.5)),
            (who[1], "favourite", NOW + hours(1)),
            (who[2], "cart", NOW - hours(1)),
        ]
        events = [
            BehaviourEvent(customer_id=c, event_type=t, occurred_at=at, event_key=f"k{n}")
            for n, (c, t, at) in enumerate(rows)
        ]
        session.add_all(events)
        session.flush()
        first = events[0].id
    journey = make_journey(engine, document({"type": "event", "event_type": "cart"}))
    run(engine, TICK)
    assert enrolled(engine, journey) == [(who[0], f"ev:{first}")]
