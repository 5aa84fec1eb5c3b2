"""Identity keys: normalisation and strength (the OneID rules).

Keys, strongest first: WeCom external_userid, unionid, openid; a real phone (E.164); a platform
buyer id (scoped by platform); e-mail. A merchant-system customer id (orders-csv and events
`customer_id`) is as strong as a buyer id, and merchant-wide: the same id in the orders and the
events files is the same person. A masked or encrypted phone is a weak hint: it is
stored, shown, and never merges anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True, order=True)
class IdentityKey:
    """A normalised key as stored in customer_identities (kind, scope, value)."""

    kind: str
    scope: str
    value: str

    @property
    def is_strong(self) -> bool:
        return self.kind != BuyerKeyKind.MASKED_PHONE

    @property
    def strength(self) -> int:
        return STRENGTH[BuyerKeyKind(self.kind)]

    def label(self) -> str:
        scope = f"@{self.scope}" if self.scope else ""
        return f"{self.kind}{scope}:{self.value}"


def normalise_key(key: BuyerKey, *, scope: str) -> IdentityKey | None:
    """The stored form of a buyer key, or None when the value cannot identify anyone.

    `scope` is the platform (or shop) that scoped keys belong to. A phone that is not a valid
    number becomes a weak masked_phone hint rather than being lost.
    """
    value = key.value.strip()
    if not value:
        return None
    kind = key.kind
    key_scope = scope if kind in SCOPED_KINDS else ""
    if kind == BuyerKeyKind.PHONE:
        phone = normalise_phone(value)
        if phone is None:
            return IdentityKey(BuyerKeyKind.MASKED_PHONE, "", value[:255])
        return IdentityKey(kind, "", phone)
    if kind == BuyerKeyKind.EMAIL:
        if not _EMAIL.fullmatch(value):
            return None
        return IdentityKey(kind, "", value.lower())
    return IdentityKey(kind, key_scope, value[:255])


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
