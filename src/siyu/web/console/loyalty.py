"""Console pages of the member programme: /members (tiers, coupons, referrals, the review
queue) and the points adjustment on the customer page. The same capability calls as
/api/v1/loyalty; every change is audited in its transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.loyalty.coupon_audiences import issue_to_segment
from siyu.loyalty.coupon_results import coupon_results
from siyu.loyalty.coupons import CouponTemplateSpec, create_template
from siyu.loyalty.overview import flagged_referrals, list_templates, tier_counts
from siyu.loyalty.points import adjust_points
from siyu.loyalty.referral_stats import referral_stats
from siyu.loyalty.referrals import review_referral
from siyu.loyalty.tier_recompute import recompute_tiers
from siyu.security.access import Permission, access_customer, require, require_all_customers
from siyu.security.audit import record
from siyu.segments.queries import list_segments
from siyu.segments.saved import get_segment
from siyu.web.console.render import page
from siyu.web.deps import CurrentActor, DbSession, FormActor

router = APIRouter(include_in_schema=False)
Yuan = Annotated[Decimal, Form(ge=0, le=100_000_000, decimal_places=2)]
Text = Annotated[str, Form(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]


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
        segments=[segment.name for segment in list_segments(session)],
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


@router.post("/members/coupons")
def create_coupon_template(
    session: DbSession,
    actor: FormActor,
    name: Text,
    kind: Annotated[str, Form(pattern="^(amount_off|percent_off)$")],
    valid_days: Annotated[int, Form(ge=1, le=3650)],
    amount_off: Annotated[Decimal | None, Form(ge=0, le=100_000_000, decimal_places=2)] = None,
    percent_off: Annotated[int | None, Form(ge=1, le=99)] = None,
    min_spend: Yuan = Decimal(0),
    per_customer: Annotated[int, Form(ge=1, le=1000)] = 1,
) -> Response:
    require(actor, Permission.LOYALTY)
    spec = CouponTemplateSpec(
        name=name, kind=kind, valid_days=valid_days,
        amount_off_fen=_fen(amount_off) if kind == "amount_off" else None,
        percent_off=percent_off if kind == "percent_off" else None,
        min_spend_fen=_fen(min_spend) or 0, per_customer_limit=per_customer,
    )  # fmt: skip
    view = create_template(session, spec)
    record(session, actor, "coupon.template_create", f"coupon_template:{view.id}", name=name)
    return RedirectResponse("/members#coupons", status_code=303)


@router.post("/members/coupons/{template_id}/issue")
def issue(session: DbSession, actor: FormActor, template_id: int, segment: Text) -> Response:
    require(actor, Permission.LOYALTY)
    chosen = get_segment(session, segment)
    result = issue_to_segment(
        session, template_id=template_id, segment_id=chosen.id, now=datetime.now(UTC)
    )
    record(
        session, actor, "coupon.issue", f"coupon_template:{template_id}", segment=chosen.name,
        issued=result.issued, issue_key="",
    )  # fmt: skip
    return RedirectResponse("/members#coupons", status_code=303)


def _fen(yuan: Decimal | None) -> int | None:
    return None if yuan is None else int((yuan * 100).to_integral_value())
