"""The journey runner: `tick(session, now=…, policy=…)` runs every enabled journey once.

For each journey, in order: enrol the trigger occurrences since the last tick (the watermark),
holding out a share by `hashed_holdout`; apply the exits to every active enrolment; then run the
steps in order, each for all enrolments due at it (so an enrolment passes every step that is
due in one tick, and stops at a wait). Everything happens in the caller's transaction: the
caller commits (a crash rolls the whole tick back; a re-run plans nothing twice, as sends are
keyed on the journey step, customer and enrolment day).

Call it as often as you like (the CLI's `siyu journey run`, or a scheduler every few minutes):
a tick with nothing due does nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.journeys.definition import parse_definition
from siyu.engage.journeys.enrolment import apply_exits, enrol
from siyu.engage.journeys.steps import StepContext, run_step
from siyu.engage.journeys.tables import Journey


@dataclass
class JourneyTick:
    journey_id: int
    enrolled: int = 0
    held_out: int = 0
    exited: Counter[str] = field(default_factory=Counter)
    steps: dict[int, int] = field(default_factory=dict)  # step number -> enrolments through it
    queued: int = 0
    planned: int = 0
    already_planned: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    tagged: int = 0
    tasks: int = 0
    coupons: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "journey_id": self.journey_id,
            "enrolled": self.enrolled,
            "held_out": self.held_out,
            "exited": dict(self.exited),
            "steps": {str(number): count for number, count in self.steps.items()},
            "queued": self.queued,
            "planned": self.planned,
            "already_planned": self.already_planned,
            "suppressed": dict(self.suppressed),
            "tagged": self.tagged,
            "tasks": self.tasks,
            "coupons": self.coupons,
            "problems": self.problems,
        }


@dataclass
class TickReport:
    now: datetime
    journeys: list[JourneyTick]

    def as_dict(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(), "journeys": [j.as_dict() for j in self.journeys]}


def tick(session: Session, *, now: datetime, policy: ContactPolicy) -> TickReport:
    """Run every enabled journey once, as of `now` (aware). The caller commits."""
    enabled = session.scalars(
        select(Journey).where(Journey.status == "enabled").order_by(Journey.id)
    ).all()
    return TickReport(now, [run_journey(session, j, now=now, policy=policy) for j in enabled])


def run_journey(
    session: Session, journey: Journey, *, now: datetime, policy: ContactPolicy
) -> JourneyTick:
    definition = parse_definition(journey.definition)
    result = JourneyTick(journey.id)
    result.enrolled, result.held_out = enrol(
        session, journey, definition, now=now, zone=policy.zone
    )
    result.exited = apply_exits(session, journey, definition, now=now)
    for number, step in enumerate(definition.steps, start=1):
        context = StepContext(
            journey_id=journey.id,
            number=number,
            step_count=len(definition.steps),
            now=now,
            zone=policy.zone,
            policy=policy,
        )
        outcome = run_step(session, step, context)
        if outcome.entered:
            result.steps[number] = outcome.entered
        result.queued += outcome.sends.queued
        result.planned += outcome.sends.planned
        result.already_planned += outcome.sends.already_planned
        result.suppressed.update(outcome.sends.suppressed)
        result.tagged += outcome.tagged
        result.tasks += outcome.tasks
        result.coupons += outcome.coupons
        if outcome.failed:
            result.problems.append(f"step {number}: {outcome.failed}")
    session.flush()
    return result
