"""The governor's second look, inside the transaction that claims a batch.

Between planning and sending a customer may have opted out, a retry may have drifted into quiet
hours, or another planner may have raced this one. So, for each claimed message: past its
validity → expired; consent refused now → suppressed; in quiet hours → back to queued at the
next allowed hour; a cap already reached by messages sent today or this week → back to queued
a day later. A move past the validity window suppresses it, with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.engage.claim import Claimed
from siyu.engage.governor import consent
from siyu.engage.governor.policy import Cap, ContactPolicy
from siyu.engage.tables import OutboxMessage

SENT_STATES = ("sending", "sent", "delivered")


@dataclass(frozen=True, slots=True)
class Verdict:
    message_id: int
    action: str  # expire | suppress | reschedule
    reason: str
    next_at: datetime | None = None


def recheck(
    session: Session, claimed: Sequence[Claimed], *, policy: ContactPolicy, now: datetime
) -> dict[int, Verdict]:
    verdicts: dict[int, Verdict] = {}
    for message in claimed:
        if now >= message.expires_at:
            verdicts[message.id] = Verdict(message.id, "expire", "validity window passed")
    _check_consent(session, claimed, verdicts)
    capped = [m for m in claimed if m.purpose != "service" and m.id not in verdicts]
    quiet = next_allowed_hour(now, policy)
    if quiet is not None:
        for message in capped:
            verdicts[message.id] = _move(message, quiet, "quiet hours")
        return verdicts
    _check_caps(session, capped, verdicts, policy=policy, now=now)
    return verdicts


def next_allowed_hour(now: datetime, policy: ContactPolicy) -> datetime | None:
    """None when `now` is an allowed hour, else the start of the next allowed hour."""
    allowed = policy.allowed_hours()
    local = now.astimezone(policy.zone)
    if allowed[local.hour] or not allowed.any():
        return None
    moment = local.replace(minute=0, second=0, microsecond=0)
    while not allowed[moment.hour]:
        moment += timedelta(hours=1)
    return moment.astimezone(now.tzinfo)


def _move(message: Claimed, when: datetime, why: str) -> Verdict:
    if when >= message.expires_at:
        return Verdict(message.id, "suppress", f"{why} until the validity window ended")
    return Verdict(message.id, "reschedule", why, when)


def _check_consent(
    session: Session, claimed: Sequence[Claimed], verdicts: dict[int, Verdict]
) -> None:
    people = [m for m in claimed if m.customer_id is not None and m.id not in verdicts]
    if not people:
        return
    rows = consent.load_consents(session, [m.customer_id for m in people if m.customer_id])
    for message in people:
        customer = np.array([message.customer_id], dtype=np.int64)
        if not consent.allowed(rows, customer, message.channel, message.purpose)[0]:
            verdicts[message.id] = Verdict(
                message.id, "suppress", f"consent withdrawn for {message.purpose}"
            )


def _check_caps(
    session: Session,
    capped: Sequence[Claimed],
    verdicts: dict[int, Verdict],
    *,
    policy: ContactPolicy,
    now: datetime,
) -> None:
    people = [m for m in capped if m.customer_id is not None]
    if not people:
        return
    zone = policy.zone
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = session.execute(
        select(OutboxMessage.customer_id, OutboxMessage.channel, OutboxMessage.scheduled_at).where(
            OutboxMessage.customer_id.in_({m.customer_id for m in people}),
            OutboxMessage.state.in_(SENT_STATES),
            OutboxMessage.purpose != "service",
            OutboxMessage.id.not_in([m.id for m in capped]),
            OutboxMessage.scheduled_at >= today - timedelta(days=6),
            OutboxMessage.scheduled_at < today + timedelta(days=1),
        )
    ).all()
    day, week = Counter[tuple[int, str]](), Counter[tuple[int, str]]()
    for customer, channel, at in rows:
        if customer is None or at is None:
            continue
        for key in ((customer, channel), (customer, "*")):
            week[key] += 1
            day[key] += at >= today
    for message in people:
        customer = message.customer_id or 0
        caps = [("*", policy.all_channels)]
        if message.channel in policy.channel_caps:
            caps.append((message.channel, policy.channel_caps[message.channel]))
        if any(_over(day[(customer, k)], week[(customer, k)], cap) for k, cap in caps):
            verdicts[message.id] = _move(message, now + timedelta(days=1), "frequency cap")


def _over(today: int, week: int, cap: Cap) -> bool:
    return (cap.per_day is not None and today >= cap.per_day) or (
        cap.per_week is not None and week >= cap.per_week
    )
