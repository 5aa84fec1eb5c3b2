"""When a rule is evaluated: the as-of day and the merchant's zone, and the instants they give.

Windows are whole local days ending with the as-of day: `within_days: 14` covers the as-of day
and the 13 days before it. Nothing after the as-of day counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from siyu.segments.language import Day, RelativeDay


@dataclass(frozen=True, slots=True)
class Evaluation:
    as_of: date
    zone: ZoneInfo

    def start_of(self, day: date) -> datetime:
        """The UTC instant a local day begins."""
        return datetime.combine(day, time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the as-of day."""
        return self.start_of(self.as_of + timedelta(days=1))

    def window_start(self, days: int) -> datetime:
        return self.start_of(self.as_of - timedelta(days=days - 1))

    def day(self, value: Day) -> date:
        return value.on(self.as_of) if isinstance(value, RelativeDay) else value

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()
