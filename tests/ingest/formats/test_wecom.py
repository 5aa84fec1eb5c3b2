"""WeCom 客户联系 JSON: batch/get_by_user contacts and groupchat/get groups.

The fixtures follow the example responses of the official docs (doc 92994 for
externalcontact/batch/get_by_user, doc 92122 for externalcontact/groupchat/get), field for field.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siyu.errors import SiyuError
from siyu.ingest.formats.wecom import WeComFormatError, parse_contacts, parse_groups
from siyu.ingest.records import ContactRecord, GroupMemberRecord, GroupRecord, RejectedRow

SHANGHAI = ZoneInfo("Asia/Shanghai")

CONTACTS_PAGE: dict[str, Any] = {
    "errcode": 0,
    "errmsg": "ok",
    "external_contact_list": [
        {
            "external_contact": {
                "external_userid": "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA",
                "name": "李四",
                "position": "Manager",
                "avatar": "http://p.qlogo.cn/bizmail/IcsdgagqefergqerhewSdage/0",
                "corp_name": "腾讯",
                "corp_full_name": "腾讯科技有限公司",
                "type": 2,
                "gender": 1,
                "unionid": "ozynqsulJFCZ2z1aYeS8h-nuasdAAA",
                "external_profile": {
                    "external_attr": [
                        {"type": 0, "name": "文本名称", "text": {"value": "文本"}},
                    ]
                },
            },
            "follow_info": {
                "userid": "rocky",
                "remark": "李部长",
                "description": "对接采购事务",
                "createtime": 1525779812,
                "tag_id": ["etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA"],
                "remark_corp_name": "腾讯科技",
                "remark_mobiles": ["13800000001", "13000000002"],
                "oper_userid": "rocky",
                "add_way": 10,
                "wechat_channels": {"nickname": "", "source": 1},
                "state": "外联二维码1",
            },
        },
        {
            "external_contact": {
                "external_userid": "woAJ2GCAAAXtWyujaWJHDDGi0mACHBBB",
                "name": "王五",
                "avatar": "http://p.qlogo.cn/bizmail/IcsdgagqefergqerhewSdage/0",
                "type": 1,
                "gender": 1,
                "unionid": "ozynqsulJFCZ2asdaf8h-nuasdAAA",
            },
            "follow_info": {
                "userid": "rocky",
                "remark": "王先生",
                "description": "",
                "createtime": 1525881637,
                "tag_id": [],
                "remark_corp_name": "",
                "remark_mobiles": [],
                "oper_userid": "woAJ2GCAAAd1NPGHKSD4wKmE8Aabj9AAA",
                "add_way": 3,
            },
        },
    ],
    "next_cursor": "r9FqSqsI8fgNbHLHE5QoCP50UIg2cFQbfma3l2QsmwI",
}

GROUP_RESPONSE: dict[str, Any] = {
    "errcode": 0,
    "errmsg": "ok",
    "group_chat": {
        "chat_id": "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA",
        "name": "销售客服群",
        "owner": "ZhuShengBen",
        "create_time": 1572505490,
        "notice": "文明沟通，拒绝脏话",
        "member_list": [
            {
                "userid": "abel",
                "type": 1,
                "join_time": 1572505491,
                "join_scene": 1,
                "invitor": {"userid": "jack"},
                "group_nickname": "客服小张",
                "name": "张三丰",
            },
            {
                "userid": "wmOgQhDgAAuXFJGwbve4g4iXknfOAAAA",
                "type": 2,
                "unionid": "ozynqsulJFCZ2z1aYeS8h-nuasdAAA",
                "join_time": 1572505491,
                "join_scene": 1,
                "group_nickname": "顾客老王",
                "name": "王语嫣",
            },
        ],
        "admin_list": [{"userid": "sam"}, {"userid": "pony"}],
        "member_version": "71217227bbd112ecfe3a49c482195cb4",
    },
}

EXPECTED_FIRST_CONTACT = ContactRecord(
    line_no=1,
    staff_userid="rocky",
    external_userid="woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA",
    name="李四",
    added_at=datetime(2018, 5, 8, 19, 43, 32, tzinfo=SHANGHAI),
    state="外联二维码1",
    add_way=10,
    unionid="ozynqsulJFCZ2z1aYeS8h-nuasdAAA",
    remark_mobiles=("13800000001", "13000000002"),
    tag_ids=("etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA",),
    contact_type=2,
)


def write_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_lines(path: Path, values: list[Any]) -> Path:
    text = "".join(json.dumps(value, ensure_ascii=False) + "\n" for value in values)
    path.write_text(text, encoding="utf-8")
    return path


def contacts_page(*userids: str, cursor: str = "") -> dict[str, Any]:
    """A page of the documented shape holding one contact per external_userid."""
    page = copy.deepcopy(CONTACTS_PAGE)
    template = page["external_contact_list"][1]
    page["external_contact_list"] = []
    for userid in userids:
        entry = copy.deepcopy(template)
        entry["external_contact"]["external_userid"] = userid
        page["external_contact_list"].append(entry)
    page["next_cursor"] = cursor
    return page


def contacts(paths: list[Path]) -> list[ContactRecord | RejectedRow]:
    return list(parse_contacts(paths, tz=SHANGHAI))


def groups(paths: list[Path]) -> list[GroupRecord | RejectedRow]:
    return list(parse_groups(paths, tz=SHANGHAI))


# -- contacts -----------------------------------------------------------------------------


def test_documented_page_gives_one_record_per_contact(tmp_path: Path) -> None:
    records = contacts([write_json(tmp_path / "page.json", CONTACTS_PAGE)])

    assert records == [
        EXPECTED_FIRST_CONTACT,
        ContactRecord(
            line_no=2,
            staff_userid="rocky",
            external_userid="woAJ2GCAAAXtWyujaWJHDDGi0mACHBBB",
            name="王五",
            added_at=datetime(2018, 5, 10, 0, 0, 37, tzinfo=SHANGHAI),
            state=None,
            add_way=3,
            unionid="ozynqsulJFCZ2asdaf8h-nuasdAAA",
            remark_mobiles=(),
            tag_ids=(),
            contact_type=1,
        ),
    ]


def test_times_follow_the_time_zone_asked_for(tmp_path: Path) -> None:
    [record, _] = list(
        parse_contacts([write_json(tmp_path / "p.json", CONTACTS_PAGE)], tz=ZoneInfo("UTC"))
    )

    assert isinstance(record, ContactRecord)
    assert record.added_at == datetime(2018, 5, 8, 11, 43, 32, tzinfo=ZoneInfo("UTC"))
    assert record.added_at is not None
    assert record.added_at.utcoffset() is not None


@pytest.mark.parametrize("layout", ["array", "json-lines", "files"])
def test_many_pages_number_contacts_across_the_whole_input(tmp_path: Path, layout: str) -> None:
    pages = [
        contacts_page("wm1", "wm2", cursor="c1"),
        contacts_page("wm3", cursor="c2"),
        contacts_page("wm4", "wm5"),
    ]
    if layout == "array":
        paths = [write_json(tmp_path / "pages.json", pages)]
    elif layout == "json-lines":
        paths = [write_lines(tmp_path / "pages.jsonl", pages)]
    else:
        paths = [write_json(tmp_path / f"page{n}.json", page) for n, page in enumerate(pages)]

    records = contacts(paths)

    assert [(r.line_no, r.external_userid) for r in records if isinstance(r, ContactRecord)] == [
        (1, "wm1"),
        (2, "wm2"),
        (3, "wm3"),
        (4, "wm4"),
        (5, "wm5"),
    ]


def test_bom_and_blank_lines_in_json_lines_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    lines = [json.dumps(contacts_page("wm1")), "", json.dumps(contacts_page("wm2")), ""]
    path.write_text("\ufeff" + "\n".join(lines), encoding="utf-8")

    assert [r.line_no for r in contacts([path])] == [1, 2]


def test_an_empty_page_and_an_empty_array_give_nothing(tmp_path: Path) -> None:
    empty_page = {"errcode": 0, "errmsg": "ok", "external_contact_list": [], "next_cursor": ""}

    assert contacts([write_json(tmp_path / "a.json", empty_page)]) == []
    assert contacts([write_json(tmp_path / "b.json", [])]) == []


@pytest.mark.parametrize(
    ("remove", "reason"),
    [
        (("external_contact", "external_userid"), "missing external_contact.external_userid"),
        (("follow_info", "userid"), "missing follow_info.userid"),
        (("follow_info",), "missing follow_info"),
        (("external_contact",), "missing external_contact"),
    ],
)
def test_a_contact_without_its_keys_is_rejected_with_a_reason(
    tmp_path: Path, remove: tuple[str, ...], reason: str
) -> None:
    page = copy.deepcopy(CONTACTS_PAGE)
    broken = page["external_contact_list"][1]
    holder = broken
    for key in remove[:-1]:
        holder = holder[key]
    del holder[remove[-1]]

    first, second = contacts([write_json(tmp_path / "page.json", page)])

    assert first == EXPECTED_FIRST_CONTACT
    assert second == RejectedRow(
        line_no=2, reason=reason, raw=json.dumps(broken, ensure_ascii=False, separators=(",", ":"))
    )


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        (
            "createtime",
            "yesterday",
            "follow_info.createtime is text ('yesterday'), not Unix seconds",
        ),
        ("createtime", -5, "follow_info.createtime = -5 is out of range for Unix seconds"),
        ("tag_id", "et1", "follow_info.tag_id is text ('et1'), not an array of text"),
        ("remark_mobiles", [138], "follow_info.remark_mobiles is an array, not an array of text"),
        ("add_way", True, "follow_info.add_way is a boolean, not an integer"),
        ("userid", "  ", "missing follow_info.userid"),
    ],
)
def test_a_contact_with_a_mistyped_field_is_rejected_naming_the_field(
    tmp_path: Path, field: str, value: object, reason: str
) -> None:
    page = contacts_page("wm1")
    page["external_contact_list"][0]["follow_info"][field] = value

    [rejected] = contacts([write_json(tmp_path / "page.json", page)])

    assert isinstance(rejected, RejectedRow)
    assert (rejected.line_no, rejected.reason) == (1, reason)


def test_a_lone_surrogate_escape_is_rejected_and_raw_stays_encodable(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    text = json.dumps(contacts_page("wm1"), ensure_ascii=False).replace('"王五"', '"\\ud800王"')
    path.write_text(text, encoding="utf-8")

    [rejected] = contacts([path])

    assert isinstance(rejected, RejectedRow)
    assert (
        rejected.reason
        == "external_contact.name is not valid Unicode text (a lone surrogate escape)"
    )
    rejected.raw.encode("utf-8")
    assert "\\ud800" in rejected.raw


def test_stringified_times_and_nulls_are_accepted(tmp_path: Path) -> None:
    page = contacts_page("wm1")
    follow = page["external_contact_list"][0]["follow_info"]
    follow.update(createtime="1525779812", tag_id=None, remark_mobiles=None, add_way=None)

    [record] = contacts([write_json(tmp_path / "page.json", page)])

    assert isinstance(record, ContactRecord)
    assert record.added_at == datetime(2018, 5, 8, 19, 43, 32, tzinfo=SHANGHAI)
    assert (record.tag_ids, record.remark_mobiles, record.add_way) == ((), (), None)


def test_a_page_with_a_nonzero_errcode_fails_with_its_errmsg_before_any_record(
    tmp_path: Path,
) -> None:
    good = write_json(tmp_path / "good.json", contacts_page("wm1"))
    bad = write_json(
        tmp_path / "bad.json", {"errcode": 45033, "errmsg": "api concurrent out of limit"}
    )

    with pytest.raises(WeComFormatError, match="errcode 45033: api concurrent out of limit"):
        parse_contacts([good, bad], tz=SHANGHAI)


def test_format_errors_are_user_facing_value_errors() -> None:
    error = WeComFormatError("x")

    assert isinstance(error, ValueError)
    assert isinstance(error, SiyuError)
    assert error.code == "invalid_format"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'"a string"', "must be a JSON object"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"errcode": 0}\n{oops\n', "line 2: not JSON"),
        (b'{"errcode": "0", "external_contact_list": []}', "errcode is text"),
        (b'{"errcode": 0, "errmsg": "ok"}', "no 'external_contact_list'"),
        (b'{"errcode": 0, "external_contact_list": {}}', "not an array"),
        (b"[" * 100_000, "JSON"),
    ],
)
def test_unusable_files_raise_a_clear_format_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "contacts.json"
    path.write_bytes(content)

    with pytest.raises(WeComFormatError, match=message) as raised:
        parse_contacts([path], tz=SHANGHAI)

    assert str(path) in str(raised.value)


def test_a_groupchat_file_given_as_contacts_names_the_wrong_endpoint(tmp_path: Path) -> None:
    path = write_json(tmp_path / "groups.json", GROUP_RESPONSE)

    with pytest.raises(WeComFormatError, match="no 'external_contact_list'"):
        parse_contacts([path], tz=SHANGHAI)


# -- groups -------------------------------------------------------------------------------

EXPECTED_GROUP = GroupRecord(
    line_no=1,
    chat_id="wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA",
    name="销售客服群",
    owner_userid="ZhuShengBen",
    created_at=datetime(2019, 10, 31, 15, 4, 50, tzinfo=SHANGHAI),
    members=(
        GroupMemberRecord(
            userid="abel",
            member_type=1,
            joined_at=datetime(2019, 10, 31, 15, 4, 51, tzinfo=SHANGHAI),
            join_scene=1,
            unionid=None,
            name="张三丰",
        ),
        GroupMemberRecord(
            userid="wmOgQhDgAAuXFJGwbve4g4iXknfOAAAA",
            member_type=2,
            joined_at=datetime(2019, 10, 31, 15, 4, 51, tzinfo=SHANGHAI),
            join_scene=1,
            unionid="ozynqsulJFCZ2z1aYeS8h-nuasdAAA",
            name="王语嫣",
        ),
    ),
)


def test_documented_group_gives_a_group_with_its_members(tmp_path: Path) -> None:
    assert groups([write_json(tmp_path / "group.json", GROUP_RESPONSE)]) == [EXPECTED_GROUP]


def group_response(chat_id: str) -> dict[str, Any]:
    response = copy.deepcopy(GROUP_RESPONSE)
    response["group_chat"]["chat_id"] = chat_id
    return response


@pytest.mark.parametrize("layout", ["array", "json-lines", "files"])
def test_many_groups_are_numbered_across_the_input(tmp_path: Path, layout: str) -> None:
    responses = [group_response(f"wr{n}") for n in range(1, 4)]
    if layout == "array":
        paths = [write_json(tmp_path / "groups.json", responses)]
    elif layout == "json-lines":
        paths = [write_lines(tmp_path / "groups.jsonl", responses)]
    else:
        paths = [write_json(tmp_path / f"g{n}.json", r) for n, r in enumerate(responses)]

    records = groups(paths)

    assert [(r.line_no, r.chat_id) for r in records if isinstance(r, GroupRecord)] == [
        (1, "wr1"),
        (2, "wr2"),
        (3, "wr3"),
    ]


def test_a_member_falls_back_to_its_group_nickname(tmp_path: Path) -> None:
    response = copy.deepcopy(GROUP_RESPONSE)
    del response["group_chat"]["member_list"][1]["name"]

    [group] = groups([write_json(tmp_path / "group.json", response)])

    assert isinstance(group, GroupRecord)
    assert group.members[1].name == "顾客老王"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda chat: chat.pop("chat_id"), "missing group_chat.chat_id"),
        (lambda chat: chat.pop("owner"), "missing group_chat.owner"),
        (
            lambda chat: chat["member_list"][1].pop("userid"),
            "missing group_chat.member_list[1].userid",
        ),
        (
            lambda chat: chat["member_list"][0].pop("type"),
            "group_chat.member_list[0]: missing type",
        ),
        (
            lambda chat: chat.update(member_list="none"),
            "group_chat.member_list is text ('none'), not an array",
        ),
    ],
)
def test_an_unusable_group_is_rejected_and_the_next_one_kept(
    tmp_path: Path, change: Any, reason: str
) -> None:
    broken = copy.deepcopy(GROUP_RESPONSE)
    change(broken["group_chat"])
    path = write_json(tmp_path / "groups.json", [broken, group_response("wr2")])

    rejected, kept = groups([path])

    assert isinstance(rejected, RejectedRow)
    assert (rejected.line_no, rejected.reason) == (1, reason)
    assert json.loads(rejected.raw) == broken["group_chat"]
    assert isinstance(kept, GroupRecord)
    assert (kept.line_no, kept.chat_id) == (2, "wr2")


def test_a_failed_groupchat_response_raises_with_its_errmsg(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "groups.jsonl",
        [GROUP_RESPONSE, {"errcode": 40050, "errmsg": "chatid not found"}],
    )

    with pytest.raises(WeComFormatError, match="response 2: WeCom answered errcode 40050"):
        parse_groups([path], tz=SHANGHAI)


def test_a_contacts_file_given_as_groups_names_the_wrong_endpoint(tmp_path: Path) -> None:
    path = write_json(tmp_path / "contacts.json", CONTACTS_PAGE)

    with pytest.raises(WeComFormatError, match="no 'group_chat'"):
        parse_groups([path], tz=SHANGHAI)


# -- arbitrary input never crashes --------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
CONTACT_KEYS = ["external_userid", "name", "type", "unionid"]
FOLLOW_KEYS = ["userid", "createtime", "tag_id", "remark_mobiles", "add_way", "state"]
GROUP_KEYS = ["chat_id", "name", "owner", "create_time", "member_list"]
MEMBER_KEYS = ["userid", "type", "join_time", "join_scene", "unionid", "name", "group_nickname"]


def near_miss(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the documented keys holding arbitrary JSON values."""
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys))


