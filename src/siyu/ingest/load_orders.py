"""Load parsed order rows into the store, one batch at a time, idempotently.

Orders are keyed by (shop, platform order id), lines by (order, line_key). Each row is compared
with what is stored: new → inserted, different → updated, same → unchanged. A status never moves
backwards (an older export re-imported after a newer one cannot undo a shipment or a refund).
Order-grain rows set the order's amounts; line-grain orders sum their lines.

Set-based: per batch, one read of the stored orders, one of their lines, one identity lookup per
key kind, and one bulk write per table (see `siyu.ingest.bulk`); rows travel as tuples in their
stored form (`siyu.ingest.order_rows`), so nothing is built per row but the comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from siyu.commerce.catalog import Catalog
from siyu.customers.keys import MASKED, KeyParts
from siyu.customers.resolve import Incoming, Resolver
from siyu.ingest.bulk import Bulk, mark_customers_changed, time_column
from siyu.ingest.order_rows import (
    CATEGORY,
    CITY,
    GRAIN,
    KEYS,
    LINE,
    LINE_COLUMNS,
    LINE_KEY,
    LINE_NO,
    LINE_VALUES,
    NAME,
    ORDER_COLUMNS,
    ORDER_ID,
    PRODUCT_CODE,
    PROVINCE,
    SKU_CODE,
    VALUES,
    PreparedLine,
    PreparedOrder,
    line_change,
    newer,
    order_change,
    order_insert_values,
    prepare_orders,
)
from siyu.ingest.outcome import LoadCounts, Outcome
from siyu.ingest.records import OrderRecord, OrderStatus

ORDER_INSERT = ("shop_id", "platform_order_id", "customer_id", *ORDER_COLUMNS, "created_at",
                "updated_at")  # fmt: skip
ORDER_UPDATE = (*ORDER_COLUMNS, "customer_id", "updated_at")
LINE_INSERT = ("order_id", "line_key", *LINE_COLUMNS)
TIMES = frozenset({"ordered_at", "paid_at", "shipped_at", "completed_at"})
STORED_LINES = f"SELECT order_id, line_key, id, {', '.join(LINE_COLUMNS)} FROM order_lines " + (
    "WHERE order_id {}"
)
_LINE_SUMS = "SELECT coalesce(sum({0}), 0) FROM order_lines WHERE order_lines.order_id = orders.id"
SUM_LINES = (
    f"UPDATE orders SET paid_fen = ({_LINE_SUMS.format('paid_fen')}), "
    f"refunded_fen = ({_LINE_SUMS.format('refunded_fen')}), updated_at = ? "
    "WHERE amount_grain = 'line' AND id {}"
)
PARTIAL_REFUNDS = (
    f"UPDATE orders SET status = '{OrderStatus.PARTIALLY_REFUNDED.value}', updated_at = ? "
    "WHERE amount_grain = 'line' AND refunded_fen > 0 AND refunded_fen < paid_fen AND id {}"
)
FULL_REFUNDS = (
    f"UPDATE orders SET status = '{OrderStatus.REFUNDED.value}', updated_at = ? "
    "WHERE amount_grain = 'line' AND status IN "
    f"('{OrderStatus.REFUNDED.value}', '{OrderStatus.PARTIALLY_REFUNDED.value}') "
    "AND refunded_fen > 0 AND refunded_fen >= paid_fen AND id {}"
)


class StoredOrder(NamedTuple):
    id: int
    customer_id: int | None
    values: tuple[Any, ...]  # ORDER_COLUMNS


class OrderLoader:
    def __init__(self, session: Session, *, shop_id: int, source_name: str) -> None:
        self.session = session
        self.shop_id = shop_id
        self.source_name = source_name
        self.bulk = Bulk(session)
        self.now = self.bulk.db_time(datetime.now(UTC))
        self.resolver = Resolver(session)
        self.catalog = Catalog(session)

    def load(self, records: Sequence[OrderRecord]) -> LoadCounts:
        return self.load_prepared(prepare_orders(records, postgres=self.bulk.is_postgres))

    def load_prepared(self, rows: Sequence[PreparedOrder]) -> LoadCounts:
        """Load rows made by `prepare_orders` for this backend."""
        counts = LoadCounts()
        stored = self._stored_orders({row[ORDER_ID] for row in rows})
        customers = self._resolve_customers(rows, stored, counts)
        order_ids, order_outcomes = self._upsert_orders(rows, customers, stored)
        line_outcomes = self._upsert_lines(rows, order_ids)
        self._sum_line_grain_orders(
            {order_ids[row[ORDER_ID]] for row in rows if row[VALUES][GRAIN] == "line"}
        )
        touched = {
            row[ORDER_ID]
            for row in rows
            if _combine(order_outcomes[row[ORDER_ID]], line_outcomes.get(row[LINE_NO]))
            is not Outcome.UNCHANGED
        }
        previous_owners = (stored[oid].customer_id for oid in touched if oid in stored)
        mark_customers_changed(self.bulk, [*(customers[oid] for oid in touched), *previous_owners])
        tally = dict.fromkeys(Outcome, 0)
        for row in rows:
            order_id = row[ORDER_ID]
            outcome = order_outcomes[order_id]
            if line_outcomes:
                outcome = _combine(outcome, line_outcomes.get(row[LINE_NO]))
            tally[outcome] += 1
            order_outcomes[order_id] = Outcome.UNCHANGED  # count an order's change once
        counts.outcomes.update(tally)
        return counts

    def _stored_orders(self, order_ids: Iterable[str]) -> dict[str, StoredOrder]:
        postgres = self.bulk.is_postgres
        columns = ", ".join(
            time_column(name, is_postgres=postgres) if name in TIMES else name
            for name in ORDER_COLUMNS
        )
        sql = (
            f"SELECT platform_order_id, id, customer_id, {columns} FROM orders "
            "WHERE shop_id = ? AND platform_order_id {}"
        )
        rows = self.bulk.execute_in(sql, (self.shop_id,), sorted(order_ids))
        return {row[0]: StoredOrder(row[1], row[2], row[3:]) for row in rows}

    def _resolve_customers(
        self, rows: Sequence[PreparedOrder], stored: dict[str, StoredOrder], counts: LoadCounts
    ) -> dict[str, int | None]:
        """One customer per order (all rows of an order share it). An order already stored
        keeps its customer when the new rows carry no strong key (a masked phone only), so a
        re-import never invents a second customer for it."""
        evidence: dict[str, tuple[PreparedOrder, tuple[KeyParts, ...]]] = {}
        for row in rows:
            order_id, keys = row[ORDER_ID], row[KEYS]
            previous = evidence.get(order_id)
            if previous is None:
                evidence[order_id] = (row, keys)
            elif keys and not set(keys) <= set(previous[1]):
                merged_keys = tuple(dict.fromkeys((*previous[1], *keys)))
                evidence[order_id] = (previous[0], merged_keys)
        customers: dict[str, int | None] = {}
        to_resolve: list[str] = []
        for order_id, (_, keys) in evidence.items():
            known = stored.get(order_id)
            if known is None or known.customer_id is None or any(key[0] != MASKED for key in keys):
                to_resolve.append(order_id)
            else:
                customers[order_id] = known.customer_id
        result = self.resolver.resolve([self._incoming(*evidence[oid]) for oid in to_resolve])
        counts.new_customers, counts.merges = result.new_customers, result.merges
        customers.update(zip(to_resolve, result.customer_ids, strict=True))
        return customers

    def _incoming(self, row: PreparedOrder, keys: tuple[KeyParts, ...]) -> Incoming:
        source = f"{self.source_name}:{row[LINE_NO]}"
        return Incoming(keys, source, row[NAME], row[PROVINCE], row[CITY], self.shop_id)

    def _upsert_orders(
        self,
        rows: Sequence[PreparedOrder],
        customers: dict[str, int | None],
        stored: dict[str, StoredOrder],
    ) -> tuple[dict[str, int], dict[str, Outcome]]:
        wanted: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            order_id, values = row[ORDER_ID], row[VALUES]
            previous = wanted.get(order_id)
            wanted[order_id] = values if previous is None else newer(previous, values)
        outcomes: dict[str, Outcome] = {}
        new: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        for order_id, values in wanted.items():
            found = stored.get(order_id)
            customer = customers[order_id]
            if found is None:
                outcomes[order_id] = Outcome.INSERTED
                insert = order_insert_values(values)
                new.append((self.shop_id, order_id, customer, *insert, self.now, self.now))
                continue
            change = order_change(found.values, customer, values, found.customer_id)
            outcomes[order_id] = Outcome.UPDATED if change else Outcome.UNCHANGED
            if change:
                changed.append(_updated_order(found, change, self.now))
        if changed:
            self.bulk.update_by_id("orders", ORDER_UPDATE, changed)
        ids = {order_id: found.id for order_id, found in stored.items()}
        if any(row[LINE] is not None or row[VALUES][GRAIN] == "line" for row in rows):
            created = self.bulk.insert_with_ids("orders", ORDER_INSERT, new)
            ids.update(zip((row[1] for row in new), created, strict=True))
        elif new:
            self.bulk.insert("orders", ORDER_INSERT, new)
        return ids, outcomes

    def _upsert_lines(
        self, rows: Sequence[PreparedOrder], order_ids: dict[str, int]
    ) -> dict[int, Outcome]:
        with_lines = [(row, line) for row in rows if (line := row[LINE]) is not None]
        if not with_lines:
            return {}
        catalog_ids = self._catalog_ids([line for _, line in with_lines])
        wanted_orders = sorted({order_ids[row[ORDER_ID]] for row, _ in with_lines})
        stored = {
            (found[0], found[1]): (found[2], found[3:])
            for found in self.bulk.execute_in(STORED_LINES, (), wanted_orders, array_type="bigint")
        }
        outcomes: dict[int, Outcome] = {}
        new: dict[tuple[int, str], tuple[Any, ...]] = {}
        changes: dict[int, tuple[Any, ...]] = {}
        for (row, line), ids in zip(with_lines, catalog_ids, strict=True):
            values = (*line[LINE_VALUES], *ids)
            key = (order_ids[row[ORDER_ID]], line[LINE_KEY])
            if key in stored:
                line_id, stored_values = stored[key]
                change = line_change(stored_values, values)
                outcomes[row[LINE_NO]] = Outcome.UPDATED if change else Outcome.UNCHANGED
                if change:
                    merged = [change.get(index, value) for index, value in enumerate(stored_values)]
                    changes[line_id] = (*merged, line_id)
            else:
                outcomes[row[LINE_NO]] = Outcome.INSERTED
                new[key] = (*key, *values)
        if changes:
            self.bulk.update_by_id("order_lines", LINE_COLUMNS, changes.values())
        if new:
            self.bulk.insert("order_lines", LINE_INSERT, new.values())
        return outcomes

    def _catalog_ids(
        self, lines: Sequence[PreparedLine]
    ) -> list[tuple[int | None, int | None, int | None]]:
        """(product_id, sku_id, category_id) for each line."""
        catalog = self.catalog
        catalog.ensure_categories({line[CATEGORY] for line in lines if line[CATEGORY]})
        products: dict[str, dict[str, Any]] = {}
        for line in lines:
            category = line[CATEGORY]
            category_id = catalog.categories.get(category) if category else None
            products.setdefault(
                line[PRODUCT_CODE], {"title": line[LINE_VALUES][0], "category_id": category_id}
            )
        catalog.ensure_products(products)
        skus = {
            sku_code: {
                "product_id": catalog.products[line[PRODUCT_CODE]],
                "properties": line[LINE_VALUES][1],
                "list_price_fen": line[LINE_VALUES][3],
            }
            for line in lines
            if (sku_code := line[SKU_CODE])
        }
        catalog.ensure_skus(skus)
        return [
            (
                catalog.products[line[PRODUCT_CODE]],
                catalog.skus.get(sku_code) if (sku_code := line[SKU_CODE]) else None,
                catalog.categories.get(category) if (category := line[CATEGORY]) else None,
            )
            for line in lines
        ]

    def _sum_line_grain_orders(self, order_ids: set[int]) -> None:
        """Line-grain orders: amounts are the sums of their lines; refunds set the status."""
        if not order_ids:
            return
        ids = sorted(order_ids)
        for statement in (SUM_LINES, PARTIAL_REFUNDS, FULL_REFUNDS):
            self.bulk.execute_in(statement, (self.now,), ids, array_type="bigint")


def _updated_order(found: StoredOrder, change: dict[int, Any], now: Any) -> tuple[Any, ...]:
    """The UPDATE parameters: every column (stored, or changed), then id."""
    values = [change.get(index, value) for index, value in enumerate(found.values)]
    return (*values, change.get(-1, found.customer_id), now, found.id)


def _combine(order: Outcome, line: Outcome | None) -> Outcome:
    outcomes = {order, line or Outcome.UNCHANGED}
    for outcome in (Outcome.INSERTED, Outcome.UPDATED):
        if outcome in outcomes:
            return outcome
    return Outcome.UNCHANGED
