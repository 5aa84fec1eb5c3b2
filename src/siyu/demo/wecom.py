"""WeCom: who added which shopping guide, when and through which channel, as the JSON pages
`externalcontact/batch/get_by_user` returns (at most 100 contacts a page, JSON Lines).

Buyers come in through the package-insert card of their first parcel (state `pkgcard_<shop>`)
or the mini-program (`miniapp`); some prospects add a guide from the mini-program too. A few
customers also add a second guide later (add_way 3, no state).

Customers who deleted their guide (the `del_follow_user` callback) stay in the guide's list, as
the API keeps listing one-way deleted contacts; they carry the corp tag 「已删除导购」, which a
SCRM tool adds on that callback, and the callbacks themselves are written, decrypted, to
`change_external_contact.jsonl` (one event a line, fields as in the callback XML).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from siyu.demo.catalog import REMOVED_TAG, SHOPS, SKIN_TAGS, STAFF
from siyu.demo.clock import DAY, HOUR, MISSING, Calendar, unix_seconds
from siyu.demo.orders import Orders
from siyu.demo.people import People
from siyu.demo.tokens import BASE64URL, random_strings

Int = NDArray[np.int64]
PAGE_SIZE = 100
PROSPECT_JOIN_SHARE = 0.12
SECOND_GUIDE_SHARE = 0.03
REMOVED_SHARE = 0.04
REMARK_SHARE, REMARK_MOBILE_SHARE, SKIN_TAG_SHARE = 0.5, 0.4, 0.6
CORP_ID = "ww5a1d3c9e0f2b4a67"
SCAN, CARD_SHARE = 1, 3  # add_way: 扫描二维码, 名片分享


@dataclass(frozen=True, slots=True)
class Contacts:
    """One entry per guide–customer edge, sorted by guide and time."""

    person: Int
    staff: Int  # index into STAFF
    added_at: Int
    state: list[str]  # "" when the contact came without a channel code
    add_way: Int
    removed_at: Int  # when the customer deleted the guide, or MISSING


def simulate_contacts(
    rng: np.random.Generator,
    orders: Orders,
    prospects: Int,
    first_visits: Int,
    calendar: Calendar,
) -> Contacts:
    joined = np.flatnonzero(orders.channels.joined_at != MISSING).astype(np.int64)
    takers = rng.random(prospects.size) < PROSPECT_JOIN_SHARE
    prospect_at = first_visits + rng.uniform(HOUR, 10 * DAY, prospects.size).astype(np.int64)
    takers &= prospect_at < calendar.now
    person = np.concatenate([joined, prospects[takers]])
    added = np.concatenate([orders.channels.joined_at[joined], prospect_at[takers]])
    states = [SHOPS[via].state for via in orders.channels.joined_via[joined].tolist()]
    states += ["miniapp"] * int(takers.sum())
    staff = _guides(rng, person.size)
    again = rng.random(person.size) < SECOND_GUIDE_SHARE
    later = added + rng.uniform(10 * DAY, 200 * DAY, person.size).astype(np.int64)
    again &= later < calendar.now
    second_staff = (staff + rng.integers(1, len(STAFF), person.size)) % len(STAFF)
    person = np.concatenate([person, person[again]])
    staff = np.concatenate([staff, second_staff[again]])
    added = np.concatenate([added, later[again]])
    states += [""] * int(again.sum())
    add_way = np.where(np.arange(person.size) < person.size - again.sum(), SCAN, CARD_SHARE)
    removed = added + rng.uniform(2 * DAY, 300 * DAY, person.size).astype(np.int64)
    removed_at = np.where(
        (rng.random(person.size) < REMOVED_SHARE) & (removed < calendar.now), removed, MISSING
    )
    order = np.lexsort((added, staff))
    return Contacts(
        person=person[order],
        staff=staff[order],
        added_at=added[order],
        state=[states[i] for i in order.tolist()],
        add_way=add_way[order].astype(np.int64),
        removed_at=removed_at[order],
    )


def _guides(rng: np.random.Generator, count: int) -> Int:
    weights = np.array([member.weight for member in STAFF])
    return rng.choice(len(STAFF), size=count, p=weights / weights.sum()).astype(np.int64)


def write_contacts(
    rng: np.random.Generator, contacts: Contacts, people: People, folder: Path
) -> tuple[Path, Path]:
    """The get_by_user pages (JSON Lines) and the del_follow_user callbacks."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = _entries(rng, contacts, people)
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    cursors = random_strings(rng, pages, 43, BASE64URL)
    path = folder / "externalcontact_batch_get_by_user.jsonl"
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for page in range(pages):
            body = {
                "errcode": 0,
                "errmsg": "ok",
                "external_contact_list": entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE],
                "next_cursor": cursors[page] if page < pages - 1 else "",
            }
            handle.write(json.dumps(body, ensure_ascii=False) + "\n")
    return path, _write_callbacks(contacts, people, folder)


def _entries(rng: np.random.Generator, contacts: Contacts, people: People) -> list[object]:
    count = contacts.person.size
    created = unix_seconds(contacts.added_at).tolist()
    remark = (rng.random(count) < REMARK_SHARE).tolist()
    mobile = (rng.random(count) < REMARK_MOBILE_SHARE).tolist()
    tagged = (rng.random(count) < SKIN_TAG_SHARE).tolist()
    avatars = random_strings(rng, count, 40, BASE64URL)
    entries: list[object] = []
    for index, person in enumerate(contacts.person.tolist()):
        external_userid = people.external_userid[person]
        tags = [SKIN_TAGS[int(people.skin_tag[person])][0]] if tagged[index] else []
        if contacts.removed_at[index] != MISSING:
            tags.append(REMOVED_TAG[0])
        follow: dict[str, object] = {
            "userid": STAFF[int(contacts.staff[index])].userid,
            "remark": people.name[person] if remark[index] else "",
            "description": "",
            "createtime": created[index],
            "tag_id": tags,
            "remark_corp_name": "",
            "remark_mobiles": [people.phone[person]] if mobile[index] else [],
            "oper_userid": external_userid
            if contacts.add_way[index] == SCAN
            else STAFF[int(contacts.staff[index])].userid,
            "add_way": int(contacts.add_way[index]),
        }
        if contacts.state[index]:
            follow["state"] = contacts.state[index]
        contact = {
            "external_userid": external_userid,
            "name": people.wechat_nick[person],
            "avatar": f"http://wx.qlogo.cn/mmhead/{avatars[index]}/0",
            "type": 1,
            "gender": 0,
            "unionid": people.unionid[person],
        }
        entries.append({"external_contact": contact, "follow_info": follow})
    return entries


def _write_callbacks(contacts: Contacts, people: People, folder: Path) -> Path:
    removed = np.flatnonzero(contacts.removed_at != MISSING)
    removed = removed[np.argsort(contacts.removed_at[removed], kind="stable")]
    path = folder / "change_external_contact.jsonl"
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for index in removed.tolist():
            event = {
                "ToUserName": CORP_ID,
                "FromUserName": "sys",
                "CreateTime": int(unix_seconds(contacts.removed_at[index : index + 1])[0]),
                "MsgType": "event",
                "Event": "change_external_contact",
                "ChangeType": "del_follow_user",
                "UserID": STAFF[int(contacts.staff[index])].userid,
                "ExternalUserID": people.external_userid[int(contacts.person[index])],
            }
            handle.write(json.dumps(event, ensure_ascii=False) + "\n")
    return path
