"""/api/v1/kpis and /api/v1/refresh."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from siyu.analytics.kpi import compute_kpis
from siyu.analytics.refresh import refresh
from siyu.errors import InvalidInputError
from siyu.security.access import Permission, require
from siyu.security.audit import record
from siyu.web.api.schemas import in_api_range
from siyu.web.deps import CurrentActor, DbSession, engine_of, settings_of

router = APIRouter(tags=["analytics"])


@router.get("/kpis")
def kpis(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    threshold: Annotated[float, Query(ge=0, le=1e9)] = 1_000.0,
) -> dict[str, Any]:
    """The private-domain KPIs of a period (docs/metrics.md defines each)."""
    require(actor, Permission.READ)
    zone = settings_of(request).timezone
    last = in_api_range(date_to, "to") or datetime.now(zone).date()
    first = in_api_range(date_from, "from") or last - timedelta(days=364)
    if first > last:
        raise InvalidInputError(f"from {first} is after to {last}")
    result = compute_kpis(
        session, period_from=first, period_to=last, zone=zone, spend_threshold_yuan=threshold
    )
    return result.as_dict()


@router.post("/refresh")
def refresh_profiles(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    full: bool = False,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Recompute profiles (incrementally unless `full`)."""
    require(actor, Permission.IMPORT)
    zone = settings_of(request).timezone
    day = in_api_range(as_of, "as_of") or datetime.now(zone).date()
    session.commit()  # the refresh runs its own transaction: hold no write lock meanwhile
    result = refresh(engine_of(request), as_of=day, zone=zone, full=full)
    record(session, actor, "refresh", day.isoformat(), full=full)
    return asdict(result)
