"""Materialising saved segments: set-based INSERT/DELETE against the previous membership, with
entered/exited events and one count row per segment and day.

The audience is evaluated once into a scratch table; then exited customers are recorded and
deleted, entered ones recorded and inserted — four statements, whatever the audience size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Date, Select, Table, delete, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from siyu.db.base import table_of
from siyu.db.types import Id, UTCDateTime
from siyu.segments.catalogue import StoreCatalogue
from siyu.segments.compile import audience
from siyu.segments.errors import RuleError
from siyu.segments.evaluation import Evaluation
from siyu.segments.language import Node
from siyu.segments.parse import parse_rule
from siyu.segments.scratch import scratch
from siyu.segments.tables import Segment, SegmentCount, SegmentEvent, SegmentMember

MEMBERS = table_of(SegmentMember)
EVENTS = table_of(SegmentEvent)


@dataclass(frozen=True, slots=True)
class Materialised:
    name: str
    code: str | None
    members: int
    entered: int
    exited: int
    skipped: str | None = None  # why it was not refreshed (e.g. a field not available yet)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def saved_rule(session: Session, segment: Segment) -> Node:
    return parse_rule(segment.rule, StoreCatalogue(session), saving=(segment.id, segment.name))


def materialise(
    session: Session, *, segment: Segment, evaluation: Evaluation, now: datetime
) -> Materialised:
    try:
        rule = saved_rule(session, segment)
    except RuleError as error:
        segment.unavailable = error.message
        session.flush()
        members = _member_count(session, segment.id)
        return Materialised(segment.name, segment.code, members, 0, 0, error.message)
    with scratch(session) as current:
        session.execute(insert(current).from_select(["customer_id"], audience(rule, evaluation)))
        exited, entered = _apply(session, segment.id, current, evaluation, now)
        members = int(session.scalar(select(func.count()).select_from(current)) or 0)
    segment.materialised_at, segment.materialised_as_of = now, evaluation.as_of
    segment.unavailable = None
    _record_count(session, segment.id, evaluation, members, entered, exited)
    session.flush()
    return Materialised(segment.name, segment.code, members, entered, exited)


def materialise_all(
    session: Session, *, evaluation: Evaluation, now: datetime
) -> list[Materialised]:
    segments = session.scalars(select(Segment).order_by(Segment.id)).all()
    return [materialise(session, segment=s, evaluation=evaluation, now=now) for s in segments]


def _apply(
    session: Session, segment_id: int, current: Table, evaluation: Evaluation, now: datetime
) -> tuple[int, int]:
    members = MEMBERS.c
    mine = members.segment_id == segment_id
    gone = ~exists().where(current.c.customer_id == members.customer_id)
    new = ~exists().where(mine, members.customer_id == current.c.customer_id)
    stamp = literal(now, UTCDateTime())
    exited = _record(
        session,
        "exited",
        select(members.customer_id).where(mine, gone),
        segment_id,
        evaluation,
        stamp,
    )
    session.execute(delete(MEMBERS).where(mine, gone))
    entered = _record(
        session, "entered", select(current.c.customer_id).where(new), segment_id, evaluation, stamp
    )
    session.execute(
        insert(MEMBERS).from_select(
            ["segment_id", "customer_id", "entered_at"],
            select(literal(segment_id, Id), current.c.customer_id, stamp).where(new),
        )
    )
    return exited, entered


def _record(
    session: Session,
    kind: str,
    customers: Select[Any],
    segment_id: int,
    evaluation: Evaluation,
    stamp: Any,
) -> int:
    """Insert one event of `kind` per customer selected; the number inserted."""
    extra = (literal(segment_id, Id), literal(kind), stamp, literal(evaluation.as_of, Date()))
    result = session.execute(
        insert(EVENTS).from_select(
            ["customer_id", "segment_id", "kind", "at", "as_of"], customers.add_columns(*extra)
        ),
        execution_options={"preserve_rowcount": True},
    )
    return int(getattr(result, "rowcount", 0))


def _record_count(
    session: Session,
    segment_id: int,
    evaluation: Evaluation,
    members: int,
    entered: int,
    exited: int,
) -> None:
    row = session.get(SegmentCount, (segment_id, evaluation.as_of))
    if row is None:
        session.add(
            SegmentCount(
                segment_id=segment_id,
                counted_on=evaluation.as_of,
                members=members,
                entered=entered,
                exited=exited,
            )
        )
    else:
        row.members, row.entered, row.exited = members, row.entered + entered, row.exited + exited


def _member_count(session: Session, segment_id: int) -> int:
    count = session.scalar(
        select(func.count()).select_from(MEMBERS).where(MEMBERS.c.segment_id == segment_id)
    )
    return int(count or 0)
