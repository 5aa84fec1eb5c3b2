"""The dashboard's KPIs: computed once per period after each refresh, then read from one row.

`compute_kpis` reads every order (seconds at a million customers); the dashboard shows the
same figures to every visitor until the data changes, which for profiles and stages happens at
`siyu refresh`. So a refresh clears the kept KPIs and the first view of a period computes and
keeps them. `/api/v1/kpis` still computes live.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.analytics.kpi import compute_kpis
from siyu.analytics.snapshot_tables import KpiSnapshot


def dashboard_kpis(
    session: Session, *, period_from: date, period_to: date, zone: ZoneInfo
) -> dict[str, Any]:
    """The KPIs of the period as JSON values (days as ISO text), kept until the next refresh."""
    kept = session.get(KpiSnapshot, (period_from, period_to))
    if kept is not None:
        return dict(kept.value)
    computed = compute_kpis(session, period_from=period_from, period_to=period_to, zone=zone)
    value: dict[str, Any] = json.loads(json.dumps(computed.as_dict(), default=str))
    try:
        with session.begin_nested():  # another request may have kept it meanwhile: fine
            session.add(KpiSnapshot(period_from=period_from, period_to=period_to, value=value))
    except IntegrityError:
        pass
    return value


def clear_kpi_snapshots(session: Session) -> None:
    session.execute(delete(KpiSnapshot))
