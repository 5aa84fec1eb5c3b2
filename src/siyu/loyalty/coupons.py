"""Coupon templates and issuing coupons with unique, unguessable codes.

Issuing takes customer ids (a segment's members, a journey's audience): ids that are unknown
or merged away are skipped and counted; a customer already holding `per_customer_limit`
coupons of the template (revoked ones do not count) gets no more; with an `issue_key` (a
journey step, a referral reward) issuing again with the same key is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from siyu.customers.tables import Customer
from siyu.loyalty.calendar import require_aware
from siyu.loyalty.codes import new_codes
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.tables import COUPON_SOURCES, Coupon, CouponTemplate

CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class CouponTemplateSpec:
    name: str
    kind: str  # amount_off | percent_off
    valid_days: int
    amount_off_fen: int | None = None
    percent_off: int | None = None
    max_discount_fen: int | None = None
    min_spend_fen: int = 0
    per_customer_limit: int = 1

    def discount_fen(self, basket_fen: int) -> int:
        """What this coupon takes off a basket of `basket_fen` (0 under the threshold)."""
        if basket_fen < self.min_spend_fen:
            return 0
        if self.kind == "amount_off":
            return min(self.amount_off_fen or 0, basket_fen)
        off = basket_fen * (self.percent_off or 0) // 100
        return off if self.max_discount_fen is None else min(off, self.max_discount_fen)


@dataclass(frozen=True, slots=True)
class CouponTemplateView:
    id: int
    spec: CouponTemplateSpec

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id} | asdict(self.spec)


@dataclass(frozen=True, slots=True)
class IssueResult:
    template_id: int
    requested: int
    issued: int
    at_limit: int
    already_issued: int
    not_found: int
    codes: dict[int, str] = field(default_factory=dict)  # customer id → code issued now

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def create_template(session: Session, spec: CouponTemplateSpec) -> CouponTemplateView:
    _check_template(spec)
    if session.scalar(select(CouponTemplate.id).where(CouponTemplate.name == spec.name)):
        message = f"a coupon template named {spec.name!r} exists"
        raise LoyaltyError(LoyaltyErrorCode.DUPLICATE_NAME, message)
    template = CouponTemplate(**asdict(spec))
    session.add(template)
    session.flush()
    return CouponTemplateView(template.id, spec)


def get_template(session: Session, template_id: int) -> CouponTemplateView:
    template = session.get(CouponTemplate, template_id)
    if template is None:
        message = f"no coupon template {template_id}"
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_TEMPLATE, message)
    names = CouponTemplateSpec.__dataclass_fields__
    return CouponTemplateView(
        template.id, CouponTemplateSpec(**{name: getattr(template, name) for name in names})
    )


def _check_template(spec: CouponTemplateSpec) -> None:
    problem = None
    if not spec.name.strip():
        problem = "a template needs a name"
    elif spec.kind == "amount_off":
        if not spec.amount_off_fen or spec.amount_off_fen <= 0 or spec.percent_off is not None:
            problem = "an amount-off coupon needs a positive amount (and no percentage)"
    elif spec.kind == "percent_off":
        if spec.percent_off is None or not 1 <= spec.percent_off <= 99:
            problem = "a percent-off coupon takes 1 to 99 percent off"
        elif spec.amount_off_fen is not None:
            problem = "a percent-off coupon has no fixed amount (use the cap)"
    else:
        problem = f"kind must be amount_off or percent_off, not {spec.kind!r}"
    if problem is None and (spec.valid_days <= 0 or spec.per_customer_limit <= 0):
        problem = "validity days and the per-customer limit must be positive"
    if problem is None and (spec.min_spend_fen < 0 or (spec.max_discount_fen or 0) < 0):
        problem = "the threshold and the cap must not be negative"
    if problem:
        raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, problem)


def issue_coupons(
    session: Session,
    *,
    template_id: int,
    customer_ids: Sequence[int],
    source: str,
    now: datetime,
    issue_key: str | None = None,
) -> IssueResult:
    """One coupon of the template for each eligible customer in `customer_ids`."""
    require_aware(now, "now")
    if source not in COUPON_SOURCES:
        raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, f"unknown coupon source {source!r}")
    template = get_template(session, template_id)
    wanted = sorted(set(customer_ids))
    live = set(_live(session, wanted))
    held = _held(session, template_id, sorted(live))
    keyed = set(_keyed(session, template_id, sorted(live), issue_key)) if issue_key else set()
    limit = template.spec.per_customer_limit
    at_limit = {cid for cid in live - keyed if held.get(cid, 0) >= limit}
    chosen = sorted(live - keyed - at_limit)
    codes = insert_coupons(
        session, template, [(customer_id, issue_key) for customer_id in chosen], source, now
    )
    return IssueResult(
        template_id=template_id,
        requested=len(wanted),
        issued=len(chosen),
        at_limit=len(at_limit),
        already_issued=len(keyed),
        not_found=len(wanted) - len(live),
        codes=dict(zip(chosen, codes, strict=True)) if len(chosen) <= 100 else {},
    )


def insert_coupons(
    session: Session,
    template: CouponTemplateView,
    holders: Sequence[tuple[int, str | None]],
    source: str,
    now: datetime,
) -> list[str]:
    """Insert one coupon per (customer id, issue key), valid from `now`; returns the codes."""
    codes = _fresh_codes(session, len(holders))
    until = now + timedelta(days=template.spec.valid_days)
    rows = [
        {
            "template_id": template.id,
            "customer_id": customer_id,
            "code": code,
            "status": "issued",
            "source": source,
            "issue_key": issue_key,
            "issued_at": now,
            "valid_from": now,
            "valid_until": until,
        }
        for (customer_id, issue_key), code in zip(holders, codes, strict=True)
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(Coupon), rows[start : start + CHUNK])
    session.flush()
    return codes


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _live(session: Session, ids: Sequence[int]) -> Iterator[int]:
    for chunk in _chunks(ids):
        yield from session.scalars(
            select(Customer.id).where(Customer.id.in_(chunk), Customer.merged_into_id.is_(None))
        )


def _held(session: Session, template_id: int, ids: Sequence[int]) -> dict[int, int]:
    held: dict[int, int] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Coupon.customer_id, func.count())
            .where(
                Coupon.template_id == template_id,
                Coupon.customer_id.in_(chunk),
                Coupon.status != "revoked",
            )
            .group_by(Coupon.customer_id)
        )
        held.update((int(customer_id), int(count)) for customer_id, count in rows)
    return held


def _keyed(session: Session, template_id: int, ids: Sequence[int], key: str) -> Iterator[int]:
    for chunk in _chunks(ids):
        yield from session.scalars(
            select(Coupon.customer_id).where(
                Coupon.template_id == template_id,
                Coupon.customer_id.in_(chunk),
                Coupon.issue_key == key,
            )
        )


def _fresh_codes(session: Session, count: int) -> list[str]:
    """`count` new codes that no stored coupon uses (a clash is ~1 in 10^9 per code)."""
    codes = new_codes(count)
    clashes: set[str] = set()
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        clashes.update(session.scalars(select(Coupon.code).where(Coupon.code.in_(chunk))))
    if not clashes:
        return codes
    replacements = iter(new_codes(len(clashes), taken=set(codes) | clashes))
    return [next(replacements) if code in clashes else code for code in codes]
