"""Recording referrals (an invitee joining with a code) and reviewing flagged ones."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.tables import Customer
from siyu.loyalty.calendar import require_aware
from siyu.loyalty.codes import normalise_code
from siyu.loyalty.distributors import bind_to_inviter
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.referral_checks import refusal_reasons, review_reasons
from siyu.loyalty.rules import get_rules
from siyu.loyalty.tables import InviteCode, Referral


@dataclass(frozen=True, slots=True)
class ReferralView:
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def record_referral(
    session: Session, *, code: str, invitee_id: int, now: datetime, device_hint: str | None = None
) -> ReferralView:
    """The invitee joined with `code`: recorded as pending, or rejected (self-referral and the
    like, kept for the audit), or flagged for review (suspicious velocity or device)."""
    require_aware(now, "now")
    invite = session.scalars(
        select(InviteCode).where(InviteCode.code == normalise_code(code))
    ).one_or_none()
    if invite is None:
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CODE, f"no invite code {code!r}")
    invitee = session.get(Customer, invitee_id)
    if invitee is None or invitee.merged_into_id is not None:
        message = f"no live customer {invitee_id}"
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CUSTOMER, message)
    earlier = session.scalar(
        select(Referral.id).where(Referral.invitee_id == invitee_id, Referral.status != "rejected")
    )
    if earlier is not None:
        message = f"customer {invitee_id} was already referred (referral {earlier})"
        raise LoyaltyError(LoyaltyErrorCode.ALREADY_REFERRED, message)
    rules = get_rules(session)
    inviter_id = invite.customer_id
    status, reasons = (
        "pending",
        refusal_reasons(
            session, inviter_id=inviter_id, invitee_id=invitee_id, device_hint=device_hint, now=now
        ),
    )
    if reasons:
        status = "rejected"
    else:
        reasons = review_reasons(
            session,
            inviter_id=inviter_id,
            device_hint=device_hint,
            now=now,
            limit=rules.invites_per_hour_limit,
        )
        status = "flagged" if reasons else "pending"
    referral = Referral(
        inviter_id=inviter_id,
        invitee_id=invitee_id,
        invite_code=invite.code,
        status=status,
        device_hint=device_hint,
        note="; ".join(reasons)[:300],
        created_at=now,
        attribution_ends_at=now + timedelta(days=rules.attribution_days),
    )
    session.add(referral)
    session.flush()
    if status == "pending":
        bind_to_inviter(session, inviter_id=inviter_id, customer_id=invitee_id, now=now)
    return view_of(referral)


def review_referral(
    session: Session, *, referral_id: int, approve: bool, operator: str, now: datetime
) -> ReferralView:
    """Approve (back to pending, so it can qualify and be rewarded) or reject a flagged one."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        message = f"no referral {referral_id}"
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_REFERRAL, message)
    if referral.status != "flagged":
        message = f"referral {referral_id} is {referral.status}, only flagged ones are reviewed"
        raise LoyaltyError(LoyaltyErrorCode.NOT_REVIEWABLE, message)
    if not operator.strip():
        raise LoyaltyError(LoyaltyErrorCode.MISSING_REASON, "a review needs the operator's name")
    referral.status = "pending" if approve else "rejected"
    verdict = "approved" if approve else "rejected"
    referral.note = f"{referral.note}; {verdict} by {operator}"[:300]
    referral.reviewed_by = operator[:100]
    referral.reviewed_at = require_aware(now, "now")
    session.flush()
    if approve:
        bind_to_inviter(
            session, inviter_id=referral.inviter_id, customer_id=referral.invitee_id, now=now
        )
    return view_of(referral)


def view_of(referral: Referral) -> ReferralView:
    return ReferralView(
        referral.id,
        referral.inviter_id,
        referral.invitee_id,
        referral.invite_code,
        referral.status,
        referral.note,
        referral.device_hint,
        referral.created_at,
        referral.attribution_ends_at,
        referral.qualifying_order_id,
        referral.rewarded_at,
        referral.clawed_back_at,
    )
