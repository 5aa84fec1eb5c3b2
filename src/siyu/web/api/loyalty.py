"""/api/v1/loyalty: tiers, points, coupons, referrals and distributors.

Reads of a customer's points follow the customer's scope (a guide: only their own customers);
reports over every customer are not for guides; changes need the `loyalty` permission and are
recorded in the audit log with the operator, in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from siyu.loyalty.coupon_audiences import issue_to_segment
from siyu.loyalty.coupon_results import coupon_results
from siyu.loyalty.coupons import CouponTemplateSpec, create_template
from siyu.loyalty.distributor_views import (
    commission_ledger,
    get_distributor,
    list_distributors,
    staff_id_for,
)
from siyu.loyalty.distributors import bind_customer, create_distributor, pay_out
from siyu.loyalty.errors import LoyaltyErrorCode as Code
from siyu.loyalty.overview import flagged_referrals, list_templates, tier_counts
from siyu.loyalty.points import adjust_points, ledger_count, points_balance, points_history
from siyu.loyalty.referral_stats import referral_stats, referral_tree
from siyu.loyalty.referrals import review_referral
from siyu.loyalty.tier_recompute import recompute_tiers
from siyu.security.access import (
    Permission,
    access_customer,
    require,
    require_all_customers,
)
from siyu.security.audit import record
from siyu.segments.saved import get_segment
from siyu.web.api.loyalty_schemas import (
    CommissionEntryOut,
    CouponIssueIn,
    CouponIssueOut,
    CouponResultsOut,
    CouponTemplateIn,
    CouponTemplateOut,
    DistributorBindIn,
    DistributorBindOut,
    DistributorIn,
    DistributorOut,
    PayoutIn,
    PayoutOut,
    PointsAdjustIn,
    PointsBalanceOut,
    PointsEntryOut,
    ReferralNodeOut,
    ReferralOut,
    ReferralStatsOut,
    ReviewIn,
    TierLevelOut,
    TierRecomputeIn,
    TierRecomputeOut,
)
from siyu.web.api.schemas import IdPath, Page, in_api_range
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/loyalty", tags=["loyalty"])
ERROR_STATUS = {
    Code.UNKNOWN_CUSTOMER.value: 404,
    Code.UNKNOWN_TEMPLATE.value: 404,
    Code.UNKNOWN_REFERRAL.value: 404,
    Code.UNKNOWN_CODE.value: 404,
    Code.INSUFFICIENT_POINTS.value: 409,
    Code.NOT_REVIEWABLE.value: 409,
    Code.ALREADY_REFERRED.value: 409,
    Code.DUPLICATE_NAME.value: 409,
    Code.INVALID_RULE.value: 422,
    Code.INVALID_AMOUNT.value: 422,
    Code.MISSING_REASON.value: 422,
    "segment_not_found": 404,
}
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=200)]


@router.get("/tiers", response_model=list[TierLevelOut])
def tiers(session: DbSession, actor: CurrentActor) -> list[TierLevelOut]:
    require_all_customers(actor)
    return [TierLevelOut(**count.as_dict()) for count in tier_counts(session)]


@router.post("/tiers/recompute", response_model=TierRecomputeOut)
def recompute(session: DbSession, actor: CurrentActor, body: TierRecomputeIn) -> TierRecomputeOut:
    require(actor, Permission.LOYALTY)
    as_of = _aware(body.as_of, "as_of") or datetime.now(UTC)
    result = recompute_tiers(session, as_of=as_of)
    record(session, actor, "tiers.recompute", "", **result.as_dict())
    return TierRecomputeOut.model_validate(result)


@router.get("/customers/{customer_id}/points", response_model=PointsBalanceOut)
def balance(session: DbSession, actor: CurrentActor, customer_id: IdPath) -> PointsBalanceOut:
    require(actor, Permission.READ)
    access_customer(session, actor, customer_id)
    return PointsBalanceOut.model_validate(points_balance(session, customer_id))


@router.get("/customers/{customer_id}/points/history", response_model=Page[PointsEntryOut])
def history(
    session: DbSession,
    actor: CurrentActor,
    customer_id: IdPath,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> Page[PointsEntryOut]:
    require(actor, Permission.READ)
    access_customer(session, actor, customer_id)
    entries = points_history(session, customer_id, limit=page_size, offset=(page - 1) * page_size)
    items = [PointsEntryOut.model_validate(entry) for entry in entries]
    total = ledger_count(session, customer_id)
    return Page(items=items, total=total, page=page, page_size=page_size)


@router.post("/customers/{customer_id}/points/adjust", response_model=PointsEntryOut)
def adjust(
    session: DbSession, actor: CurrentActor, customer_id: IdPath, body: PointsAdjustIn
) -> PointsEntryOut:
    require(actor, Permission.LOYALTY)
    access_customer(session, actor, customer_id)
    entry = adjust_points(
        session, customer_id=customer_id, points=body.points, reason=body.reason,
        operator=actor.username, now=datetime.now(UTC),
    )  # fmt: skip
    record(
        session, actor, "points.adjust", f"customer:{customer_id}", entry=entry.id,
        points=body.points, reason=body.reason,
    )  # fmt: skip
    return PointsEntryOut.model_validate(entry)


@router.get("/coupons/templates", response_model=list[CouponTemplateOut])
def templates(session: DbSession, actor: CurrentActor) -> list[CouponTemplateOut]:
    require_all_customers(actor)
    return [CouponTemplateOut(**view.as_dict()) for view in list_templates(session)]


@router.post("/coupons/templates", response_model=CouponTemplateOut, status_code=201)
def create_coupon_template(
    session: DbSession, actor: CurrentActor, body: CouponTemplateIn
) -> CouponTemplateOut:
    require(actor, Permission.LOYALTY)
    view = create_template(session, CouponTemplateSpec(**body.model_dump()))
    record(session, actor, "coupon.template_create", f"coupon_template:{view.id}", name=body.name)
    return CouponTemplateOut(**view.as_dict())


@router.post("/coupons/templates/{template_id}/issue", response_model=CouponIssueOut)
def issue(
    session: DbSession, actor: CurrentActor, template_id: IdPath, body: CouponIssueIn
) -> CouponIssueOut:
    require(actor, Permission.LOYALTY)
    segment = get_segment(session, body.segment)
    result = issue_to_segment(
        session, template_id=template_id, segment_id=segment.id, now=datetime.now(UTC),
        issue_key=body.issue_key,
    )  # fmt: skip
    record(
        session, actor, "coupon.issue", f"coupon_template:{template_id}", segment=segment.name,
        issued=result.issued, issue_key=body.issue_key or "",
    )  # fmt: skip
    return CouponIssueOut.model_validate(result)


@router.get("/coupons/results", response_model=list[CouponResultsOut])
def results(
    session: DbSession,
    actor: CurrentActor,
    template_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> list[CouponResultsOut]:
    require_all_customers(actor)
    return [CouponResultsOut.model_validate(r) for r in coupon_results(session, template_id)]


@router.get("/referrals/stats", response_model=ReferralStatsOut)
def stats(
    session: DbSession,
    actor: CurrentActor,
    since: datetime | None = None,
    until: datetime | None = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> ReferralStatsOut:
    require_all_customers(actor)
    start, end = _aware(since, "since"), _aware(until, "until")
    found = referral_stats(session, since=start, until=end, top=top)
    return ReferralStatsOut.model_validate(found)


@router.get("/referrals/tree/{customer_id}", response_model=ReferralNodeOut)
def tree(
    session: DbSession,
    actor: CurrentActor,
    customer_id: IdPath,
    depth: Annotated[int, Query(ge=1, le=20)] = 5,
) -> ReferralNodeOut:
    require_all_customers(actor)
    access_customer(session, actor, customer_id)
    return ReferralNodeOut.model_validate(referral_tree(session, customer_id, depth=depth))


@router.get("/referrals/flagged", response_model=list[ReferralOut])
def flagged(session: DbSession, actor: CurrentActor) -> list[ReferralOut]:
    require_all_customers(actor)
    return [ReferralOut.model_validate(view) for view in flagged_referrals(session)]


@router.post("/referrals/{referral_id}/review", response_model=ReferralOut)
def review(
    session: DbSession, actor: CurrentActor, referral_id: IdPath, body: ReviewIn
) -> ReferralOut:
    require(actor, Permission.LOYALTY)
    view = review_referral(
        session, referral_id=referral_id, approve=body.approve, operator=actor.username,
        now=datetime.now(UTC),
    )  # fmt: skip
    record(session, actor, "referral.review", f"referral:{referral_id}", status=view.status)
    return ReferralOut.model_validate(view)


@router.get("/distributors", response_model=list[DistributorOut])
def distributors(session: DbSession, actor: CurrentActor) -> list[DistributorOut]:
    require_all_customers(actor)
    return [DistributorOut.model_validate(found) for found in list_distributors(session)]


@router.get("/distributors/{distributor_id}/ledger", response_model=Page[CommissionEntryOut])
def ledger(
    session: DbSession,
    actor: CurrentActor,
    distributor_id: IdPath,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> Page[CommissionEntryOut]:
    require_all_customers(actor)
    entries, total = commission_ledger(
        session, distributor_id, limit=page_size, offset=(page - 1) * page_size
    )
    items = [CommissionEntryOut.model_validate(entry) for entry in entries]
    return Page(items=items, total=total, page=page, page_size=page_size)


def _aware(moment: datetime | None, name: str) -> datetime | None:
    """A time in range (a time without an offset is UTC)."""
    moment = in_api_range(moment, name)
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@router.post("/distributors", response_model=DistributorOut, status_code=201)
def add_distributor(body: DistributorIn, session: DbSession, actor: CurrentActor) -> DistributorOut:
    """Appoint a distributor (a customer is tagged 身份/合伙人, the built-in `partner`)."""
    require(actor, Permission.LOYALTY)
    staff_id = staff_id_for(session, body.staff_userid) if body.staff_userid else None
    view = create_distributor(
        session, commission_bp=body.commission_bp, attribution_days=body.attribution_days,
        now=datetime.now(UTC), customer_id=body.customer_id, staff_id=staff_id,
    )  # fmt: skip
    record(session, actor, "distributor.add", f"distributor:{view.id}", code=view.code)
    return DistributorOut.model_validate(get_distributor(session, view.id))


@router.post("/distributors/{distributor_id}/bind", response_model=DistributorBindOut)
def bind(
    distributor_id: IdPath, body: DistributorBindIn, session: DbSession, actor: CurrentActor
) -> DistributorBindOut:
    """Bind a customer to the distributor by hand (the first binding wins)."""
    require(actor, Permission.LOYALTY)
    access_customer(session, actor, body.customer_id)
    bound = bind_customer(
        session, distributor_id=distributor_id, customer_id=body.customer_id,
        now=datetime.now(UTC),
    )  # fmt: skip
    if bound:
        target = f"distributor:{distributor_id}"
        record(session, actor, "distributor.bind", target, customer_id=body.customer_id)
    return DistributorBindOut(customer_id=body.customer_id, bound=bound)


@router.post("/distributors/{distributor_id}/payouts", response_model=PayoutOut)
def payout(
    distributor_id: IdPath, body: PayoutIn, session: DbSession, actor: CurrentActor
) -> PayoutOut:
    """Record a payout; refused (409) beyond what the distributor is owed."""
    require(actor, Permission.LOYALTY)
    left = pay_out(
        session, distributor_id=distributor_id, amount_fen=body.amount_fen,
        operator=actor.username, now=datetime.now(UTC),
    )  # fmt: skip
    record(session, actor, "distributor.payout", f"distributor:{distributor_id}",
           amount_fen=body.amount_fen)  # fmt: skip
    return PayoutOut(distributor_id=distributor_id, paid_fen=body.amount_fen, balance_fen=left)
