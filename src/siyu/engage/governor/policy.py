"""The merchant's contact policy: one value, built once (from the environment or in code)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from siyu.settings import DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class Cap:
    """At most `per_day` messages a local day and `per_week` in any 7 consecutive days."""

    per_day: int | None = None
    per_week: int | None = None


class WecomQuota(StrEnum):
    """WeCom's per-customer (and per-group) receive limit for mass messages: by default as
    many as the month has days; an admin may set 7 a week or 1 a day instead."""

    MONTH = "month"
    WEEK = "week"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class ContactPolicy:
    timezone_name: str = DEFAULT_TIMEZONE
    quiet_start: int = 21  # quiet from 21:00 …
    quiet_end: int = 9  # … to 09:00; equal values mean no quiet hours
    default_hour: int | None = 10  # the shop's hour when a customer's own is unknown
    all_channels: Cap = Cap(per_day=1, per_week=3)
    channel_caps: Mapping[str, Cap] = field(default_factory=dict)
    wecom_quota: WecomQuota = WecomQuota.MONTH
    staff_daily_limit: int = 10_000  # WeCom 1:1 mass-message recipients per staff member a day
    repeat_days: int = 30  # no identical content to the same customer within this many days
    max_window_days: int = 31

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    def allowed_hours(self) -> NDArray[np.bool_]:
        hours = np.arange(24)
        if self.quiet_start == self.quiet_end:
            return np.ones(24, dtype=bool)
        if self.quiet_start > self.quiet_end:
            quiet = (hours >= self.quiet_start) | (hours < self.quiet_end)
        else:
            quiet = (hours >= self.quiet_start) & (hours < self.quiet_end)
        return np.asarray(~quiet)

    def is_allowed_hour(self, hour: int) -> bool:
        return bool(self.allowed_hours()[hour])


def quota_periods(
    policy: ContactPolicy, first_day: date, days: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each day from `first_day`: its WeCom quota period index; and each period's cap."""
    dates = [first_day + timedelta(days=offset) for offset in range(days)]
    if policy.wecom_quota is WecomQuota.DAY:
        keys: list[tuple[int, int]] = [(d.toordinal(), 0) for d in dates]
    elif policy.wecom_quota is WecomQuota.WEEK:
        keys = [(d.isocalendar().year, d.isocalendar().week) for d in dates]
    else:
        keys = [(d.year, d.month) for d in dates]
    index: dict[tuple[int, int], int] = {}
    period = np.array([index.setdefault(key, len(index)) for key in keys], dtype=np.int64)
    caps = np.array([_period_cap(policy.wecom_quota, key) for key in index], dtype=np.int64)
    return period, caps


def _period_cap(mode: WecomQuota, key: tuple[int, int]) -> int:
    if mode is WecomQuota.MONTH:
        return calendar.monthrange(*key)[1]
    return 7 if mode is WecomQuota.WEEK else 1
