"""Jobs that write (imports, refreshes) wait for SQLite's one write lock instead of failing.

The writer ahead of them is played by a plain sqlite3 connection that holds the lock the way a
full refresh does (BEGIN IMMEDIATE, a write, commit some time later).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from siyu.analytics.refresh import refresh
from siyu.analytics.tables import AnalyticsState, CustomerProfile
from siyu.commerce.tables import Order
from siyu.db import engine as engine_module
from siyu.db.engine import BUSY_TIMEOUT_MS, job_transaction, transaction
from siyu.engage.channels.memory import MemoryChannel
from siyu.errors import DatabaseBusyError
from siyu.ingest import runs
from siyu.ingest.bulk import SQLITE_CACHE_KIB
from siyu.ingest.service import ImportOptions, import_file
from siyu.workers.jobs import Job
from tests.engage.test_jobs import EVERY, Counting, runner
from tests.engage.test_worker import START, Clock, plan_for, worker

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORDERS = (
    "order_id,customer_id,ordered_at,amount,status\n"
    "A1,C1,2026-06-01 10:00:00,59.80,completed\n"
    "A2,C2,2026-06-02 09:00:00,120.00,paid\n"
)


@pytest.fixture
def impatient_engine(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """SQLite whose statements wait 0.2 s for a lock instead of 30 s (set as each connection
    is made, and none is yet): a write outside a job transaction fails behind a writer that
    holds the lock for a second."""
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 200)
    return sqlite_engine


@contextmanager
def writer_ahead(
    engine: Engine, holds_for: float, key: str = "ahead"
) -> Iterator[threading.Thread]:
    """Another connection takes the write lock, writes a row of its own (`key`) and commits
    `holds_for` seconds later, in a thread."""
    path = engine.url.database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO analytics_state (key, value) VALUES (?, 'committed')", (key,))

    def release() -> None:
        time.sleep(holds_for)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=release)
    thread.start()
    try:
        yield thread
    finally:
        thread.join()


def test_a_job_waits_for_the_writer_ahead_and_sees_what_it_wrote(sqlite_engine: Engine) -> None:
    started = time.monotonic()
    with writer_ahead(sqlite_engine, holds_for=1.0), job_transaction(sqlite_engine) as session:
        ahead = session.get_one(AnalyticsState, "ahead")  # read once the lock was its own
        session.add(AnalyticsState(key="job", value="done"))
    assert time.monotonic() - started >= 0.9
    assert ahead.value == "committed"
    with transaction(sqlite_engine) as session:
        assert session.get_one(AnalyticsState, "job").value == "done"


def test_a_plain_transaction_gives_up_where_the_job_waits(impatient_engine: Engine) -> None:
    """What the job transaction is for: a plain transaction's write waits only as long as the
    statements' busy timeout, however long the writer ahead holds the lock; the job's wait is
    its own."""
    with writer_ahead(impatient_engine, holds_for=1.0), transaction(impatient_engine) as session:
        session.add(AnalyticsState(key="plain", value="lost"))
        with pytest.raises(OperationalError, match="locked"):
            session.flush()
        session.rollback()
    with (
        writer_ahead(impatient_engine, holds_for=1.0, key="second"),
        job_transaction(impatient_engine, wait=30) as session,
    ):
        session.add(AnalyticsState(key="job", value="kept"))
    with transaction(impatient_engine) as session:
        assert session.get(AnalyticsState, "plain") is None
        assert session.get_one(AnalyticsState, "job").value == "kept"


def test_a_job_gives_up_with_a_clear_error_and_restores_the_timeout(
    sqlite_engine: Engine,
) -> None:
    with (
        writer_ahead(sqlite_engine, holds_for=1.0),
        pytest.raises(DatabaseBusyError, match=r"busy for 0\.2 s"),
        job_transaction(sqlite_engine, wait=0.2),
    ):
        pytest.fail("the job ran without the write lock")
    with transaction(sqlite_engine) as session:
        timeout = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert timeout == BUSY_TIMEOUT_MS


def test_readers_are_not_blocked_by_a_job(sqlite_engine: Engine) -> None:
    with job_transaction(sqlite_engine) as session:
        session.add(AnalyticsState(key="job", value="pending"))
        session.flush()
        with transaction(sqlite_engine) as reader:  # another pooled connection
            assert reader.get(AnalyticsState, "job") is None


def test_an_import_waits_for_a_writer_ahead_of_it(impatient_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    options = ImportOptions("orders-csv", rejects_dir=tmp_path)
    with writer_ahead(impatient_engine, holds_for=1.0):
        result = import_file(impatient_engine, path, options, timezone=SHANGHAI)
    assert (result.read, result.inserted, result.rejected) == (2, 2, 0)
    with transaction(impatient_engine) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 2


def test_an_import_enlarges_the_page_cache_for_its_batches_and_sets_it_back(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every batch runs on one connection with the import's page cache; the pooled connection
    is given back with SQLite's default (it used to keep 128 MiB after an import)."""
    seen: list[tuple[object, int]] = []
    record_batch = runs.record_batch

    def spy(session: Session, run_id: int, **kwargs: Any) -> None:
        connection = session.connection()
        cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        seen.append((connection.connection.dbapi_connection, cache))
        record_batch(session, run_id, **kwargs)

    monkeypatch.setattr(runs, "record_batch", spy)
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    options = ImportOptions("orders-csv", rejects_dir=tmp_path, batch_size=1)
    result = import_file(sqlite_engine, path, options, timezone=SHANGHAI)
    assert result.inserted == 2
    assert len(seen) >= 2  # one batch a row
    assert {cache for _, cache in seen} == {-SQLITE_CACHE_KIB}
    used = {id(connection) for connection, _ in seen}
    assert len(used) == 1
    raw = seen[0][0]
    assert raw.execute("PRAGMA cache_size").fetchone() == (-2000,)  # type: ignore[attr-defined]


