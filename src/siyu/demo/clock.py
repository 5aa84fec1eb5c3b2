"""Simulation time: integer seconds of Asia/Shanghai wall-clock time since 1970-01-01 00:00.

Exports write wall-clock times without an offset, so "local seconds" format directly; the WeCom
API's Unix seconds are local seconds minus eight hours (China has had no DST since 1991).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

DAY = 86_400
HOUR = 3_600
MINUTE = 60
SHANGHAI_OFFSET = 8 * HOUR
MISSING = -1  # a time that has not happened (yet)

# When Chinese shoppers order, by hour of day: a late-morning bump and a long evening peak.
_HOURLY = np.array(
    [3, 1.5, 0.8, 0.5, 0.4, 0.5, 1, 2, 3.5, 5, 6, 6, 5.5, 6, 6, 5.5, 5, 5, 5.5, 7, 8.5, 9.5, 9, 6]
)
HOURLY_WEIGHTS = _HOURLY / _HOURLY.sum()


@dataclass(frozen=True, slots=True)
class Calendar:
    """Three years of trading ending with `end` (inclusive); files are exported right after."""

    start: date
    end: date

    @classmethod
    def three_years_to(cls, end: date) -> Calendar:
        try:
            start = end.replace(year=end.year - 3)
        except ValueError:  # 29 February
            start = end.replace(year=end.year - 3, day=28)
        return cls(start=start + timedelta(days=1), end=end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def first_second(self) -> int:
        return local_seconds(self.start)

    @property
    def now(self) -> int:
        """The export moment: midnight after `end`."""
        return local_seconds(self.end) + DAY


def local_seconds(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY


def unix_seconds(local: NDArray[np.int64]) -> NDArray[np.int64]:
    return local - SHANGHAI_OFFSET


def time_of_day(rng: np.random.Generator, count: int) -> NDArray[np.int64]:
    """Seconds after midnight, following the hourly shopping pattern."""
    hours = rng.choice(24, size=count, p=HOURLY_WEIGHTS)
    return (hours * HOUR + rng.integers(0, HOUR, size=count)).astype(np.int64)


def days_to_seconds(rng: np.random.Generator, days: NDArray[np.float64]) -> NDArray[np.int64]:
    """Whole days from a day offset, placed at a realistic time of that day."""
    return np.floor(days).astype(np.int64) * DAY + time_of_day(rng, days.size)
