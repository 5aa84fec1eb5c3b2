"""Anti-abuse checks on a new referral.

Refused (status `rejected`): the invitee is the inviter (after OneID); the two share an
identity (phone, unionid, openid, e-mail, WeCom id, address — exactly, or a masked phone that
fits the other's phone); the invitee's device is the inviter's (the device their code was made
on, or the one they joined on); the invitee already bought; the invitee is up the inviter's own
chain (a cycle). Flagged for review (status `flagged`, never paid automatically): more than
`invites_per_hour_limit` invitations by the inviter within an hour, or a device another of the
inviter's invitees already used.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.customers.tables import CustomerIdentity
from siyu.loyalty.tables import InviteCode, Referral

SHARED_KINDS = ("phone", "unionid", "openid", "email", "external_userid", "address", "masked_phone")


def refusal_reasons(
    session: Session, *, inviter_id: int, invitee_id: int, device_hint: str | None, now: datetime
) -> list[str]:
    if inviter_id == invitee_id:
        return ["self-referral: same customer"]
    reasons = [
        f"self-referral: same {kind}"
        for kind in _shared_identities(session, inviter_id, invitee_id)
    ]
    if device_hint and device_hint in _inviter_devices(session, inviter_id):
        reasons.append("self-referral: same device")
    bought = select(Order.id).where(
        Order.customer_id == invitee_id, Order.status.in_(REVENUE_STATUSES), Order.ordered_at < now
    )
    if session.scalar(bought.limit(1)) is not None:
        reasons.append("the invitee is already a customer")
    if invitee_id in _chain_above(session, inviter_id):
        reasons.append("cycle: the invitee referred the inviter's chain")
    return reasons


def review_reasons(
    session: Session, *, inviter_id: int, device_hint: str | None, now: datetime, limit: int
) -> list[str]:
    reasons = []
    recent = session.scalar(
        select(func.count()).where(
            Referral.inviter_id == inviter_id, Referral.created_at > now - timedelta(hours=1)
        )
    )
    if int(recent or 0) + 1 > limit:
        reasons.append(
            f"velocity: {int(recent or 0) + 1} invitations within an hour (limit {limit})"
        )
    if device_hint:
        shared = session.scalar(
            select(Referral.id)
            .where(Referral.inviter_id == inviter_id, Referral.device_hint == device_hint)
            .limit(1)
        )
        if shared is not None:
            reasons.append(f"device shared with referral {shared}")
    return reasons


def _shared_identities(session: Session, inviter_id: int, invitee_id: int) -> list[str]:
    rows = session.execute(
        select(CustomerIdentity.customer_id, CustomerIdentity.kind, CustomerIdentity.value).where(
            CustomerIdentity.customer_id.in_((inviter_id, invitee_id)),
            CustomerIdentity.kind.in_(SHARED_KINDS),
        )
    ).all()
    mine = {(kind, value) for owner, kind, value in rows if owner == inviter_id}
    theirs = {(kind, value) for owner, kind, value in rows if owner == invitee_id}
    shared = {kind for kind, _ in mine & theirs}
    if _masked_fits(mine, theirs) or _masked_fits(theirs, mine):
        shared.add("phone (masked)")
    return sorted(shared)


def _masked_fits(masked_side: set[tuple[str, str]], phone_side: set[tuple[str, str]]) -> bool:
    masks = [value for kind, value in masked_side if kind == "masked_phone"]
    phones = [value.removeprefix("+86") for kind, value in phone_side if kind == "phone"]
    return any(masked_matches(mask, phone) for mask in masks for phone in phones)


def masked_matches(mask: str, phone_digits: str) -> bool:
    """Whether a masked phone (`138****1234`) could be `phone_digits`."""
    pattern = "".join(char for char in mask if char.isdigit() or char == "*")
    return (
        len(pattern) == len(phone_digits)
        and "*" in pattern
        and all(shown in ("*", digit) for shown, digit in zip(pattern, phone_digits, strict=True))
    )


def _inviter_devices(session: Session, inviter_id: int) -> set[str]:
    made_on = select(InviteCode.device_hint).where(
        InviteCode.customer_id == inviter_id, InviteCode.device_hint.is_not(None)
    )
    joined_on = select(Referral.device_hint).where(
        Referral.invitee_id == inviter_id, Referral.device_hint.is_not(None)
    )
    return {hint for hint in session.scalars(made_on.union(joined_on)) if hint}


def _chain_above(session: Session, customer_id: int, depth_limit: int = 100) -> set[int]:
    """The inviters above `customer_id` (their inviter, that one's inviter, …)."""
    live = Referral.status != "rejected"
    chain = (
        select(Referral.inviter_id.label("id"), literal(1).label("depth"))
        .where(Referral.invitee_id == customer_id, live)
        .cte("chain", recursive=True)
    )
    step = (
        select(Referral.inviter_id, chain.c.depth + 1)
        .join(chain, Referral.invitee_id == chain.c.id)
        .where(live, chain.c.depth < depth_limit)
    )
    chain = chain.union_all(step)
    return set(session.scalars(select(chain.c.id)))
