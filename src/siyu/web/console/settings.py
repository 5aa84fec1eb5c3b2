"""Console: settings. Everyone reads them; admins edit the contact policy and the lifecycle
thresholds (through the JSON API, with the CSRF header)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from siyu.security.access import Permission, require
from siyu.web.api.settings import read_all
from siyu.web.console.render import page
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(include_in_schema=False)


@router.get("/settings", response_class=HTMLResponse)
def settings(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    require(actor, Permission.READ)
    return page(
        request, "settings.html", actor, settings=read_all(request, session, actor),
        may_edit=actor.role == "admin",
    )  # fmt: skip
