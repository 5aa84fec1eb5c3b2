"""Scheduled jobs on SQLite and PostgreSQL: claimed once across workers, failures recorded and
retried, the registry's jobs doing what their functions do, and the CLI."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from siyu.cli.main import run
from siyu.db.engine import make_engine, transaction
from siyu.engage.governor.hours import learn_contact_hours
from siyu.engage.settings import EngageSettings
from siyu.engage.tables import ContactHours
from siyu.workers.jobs import Job, JobRunner, find_job, job_statuses, run_now
from siyu.workers.registry import JOBS
from siyu.workers.tables import JobRun
from tests.builders import make_customer, make_order, make_shop

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
EVERY = timedelta(minutes=5)
SETTINGS = EngageSettings()


class Counting:
    """A job function that counts its calls; it fails while `failing` is set."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.calls: list[datetime] = []
        self.lock = threading.Lock()
        self.seconds = seconds
        self.failing = False

    def __call__(self, engine: Engine, now: datetime, settings: EngageSettings) -> str:
        with self.lock:
            self.calls.append(now)
        time.sleep(self.seconds)
        if self.failing:
            raise RuntimeError("the shop API is down")
        return f"run {len(self.calls)}"


def job_row(engine: Engine, name: str) -> JobRun:
    with transaction(engine) as session:
        row = session.get(JobRun, name)
        assert row is not None
        session.expunge(row)
        return row


def runner(engine: Engine, jobs: list[Job], name: str) -> JobRunner:
    return JobRunner(engine, jobs, SETTINGS, runner=name, check=timedelta(0))


def test_a_due_job_runs_once_when_two_workers_race(db_url: str, engine: Engine) -> None:
    counting = Counting(seconds=0.3)
    jobs = [Job("tick", EVERY, counting)]
    engines = [make_engine(db_url) for _ in range(2)]
    gate = threading.Barrier(2)
    results: dict[str, Any] = {}

    def work(number: int) -> None:
        gate.wait()
        results[f"w{number}"] = runner(engines[number], jobs, f"w{number}").run_due(START)

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(counting.calls) == 1
        assert sorted(len(outcomes) for outcomes in results.values()) == [0, 1]
        for number in range(2):  # not due again within the interval, for either worker
            assert runner(engines[number], jobs, "again").run_due(START + EVERY / 2) == []
        later = runner(engines[1], jobs, "w1").run_due(START + EVERY)
    finally:
        for made in engines:
            made.dispose()
    assert [o.status for o in later] == ["ok"]
    assert counting.calls == [START, START + EVERY]
    row = job_row(engine, "tick")
    assert (row.status, row.runs, row.failures, row.runner, row.detail) == (
        "ok",
        2,
        0,
        "w1",
        "run 2",
    )
    assert row.last_started_at == START + EVERY


def test_a_failing_job_is_recorded_and_retried_the_next_interval(engine: Engine) -> None:
    counting = Counting()
    counting.failing = True
    worker = runner(engine, [Job("tick", EVERY, counting)], "w1")
    [failed] = worker.run_due(START)
    assert (failed.status, failed.error) == ("failed", "RuntimeError: the shop API is down")
    row = job_row(engine, "tick")
    assert (row.status, row.error, row.runs, row.failures) == (
        "failed",
        "RuntimeError: the shop API is down",
        1,
        1,
    )
    assert worker.run_due(START + EVERY - timedelta(seconds=1)) == []
    counting.failing = False
    [retried] = worker.run_due(START + EVERY)
    assert (retried.status, retried.detail, retried.error) == ("ok", "run 2", None)
    row = job_row(engine, "tick")
    assert (row.status, row.error, row.runs, row.failures) == ("ok", None, 2, 1)


def test_a_running_job_is_left_alone_until_its_worker_is_presumed_dead(engine: Engine) -> None:
    counting = Counting()
    job = Job("tick", EVERY, counting, timeout=timedelta(minutes=30))
    with transaction(engine) as session:
        session.add(
            JobRun(name="tick", status="running", last_started_at=START, runner="dead", detail="")
        )
    assert run_now(engine, job, SETTINGS, runner="hand", now=START).status == "busy"
    assert runner(engine, [job], "w1").run_due(START + EVERY) == []
    [taken] = runner(engine, [job], "w1").run_due(START + timedelta(minutes=30))
    assert taken.status == "ok"
    assert counting.calls == [START + timedelta(minutes=30)]


