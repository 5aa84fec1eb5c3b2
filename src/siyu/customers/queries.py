"""Reading customers: the identity part of the customer 360."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from siyu.analytics.tables import CustomerProfile, StageTransition
from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.customers.tables import Customer, CustomerIdentity, CustomerMerge
from siyu.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class IdentityView:
    kind: str
    scope: str
    value: str
    is_strong: bool
    linked_by: str
    source: str


@dataclass(frozen=True, slots=True)
class MergeView:
    merge_id: int
    kept_id: int
    merged_id: int
    reason: str
    source: str
    merged_at: datetime
    undone_at: datetime | None


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: int
    display_name: str | None
    merged_into_id: int | None
    identities: list[IdentityView]
    merges: list[MergeView]
    orders: int
    net_revenue_fen: int
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)
        extra: dict[str, Any] = data.pop("extra")
        return data | extra


def get_customer(session: Session, customer_id: int) -> CustomerView:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"no customer {customer_id}")
    identities = [
        IdentityView(row.kind, row.scope, row.value, row.is_strong, row.linked_by, row.source)
        for row in session.scalars(
            select(CustomerIdentity)
            .where(CustomerIdentity.customer_id == customer_id)
            .order_by(CustomerIdentity.id)
        )
    ]
    merges = [
        MergeView(m.id, m.kept_id, m.merged_id, m.reason, m.source, m.merged_at, m.undone_at)
        for m in session.scalars(
            select(CustomerMerge)
            .where(
                (CustomerMerge.kept_id == customer_id) | (CustomerMerge.merged_id == customer_id)
            )
            .order_by(CustomerMerge.id)
        )
    ]
    orders, revenue = session.execute(
        select(func.count(), func.coalesce(func.sum(Order.paid_fen - Order.refunded_fen), 0)).where(
            Order.customer_id == customer_id, Order.status.in_(REVENUE_STATUSES)
        )
    ).one()
    return CustomerView(
        id=customer.id,
        display_name=customer.display_name,
        merged_into_id=customer.merged_into_id,
        identities=identities,
        merges=merges,
        orders=int(orders),
        net_revenue_fen=int(revenue),
        extra=_profile(session, customer_id),
    )


PROFILE_FIELDS = (
    "orders", "purchase_days", "items", "net_revenue_fen", "aov_fen", "first_order_at",
    "last_order_at", "mean_repeat_days", "median_repeat_days", "expected_interval_days",
    "by_platform", "by_shop", "category_scores", "top_category", "acquisition_channel",
    "has_value_behaviour", "last_event_at", "reachable", "deleted_staff", "dormant_on",
    "churned_on", "rfm_r", "rfm_f", "rfm_m", "rfm_segment", "p_alive", "expected_purchases_30",
    "expected_purchases_90", "expected_purchases_365", "expected_order_value_fen", "clv_fen",
    "next_purchase_on", "clv_model",
)  # fmt: skip


def _profile(session: Session, customer_id: int) -> dict[str, Any]:
    """The stage, the profile figures (under stable keys) and the lifecycle timeline."""
    profile = session.get(CustomerProfile, customer_id)
    timeline = [
        {"from": row.from_stage, "to": row.to_stage, "on": row.changed_on}
        for row in session.scalars(
            select(StageTransition)
            .where(StageTransition.customer_id == customer_id)
            .order_by(StageTransition.changed_on, StageTransition.id)
        )
    ]
    if profile is None:
        return {"stage": None, "stage_since": None, "profile": None, "timeline": timeline}
    return {
        "stage": profile.stage,
        "stage_since": profile.stage_since,
        "profile": {name: getattr(profile, name) for name in PROFILE_FIELDS},
        "timeline": timeline,
    }


def find_customers(session: Session, text: str, limit: int = 20) -> list[int]:
    """Customers whose identity value or name contains `text` (phone, buyer id, unionid…)."""
    pattern = f"%{text}%"
    by_identity = select(CustomerIdentity.customer_id).where(CustomerIdentity.value.like(pattern))
    by_name = select(Customer.id).where(Customer.display_name.like(pattern))
    rows = session.scalars(
        select(Customer.id)
        .where(Customer.id.in_(by_identity.union(by_name)), Customer.merged_into_id.is_(None))
        .order_by(Customer.id)
        .limit(limit)
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    id: int
    display_name: str | None
    phone: str | None  # E.164; mask it for roles that may not see it (mask_phone)
    stage: str | None
    orders: int
    net_revenue_fen: int
    last_order_at: datetime | None
    rfm_segment: str | None
    reachable: bool
    clv_fen: int | None


def list_customers(
    session: Session,
    *,
    scope: ColumnElement[bool],
    text: str | None = None,
    stage: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CustomerSummary], int]:
    """A page of live customers within `scope` (an access clause on customers.id), newest
    buyers first, optionally matching `text` (any identity value or the name) and a stage."""
    phone = (
        select(func.min(CustomerIdentity.value))
        .where(CustomerIdentity.customer_id == Customer.id, CustomerIdentity.kind == "phone")
        .scalar_subquery()
    )
    query = (
        select(Customer.id, Customer.display_name, phone, CustomerProfile)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
        .where(Customer.merged_into_id.is_(None), scope)
    )
    if text:
        pattern = f"%{text}%"
        by_identity = select(CustomerIdentity.customer_id).where(
            CustomerIdentity.value.like(pattern)
        )
        query = query.where(Customer.id.in_(by_identity) | Customer.display_name.like(pattern))
    if stage:
        query = query.where(CustomerProfile.stage == stage)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(CustomerProfile.last_order_at.desc().nulls_last(), Customer.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [_summary(row) for row in rows], int(total)


def _summary(row: Any) -> CustomerSummary:
    customer_id, name, phone, profile = row
    return CustomerSummary(
        id=customer_id,
        display_name=name,
        phone=phone,
        stage=profile.stage if profile else None,
        orders=profile.orders if profile else 0,
        net_revenue_fen=profile.net_revenue_fen if profile else 0,
        last_order_at=profile.last_order_at if profile else None,
        rfm_segment=profile.rfm_segment if profile else None,
        reachable=profile.reachable if profile else False,
        clv_fen=profile.clv_fen if profile else None,
    )


def mask_phone(phone: str | None) -> str | None:
    """+8613812345678 → 138****5678 (PII masking for roles that may not see phones)."""
    if not phone:
        return phone
    digits = phone.removeprefix("+86")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"


_PHONE_IN_TEXT = re.compile(r"(?:\+86)?(1[3-9]\d)\d{4}(\d{4})")


def mask_phones_in(text: str | None) -> str | None:
    """Mask every mainland mobile number inside free text (link reasons, merge reasons)."""
    if not text:
        return text
    return _PHONE_IN_TEXT.sub(r"\1****\2", text)
