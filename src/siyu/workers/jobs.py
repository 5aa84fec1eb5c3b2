"""Scheduled jobs: each is (name, interval, function(engine, now, settings) -> summary).

A job is due when it never ran, or when its last run started at least one interval ago (a run
still marked `running` is only taken over after `max(interval, timeout)`: its worker died).
Workers take a due job with one conditional UPDATE on its `job_runs` row: on PostgreSQL the
second worker waits for the first one's row lock, re-reads the row, no longer finds it due and
updates nothing; on SQLite writers run one at a time. So however many workers run, a due job
runs once. A failing job is recorded (`failed`, the error) and runs again one interval later;
it never stops the worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.db.engine import job_transaction
from siyu.engage.settings import EngageSettings
from siyu.errors import NotFoundError
from siyu.workers.tables import JobRun

LOG = logging.getLogger(__name__)
JobFunction = Callable[[Engine, datetime, EngageSettings], str]


def always(settings: EngageSettings) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    interval: timedelta
    run: JobFunction
    enabled: Callable[[EngageSettings], bool] = always  # e.g. only when WeCom is configured
    timeout: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class JobOutcome:
    name: str
    status: str  # ok | failed | busy (another worker holds it) | disabled
    detail: str = ""
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class JobStatus:
    name: str
    interval_seconds: float
    enabled: bool
    status: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    next_due_at: datetime | None  # None: due now
    runner: str | None
    detail: str
    error: str | None
    runs: int
    failures: int

    def as_dict(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "name": self.name,
            "interval_seconds": self.interval_seconds,
            "enabled": self.enabled,
            "status": self.status,
            "last_started_at": iso(self.last_started_at),
            "last_finished_at": iso(self.last_finished_at),
            "next_due_at": iso(self.next_due_at),
            "runner": self.runner,
            "detail": self.detail,
            "error": self.error,
            "runs": self.runs,
            "failures": self.failures,
        }


@dataclass
class JobRunner:
    """Runs the due jobs of a registry; `run_due` looks at the table at most every `check`."""

    engine: Engine
    jobs: Sequence[Job]
    settings: EngageSettings
    runner: str
    check: timedelta = timedelta(seconds=10)
    _next_check: datetime | None = field(default=None, init=False)

    def run_due(self, now: datetime) -> list[JobOutcome]:
        if self._next_check is not None and now < self._next_check:
            return []
        self._next_check = now + self.check
        outcomes = []
        for job in self.jobs:
            if job.enabled(self.settings) and _take(
                self.engine, job, self.runner, now, force=False
            ):
                outcomes.append(_execute(self.engine, job, self.settings, now))
        return outcomes

    def __call__(self, now: datetime) -> None:
        self.run_due(now)


def find_job(jobs: Sequence[Job], name: str) -> Job:
    for job in jobs:
        if job.name == name:
            return job
    known = ", ".join(job.name for job in jobs)
    raise NotFoundError(f"no job {name!r} (jobs: {known})")


def run_now(
    engine: Engine, job: Job, settings: EngageSettings, *, runner: str, now: datetime
) -> JobOutcome:
    """Run one job by hand, due or not (it counts as its latest run)."""
    if not job.enabled(settings):
        return JobOutcome(job.name, "disabled", "not configured (see docs/reach.md)")
    if not _take(engine, job, runner, now, force=True):
        return JobOutcome(job.name, "busy", "another worker is running it")
    return _execute(engine, job, settings, now)


def job_statuses(
    session: Session, jobs: Sequence[Job], settings: EngageSettings
) -> list[JobStatus]:
    rows = {row.name: row for row in session.scalars(select(JobRun))}
    statuses = []
    for job in jobs:
        row = rows.get(job.name)
        started = row.last_started_at if row else None
        statuses.append(
            JobStatus(
                name=job.name,
                interval_seconds=job.interval.total_seconds(),
                enabled=job.enabled(settings),
                status=row.status if row else "never",
                last_started_at=started,
                last_finished_at=row.last_finished_at if row else None,
                next_due_at=None if started is None else started + job.interval,
                runner=row.runner if row else None,
                detail=row.detail if row else "",
                error=row.error if row else None,
                runs=row.runs if row else 0,
                failures=row.failures if row else 0,
            )
        )
    return statuses


def _take(engine: Engine, job: Job, runner: str, now: datetime, *, force: bool) -> bool:
    """Mark the job running if it is due (or, `force`, unless another worker is running it).
    On SQLite this and the outcome's record wait for a writer ahead, e.g. a full refresh, as
    jobs do: failing here would end the worker that runs the jobs."""
    with job_transaction(engine) as session:
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(JobRun)
            .values(name=job.name, status="never", detail="", runs=0, failures=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        started = JobRun.last_started_at
        stale = started <= now - max(job.interval, job.timeout)
        idle = JobRun.status != "running"
        due = (
            or_(idle, stale)
            if force
            else or_(started.is_(None), and_(idle, started <= now - job.interval), stale)
        )
        taken = session.execute(
            update(JobRun)
            .where(JobRun.name == job.name, due)
            .values(status="running", last_started_at=now, runner=runner, runs=JobRun.runs + 1)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]


def _execute(engine: Engine, job: Job, settings: EngageSettings, now: datetime) -> JobOutcome:
    started = time.perf_counter()
    try:
        detail = job.run(engine, now, settings)
    except Exception as error:  # a failing job is recorded and retried, never fatal
        LOG.warning("job %s failed: %s", job.name, error, exc_info=True)
        outcome = JobOutcome(job.name, "failed", error=f"{type(error).__name__}: {error}"[:500])
    else:
        outcome = JobOutcome(job.name, "ok", detail=detail[:300])
    seconds = time.perf_counter() - started
    outcome = JobOutcome(outcome.name, outcome.status, outcome.detail, outcome.error, seconds)
    with job_transaction(engine) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.name == job.name)
            .values(
                status=outcome.status,
                last_finished_at=now + timedelta(seconds=seconds),
                detail=outcome.detail,
                error=outcome.error,
                failures=JobRun.failures + (1 if outcome.status == "failed" else 0),
            )
        )
    return outcome
