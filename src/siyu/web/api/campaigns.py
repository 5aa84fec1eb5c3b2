"""/api/v1/campaigns: list, create, get, preview, launch, results, cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fastapi import APIRouter, Request

from siyu.engage.campaigns.access import check_read, check_write
from siyu.engage.campaigns.actions import (
    CampaignSpec,
    VariantSpec,
    cancel_campaign,
    create_campaign,
)
from siyu.engage.campaigns.launch import launch_campaign
from siyu.engage.campaigns.preview import preview_campaign
from siyu.engage.campaigns.queries import list_campaigns, show_campaign
from siyu.engage.campaigns.results import campaign_results
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.settings import EngageSettings
from siyu.web.api.campaign_schemas import (
    CampaignCreate,
    CampaignList,
    CampaignOut,
    CancelOut,
    LaunchOut,
    PreviewOut,
    ResultsOut,
)
from siyu.web.api.schemas import IdPath
from siyu.web.deps import CurrentActor, DbSession, settings_of

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


def contact_policy(request: Request) -> ContactPolicy:
    """The merchant's contact policy (SIYU_* settings), built once per application."""
    policy = getattr(request.app.state, "contact_policy", None)
    if not isinstance(policy, ContactPolicy):
        zone = settings_of(request).timezone_name
        policy = replace(EngageSettings.from_env().policy, timezone_name=zone)
        request.app.state.contact_policy = policy
    return policy


def spec_of(body: CampaignCreate) -> CampaignSpec:
    variants = [VariantSpec(**variant.model_dump()) for variant in body.variants]
    return CampaignSpec(**(body.model_dump() | {"variants": variants}))


@router.get("", response_model=CampaignList)
def campaigns(session: DbSession, actor: CurrentActor) -> CampaignList:
    check_read(actor)
    rows = list_campaigns(session)
    return CampaignList(items=[CampaignOut(**row.as_dict()) for row in rows], total=len(rows))


@router.post("", response_model=CampaignOut, status_code=201)
def create(session: DbSession, actor: CurrentActor, body: CampaignCreate) -> CampaignOut:
    """Create a draft (or, with scheduled_at, a scheduled) campaign; templates are checked."""
    check_write(actor)
    campaign = create_campaign(session, spec_of(body), actor=actor, now=datetime.now(UTC))
    created = CampaignOut(**show_campaign(session, campaign.id).as_dict())
    session.commit()  # before answering: the client may act on the campaign at once
    return created


@router.get("/{campaign_id}", response_model=CampaignOut)
def campaign(session: DbSession, actor: CurrentActor, campaign_id: IdPath) -> CampaignOut:
    check_read(actor)
    return CampaignOut(**show_campaign(session, campaign_id).as_dict())


@router.get("/{campaign_id}/preview", response_model=PreviewOut)
def preview(
    request: Request, session: DbSession, actor: CurrentActor, campaign_id: IdPath
) -> PreviewOut:
    """What launching now would do (audience, holdout, variants, governor); writes nothing."""
    check_read(actor)
    found = preview_campaign(
        session, campaign_id, policy=contact_policy(request), now=datetime.now(UTC)
    )
    return PreviewOut(**found.as_dict())


@router.post("/{campaign_id}/launch", response_model=LaunchOut)
def launch(
    request: Request, session: DbSession, actor: CurrentActor, campaign_id: IdPath
) -> LaunchOut:
    """Freeze the audience and plan the messages; a second launch does nothing."""
    check_write(actor)
    report = launch_campaign(
        session, campaign_id, actor=actor, policy=contact_policy(request), now=datetime.now(UTC)
    ).as_dict()
    session.commit()  # the messages are in the outbox before the client hears so
    return LaunchOut(**(report | {"plan": report["plan"] or None}))


@router.get("/{campaign_id}/results", response_model=ResultsOut)
def results(session: DbSession, actor: CurrentActor, campaign_id: IdPath) -> ResultsOut:
    """Orders per variant and holdout in the attribution window, lift with 95% intervals."""
    check_read(actor)
    found = campaign_results(session, campaign_id, now=datetime.now(UTC))
    return ResultsOut(**found.as_public())


@router.post("/{campaign_id}/cancel", response_model=CancelOut)
def cancel(session: DbSession, actor: CurrentActor, campaign_id: IdPath) -> CancelOut:
    check_write(actor)
    suppressed = cancel_campaign(session, campaign_id, actor=actor, now=datetime.now(UTC))
    session.commit()
    return CancelOut(campaign_id=campaign_id, status="cancelled", suppressed=suppressed)
