"""What customers do with our messages: replies, clicks, opt-outs and unsubscribe links.

An opt-out takes effect at once: the consent row changes and the customer's pending marketing
messages on that channel are suppressed in the same transaction; a message already claimed is
stopped by the worker's recheck. Replies and clicks also teach the governor the customer's
hours (`siyu.engage.governor.hours`).

Unsubscribe tokens are `base64url(payload).base64url(HMAC-SHA256(secret, payload))` with
payload `v1:<customer>:<channel>:<message>`; they do not expire (an unsubscribe link must keep
working), and a forged or altered token is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.keys import normalise_phone
from siyu.customers.tables import CustomerIdentity
from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.governor.consent import check_channel_purpose, set_consent
from siyu.engage.tables import MessageInteraction, OutboxMessage

OPT_OUT_WORDS = frozenset({"TD", "T", "N", "R", "退订", "拒收", "STOP", "UNSUBSCRIBE"})
_PUNCTUATION = re.compile(r"[\s\.,!?。，！？、~～]+")


def is_opt_out(text: str) -> bool:
    """An SMS up-link or reply that asks to stop: TD, T, N, R, 退订, 拒收 (any case, spaces and
    trailing punctuation ignored)."""
    return _PUNCTUATION.sub("", text).upper() in OPT_OUT_WORDS


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    customer_id: int
    channel: str
    message_id: int


def make_unsubscribe_token(secret: str, customer_id: int, channel: str, message_id: int) -> str:
    payload = f"v1:{customer_id}:{channel}:{message_id}".encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def read_unsubscribe_token(secret: str, token: str) -> Unsubscribe:
    bad = EngageError(EngageErrorCode.BAD_TOKEN, "unsubscribe link is not valid")
    encoded, _, signature = token.partition(".")
    try:
        payload = _unb64(encoded)
        valid = hmac.compare_digest(_unb64(signature), _mac(secret, payload))
        version, customer, channel, message = payload.decode().split(":")
    except ValueError as error:
        raise bad from error
    if not valid or version != "v1" or not customer.isdigit() or not message.isdigit():
        raise bad
    return Unsubscribe(int(customer), channel, int(message))


def record_opt_out(
    session: Session, *, customer_id: int, channel: str, source: str, at: datetime
) -> int:
    """Refuse marketing on `channel` ('all' for every channel); returns suppressed messages."""
    suppressed = set_consent(
        session,
        customer_id=customer_id,
        channel=channel,
        purpose="marketing",
        granted=False,
        source=source,
        at=at,
    )
    _interaction(session, customer_id, None, channel, "opt_out", at, source)
    return suppressed


def unsubscribe(session: Session, *, secret: str, token: str, at: datetime) -> Unsubscribe:
    """An unsubscribe link was followed (or a List-Unsubscribe one-click POST arrived)."""
    request = read_unsubscribe_token(secret, token)
    _interaction(
        session,
        request.customer_id,
        request.message_id or None,
        request.channel,
        "unsubscribe",
        at,
        "link",
    )
    record_opt_out(
        session, customer_id=request.customer_id, channel=request.channel, source="link", at=at
    )
    return request


def record_reply(
    session: Session,
    *,
    customer_id: int,
    channel: str,
    text: str,
    at: datetime,
    message_id: int | None = None,
) -> bool:
    """A customer's reply; True when it was an opt-out."""
    check_channel_purpose(channel, "marketing")
    _interaction(session, customer_id, message_id, channel, "reply", at, text[:200])
    if not is_opt_out(text):
        return False
    record_opt_out(session, customer_id=customer_id, channel=channel, source=f"reply:{text}", at=at)
    return True


def record_sms_uplink(session: Session, *, phone: str, text: str, at: datetime) -> list[int]:
    """An SMS up-link (上行短信) from a phone: a reply from every customer holding it."""
    number = normalise_phone(phone)
    if number is None:
        raise EngageError(EngageErrorCode.INVALID_REQUEST, f"{phone!r} is not a phone number")
    customers = sorted(
        set(
            session.scalars(
                select(CustomerIdentity.customer_id).where(
                    CustomerIdentity.kind == "phone", CustomerIdentity.value == number
                )
            )
        )
    )
    for customer_id in customers:
        record_reply(session, customer_id=customer_id, channel="sms", text=text, at=at)
    return customers


def record_click(session: Session, *, message_id: int, at: datetime) -> None:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.customer_id is None:
        raise EngageError(EngageErrorCode.UNKNOWN_MESSAGE, f"no message {message_id} to a customer")
    _interaction(session, message.customer_id, message_id, message.channel, "click", at, "")


def _interaction(
    session: Session,
    customer_id: int,
    message_id: int | None,
    channel: str,
    kind: str,
    at: datetime,
    detail: str,
) -> None:
    session.add(
        MessageInteraction(
            customer_id=customer_id,
            message_id=message_id,
            channel=channel,
            kind=kind,
            occurred_at=at,
            detail=detail[:200],
        )
    )
    session.flush()


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
