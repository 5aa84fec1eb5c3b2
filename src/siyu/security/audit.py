"""The audit log: every change, with who made it and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from siyu.security.access import Actor
from siyu.security.tables import AuditEntry


def record(
    session: Session, actor: Actor | None, action: str, target: str = "", **detail: Any
) -> None:
    session.add(
        AuditEntry(
            user_id=actor.user_id if actor else None,
            username=actor.username if actor else "system",
            action=action,
            target=target[:200],
            detail={key: str(value) for key, value in detail.items()},
        )
    )
    session.flush()
