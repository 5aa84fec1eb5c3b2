"""API payloads of the member programme (/api/v1/loyalty): money in fen, times in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_POINTS = 10_000_000
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL characters


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TierLevelOut(Out):
    code: str
    name: str
    rank: int
    min_spend_fen: int | None
    min_orders: int | None
    points_multiplier_percent: int
    discount_percent: int
    free_shipping: bool
    exclusive_activities: bool
    priority_service: bool
    privileges: list[str]
    members: int = Field(description="Customers currently at this level")


class TierRecomputeIn(BaseModel):
    as_of: datetime | None = Field(None, description="Evaluate as of (default: now)")


class TierRecomputeOut(Out):
    as_of: datetime
    members: int
    joined: int
    upgraded: int
    downgraded: int
    renewed: int


class ExpiringLotOut(Out):
    expires_at: datetime
    points: int


class PointsBalanceOut(Out):
    customer_id: int
    balance: int
    expiring: list[ExpiringLotOut] = Field(description="What the balance is made of, by expiry")


class PointsEntryOut(Out):
    id: int
    kind: str
    points: int
    shortfall: int
    occurred_at: datetime
    order_id: int | None
    referral_id: int | None
    reason: str
    operator: str


class PointsAdjustIn(BaseModel):
    points: int = Field(
        ge=-MAX_POINTS, le=MAX_POINTS, description="Points to add; negative to take"
    )
    reason: str = Field(
        min_length=1, max_length=300, pattern=NO_NUL, description="Why (kept on the ledger)"
    )


class CouponTemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    kind: Literal["amount_off", "percent_off"]
    valid_days: int = Field(ge=1, le=3650)
    amount_off_fen: int | None = Field(None, ge=1, le=10**10)
    percent_off: int | None = Field(None, ge=1, le=99)
    max_discount_fen: int | None = Field(None, ge=0, le=10**10)
    min_spend_fen: int = Field(0, ge=0, le=10**10)
    per_customer_limit: int = Field(1, ge=1, le=1000)


class CouponTemplateOut(CouponTemplateIn):
    id: int


class CouponIssueIn(BaseModel):
    segment: str = Field(
        min_length=1, max_length=100, pattern=NO_NUL, description="A saved segment's name"
    )
    issue_key: str | None = Field(
        None,
        max_length=100,
        pattern=NO_NUL,
        description="Idempotency key: issuing again with it is a no-op",
    )


class CouponIssueOut(Out):
    template_id: int
    requested: int
    issued: int
    at_limit: int
    already_issued: int
    not_found: int


class CouponResultsOut(Out):
    template_id: int
    name: str
    issued: int
    redeemed: int
    expired: int
    revoked: int
    redemption_rate: float
    redeeming_revenue_fen: int
    revenue_per_redeemer_fen: int
    non_redeemers: int
    non_redeemer_revenue_fen: int
    revenue_per_non_redeemer_fen: int


class ReferralNodeOut(Out):
    customer_id: int
    status: str | None
    joined_at: datetime | None
    invitees: list[ReferralNodeOut]


class TopReferrerOut(Out):
    customer_id: int
    display_name: str
    invitations: int
    converted: int


class ReferralStatsOut(Out):
    since: datetime | None
    until: datetime | None
    referrals: int
    rejected: int
    flagged: int
    referrers: int
    converted: int
    invites_per_referrer: float
    invitee_conversion: float
    paying_customers: int
    k_factor: float
    tree_depth: int
    top_referrers: list[TopReferrerOut]


class ReferralOut(Out):
    id: int
    inviter_id: int
    invitee_id: int
    invite_code: str
    status: str
    note: str
    device_hint: str | None
    created_at: datetime
    attribution_ends_at: datetime
    qualifying_order_id: int | None
    rewarded_at: datetime | None
    clawed_back_at: datetime | None


class ReviewIn(BaseModel):
    approve: bool = Field(description="true approves (the referral may then be rewarded)")


class DistributorIn(BaseModel):
    """A distributing customer (`customer_id`) or a staff member (`staff_userid`), not both."""

    customer_id: int | None = Field(default=None, ge=1, le=2**62)
    staff_userid: str | None = Field(default=None, min_length=1, max_length=64, pattern=NO_NUL)
    commission_bp: int = Field(default=1000, ge=0, le=10_000, description="1000 = 10%")
    attribution_days: int = Field(default=30, ge=1, le=3650)


class DistributorBindIn(BaseModel):
    customer_id: int = Field(ge=1, le=2**62)


class DistributorBindOut(BaseModel):
    customer_id: int
    bound: bool = Field(description="false: bound already (the first binding wins) or the owner")


class PayoutIn(BaseModel):
    amount_fen: int = Field(ge=1, le=10**12, description="Paid out, at most what is owed")


class PayoutOut(BaseModel):
    distributor_id: int
    paid_fen: int
    balance_fen: int


class DistributorOut(Out):
    id: int
    code: str
    customer_id: int | None
    staff_id: int | None
    name: str
    commission_bp: int
    attribution_days: int
    is_active: bool
    bound_customers: int
    earned_fen: int
    paid_out_fen: int
    balance_fen: int
    created_at: datetime


class CommissionEntryOut(Out):
    id: int
    kind: str
    amount_fen: int
    order_id: int | None
    occurred_at: datetime
    reason: str
    operator: str


class MemberOut(Out):
    """The customer 360's member part."""

    tier: str | None
    tier_name: str | None
    tier_since: datetime | None
    tier_period_ends_at: datetime | None
    points_balance: int
    coupons_held: int
    referrer_id: int | None
    invitees: int
