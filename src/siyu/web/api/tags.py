"""/api/v1/tags: groups and tags with counts, create one, tag or untag customers."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from siyu.security.access import Permission, require
from siyu.security.audit import record
from siyu.segments.bulk import change_tag
from siyu.segments.errors import SegmentNotFoundError
from siyu.segments.queries import list_tags
from siyu.segments.selection import customer_keys
from siyu.segments.tables import Segment
from siyu.segments.tags import ensure_group, ensure_tag
from siyu.web.api.console_schemas import TagApply, TagChangeOut, TagCreate, TagGroupOut, TagOut
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/tags", tags=["tags"])


@router.get("", response_model=list[TagGroupOut])
def tags(session: DbSession, actor: CurrentActor) -> list[TagGroupOut]:
    """Tag groups (tags outside any group come first, under `name: null`), with counts."""
    require(actor, Permission.READ)
    groups: dict[str | None, TagGroupOut] = {}
    for tag in list_tags(session):
        group = groups.setdefault(
            tag.group, TagGroupOut(name=tag.group, is_exclusive=tag.is_exclusive, tags=[])
        )
        group.tags.append(
            TagOut(
                name=tag.name,
                provenance=tag.provenance,
                customers=tag.customers,
                wecom_tag_id=tag.wecom_tag_id,
            )
        )
    return list(groups.values())


@router.post("", response_model=TagOut, status_code=201)
def create(session: DbSession, actor: CurrentActor, body: TagCreate) -> TagOut:
    require(actor, Permission.SEGMENTS)
    if body.group is not None:
        ensure_group(session, body.group, exclusive=body.exclusive)
    tag = ensure_tag(session, name=body.name, group=body.group)
    record(session, actor, "tag.create", f"{body.group}/{body.name}" if body.group else body.name)
    return TagOut(name=tag.name, provenance=tag.provenance, customers=0, wecom_tag_id=None)


@router.post("/customers", response_model=TagChangeOut)
def apply(session: DbSession, actor: CurrentActor, body: TagApply) -> TagChangeOut:
    """Add the tag to (or remove it from) the customers given and a segment's members; if any
    customer id is unknown nothing changes."""
    require(actor, Permission.SEGMENTS)
    segment = None
    if body.segment_id is not None:
        found = session.get(Segment, body.segment_id)
        if found is None:
            raise SegmentNotFoundError(f"no segment {body.segment_id}")
        segment = found.name
    change = change_tag(
        session,
        name=body.tag,
        group=body.group,
        keys=customer_keys(body.customer_ids),
        segment=segment,
        remove=body.action == "remove",
        now=datetime.now(UTC),
    )
    record(
        session, actor, f"tag.{body.action}", body.tag, added=change.added, removed=change.removed
    )
    return TagChangeOut(
        tag=change.tag,
        added=change.added,
        removed=change.removed,
        removed_from_group=change.removed_from_group,
    )
