"""The engage capability's scheduled jobs, in the shape the worker's job registry runs:
`function(engine, now, settings) -> one-line summary` (see siyu.workers.registry)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from siyu.db.engine import transaction
from siyu.engage.campaigns.launch import launch_due_campaigns
from siyu.engage.governor.hours import learn_contact_hours
from siyu.engage.journeys.runner import tick
from siyu.engage.receipts import ReceiptPoller
from siyu.engage.settings import EngageSettings
from siyu.engage.wecom.client import WecomClient
from siyu.engage.wecom.followup import follow_up


class JobFailedError(Exception):
    """A job that did none of its work (e.g. every receipt query failed): recorded as failed."""


def wecom_configured(settings: EngageSettings) -> bool:
    return settings.wecom is not None


def sms_configured(settings: EngageSettings) -> bool:
    return settings.sms is not None


def learn_hours(engine: Engine, now: datetime, settings: EngageSettings) -> str:
    with transaction(engine) as session:
        learned = learn_contact_hours(session, zone=settings.policy.zone, now=now)
    return f"{learned} customers with learned hours"


def wecom_followup(engine: Engine, now: datetime, settings: EngageSettings) -> str:
    if settings.wecom is None:
        return "WeCom is not configured"
    client = WecomClient(settings.wecom)
    try:
        settled = follow_up(engine, client, now)
    finally:
        client.close()
    return f"{settled} mass-task messages settled"


def sms_receipts(engine: Engine, now: datetime, settings: EngageSettings) -> str:
    if settings.sms is None:
        return "SMS is not configured"
    report = ReceiptPoller(settings.sms).poll(engine, now)
    if report.errors and report.errors == report.polled:
        raise JobFailedError(f"every receipt query failed, last: {report.last_error}")
    return report.summary()


def launch_due(engine: Engine, now: datetime, settings: EngageSettings) -> str:
    """Launch the scheduled campaigns whose time has come; complete finished ones."""
    with transaction(engine) as session:
        reports = launch_due_campaigns(session, policy=settings.policy, now=now)
    return f"{len(reports)} campaigns launched"


def run_journeys(engine: Engine, now: datetime, settings: EngageSettings) -> str:
    """One tick of every enabled journey: enrol, exit, advance, act."""
    with transaction(engine) as session:
        report = tick(session, now=now, policy=settings.policy)
    enrolled = sum(journey.enrolled for journey in report.journeys)
    sent = sum(journey.queued + journey.planned for journey in report.journeys)
    return f"{len(report.journeys)} journeys: {enrolled} enrolled, {sent} messages planned"
