"""Campaign payloads for /api/v1/campaigns (separate from the tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from siyu.web.api.schemas import FIRST_YEAR, LAST_YEAR, MAX_ID


def _plain(text: str) -> str:
    """Refuse what no column can hold: NUL characters and unpaired surrogates."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("must be valid Unicode text") from error
    return text


def _in_range(moment: datetime | None) -> datetime | None:
    if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return moment


class VariantIn(BaseModel):
    key: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,16}$")]
    text: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_plain)]
    weight: Annotated[int, Field(ge=1, le=1000)] = 1
    subject: Annotated[str, Field(max_length=200), AfterValidator(_plain)] = ""
    link_url: Annotated[str, Field(max_length=500), AfterValidator(_plain)] = ""
    template_code: Annotated[str, Field(max_length=64), AfterValidator(_plain)] = ""


class CampaignCreate(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_plain)]
    segment: Annotated[
        str,
        Field(min_length=1, max_length=100, description="A saved segment's name or code"),
        AfterValidator(_plain),
    ]
    channel: Annotated[str, Field(max_length=16, description="wecom|sms|email|webhook|console")]
    variants: Annotated[list[VariantIn], Field(min_length=1, max_length=10)]
    purpose: Annotated[str, Field(max_length=16)] = "marketing"
    holdout_share: Annotated[float, Field(ge=0, lt=1)] = 0.10
    seed: Annotated[int | None, Field(ge=0, le=2**31 - 1)] = None
    scheduled_at: Annotated[AwareDatetime | None, AfterValidator(_in_range)] = None
    valid_days: Annotated[int, Field(ge=1, le=31)] = 3
    attribution_days: Annotated[int, Field(ge=1, le=365)] = 14
    coupon_template_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None


class VariantOut(BaseModel):
    key: str
    weight: int
    text: str
    subject: str
    link_url: str
    template_code: str


class CampaignOut(BaseModel):
    id: int
    name: str
    segment: str | None
    channel: str
    purpose: str
    status: str
    holdout_share: float
    seed: int
    scheduled_at: datetime | None
    valid_days: int
    attribution_days: int
    coupon_template_id: int | None
    created_by: str
    created_at: datetime
    launched_at: datetime | None
    cancelled_at: datetime | None
    recipients: int
    variants: list[VariantOut]


class CampaignList(BaseModel):
    items: list[CampaignOut]
    total: int


class StratumOut(BaseModel):
    stratum: str
    audience: int
    holdout: int


class PreviewOut(BaseModel):
    campaign_id: int
    audience: int
    holdout: int
    strata: list[StratumOut]
    variants: dict[str, int]
    at_once: int = Field(description="Messages that would go at the start of the window")
    later: int = Field(description="Moved to a later slot by caps, quiet or preferred hours")
    suppressed: dict[str, int] = Field(description="Suppressed messages by reason")
    already_planned: int


class PlanOut(BaseModel):
    requested: int
    already_planned: int
    queued: int
    planned: int
    deferred: int
    suppressed: dict[str, int]


class LaunchOut(BaseModel):
    campaign_id: int
    launched: bool = Field(description="False: it was launched before and nothing was done")
    recipients: int
    holdout: int
    coupons: int
    plan: PlanOut | None


class CancelOut(BaseModel):
    campaign_id: int
    status: str
    suppressed: int


class ArmOut(BaseModel):
    arm: str = Field(description="A variant key, 'all' (every variant) or 'holdout'")
    customers: int
    converters: int
    conversion_rate: float | None
    revenue: float = Field(description="Yuan, paid net of refunds, in the window")
    revenue_per_customer: float | None
    messages: dict[str, int]


class IntervalOut(BaseModel):
    estimate: float
    low: float
    high: float


class LiftOut(BaseModel):
    arm: str
    conversion: IntervalOut = Field(description="Difference of conversion rates, Newcombe 95%")
    relative_conversion: float | None
    revenue_per_customer: IntervalOut | None = Field(description="Yuan, Welch 95%")
    incremental_revenue: IntervalOut | None = Field(description="Yuan, Welch 95% × customers")


class ResultsOut(BaseModel):
    campaign_id: int
    window_start: datetime | None
    window_end: datetime | None
    final: bool
    arms: list[ArmOut]
    lifts: list[LiftOut]
