"""Field values several exports share: addresses, masked phones, parcels and ciphertexts."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from siyu.demo.names import REGIONS
from siyu.demo.people import People
from siyu.demo.tokens import BASE64, DIGITS, random_strings

Int = NDArray[np.int64]
CARRIERS = (
    ("圆通速递", "YT", 13),
    ("中通快递", "78", 12),
    ("顺丰速运", "SF", 13),
    ("韵达快递", "43", 13),
)
MASKED_RECENT_SHARE = 0.8  # masking spread over the last ~18 months of exports
MASKED_OLDER_SHARE = 0.15


def masked_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[7:]}"


def masked_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


def phone_masked(
    rng: np.random.Generator, ordered_at: Int, masking_since: int, older_share: float
) -> NDArray[np.bool_]:
    """Which orders show a masked phone: most recent ones, a few older ones."""
    share = np.where(ordered_at >= masking_since, MASKED_RECENT_SHARE, older_share)
    return rng.random(ordered_at.size) < share


def regions(people: People, persons: Int) -> list[tuple[str, str, str, str, int]]:
    return [REGIONS[index] for index in people.region[persons].tolist()]


def taobao_addresses(people: People, persons: Int) -> list[str]:
    """`省 市 区 详细地址(邮编)`, space-separated with the postcode in ASCII parentheses."""
    streets = [people.street[index] for index in persons.tolist()]
    return [
        f"{province} {city} {district} {street}({postcode})"
        for (province, city, district, postcode, _), street in zip(
            regions(people, persons), streets, strict=True
        )
    ]


def compact_addresses(people: People, persons: Int) -> list[str]:
    """JD's run-together `江西南昌市青山湖区…`."""
    result = []
    for (province, city, district, _, _), index in zip(
        regions(people, persons), persons.tolist(), strict=True
    ):
        short = province.removesuffix("省").removesuffix("市").removesuffix("壮族自治区")
        town = "" if city.startswith(short) else city
        result.append(f"{short}{town}{district}{people.street[index]}")
    return result


def parcels(
    rng: np.random.Generator, shipped: NDArray[np.bool_], carriers: tuple[tuple[str, str, int], ...]
) -> tuple[list[str], list[str]]:
    """Carrier names and tracking numbers, empty for orders not shipped."""
    count = shipped.size
    choice = rng.integers(0, len(carriers), size=count).tolist()
    digits = random_strings(rng, count, 13, DIGITS)
    companies, numbers = [], []
    for index, is_shipped in enumerate(shipped.tolist()):
        name, prefix, length = carriers[choice[index]]
        companies.append(name if is_shipped else "")
        numbers.append(prefix + digits[index][: length - len(prefix) + 2] if is_shipped else "")
    return companies, numbers


def ciphertexts(rng: np.random.Generator, count: int, mark: str) -> list[str]:
    """Douyin's encrypted receiver fields: `##…##` names and addresses, `$$…$$` phones."""
    bodies = random_strings(rng, count, 32, BASE64)
    keys = random_strings(rng, count, 8, BASE64)
    return [
        f"{mark}{body}{mark[0]}{key}{mark[0]}1{mark}"
        for body, key in zip(bodies, keys, strict=True)
    ]
