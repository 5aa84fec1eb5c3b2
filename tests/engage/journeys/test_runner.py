"""The runner: waits, conditions, actions, exits, holdout, re-runs and crashes, on both
databases, with exact outbox keys and enrolment states."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from siyu.accounts.tables import StaffAccount, WecomContact
from siyu.analytics.tables import CustomerProfile
from siyu.db.engine import transaction
from siyu.engage.governor.consent import set_consent
from siyu.engage.holdout import hashed_holdout
from siyu.engage.journeys import steps
from siyu.engage.journeys.tables import Journey, JourneyEnrolment, JourneyStepLog, StaffTask
from siyu.engage.settings import EngageSettings
from siyu.engage.tables import OutboxMessage
from siyu.loyalty.coupons import CouponTemplateSpec, create_template
from siyu.loyalty.tables import Coupon
from siyu.segments.tables import CustomerTag, Segment, SegmentEvent, SegmentMember, Tag
from siyu.workers.jobs import JobRunner
from siyu.workers.registry import JOBS
from tests.builders import make_shop
from tests.engage.journeys.helpers import (
    NOW,
    POLICY,
    SHANGHAI,
    count,
    customers,
    document,
    hours,
    make_journey,
    order,
    outbox,
    run,
    send,
)

TICK = NOW + hours(2)
Enrolment = JourneyEnrolment
DAY = timedelta(days=1)


def paid_orders(engine: Engine, who: list[int], at: Any = None) -> None:
    with transaction(engine) as session:
        shop = make_shop(session)
        for customer in who:
            order(session, shop, customer, at or NOW + hours(1))


def states(engine: Engine, journey: int) -> list[tuple[int, str, int, str | None, str]]:
    with transaction(engine) as session:
        rows = session.scalars(
            select(JourneyEnrolment)
            .where(JourneyEnrolment.journey_id == journey)
            .order_by(JourneyEnrolment.customer_id)
        ).all()
        return [
            (
                e.customer_id,
                e.state,
                e.current_step,
                e.exit_reason,
                e.next_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if e.next_at else "",
            )
            for e in rows
        ]


def key(journey: int, step: int, customer: int, day: str = "2026-03-02") -> str:
    return f"journey:{journey}:step:{step}|c{customer}|console|{day}"


def test_waits_then_acts_send_task_and_tag(engine: Engine) -> None:
    [who] = customers(engine, 1)
    with transaction(engine) as session:
        guide = StaffAccount(userid="guide1")
        session.add(guide)
        session.flush()
        session.add(WecomContact(staff_id=guide.id, external_userid="wm1", customer_id=who))
        guide_id = guide.id
    paid_orders(engine, [who])
    journey = make_journey(
        engine,
        document(
            {"type": "order_paid"},
            [
                send("签收关怀"),
                {"type": "wait", "days": 2},
                send("使用小贴士"),
                {"type": "task", "title": "回访", "due_days": 1},
                {"type": "tag", "tag": "已回访", "group": "售后"},
            ],
        ),
    )
    first = run(engine, TICK).journeys[0]
    assert (first.enrolled, first.queued, first.steps) == (1, 1, {1: 1, 2: 1})
    assert states(engine, journey) == [(who, "active", 3, None, "03-04 10:00")]
    assert run(engine, TICK + DAY).journeys[0].steps == {}
    last = run(engine, TICK + 2 * DAY).journeys[0]
    assert (last.queued, last.tasks, last.tagged, last.steps) == (1, 1, 1, {3: 1, 4: 1, 5: 1})
    assert [row[:3] for row in outbox(engine)] == [
        (key(journey, 1, who), who, "queued"),
        (key(journey, 3, who), who, "queued"),
    ]
    assert states(engine, journey) == [(who, "completed", 5, None, "")]
    with transaction(engine) as session:
        task = session.scalars(select(StaffTask)).one()
        assert (task.customer_id, task.staff_id, task.title, task.step) == (
            who,
            guide_id,
            "回访",
            4,
        )
        assert task.due_at == TICK + 3 * DAY
        tag = session.scalars(select(Tag).where(Tag.name == "已回访")).one()
        assert tag.provenance == "journey"
        assert session.scalars(select(CustomerTag.customer_id)).all() == [who]


def test_wait_until_the_expected_next_purchase(engine: Engine) -> None:
    dated, fallback, undated = customers(engine, 3)
    with transaction(engine) as session:
        session.add(CustomerProfile(customer_id=dated, next_purchase_on=date(2026, 3, 10)))
    paid_orders(engine, [dated, fallback, undated])
    until = {"type": "wait", "until": "next_purchase_on", "offset_days": -2}
    strict = make_journey(engine, document({"type": "order_paid"}, [until, send()], name="a"))
    lenient = make_journey(
        engine,
        document({"type": "order_paid"}, [{**until, "fallback_days": 5}, send()], name="b"),
    )
    run(engine, TICK)
    assert states(engine, strict) == [
        (dated, "active", 2, None, "03-08 00:00"),
        (fallback, "exited", 1, "no_date", ""),
        (undated, "exited", 1, "no_date", ""),
    ]
    assert [(*s[:3], s[4]) for s in states(engine, lenient)] == [
        (dated, "active", 2, "03-08 00:00"),
        (fallback, "active", 2, "03-07 10:00"),
        (undated, "active", 2, "03-07 10:00"),
    ]


def test_conditions_branch_on_profile_segment_and_tag(engine: Engine) -> None:
    first, other, tagged = customers(engine, 3)
    with transaction(engine) as session:
        session.add_all(
            CustomerProfile(customer_id=c, stage=s)
            for c, s in [(first, "first_order"), (other, "loyal"), (tagged, "loyal")]
        )
        vip = Segment(code="vip_test", name="VIP测试", rule={})
        session.add(vip)
        session.flush()
        session.add(SegmentMember(segment_id=vip.id, customer_id=other, entered_at=NOW))
        tag = Tag(name="新品种子")
        session.add(tag)
        session.flush()
        session.add(CustomerTag(customer_id=tagged, tag_id=tag.id, source="manual"))
    paid_orders(engine, [first, other, tagged])
    profile = {"kind": "profile", "field": "stage", "op": "eq", "value": "first_order"}
    steps_ = [
        {"type": "condition", "check": profile, "otherwise": 3},
        send("首单"),
        {"type": "condition", "check": {"kind": "segment", "segment": "vip_test"}, "otherwise": 5},
        send("VIP"),
        {"type": "condition", "check": {"kind": "tag", "tag": "新品种子"}, "negate": True},
        send("非种子"),
    ]
    journey = make_journey(engine, document({"type": "order_paid"}, steps_))
    run(engine, TICK)
    assert sorted(row[0] for row in outbox(engine)) == sorted(
        [key(journey, 2, first), key(journey, 6, first), key(journey, 4, other),
         key(journey, 6, other)]
    )  # fmt: skip
    assert [s[:2] for s in states(engine, journey)] == [
        (first, "completed"), (other, "completed"), (tagged, "completed"),
    ]  # fmt: skip


def test_an_order_mid_journey_exits_and_suppresses_what_is_pending(engine: Engine) -> None:
    buyer, stays = customers(engine, 2)
    paid_orders(engine, [buyer, stays])
    journey = make_journey(
        engine,
        document(
            {"type": "order_paid"},
            [send("一"), {"type": "wait", "days": 3}, send("二")],
            exits=["ordered", "opted_out"],
        ),
    )
    run(engine, TICK)  # step 1 queued for 10:00
    with transaction(engine) as session:
        order(session, make_shop(session), buyer, TICK + hours(0.5))
    report = run(engine, TICK + hours(1)).journeys[0]
    assert dict(report.exited) == {"ordered": 1}
    run(engine, TICK + 3 * DAY)
    assert [row[:3] for row in outbox(engine)] == [
        (key(journey, 1, buyer), buyer, "suppressed"),
        (key(journey, 1, stays), stays, "queued"),
        (key(journey, 3, stays), stays, "queued"),
    ]
    assert [s[:4] for s in states(engine, journey)] == [
        (buyer, "exited", 3, "ordered"),
        (stays, "completed", 3, None),
    ]


def test_opting_out_or_leaving_the_segment_exits(engine: Engine) -> None:
    refuses, leaves, stays = customers(engine, 3)
    with transaction(engine) as session:
        segment = Segment(code="s1", name="s1", rule={})
        session.add(segment)
        session.flush()
        for customer in (refuses, leaves, stays):
            session.add(SegmentMember(segment_id=segment.id, customer_id=customer, entered_at=NOW))
            session.add(
                SegmentEvent(
                    segment_id=segment.id, customer_id=customer, kind="entered",
                    at=NOW + hours(1), as_of=NOW.date(),
                )
            )  # fmt: skip
    make_journey(
        engine,
        document(
            {"type": "entered_segment", "segment": "s1"},
            [{"type": "wait", "days": 1}, send()],
            exits=["opted_out", "left_segment"],
        ),
    )
    run(engine, TICK)
    with transaction(engine) as session:
        set_consent(
            session, customer_id=refuses, channel="all", purpose="marketing", granted=False,
            source="test", at=TICK + hours(1),
        )  # fmt: skip
        session.execute(
            SegmentMember.__table__.delete().where(SegmentMember.customer_id == leaves)  # type: ignore[attr-defined]
        )
    report = run(engine, TICK + DAY).journeys[0]
    assert dict(report.exited) == {"opted_out": 1, "left_segment": 1}
    assert [row[1] for row in outbox(engine)] == [stays]


def test_holdout_customers_are_enrolled_but_never_contacted(engine: Engine) -> None:
    who = customers(engine, 40)
    paid_orders(engine, who)
    doc = document(
        {"type": "order_paid"},
        [send(), {"type": "tag", "tag": "已关怀"}, {"type": "task", "title": "回访"}],
        holdout_share=0.5,
    )
    journey = make_journey(engine, doc)
    run(engine, TICK)
    with transaction(engine) as session:
        seed = session.get(Journey, journey).seed  # type: ignore[union-attr]
        pairs = session.execute(select(JourneyEnrolment.customer_id, JourneyEnrolment.holdout))
        flags = {int(c): bool(h) for c, h in pairs}
        logged = session.scalars(
            select(JourneyStepLog.outcome).where(JourneyStepLog.step == 1)
        ).all()
        tagged = set(session.scalars(select(CustomerTag.customer_id)))
        tasked = set(session.scalars(select(StaffTask.customer_id)))
    held = hashed_holdout(who, share=0.5, seed=seed)
    expected_held = {c for c, h in zip(who, held.tolist(), strict=True) if h}
    assert {c for c, h in flags.items() if h} == expected_held
    assert 0 < len(expected_held) < 40
    contacted = {row[1] for row in outbox(engine)}
    assert contacted == set(who) - expected_held
    assert tagged == tasked == contacted
    assert sorted(logged).count("held_out") == len(expected_held)


def test_a_second_tick_at_the_same_time_is_a_no_op(engine: Engine) -> None:
    who = customers(engine, 3)
    paid_orders(engine, who)
    make_journey(engine, document({"type": "order_paid"}, [send(), {"type": "wait", "days": 1}]))
    run(engine, TICK)
    before = (outbox(engine), count(engine, JourneyEnrolment), count(engine, JourneyStepLog))
    again = run(engine, TICK).journeys[0]
    assert (again.enrolled, again.queued, again.steps, again.already_planned) == (0, 0, {}, 0)
    assert (
        outbox(engine),
        count(engine, JourneyEnrolment),
        count(engine, JourneyStepLog),
    ) == before


def test_a_crash_mid_tick_rolls_back_and_the_rerun_sends_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = customers(engine, 2)
    paid_orders(engine, who)
    journey = make_journey(
        engine, document({"type": "order_paid"}, [send(), {"type": "task", "title": "回访"}])
    )

    def crash(*args: object, **kwargs: object) -> int:
        raise RuntimeError("the machine died")

    with monkeypatch.context() as patched:
        patched.setattr(steps, "_task", crash)
        with pytest.raises(RuntimeError):
            run(engine, TICK)  # step 1 planned its messages, then step 2 crashed
    assert (count(engine, OutboxMessage), count(engine, JourneyEnrolment)) == (0, 0)
    report = run(engine, TICK).journeys[0]
    assert (report.enrolled, report.queued, report.tasks) == (2, 2, 2)
    # A tick whose advance was lost after its messages were written re-plans nothing:
    with transaction(engine) as session:
        session.execute(
            update(JourneyEnrolment).values(state="active", current_step=1, next_at=TICK)
        )
        session.execute(JourneyStepLog.__table__.delete())  # type: ignore[attr-defined]
        session.execute(StaffTask.__table__.delete())  # type: ignore[attr-defined]
    rerun = run(engine, TICK + hours(1)).journeys[0]
    assert (rerun.queued, rerun.already_planned, rerun.tasks) == (0, 2, 2)
    assert [row[0] for row in outbox(engine)] == [key(journey, 1, c) for c in who]


def test_the_workers_scheduler_ticks_enabled_journeys(engine: Engine) -> None:
    [who] = customers(engine, 1)
    paid_orders(engine, [who])
    journey = make_journey(engine, document({"type": "order_paid"}, [send("签收关怀")]))
    scheduler = JobRunner(engine, JOBS, EngageSettings(policy=POLICY), runner="test")
    [ticked] = [o for o in scheduler.run_due(TICK) if o.name == "journeys.tick"]
    assert (ticked.status, ticked.detail) == ("ok", "1 journeys: 1 enrolled, 1 messages planned")
    assert [row[:3] for row in outbox(engine)] == [(key(journey, 1, who), who, "queued")]


def test_a_coupon_step_issues_one_coupon_per_contacted_customer_once(engine: Engine) -> None:
    who = customers(engine, 20)
    paid_orders(engine, who)
    with transaction(engine) as session:
        spec = CouponTemplateSpec(name="复购券", kind="amount_off", valid_days=30,
                                  amount_off_fen=1_000, per_customer_limit=5)  # fmt: skip
        template = create_template(session, spec).id
    doc = document(
        {"type": "order_paid"}, [{"type": "coupon", "template_id": template}], holdout_share=0.3
    )
    make_journey(engine, doc)
    first = run(engine, TICK).journeys[0]
    again = run(engine, TICK + DAY).journeys[0]
    with transaction(engine) as session:
        held = set(session.scalars(select(Enrolment.customer_id).where(Enrolment.holdout)))
        coupons = session.execute(select(Coupon.customer_id, Coupon.source)).all()
    assert sorted(customer for customer, _ in coupons) == sorted(set(who) - held)
    assert {source for _, source in coupons} == {"journey"}
    assert (first.coupons, again.coupons) == (len(who) - len(held), 0)
    assert 0 < len(held) < len(who)


def test_a_coupon_step_with_an_unknown_template_is_reported_not_raised(engine: Engine) -> None:
    [who] = customers(engine, 1)
    paid_orders(engine, [who])
    make_journey(engine, document({"type": "order_paid"}, [{"type": "coupon", "template_id": 999}]))
    report = run(engine, TICK).journeys[0]
    assert report.coupons == 0
    assert len(report.problems) == 1
    assert report.problems[0].startswith("step 1: ")
    assert "999" in report.problems[0]
