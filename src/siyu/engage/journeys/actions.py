"""Creating, enabling and disabling journeys; reading them back with their counts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.engage.journeys.definition import (
    Condition,
    EnteredSegment,
    JourneyDefinition,
    SegmentCheck,
    parse_definition,
)
from siyu.engage.journeys.errors import (
    InvalidJourneyError,
    JourneyNotFoundError,
    JourneyStateError,
)
from siyu.engage.journeys.tables import Journey, JourneyEnrolment, StaffTask
from siyu.engage.journeys.templates import TEMPLATES
from siyu.engage.journeys.triggers import segment_id
from siyu.segments.builtins import ensure_builtin_segments


@dataclass(frozen=True, slots=True)
class JourneyView:
    id: int
    name: str
    template: str | None
    status: str
    version: int
    holdout_share: float
    seed: int
    watermark_at: datetime | None
    enabled_at: datetime | None
    definition: dict[str, Any]
    enrolments: dict[str, int] = field(default_factory=dict)  # active/exited/completed/holdout
    open_tasks: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "template": self.template,
            "status": self.status,
            "version": self.version,
            "holdout_share": self.holdout_share,
            "seed": self.seed,
            "watermark_at": self.watermark_at.isoformat() if self.watermark_at else None,
            "enabled_at": self.enabled_at.isoformat() if self.enabled_at else None,
            "definition": self.definition,
            "enrolments": self.enrolments,
            "open_tasks": self.open_tasks,
        }


def create_journey(
    session: Session, document: Any, *, template: str | None = None, name: str | None = None
) -> Journey:
    """A draft journey from a definition document (validated; its segments must exist)."""
    if name is not None and isinstance(document, dict):
        document = {**document, "name": name}
    definition = parse_definition(document)
    _check_references(session, definition)
    if session.scalar(select(Journey.id).where(Journey.name == definition.name)) is not None:
        raise InvalidJourneyError(f"$.name: a journey named {definition.name!r} exists already")
    journey = Journey(
        name=definition.name,
        template=template,
        definition=definition.as_json(),
        status="draft",
        version=1,
        holdout_share=definition.holdout_share,
        seed=secrets.randbits(31),
    )
    session.add(journey)
    session.flush()
    return journey


def create_from_template(session: Session, template: str, *, name: str | None = None) -> Journey:
    chosen = TEMPLATES.get(template)
    if chosen is None:
        known = ", ".join(sorted(TEMPLATES))
        raise InvalidJourneyError(f"no template {template!r} (one of: {known})")
    ensure_builtin_segments(session)  # the templates read built-in segments
    return create_journey(session, chosen.document, template=template, name=name)


def enable_journey(session: Session, journey_id: int, *, now: datetime) -> Journey:
    """Enabled: the next tick enrols occurrences after the watermark: `now` minus the
    definition's backfill days the first time, `now` when enabled again."""
    journey = get_journey(session, journey_id)
    if journey.status == "enabled":
        raise JourneyStateError(f"journey {journey_id} is enabled already")
    definition = parse_definition(journey.definition)
    _check_references(session, definition)
    first = journey.enabled_at is None
    journey.watermark_at = now - timedelta(days=definition.backfill_days) if first else now
    journey.status, journey.enabled_at = "enabled", now
    session.flush()
    return journey


def disable_journey(session: Session, journey_id: int) -> Journey:
    """Disabled: nobody is enrolled and no step runs; active enrolments wait where they are."""
    journey = get_journey(session, journey_id)
    if journey.status != "enabled":
        raise JourneyStateError(f"journey {journey_id} is not enabled")
    journey.status = "disabled"
    session.flush()
    return journey


def get_journey(session: Session, journey_id: int) -> Journey:
    journey = session.get(Journey, journey_id)
    if journey is None:
        raise JourneyNotFoundError(f"no journey {journey_id}")
    return journey


def list_journeys(session: Session) -> list[JourneyView]:
    journeys = session.scalars(select(Journey).order_by(Journey.id)).all()
    counts = _enrolment_counts(session)
    tasks = dict(
        session.execute(
            select(StaffTask.journey_id, func.count())
            .where(StaffTask.state == "open")
            .group_by(StaffTask.journey_id)
        ).all()
    )
    return [_view(j, counts.get(j.id, {}), int(tasks.get(j.id, 0))) for j in journeys]


def show_journey(session: Session, journey_id: int) -> JourneyView:
    get_journey(session, journey_id)
    return next(view for view in list_journeys(session) if view.id == journey_id)


def _view(journey: Journey, counts: dict[str, int], tasks: int) -> JourneyView:
    return JourneyView(
        id=journey.id,
        name=journey.name,
        template=journey.template,
        status=journey.status,
        version=journey.version,
        holdout_share=journey.holdout_share,
        seed=journey.seed,
        watermark_at=journey.watermark_at,
        enabled_at=journey.enabled_at,
        definition=journey.definition,
        enrolments={"active": 0, "exited": 0, "completed": 0, "holdout": 0, **counts},
        open_tasks=tasks,
    )


def _enrolment_counts(session: Session) -> dict[int, dict[str, int]]:
    rows = session.execute(
        select(
            JourneyEnrolment.journey_id,
            JourneyEnrolment.state,
            JourneyEnrolment.holdout,
            func.count(),
        ).group_by(JourneyEnrolment.journey_id, JourneyEnrolment.state, JourneyEnrolment.holdout)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for journey_id, state, holdout, count in rows:
        mine = counts.setdefault(journey_id, {})
        mine[state] = mine.get(state, 0) + count
        if holdout:
            mine["holdout"] = mine.get("holdout", 0) + count
    return counts


def _check_references(session: Session, definition: JourneyDefinition) -> None:
    if isinstance(definition.trigger, EnteredSegment):
        _segment(session, definition.trigger.segment, "$.trigger.segment")
    for index, step in enumerate(definition.steps):
        if isinstance(step, Condition) and isinstance(step.check, SegmentCheck):
            _segment(session, step.check.segment, f"$.steps[{index}].check.segment")


def _segment(session: Session, reference: str, path: str) -> None:
    try:
        segment_id(session, reference)
    except InvalidJourneyError as error:
        raise InvalidJourneyError(f"{path}: {error.message}") from None
