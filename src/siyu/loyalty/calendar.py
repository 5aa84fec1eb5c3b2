"""Calendar arithmetic for loyalty periods, done in Python and passed to SQL as parameters
(so the same statements run on SQLite and PostgreSQL)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, tzinfo


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` moved by whole months; the day is clamped to the target month's last day."""
    month_index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


def day_bounds(moment: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The local calendar day holding `moment`, as [start, end) aware datetimes."""
    local = moment.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def month_bounds(moment: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The local calendar month holding `moment`, as [start, end)."""
    local = moment.astimezone(zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, add_months(start, 1)


def require_aware(moment: datetime, name: str = "time") -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} {moment!r} is naive: pass an aware datetime")
    return moment
