"""Computed KPIs kept for the dashboard, so that a page view reads one row instead of every
order. A refresh clears them; the next view of a period computes and keeps it again."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column


class KpiSnapshot(Base):
    __tablename__ = "kpi_snapshots"

    period_from: Mapped[date] = mapped_column(Date, primary_key=True)
    period_to: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = created_at_column()
