"""Personal invite codes, invite links and the data for a share poster."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.tables import Customer
from siyu.loyalty.codes import new_code
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.rules import get_rules
from siyu.loyalty.tables import InviteCode


@dataclass(frozen=True, slots=True)
class Invitation:
    """What a share poster needs: who invites, the code, the link and the QR code's text."""

    customer_id: int
    inviter_display_name: str
    code: str
    link: str
    qr_payload: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def invitation_for(
    session: Session,
    *,
    customer_id: int,
    device_hint: str | None = None,
    base_url: str | None = None,
) -> Invitation:
    """The customer's personal invitation (their code is created on first use)."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.merged_into_id is not None:
        message = f"no live customer {customer_id}"
        raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CUSTOMER, message)
    code = session.scalars(
        select(InviteCode.code)
        .where(InviteCode.customer_id == customer_id)
        .order_by(InviteCode.id)
        .limit(1)
    ).first()
    if code is None:
        code = _new_invite_code(session)
        session.add(InviteCode(customer_id=customer_id, code=code, device_hint=device_hint))
        session.flush()
    link = invite_link(base_url or get_rules(session).invite_base_url, code)
    return Invitation(customer_id, customer.display_name or "", code, link, link)


def invite_link(base_url: str, code: str) -> str:
    """`base_url` with `code=<code>` added to its query."""
    parts = urlsplit(base_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("code", code)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _new_invite_code(session: Session) -> str:
    while True:
        code = new_code()
        if session.scalar(select(InviteCode.id).where(InviteCode.code == code)) is None:
            return code
