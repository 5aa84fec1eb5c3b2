"""Console pages for journeys: templates and journeys (enable/disable through the API with
the CSRF token), and a journey's dry run with a daily-sends chart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from siyu.engage.journeys import actions
from siyu.engage.journeys.simulate import MAX_DAYS, simulate, visible_customers
from siyu.engage.journeys.templates import TEMPLATES
from siyu.security.access import ROLE_PERMISSIONS, Actor, Permission, require
from siyu.web.api.journeys import contact_policy
from siyu.web.api.schemas import IdPath
from siyu.web.console.render import page
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(include_in_schema=False)


def _may_engage(actor: Actor) -> bool:
    return Permission.ENGAGE in ROLE_PERMISSIONS.get(actor.role, frozenset())


@router.get("/journeys", response_class=HTMLResponse)
def journeys(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    require(actor, Permission.READ)
    return page(
        request, "journeys.html", actor, journeys=actions.list_journeys(session),
        templates=list(TEMPLATES.values()), may_engage=_may_engage(actor),
    )  # fmt: skip


@router.get("/journeys/{journey_id}/simulate", response_class=HTMLResponse)
def journey_simulation(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    journey_id: IdPath,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 14,
) -> HTMLResponse:
    require(actor, Permission.READ)
    journey = actions.show_journey(session, journey_id)
    result = simulate(
        session, journey_id, days=days, now=datetime.now(UTC), policy=contact_policy(request)
    )
    return page(
        request, "journey_simulation.html", actor, journey=journey,
        result=visible_customers(session, actor, result).as_dict(), days=days,
    )  # fmt: skip
