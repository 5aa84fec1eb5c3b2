"""Epoch seconds → local day numbers (days since 1970-01-01 in the merchant's time zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

EPOCH = date(1970, 1, 1)
MAX_TABLE_DAYS = 50_000  # beyond ~137 years of span, look the distinct hours up instead


def local_days(seconds: NDArray[np.int64], zone: ZoneInfo) -> NDArray[np.int64]:
    """Vectorised: each value takes the UTC offset of the start of its hour, looked up from a
    table over the hours the values span (built a day at a time: no sort of the values)."""
    if seconds.size == 0:
        return np.zeros(0, dtype=np.int64)
    hours = seconds // 3600
    low, high = int(hours.min()), int(hours.max())
    if high // 24 - low // 24 > MAX_TABLE_DAYS:  # a few values centuries apart
        distinct, inverse = np.unique(hours, return_inverse=True)
        offsets = np.array([_offset_seconds(int(h) * 3600, zone) for h in distinct], np.int64)
        return np.asarray((seconds + offsets[inverse.reshape(-1)]) // 86_400, dtype=np.int64)
    first_day = low // 24
    present = np.bincount(hours // 24 - first_day) > 0
    table = _hourly_offsets(first_day, np.flatnonzero(present), zone)
    return np.asarray((seconds + table[hours - first_day * 24]) // 86_400, dtype=np.int64)


def _hourly_offsets(
    first_day: int, present: NDArray[np.int64], zone: ZoneInfo
) -> NDArray[np.int64]:
    """The offset at the start of every hour of the UTC days first_day + `present` (the others
    stay 0, unused): a day whose first and last hour share an offset has it all day; others are
    looked up hour by hour."""
    table = np.zeros((int(present[-1]) + 1) * 24, dtype=np.int64)
    for index in present.tolist():
        start = (first_day + index) * 86_400
        offset = _offset_seconds(start, zone)
        if offset == _offset_seconds(start + 23 * 3600, zone):
            table[index * 24 : index * 24 + 24] = offset
        else:
            table[index * 24 : index * 24 + 24] = [
                _offset_seconds(start + hour * 3600, zone) for hour in range(24)
            ]
    return table


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_date(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


def _offset_seconds(instant: int, zone: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(instant, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0
