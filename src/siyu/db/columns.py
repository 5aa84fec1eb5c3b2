"""Column helpers shared by every capability's tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.types import Id, UTCDateTime


def utc_now() -> datetime:
    return datetime.now(UTC)


def id_column() -> Mapped[int]:
    return mapped_column(Id, primary_key=True, autoincrement=True)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utc_now, nullable=False)


def updated_at_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utc_now, onupdate=utc_now, nullable=False)


def sql_in(values: tuple[str, ...]) -> str:
    """A CHECK-constraint list of literals (values are code constants, never user input)."""
    return ", ".join(f"'{value}'" for value in values)
