"""/api/v1/customers: search, filter, and the customer 360 — guides see only their own."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from siyu.customers.activity import customer_activity
from siyu.customers.queries import get_customer, list_customers, mask_phone, mask_phones_in
from siyu.loyalty.overview import member_summary
from siyu.security.access import Actor, Permission, access_customer, customer_scope, require
from siyu.web.api.loyalty_schemas import MemberOut
from siyu.web.api.schemas import Customer360, CustomerOut, IdentityOut, IdPath, Page
from siyu.web.customer_extras import segments_and_reach
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/customers", tags=["customers"])
PHONE_ROLES = frozenset({"admin", "operator"})


def may_see_phones(actor: Actor) -> bool:
    return actor.role in PHONE_ROLES


@router.get("", response_model=Page[CustomerOut])
def customers(
    session: DbSession,
    actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=100, description="Phone, buyer id, name…")] = None,
    stage: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CustomerOut]:
    require(actor, Permission.READ)
    rows, total = list_customers(
        session, scope=customer_scope(actor), text=q, stage=stage, limit=page_size,
        offset=(page - 1) * page_size,
    )  # fmt: skip
    items = [CustomerOut(**_visible(asdict(row), actor)) for row in rows]
    return Page(items=items, total=total, page=page, page_size=page_size)


@router.get("/{customer_id}", response_model=Customer360)
def customer(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    customer_id: IdPath,
    explain: Annotated[
        bool,
        Query(
            description="Also explain why the customer is in each segment (one statement per "
            "segment; a CLV-rank condition ranks every profile, seconds at 1M customers)"
        ),
    ] = False,
) -> Customer360:
    require(actor, Permission.READ)
    access_customer(session, actor, customer_id)
    view = get_customer(session, customer_id)
    identities = [
        IdentityOut(**_visible_identity(asdict(identity), actor)) for identity in view.identities
    ]
    return Customer360(
        id=view.id,
        display_name=view.display_name,
        merged_into_id=view.merged_into_id,
        stage=view.extra.get("stage"),
        stage_since=view.extra.get("stage_since"),
        identities=identities,
        merges=[_visible_merge(asdict(merge), actor) for merge in view.merges],
        profile=view.extra.get("profile"),
        timeline=view.extra.get("timeline", []),
        activity=customer_activity(session, customer_id),
        member=MemberOut.model_validate(member_summary(session, customer_id)),
        **segments_and_reach(request, session, actor, customer_id, explained=explain),
    )


def _visible(row: dict[str, Any], actor: Actor) -> dict[str, Any]:
    return row if may_see_phones(actor) else {**row, "phone": mask_phone(row["phone"])}


def _visible_identity(identity: dict[str, Any], actor: Actor) -> dict[str, Any]:
    if may_see_phones(actor):
        return identity
    masked = {**identity, "linked_by": mask_phones_in(identity["linked_by"]) or ""}
    if identity["kind"] == "phone":
        masked["value"] = mask_phone(identity["value"]) or ""
    return masked


def _visible_merge(merge: dict[str, Any], actor: Actor) -> dict[str, Any]:
    return merge if may_see_phones(actor) else {**merge, "reason": mask_phones_in(merge["reason"])}
