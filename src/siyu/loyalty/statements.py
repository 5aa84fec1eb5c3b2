"""Running set-based statements and reading how many rows they touched."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.orm import Session


def affected_rows(session: Session, statement: Executable) -> int:
    """Execute an INSERT … SELECT, UPDATE or DELETE; returns the rows it touched."""
    options = {"preserve_rowcount": True, "synchronize_session": False}
    result = session.execute(statement, execution_options=options)
    return int(cast(CursorResult[Any], result).rowcount)
