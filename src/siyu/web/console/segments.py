"""Console: segments (list, the builder with its live count, members, counts over time)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from siyu.security.access import Permission, customer_scope, require
from siyu.segments.errors import SegmentNotFoundError
from siyu.segments.fields import FIELDS, OPERATORS
from siyu.segments.queries import count_history, list_segments
from siyu.segments.tables import Segment, SegmentMember
from siyu.segments.workbench import member_page
from siyu.web.console.render import page
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
NEW_RULE = {"version": 1, "rule": {"and": [{"field": "stage", "op": "=", "value": "first_order"}]}}


@router.get("/segments", response_class=HTMLResponse)
def segments(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    require(actor, Permission.READ)
    return page(request, "segments.html", actor, segments=list_segments(session))


@router.get("/segments/new", response_class=HTMLResponse)
def new_segment(request: Request, actor: CurrentActor) -> HTMLResponse:
    require(actor, Permission.SEGMENTS)
    return _builder(request, actor, None, NEW_RULE, members=[], total=0, counts=[], page_number=1)


@router.get("/segments/{segment_id}", response_class=HTMLResponse)
def segment(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    segment_id: int,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    require(actor, Permission.READ)
    found = session.get(Segment, segment_id)
    if found is None:
        raise SegmentNotFoundError(f"no segment {segment_id}")
    rows, total = member_page(
        session, found.id, customer_scope(actor, SegmentMember.customer_id),
        limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE,
    )  # fmt: skip
    counts = [
        {**point, "on": point["on"].isoformat()} for point in count_history(session, found.id)
    ]
    return _builder(
        request, actor, found, found.rule, members=rows, total=total, counts=counts,
        page_number=page_number,
    )  # fmt: skip


def _builder(
    request: Request, actor: Any, segment: Segment | None, rule: Any, **context: Any
) -> HTMLResponse:
    may_edit = actor.role in ("admin", "operator") and not (segment and segment.is_builtin)
    return page(
        request, "segment.html", actor, segment=segment, rule=rule, fields=builder_fields(),
        may_edit=may_edit, pages=max(1, -(-context["total"] // PAGE_SIZE)), **context,
    )  # fmt: skip


def builder_fields() -> dict[str, dict[str, Any]]:
    """What the structured rule form offers for each field: its kind, operators and choices."""
    return {
        name: {
            "name": name,
            "kind": spec.kind.value,
            "ops": list(OPERATORS[spec.kind]),
            "choices": list(spec.choices) if spec.choices else None,
            "key": spec.key,
            "doc": spec.doc,
        }
        for name, spec in FIELDS.items()
    }
