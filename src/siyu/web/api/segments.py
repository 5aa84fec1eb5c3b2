"""/api/v1/segments: list, create, change, count a draft rule, members, explain, delete."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from siyu.errors import InvalidInputError
from siyu.security.access import Permission, access_customer, customer_scope, require
from siyu.security.audit import record
from siyu.segments.errors import SegmentNotFoundError
from siyu.segments.explain import explain
from siyu.segments.membership import saved_rule
from siyu.segments.queries import count_history, list_segments
from siyu.segments.saved import delete_segment, save_segment
from siyu.segments.tables import Segment, SegmentMember
from siyu.segments.workbench import count_draft, member_page
from siyu.web.api.console_schemas import (
    DraftCountOut,
    DraftRule,
    ExplanationOut,
    MemberOut,
    RuleProblemOut,
    SavedOut,
    SegmentCountPoint,
    SegmentCreate,
    SegmentDetail,
    SegmentOut,
    SegmentUpdate,
)
from siyu.web.api.schemas import IdPath, Page
from siyu.web.deps import CurrentActor, DbSession
from siyu.web.today import evaluation_of

router = APIRouter(prefix="/segments", tags=["segments"])


@router.get("", response_model=list[SegmentOut])
def segments(session: DbSession, actor: CurrentActor) -> list[SegmentOut]:
    require(actor, Permission.READ)
    return [SegmentOut(**summary.as_dict()) for summary in list_segments(session)]


@router.post("/count", response_model=DraftCountOut)
def count(
    request: Request, session: DbSession, actor: CurrentActor, body: DraftRule
) -> DraftCountOut:
    """Count a draft rule live; an invalid rule answers its errors (with JSON paths), not 4xx."""
    require(actor, Permission.READ)
    evaluation = evaluation_of(request, body.as_of)
    draft = count_draft(
        session, body.rule, evaluation, lambda column: customer_scope(actor, column)
    )
    errors = [RuleProblemOut(**asdict(problem)) for problem in draft.errors]
    return DraftCountOut(count=draft.count, as_of=evaluation.as_of, errors=errors)


@router.post("", response_model=SavedOut, status_code=201)
def create(
    request: Request, session: DbSession, actor: CurrentActor, body: SegmentCreate
) -> SavedOut:
    require(actor, Permission.SEGMENTS)
    if session.scalar(select(Segment.id).where(Segment.name == body.name)) is not None:
        raise InvalidInputError(f"name: a segment named {body.name!r} exists already")
    return _save(request, session, actor, body.name, body.rule, body.description)


@router.get("/{segment_id}", response_model=SegmentDetail)
def segment(session: DbSession, actor: CurrentActor, segment_id: IdPath) -> SegmentDetail:
    require(actor, Permission.READ)
    found = _segment(session, segment_id)
    summary = next(s for s in list_segments(session) if s.id == found.id)
    counts = [SegmentCountPoint(**point) for point in count_history(session, found.id)]
    return SegmentDetail(**summary.as_dict(), rule=found.rule, counts=counts)


@router.put("/{segment_id}", response_model=SavedOut)
def update(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    segment_id: IdPath,
    body: SegmentUpdate,
) -> SavedOut:
    require(actor, Permission.SEGMENTS)
    found = _segment(session, segment_id)
    return _save(request, session, actor, found.name, body.rule, body.description)


@router.delete("/{segment_id}", status_code=204)
def delete(session: DbSession, actor: CurrentActor, segment_id: IdPath) -> Response:
    require(actor, Permission.SEGMENTS)
    found = _segment(session, segment_id)
    delete_segment(session, found.name)
    record(session, actor, "segment.delete", found.name)
    return Response(status_code=204)


@router.get("/{segment_id}/members", response_model=Page[MemberOut])
def members(
    session: DbSession,
    actor: CurrentActor,
    segment_id: IdPath,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[MemberOut]:
    require(actor, Permission.READ)
    found = _segment(session, segment_id)
    scope = customer_scope(actor, SegmentMember.customer_id)
    rows, total = member_page(
        session, found.id, scope, limit=page_size, offset=(page - 1) * page_size
    )
    items = [MemberOut(**asdict(row)) for row in rows]
    return Page(items=items, total=total, page=page, page_size=page_size)


@router.get("/{segment_id}/explain/{customer_id}", response_model=ExplanationOut)
def explain_customer(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    segment_id: IdPath,
    customer_id: IdPath,
) -> ExplanationOut:
    """Why the customer is in the segment or out of it, condition by condition, as of today."""
    require(actor, Permission.READ)
    found = _segment(session, segment_id)
    access_customer(session, actor, customer_id)
    result = explain(
        session,
        rule=saved_rule(session, found),
        customer_id=customer_id,
        evaluation=evaluation_of(request),
    )
    return ExplanationOut(segment=found.name, **result.as_dict())


def _segment(session: DbSession, segment_id: int) -> Segment:
    found = session.get(Segment, segment_id)
    if found is None:
        raise SegmentNotFoundError(f"no segment {segment_id}")
    return found


def _save(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    name: str,
    rule: object,
    description: str | None,
) -> SavedOut:
    result = save_segment(
        session,
        name=name,
        document=rule,
        evaluation=evaluation_of(request),
        now=datetime.now(UTC),
        description=description,
    )
    saved = session.scalars(select(Segment).where(Segment.name == name)).one()
    record(session, actor, "segment.save", name, members=result.members)
    return SavedOut(
        id=saved.id, name=name, members=result.members, entered=result.entered, exited=result.exited
    )