def test_a_job_whose_service_is_not_configured_does_not_run(engine: Engine) -> None:
    followup = find_job(JOBS, "wecom_followup")
    assert runner(engine, [followup], "w1").run_due(START) == []
    assert run_now(engine, followup, SETTINGS, runner="hand", now=START).status == "disabled"
    with transaction(engine) as session:
        [status] = job_statuses(session, [followup], SETTINGS)
    assert (status.enabled, status.status, status.runs) == (False, "never", 0)


def add_habits(engine: Engine) -> list[int]:
    """Customers who buy at habitual local hours (three of them, one without orders)."""
    with transaction(engine) as session:
        shop = make_shop(session)
        people = [make_customer(session) for _ in range(3)]
        for person, hours in zip(people, ([20, 20, 9], [7, 13, 13, 13, 7]), strict=False):
            for day, hour in enumerate(hours):
                moment = datetime(2026, 2, 1 + day, hour, 30, tzinfo=SHANGHAI)
                make_order(session, shop=shop, customer=person, ordered_at=moment)
        return [person.id for person in people]


def contact_hours(engine: Engine) -> list[tuple[int, int, list[int], int]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(
                ContactHours.customer_id,
                ContactHours.best_hour,
                ContactHours.top_hours,
                ContactHours.samples,
            ).order_by(ContactHours.customer_id)
        ).all()
    return [(int(a), int(b), list(c), int(d)) for a, b, c, d in rows]


def test_learning_hours_through_the_job_equals_calling_it(engine: Engine) -> None:
    first, second, _ = add_habits(engine)
    job = find_job(JOBS, "learn_contact_hours")
    outcome = run_now(engine, job, SETTINGS, runner="hand", now=START)
    assert (outcome.status, outcome.detail) == ("ok", "2 customers with learned hours")
    through_job = contact_hours(engine)
    assert through_job == [(first, 20, [20, 9], 3), (second, 13, [13, 7], 5)]
    with transaction(engine) as session:
        session.execute(ContactHours.__table__.delete())
        learn_contact_hours(session, zone=SHANGHAI, now=START)
    assert contact_hours(engine) == through_job
    assert job.interval == timedelta(days=1)


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_cli_lists_and_runs_jobs(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    add_habits(engine)
    code, out, _ = invoke(capsys, "--db", db_url, "jobs", "run", "learn_contact_hours", "--json")
    ran = json.loads(out)
    assert code == 0
    assert (ran["name"], ran["status"], ran["detail"]) == (
        "learn_contact_hours",
        "ok",
        "2 customers with learned hours",
    )
    code, out, _ = invoke(capsys, "--db", db_url, "jobs", "list", "--json")
    listed = {job["name"]: job for job in json.loads(out)["jobs"]}
    assert code == 0
    assert list(listed) == [
        "learn_contact_hours", "wecom_followup", "sms_receipts", "campaigns.launch_due",
        "journeys.tick",
    ]  # fmt: skip
    learned = listed["learn_contact_hours"]
    assert (learned["status"], learned["runs"], learned["enabled"]) == ("ok", 1, True)
    assert learned["interval_seconds"] == 86_400
    started = datetime.fromisoformat(learned["last_started_at"])
    assert datetime.fromisoformat(learned["next_due_at"]) == started + timedelta(days=1)
    assert abs(started - datetime.now(UTC)) < timedelta(minutes=5)
    assert (listed["sms_receipts"]["enabled"], listed["sms_receipts"]["status"]) == (
        False,
        "never",
    )
    code, out, _ = invoke(capsys, "--db", db_url, "jobs", "list")
    assert (
        out.splitlines()[2]
        == "sms_receipts  every 5 min  disabled (not configured)  last never run"
    )
    code, _, err = invoke(capsys, "--db", db_url, "jobs", "run", "nope")
    assert (code, err) == (
        1,
        "siyu: error: no job 'nope' (jobs: learn_contact_hours, wecom_followup, sms_receipts, "
        "campaigns.launch_due, journeys.tick)\n",
    )


def test_the_worker_runs_due_jobs_between_claims_unless_told_not_to(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    add_habits(engine)
    code, _, _ = invoke(capsys, "--db", db_url, "worker", "--once", "--no-jobs")
    assert code == 0
    assert contact_hours(engine) == []
    code, _, _ = invoke(capsys, "--db", db_url, "worker", "--once", "--name", "w1")
    assert code == 0
    assert len(contact_hours(engine)) == 2
    row = job_row(engine, "learn_contact_hours")
    assert (row.status, row.runner, row.runs) == ("ok", "w1", 1)
    invoke(capsys, "--db", db_url, "worker", "--once", "--name", "w2")
    assert job_row(engine, "learn_contact_hours").runs == 1  # not due again for a day
