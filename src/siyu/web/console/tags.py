"""Console: tags by group with their counts; create a tag; apply one to customers or a segment."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from siyu.security.access import Permission, require
from siyu.segments.queries import list_segments, list_tags
from siyu.web.console.render import page
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(include_in_schema=False)


@router.get("/tags", response_class=HTMLResponse)
def tags(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    require(actor, Permission.READ)
    return page(
        request, "tags.html", actor, tags=list_tags(session), segments=list_segments(session),
        may_edit=actor.role in ("admin", "operator"),
    )  # fmt: skip
