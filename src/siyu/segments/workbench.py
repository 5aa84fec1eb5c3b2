"""What the segment builder and the customer 360 read: a draft rule's live count with its
errors, a page of members, and a customer's segments with why they are in them.

Every read takes a `scope` clause on customer ids (who may see which customers), so a shopping
guide's counts and lists cover only their own customers, in the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from siyu.segments.catalogue import StoreCatalogue
from siyu.segments.compile import audience
from siyu.segments.errors import RuleError
from siyu.segments.evaluation import Evaluation
from siyu.segments.explain import explain
from siyu.segments.membership import saved_rule
from siyu.segments.parse import parse_rule
from siyu.segments.queries import MemberRow, members_query
from siyu.segments.tables import Segment, SegmentMember

Scope = ColumnElement[bool]
ScopeOf = Any  # a function: customer id column → scope clause


@dataclass(frozen=True, slots=True)
class RuleProblem:
    path: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class DraftCount:
    count: int | None  # None when the rule is invalid
    errors: list[RuleProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CustomerSegment:
    id: int
    name: str
    code: str | None
    entered_at: Any
    as_of: Any
    explanation: dict[str, Any] | None  # None when the rule cannot be evaluated now


def count_draft(
    session: Session, document: Any, evaluation: Evaluation, scope_of: ScopeOf = None
) -> DraftCount:
    """The customers a draft rule selects (within the scope), or where and why it is wrong."""
    try:
        rule = parse_rule(document, StoreCatalogue(session))
    except RuleError as error:
        return DraftCount(None, [RuleProblem(error.path, error.kind.value, error.reason)])
    chosen = audience(rule, evaluation).subquery()
    scope = scope_of(chosen.c[0]) if scope_of is not None else true()
    total = session.scalar(select(func.count()).select_from(chosen).where(scope))
    return DraftCount(int(total or 0))


def member_page(
    session: Session, segment_id: int, scope: Scope, *, limit: int, offset: int
) -> tuple[list[MemberRow], int]:
    """A page of the materialised members (by customer id) and how many there are in scope."""
    where = (SegmentMember.segment_id == segment_id, scope)
    rows = session.execute(members_query(*where).limit(limit).offset(offset)).all()
    total = session.scalar(select(func.count()).select_from(SegmentMember).where(*where))
    return [MemberRow(*row) for row in rows], int(total or 0)


def customer_segments(
    session: Session, customer_id: int, evaluation: Evaluation, *, explained: bool = True
) -> list[CustomerSegment]:
    """The segments the customer is a member of, each explained (with `explained`) as of its
    last materialisation (the day membership was decided). Explaining costs one statement per
    segment, and a CLV-rank condition ranks every profile."""
    found = session.execute(
        select(Segment, SegmentMember.entered_at)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .where(SegmentMember.customer_id == customer_id)
        .order_by(Segment.is_builtin.desc(), Segment.id)
    ).all()
    return [
        CustomerSegment(
            segment.id,
            segment.name,
            segment.code,
            entered_at,
            segment.materialised_as_of or evaluation.as_of,
            _why(session, segment, customer_id, evaluation) if explained else None,
        )
        for segment, entered_at in found
    ]


def _why(
    session: Session, segment: Segment, customer_id: int, evaluation: Evaluation
) -> dict[str, Any] | None:
    try:
        rule = saved_rule(session, segment)
    except RuleError:
        return None  # the rule cannot be evaluated now (a field not available, a tag renamed)
    when = Evaluation(segment.materialised_as_of or evaluation.as_of, evaluation.zone)
    return explain(session, rule=rule, customer_id=customer_id, evaluation=when).tree.as_dict()
