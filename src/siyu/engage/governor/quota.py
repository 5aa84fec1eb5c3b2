"""How much contact a customer has left: today, this week, this WeCom quota period, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.tables import Customer
from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.governor import consent
from siyu.engage.governor.horizon import Horizon
from siyu.engage.governor.policy import Cap, ContactPolicy, quota_periods
from siyu.engage.governor.reads import LIVE_STATES
from siyu.engage.governor.stored import effective_policy
from siyu.engage.tables import CHANNELS, PURPOSES, ContactHours, OutboxMessage


@dataclass(frozen=True, slots=True)
class CapLeft:
    cap: Cap
    used_today: int
    used_week: int

    def as_dict(self) -> dict[str, Any]:
        left_day = None if self.cap.per_day is None else max(0, self.cap.per_day - self.used_today)
        left_week = (
            None if self.cap.per_week is None else max(0, self.cap.per_week - self.used_week)
        )
        return {
            "per_day": self.cap.per_day,
            "per_week": self.cap.per_week,
            "used_today": self.used_today,
            "used_7_days": self.used_week,
            "left_today": left_day,
            "left_7_days": left_week,
        }


@dataclass(frozen=True, slots=True)
class QuotaView:
    customer_id: int
    as_of: datetime
    all_channels: CapLeft
    channels: dict[str, CapLeft]
    wecom_quota: dict[str, Any]
    consent: dict[str, dict[str, bool]]
    best_hour: int | None
    top_hours: list[int] = field(default_factory=list)
    quiet_hours: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "as_of": self.as_of.isoformat(),
            "all_channels": self.all_channels.as_dict(),
            "channels": {name: left.as_dict() for name, left in self.channels.items()},
            "wecom_quota": self.wecom_quota,
            "consent": self.consent,
            "best_hour": self.best_hour,
            "top_hours": self.top_hours,
            "quiet_hours": self.quiet_hours,
        }


def quota_view(
    session: Session, customer_id: int, *, policy: ContactPolicy, now: datetime
) -> QuotaView:
    if session.get(Customer, customer_id) is None:
        raise EngageError(EngageErrorCode.UNKNOWN_CUSTOMER, f"no customer {customer_id}")
    policy = effective_policy(session, policy)  # the console's settings win
    horizon = Horizon.covering(now, now, policy.zone)
    today = horizon.minute(now, round_up=False) // 1440
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.scheduled_at).where(
            OutboxMessage.customer_id == customer_id,
            OutboxMessage.state.in_(LIVE_STATES),
            OutboxMessage.purpose != "service",
            OutboxMessage.scheduled_at >= horizon.start_utc(),
            OutboxMessage.scheduled_at < horizon.start_utc(today + 1),
        )
    ).all()
    days = {
        name: [
            horizon.minute(at, round_up=False) // 1440
            for c, at in rows
            if c == name and at is not None
        ]
        for name in CHANNELS
    }
    every = [day for values in days.values() for day in values]
    hours = session.get(ContactHours, customer_id)
    return QuotaView(
        customer_id=customer_id,
        as_of=now,
        all_channels=_left(policy.all_channels, every, today),
        channels={name: _left(cap, days[name], today) for name, cap in policy.channel_caps.items()},
        wecom_quota=_wecom(policy, horizon, days["wecom"], today),
        consent=_consent(session, customer_id),
        best_hour=hours.best_hour if hours else policy.default_hour,
        top_hours=list(hours.top_hours) if hours else [],
        quiet_hours=f"{policy.quiet_start:02d}:00-{policy.quiet_end:02d}:00",
    )


def _left(cap: Cap, days: list[int], today: int) -> CapLeft:
    return CapLeft(
        cap=cap,
        used_today=sum(day == today for day in days),
        used_week=sum(today - 6 <= day <= today for day in days),
    )


def _wecom(policy: ContactPolicy, horizon: Horizon, days: list[int], today: int) -> dict[str, Any]:
    period, caps = quota_periods(policy, horizon.origin, horizon.days)
    current = period[today]
    used = sum(period[day] == current for day in days if 0 <= day <= today)
    cap = int(caps[current])
    start = int(np.flatnonzero(period == current)[0])
    return {
        "mode": policy.wecom_quota.value,
        "period_start": (horizon.origin + timedelta(days=start)).isoformat(),
        "cap": cap,
        "used": used,
        "left": max(0, cap - used),
    }


def _consent(session: Session, customer_id: int) -> dict[str, dict[str, bool]]:
    rows = consent.load_consents(session, [customer_id])
    who = np.array([customer_id], dtype=np.int64)
    return {
        channel: {p: bool(consent.allowed(rows, who, channel, p)[0]) for p in PURPOSES}
        for channel in CHANNELS
    }
