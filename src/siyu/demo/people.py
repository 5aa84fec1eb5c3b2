"""The simulated persons: one real identity each, and the ids each channel knows them by.

A person's real phone, unionid and platform accounts are distinct from everyone else's, so the
ground truth is simple: one person, one customer. Which of these ids a file shows (and whether a
phone is masked) is decided by the writers, platform by platform.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siyu.demo import names
from siyu.demo.catalog import SKIN_TAGS
from siyu.demo.tokens import BASE64URL, HEX, choose, distinct_numbers, random_strings

AUTHORISED_PHONE_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class People:
    count: int
    phone: list[str]  # real mainland mobile numbers, all distinct
    name: list[str]
    region: NDArray[np.int64]  # index into names.REGIONS
    street: list[str]
    unionid: list[str]
    external_userid: list[str]  # the WeCom id the corp would see if the person adds a guide
    wechat_nick: list[str]
    taobao_nick: list[str]  # 买家会员名
    jd_account: list[str]  # 下单帐号
    member_id: list[str]  # the mini-program shop's member number
    skin_tag: NDArray[np.int64]  # index into SKIN_TAGS
    authorised_phone: NDArray[np.bool_]  # gave the mini-program their phone number


def make_people(rng: np.random.Generator, count: int) -> People:
    return People(
        count=count,
        phone=_phones(rng, count),
        name=_names(rng, count),
        region=_regions(rng, count),
        street=_streets(rng, count),
        unionid=["o6_bm" + token for token in random_strings(rng, count, 23, BASE64URL)],
        external_userid=[
            "wmAnJ1DgAA" + token for token in random_strings(rng, count, 22, BASE64URL)
        ],
        wechat_nick=choose(rng, names.WECHAT_NICKS, count),
        taobao_nick=_accounts(rng, count, "taobao"),
        jd_account=_accounts(rng, count, "jd"),
        member_id=[f"AJM{number}" for number in distinct_numbers(rng, count, 9).tolist()],
        skin_tag=rng.integers(0, len(SKIN_TAGS), size=count),
        authorised_phone=rng.random(count) < AUTHORISED_PHONE_SHARE,
    )


def _phones(rng: np.random.Generator, count: int) -> list[str]:
    prefixes = choose(rng, names.PHONE_PREFIXES, count)
    suffixes = distinct_numbers(rng, count, 8).tolist()
    return [f"{prefix}{suffix}" for prefix, suffix in zip(prefixes, suffixes, strict=True)]


def _names(rng: np.random.Generator, count: int) -> list[str]:
    ranks = np.arange(1, len(names.SURNAMES) + 1)
    weights = 1 / ranks**0.8
    surnames = rng.choice(len(names.SURNAMES), size=count, p=weights / weights.sum()).tolist()
    female = (rng.random(count) < names.FEMALE_SHARE).tolist()
    two_chars = (rng.random(count) < 0.7).tolist()
    first = rng.random(count).tolist()
    second = rng.random(count).tolist()
    result = []
    for index in range(count):
        pool = names.GIVEN_FEMALE if female[index] else names.GIVEN_MALE
        given = pool[int(first[index] * len(pool))]
        if two_chars[index]:
            given += pool[int(second[index] * len(pool))]
        result.append(names.SURNAMES[surnames[index]] + given)
    return result


def _regions(rng: np.random.Generator, count: int) -> NDArray[np.int64]:
    weights = np.array([region[4] for region in names.REGIONS], dtype=np.float64)
    return rng.choice(len(names.REGIONS), size=count, p=weights / weights.sum()).astype(np.int64)


def _streets(rng: np.random.Generator, count: int) -> list[str]:
    roads = choose(rng, names.ROADS, count)
    communities = choose(rng, names.COMMUNITIES, count)
    numbers = rng.integers(1, 400, size=(count, 4)).tolist()
    return [
        f"{road}{n[0]}号{community}{n[1] % 30 + 1}栋{n[2] % 4 + 1}单元"
        f"{n[3] % 30 + 1}0{n[2] % 4 + 1}室"
        for road, community, n in zip(roads, communities, numbers, strict=True)
    ]


def _accounts(rng: np.random.Generator, count: int, platform: str) -> list[str]:
    """Distinct platform accounts: half the platform's default form (`tb…`, `jd_…`), half
    pinyin plus a number. A distinct serial inside each keeps them distinct."""
    serials = distinct_numbers(rng, count, 8).tolist()
    syllables = rng.integers(0, len(names.PINYIN), size=(count, 2)).tolist()
    default_form = (rng.random(count) < 0.5).tolist()
    salts = random_strings(rng, count, 4, HEX if platform == "jd" else "0123456789")
    result = []
    for serial, (first, second), default, salt in zip(
        serials, syllables, default_form, salts, strict=True
    ):
        if not default:
            result.append(f"{names.PINYIN[first]}{names.PINYIN[second]}{serial}")
        elif platform == "jd":
            result.append(f"jd_{salt}{serial:x}")
        else:
            result.append(f"tb{serial}{salt[:2]}")
    return result
