"""Running one step for every enrolment due at it, set-based: log it, act, advance.

The log row (unique per enrolment and step), the action and the advance are written in the
caller's transaction; sends are keyed `journey:<id>:step:<n>|c<customer>|<channel>|<enrolled
day>` so a re-run plans nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.accounts.tables import CustomerGroup, StaffAccount, WecomContact
from siyu.analytics.tables import CustomerProfile
from siyu.db.base import table_of
from siyu.db.types import UTCDateTime
from siyu.engage.content import Content
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.journeys.conditions import condition_clause
from siyu.engage.journeys.definition import (
    AddTag,
    Condition,
    IssueCoupon,
    Send,
    StaffTaskStep,
    Step,
    Wait,
)
from siyu.engage.journeys.tables import JourneyEnrolment, JourneyStepLog, StaffTask
from siyu.engage.planner import PlanBatch, PlanReport, plan
from siyu.errors import SiyuError
from siyu.loyalty.coupons import issue_coupons
from siyu.segments.tags import add_tag, ensure_tag

Enrolment = JourneyEnrolment
ENROLMENTS = table_of(JourneyEnrolment)


@dataclass(frozen=True, slots=True)
class StepContext:
    journey_id: int
    number: int  # from 1
    step_count: int
    now: datetime
    zone: ZoneInfo
    policy: ContactPolicy

    def due(self) -> ColumnElement[bool]:
        return and_(
            Enrolment.journey_id == self.journey_id,
            Enrolment.state == "active",
            Enrolment.current_step == self.number,
            Enrolment.next_at <= self.now,
        )

    @property
    def source(self) -> str:
        return f"journey:{self.journey_id}:step:{self.number}"


@dataclass
class StepOutcome:
    entered: int = 0
    sends: PlanReport = field(default_factory=PlanReport)
    tagged: int = 0
    tasks: int = 0
    coupons: int = 0
    failed: str = ""


def run_step(session: Session, step: Step, context: StepContext) -> StepOutcome:
    outcome = StepOutcome(entered=_log(session, step, context))
    if outcome.entered == 0:
        return outcome
    if isinstance(step, Wait):
        _wait(session, step, context)
        return outcome
    if isinstance(step, Condition):
        _branch(session, step, context)
        return outcome
    if isinstance(step, Send):
        outcome.sends = _send(session, step, context)
    elif isinstance(step, AddTag):
        outcome.tagged, outcome.failed = _tag(session, step, context)
    elif isinstance(step, StaffTaskStep):
        outcome.tasks = _task(session, step, context)
    elif isinstance(step, IssueCoupon):
        outcome.coupons, outcome.failed = _coupon(session, step, context)
    _advance(session, context, context.number + 1, context.now)
    return outcome


def _log(session: Session, step: Step, context: StepContext) -> int:
    """One log row per due enrolment (holdout ones say so); the number of enrolments due."""
    acting = step.type in ("send", "tag", "task", "coupon")
    outcome: Any = (
        case((Enrolment.holdout, literal("held_out")), else_=literal(step.type))
        if acting
        else literal(step.type)
    )
    rows = select(
        Enrolment.journey_id,
        Enrolment.id,
        literal(context.number),
        literal(step.type),
        outcome,
        literal(context.now, UTCDateTime()),
    ).where(context.due())
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(JourneyStepLog).from_select(
        ["journey_id", "enrolment_id", "step", "kind", "outcome", "at"], rows
    )
    session.execute(statement.on_conflict_do_nothing())
    return int(session.scalar(select(func.count()).where(context.due())) or 0)


def _advance(session: Session, context: StepContext, target: int, at: datetime) -> None:
    """Move the due enrolments to step `target` (past the last step: completed)."""
    values: dict[str, Any] = {"current_step": target, "next_at": at}
    if target > context.step_count:
        values = {"state": "completed", "ended_at": context.now, "next_at": None}
    session.execute(
        update(Enrolment).where(context.due()).values(**values),
        execution_options={"synchronize_session": False},
    )


def _wait(session: Session, step: Wait, context: StepContext) -> None:
    if step.until is None:
        _advance(session, context, context.number + 1, context.now + _duration(step))
        return
    rows = session.execute(
        select(Enrolment.id, CustomerProfile.next_purchase_on)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == Enrolment.customer_id)
        .where(context.due())
    ).all()
    dated = [
        {"key": enrolment, "at": _date_at(day, step, context)}
        for enrolment, day in rows
        if day is not None or step.fallback_days is not None
    ]
    if dated:
        session.execute(
            update(ENROLMENTS)
            .where(ENROLMENTS.c.id == bindparam("key"))
            .values(current_step=context.number + 1, next_at=bindparam("at")),
            dated,
        )
    session.execute(  # no date and no fallback: the customer leaves
        update(Enrolment)
        .where(context.due())
        .values(state="exited", exit_reason="no_date", ended_at=context.now, next_at=None),
        execution_options={"synchronize_session": False},
    )


def _duration(step: Wait) -> timedelta:
    return timedelta(days=step.days, hours=step.hours)


def _date_at(day: date | None, step: Wait, context: StepContext) -> datetime:
    if day is None:
        assert step.fallback_days is not None
        return context.now + timedelta(days=step.fallback_days)
    local = datetime.combine(day + timedelta(days=step.offset_days), time(0), context.zone)
    return max(local.astimezone(UTC), context.now)


def _branch(session: Session, step: Condition, context: StepContext) -> None:
    holds = condition_clause(session, step, ENROLMENTS.c.customer_id)
    session.execute(
        update(Enrolment)
        .where(context.due(), holds)
        .values(current_step=context.number + 1, next_at=context.now),
        execution_options={"synchronize_session": False},
    )
    target = context.step_count + 1 if step.otherwise == "end" else step.otherwise
    _advance(session, context, target, context.now)


def _acting(context: StepContext) -> Select[Any]:
    return select(Enrolment.customer_id).where(context.due(), Enrolment.holdout.is_(False))


def _send(session: Session, step: Send, context: StepContext) -> PlanReport:
    content = Content(
        text=step.content.text,
        subject=step.content.subject,
        link_url=step.content.link_url,
        template_code=step.content.template_code,
        template_params=dict(step.content.template_params),
    )
    window = timedelta(days=step.window_days)
    common: dict[str, Any] = {
        "source": context.source,
        "channel": step.channel,
        "content": content,
        "not_before": context.now,
        "expires_at": context.now + window,
        "purpose": step.purpose,
    }
    if step.to == "groups":
        if session.scalar(select(func.count()).select_from(_acting(context).subquery())) == 0:
            return PlanReport()
        chats = session.scalars(
            select(CustomerGroup.chat_id)
            .where(CustomerGroup.dismissed_at.is_(None))
            .order_by(CustomerGroup.chat_id)
        ).all()
        batch = PlanBatch(slot="groups", group_chat_ids=list(chats), **common)
        return plan(session, [batch], policy=context.policy, now=context.now)
    by_day = _acting_by_day(session, context)
    batches = [PlanBatch(slot=day, customer_ids=ids, **common) for day, ids in by_day.items()]
    return plan(session, batches, policy=context.policy, now=context.now)


def _tag(session: Session, step: AddTag, context: StepContext) -> tuple[int, str]:
    try:
        tag = ensure_tag(session, name=step.tag, group=step.group, provenance="journey")
        change = add_tag(
            session, tag=tag, customers=_acting(context), source="journey", now=context.now
        )
    except SiyuError as error:
        return 0, error.message
    return change.added, ""


def _coupon(session: Session, step: IssueCoupon, context: StepContext) -> tuple[int, str]:
    """Issue per enrolment day, keyed by the step and the day: a re-run issues nothing twice,
    and a customer enrolled again on another day (a new order) gets that day's coupon."""
    issued = 0
    for day, customers in _acting_by_day(session, context).items():
        try:
            result = issue_coupons(
                session, template_id=step.template_id, customer_ids=customers,
                source="journey", now=context.now, issue_key=f"{context.source}:{day}",
            )  # fmt: skip
        except SiyuError as error:
            return issued, error.message
        issued += result.issued
    return issued, ""


