"""Dates and times in every form the exports use, to aware datetimes.

Accepted (a naive value is wall-clock time in the given zone, Asia/Shanghai by default):
- `YYYY-MM-DD HH:MM:SS` (raw exports; optional `.ffffff`), and ISO 8601 with `T` and an offset
  or `Z` (converted into the zone);
- `YYYY/M/D H:MM` and `YYYY/M/D H:MM:SS` (after a round trip through Excel), also with `-` or `.`;
- date only: `YYYY-MM-DD`, `YYYY/M/D`, `YYYY年M月D日` (midnight);
- Unix seconds (10 digits) or milliseconds (13 digits), as the platform APIs send;
- Excel serial day numbers (`43881` or `43881.5`, 1954–2119), as a numeric xlsx cell holds them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from siyu.ingest.formats.cleaning import NULLS
from siyu.ingest.formats.errors import RowError

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXCEL_EPOCH = datetime(1899, 12, 30)
EXCEL_SERIAL_RANGE = (20000, 80000)

_SEPARATED = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?"
)
_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?")
_EPOCH_SECONDS = re.compile(r"\d{10}")
_EPOCH_MILLISECONDS = re.compile(r"\d{13}")
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_PDD_ORDER = re.compile(r"(\d{2})(\d{2})(\d{2})-\d+")


def parse_datetime(text: str, label: str, tz: tzinfo = SHANGHAI) -> datetime | None:
    """None for a missing value; an aware datetime; else `RowError` naming the column."""
    if text in NULLS:
        return None
    try:
        moment = _parse(text, tz)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise RowError(f"date {text!r} in column {label} is not a date")
    return moment


def _parse(text: str, tz: tzinfo) -> datetime | None:
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            return _in_zone(datetime.fromisoformat(text), tz)
        except ValueError:
            pass  # single-digit fields and the like: the patterns below
    matched = _SEPARATED.fullmatch(text) or _CHINESE.fullmatch(text)
    if matched is not None:
        return _from_groups(matched.groups(), tz)
    if _EPOCH_SECONDS.fullmatch(text):
        return datetime.fromtimestamp(int(text), tz)
    if _EPOCH_MILLISECONDS.fullmatch(text):
        return datetime.fromtimestamp(int(text) / 1000, tz)
    if _EXCEL_SERIAL.fullmatch(text):
        return _from_excel_serial(Decimal(text), tz)
    return None


def _in_zone(moment: datetime, tz: tzinfo) -> datetime:
    if moment.tzinfo is None:  # the constructor is ~3x faster than .replace(tzinfo=…)
        m = moment
        return datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond, tz)
    return moment.astimezone(tz)


def _from_groups(groups: tuple[str | None, ...], tz: tzinfo) -> datetime:
    numbers = [int(group) if group else 0 for group in groups]
    fraction = groups[6] if len(groups) > 6 else None
    microsecond = int(fraction.ljust(6, "0")) if fraction else 0
    year, month, day, hour, minute, second = numbers[:6]
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)


def _from_excel_serial(days: Decimal, tz: tzinfo) -> datetime | None:
    low, high = EXCEL_SERIAL_RANGE
    if not low <= days <= high:
        return None
    seconds = int((days * 86400).to_integral_value(rounding=ROUND_HALF_UP))
    return (EXCEL_EPOCH + timedelta(seconds=seconds)).replace(tzinfo=tz)


def date_from_pdd_order_id(order_id: str, tz: tzinfo = SHANGHAI) -> datetime | None:
    """PDD order numbers start with the order date: `260517-607198974342268` -> 2026-05-17."""
    matched = _PDD_ORDER.fullmatch(order_id)
    if matched is None:
        return None
    year, month, day = (int(group) for group in matched.groups())
    try:
        return datetime(2000 + year, month, day, tzinfo=tz)
    except ValueError:
        return None
