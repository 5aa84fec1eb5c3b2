"""Tag actions: groups, tags, and adding or removing a tag for a set of customers.

Every change is set-based (INSERT … SELECT / DELETE … WHERE over the selected customers) and
recorded in tag_events. In an exclusive group, adding a tag removes the customer's other tags of
that group.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, insert, literal, select
from sqlalchemy.orm import Session

from siyu.db.base import table_of
from siyu.db.types import Id, UTCDateTime
from siyu.segments.errors import TagError, TagNotFoundError
from siyu.segments.tables import TAG_PROVENANCES, CustomerTag, Tag, TagEvent, TagGroup

HELD = table_of(CustomerTag)
TAG_EVENTS = table_of(TagEvent)
MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class TagChange:
    tag: str
    added: int = 0
    removed: int = 0
    removed_from_group: int = 0  # other tags of an exclusive group, removed by the adding
    skipped: str | None = None  # why a rule tag was not recomputed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def tag_label(session: Session, tag: Tag) -> str:
    group = session.get(TagGroup, tag.group_id) if tag.group_id else None
    return f"{group.name}/{tag.name}" if group else tag.name


def find_tag(session: Session, name: str, group: str | None = None) -> Tag:
    query = select(Tag).outerjoin(TagGroup, TagGroup.id == Tag.group_id).where(Tag.name == name)
    if group is not None:
        query = query.where(TagGroup.name == group)
    found = session.scalars(query.order_by(Tag.id)).all()
    if not found:
        where = f" in group {group!r}" if group else ""
        raise TagNotFoundError(f"no tag {name!r}{where}")
    if len(found) > 1:
        raise TagError(f"tag {name!r} is in several groups: give --group")
    return found[0]


def ensure_group(
    session: Session, name: str, *, exclusive: bool | None = None, wecom_group_id: str | None = None
) -> TagGroup:
    """The group, created if missing; `exclusive`/`wecom_group_id` update it when given."""
    _check_name(name, "tag group")
    group = session.scalars(select(TagGroup).where(TagGroup.name == name)).first()
    if group is None:
        group = TagGroup(name=name, is_exclusive=bool(exclusive))
        session.add(group)
    elif exclusive is not None:
        group.is_exclusive = exclusive
    if wecom_group_id is not None:
        group.wecom_group_id = wecom_group_id
    session.flush()
    return group


def ensure_tag(
    session: Session, *, name: str, group: str | None = None, provenance: str = "manual"
) -> Tag:
    """The tag (in `group`, created if missing), created with `provenance` if missing."""
    _check_name(name, "tag")
    if provenance not in TAG_PROVENANCES:
        raise TagError(f"provenance {provenance!r} is not one of {', '.join(TAG_PROVENANCES)}")
    group_row = ensure_group(session, group) if group is not None else None
    group_id = group_row.id if group_row else None
    tag = session.scalars(select(Tag).where(Tag.name == name, _same_group(group_id))).first()
    if tag is None:
        tag = Tag(name=name, group_id=group_id, provenance=provenance)
        session.add(tag)
        session.flush()
    return tag


def add_tag(
    session: Session, *, tag: Tag, customers: Select[Any], source: str, now: datetime
) -> TagChange:
    """Give `tag` to the customers `customers` selects (one column: customer ids)."""
    _check_writable(tag, source)
    who = _chosen(customers)
    group = session.get(TagGroup, tag.group_id) if tag.group_id else None
    from_group = 0
    if group is not None and group.is_exclusive:
        siblings = select(Tag.id).where(Tag.group_id == group.id, Tag.id != tag.id)
        held = (HELD.c.tag_id.in_(siblings), HELD.c.customer_id.in_(select(who)))
        from_group = _log(session, "removed", source, now, HELD.c.customer_id, HELD.c.tag_id, held)
        session.execute(delete(HELD).where(*held))
    missing = ~exists().where(HELD.c.customer_id == who, HELD.c.tag_id == tag.id)
    tag_id = literal(tag.id, Id)
    added = _log(session, "added", source, now, who, tag_id, (missing,))
    session.execute(
        insert(HELD).from_select(
            ["customer_id", "tag_id", "source", "created_at"],
            select(who, tag_id, literal(source), literal(now, UTCDateTime())).where(missing),
        )
    )
    session.flush()
    return TagChange(tag.name, added=added, removed_from_group=from_group)


def remove_tag(
    session: Session, *, tag: Tag, customers: Select[Any], source: str, now: datetime
) -> TagChange:
    _check_writable(tag, source)
    held = (HELD.c.tag_id == tag.id, HELD.c.customer_id.in_(select(_chosen(customers))))
    removed = _log(session, "removed", source, now, HELD.c.customer_id, HELD.c.tag_id, held)
    session.execute(delete(HELD).where(*held))
    session.flush()
    return TagChange(tag.name, removed=removed)


def keep_only(
    session: Session, *, tag: Tag, customers: Select[Any], source: str, now: datetime
) -> int:
    """Remove `tag` from every holder `customers` does not select; the number removed."""
    gone = ~exists().where(_chosen(customers) == HELD.c.customer_id)
    held = (HELD.c.tag_id == tag.id, gone)
    removed = _log(session, "removed", source, now, HELD.c.customer_id, HELD.c.tag_id, held)
    session.execute(delete(HELD).where(*held))
    return removed


def _log(
    session: Session,
    kind: str,
    source: str,
    now: datetime,
    customer: ColumnElement[Any],
    tag: ColumnElement[Any],
    where: tuple[ColumnElement[bool], ...],
) -> int:
    rows = select(customer, tag, literal(kind), literal(source), literal(now, UTCDateTime()))
    result = session.execute(
        insert(TAG_EVENTS).from_select(
            ["customer_id", "tag_id", "kind", "source", "at"], rows.where(*where)
        ),
        execution_options={"preserve_rowcount": True},
    )
    return int(getattr(result, "rowcount", 0))


def _chosen(customers: Select[Any]) -> ColumnElement[Any]:
    """The id column of a one-column selection of customers, as a subquery."""
    return next(iter(customers.subquery("chosen").c))


def _check_writable(tag: Tag, source: str) -> None:
    if tag.provenance == "rule" and source != "rule":
        raise TagError(f"tag {tag.name!r} is a rule tag: its rule decides who has it")


def _check_name(name: str, what: str) -> None:
    if not name.strip() or len(name) > MAX_NAME:
        raise TagError(f"a {what} name is 1–{MAX_NAME} characters, got {name!r}")


def _same_group(group_id: int | None) -> ColumnElement[bool]:
    return Tag.group_id.is_(None) if group_id is None else Tag.group_id == group_id
