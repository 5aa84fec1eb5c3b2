"""Where each kind of parsed record goes: one sink per kind, one instance per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from sqlalchemy.orm import Session

from siyu.commerce.shops import find_or_create_shop, platform_code
from siyu.ingest.load_events import load_events
from siyu.ingest.load_orders import OrderLoader
from siyu.ingest.load_wecom import load_contacts, load_groups
from siyu.ingest.order_rows import PLATFORM, SHOP_NAME, PreparedOrder, prepare_orders
from siyu.ingest.outcome import LoadCounts
from siyu.ingest.records import EventRecord, OrderRecord

FORMAT_PLATFORMS = {
    "taobao": "taobao",
    "jd": "jd",
    "pdd": "pdd",
    "douyin": "douyin",
    "youzan": "youzan",
    "orders-csv": "offline",
}


@dataclass(frozen=True, slots=True)
class SinkOptions:
    format_name: str
    shop: str | None
    platform: str | None
    source_name: str


class Sink(Protocol):
    def __init__(self, session: Session, options: SinkOptions) -> None: ...

    @classmethod
    def run_shop_id(cls, session: Session, options: SinkOptions) -> int | None: ...

    # Tables whose key lookups need fresh planner statistics while this sink fills them.
    looked_up: ClassVar[tuple[str, ...]]
    # Whether `prepare` makes plain rows, cheap to send from a parsing worker process.
    pipelined: ClassVar[bool]

    @staticmethod
    def prepare(records: Sequence[Any], *, postgres: bool) -> Sequence[Any]:
        """The database-free part of loading a batch (it may run in the parsing worker)."""
        ...

    def load(self, prepared: Sequence[Any]) -> LoadCounts: ...


class _Base:
    default_platform: ClassVar[str] = "offline"
    looked_up: ClassVar[tuple[str, ...]] = ("customer_identities",)
    pipelined: ClassVar[bool] = False

    @staticmethod
    def prepare(records: Sequence[Any], *, postgres: bool) -> Sequence[Any]:
        return records

    def __init__(self, session: Session, options: SinkOptions) -> None:
        self.session = session
        self.options = options

    @classmethod
    def run_shop_id(cls, session: Session, options: SinkOptions) -> int | None:
        if not options.shop:
            return None
        default = FORMAT_PLATFORMS.get(options.format_name, cls.default_platform)
        return find_or_create_shop(
            session, options.shop, platform_code(options.platform, default)
        ).id

    def shop_id_for(self, shop_name: str | None, platform: str | None) -> int | None:
        """--shop wins; else the row's own shop; else a shop named after the platform."""
        options = self.options
        default = FORMAT_PLATFORMS.get(options.format_name, self.default_platform)
        code = platform_code(options.platform or platform, default)
        name = options.shop or shop_name or (code if options.format_name != "events" else None)
        if name is None:
            return None
        return find_or_create_shop(self.session, name, code).id


class OrdersSink(_Base):
    looked_up: ClassVar[tuple[str, ...]] = ("customer_identities", "orders", "order_lines")
    pipelined: ClassVar[bool] = True

    @staticmethod
    def prepare(records: Sequence[OrderRecord], *, postgres: bool) -> list[PreparedOrder]:
        return prepare_orders(records, postgres=postgres)

    def load(self, prepared: Sequence[PreparedOrder]) -> LoadCounts:
        by_shop: dict[int, list[PreparedOrder]] = defaultdict(list)
        shops: dict[tuple[str | None, str], int | None] = {}
        for row in prepared:
            key = (row[SHOP_NAME], row[PLATFORM])
            if key not in shops:
                shops[key] = self.shop_id_for(*key)
            shop_id = shops[key]
            assert shop_id is not None
            by_shop[shop_id].append(row)
        counts = LoadCounts()
        for shop_id, group in by_shop.items():
            loader = OrderLoader(
                self.session, shop_id=shop_id, source_name=self.options.source_name
            )
            counts.add(loader.load_prepared(group))
        return counts


class EventsSink(_Base):
    def load(self, records: Sequence[EventRecord]) -> LoadCounts:
        shop_ids = {
            record.line_no: self.shop_id_for(record.shop_name, record.platform)
            for record in records
            if record.shop_name or self.options.shop
        }
        return load_events(self.session, records, shop_ids, self.options.source_name)


class ContactsSink(_Base):
    def load(self, records: Sequence[Any]) -> LoadCounts:
        return load_contacts(self.session, records, self.options.source_name)


class GroupsSink(_Base):
    def load(self, records: Sequence[Any]) -> LoadCounts:
        return load_groups(self.session, records, self.options.source_name)


SINKS: dict[str, type[Sink]] = {
    "orders": OrdersSink,
    "events": EventsSink,
    "wecom-contacts": ContactsSink,
    "wecom-groups": GroupsSink,
}
