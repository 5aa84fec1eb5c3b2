"""WeCom callback events (decrypted XML, or the same fields as JSON Lines) as typed values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.wecom.xml import parse_flat

CONTACT_EVENT = "change_external_contact"
CHAT_EVENT = "change_external_chat"
TAG_EVENT = "change_external_tag"
CONTACT_ADDED = frozenset({"add_external_contact", "add_half_external_contact"})
REMOVED_BY = {"del_external_contact": "staff", "del_follow_user": "customer"}


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    event: str
    change_type: str
    create_time: int
    corp_id: str = ""
    user_id: str = ""  # the staff member (UserID)
    external_userid: str = ""
    state: str = ""
    welcome_code: str = ""
    source: str = ""  # DELETE_BY_TRANSFER on a transfer deletion
    fail_reason: str = ""
    chat_id: str = ""
    update_detail: str = ""
    tag_id: str = ""
    tag_type: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.create_time, UTC)

    @property
    def dedupe_key(self) -> str:
        """(subject, ChangeType, CreateTime): WeCom re-sends an unanswered event with the same
        fields. The staff member is part of the subject, so two members' events never merge."""
        subject = self.external_userid or self.chat_id or self.tag_id
        return f"{self.event}|{self.change_type}|{subject}|{self.user_id}|{self.create_time}"


def event_from_fields(fields: Mapping[str, Any]) -> CallbackEvent:
    """An event from the XML element names (`Event`, `ChangeType`, `ExternalUserID`, …)."""
    text = {str(name): "" if value is None else str(value) for name, value in fields.items()}
    event = text.get("Event") or text.get("InfoType", "")
    created = text.get("CreateTime") or text.get("TimeStamp", "")
    if not event or not text.get("ChangeType") or not created.isdigit():
        raise EngageError(
            EngageErrorCode.BAD_CALLBACK,
            "a callback event needs Event (or InfoType), ChangeType and a numeric CreateTime",
        )
    return CallbackEvent(
        event=event,
        change_type=text["ChangeType"],
        create_time=int(created),
        corp_id=text.get("ToUserName") or text.get("AuthCorpId", ""),
        user_id=text.get("UserID", ""),
        external_userid=text.get("ExternalUserID", ""),
        state=text.get("State", ""),
        welcome_code=text.get("WelcomeCode", ""),
        source=text.get("Source", ""),
        fail_reason=text.get("FailReason", ""),
        chat_id=text.get("ChatId", ""),
        update_detail=text.get("UpdateDetail", ""),
        tag_id=text.get("Id", ""),
        tag_type=text.get("TagType", ""),
        fields=text,
    )


def parse_event_xml(document: str | bytes) -> CallbackEvent:
    return event_from_fields(parse_flat(document))
