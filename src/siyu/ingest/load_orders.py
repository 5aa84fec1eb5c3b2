"""Load parsed order rows into the store, one batch at a time, idempotently.

Orders are keyed by (shop, platform order id), lines by (order, line_key). Each row is compared
with what is stored: new → inserted, different → updated, same → unchanged. A status never moves
backwards (an older export re-imported after a newer one cannot undo a shipment or a refund).
Order-grain rows set the order's amounts; line-grain orders sum their lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.commerce.catalog import Catalog
from siyu.commerce.tables import Order, OrderLine
from siyu.customers.changes import mark_changed
from siyu.customers.keys import normalise_key
from siyu.customers.resolve import Incoming, Resolver
from siyu.db.base import table_of
from siyu.ingest.outcome import LoadCounts, Outcome
from siyu.ingest.records import Grain, OrderRecord, OrderStatus

STATUS_RANK = {
    OrderStatus.PENDING_PAYMENT: 0,
    OrderStatus.PAID: 1,
    OrderStatus.SHIPPED: 2,
    OrderStatus.COMPLETED: 3,
    OrderStatus.PARTIALLY_REFUNDED: 4,
    OrderStatus.CLOSED: 5,
    OrderStatus.REFUNDED: 5,
}
REFUNDS = {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
ORDER_FIELDS = (
    "status", "raw_status", "ordered_at", "paid_at", "shipped_at", "completed_at",
    "total_fen", "paid_fen", "refunded_fen", "shipping_fen", "coupon_code", "customer_id",
)  # fmt: skip
LINE_FIELDS = (
    "title", "sku_properties", "quantity", "unit_price_fen", "paid_fen", "refunded_fen",
    "status", "product_id", "sku_id", "category_id",
)  # fmt: skip
ORDERS = table_of(Order)
LINES = table_of(OrderLine)


class OrderLoader:
    def __init__(self, session: Session, *, shop_id: int, source_name: str) -> None:
        self.session = session
        self.shop_id = shop_id
        self.source_name = source_name
        self.resolver = Resolver(session)
        self.catalog = Catalog(session)

    def load(self, records: Sequence[OrderRecord]) -> LoadCounts:
        counts = LoadCounts()
        customers = self._resolve_customers(records, counts)
        mark_changed(self.session, customers)
        order_ids, order_outcomes = self._upsert_orders(records, customers)
        line_outcomes = self._upsert_lines(records, order_ids)
        self._sum_line_grain_orders(set(order_ids.values()))
        for record in records:
            outcome = _combine(order_outcomes[record.order_id], line_outcomes.get(record.line_no))
            counts.outcomes[outcome] += 1
            order_outcomes[record.order_id] = Outcome.UNCHANGED  # count an order's change once
        return counts

    def _resolve_customers(
        self, records: Sequence[OrderRecord], counts: LoadCounts
    ) -> list[int | None]:
        """One customer per order (all rows of an order share it). An order already stored
        keeps its customer when the new rows carry no strong key (a masked phone only), so a
        re-import never invents a second customer for it."""
        evidence: dict[str, Incoming] = {}
        for record in records:
            keys = (normalise_key(key, scope=record.platform) for key in record.buyer.keys)
            found = tuple(key for key in keys if key is not None)
            previous = evidence.get(record.order_id)
            if previous is None:
                evidence[record.order_id] = Incoming(
                    keys=found,
                    source=f"{self.source_name}:{record.line_no}",
                    name=record.buyer.name,
                    province=record.buyer.province,
                    city=record.buyer.city,
                    shop_id=self.shop_id,
                )
            elif set(found) - set(previous.keys):
                merged_keys = tuple(dict.fromkeys((*previous.keys, *found)))
                evidence[record.order_id] = replace(previous, keys=merged_keys)
        stored = dict(
            self.session.execute(
                select(ORDERS.c.platform_order_id, ORDERS.c.customer_id).where(
                    ORDERS.c.shop_id == self.shop_id,
                    ORDERS.c.platform_order_id.in_(list(evidence)),
                    ORDERS.c.customer_id.is_not(None),
                )
            ).all()
        )
        to_resolve = [
            order_id
            for order_id, incoming in evidence.items()
            if order_id not in stored or any(key.is_strong for key in incoming.keys)
        ]
        result = self.resolver.resolve([evidence[order_id] for order_id in to_resolve])
        counts.new_customers, counts.merges = result.new_customers, result.merges
        by_order: dict[str, int | None] = dict(stored)
        by_order.update(zip(to_resolve, result.customer_ids, strict=True))
        return [by_order[record.order_id] for record in records]

    def _upsert_orders(
        self, records: Sequence[OrderRecord], customers: list[int | None]
    ) -> tuple[dict[str, int], dict[str, Outcome]]:
        wanted: dict[str, dict[str, Any]] = {}
        for record, customer_id in zip(records, customers, strict=True):
            row = _order_row(record, customer_id)
            previous = wanted.get(record.order_id)
            wanted[record.order_id] = row if previous is None else _newer(previous, row)
        stored = {
            row.platform_order_id: row
            for row in self.session.execute(
                select(ORDERS.c.id, ORDERS.c.platform_order_id, ORDERS.c.amount_grain,
                       *(ORDERS.c[name] for name in ORDER_FIELDS))
                .where(ORDERS.c.shop_id == self.shop_id,
                       ORDERS.c.platform_order_id.in_(list(wanted)))
            )
        }  # fmt: skip
        ids = {order_id: row.id for order_id, row in stored.items()}
        outcomes: dict[str, Outcome] = {}
        changes = []
        for order_id, row in wanted.items():
            if order_id not in stored:
                outcomes[order_id] = Outcome.INSERTED
                continue
            change = _order_change(stored[order_id]._mapping, row)
            outcomes[order_id] = Outcome.UPDATED if change else Outcome.UNCHANGED
            if change:
                changes.append({"id": stored[order_id].id, **change})
        if changes:
            self.session.execute(update(Order), changes)
        new = [
            {"shop_id": self.shop_id, "platform_order_id": order_id, **row}
            for order_id, row in wanted.items()
            if order_id not in stored
        ]
        if new:
            created = self.session.execute(
                insert(Order).returning(
                    Order.platform_order_id, Order.id, sort_by_parameter_order=True
                ),
                new,
            )
            ids.update(created.all())
        return ids, outcomes

    def _upsert_lines(
        self, records: Sequence[OrderRecord], order_ids: dict[str, int]
    ) -> dict[int, Outcome]:
        with_lines = [record for record in records if record.line is not None]
        if not with_lines:
            return {}
        catalog_ids = self._catalog_ids(with_lines)
        stored = {
            (row.order_id, row.line_key): row
            for row in self.session.execute(
                select(LINES.c.id, LINES.c.order_id, LINES.c.line_key,
                       *(LINES.c[name] for name in LINE_FIELDS))
                .where(LINES.c.order_id.in_({order_ids[r.order_id] for r in with_lines}))
            )
        }  # fmt: skip
        outcomes: dict[int, Outcome] = {}
        new: dict[tuple[int, str], dict[str, Any]] = {}
        changes: dict[int, dict[str, Any]] = {}
        for record, ids in zip(with_lines, catalog_ids, strict=True):
            assert record.line is not None
            order_id = order_ids[record.order_id]
            row = _line_row(record, *ids)
            key = (order_id, record.line.line_key)
            if key in stored:
                change = _line_change(stored[key]._mapping, row)
                outcomes[record.line_no] = Outcome.UPDATED if change else Outcome.UNCHANGED
                if change:
                    changes[stored[key].id] = {"id": stored[key].id, **change}
            else:
                outcomes[record.line_no] = Outcome.INSERTED
                new[key] = {"order_id": order_id, "line_key": key[1], **row}
        if changes:
            self.session.execute(update(OrderLine), list(changes.values()))
        if new:
            self.session.execute(insert(OrderLine), list(new.values()))
        return outcomes

    def _catalog_ids(
        self, records: Sequence[OrderRecord]
    ) -> list[tuple[int | None, int | None, int | None]]:
        """(product_id, sku_id, category_id) for each record's line."""
        lines = [record.line for record in records if record.line is not None]
        self.catalog.ensure_categories({line.category for line in lines if line.category})
        products: dict[str, dict[str, Any]] = {}
        for line in lines:
            category_id = self.catalog.categories.get(line.category) if line.category else None
            products.setdefault(
                _product_code(line.product_code, line.title),
                {"title": line.title[:500], "category_id": category_id},
            )
        self.catalog.ensure_products(products)
        skus = {
            line.sku_code: {
                "product_id": self.catalog.products[_product_code(line.product_code, line.title)],
                "properties": line.sku_properties,
                "list_price_fen": line.unit_price_fen,
            }
            for line in lines
            if line.sku_code
        }
        self.catalog.ensure_skus(skus)
        return [
            (
                self.catalog.products[_product_code(line.product_code, line.title)],
                self.catalog.skus.get(line.sku_code) if line.sku_code else None,
                self.catalog.categories.get(line.category) if line.category else None,
            )
            for line in lines
        ]

    def _sum_line_grain_orders(self, order_ids: set[int]) -> None:
        """Line-grain orders: amounts are the sums of their lines; refunds set the status."""
        if not order_ids:
            return
        paid = _line_sum(LINES.c.paid_fen)
        refunded = _line_sum(LINES.c.refunded_fen)
        self.session.execute(
            update(ORDERS)
            .where(ORDERS.c.id.in_(order_ids), ORDERS.c.amount_grain == "line")
            .values(paid_fen=paid, refunded_fen=refunded)
        )
        refund_family = [OrderStatus.REFUNDED.value, OrderStatus.PARTIALLY_REFUNDED.value]
        touched = ORDERS.c.id.in_(order_ids), ORDERS.c.amount_grain == "line"
        self.session.execute(
            update(ORDERS)
            .where(*touched, ORDERS.c.refunded_fen > 0, ORDERS.c.refunded_fen < ORDERS.c.paid_fen)
            .values(status=OrderStatus.PARTIALLY_REFUNDED.value)
        )
        self.session.execute(
            update(ORDERS)
            .where(*touched, ORDERS.c.status.in_(refund_family), ORDERS.c.refunded_fen > 0,
                   ORDERS.c.refunded_fen >= ORDERS.c.paid_fen)
            .values(status=OrderStatus.REFUNDED.value)
        )  # fmt: skip


