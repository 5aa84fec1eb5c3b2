"""The mini-program's behaviour events as an `events` CSV (UTF-8), oldest first.

Columns: the customer keys `customer_id`, `phone`, `unionid`; `event_type`, `item`, `category`,
`occurred_at`; and the optional `platform` and `shop` the events format accepts.

Every event carries the visitor's unionid; the member number once the visitor has ordered in the
mini-program, and the phone when they authorised it (members, and prospects who logged in).
"""

from __future__ import annotations

import numpy as np

from siyu.demo.catalog import SHOPS, SKUS, ShopKey
from siyu.demo.events import EVENT_TYPES, Events
from siyu.demo.writers.table import (
    Column,
    Export,
    Int,
    Written,
    chunks,
    constant,
    minimal,
    moments,
    open_csv,
    pick,
    write_header,
    write_rows,
)
from siyu.ingest.records import EventType

HEADER = (
    "customer_id", "phone", "unionid", "event_type", "item", "category", "occurred_at",
    "platform", "shop",
)  # fmt: skip
PROSPECT_LOGIN_SHARE = 0.4
NEVER = np.iinfo(np.int64).max


def write_events(export: Export, events: Events, prospects: Int) -> list[Written]:
    orders, people = export.orders, export.people
    member_since = np.full(people.count, NEVER, dtype=np.int64)
    mini = np.flatnonzero(orders.shop == ShopKey.MINI)
    np.minimum.at(member_since, orders.buyer[mini], orders.ordered_at[mini])
    logged_in = np.zeros(people.count, dtype=bool)
    logged_in[prospects] = export.rng.random(prospects.size) < PROSPECT_LOGIN_SHARE
    phone_shown = np.zeros(people.count, dtype=bool)
    path = export.out_dir / "miniprogram" / "miniprogram_events.csv"
    with open_csv(path, "utf-8") as handle:
        write_header(handle, HEADER)
        for part in chunks(events.at.size):
            persons, at = events.person[part], events.at[part]
            member = at >= member_since[persons]
            shows_phone = people.authorised_phone[persons] & (member | logged_in[persons])
            phone_shown[persons[shows_phone]] = True
            columns = [
                _where(member, pick(people.member_id, persons)),
                _where(shows_phone, pick(people.phone, persons)),
                pick(people.unionid, persons),
                [EVENT_TYPES[kind].value for kind in events.kind[part].tolist()],
                *_items(events, part),
                moments(at),
                constant(SHOPS[ShopKey.MINI].platform, len(persons)),
                constant(SHOPS[ShopKey.MINI].name, len(persons)),
            ]
            write_rows(handle, [minimal(column) for column in columns])
    persons = np.flatnonzero(phone_shown).astype(np.int64)
    return [Written("events", path, ShopKey.MINI, int(events.at.size), persons)]


def _where(shown: np.ndarray, values: Column) -> Column:
    return [value if flag else "" for value, flag in zip(values, shown.tolist(), strict=True)]


def _items(events: Events, part: slice) -> tuple[Column, Column]:
    items, categories = [], []
    search, follow = EVENT_TYPES.index(EventType.SEARCH), EVENT_TYPES.index(EventType.FOLLOW)
    for kind, sku, keyword in zip(
        events.kind[part].tolist(), events.sku[part].tolist(), events.keyword[part], strict=True
    ):
        if kind == follow:
            items.append("")
            categories.append("")
        else:
            items.append(keyword if kind == search else SKUS[sku].full_title)
            categories.append(SKUS[sku].category)
    return items, categories
