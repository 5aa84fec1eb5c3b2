"""WeCom 客户联系 API responses saved as JSON: contacts and customer groups.

`parse_contacts` reads what `externalcontact/batch/get_by_user` returns, `parse_groups` what
`externalcontact/groupchat/get` returns (FORMATS.md section 4). Each file holds one response, a
JSON array of responses, or JSON Lines with one response a line; several files are read in order.

Every file is read and every page checked before the first record is yielded, so a bad page
(invalid JSON, a nonzero `errcode`, a response of the wrong endpoint) raises `WeComFormatError`
and nothing is half-imported. A single contact or group that cannot be used becomes a
`RejectedRow` whose `line_no` is its 1-based position across all the input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, tzinfo
from pathlib import Path

from siyu.ingest.formats.errors import FormatError, RowError
from siyu.ingest.records import ContactRecord, GroupMemberRecord, GroupRecord, RejectedRow

LATEST_UNIX_SECONDS = 32_503_680_000  # 3000-01-01: anything later is not a WeCom time


class WeComFormatError(FormatError, ValueError):
    """A WeCom JSON file as a whole cannot be used: not UTF-8, not JSON, not a response of the
    expected endpoint, or a page where WeCom answered with an error (`errcode` != 0)."""


def parse_contacts(paths: Sequence[Path], *, tz: tzinfo) -> Iterator[ContactRecord | RejectedRow]:
    """Contacts from saved `externalcontact/batch/get_by_user` responses, in input order."""
    items = _load_items(paths, list_key="external_contact_list")
    return (_contact_or_rejected(item, line_no, tz) for line_no, item in enumerate(items, 1))


def parse_groups(paths: Sequence[Path], *, tz: tzinfo) -> Iterator[GroupRecord | RejectedRow]:
    """Customer groups from saved `externalcontact/groupchat/get` responses, in input order."""
    items = _load_items(paths, object_key="group_chat")
    return (_group_or_rejected(item, line_no, tz) for line_no, item in enumerate(items, 1))


def _load_items(
    paths: Sequence[Path], *, list_key: str | None = None, object_key: str | None = None
) -> list[object]:
    items: list[object] = []
    for path in paths:
        for page_no, page in enumerate(_read_pages(path), 1):
            where = f"{path}: response {page_no}"
            _check_errcode(page, where)
            if list_key is not None:
                items.extend(_page_list(page, list_key, where))
            if object_key is not None:
                if object_key not in page:
                    raise WeComFormatError(f"{where}: no '{object_key}' (wrong endpoint?)")
                items.append(page[object_key])
    return items


def _read_pages(path: Path) -> list[dict[str, object]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise WeComFormatError(f"{path}: not UTF-8 text (byte {error.start})") from error
    if not text.strip():
        raise WeComFormatError(f"{path}: the file is empty")
    try:
        document = _loads(text, f"{path}: ")
    except WeComFormatError:
        lines = [(no, line) for no, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise
        return [_as_page(_loads(line, f"{path}: line {no}: "), path) for no, line in lines]
    if isinstance(document, list):
        return [_as_page(page, path) for page in document]
    return [_as_page(document, path)]


def _loads(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise WeComFormatError(f"{where}not JSON: {error.msg} at {error.pos}") from error
    except (ValueError, RecursionError) as error:  # huge integers, absurd nesting
        raise WeComFormatError(f"{where}not usable JSON: {error}") from error


def _as_page(value: object, path: Path) -> dict[str, object]:
    if not isinstance(value, dict):
        raise WeComFormatError(
            f"{path}: a response must be a JSON object, not {_kind(value)}"
            " (expected one response, an array of them, or JSON Lines)"
        )
    return value


def _check_errcode(page: dict[str, object], where: str) -> None:
    errcode = page.get("errcode", 0)
    if isinstance(errcode, bool) or not isinstance(errcode, int):
        raise WeComFormatError(f"{where}: errcode is {_kind(errcode)}, not an integer")
    if errcode != 0:
        errmsg = page.get("errmsg")
        raise WeComFormatError(f"{where}: WeCom answered errcode {errcode}: {errmsg}")


def _page_list(page: dict[str, object], key: str, where: str) -> list[object]:
    if key not in page:
        raise WeComFormatError(f"{where}: no '{key}' (wrong endpoint?)")
    value = page[key]
    if value is None:
        return []
    if not isinstance(value, list):
        raise WeComFormatError(f"{where}: '{key}' is {_kind(value)}, not an array")
    return value


def _contact_or_rejected(item: object, line_no: int, tz: tzinfo) -> ContactRecord | RejectedRow:
    try:
        return _contact(item, line_no, tz)
    except RowError as error:
        return RejectedRow(line_no=line_no, reason=str(error), raw=_raw(item))


def _contact(item: object, line_no: int, tz: tzinfo) -> ContactRecord:
    entry = _object(item, "contact")
    contact = _object(entry.get("external_contact"), "external_contact")
    follow = _object(entry.get("follow_info"), "follow_info")
    return ContactRecord(
        line_no=line_no,
        staff_userid=_required_text(follow, "userid", "follow_info"),
        external_userid=_required_text(contact, "external_userid", "external_contact"),
        name=_optional_text(contact, "name", "external_contact"),
        added_at=_unix_time(follow, "createtime", "follow_info", tz),
        state=_optional_text(follow, "state", "follow_info"),
        add_way=_optional_int(follow, "add_way", "follow_info"),
        unionid=_optional_text(contact, "unionid", "external_contact"),
        remark_mobiles=_texts(follow, "remark_mobiles", "follow_info"),
        tag_ids=_texts(follow, "tag_id", "follow_info"),
        contact_type=_optional_int(contact, "type", "external_contact"),
    )


def _group_or_rejected(item: object, line_no: int, tz: tzinfo) -> GroupRecord | RejectedRow:
    try:
        return _group(item, line_no, tz)
    except RowError as error:
        return RejectedRow(line_no=line_no, reason=str(error), raw=_raw(item))


def _group(item: object, line_no: int, tz: tzinfo) -> GroupRecord:
    chat = _object(item, "group_chat")
    members = chat.get("member_list")
    if members is not None and not isinstance(members, list):
        raise RowError(f"group_chat.member_list is {_kind(members)}, not an array")
    return GroupRecord(
        line_no=line_no,
        chat_id=_required_text(chat, "chat_id", "group_chat"),
        name=_optional_text(chat, "name", "group_chat"),
        owner_userid=_required_text(chat, "owner", "group_chat"),
        created_at=_unix_time(chat, "create_time", "group_chat", tz),
        members=tuple(_member(member, index, tz) for index, member in enumerate(members or [])),
    )


def _member(item: object, index: int, tz: tzinfo) -> GroupMemberRecord:
    where = f"group_chat.member_list[{index}]"
    member = _object(item, where)
    member_type = _optional_int(member, "type", where)
    if member_type is None:
        raise RowError(f"{where}: missing type")
    return GroupMemberRecord(
        userid=_required_text(member, "userid", where),
        member_type=member_type,
        joined_at=_unix_time(member, "join_time", where, tz),
        join_scene=_optional_int(member, "join_scene", where),
        unionid=_optional_text(member, "unionid", where),
        name=_optional_text(member, "name", where)
        or _optional_text(member, "group_nickname", where),
    )


def _object(value: object, where: str) -> dict[str, object]:
    if value is None:
        raise RowError(f"missing {where}")
    if not isinstance(value, dict):
        raise RowError(f"{where} is {_kind(value)}, not an object")
    return value


def _required_text(source: dict[str, object], key: str, where: str) -> str:
    value = _optional_text(source, key, where)
    if value is None:
        raise RowError(f"missing {where}.{key}")
    return value


def _optional_text(source: dict[str, object], key: str, where: str) -> str | None:
    value = source.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowError(f"{where}.{key} is {_kind(value)}, not text")
    if not _is_unicode(value):
        raise RowError(f"{where}.{key} is not valid Unicode text (a lone surrogate escape)")
    return value.strip() or None


def _optional_int(source: dict[str, object], key: str, where: str) -> int | None:
    value = source.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowError(f"{where}.{key} is {_kind(value)}, not an integer")
    return value


def _texts(source: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = source.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(text, str) for text in value):
        raise RowError(f"{where}.{key} is {_kind(value)}, not an array of text")
    if not all(_is_unicode(text) for text in value):
        raise RowError(f"{where}.{key} holds text that is not valid Unicode")
    return tuple(text.strip() for text in value if text.strip())


def _unix_time(source: dict[str, object], key: str, where: str, tz: tzinfo) -> datetime | None:
    value = source.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 16:
        value = int(value)  # some proxies stringify integers
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowError(f"{where}.{key} is {_kind(value)}, not Unix seconds")
    if not 0 <= value < LATEST_UNIX_SECONDS:
        raise RowError(f"{where}.{key} = {value} is out of range for Unix seconds")
    return datetime.fromtimestamp(value, tz)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text ({value[:40]!r})"
    return "an array" if isinstance(value, list) else "an object"


def _raw(item: object) -> str:
    """The item as compact JSON, readable (CJK as is) unless that would not encode as UTF-8."""
    text = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    return text if _is_unicode(text) else json.dumps(item, separators=(",", ":"))


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
