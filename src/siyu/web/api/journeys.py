"""/api/v1/journeys: list, templates, create (from a template or a definition), get, enable,
disable, simulate. Reading needs READ; changing needs ENGAGE."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.journeys import actions
from siyu.engage.journeys.errors import InvalidJourneyError
from siyu.engage.journeys.simulate import MAX_DAYS, simulate, visible_customers
from siyu.engage.journeys.templates import TEMPLATES
from siyu.engage.settings import policy_from_env
from siyu.security.access import Permission, require
from siyu.security.audit import record
from siyu.web.api.schemas import IdPath
from siyu.web.deps import CurrentActor, DbSession, settings_of

router = APIRouter(tags=["journeys"])


class JourneyCreate(BaseModel):
    """A journey from a built-in template (optionally renamed) or from a definition."""

    model_config = ConfigDict(extra="forbid")

    template: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=100)
    definition: dict[str, Any] | None = None


def contact_policy(request: Request) -> ContactPolicy:
    """The contact policy from the environment, in the merchant's time zone."""
    zone = settings_of(request).timezone_name
    return replace(policy_from_env(os.environ), timezone_name=zone)


@router.get("/journeys")
def list_journeys(session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    require(actor, Permission.READ)
    return {"items": [view.as_dict() for view in actions.list_journeys(session)]}


@router.get("/journeys/templates")
def list_templates(actor: CurrentActor) -> dict[str, Any]:
    require(actor, Permission.READ)
    return {"items": [template.as_dict() for template in TEMPLATES.values()]}


@router.post("/journeys", status_code=201)
def create_journey(body: JourneyCreate, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    """A draft journey; enable it to start."""
    require(actor, Permission.ENGAGE)
    if (body.template is None) == (body.definition is None):
        raise InvalidJourneyError("give either template or definition")
    if body.template is not None:
        journey = actions.create_from_template(session, body.template, name=body.name)
    else:
        journey = actions.create_journey(session, body.definition, name=body.name)
    record(session, actor, "journey.create", str(journey.id), template=body.template or "")
    return actions.show_journey(session, journey.id).as_dict()


@router.get("/journeys/{journey_id}")
def get_journey(journey_id: IdPath, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    require(actor, Permission.READ)
    return actions.show_journey(session, journey_id).as_dict()


@router.post("/journeys/{journey_id}/enable")
def enable_journey(journey_id: IdPath, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    require(actor, Permission.ENGAGE)
    actions.enable_journey(session, journey_id, now=datetime.now(UTC))
    record(session, actor, "journey.enable", str(journey_id))
    return actions.show_journey(session, journey_id).as_dict()


@router.post("/journeys/{journey_id}/disable")
def disable_journey(journey_id: IdPath, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    require(actor, Permission.ENGAGE)
    actions.disable_journey(session, journey_id)
    record(session, actor, "journey.disable", str(journey_id))
    return actions.show_journey(session, journey_id).as_dict()


@router.get("/journeys/{journey_id}/simulate")
def simulate_journey(
    request: Request,
    journey_id: IdPath,
    session: DbSession,
    actor: CurrentActor,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 14,
) -> dict[str, Any]:
    """The daily sends per channel over the next days, and who would be deferred or
    suppressed (only customers the caller may see are named). Writes nothing."""
    require(actor, Permission.READ)
    result = simulate(
        session, journey_id, days=days, now=datetime.now(UTC), policy=contact_policy(request)
    )
    return visible_customers(session, actor, result).as_dict()
