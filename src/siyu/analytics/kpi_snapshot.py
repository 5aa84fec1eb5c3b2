"""The dashboard's figures: computed once per period after each refresh, then read from one row.

`compute_kpis` reads every order and the funnel, CLV histogram and guide overview scan every
profile or contact (seconds at a million customers); the dashboard shows the same figures to
every visitor who sees all customers until the data changes, which for profiles and stages
happens at `siyu refresh`. So a refresh clears the kept figures and the first view of a period
computes and keeps them. `/api/v1/kpis` still computes live; a guide's dashboard (their own
customers) is computed live.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.analytics.dashboard import clv_histogram, staff_overview, stage_counts
from siyu.analytics.kpi import compute_kpis
from siyu.analytics.snapshot_tables import KpiSnapshot


def dashboard_figures(
    session: Session, *, period_from: date, period_to: date, zone: ZoneInfo
) -> dict[str, Any]:
    """`kpis`, `stages`, `clv` and `staff` over all customers as JSON values (days as ISO
    text), kept until the next refresh."""
    kept = session.get(KpiSnapshot, (period_from, period_to))
    if kept is not None:
        return dict(kept.value)
    kpis = compute_kpis(session, period_from=period_from, period_to=period_to, zone=zone)
    figures = {
        "kpis": kpis.as_dict(),
        "stages": stage_counts(session, true()),
        "clv": clv_histogram(session, true()),
        "staff": staff_overview(session),
    }
    value: dict[str, Any] = json.loads(json.dumps(figures, default=str))
    try:
        with session.begin_nested():  # another request may have kept it meanwhile: fine
            session.add(KpiSnapshot(period_from=period_from, period_to=period_to, value=value))
    except IntegrityError:
        pass
    return value


def clear_kpi_snapshots(session: Session) -> None:
    session.execute(delete(KpiSnapshot))
