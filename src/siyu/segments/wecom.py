"""WeCom corp tags: the mapping, importing corp tags, and the `externalcontact/mark_tag`
payloads that bring WeCom in line with siyu's tag changes.

Sending them is the channels capability's job; this module only says what to send. A payload
is per staff member and external contact: {userid, external_userid, add_tag, remove_tag}, with
WeCom tag ids. Changes that came from WeCom itself (source "wecom") are not echoed back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.accounts.tables import StaffAccount, WecomContact
from siyu.segments.errors import TagError
from siyu.segments.tables import Tag, TagEvent, TagGroup
from siyu.segments.tags import ensure_group, ensure_tag


@dataclass(frozen=True, slots=True)
class MarkTagPayload:
    userid: str
    external_userid: str
    add_tag: list[str]
    remove_tag: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MarkTagBatch:
    payloads: list[MarkTagPayload]
    last_event_id: int  # pass it as `after_event_id` next time


def map_wecom_tag(
    session: Session, *, tag: Tag, wecom_tag_id: str, wecom_group_id: str | None = None
) -> None:
    """Map a siyu tag (and its group) to a WeCom corp tag."""
    other = session.scalar(select(Tag.id).where(Tag.wecom_tag_id == wecom_tag_id))
    if other is not None and other != tag.id:
        raise TagError(f"WeCom tag {wecom_tag_id!r} is mapped to another tag already")
    tag.wecom_tag_id = wecom_tag_id
    if wecom_group_id is not None:
        if tag.group_id is None:
            raise TagError("a tag without a group cannot map to a WeCom tag group")
        group = session.get(TagGroup, tag.group_id)
        assert group is not None
        group.wecom_group_id = wecom_group_id
    session.flush()


def import_wecom_tag(
    session: Session, *, group_name: str, wecom_group_id: str, tag_name: str, wecom_tag_id: str
) -> Tag:
    """A corp tag from WeCom (get_corp_tag_list), as a siyu tag of provenance wecom."""
    ensure_group(session, group_name, wecom_group_id=wecom_group_id)
    mapped = session.scalars(select(Tag).where(Tag.wecom_tag_id == wecom_tag_id)).first()
    if mapped is not None:
        return mapped
    tag = ensure_tag(session, name=tag_name, group=group_name, provenance="wecom")
    map_wecom_tag(session, tag=tag, wecom_tag_id=wecom_tag_id)
    return tag


def mark_tag_payloads(session: Session, *, after_event_id: int = 0) -> MarkTagBatch:
    """The payloads for every tag change after `after_event_id` (the net change per customer
    and tag: the last event wins), for each live WeCom contact of the customer."""
    upto = session.scalar(select(func.max(TagEvent.id))) or 0
    latest = (
        select(func.max(TagEvent.id))
        .where(TagEvent.id > after_event_id, TagEvent.id <= upto, TagEvent.source != "wecom")
        .group_by(TagEvent.customer_id, TagEvent.tag_id)
    )
    rows = session.execute(
        select(StaffAccount.userid, WecomContact.external_userid, TagEvent.kind, Tag.wecom_tag_id)
        .join(Tag, Tag.id == TagEvent.tag_id)
        .join(WecomContact, WecomContact.customer_id == TagEvent.customer_id)
        .join(StaffAccount, StaffAccount.id == WecomContact.staff_id)
        .where(
            TagEvent.id.in_(latest),
            Tag.wecom_tag_id.is_not(None),
            WecomContact.removed_at.is_(None),
        )
    )
    changes: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
        lambda: {"added": set(), "removed": set()}
    )
    for userid, external_userid, kind, wecom_tag_id in rows:
        changes[(userid, external_userid)][kind].add(str(wecom_tag_id))
    payloads = [
        MarkTagPayload(userid, external, sorted(kinds["added"]), sorted(kinds["removed"]))
        for (userid, external), kinds in sorted(changes.items())
    ]
    return MarkTagBatch(payloads, max(int(upto), after_event_id))
