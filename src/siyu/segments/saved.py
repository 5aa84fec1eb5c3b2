"""Saved segments: count a rule, save (and materialise) it, copy, delete, look one up."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.errors import InvalidInputError
from siyu.segments.builtins import BUILTIN_CODES
from siyu.segments.catalogue import StoreCatalogue, find_segment
from siyu.segments.compile import audience_count
from siyu.segments.errors import SegmentNotFoundError, SegmentReadOnlyError
from siyu.segments.evaluation import Evaluation
from siyu.segments.membership import Materialised, materialise
from siyu.segments.parse import parse_rule
from siyu.segments.tables import Segment

MAX_NAME = 100


def get_segment(session: Session, reference: str) -> Segment:
    segment = find_segment(session, reference)
    if segment is None:
        raise SegmentNotFoundError(f"no segment {reference!r} (see `siyu segment list`)")
    return segment


def count_rule(session: Session, document: Any, evaluation: Evaluation) -> int:
    """How many customers the rule selects as of the evaluation's day (live, one statement)."""
    rule = parse_rule(document, StoreCatalogue(session))
    return int(session.scalar(audience_count(rule, evaluation)) or 0)


def save_segment(
    session: Session,
    *,
    name: str,
    document: Any,
    evaluation: Evaluation,
    now: datetime,
    description: str | None = None,
) -> Materialised:
    """Create the segment, or give an existing one a new rule; then materialise it."""
    _check_name(name)
    segment = session.scalars(select(Segment).where(Segment.name == name)).first()
    if segment is not None and segment.is_builtin:
        raise SegmentReadOnlyError(
            f"segment {name!r} is built in and read-only: copy it with `siyu segment copy`"
        )
    saving = (segment.id, segment.name) if segment is not None else None
    parse_rule(document, StoreCatalogue(session), saving=saving)
    if segment is None:
        segment = Segment(name=name, rule=document, description=description or "")
        session.add(segment)
    else:
        segment.rule = document
        segment.description = description if description is not None else segment.description
    session.flush()
    return materialise(session, segment=segment, evaluation=evaluation, now=now)


def copy_segment(
    session: Session, *, source: str, name: str, evaluation: Evaluation, now: datetime
) -> Materialised:
    original = get_segment(session, source)
    if find_segment(session, name) is not None:
        raise SegmentReadOnlyError(f"segment {name!r} exists already: choose another name")
    return save_segment(
        session,
        name=name,
        document=copy.deepcopy(original.rule),
        evaluation=evaluation,
        now=now,
        description=f"Copy of {original.name}. {original.description}".strip(),
    )


def delete_segment(session: Session, reference: str) -> None:
    segment = get_segment(session, reference)
    if segment.is_builtin:
        raise SegmentReadOnlyError(f"segment {segment.name!r} is built in and cannot be deleted")
    users = [
        other.name
        for other in session.scalars(select(Segment).where(Segment.id != segment.id))
        if _mentions(other.rule, {segment.name, segment.code or segment.name})
    ]
    if users:
        raise SegmentReadOnlyError(
            f"segment {segment.name!r} is used by {', '.join(sorted(users))}: change them first"
        )
    session.delete(segment)
    session.flush()


def _mentions(document: Any, names: set[str]) -> bool:
    if isinstance(document, dict):
        if document.get("segment") in names:
            return True
        return any(_mentions(value, names) for value in document.values())
    if isinstance(document, list):
        return any(_mentions(item, names) for item in document)
    return False


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidInputError(f"a segment name is 1–{MAX_NAME} characters, got {name!r}")
    if name in BUILTIN_CODES:
        raise InvalidInputError(f"{name!r} is the code of a built-in segment: choose another")
