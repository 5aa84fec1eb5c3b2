"""SMS delivery receipts polled from QuerySendDetails (a local server that follows the dysmsapi
contract and checks the signature), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from siyu.db.engine import transaction
from siyu.engage.channels.console import ConsoleChannel
from siyu.engage.channels.sms import SmsChannel, SmsConfig
from siyu.engage.content import Content
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.planner import PlanBatch, plan
from siyu.engage.receipts import Receipt, ReceiptPoller, apply_receipts, national
from siyu.engage.settings import EngageSettings
from siyu.engage.tables import DeliveryAttempt, OutboxMessage
from siyu.engage.worker import Worker, WorkerOptions
from siyu.workers.jobs import find_job, run_now
from siyu.workers.registry import JOBS
from siyu.workers.tables import JobRun
from tests.builders import make_customer
from tests.engage.conftest import SMS_KEY, SMS_SECRET, Closer
from tests.engage.servers import FakeSms

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
LATER = START + timedelta(minutes=10)
SMS = Content("取件通知", template_code="SMS_71390007", template_params={"name": "张三"})
OPEN = ContactPolicy(quiet_start=0, quiet_end=0, default_hour=None)


def config(server: FakeSms, secret: str = SMS_SECRET) -> SmsConfig:
    return SmsConfig(SMS_KEY, secret, "小店", endpoint=server.base_url, timeout=2.0)


def send_three(engine: Engine, server: FakeSms, closer: Closer, at: datetime = START) -> list[int]:
    """Three SMS customers planned and sent at `at` (BizIds 1^0, 2^0, 3^0), plus a console
    message that is `delivered` already."""
    with transaction(engine) as session:
        people = [make_customer(session, phone=f"+86138001380{n:02d}").id for n in range(3)]
        other = make_customer(session).id
        for channel, ids in (("sms", people), ("console", [other])):
            plan(
                session,
                [
                    PlanBatch(
                        "order:1:notice",
                        channel,
                        "d1",
                        SMS,
                        at,
                        at + timedelta(days=1),
                        customer_ids=ids,
                        purpose="service",  # needs no SMS marketing consent
                    )
                ],
                policy=OPEN,
                now=at,
            )
    channel = closer(SmsChannel(config(server), concurrency=1, clock=lambda: at))
    worker = Worker(
        engine,
        {"sms": channel, "console": ConsoleChannel()},  # type: ignore[dict-item]
        policy=OPEN,
        options=WorkerOptions(name="w1", batch=1),
        clock=lambda: at,
    )
    worker.drain()
    assert [s["PhoneNumbers"] for s in server.sent] == [f"+86138001380{n:02d}" for n in range(3)]
    return people


def outbox(engine: Engine) -> dict[int, tuple[str, str | None, datetime | None]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(
                OutboxMessage.customer_id,
                OutboxMessage.state,
                OutboxMessage.reason,
                OutboxMessage.delivered_at,
            )
        ).all()
    return {int(c): (s, r, d) for c, s, r, d in rows}


def attempts(engine: Engine) -> Counter[tuple[str, str | None, str]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(DeliveryAttempt.outcome, DeliveryAttempt.error_kind, DeliveryAttempt.worker)
        ).all()
    return Counter((o, e, w) for o, e, w in rows)


def test_receipts_move_exactly_their_messages_and_polling_again_changes_nothing(
    engine: Engine, fake_sms: FakeSms, closer: Closer
) -> None:
    delivered, failed, waiting = send_three(engine, fake_sms, closer)
    fake_sms.report("1^0", 3, "DELIVERED", "2026-03-02 10:00:07")
    fake_sms.report("2^0", 2, "MOBILE_NOT_ON_SERVICE", "2026-03-02 10:00:09")
    poller = ReceiptPoller(config(fake_sms), concurrency=2, clock=lambda: LATER)
    report = poller.poll(engine, LATER)
    assert report.summary() == ("3 polled: 1 delivered, 1 failed, 1 waiting, 0 query errors")
    assert sorted(q["PhoneNumber"] for q in fake_sms.queries) == [
        "13800138000",
        "13800138001",
        "13800138002",
    ]
    assert {q["SendDate"] for q in fake_sms.queries} == {"20260302"}
    assert sorted(q["BizId"] for q in fake_sms.queries) == ["1^0", "2^0", "3^0"]
    states = outbox(engine)
    assert states[delivered] == ("delivered", None, datetime(2026, 3, 2, 2, 0, 7, tzinfo=UTC))
    assert states[failed] == ("failed", "SMS receipt: MOBILE_NOT_ON_SERVICE", None)
    assert states[waiting][:2] == ("sent", None)
    assert Counter(state for state, _, _ in states.values()) == {
        "delivered": 2,  # the SMS and the console message
        "failed": 1,
        "sent": 1,
    }
    recorded = attempts(engine)
    assert recorded[("delivered", None, "sms-receipts")] == 1
    assert recorded[("failed", "sms:MOBILE_NOT_ON_SERVICE", "sms-receipts")] == 1

    again = poller.poll(engine, LATER + timedelta(minutes=5))
    assert again.summary() == "1 polled: 0 delivered, 0 failed, 1 waiting, 0 query errors"
    assert outbox(engine) == states
    assert attempts(engine) == recorded

    fake_sms.report("3^0", 3, "DELIVERED", "2026-03-02 10:30:00")
    last = poller.poll(engine, LATER + timedelta(minutes=10))
    assert (last.polled, last.delivered) == (1, 1)
    assert outbox(engine)[waiting][0] == "delivered"
    assert poller.poll(engine, LATER + timedelta(minutes=15)).polled == 0


def test_a_receipt_applied_twice_counts_once(
    engine: Engine, fake_sms: FakeSms, closer: Closer
) -> None:
    send_three(engine, fake_sms, closer)
    with transaction(engine) as session:
        first = session.scalar(select(func.min(OutboxMessage.id)))
    assert first is not None
    receipt = Receipt(first, True, "DELIVERED", None)
    assert apply_receipts(engine, [receipt], worker="a", now=LATER) == {"delivered": 1}
    assert apply_receipts(engine, [receipt, receipt], worker="b", now=LATER) == {}
    assert attempts(engine)[("delivered", None, "a")] == 1
    assert attempts(engine)[("delivered", None, "b")] == 0


def test_the_receipt_job_records_its_summary_or_its_failure(
    engine: Engine, fake_sms: FakeSms, closer: Closer
) -> None:
    sent = datetime.now(UTC).replace(microsecond=0)  # the job polls the last 3 days' sends
    send_three(engine, fake_sms, closer, at=sent)
    fake_sms.report("2^0", 3, "DELIVERED")
    job = find_job(JOBS, "sms_receipts")
    assert job.interval == timedelta(minutes=5)
    now = sent + timedelta(minutes=5)
    wrong = EngageSettings(sms=config(fake_sms, secret="not-the-secret-0123"))
    failed = run_now(engine, job, wrong, runner="hand", now=now)
    assert failed.status == "failed"
    assert failed.error == (
        "JobFailedError: every receipt query failed, last: sms:SignatureDoesNotMatch: "
        "Specified signature is not matched with our calculation."
    )
    ok = run_now(engine, job, EngageSettings(sms=config(fake_sms)), runner="hand", now=now)
    assert (ok.status, ok.detail) == (
        "ok",
        "3 polled: 1 delivered, 0 failed, 2 waiting, 0 query errors",
    )
    with transaction(engine) as session:
        row = session.get(JobRun, "sms_receipts")
        assert row is not None
        assert (row.status, row.runs, row.failures, row.error) == ("ok", 2, 1, None)


def test_mainland_numbers_lose_their_country_prefix() -> None:
    assert [national(p) for p in ("+8613800138000", "008613800138000", "8613800138000")] == [
        "13800138000"
    ] * 3
    assert national("13800138000") == "13800138000"
    assert national("+85291234567") == "85291234567"
