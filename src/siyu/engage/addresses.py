"""Turning claimed messages into envelopes: content bodies and each channel's address, read in
one query per kind for the whole batch. A message without an address fails permanently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.accounts.tables import StaffAccount, WecomContact
from siyu.customers.tables import CustomerIdentity
from siyu.engage.channels.base import DeliveryError, Envelope, Outcome
from siyu.engage.claim import Claimed
from siyu.engage.content import Content
from siyu.engage.tables import MessageContent

IDENTITY_KINDS = {"sms": "phone", "email": "email"}


@dataclass(frozen=True, slots=True)
class Resolved:
    envelopes: list[Envelope]
    failures: list[Outcome]


def resolve(session: Session, claimed: Sequence[Claimed]) -> Resolved:
    bodies: dict[str, dict[str, Any]] = dict(
        session.execute(
            select(MessageContent.content_hash, MessageContent.body).where(
                MessageContent.content_hash.in_({m.content_hash for m in claimed})
            )
        ).all()
    )
    people = {m.customer_id for m in claimed if m.customer_id is not None}
    found = identities(session, people, {m.channel for m in claimed})
    contacts = _contacts(session, {m.customer_id for m in claimed if m.channel == "wecom"})
    envelopes, failures = [], []
    for message in claimed:
        address = _address(message, found, contacts)
        if address is None:
            failure = DeliveryError("no_address", f"no {message.channel} address", transient=False)
            failures.append(failure.outcome(message.id))
            continue
        envelopes.append(
            Envelope(
                message_id=message.id,
                idempotency_key=message.idempotency_key,
                source=message.source,
                customer_id=message.customer_id,
                channel=message.channel,
                purpose=message.purpose,
                address=address,
                sender=message.sender,
                content=Content.from_body(bodies[message.content_hash]),
                content_hash=message.content_hash,
                attempt=message.attempts,
                expires_at=message.expires_at,
            )
        )
    return Resolved(envelopes, failures)


def _address(
    message: Claimed,
    identities: dict[tuple[str, int], str],
    contacts: dict[tuple[int, str], str],
) -> str | None:
    if message.recipient and message.recipient.startswith("chat:"):
        return message.recipient
    if message.customer_id is None:
        return None
    if message.channel in IDENTITY_KINDS:
        return identities.get((IDENTITY_KINDS[message.channel], message.customer_id))
    if message.channel == "wecom":
        return contacts.get((message.customer_id, message.sender or ""))
    return str(message.customer_id)


def identities(
    session: Session, people: set[int], channels: set[str]
) -> dict[tuple[str, int], str]:
    kinds = [IDENTITY_KINDS[c] for c in channels if c in IDENTITY_KINDS]
    if not kinds or not people:
        return {}
    rows = session.execute(
        select(CustomerIdentity.kind, CustomerIdentity.customer_id, CustomerIdentity.value)
        .where(
            CustomerIdentity.kind.in_(kinds),
            CustomerIdentity.is_strong,
            CustomerIdentity.customer_id.in_(people),
        )
        .order_by(CustomerIdentity.id.desc())
    ).all()
    return {(kind, customer): value for kind, customer, value in rows}  # the oldest wins


def _contacts(session: Session, people: set[int | None]) -> dict[tuple[int, str], str]:
    """(customer, staff userid) → external_userid of each active WeCom contact."""
    wanted = {p for p in people if p is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(WecomContact.customer_id, StaffAccount.userid, WecomContact.external_userid)
        .join(StaffAccount, StaffAccount.id == WecomContact.staff_id)
        .where(WecomContact.customer_id.in_(wanted), WecomContact.removed_at.is_(None))
    ).all()
    return {(int(c), str(u)): str(e) for c, u, e in rows if c is not None}
