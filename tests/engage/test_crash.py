"""kill -9 a real `siyu worker` mid-batch, restart it, and count: nothing lost, nothing doubled.

The worker sends to a local webhook sink (which drops copies by idempotency key, as receivers
must) and to the console channel (written with the state change: exactly once).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from siyu.db.engine import transaction
from siyu.engage.channels.sink import WebhookSink
from siyu.engage.content import Content
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.planner import PlanBatch, plan
from siyu.engage.tables import ConsoleMessage, OutboxMessage
from tests.builders import make_customer
from tests.engage.conftest import HOOK_SECRET

SIYU = str(Path(sys.executable).with_name("siyu"))
PER_CHANNEL = 300
LEASE = 2


def start_worker(db_url: str, sink: WebhookSink, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIYU_WEBHOOK_URL": sink.url,
        "SIYU_WEBHOOK_SECRET": HOOK_SECRET,
        "SIYU_QUIET_HOURS": "off",
        "SIYU_DEFAULT_HOUR": "none",
    }
    command = [
        SIYU,
        "--db",
        db_url,
        "worker",
        "--batch",
        "20",
        "--concurrency",
        "4",
        "--lease",
        str(LEASE),
        "--poll",
        "0.1",
        *extra,
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def count(engine: Engine, state: str) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).where(OutboxMessage.state == state)) or 0)


def test_a_killed_worker_loses_and_repeats_nothing(db_url: str, engine: Engine) -> None:
    now = datetime.now(UTC)
    with transaction(engine) as session:
        ids = [make_customer(session).id for _ in range(2 * PER_CHANNEL)]
        batches = [
            PlanBatch(
                "campaign:1",
                channel,
                "d1",
                Content(f"hello by {channel}"),
                now,
                now + timedelta(hours=2),
                customer_ids=part,
            )
            for channel, part in (("webhook", ids[:PER_CHANNEL]), ("console", ids[PER_CHANNEL:]))
        ]
        plan(
            session,
            batches,
            policy=ContactPolicy(quiet_start=0, quiet_end=0, default_hour=None),
            now=now,
        )
    sink = WebhookSink(HOOK_SECRET, delay=0.01).start()
    try:
        first = start_worker(db_url, sink)
        deadline = time.monotonic() + 60
        while count(engine, "delivered") < PER_CHANNEL // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.communicate()
        in_flight = count(engine, "sending")
        delivered_before = count(engine, "delivered")
        time.sleep(LEASE + 0.5)  # the dead worker's lease runs out
        second = start_worker(db_url, sink, "--once", "--json")
        _out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()
    finally:
        sink.stop()
    stats = sink.record.stats()
    with transaction(engine) as session:
        console_rows = session.scalar(select(func.count()).select_from(ConsoleMessage))
        console_keys = session.scalar(
            select(func.count(func.distinct(ConsoleMessage.idempotency_key)))
        )
    print(
        f"\ncrash: killed with {in_flight} in flight after {delivered_before} delivered; "
        f"sink saw {stats['received']} requests for {stats['unique']} keys "
        f"({stats['duplicates']} copies dropped)"
    )
    assert count(engine, "delivered") == 2 * PER_CHANNEL  # nothing lost
    assert console_rows == console_keys == PER_CHANNEL  # console: exactly once
    assert stats["unique"] == PER_CHANNEL
    assert stats["rejected"] == 0  # no request with a bad signature
    assert stats["aborted"] <= 4  # at most the killed worker's 4 concurrent requests, cut off
    assert stats["duplicates"] <= in_flight  # only messages in flight at the kill were resent
