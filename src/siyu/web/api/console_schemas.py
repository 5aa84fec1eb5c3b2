"""Payloads of the segments, tags, outbox and settings API (separate from the tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from siyu.web.api.schemas import MAX_ID

Name = Field(min_length=1, max_length=100)
RuleDocument = Field(
    description='A rule document, e.g. {"version": 1, "rule": {"field": "stage", "op": "=", '
    '"value": "loyal"}} (docs/segments.md)'
)


class SegmentOut(BaseModel):
    id: int
    name: str
    code: str | None
    is_builtin: bool
    description: str
    members: int
    materialised_as_of: date | None
    unavailable: str | None


class SegmentCountPoint(BaseModel):
    on: date
    members: int
    entered: int
    exited: int


class SegmentDetail(SegmentOut):
    rule: dict[str, Any]
    counts: list[SegmentCountPoint]


class SegmentCreate(BaseModel):
    name: str = Name
    description: str = Field(default="", max_length=2000)
    rule: Any = RuleDocument


class SegmentUpdate(BaseModel):
    description: str | None = Field(default=None, max_length=2000)
    rule: Any = RuleDocument


class DraftRule(BaseModel):
    rule: Any = RuleDocument
    as_of: date | None = Field(default=None, description="Evaluate as of this day (default today)")


class RuleProblemOut(BaseModel):
    path: str = Field(description="The JSON path of the problem, e.g. $.rule.and[2].field")
    code: str
    message: str


class DraftCountOut(BaseModel):
    count: int | None
    as_of: date
    errors: list[RuleProblemOut]


class SavedOut(BaseModel):
    id: int
    name: str
    members: int
    entered: int
    exited: int


class MemberOut(BaseModel):
    customer_id: int
    entered_at: datetime
    stage: str | None
    rfm_segment: str | None
    orders: int | None
    net_revenue_fen: int | None
    clv_fen: int | None
    p_alive: float | None
    last_order_at: datetime | None


class ExplanationOut(BaseModel):
    segment: str
    customer_id: int
    as_of: date
    is_match: bool
    merged_into_id: int | None
    tree: dict[str, Any]


class TagOut(BaseModel):
    name: str
    provenance: str
    customers: int
    wecom_tag_id: str | None


class TagGroupOut(BaseModel):
    name: str | None = Field(description="None for tags outside any group")
    is_exclusive: bool
    tags: list[TagOut]


class TagCreate(BaseModel):
    name: str = Name
    group: str | None = Field(default=None, min_length=1, max_length=100)
    exclusive: bool | None = Field(default=None, description="Make the group exclusive (or not)")


class TagApply(BaseModel):
    tag: str = Name
    group: str | None = Field(default=None, min_length=1, max_length=100)
    action: Literal["add", "remove"] = "add"
    customer_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=10_000
    )
    segment_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class TagChangeOut(BaseModel):
    tag: str
    added: int
    removed: int
    removed_from_group: int


class MessageOut(BaseModel):
    id: int
    idempotency_key: str
    source: str
    customer_id: int | None
    channel: str
    purpose: str
    state: str
    reason: str | None
    scheduled_at: datetime | None
    attempts: int


class OutboxPage(BaseModel):
    items: list[MessageOut]
    counts: dict[str, int] = Field(description="Matching messages per state")
    page: int
    page_size: int


class AttemptOut(BaseModel):
    attempt: int
    worker: str | None
    outcome: str | None
    error_kind: str | None
    detail: str | None
    started_at: datetime | None
    finished_at: datetime | None


class MessageDetailOut(BaseModel):
    message: dict[str, Any]
    content: dict[str, Any]
    attempts: list[AttemptOut]


class ChannelCapIn(BaseModel):
    per_day: int | None = Field(default=None, ge=0, le=1000)
    per_week: int | None = Field(default=None, ge=0, le=1000)


class ContactPolicyIn(BaseModel):
    cap_per_day: int | None = Field(ge=0, le=1000, description="All channels, per local day")
    cap_per_week: int | None = Field(ge=0, le=1000, description="All channels, any 7 days")
    quiet_start: int = Field(ge=0, le=23, description="Quiet from this hour …")
    quiet_end: int = Field(ge=0, le=23, description="… to this hour (equal: no quiet hours)")
    default_hour: int | None = Field(ge=0, le=23, description="When a customer's is unknown")
    repeat_days: int = Field(ge=0, le=365, description="No identical content within N days")
    channel_caps: dict[str, ChannelCapIn] | None = Field(
        default=None, description="Per-channel caps; leave out to keep the current ones"
    )


class ContactPolicyOut(ContactPolicyIn):
    stored: bool = Field(description="Whether the console's settings apply (else the defaults)")
    timezone: str


class LifecycleIn(BaseModel):
    loyal_min_purchases: int = Field(ge=2, le=100)
    dormant_factor: float = Field(ge=1, le=50)
    churn_factor: float = Field(gt=1, le=100)
    fallback_interval_days: float = Field(ge=1, le=3650)
    category_half_life_days: float = Field(ge=1, le=3650)


class StaffOut(BaseModel):
    userid: str
    name: str | None
    is_active: bool


class UserOut(BaseModel):
    username: str
    role: str
    is_active: bool


class SettingsOut(BaseModel):
    contact_policy: ContactPolicyOut
    lifecycle: LifecycleIn
    timezone: str
    staff: list[StaffOut]
    users: list[UserOut] = Field(description="Listed for admins only")
