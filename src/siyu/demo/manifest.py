"""What a demo data set holds: its files in import order, and the ground truth to check against.

Written beside the files as `manifest.json` (paths relative to it), and read back with
`DemoManifest.load`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True, slots=True)
class DemoFile:
    format: str  # the importer's name: taobao, jd, pdd, douyin, orders-csv, events, wecom-…
    path: Path
    shop_name: str | None  # None for WeCom files, which belong to no shop
    platform: str | None  # tmall, jd, pdd, douyin, mini_program; None for WeCom files
    rows: int  # data rows (CSV), contacts (get_by_user pages) or groups (groupchat/get)


@dataclass(frozen=True, slots=True)
class ShopTruth:
    shop_name: str
    platform: str
    format: str
    orders: int  # distinct order ids in the shop's files
    lines: int  # order lines (Douyin gift sub-orders included)
    buyers: int  # distinct persons who ordered here
    paid_orders: int
    paid_fen: int  # what buyers paid on paid orders, postage included, before refunds
    refunded_fen: int
    statuses: dict[str, int]  # OrderStatus value -> orders, as the simulation has them


@dataclass(frozen=True, slots=True)
class GroundTruth:
    persons: int  # simulated people, buyers and prospects
    buyers: int
    prospects: int  # browse (events) but never order
    orders: int
    order_lines: int
    multi_shop_buyers: int  # persons with orders in two or more shops
    distinct_real_phones: int  # persons whose unmasked phone appears in an order file
    phone_linked_multi_shop_buyers: int  # … unmasked in the files of two or more shops
    wecom_contacts: int  # guide–customer edges in the get_by_user pages
    wecom_customers: int  # distinct external_userid
    wecom_buyers: int
    wecom_prospects: int
    wecom_removed: int  # edges the customer deleted (del_follow_user)
    groups: int
    group_customer_members: int
    events: int
    event_persons: int
    prospects_with_events: int


@dataclass(frozen=True, slots=True)
class DemoManifest:
    out_dir: Path
    seed: int
    customers: int
    start: date
    end: date
    files: tuple[DemoFile, ...]  # in import order: orders, events, contacts, groups
    shops: tuple[ShopTruth, ...]
    truth: GroundTruth
    callbacks: Path  # del_follow_user callbacks, JSON Lines (no importer yet)

    def files_of(self, format_name: str) -> tuple[DemoFile, ...]:
        return tuple(file for file in self.files if file.format == format_name)

    def shop(self, platform: str) -> ShopTruth:
        return next(shop for shop in self.shops if shop.platform == platform)

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "customers": self.customers,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "files": [asdict(file) | {"path": self._relative(file.path)} for file in self.files],
            "shops": [asdict(shop) for shop in self.shops],
            "truth": asdict(self.truth),
            "callbacks": self._relative(self.callbacks),
        }

    def write(self) -> Path:
        path = self.out_dir / MANIFEST_NAME
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=2)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> DemoManifest:
        data = json.loads(path.read_text(encoding="utf-8"))
        folder = path.parent
        return cls(
            out_dir=folder,
            seed=data["seed"],
            customers=data["customers"],
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            files=tuple(
                DemoFile(**(file | {"path": folder / file["path"]})) for file in data["files"]
            ),
            shops=tuple(ShopTruth(**shop) for shop in data["shops"]),
            truth=GroundTruth(**{f.name: data["truth"][f.name] for f in fields(GroundTruth)}),
            callbacks=folder / data["callbacks"],
        )

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.out_dir).as_posix()
