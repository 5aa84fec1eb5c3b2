"""One row per scheduled job: when it last started and finished, and how that run ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import sql_in
from siyu.db.types import UTCDateTime

JOB_STATES = ("never", "running", "ok", "failed")


class JobRun(Base):
    """The last run of a job. A worker owns a run by moving `last_started_at` forward with one
    conditional UPDATE (due = never started, or started at least one interval ago), so several
    workers run a due job once."""

    __tablename__ = "job_runs"
    __table_args__ = (CheckConstraint(f"status IN ({sql_in(JOB_STATES)})", name="status"),)

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    runner: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(300), default="")
    error: Mapped[str | None] = mapped_column(String(500))
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
