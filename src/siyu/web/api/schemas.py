"""API payloads (separate from the tables): what clients send and receive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import BaseModel, Field

from siyu.errors import InvalidInputError
from siyu.web.api.loyalty_schemas import MemberOut

Item = TypeVar("Item")
MAX_ID = 2**63 - 1
FIRST_YEAR, LAST_YEAR = 1900, 9000  # dates the API takes: day and month arithmetic stays in range
Moment = TypeVar("Moment", bound=date)


def in_api_range(moment: Moment | None, name: str) -> Moment | None:
    """The date or time as given, or InvalidInputError (422) outside the accepted years."""
    if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InvalidInputError(
            f"{name} {moment.isoformat()} is outside the years {FIRST_YEAR} to {LAST_YEAR}"
        )
    return moment


IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A row id")]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    total: int
    page: int
    page_size: int


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class CustomerOut(BaseModel):
    id: int
    display_name: str | None
    phone: str | None = Field(description="Masked unless the caller's role may see phones")
    stage: str | None
    orders: int
    net_revenue_fen: int
    last_order_at: datetime | None
    rfm_segment: str | None
    reachable: bool
    clv_fen: int | None


class IdentityOut(BaseModel):
    kind: str
    scope: str
    value: str
    is_strong: bool
    linked_by: str
    source: str


class Customer360(BaseModel):
    id: int
    display_name: str | None
    merged_into_id: int | None
    stage: str | None
    stage_since: date | None
    identities: list[IdentityOut]
    merges: list[dict[str, Any]]
    profile: dict[str, Any] | None
    timeline: list[dict[str, Any]]
    activity: dict[str, Any]
    member: MemberOut = Field(description="Tier, points balance, coupons held, referrals")
    segments: list[dict[str, Any]] = Field(
        default_factory=list, description="Segments the customer is in, each with why"
    )
    messages: list[dict[str, Any]] = Field(
        default_factory=list, description="The newest outbox messages to the customer"
    )
    quota: dict[str, Any] | None = Field(default=None, description="Contact quota left")


class ImportOut(BaseModel):
    import_id: int
    format: str
    file: str
    resumed_after_line: int
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    warnings: int
    new_customers: int
    merges: int
    rejects_file: str | None


class ImportRunOut(BaseModel):
    id: int
    format: str
    file_name: str
    state: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    warnings: int
    started_at: datetime
    finished_at: datetime | None


class Me(BaseModel):
    id: int
    username: str
    role: str
    permissions: list[str]