def test_a_refresh_waits_for_a_writer_ahead_of_it(impatient_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    import_file(impatient_engine, path, ImportOptions("orders-csv", rejects_dir=tmp_path),
                timezone=SHANGHAI)  # fmt: skip
    with writer_ahead(impatient_engine, holds_for=1.0):
        result = refresh(impatient_engine, as_of=date(2026, 6, 30), zone=SHANGHAI)
    assert result.recomputed == 2
    with transaction(impatient_engine) as session:
        assert session.scalar(select(func.count()).select_from(CustomerProfile)) == 2


def test_a_job_transaction_commits_and_rolls_back_on_both_backends(engine: Engine) -> None:
    with job_transaction(engine) as session:
        session.add(AnalyticsState(key="kept", value="1"))
    with pytest.raises(RuntimeError, match="the job failed"):
        failing_job(engine)
    with transaction(engine) as session:
        assert session.get(AnalyticsState, "kept") is not None
        assert session.get(AnalyticsState, "dropped") is None


def failing_job(engine: Engine) -> None:
    with job_transaction(engine) as session:
        session.add(AnalyticsState(key="dropped", value="1"))
        session.flush()
        raise RuntimeError("the job failed")


def test_a_job_sets_its_pragmas_before_it_begins_and_back_after(sqlite_engine: Engine) -> None:
    """temp_store cannot change inside a transaction that has used temporary storage: the
    job's settings are made before BEGIN and undone after COMMIT."""
    pragmas = ("PRAGMA temp_store = MEMORY", "PRAGMA cache_size = -4096")
    with job_transaction(sqlite_engine, sqlite_pragmas=pragmas) as session:
        connection = session.connection()
        inside = [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in NAMES]
        used = connection.connection.dbapi_connection
        connection.exec_driver_sql("CREATE TEMP TABLE scratch AS SELECT 1 AS x")
        session.add(AnalyticsState(key="job", value="done"))
    with sqlite_engine.connect() as connection:  # the pool's one connection, given back
        after = [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in NAMES]
        assert connection.connection.dbapi_connection is used
    assert inside == [2, -4096]  # 2: MEMORY
    assert after == [0, -2000]  # SQLite's defaults: DEFAULT and 2,000 KiB


NAMES = ("temp_store", "cache_size")


def test_the_outbox_worker_waits_for_a_writer_ahead_of_it(impatient_engine: Engine) -> None:
    """A full refresh holds SQLite's write lock for minutes at a million customers: the outbox
    worker's claims and records wait for it as a job does, instead of failing (and ending
    `siyu worker`) once the statements' busy timeout has passed."""
    plan_for(impatient_engine, 3)
    hook = MemoryChannel("webhook")
    running = worker(impatient_engine, {"webhook": hook}, Clock(START))
    with writer_ahead(impatient_engine, holds_for=1.0):
        report = running.drain()
    assert (report.claimed, report.outcomes["delivered"]) == (3, 3)
    assert len(hook.received) == 3
    with transaction(impatient_engine) as session:
        assert session.get_one(AnalyticsState, "ahead").value == "committed"


def test_the_workers_scheduled_jobs_wait_for_a_writer_ahead_of_them(
    impatient_engine: Engine,
) -> None:
    tick = Counting()
    jobs = runner(impatient_engine, [Job("tick", EVERY, tick)], "w1")
    with writer_ahead(impatient_engine, holds_for=1.0):
        outcomes = jobs.run_due(START)
    assert [outcome.status for outcome in outcomes] == ["ok"]
    assert len(tick.calls) == 1
