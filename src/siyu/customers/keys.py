"""Identity keys: normalisation and strength (the OneID rules).

Keys, strongest first: WeCom external_userid, unionid, openid; a real phone (E.164); a platform
buyer id (scoped by platform); e-mail. A merchant-system customer id (orders-csv and events
`customer_id`) is as strong as a buyer id, and merchant-wide: the same id in the orders and the
events files is the same person. A masked or encrypted phone is a weak hint: it is
stored, shown, and never merges anything.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers

from siyu.ingest.records import BuyerKey, BuyerKeyKind

STRENGTH = {
    BuyerKeyKind.EXTERNAL_USERID: 1,
    BuyerKeyKind.UNIONID: 1,
    BuyerKeyKind.OPENID: 1,
    BuyerKeyKind.PHONE: 2,
    BuyerKeyKind.BUYER_ID: 3,
    BuyerKeyKind.CUSTOMER_REF: 3,
    BuyerKeyKind.EMAIL: 4,
    BuyerKeyKind.MASKED_PHONE: 9,
}
SCOPED_KINDS = frozenset({BuyerKeyKind.BUYER_ID, BuyerKeyKind.OPENID})
MASKED = BuyerKeyKind.MASKED_PHONE.value
PHONE = BuyerKeyKind.PHONE.value
EMAIL = BuyerKeyKind.EMAIL.value
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


KeyParts = tuple[str, str, str]
"""(kind, scope, value): an identity key as a plain tuple. `IdentityKey` is one with names; the
two hash and compare alike, so either finds the other in a dict."""


class IdentityKey(NamedTuple):
    """A normalised key as stored in customer_identities (kind, scope, value).

    A named tuple rather than a dataclass: an import hashes and compares millions of them, and
    ships them between processes; tuples do both in C."""

    kind: str
    scope: str
    value: str

    @property
    def is_strong(self) -> bool:
        return self.kind != MASKED

    @property
    def strength(self) -> int:
        return key_strength(self)

    def label(self) -> str:
        return key_label(self)


def key_strength(key: KeyParts) -> int:
    return STRENGTH[key[0]]  # type: ignore[index]  # str and StrEnum keys hash alike


def key_label(key: KeyParts) -> str:
    kind, scope, value = key
    return f"{kind}@{scope}:{value}" if scope else f"{kind}:{value}"


def normalise_key(key: BuyerKey, *, scope: str) -> IdentityKey | None:
    """The stored form of a buyer key, or None when the value cannot identify anyone.

    `scope` is the platform (or shop) that scoped keys belong to. A phone that is not a valid
    number becomes a weak masked_phone hint rather than being lost.
    """
    parts = key_parts(key, scope=scope)
    return None if parts is None else IdentityKey._make(parts)


def key_parts(key: BuyerKey, *, scope: str) -> KeyParts | None:
    """`normalise_key` as a plain tuple (cheaper to build and to send between processes).
    Kinds come out as plain `str` (equal to the enum, and cheaper to hash and pickle)."""
    value = key.value.strip()
    if not value:
        return None
    kind = key.kind
    if kind == BuyerKeyKind.PHONE:
        phone = normalise_phone(value)
        if phone is None:
            return (MASKED, "", value[:255])
        return (PHONE, "", phone)
    if kind == BuyerKeyKind.EMAIL:
        if not _EMAIL.fullmatch(value):
            return None
        return (EMAIL, "", value.lower())
    return (kind.value, scope if kind in SCOPED_KINDS else "", value[:255])


def normalise_phone(raw: str) -> str | None:
    """E.164 for a real, unmasked phone (mainland China by default), else None."""
    digits = raw.replace(" ", "").replace("-", "")
    if _MAINLAND_MOBILE.fullmatch(digits):
        return "+86" + digits  # the common case, without the cost of a full parse
    if "*" in digits:
        return None
    return _parse_phone(digits)


@lru_cache(maxsize=65_536)
def _parse_phone(digits: str) -> str | None:
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
