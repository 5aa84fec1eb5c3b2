"""Console pages for campaigns: the list with a create form, and one campaign with its
preview (holdout, governor) and launch button, or its results (lift with 95% intervals)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from siyu.engage.campaigns.access import check_read
from siyu.engage.campaigns.preview import Preview, preview_campaign
from siyu.engage.campaigns.queries import list_campaigns, show_campaign
from siyu.engage.campaigns.results import campaign_results
from siyu.engage.tables import CHANNELS
from siyu.security.access import ROLE_PERMISSIONS, Actor, Permission
from siyu.segments.queries import list_segments
from siyu.web.api.campaigns import contact_policy
from siyu.web.console.render import page
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(include_in_schema=False)


def _may_engage(actor: Actor) -> bool:
    return Permission.ENGAGE in ROLE_PERMISSIONS.get(actor.role, frozenset())


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    check_read(actor)
    segments = [s for s in list_segments(session) if s.unavailable is None]
    return page(
        request, "campaigns.html", actor, campaigns=list_campaigns(session),
        segments=segments, channels=CHANNELS, may_engage=_may_engage(actor),
    )  # fmt: skip


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign(
    request: Request, session: DbSession, actor: CurrentActor, campaign_id: int
) -> HTMLResponse:
    check_read(actor)
    view = show_campaign(session, campaign_id)
    now = datetime.now(UTC)
    preview: Preview | None = None
    if view.status in ("draft", "scheduled"):
        preview = preview_campaign(session, campaign_id, policy=contact_policy(request), now=now)
    results = None if view.launched_at is None else campaign_results(session, campaign_id, now=now)
    return page(
        request, "campaign.html", actor, campaign=view, preview=preview,
        results=results.as_public() if results else None, may_engage=_may_engage(actor),
    )  # fmt: skip
