"""Outbox benchmarks, one command, PostgreSQL (plus SQLite planning with --sqlite):

    .venv/bin/python benchmarks/outbox_bench.py [--customers 1000000] [--messages 20000]

1. Planning N messages (one per customer) through the governor, set-based; baseline: the same
   rules checked per message in Python (a query per rule per message, one insert each), measured
   on a sample and scaled.
2. Worker throughput to a local webhook sink (a separate process): 1 worker vs 2 workers, one
   message per request; and 2 workers with 50 messages per request.
3. kill -9 of a worker mid-batch, restart, count losses and duplicates (console and webhook).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, func, select, text

from siyu.db.engine import make_engine, transaction
from siyu.db.migrate import upgrade
from siyu.engage.content import Content
from siyu.engage.governor.policy import Cap, ContactPolicy
from siyu.engage.planner import PlanBatch, plan
from siyu.engage.tables import ConsoleMessage, DeliveryAttempt, OutboxMessage

SIYU = str(Path(sys.executable).with_name("siyu"))
SECRET = "bench-secret-0123456789"
# The throughput and crash runs send several messages per customer, at once: no caps, no hours.
OPEN = ContactPolicy(
    quiet_start=0, quiet_end=0, default_hour=None, all_channels=Cap(), repeat_days=0
)


def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"siyu_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return name, url


def drop_database(admin_url: str, name: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def add_customers(engine: Engine, count: int) -> np.ndarray:
    now = datetime.now(UTC).isoformat(sep=" ")
    with transaction(engine) as session:
        if engine.dialect.name == "postgresql":
            cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy("COPY customers (created_at, updated_at) FROM STDIN") as copy:
                copy.write("".join(f"{now}\t{now}\n" for _ in range(count)))
        else:
            session.connection().exec_driver_sql(
                "INSERT INTO customers (created_at, updated_at) VALUES (?, ?)",
                [(now[:26], now[:26])] * count,
            )
        ids = session.connection().exec_driver_sql("SELECT id FROM customers ORDER BY id").all()
    return np.array([row[0] for row in ids], dtype=np.int64)


def planning(engine: Engine, ids: np.ndarray) -> dict[str, object]:
    now = datetime.now(UTC)
    batch = PlanBatch(
        "campaign:1:variant:a",
        "console",
        "d1",
        Content("上新了"),
        now,
        now + timedelta(days=7),
        customer_ids=ids,
    )
    started = time.perf_counter()
    with transaction(engine) as session:
        report = plan(session, [batch], policy=ContactPolicy(), now=now)
    seconds = time.perf_counter() - started
    return {
        "messages": len(ids),
        "seconds": round(seconds, 2),
        "per_second": round(len(ids) / seconds),
        "queued": report.queued,
        "timings": report.as_dict()["timings"],
    }


def per_message_baseline(engine: Engine, ids: np.ndarray) -> float:
    """The same checks one message at a time: consent, today's and the week's load, identical
    content, learned hour, then one INSERT. Messages per second."""
    now = datetime.now(UTC)
    content = Content("baseline")
    started = time.perf_counter()
    with transaction(engine) as session:
        session.execute(
            text(
                "INSERT INTO message_contents (content_hash, body, created_at) "
                "VALUES (:h, '{}', :n) ON CONFLICT DO NOTHING"
            ),
            {"h": content.content_hash, "n": now},
        )
        for customer in ids.tolist():
            session.execute(
                text("SELECT granted FROM consents WHERE customer_id = :c"), {"c": customer}
            ).all()
            for days in (1, 7):
                session.execute(
                    text(
                        "SELECT count(*) FROM outbox_messages WHERE customer_id = :c "
                        "AND scheduled_at >= :s"
                    ),
                    {"c": customer, "s": now - timedelta(days=days)},
                ).scalar()
            session.execute(
                text(
                    "SELECT max(scheduled_at) FROM outbox_messages WHERE customer_id = :c "
                    "AND content_hash = :h"
                ),
                {"c": customer, "h": content.content_hash},
            ).scalar()
            session.execute(
                text("SELECT best_hour FROM contact_hours WHERE customer_id = :c"), {"c": customer}
            ).all()
            session.add(
                OutboxMessage(
                    idempotency_key=f"baseline|c{customer}",
                    source="baseline",
                    customer_id=customer,
                    channel="console",
                    purpose="marketing",
                    slot="d1",
                    content_hash=content.content_hash,
                    state="queued",
                    not_before=now,
                    expires_at=now + timedelta(days=7),
                    scheduled_at=now,
                    next_attempt_at=now,
                    attempts=0,
                )
            )
            session.flush()
        session.rollback()
    return len(ids) / (time.perf_counter() - started)


def start_sink(port: int) -> subprocess.Popen[bytes]:
    sink = subprocess.Popen(
        [sys.executable, "-m", "siyu.engage.channels.sink", str(port), SECRET],
        stdout=subprocess.PIPE,
    )
    assert sink.stdout is not None
    sink.stdout.readline()
    return sink


def sink_stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as answer:
        return dict(json.load(answer))


def worker_env(port: int, batch: int = 1) -> dict[str, str]:
    return {
        **os.environ,
        "SIYU_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "SIYU_WEBHOOK_SECRET": SECRET,
        "SIYU_WEBHOOK_BATCH": str(batch),
        "SIYU_QUIET_HOURS": "off",
        "SIYU_DEFAULT_HOUR": "none",
        "SIYU_CAP_DAY": "none",
        "SIYU_CAP_WEEK": "none",
    }


def throughput(
    url: str,
    engine: Engine,
    ids: np.ndarray,
    *,
    workers: int,
    per_request: int,
    source: str,
    port: int,
) -> tuple[float, float]:
    now = datetime.now(UTC)
    with transaction(engine) as session:
        plan(
            session,
            [
                PlanBatch(
                    source,
                    "webhook",
                    "d1",
                    Content(source),
                    now,
                    now + timedelta(hours=2),
                    customer_ids=ids,
                )
            ],
            policy=OPEN,
            now=now,
        )
    command = [SIYU, "--db", url, "worker", "--once", "--batch", "500", "--concurrency", "16"]
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            [*command, "--name", f"bench{n}"],
            env=worker_env(port, per_request),
            stdout=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    for process in running:
        process.wait()
    wall = time.perf_counter() - started
    with transaction(engine) as session:
        delivered = session.scalar(
            select(func.count()).where(
                OutboxMessage.source == source, OutboxMessage.state == "delivered"
            )
        )
        first, last = session.execute(
            select(func.min(DeliveryAttempt.started_at), func.max(DeliveryAttempt.finished_at))
            .join(OutboxMessage, OutboxMessage.id == DeliveryAttempt.message_id)
            .where(OutboxMessage.source == source)
        ).one()
    assert delivered == len(ids), f"{delivered} of {len(ids)} delivered"
    return len(ids) / (last - first).total_seconds(), len(ids) / wall


def crash(url: str, engine: Engine, ids: np.ndarray, port: int) -> dict[str, int]:
    now = datetime.now(UTC)
    half = len(ids) // 2
    with transaction(engine) as session:
        plan(
            session,
            [
                PlanBatch(
                    "crash",
                    "webhook",
                    "d1",
                    Content("crash"),
                    now,
                    now + timedelta(hours=2),
                    customer_ids=ids[:half],
                ),
                PlanBatch(
                    "crash",
                    "console",
                    "d1",
                    Content("crash"),
                    now,
                    now + timedelta(hours=2),
                    customer_ids=ids[half:],
                ),
            ],
            policy=OPEN,
            now=now,
        )
    before = sink_stats(port)
    command = [SIYU, "--db", url, "worker", "--batch", "100", "--concurrency", "8", "--lease", "2"]
    first = subprocess.Popen(command, env=worker_env(port))
    while True:
        with transaction(engine) as session:
            done = session.scalar(
                select(func.count()).where(
                    OutboxMessage.source == "crash", OutboxMessage.state == "delivered"
                )
            )
        if (done or 0) >= len(ids) // 3:
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    with transaction(engine) as session:
        in_flight = session.scalar(select(func.count()).where(OutboxMessage.state == "sending"))
    time.sleep(2.5)
    subprocess.run(
        [*command, "--once"], env=worker_env(port), check=True, stdout=subprocess.DEVNULL
    )
    after = sink_stats(port)
    with transaction(engine) as session:
        delivered = session.scalar(
            select(func.count()).where(
                OutboxMessage.source == "crash", OutboxMessage.state == "delivered"
            )
        )
        console = session.scalar(
            select(func.count())
            .select_from(ConsoleMessage)
            .where(ConsoleMessage.idempotency_key.like("crash|%"))
        )
    return {
        "messages": len(ids),
        "in_flight_at_kill": int(in_flight or 0),
        "lost": len(ids) - int(delivered or 0),
        "console_duplicates": int(console or 0) - (len(ids) - half),
        "webhook_copies_before_dedup": (after["received"] - before["received"]) - half,
        "webhook_duplicates_after_dedup": (after["unique"] - before["unique"]) - half,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    parser.add_argument("--sqlite", action="store_true", help="also plan on SQLite")
    args = parser.parse_args()
    results: dict[str, object] = {}
    name, url = fresh_database(args.postgres)
    engine = make_engine(url)
    port = 18_000 + os.getpid() % 1000
    sink = start_sink(port)
    try:
        ids = add_customers(engine, max(args.customers, args.messages))
        results["planning_postgres"] = planning(engine, ids[: args.customers])
        baseline = per_message_baseline(engine, ids[: args.baseline_sample])
        plan_rate = results["planning_postgres"]["per_second"]  # type: ignore[index]
        results["planning_baseline_per_message"] = {
            "per_second": round(baseline),
            "seconds_for_all": round(args.customers / baseline, 1),
            "set_based_speedup": round(plan_rate / baseline, 1),
        }
        with transaction(engine) as session:
            session.execute(text("DELETE FROM outbox_messages"))
        sample = ids[: args.messages]
        one = throughput(url, engine, sample, workers=1, per_request=1, source="t1", port=port)
        two = throughput(url, engine, sample, workers=2, per_request=1, source="t2", port=port)
        batched = throughput(url, engine, sample, workers=2, per_request=50, source="t3", port=port)
        results["throughput_webhook_per_second"] = {
            "1_worker": round(one[0]),
            "2_workers": round(two[0]),
            "2_vs_1": round(two[0] / one[0], 2),
            "2_workers_50_per_request": round(batched[0]),
            "wall_clock_with_process_start": [round(one[1]), round(two[1]), round(batched[1])],
        }
        results["crash"] = crash(url, engine, ids[:2_000], port)
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait()
        engine.dispose()
        drop_database(args.postgres, name)
    if args.sqlite:
        path = Path(f"/tmp/siyu-bench-{uuid.uuid4().hex[:8]}.db")
        lite = make_engine(f"sqlite:///{path}")
        upgrade(lite)
        results["planning_sqlite"] = planning(lite, add_customers(lite, args.customers))
        lite.dispose()
        path.unlink()
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
