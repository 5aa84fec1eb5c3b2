"""The worker on SQLite and PostgreSQL: claims, retries, leases, rechecks, WeCom follow-up."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update

from siyu.accounts.tables import StaffAccount, WecomContact
from siyu.db.engine import job_transaction, transaction
from siyu.engage.channels.base import DeliveryError, Envelope, Outcome, Status
from siyu.engage.channels.console import ConsoleChannel
from siyu.engage.channels.memory import MemoryChannel
from siyu.engage.claim import claim
from siyu.engage.content import Content
from siyu.engage.governor.consent import set_consent
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.planner import PlanBatch, plan
from siyu.engage.tables import ConsoleMessage, DeliveryAttempt, OutboxMessage
from siyu.engage.wecom.channel import WecomChannel
from siyu.engage.wecom.client import WecomClient, WecomConfig
from siyu.engage.wecom.followup import follow_up
from siyu.engage.worker import Worker, WorkerOptions
from tests.builders import make_customer
from tests.engage.conftest import CORP, WECOM_SECRET, Closer
from tests.engage.servers import FakeWecom

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
OPEN = ContactPolicy(default_hour=None)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def plan_for(
    engine: Engine,
    count: int,
    channel: str = "webhook",
    *,
    source: str = "campaign:1",
    now: datetime = START,
    hours: float = 48,
    policy: ContactPolicy = OPEN,
) -> list[int]:
    with transaction(engine) as session:
        ids = [make_customer(session).id for _ in range(count)]
        plan(
            session,
            [
                PlanBatch(
                    source,
                    channel,
                    "d1",
                    Content("hi"),
                    now,
                    now + timedelta(hours=hours),
                    customer_ids=ids,
                )
            ],
            policy=policy,
            now=now,
        )
    return ids


def worker(engine: Engine, channels: dict[str, object], clock: Clock, **options: float) -> Worker:
    return Worker(
        engine,
        channels,
        policy=OPEN,
        clock=clock,  # type: ignore[arg-type]
        options=WorkerOptions(name=str(options.pop("name", "w1")), **options),
    )  # type: ignore[arg-type]


def states(engine: Engine) -> Counter[str]:
    with transaction(engine) as session:
        return Counter(
            dict(
                session.execute(
                    select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
                ).all()
            )
        )  # type: ignore[arg-type]


def test_due_messages_are_delivered_and_every_attempt_recorded(engine: Engine) -> None:
    plan_for(engine, 5)
    plan_for(engine, 3, "console", source="campaign:2")
    hook = MemoryChannel("webhook")
    report = worker(
        engine, {"webhook": hook, "console": ConsoleChannel()}, Clock(START), batch=3
    ).drain()
    assert (report.claimed, report.outcomes["delivered"]) == (8, 8)
    assert states(engine) == Counter(delivered=8)
    assert sorted(e.idempotency_key for e in hook.received) == [
        f"campaign:1|c{i}|webhook|d1" for i in range(1, 6)
    ]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ConsoleMessage)) == 3
        assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 8


def test_transient_failures_back_off_then_succeed(engine: Engine) -> None:
    plan_for(engine, 1)
    failures = iter([DeliveryError("timeout", "slow", transient=True)] * 2)

    def answer(envelope: Envelope) -> Outcome:
        error = next(failures, None)
        return (
            error.outcome(envelope.message_id)
            if error
            else Outcome(envelope.message_id, Status.DELIVERED)
        )

    clock = Clock(START)
    running = worker(
        engine, {"webhook": MemoryChannel("webhook", answer)}, clock, backoff_seconds=30
    )
    running.drain()
    with transaction(engine) as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.state, message.attempts, message.next_attempt_at) == (
            "queued",
            1,
            START + timedelta(seconds=30),
        )
    clock.advance(seconds=30)
    running.drain()
    clock.advance(seconds=59)
    assert running.drain().claimed == 0  # the second backoff is 60 s
    clock.advance(seconds=1)
    running.drain()
    with transaction(engine) as session:
        message = session.scalars(select(OutboxMessage)).one()
        attempts = session.scalars(
            select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.id)
        ).all()
    assert (message.state, message.attempts) == ("delivered", 3)
    assert attempts == ["queued", "queued", "delivered"]


def test_permanent_failures_and_exhausted_retries_are_given_up(engine: Engine) -> None:
    plan_for(engine, 2)

    def answer(envelope: Envelope) -> Outcome:
        transient = envelope.customer_id == 1
        return DeliveryError(
            "http_4xx" if not transient else "network", "x", transient=transient
        ).outcome(envelope.message_id)

    clock = Clock(START)
    running = worker(
        engine,
        {"webhook": MemoryChannel("webhook", answer)},
        clock,
        max_attempts=2,
        backoff_seconds=1,
    )
    running.drain()
    clock.advance(seconds=5)
    running.drain()
    with transaction(engine) as session:
        found = {m.customer_id: (m.state, m.reason) for m in session.scalars(select(OutboxMessage))}
    assert found == {
        1: ("failed", "gave up after 2 attempts: network: x"),
        2: ("failed", "http_4xx: x"),
    }


def test_retrying_past_the_validity_window_expires_the_message(engine: Engine) -> None:
    plan_for(engine, 1, hours=0.01)
    failing = MemoryChannel(
        "webhook", lambda e: DeliveryError("network", "down", transient=True).outcome(e.message_id)
    )
    worker(engine, {"webhook": failing}, Clock(START), backoff_seconds=60).drain()
    with transaction(engine) as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert (message.state, message.reason) == ("expired", "retrying past validity: network: down")


def test_a_dead_workers_claim_is_taken_over_after_its_lease(engine: Engine) -> None:
    plan_for(engine, 3)
    with job_transaction(engine) as session:
        taken = claim(
            session,
            worker="dead",
            channels=["webhook"],
            limit=10,
            lease=timedelta(seconds=60),
            now=START,
        )
    assert len(taken) == 3
    hook = MemoryChannel("webhook")
    clock = Clock(START + timedelta(seconds=59))
    running = worker(engine, {"webhook": hook}, clock)
    assert running.drain().claimed == 0
    clock.advance(seconds=1)
    assert running.drain().outcomes["delivered"] == 3
    with transaction(engine) as session:
        assert {m.attempts for m in session.scalars(select(OutboxMessage))} == {2}
    assert len(hook.received) == 3


def test_concurrent_workers_never_send_a_message_twice(engine: Engine) -> None:
    plan_for(engine, 300)
    plan_for(engine, 100, "console", source="campaign:2")
    hook = MemoryChannel("webhook")
    console = ConsoleChannel()
    workers = [
        worker(engine, {"webhook": hook, "console": console}, Clock(START), name=f"w{n}", batch=25)
        for n in range(4)
    ]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = Counter(e.idempotency_key for e in hook.received)
    assert len(keys) == 300
    assert set(keys.values()) == {1}
    assert states(engine) == Counter(delivered=400)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ConsoleMessage)) == 100
        claimed_by = set(session.scalars(select(OutboxMessage.claimed_by)))
    assert claimed_by <= {"w0", "w1", "w2", "w3"}


def test_the_claim_rechecks_consent_quiet_hours_and_expiry(engine: Engine) -> None:
    ids = plan_for(engine, 3)
    with transaction(engine) as session:
        set_consent(
            session,
            customer_id=ids[0],
            channel="webhook",
            purpose="marketing",
            granted=False,
            source="reply:退订",
            at=START,
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.customer_id == ids[0])
            .values(state="queued", reason=None)
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.customer_id == ids[2])  # a dead
            .values(
                state="sending",
                claimed_by="dead",
                next_attempt_at=START,  # worker's
                expires_at=START - timedelta(minutes=1),
            )
        )
    hook = MemoryChannel("webhook")
    night = Clock(datetime(2026, 3, 2, 21, 30, tzinfo=SHANGHAI))
    Worker(
        engine,
        {"webhook": hook},
        policy=ContactPolicy(),
        clock=night,
        options=WorkerOptions(name="w1", sweep_seconds=1e9),
    ).run_batch()
    with transaction(engine) as session:
        found = {
            m.customer_id: (m.state, m.reason, m.next_attempt_at)
            for m in session.scalars(select(OutboxMessage))
        }
    assert found[ids[0]] == ("suppressed", "consent withdrawn for marketing", None)
    assert found[ids[1]] == ("queued", "quiet hours", datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI))
    assert found[ids[2]][:2] == ("expired", "validity window passed")
    assert hook.received == []


def test_the_sweep_expires_what_was_never_sent(engine: Engine) -> None:
    plan_for(engine, 2, "console", hours=1)  # no console channel below: nothing sends them
    worker(engine, {"webhook": MemoryChannel()}, Clock(START + timedelta(hours=2))).drain()
    with transaction(engine) as session:
        found = {(m.state, m.reason) for m in session.scalars(select(OutboxMessage))}
    assert found == {("expired", "validity window passed before sending")}


def test_wecom_tasks_are_followed_to_delivery(
    engine: Engine, fake_wecom: FakeWecom, closer: Closer
) -> None:
    with transaction(engine) as session:
        staff = StaffAccount(userid="guide1", name="g")
        session.add(staff)
        session.flush()
        ids = [make_customer(session).id for _ in range(3)]
        session.add_all(
            [WecomContact(staff_id=staff.id, external_userid=f"wm{i}", customer_id=i) for i in ids]
        )
        plan(
            session,
            [
                PlanBatch(
                    "campaign:1",
                    "wecom",
                    "d1",
                    Content("新品"),
                    START,
                    START + timedelta(days=2),
                    customer_ids=ids,
                )
            ],
            policy=OPEN,
            now=START,
        )
        session.execute(
            update(WecomContact).where(WecomContact.customer_id == ids[2]).values(removed_at=START)
        )
    client = closer(WecomClient(WecomConfig(CORP, WECOM_SECRET, base_url=fake_wecom.base_url)))
    clock = Clock(START)
    worker(engine, {"wecom": WecomChannel(client, clock)}, clock).drain()  # type: ignore[arg-type]
    assert fake_wecom.tasks["msg1"]["external_userid"] == ["wm1", "wm2"]
    assert fake_wecom.tasks["msg1"]["sender"] == "guide1"
    fake_wecom.results["msg1"] = {"wm1": 1, "wm2": 0}
    follow_up(engine, client, START + timedelta(hours=3))  # type: ignore[arg-type]
    fake_wecom.results["msg1"]["wm2"] = 3
    follow_up(engine, client, START + timedelta(hours=4))  # type: ignore[arg-type]
    with transaction(engine) as session:
        found = {m.customer_id: (m.state, m.reason) for m in session.scalars(select(OutboxMessage))}
    assert found == {
        1: ("delivered", None),
        2: ("failed", "WeCom: the customer already received a mass message (quota)"),
        3: ("failed", "no_address: no wecom address"),
    }
    assert len(fake_wecom.reminders["msg1"]) == 1  # waited 3 h: reminded once; 4 h: done
