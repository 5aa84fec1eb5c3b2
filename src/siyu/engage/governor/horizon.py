"""The planning horizon: local days and minutes in the merchant's zone, and back to UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

EPOCH = date(1970, 1, 1)
LOOKBACK_DAYS = 6  # a 7-day cap window reaches 6 days back
LOOKAHEAD_DAYS = 7


@dataclass(frozen=True, slots=True)
class Horizon:
    origin: date  # day 0
    days: int
    zone: ZoneInfo

    @classmethod
    def covering(
        cls, start: datetime, end: datetime, zone: ZoneInfo, *, quota_periods: bool = True
    ) -> Horizon:
        """From a week before `start` (and, for WeCom's quotas, the start of its month and
        ISO week) to a week after `end`."""
        first = start.astimezone(zone).date()
        origin = first - timedelta(days=LOOKBACK_DAYS)
        if quota_periods:
            origin = min(origin, first.replace(day=1), first - timedelta(days=first.weekday()))
        last = end.astimezone(zone).date()
        return cls(origin=origin, days=(last - origin).days + 1 + LOOKAHEAD_DAYS, zone=zone)

    @property
    def offset_seconds(self) -> int:
        offset = self.zone.utcoffset(datetime.combine(self.origin, time(12)))
        return int(offset.total_seconds()) if offset else 0

    @property
    def epoch_day(self) -> int:
        """The origin as whole local days since 1970-01-01 (what reads.local_day computes)."""
        return (self.origin - EPOCH).days

    def start_utc(self, day: int = 0) -> datetime:
        local = datetime.combine(self.origin + timedelta(days=day), time(0), self.zone)
        return local.astimezone(UTC)

    def end_utc(self) -> datetime:
        return self.start_utc(self.days)

    def minute(self, moment: datetime, *, round_up: bool) -> int:
        local = moment.astimezone(self.zone)
        minutes = (local.date() - self.origin).days * 1440 + local.hour * 60 + local.minute
        partial = local.second or local.microsecond
        return minutes + (1 if round_up and partial else 0)

    def to_utc(self, minutes: NDArray[np.int64]) -> NDArray[np.datetime64]:
        """Local minutes to UTC instants (datetime64[s]), with each hour's own UTC offset."""
        offsets = np.array(
            [
                [_offset(self.zone, self.origin + timedelta(days=day), hour) for hour in range(24)]
                for day in range(self.days)
            ],
            dtype=np.int64,
        )
        day = np.clip(minutes // 1440, 0, self.days - 1)
        hour = (minutes % 1440) // 60
        local_seconds = self.epoch_day * 86_400 + minutes * 60
        return (local_seconds - offsets[day, hour]).astype("datetime64[s]")


def _offset(zone: ZoneInfo, day: date, hour: int) -> int:
    offset = zone.utcoffset(datetime.combine(day, time(hour)))
    return int(offset.total_seconds()) if offset else 0


def as_datetimes(instants: NDArray[np.datetime64]) -> list[datetime]:
    return [moment.replace(tzinfo=UTC) for moment in instants.astype("datetime64[us]").tolist()]
