"""The built-in templates: every one is created (its segments exist) and simulated; the
after-sales SOP runs its course on a small merchant."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, select

from siyu.accounts.tables import StaffAccount, WecomContact
from siyu.analytics.tables import CustomerProfile
from siyu.db.engine import transaction
from siyu.engage.journeys.actions import create_from_template, create_journey, enable_journey
from siyu.engage.journeys.simulate import simulate
from siyu.engage.journeys.tables import StaffTask
from siyu.engage.journeys.templates import TEMPLATES
from siyu.engage.tables import OutboxMessage
from tests.builders import make_shop
from tests.engage.journeys.helpers import NOW, POLICY, SHANGHAI, customers, hours, order, run

TICK = NOW + hours(2)


def test_every_template_is_created_and_simulated(engine: Engine) -> None:
    with transaction(engine) as session:
        for name in TEMPLATES:
            journey = create_from_template(session, name)
            assert (journey.template, journey.status) == (name, "draft")
            result = simulate(session, journey.id, days=3, now=TICK, policy=POLICY)
            assert len(result.days) == 3


def test_the_after_sales_sop_runs_its_course(engine: Engine) -> None:
    [who] = customers(engine, 1)
    with transaction(engine) as session:
        guide = StaffAccount(userid="guide1")
        session.add(guide)
        session.flush()
        session.add(WecomContact(staff_id=guide.id, external_userid="wm1", customer_id=who))
        session.add(CustomerProfile(customer_id=who, next_purchase_on=date(2026, 4, 1)))
        order(
            session, make_shop(session), who, NOW - timedelta(days=3),
            completed=NOW + hours(1), status="completed",
        )  # fmt: skip
        document = {**TEMPLATES["after_sales_sop"].document, "holdout_share": 0.0}
        journey = create_journey(session, document, template="after_sales_sop").id
        enable_journey(session, journey, now=NOW)
    for moment in (TICK, TICK + timedelta(days=7), TICK + timedelta(days=28)):
        run(engine, moment)
    with transaction(engine) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        sent = [
            (m.source, m.purpose, m.state, m.sender, m.scheduled_at.astimezone(SHANGHAI).date())
            for m in rows
            if m.scheduled_at
        ]
        task = session.scalars(select(StaffTask)).one()
    source = f"journey:{journey}:step:"
    assert sent == [
        (source + "1", "service", "queued", "guide1", date(2026, 3, 2)),
        (source + "3", "service", "queued", "guide1", date(2026, 3, 9)),
        (source + "6", "marketing", "queued", "guide1", date(2026, 3, 30)),
    ]
    assert (task.title, task.step, task.customer_id) == ("回访使用体验", 4, who)
