"""Journeys, their enrolments and step log, staff tasks, and optional customer attributes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column, sql_in, updated_at_column
from siyu.db.types import Id, UTCDateTime

JOURNEY_STATUSES = ("draft", "enabled", "disabled")
ENROLMENT_STATES = ("active", "exited", "completed")
TASK_STATES = ("open", "done")


class Journey(Base):
    """A journey: its definition (JSON, validated), status and the trigger's watermark (the
    last tick's time: the next tick looks for trigger occurrences after it)."""

    __tablename__ = "journeys"
    __table_args__ = (CheckConstraint(f"status IN ({sql_in(JOURNEY_STATUSES)})", name="status"),)

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    template: Mapped[str | None] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    holdout_share: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(BigInteger)
    watermark_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class JourneyEnrolment(Base):
    """One customer's way through a journey for one trigger occurrence. `current_step` is the
    next step to run (from 1), due at `next_at`. Holdout enrolments advance but never act."""

    __tablename__ = "journey_enrolments"
    __table_args__ = (
        UniqueConstraint("journey_id", "customer_id", "occurrence"),
        CheckConstraint(f"state IN ({sql_in(ENROLMENT_STATES)})", name="state"),
        Index("ix_journey_enrolments_journey_id_state_next_at", "journey_id", "state", "next_at"),
    )

    id: Mapped[int] = id_column()
    journey_id: Mapped[int] = mapped_column(Id, ForeignKey("journeys.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    occurrence: Mapped[str] = mapped_column(String(100))  # e.g. "o:123" (order), "se:9" (event)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    holdout: Mapped[bool] = mapped_column()
    current_step: Mapped[int] = mapped_column(default=1)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="active")
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JourneyStepLog(Base):
    """A step an enrolment went through, once (the unique key makes re-runs no-ops)."""

    __tablename__ = "journey_step_log"
    __table_args__ = (UniqueConstraint("enrolment_id", "step"),)

    id: Mapped[int] = id_column()
    journey_id: Mapped[int] = mapped_column(Id, ForeignKey("journeys.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(
        Id, ForeignKey("journey_enrolments.id", ondelete="CASCADE")
    )
    step: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffTask(Base):
    """A task for a shopping guide about one customer (a journey's `task` step)."""

    __tablename__ = "staff_tasks"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "step"),
        CheckConstraint(f"state IN ({sql_in(TASK_STATES)})", name="state"),
        Index("ix_staff_tasks_staff_id_state", "staff_id", "state"),
    )

    id: Mapped[int] = id_column()
    journey_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("journeys.id", ondelete="SET NULL")
    )
    enrolment_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("journey_enrolments.id", ondelete="SET NULL")
    )
    step: Mapped[int] = mapped_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(Id, ForeignKey("staff_accounts.id"))
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(1000), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = created_at_column()
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CustomerAttribute(Base):
    """An optional named value of a customer that no platform export carries (a birthday,
    given as `YYYY-MM-DD` or `MM-DD`). The birthday trigger reads it."""

    __tablename__ = "customer_attributes"

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = updated_at_column()
