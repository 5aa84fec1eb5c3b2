"""Who may see and change campaigns: ENGAGE to change; READ to see, except guides (a guide
sees only their own customers, and a campaign's figures cover everyone in its audience)."""

from __future__ import annotations

from siyu.security.access import Actor, Permission, PermissionDeniedError, require


def check_read(actor: Actor) -> None:
    require(actor, Permission.READ)
    if actor.is_guide:
        raise PermissionDeniedError("a guide sees only their own customers, not campaigns")


def check_write(actor: Actor) -> None:
    require(actor, Permission.ENGAGE)
