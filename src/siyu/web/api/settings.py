"""/api/v1/settings: read them all; admins change the contact policy and lifecycle thresholds.

What is saved here wins over the SIYU_* environment defaults: the planner, the worker and the
quota view read it on their next run, `siyu refresh` on its next run.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from sqlalchemy import select

from siyu.accounts.tables import StaffAccount
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.stored_policy import editable, lifecycle_policy, save_lifecycle_policy
from siyu.engage.governor.policy import Cap, ContactPolicy
from siyu.engage.governor.stored import ContactSettings, effective_policy, save_contact_settings
from siyu.merchant.store import CONTACT_POLICY, read_setting
from siyu.security.access import Actor, Permission, require
from siyu.security.audit import record
from siyu.security.tables import User
from siyu.web.api.console_schemas import (
    ContactPolicyIn,
    ContactPolicyOut,
    LifecycleIn,
    SettingsOut,
    StaffOut,
    UserOut,
)
from siyu.web.deps import CurrentActor, DbSession, settings_of
from siyu.web.today import base_policy

router = APIRouter(prefix="/settings", tags=["settings"])


@router.get("", response_model=SettingsOut)
def settings(request: Request, session: DbSession, actor: CurrentActor) -> SettingsOut:
    require(actor, Permission.READ)
    return read_all(request, session, actor)


@router.put("/contact-policy", response_model=ContactPolicyOut)
def put_contact_policy(
    request: Request, session: DbSession, actor: CurrentActor, body: ContactPolicyIn
) -> ContactPolicyOut:
    require(actor, Permission.SETTINGS)
    current = effective_policy(session, base_policy(request))
    save_contact_settings(session, contact_settings(body, current), by=actor.username)
    record(session, actor, "settings.contact_policy", **body.model_dump())
    return contact_policy_out(request, session)


@router.put("/lifecycle", response_model=LifecycleIn)
def put_lifecycle(session: DbSession, actor: CurrentActor, body: LifecycleIn) -> LifecycleIn:
    require(actor, Permission.SETTINGS)
    save_lifecycle_policy(
        session, replace(LifecyclePolicy(), **body.model_dump()), by=actor.username
    )
    record(session, actor, "settings.lifecycle", **body.model_dump())
    return LifecycleIn(**editable(lifecycle_policy(session)))


def contact_settings(body: ContactPolicyIn, current: ContactPolicy) -> ContactSettings:
    """The settings in the body; channel caps left out stay as they are."""
    caps = (
        dict(current.channel_caps)
        if body.channel_caps is None
        else {name: Cap(cap.per_day, cap.per_week) for name, cap in body.channel_caps.items()}
    )
    values = body.model_dump(exclude={"channel_caps"})
    return ContactSettings(**values, channel_caps=caps)


def contact_policy_out(request: Request, session: DbSession) -> ContactPolicyOut:
    policy = effective_policy(session, base_policy(request))
    stored = read_setting(session, CONTACT_POLICY) is not None
    return ContactPolicyOut(
        **ContactSettings.of(policy).as_dict(), stored=stored, timezone=policy.timezone_name
    )


def read_all(request: Request, session: DbSession, actor: Actor) -> SettingsOut:
    """Every setting; users only for admins. The console's settings page shows the same."""
    staff = session.scalars(select(StaffAccount).order_by(StaffAccount.userid)).all()
    users = (
        session.scalars(select(User).order_by(User.username)).all() if actor.role == "admin" else []
    )
    return SettingsOut(
        contact_policy=contact_policy_out(request, session),
        lifecycle=LifecycleIn(**editable(lifecycle_policy(session))),
        timezone=settings_of(request).timezone_name,
        staff=[StaffOut(userid=s.userid, name=s.name, is_active=s.is_active) for s in staff],
        users=[UserOut(username=u.username, role=u.role, is_active=u.is_active) for u in users],
    )
