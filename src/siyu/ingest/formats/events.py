"""Behaviour events: searches, views, follows, favourites, add-to-carts and shares.

Files: CSV with a header row (or the same table as xlsx, or either in a zip), or JSON Lines
(`.jsonl`/`.ndjson`/`.json`: one JSON object per line, keys as the column names below, numbers
allowed for times and ids). Each CSV row or JSON line is one event.

Columns (names are case- and space-insensitive; Chinese names in brackets are accepted too):
- `event_type` (or `event`, `type`; 行为, 事件): `search`, `view`, `follow`, `favourite`,
  `cart`, `share`; also `browse`/`pv`, `favorite`, `add_to_cart`, and 搜索, 浏览, 关注, 收藏,
  加购/加入购物车, 分享. Required.
- `occurred_at` (or `time`, `timestamp`; 时间, 发生时间): any form of
  `siyu.ingest.formats.dates`, incl. ISO 8601 with offset and Unix seconds. Required.
- a customer key, at least one of the columns: `customer_id` (your system's id), `phone`,
  `unionid`, `openid`, or `buyer_id` together with `platform` (a platform buyer id only means
  something on its platform). Each event needs at least one key value.
- optional: `item` (商品), `category` (类目), `platform` (平台), `shop` (店铺), `email`, `name`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from siyu.ingest.formats.cleaning import email_key, key_of, make_buyer
from siyu.ingest.formats.dates import SHANGHAI
from siyu.ingest.formats.errors import RowError
from siyu.ingest.formats.headers import AliasTable, Header, normalize_header, resolve
from siyu.ingest.formats.reading import detect_encoding
from siyu.ingest.formats.table import Row, open_table, parse_table
from siyu.ingest.records import Buyer, BuyerKeyKind, EventRecord, EventType, RejectedRow

JSON_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
ALIASES = AliasTable.of(
    {
        "event_type": ("event_type", "event", "type", "行为", "行为类型", "事件"),
        "occurred_at": ("occurred_at", "time", "timestamp", "时间", "发生时间"),
        "customer_id": ("customer_id",),
        "phone": ("phone", "手机号"),
        "unionid": ("unionid",),
        "openid": ("openid",),
        "buyer_id": ("buyer_id",),
        "platform": ("platform", "平台"),
        "item": ("item", "商品"),
        "category": ("category", "类目"),
        "shop": ("shop", "店铺"),
        "email": ("email",),
        "name": ("name",),
    }
)
KEY_FIELDS = ("customer_id", "phone", "unionid", "openid", "buyer_id")
REQUIRED = (("event_type",), ("occurred_at",), KEY_FIELDS)
EVENT_TYPES = {
    **{kind.value: kind for kind in EventType},
    "browse": EventType.VIEW,
    "pv": EventType.VIEW,
    "favorite": EventType.FAVOURITE,
    "fav": EventType.FAVOURITE,
    "add_to_cart": EventType.CART,
    "搜索": EventType.SEARCH,
    "浏览": EventType.VIEW,
    "关注": EventType.FOLLOW,
    "收藏": EventType.FAVOURITE,
    "加购": EventType.CART,
    "加入购物车": EventType.CART,
    "分享": EventType.SHARE,
}

ParsedEventRow = EventRecord | RejectedRow


@dataclass(frozen=True, slots=True)
class Columns:
    event_type: int
    occurred_at: int
    customer_id: int
    phone: int
    unionid: int
    openid: int
    buyer_id: int
    platform: int
    item: int
    category: int
    shop: int
    email: int
    name: int


def parse_events(path: Path, *, tz: tzinfo = SHANGHAI) -> Iterator[ParsedEventRow]:
    if path.suffix.lower() in JSON_SUFFIXES:
        return _parse_json_lines(path, tz)
    table = open_table(path, ALIASES)
    columns = resolve(table.header, ALIASES, Columns, REQUIRED, name=table.name)
    return parse_table(table, columns.event_type, _Builder(columns, tz).build)


def _parse_json_lines(path: Path, tz: tzinfo) -> Iterator[ParsedEventRow]:
    """Each object becomes a row under a virtual header of the canonical column names."""
    names = tuple(ALIASES.display)
    columns = resolve(Header.of(0, names), ALIASES, Columns, (), name=path.name)
    encoding = detect_encoding(path.name, lambda: path.open("rb"))
    return _json_records(path, encoding, names, _Builder(columns, tz))


def _json_records(
    path: Path, encoding: str, names: tuple[str, ...], builder: _Builder
) -> Iterator[ParsedEventRow]:
    with path.open(encoding=encoding) as lines:
        for line_no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield builder.build(Row(line_no, _json_cells(line, names), names))
            except RowError as error:
                yield RejectedRow(line_no, str(error), line.rstrip("\r\n"))


def _json_cells(line: str, names: tuple[str, ...]) -> list[str]:
    try:
        found = json.loads(line)
    except ValueError as error:
        raise RowError(f"line is not valid JSON ({error})") from None
    if not isinstance(found, dict):
        raise RowError(f"line holds a JSON {type(found).__name__}, not an object")
    values = {normalize_header(str(key)): value for key, value in found.items()}
    cells = []
    for name in names:
        value = next((values[a] for a in ALIASES.fields[name] if a in values), None)
        cells.append("" if value is None else str(value))
    return cells


class _Builder:
    def __init__(self, columns: Columns, tz: tzinfo) -> None:
        self.c = columns
        self.tz = tz

    def build(self, row: Row) -> EventRecord:
        c = self.c
        raw_type = row.text(c.event_type)
        event_type = EVENT_TYPES.get(raw_type.lower().replace(" ", "_"))
        if event_type is None:
            raise RowError(
                f"event type {raw_type!r} in column {row.label(c.event_type)} is not one of "
                "search, view, follow, favourite, cart, share"
            )
        platform = row.optional(c.platform)
        return EventRecord(
            line_no=row.row_no,
            event_type=event_type,
            occurred_at=row.moment(c.occurred_at, self.tz),
            buyer=self._buyer(row, platform),
            item=row.optional(c.item),
            category=row.optional(c.category),
            platform=platform,
            shop_name=row.optional(c.shop),
        )

    def _buyer(self, row: Row, platform: str | None) -> Buyer:
        c = self.c
        buyer_id = row.optional(c.buyer_id)
        if buyer_id and not platform:
            raise RowError(f"buyer_id {buyer_id!r} needs a platform (column platform is empty)")
        buyer = make_buyer(
            (
                key_of(BuyerKeyKind.UNIONID, row.optional(c.unionid)),
                key_of(BuyerKeyKind.OPENID, row.optional(c.openid)),
                row.phone(c.phone),
                key_of(BuyerKeyKind.BUYER_ID, buyer_id),
                key_of(BuyerKeyKind.CUSTOMER_REF, row.optional(c.customer_id)),
                email_key(row.text(c.email)),
            ),
            name=row.optional(c.name),
        )
        if not buyer.keys:
            raise RowError(
                "no customer key: customer_id, phone, unionid, openid, buyer_id all empty"
            )
        return buyer