def _acting_by_day(session: Session, context: StepContext) -> dict[str, list[int]]:
    """The due, contacted (not held out) customers by their enrolment day (merchant zone)."""
    by_day: dict[str, list[int]] = {}
    rows = session.execute(
        select(Enrolment.customer_id, Enrolment.enrolled_at)
        .where(context.due(), Enrolment.holdout.is_(False))
        .order_by(Enrolment.customer_id)
    ).all()
    for customer, enrolled_at in rows:
        by_day.setdefault(enrolled_at.astimezone(context.zone).date().isoformat(), []).append(
            customer
        )
    return by_day


def _task(session: Session, step: StaffTaskStep, context: StepContext) -> int:
    guide = (
        select(WecomContact.staff_id)
        .join(StaffAccount, StaffAccount.id == WecomContact.staff_id)
        .where(
            WecomContact.customer_id == Enrolment.customer_id,
            WecomContact.removed_at.is_(None),
            StaffAccount.is_active.is_(True),
        )
        .order_by(WecomContact.added_at.desc(), WecomContact.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    due = context.now + timedelta(days=step.due_days)
    rows = select(
        Enrolment.journey_id,
        Enrolment.id,
        literal(context.number),
        Enrolment.customer_id,
        guide,
        literal(step.title),
        literal(step.note),
        literal(due, UTCDateTime()),
        literal("open"),
        literal(context.now, UTCDateTime()),
    ).where(context.due(), Enrolment.holdout.is_(False))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(StaffTask).from_select(
        [
            "journey_id",
            "enrolment_id",
            "step",
            "customer_id",
            "staff_id",
            "title",
            "note",
            "due_at",
            "state",
            "created_at",
        ],
        rows,
    )
    result = session.execute(
        statement.on_conflict_do_nothing(), execution_options={"preserve_rowcount": True}
    )
    return max(int(getattr(result, "rowcount", 0)), 0)
