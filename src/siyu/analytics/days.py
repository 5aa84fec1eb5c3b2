"""Epoch seconds → local day numbers (days since 1970-01-01 in the merchant's time zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

EPOCH = date(1970, 1, 1)


def local_days(seconds: NDArray[np.int64], zone: ZoneInfo) -> NDArray[np.int64]:
    """Vectorised: the UTC offset is looked up once per distinct hour, not once per value."""
    if seconds.size == 0:
        return np.zeros(0, dtype=np.int64)
    hours, inverse = np.unique(seconds // 3600, return_inverse=True)
    offsets = np.array([_offset_seconds(int(hour) * 3600, zone) for hour in hours], dtype=np.int64)
    return np.asarray((seconds + offsets[inverse]) // 86_400, dtype=np.int64)


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_date(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


def _offset_seconds(instant: int, zone: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(instant, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0