def _line_sum(column: Any) -> Any:
    return (
        select(func.coalesce(func.sum(column), 0))
        .where(LINES.c.order_id == ORDERS.c.id)
        .scalar_subquery()
    )


def _product_code(product_code: str | None, title: str) -> str:
    return (product_code or f"title:{title}")[:128]


def _order_row(record: OrderRecord, customer_id: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "status": record.status.value,
        "raw_status": record.raw_status[:100],
        "ordered_at": record.ordered_at,
        "paid_at": record.paid_at,
        "shipped_at": record.shipped_at,
        "completed_at": record.completed_at,
        "coupon_code": record.coupon_code,
        "customer_id": customer_id,
        "amount_grain": record.grain.value,
    }
    if record.grain == Grain.ORDER:
        row |= {
            "total_fen": record.total_fen,
            "paid_fen": record.paid_fen,
            "refunded_fen": record.refunded_fen,
            "shipping_fen": record.shipping_fen,
        }
    return row


def _newer(previous: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """Two rows of one order in one batch: the further-along status wins; nothing is lost."""
    base, other = (
        (row, previous)
        if STATUS_RANK[OrderStatus(row["status"])] >= STATUS_RANK[OrderStatus(previous["status"])]
        else (previous, row)
    )
    merged = dict(base)
    for name, value in other.items():
        if merged.get(name) is None and value is not None:
            merged[name] = value
    if "order" in (previous["amount_grain"], row["amount_grain"]):
        merged["amount_grain"] = "order"
    return merged


def _order_change(stored: Any, row: dict[str, Any]) -> dict[str, Any]:
    """The fields to update on a stored order (empty when nothing changes)."""
    incoming = dict(row)
    new_status, old_status = OrderStatus(incoming["status"]), OrderStatus(stored["status"])
    refunds_from_lines = stored["amount_grain"] == "line" and {new_status, old_status} <= REFUNDS
    if refunds_from_lines or STATUS_RANK[new_status] < STATUS_RANK[old_status]:
        incoming.pop("status")  # never backwards; line-grain refund states come from the lines
        incoming.pop("raw_status")
    if stored["amount_grain"] == "order" and incoming["amount_grain"] == "line":
        incoming.pop("amount_grain")  # an order file's amounts outrank its detail file's
    for name in ("customer_id", "paid_at", "shipped_at", "completed_at", "coupon_code"):
        if incoming.get(name) is None:
            incoming.pop(name, None)  # absence in one export never erases what another said
    return {name: value for name, value in incoming.items() if stored[name] != value}


def _line_change(stored: Any, row: dict[str, Any]) -> dict[str, Any]:
    incoming = dict(row)
    if STATUS_RANK[OrderStatus(incoming["status"])] < STATUS_RANK[OrderStatus(stored["status"])]:
        incoming.pop("status")
    return {name: value for name, value in incoming.items() if stored[name] != value}


def _line_row(
    record: OrderRecord, product_id: int | None, sku_id: int | None, category_id: int | None
) -> dict[str, Any]:
    line = record.line
    assert line is not None
    return {
        "title": line.title[:500],
        "sku_properties": line.sku_properties,
        "quantity": line.quantity,
        "unit_price_fen": line.unit_price_fen,
        "paid_fen": line.paid_fen,
        "refunded_fen": line.refunded_fen,
        "status": (line.status or record.status).value,
        "product_id": product_id,
        "sku_id": sku_id,
        "category_id": category_id,
    }


def _combine(order: Outcome, line: Outcome | None) -> Outcome:
    outcomes = {order, line or Outcome.UNCHANGED}
    for outcome in (Outcome.INSERTED, Outcome.UPDATED):
        if outcome in outcomes:
            return outcome
    return Outcome.UNCHANGED
