"""Planning through the governor, on SQLite and PostgreSQL, with exact slots and reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from siyu.accounts.tables import CustomerGroup, StaffAccount, WecomContact
from siyu.customers.tables import Customer, CustomerIdentity
from siyu.db.engine import transaction
from siyu.engage.content import Content
from siyu.engage.errors import EngageError
from siyu.engage.governor.consent import set_consent
from siyu.engage.governor.policy import Cap, ContactPolicy, WecomQuota
from siyu.engage.planner import PlanBatch, PlanReport, plan
from siyu.engage.tables import ContactHours, OutboxMessage
from tests.builders import make_customer
from tests.snapshot import snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)  # a Monday, 08:00 local (quiet until 09:00)
POLICY = ContactPolicy()


def local(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def batch(source: str, ids: list[int], channel: str = "console", **extra: object) -> PlanBatch:
    fields: dict[str, object] = {
        "content": Content(f"{source} says hello"),
        "not_before": NOW,
        "expires_at": NOW + timedelta(days=7),
    }
    fields.update(extra)
    return PlanBatch(source=source, channel=channel, slot="d1", customer_ids=ids, **fields)  # type: ignore[arg-type]


def customers(engine: Engine, count: int, **options: object) -> list[int]:
    with transaction(engine) as session:
        return [make_customer(session, **options).id for _ in range(count)]  # type: ignore[arg-type]


def run(
    engine: Engine, *batches: PlanBatch, policy: ContactPolicy = POLICY, now: datetime = NOW
) -> PlanReport:
    with transaction(engine) as session:
        return plan(session, list(batches), policy=policy, now=now)


def rows(engine: Engine) -> list[OutboxMessage]:
    with transaction(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_caps_spread_a_customers_messages_and_suppress_the_excess(engine: Engine) -> None:
    [who] = customers(engine, 1)
    report = run(engine, *(batch(f"campaign:{n}", [who]) for n in range(1, 5)))
    assert (report.queued, dict(report.suppressed)) == (
        3,
        {"frequency cap (all channels) reached in the validity window": 1},
    )
    placed = rows(engine)
    assert [local(m.scheduled_at) for m in placed[:3]] == [
        "03-02 10:00",
        "03-03 10:00",
        "03-04 10:00",
    ]
    assert placed[3].state == "suppressed"
    assert placed[3].scheduled_at is None


def test_a_message_planned_in_quiet_hours_waits_for_the_next_allowed_hour(engine: Engine) -> None:
    ids = customers(engine, 2)
    late = datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI)
    run(engine, batch("campaign:1", ids[:1]), now=late)
    early = ContactPolicy(default_hour=None)
    run(engine, batch("campaign:2", ids[1:]), policy=early, now=late)
    assert [local(m.scheduled_at) for m in rows(engine)] == ["03-03 10:00", "03-03 09:00"]


def test_each_customer_gets_their_own_learned_hour(engine: Engine) -> None:
    ids = customers(engine, 3)
    with transaction(engine) as session:
        session.add_all(
            [
                ContactHours(customer_id=ids[0], best_hour=20, top_hours=[20, 12], samples=9),
                ContactHours(customer_id=ids[1], best_hour=23, top_hours=[23], samples=4),
            ]
        )
    run(engine, batch("campaign:1", ids))
    assert [local(m.scheduled_at) for m in rows(engine)] == [
        "03-02 20:00",
        "03-02 20:00",
        "03-02 10:00",
    ]


def test_sms_and_email_marketing_need_consent_and_an_address(engine: Engine) -> None:
    [with_phone] = customers(engine, 1, phone="+8613800138000")
    [without] = customers(engine, 1)
    sms = Content("x", template_code="SMS_1")
    first = run(engine, batch("campaign:1", [with_phone, without], "sms", content=sms))
    assert dict(first.suppressed) == {"no consent for marketing by sms": 2}
    with transaction(engine) as session:
        for who in (with_phone, without):
            set_consent(
                session,
                customer_id=who,
                channel="sms",
                purpose="marketing",
                granted=True,
                source="signup",
                at=NOW,
            )
    second = run(engine, batch("campaign:2", [with_phone, without], "sms", content=sms))
    assert (second.queued, dict(second.suppressed)) == (1, {"no phone": 1})


def test_an_opt_out_suppresses_new_and_pending_messages(engine: Engine) -> None:
    [who] = customers(engine, 1)
    run(engine, batch("campaign:1", [who]))
    with transaction(engine) as session:
        suppressed = set_consent(
            session,
            customer_id=who,
            channel="all",
            purpose="marketing",
            granted=False,
            source="reply:TD",
            at=NOW,
        )
    report = run(engine, batch("campaign:2", [who]), batch("notice:1", [who], purpose="service"))
    assert suppressed == 1
    assert [(m.source, m.state, m.reason) for m in rows(engine)] == [
        ("campaign:1", "suppressed", "consent withdrawn: reply:TD"),
        ("campaign:2", "suppressed", "no consent for marketing by console"),
        ("notice:1", "queued", None),
    ]
    assert report.queued == 1


def test_personalised_marketing_can_be_refused_on_its_own(engine: Engine) -> None:
    ids = customers(engine, 2)
    with transaction(engine) as session:
        set_consent(
            session,
            customer_id=ids[0],
            channel="all",
            purpose="personalised",
            granted=False,
            source="settings",
            at=NOW,
        )
    report = run(engine, batch("campaign:1", ids, purpose="personalised"), batch("campaign:2", ids))
    assert [(m.customer_id, m.source, m.state) for m in rows(engine)] == [
        (ids[0], "campaign:1", "suppressed"),
        (ids[1], "campaign:1", "queued"),
        (ids[0], "campaign:2", "queued"),
        (ids[1], "campaign:2", "queued"),
    ]
    assert report.queued == 3


def test_identical_content_waits_out_the_repeat_window(engine: Engine) -> None:
    [who] = customers(engine, 1)
    same = Content("the same words")
    run(engine, batch("campaign:1", [who], content=same))
    later = batch("campaign:2", [who], content=same, expires_at=NOW + timedelta(days=31))
    report = run(
        engine,
        batch("campaign:3", [who], content=same),
        later,
        policy=ContactPolicy(repeat_days=14),
    )
    assert dict(report.suppressed) == {"identical content within the repeat window": 1}
    assert [
        (m.source, local(m.scheduled_at) if m.scheduled_at else None) for m in rows(engine)
    ] == [("campaign:1", "03-02 10:00"), ("campaign:3", None), ("campaign:2", "03-16 10:00")]


def test_planning_again_changes_nothing(engine: Engine) -> None:
    ids = customers(engine, 3)
    run(engine, batch("campaign:1", ids))
    before = snapshot(engine)
    again = run(engine, batch("campaign:1", ids))
    assert (again.requested, again.already_planned, again.queued) == (3, 3, 0)
    assert snapshot(engine) == before


def test_an_unknown_customer_is_refused_and_nothing_is_written(engine: Engine) -> None:
    ids = customers(engine, 1)
    before = snapshot(engine)
    with pytest.raises(EngageError) as refused:
        run(engine, batch("campaign:1", [*ids, 999_999]))
    assert refused.value.code == "unknown_customer"
    assert "999999" in refused.value.message
    assert snapshot(engine) == before


def test_a_merged_customer_is_not_contacted(engine: Engine) -> None:
    ids = customers(engine, 2)
    with transaction(engine) as session:
        session.get(Customer, ids[1]).merged_into_id = ids[0]  # type: ignore[union-attr]
    report = run(engine, batch("campaign:1", ids))
    assert dict(report.suppressed) == {"customer was merged into another": 1}


def wecom_contacts(engine: Engine, count: int, guide: str = "guide1") -> list[int]:
    ids = customers(engine, count)
    with transaction(engine) as session:
        staff = StaffAccount(userid=guide, name=guide)
        session.add(staff)
        session.flush()
        session.add_all(
            [
                WecomContact(
                    staff_id=staff.id, external_userid=f"wm{who}", customer_id=who, added_at=NOW
                )
                for who in ids
            ]
        )
    return ids


def test_wecom_messages_respect_the_staff_daily_limit(engine: Engine) -> None:
    ids = wecom_contacts(engine, 3)
    [stranger] = customers(engine, 1)
    policy = ContactPolicy(staff_daily_limit=2)
    report = run(engine, batch("campaign:1", [*ids, stranger], "wecom"), policy=policy)
    assert dict(report.suppressed) == {"no active WeCom contact": 1}
    placed = rows(engine)
    assert [(m.sender, local(m.scheduled_at)) for m in placed[:3]] == [
        ("guide1", "03-02 10:00"),
        ("guide1", "03-02 10:00"),
        ("guide1", "03-03 10:00"),
    ]


def test_wecoms_receive_quota_is_counted_per_period(engine: Engine) -> None:
    [who] = wecom_contacts(engine, 1)
    policy = ContactPolicy(all_channels=Cap(), wecom_quota=WecomQuota.WEEK)
    sources = [batch(f"campaign:{n}", [who], "wecom") for n in range(1, 10)]
    report = run(engine, *sources, policy=policy)
    placed = [m for m in rows(engine) if m.state == "queued"]
    assert report.queued == 7  # 7 a week; the rest of the window (to 03-09 08:00) is next week
    assert [local(m.scheduled_at) for m in placed][-1] == "03-02 10:00"
    assert dict(report.suppressed) == {"WeCom receive quota used up in the validity window": 2}


def test_group_messages_go_from_the_groups_owner(engine: Engine) -> None:
    with transaction(engine) as session:
        owner = StaffAccount(userid="guide9", name="guide9")
        session.add(owner)
        session.flush()
        session.add(CustomerGroup(chat_id="wrGROUP1", name="VIP", owner_staff_id=owner.id))
    report = run(engine, batch("campaign:1", [], "wecom", group_chat_ids=["wrGROUP1", "wrGONE"]))
    assert [(m.recipient, m.sender, m.state, m.customer_id) for m in rows(engine)] == [
        ("chat:wrGROUP1", "guide9", "queued", None),
        ("chat:wrGONE", None, "suppressed", None),
    ]
    assert report.queued == 1


def test_service_messages_go_at_once_and_do_not_use_the_cap(engine: Engine) -> None:
    [who] = customers(engine, 1)
    report = run(engine, batch("order:1", [who], purpose="service"), batch("campaign:1", [who]))
    assert report.queued == 2
    assert [local(m.scheduled_at) for m in rows(engine)] == ["03-02 08:00", "03-02 10:00"]


def test_held_messages_are_planned_and_hold_their_slots(engine: Engine) -> None:
    [who] = customers(engine, 1)
    held = run(engine, batch("campaign:1", [who], release=False))
    after = run(engine, batch("campaign:2", [who]))
    assert (held.planned, after.queued) == (1, 1)
    assert [(m.state, local(m.scheduled_at)) for m in rows(engine)] == [
        ("planned", "03-02 10:00"),
        ("queued", "03-03 10:00"),
    ]


def test_a_window_longer_than_the_policy_allows_is_refused(engine: Engine) -> None:
    ids = customers(engine, 1)
    with pytest.raises(EngageError) as refused:
        run(engine, batch("campaign:1", ids, expires_at=NOW + timedelta(days=40)))
    assert refused.value.code == "invalid_window"
    assert rows(engine) == []


def test_times_are_stored_in_utc(engine: Engine) -> None:
    [who] = customers(engine, 1)
    run(engine, batch("campaign:1", [who]))
    [message] = rows(engine)
    assert message.scheduled_at == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with transaction(engine) as session:
        assert session.scalar(select(CustomerIdentity).limit(1)) is None
