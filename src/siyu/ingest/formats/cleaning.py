"""Cell cleaning and typing: text, ids, money, quantities, phones, e-mail, buyers.

Every function takes a cell's text and the column's label (for messages) and either returns a
typed value or raises `RowError` whose message names the value, the column and the problem.

Cell cleaning, applied before any typing: strip spaces, tabs, CR/LF, U+3000 and BOM; unwrap
Taobao's `="…"`; drop a leading `'` (Taobao phones, Douyin ids); turn inner tabs and line breaks
into spaces. Null placeholders (`-`, `--`, `——`, `N/A`, `null`, and a lone space) read as missing
in every column; money columns also read `无`, `无退款申请` and `没有申请退款` as zero.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from siyu.ingest.formats.errors import RowError
from siyu.ingest.records import Buyer, BuyerKey, BuyerKeyKind

NULLS = frozenset({"", "-", "--", "—", "——", "n/a", "N/A", "NA", "null", "NULL", "None"})
MONEY_ZEROS = NULLS | {"无", "无退款申请", "没有申请退款"}
FOOTER_WORDS = ("合计", "总计", "小计", "共计", "汇总")

STRIPPED = " \t\r\n\u3000\ufeff\xa0"
WRAPPERS = frozenset("='")
_INNER_BREAKS = re.compile(r"[\t\r\n]+")
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_\-]{0,63}")
_EXCEL_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_MONEY = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_MONEY_NOISE = str.maketrans("", "", ",，元¥￥ ")
_WHOLE = re.compile(r"(\d{1,9})(?:\.0*)?")
_PHONE_NOISE = str.maketrans("", "", " -()")
_PHONE = re.compile(r"\+?\d{7,15}")
_CIPHERTEXT = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CENT = Decimal(1)


def clean_cell(raw: str) -> str:
    text = raw.strip(STRIPPED)
    if text[:1] in WRAPPERS:
        if text.startswith('="') and text.endswith('"') and len(text) >= 3:
            text = text[2:-1].strip(STRIPPED)
        elif text[0] == "'":
            text = text[1:].strip(STRIPPED)
    if not text.isprintable():  # one C-level scan instead of three `in` tests
        text = _INNER_BREAKS.sub(" ", text)
    return text


def is_id_like(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def identifier(text: str, label: str, what: str) -> str:
    """An order, sub-order or buyer id: letters, digits, `-` and `_` (PDD `260517-6071…`)."""
    if text in NULLS:
        raise RowError(f"missing {what} in column {label}")
    if _ID.fullmatch(text):
        return text
    if _EXCEL_NUMBER.fullmatch(text):
        raise RowError(
            f"{what} {text} was re-saved by Excel (column {label}): its digits are lost; "
            "export the file again from the platform and import it without opening it in Excel"
        )
    raise RowError(f"{what} {text!r} in column {label} is not an id")


def money_fen(text: str, label: str) -> int:
    """Yuan text -> integer fen, exact (Decimal), half-up beyond two decimals. Accepts `元`,
    `¥`, thousands separators and a sign; placeholders and `无退款申请` are zero."""
    if text in MONEY_ZEROS:
        return 0
    whole, dot, cents = text.partition(".")
    if whole.isdecimal() and (not dot or (cents.isdecimal() and len(cents) <= 2)):
        return int(whole) * 100 + (int(cents) * (10 if len(cents) == 1 else 1) if cents else 0)
    number = text
    if not _MONEY.fullmatch(number):
        number = text.translate(_MONEY_NOISE)
        if not _MONEY.fullmatch(number):
            raise RowError(f"amount {text!r} in column {label} is not a number")
    scaled = Decimal(number) * 100
    fen = int(scaled)
    return fen if fen == scaled else int(scaled.quantize(_CENT, rounding=ROUND_HALF_UP))


def quantity(text: str, label: str) -> int:
    """A whole, non-negative count; a missing count is 1. `2件` and `2.0` read as 2."""
    if text in NULLS:
        return 1
    matched = _WHOLE.fullmatch(text.removesuffix("件"))
    if matched is None:
        raise RowError(f"quantity {text!r} in column {label} is not a whole number")
    return int(matched.group(1))


def phone_key(text: str) -> BuyerKey | None:
    """A real phone (digits, optional `+`) -> PHONE with the cleaned digits; masked (`*`) or
    ciphertext (`##…`, `$$…`, long base64-like text) -> MASKED_PHONE; anything else -> None."""
    if text.isdigit() and 7 <= len(text) <= 15:  # the common case, without a regex
        return BuyerKey(BuyerKeyKind.PHONE, text)
    if text in NULLS:
        return None
    if "*" in text or text.startswith(("##", "$$")):
        return BuyerKey(BuyerKeyKind.MASKED_PHONE, text)
    compact = text.translate(_PHONE_NOISE)
    if _PHONE.fullmatch(compact):
        return BuyerKey(BuyerKeyKind.PHONE, compact)
    if _CIPHERTEXT.fullmatch(text):
        return BuyerKey(BuyerKeyKind.MASKED_PHONE, text)
    return None


def email_key(text: str) -> BuyerKey | None:
    return BuyerKey(BuyerKeyKind.EMAIL, text) if "@" in text and _EMAIL.fullmatch(text) else None


def account_key(text: str) -> BuyerKey | None:
    """An Alipay-style account: an e-mail, else a (possibly masked) phone, else nothing."""
    if text in NULLS:
        return None
    return email_key(text) or phone_key(text)


def key_of(kind: BuyerKeyKind, value: str | None) -> BuyerKey | None:
    return BuyerKey(kind, value) if value else None


def plain_name(text: str) -> str | None:
    """A person's name, or None when missing or encrypted (Douyin `##…`)."""
    if text in NULLS or text.startswith(("##", "$$")):
        return None
    return text


def region(address: str) -> tuple[str | None, str | None]:
    """Province and city from Taobao's space-separated `省 市 区 详细地址(邮编)`."""
    if address.endswith(")"):
        address = address[: address.rfind("(")]
    parts = [] if address in NULLS else address.split(maxsplit=2)
    if not parts:
        return None, None
    return parts[0], parts[1] if len(parts) > 1 else None


def make_buyer(
    keys: Iterable[BuyerKey | None],
    name: str | None = None,
    province: str | None = None,
    city: str | None = None,
) -> Buyer:
    """A Buyer with its keys de-duplicated in order and missing ones dropped."""
    present = tuple(key for key in keys if key is not None)
    values = {key.value for key in present}  # str hashing is cheap, BuyerKey hashing is not
    unique = present if len(values) == len(present) else tuple(dict.fromkeys(present))
    return Buyer(keys=unique, name=name, province=province, city=city)


def is_footer(first_cell: str, key_cell: str) -> bool:
    """A `合计`/`总计` footer or a `#` comment line: the key cell names a total, or holds no id
    while the row's first cell does. Such rows are not data and are skipped."""
    if key_cell.startswith(FOOTER_WORDS):
        return True
    if _ID.fullmatch(key_cell):
        return False
    return first_cell.startswith(FOOTER_WORDS) or first_cell.startswith("#")