near_miss_contacts = st.fixed_dictionaries(
    {},
    optional={"external_contact": near_miss(CONTACT_KEYS), "follow_info": near_miss(FOLLOW_KEYS)},
)
near_miss_groups = near_miss(GROUP_KEYS) | st.fixed_dictionaries(
    {"chat_id": st.just("wr1"), "owner": st.just("zhangsan")},
    optional={"member_list": st.lists(near_miss(MEMBER_KEYS), max_size=3)},
)
_file_numbers = itertools.count()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fuzz_file(directory: Path, value: object) -> Path:
    path = directory / f"fuzz{next(_file_numbers)}.json"
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wecom-fuzz")


@FUZZ
@given(document=json_values)
def test_any_json_document_gives_rows_or_a_format_error(fuzz_dir: Path, document: object) -> None:
    path = fuzz_file(fuzz_dir, document)
    for parse in (parse_contacts, parse_groups):
        try:
            rows = list(parse([path], tz=SHANGHAI))
        except WeComFormatError:
            continue
        assert all(isinstance(row, ContactRecord | GroupRecord | RejectedRow) for row in rows)


@FUZZ
@given(entries=st.lists(json_values | near_miss_contacts, max_size=5))
def test_any_contact_entry_gives_a_record_or_a_rejected_row(
    fuzz_dir: Path, entries: list[object]
) -> None:
    page = {"errcode": 0, "errmsg": "ok", "external_contact_list": entries}

    rows = list(parse_contacts([fuzz_file(fuzz_dir, page)], tz=SHANGHAI))

    assert [row.line_no for row in rows] == list(range(1, len(entries) + 1))
    for row, entry in zip(rows, entries, strict=True):
        assert isinstance(row, ContactRecord | RejectedRow)
        if isinstance(row, RejectedRow):
            assert row.reason
            assert json.loads(row.raw) == entry


@FUZZ
@given(chats=st.lists(json_values | near_miss_groups, max_size=4))
def test_any_group_chat_gives_a_record_or_a_rejected_row(
    fuzz_dir: Path, chats: list[object]
) -> None:
    responses = [{"errcode": 0, "errmsg": "ok", "group_chat": chat} for chat in chats]

    rows = list(parse_groups([fuzz_file(fuzz_dir, responses)], tz=SHANGHAI))

    assert [row.line_no for row in rows] == list(range(1, len(chats) + 1))
    assert all(isinstance(row, GroupRecord | RejectedRow) for row in rows)
