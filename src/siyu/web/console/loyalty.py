"""Console pages of the member programme: /members (tiers, coupons, referrals, the review
queue) and the points adjustment on the customer page. The same capability calls as
/api/v1/loyalty; every change is audited in its transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.loyalty.coupon_results import coupon_results
from siyu.loyalty.overview import flagged_referrals, list_templates, tier_counts
from siyu.loyalty.points import adjust_points
from siyu.loyalty.referral_stats import referral_stats
from siyu.loyalty.referrals import review_referral
from siyu.loyalty.tier_recompute import recompute_tiers
from siyu.security.access import Permission, access_customer, require, require_all_customers
from siyu.security.audit import record
from siyu.web.console.render import page
from siyu.web.deps import CurrentActor, DbSession, FormActor

router = APIRouter(include_in_schema=False)


@router.get("/members", response_class=HTMLResponse)
def members(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    require_all_customers(actor)
    tiers = tier_counts(session)
    results = {result.template_id: result for result in coupon_results(session)}
    return page(
        request, "members.html", actor, tiers=tiers,
        chart=[[level.level.name, level.members] for level in tiers],
        templates=list_templates(session), results=results,
        stats=referral_stats(session, top=10), flagged=flagged_referrals(session),
    )  # fmt: skip


@router.post("/members/tiers/recompute")
def recompute(session: DbSession, actor: FormActor) -> Response:
    require(actor, Permission.LOYALTY)
    result = recompute_tiers(session, as_of=datetime.now(UTC))
    record(session, actor, "tiers.recompute", "", **result.as_dict())
    return RedirectResponse("/members", status_code=303)


@router.post("/members/referrals/{referral_id}/review")
def review(
    session: DbSession,
    actor: FormActor,
    referral_id: int,
    verdict: Annotated[str, Form(pattern="^(approve|reject)$")],
) -> Response:
    require(actor, Permission.LOYALTY)
    view = review_referral(
        session, referral_id=referral_id, approve=verdict == "approve", operator=actor.username,
        now=datetime.now(UTC),
    )  # fmt: skip
    record(session, actor, "referral.review", f"referral:{referral_id}", status=view.status)
    return RedirectResponse("/members#review", status_code=303)


@router.post("/customers/{customer_id}/points")
def adjust(
    session: DbSession,
    actor: FormActor,
    customer_id: int,
    points: Annotated[int, Form(ge=-10_000_000, le=10_000_000)],
    reason: Annotated[str, Form(min_length=1, max_length=300, pattern=r"^[^\x00]*$")],
) -> Response:
    require(actor, Permission.LOYALTY)
    access_customer(session, actor, customer_id)
    entry = adjust_points(
        session, customer_id=customer_id, points=points, reason=reason,
        operator=actor.username, now=datetime.now(UTC),
    )  # fmt: skip
    record(
        session, actor, "points.adjust", f"customer:{customer_id}", entry=entry.id,
        points=points, reason=reason,
    )  # fmt: skip
    return RedirectResponse(f"/customers/{customer_id}#member", status_code=303)
