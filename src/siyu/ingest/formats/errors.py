"""Errors raised while reading an export file."""

from __future__ import annotations

from siyu.errors import SiyuError


class FormatError(SiyuError):
    """The file as a whole cannot be read: wrong container, undecodable bytes, no header row, or a
    missing required column. Raised before any row is yielded, so nothing is half-imported."""

    code = "invalid_format"


class RowError(ValueError):
    """One data row cannot be used. The table driver turns it into a `RejectedRow` whose reason is
    this error's message, so the message must say which column and why."""
