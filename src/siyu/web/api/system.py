"""/api/v1/me and /api/v1/health."""

from __future__ import annotations

from fastapi import APIRouter

from siyu.security.access import ROLE_PERMISSIONS
from siyu.web.api.schemas import Me
from siyu.web.deps import CurrentActor

router = APIRouter(tags=["system"])


@router.get("/me", response_model=Me)
def me(actor: CurrentActor) -> Me:
    permissions = sorted(permission.value for permission in ROLE_PERMISSIONS[actor.role])
    return Me(id=actor.user_id, username=actor.username, role=actor.role, permissions=permissions)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
