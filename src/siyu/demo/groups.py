"""Customer groups (客户群) the guides run, as a JSON array of `groupchat/get` responses.

About a third of WeCom customers who still have their guide join a group within a month of
adding them. Groups fill one after another (450 customers each, below WeCom's 500 limit), each
owned by a guide, with the other guides as admins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from siyu.demo.catalog import STAFF
from siyu.demo.clock import DAY, HOUR, MISSING, Calendar, unix_seconds
from siyu.demo.people import People
from siyu.demo.tokens import BASE64URL, HEX, random_strings
from siyu.demo.wecom import Contacts

Int = NDArray[np.int64]
JOIN_SHARE = 0.35
CAPACITY = 450
MIN_GROUPS = 3
TOPICS = ("安肌会员福利", "安肌敏感肌修护交流", "安肌护肤打卡", "安肌新品试用")
NOTICE = (
    "欢迎加入安肌会员群～每周三会员日，群内专属优惠券、护肤答疑都在这里，"
    "有问题随时@小安/小肌/小美。"
)
SCENES = np.array([1, 2, 3])  # 直接邀请入群, 邀请链接入群, 扫描群二维码入群
SCENE_WEIGHTS = np.array([0.4, 0.1, 0.5])


@dataclass(frozen=True, slots=True)
class Groups:
    member: Int  # person of each customer member, sorted by group then join time
    group: Int
    joined_at: Int
    scene: Int
    created_at: Int  # per group
    owner: Int  # per group: index into STAFF


def simulate_groups(rng: np.random.Generator, contacts: Contacts, calendar: Calendar) -> Groups:
    kept = contacts.removed_at == MISSING
    first_edge = np.zeros(contacts.person.size, dtype=bool)
    first_edge[np.unique(contacts.person, return_index=True)[1]] = True
    joins = kept & first_edge & (rng.random(contacts.person.size) < JOIN_SHARE)
    joined_at = contacts.added_at + rng.uniform(HOUR, 30 * DAY, contacts.person.size).astype(int)
    joins &= joined_at < calendar.now
    chosen = np.flatnonzero(joins)
    chosen = chosen[np.argsort(joined_at[chosen], kind="stable")]
    count = max(MIN_GROUPS, -(-chosen.size // CAPACITY))
    group = np.minimum(np.arange(chosen.size) * count // max(chosen.size, 1), count - 1)
    first_join = np.full(count, calendar.now - DAY, dtype=np.int64)
    np.minimum.at(first_join, group, joined_at[chosen])
    created = first_join - rng.uniform(HOUR, 3 * DAY, count).astype(np.int64)
    order = np.lexsort((joined_at[chosen], group))
    return Groups(
        member=contacts.person[chosen][order],
        group=group[order].astype(np.int64),
        joined_at=joined_at[chosen][order],
        scene=rng.choice(SCENES, size=chosen.size, p=SCENE_WEIGHTS).astype(np.int64),
        created_at=created,
        owner=np.arange(count, dtype=np.int64) % len(STAFF),
    )


def write_groups(rng: np.random.Generator, groups: Groups, people: People, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    count = groups.created_at.size
    chat_ids = ["wrAnJ1DgAA" + token for token in random_strings(rng, count, 20, BASE64URL)]
    versions = random_strings(rng, count, 32, HEX)
    created = unix_seconds(groups.created_at).tolist()
    joined = unix_seconds(groups.joined_at).tolist()
    bounds = np.searchsorted(groups.group, np.arange(count + 1)).tolist()
    responses = []
    for index in range(count):
        owner = STAFF[int(groups.owner[index])].userid
        members = [_staff_member(owner, created[index])]
        for position in range(bounds[index], bounds[index + 1]):
            members.append(_customer(groups, people, position, owner, joined[position]))
        chat = {
            "chat_id": chat_ids[index],
            "name": f"{TOPICS[index % len(TOPICS)]}{index // len(TOPICS) + 1}群",
            "owner": owner,
            "create_time": created[index],
            "notice": NOTICE,
            "member_list": members,
            "admin_list": [{"userid": s.userid} for s in STAFF if s.userid != owner],
            "member_version": versions[index],
        }
        responses.append({"errcode": 0, "errmsg": "ok", "group_chat": chat})
    path = folder / "groupchat_get.json"
    path.write_text(json.dumps(responses, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _staff_member(userid: str, created: int) -> dict[str, object]:
    name = next(member.name for member in STAFF if member.userid == userid)
    return {
        "userid": userid,
        "type": 1,
        "join_time": created,
        "join_scene": 1,
        "group_nickname": "",
        "name": name,
    }


def _customer(
    groups: Groups, people: People, position: int, owner: str, joined: int
) -> dict[str, object]:
    person = int(groups.member[position])
    scene = int(groups.scene[position])
    member: dict[str, object] = {
        "userid": people.external_userid[person],
        "type": 2,
        "unionid": people.unionid[person],
        "join_time": joined,
        "join_scene": scene,
    }
    if scene in (1, 2):
        member["invitor"] = {"userid": owner}
    member |= {"group_nickname": "", "name": people.wechat_nick[person]}
    return member
