"""Consent per customer, channel and purpose, and what a message may do without a record.

A customer's decision for a channel and purpose is the latest `consents` row for that channel
or for 'all'. Without one, the channel's default applies: marketing by SMS or e-mail needs an
explicit grant (commercial SMS and mail need the recipient's consent); marketing through the
WeCom contact the customer added, the merchant's webhook or the console is allowed until the
customer opts out; service messages are allowed. A personalised message (PIPL art. 24:
marketing based on the customer's data) needs marketing consent and no refusal of
personalisation; refusing marketing refuses personalisation too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.tables import CHANNELS, CONSENT_CHANNELS, PURPOSES, Consent, OutboxMessage

Int = NDArray[np.int64]
Bool = NDArray[np.bool_]
NEEDS_GRANT = frozenset({("sms", "marketing"), ("email", "marketing")})
PENDING = ("planned", "queued")


def default_granted(channel: str, purpose: str) -> bool:
    return (channel, purpose) not in NEEDS_GRANT


@dataclass(frozen=True, slots=True)
class ConsentRows:
    customer: Int
    channel: NDArray[np.str_]
    purpose: NDArray[np.str_]
    granted: Bool
    order: Int  # (at, id) rank: later decisions win


def load_consents(session: Session, customer_ids: Sequence[int] | None = None) -> ConsentRows:
    query = select(Consent.customer_id, Consent.channel, Consent.purpose, Consent.granted).order_by(
        Consent.at, Consent.id
    )
    if customer_ids is not None:
        query = query.where(Consent.customer_id.in_(sorted(set(customer_ids))))
    rows = session.execute(query).all()
    return ConsentRows(
        customer=np.array([row[0] for row in rows], dtype=np.int64),
        channel=np.array([row[1] for row in rows], dtype=str),
        purpose=np.array([row[2] for row in rows], dtype=str),
        granted=np.array([row[3] for row in rows], dtype=bool),
        order=np.arange(len(rows), dtype=np.int64),
    )


def decide(rows: ConsentRows, customer: Int, channel: str, purpose: str) -> Bool:
    """Each customer's latest decision for (channel or 'all', purpose), else the default."""
    chosen = (rows.purpose == purpose) & ((rows.channel == channel) | (rows.channel == "all"))
    who, granted = rows.customer[chosen], rows.granted[chosen]
    result = np.full(customer.size, default_granted(channel, purpose), dtype=bool)
    if who.size == 0:
        return result
    order = np.lexsort((rows.order[chosen], who))
    who, granted = who[order], granted[order]
    last = np.ones(who.size, dtype=bool)
    last[:-1] = who[1:] != who[:-1]
    who, granted = who[last], granted[last]
    position = np.clip(np.searchsorted(who, customer), 0, who.size - 1)
    found = who[position] == customer
    result[found] = granted[position[found]]
    return result


def allowed(rows: ConsentRows, customer: Int, channel: str, purpose: str) -> Bool:
    if purpose == "service":
        return decide(rows, customer, channel, "service")
    marketing = decide(rows, customer, channel, "marketing")
    if purpose == "personalised":
        return marketing & decide(rows, customer, channel, "personalised")
    return marketing


def set_consent(
    session: Session,
    *,
    customer_id: int,
    channel: str,
    purpose: str,
    granted: bool,
    source: str,
    at: datetime,
) -> int:
    """Record a decision; a refusal suppresses the customer's pending messages it covers at
    once. Returns how many were suppressed."""
    check_channel_purpose(channel, purpose, consent=True)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = {"granted": granted, "source": source[:100], "at": at}
    statement = dialect.insert(Consent).values(
        customer_id=customer_id, channel=channel, purpose=purpose, **values
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["customer_id", "channel", "purpose"], set_=values
        )
    )
    if granted:
        return 0
    covered = {"marketing": ("marketing", "personalised")}.get(purpose, (purpose,))
    query = (
        update(OutboxMessage)
        .where(
            OutboxMessage.customer_id == customer_id,
            OutboxMessage.state.in_(PENDING),
            OutboxMessage.purpose.in_(covered),
        )
        .values(state="suppressed", reason=f"consent withdrawn: {source}"[:300])
    )
    if channel != "all":
        query = query.where(OutboxMessage.channel == channel)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def check_channel_purpose(channel: str, purpose: str, *, consent: bool = False) -> None:
    channels = CONSENT_CHANNELS if consent else CHANNELS
    if channel not in channels:
        raise EngageError(
            EngageErrorCode.INVALID_CHANNEL,
            f"channel {channel!r} is not one of {', '.join(channels)}",
        )
    if purpose not in PURPOSES:
        raise EngageError(
            EngageErrorCode.INVALID_PURPOSE,
            f"purpose {purpose!r} is not one of {', '.join(PURPOSES)}",
        )
