"""The refresh benchmark's store: generated customers, orders and their lines, behaviour events
and WeCom contacts, bulk-loaded (phases `build` and `add` of refresh_bench.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

AS_OF = date(2026, 6, 30)
NEXT_DAY = AS_OF + timedelta(days=1)
ZONE_NAME = "Asia/Shanghai"
END = int(datetime(2026, 6, 30, 16, tzinfo=UTC).timestamp())  # end of AS_OF in Shanghai
SPAN = 3 * 365 * 86_400
SHOPS = [
    (1, "tmall", "思域天猫旗舰店", "tmall"),
    (2, "jd", "思域京东自营店", "jd"),
    (3, "pdd", "思域拼多多店", "pdd"),
    (4, "douyin", "思域抖音小店", "douyin"),
    (5, "mini", "思域小程序商城", "mini_program"),
    (6, "store", "思域线下门店", "offline"),
]
SHOP_WEIGHTS = np.array([0.35, 0.2, 0.15, 0.12, 0.12, 0.06])
CATEGORIES = [
    "护肤",
    "彩妆",
    "洗护",
    "香水",
    "面膜",
    "防晒",
    "男士",
    "母婴",
    "食品",
    "茶饮",
    "家居",
    "厨具",
]
PRICES = np.array([25900, 18900, 6900, 45900, 9900, 15800, 12900, 8900, 5900, 12800, 29900, 23900])
STATUSES = ["pending_payment", "closed", "refunded", "partially_refunded", "paid", "shipped"]
STATUSES += ["completed"]
STATUS_WEIGHTS = np.array([0.02, 0.03, 0.05, 0.03, 0.05, 0.07, 0.75])
PURCHASE = ("paid", "shipped", "completed", "partially_refunded")
REVENUE = (*PURCHASE, "refunded")
EVENTS = ["view", "cart", "favourite", "follow", "share"]
STAFF = 40
CHUNK = 500_000
STAMP = "2026-07-01 00:00:00.000000"


# --- the data --------------------------------------------------------------------------------


def customer_traits(customers: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's order weight (0 for one in ten: never buys) and first-seen second."""
    rng = np.random.default_rng(seed)
    weight = rng.gamma(0.6, 1.0, customers)
    weight[rng.random(customers) < 0.1] = 0.0
    born = END - SPAN + (rng.random(customers) ** 0.8 * SPAN).astype(np.int64)
    return weight / weight.sum(), born


def order_chunks(customers: int, orders: int, seed: int) -> Iterator[dict[str, np.ndarray]]:
    """Orders (and their lines) in chunks; ids 1..orders, customers 1..customers."""
    probability, born = customer_traits(customers, seed)
    rng = np.random.default_rng(seed + 1)
    cumulative = np.cumsum(probability)
    next_line = 1
    for start in range(0, orders, CHUNK):
        size = min(CHUNK, orders - start)
        customer = np.minimum(
            np.searchsorted(cumulative, rng.random(size) * cumulative[-1]), customers - 1
        )
        first = born[customer]
        seconds = first + (rng.random(size) * (END - first)).astype(np.int64)
        chunk = _orders(rng, np.arange(start + 1, start + size + 1), customer + 1, seconds)
        chunk["customer"][rng.random(size) < 0.01] = 0  # no buyer key (unattributed)
        chunk |= _lines(rng, chunk, next_line)
        next_line += chunk["line_id"].size
        yield chunk


def _orders(
    rng: np.random.Generator, ids: np.ndarray, customer: np.ndarray, seconds: np.ndarray
) -> dict[str, np.ndarray]:
    size = ids.size
    status = rng.choice(len(STATUSES), size, p=STATUS_WEIGHTS)
    return {
        "id": ids,
        "customer": customer,
        "seconds": seconds,
        "shop": rng.choice(len(SHOPS), size, p=SHOP_WEIGHTS) + 1,
        "status": status,
        "lines": rng.choice(3, size, p=[0.8, 0.15, 0.05]) + 1,
    }


def _lines(
    rng: np.random.Generator, orders: dict[str, np.ndarray], first_id: int
) -> dict[str, np.ndarray]:
    count = orders["lines"]
    order_index = np.repeat(np.arange(count.size), count)
    size = order_index.size
    starts = np.cumsum(count) - count
    category = rng.integers(0, len(CATEGORIES), size)
    quantity = np.where(rng.random(size) < 0.85, 1, rng.integers(2, 4, size))
    paid = PRICES[category] * quantity
    status = np.array(STATUSES)[orders["status"]][order_index]
    paid = np.where(np.isin(status, ("pending_payment", "closed")), 0, paid)
    refunded = np.where(
        status == "refunded", paid, np.where(status == "partially_refunded", paid // 3, 0)
    )
    order_paid = np.bincount(order_index, weights=paid, minlength=count.size).astype(np.int64)
    order_refunded = np.bincount(order_index, weights=refunded, minlength=count.size).astype(
        np.int64
    )
    return {
        "paid": order_paid,
        "refunded": order_refunded,
        "line_id": np.arange(first_id, first_id + size),
        "line_order": orders["id"][order_index],
        "line_key": np.arange(size) - starts[order_index] + 1,
        "line_category": category + 1,
        "line_quantity": quantity,
        "line_price": PRICES[category],
        "line_paid": paid,
        "line_refunded": refunded,
    }


def stamps(seconds: np.ndarray) -> list[str]:
    """UTC text as SQLAlchemy stores it on SQLite (and PostgreSQL reads it as UTC)."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [value.replace("T", " ") + ".000000" for value in text.tolist()]


def order_rows(chunk: dict[str, np.ndarray]) -> Iterator[tuple[Any, ...]]:
    status = [STATUSES[code] for code in chunk["status"].tolist()]
    ordered = stamps(chunk["seconds"])
    customers = [value or None for value in chunk["customer"].tolist()]
    paid = chunk["paid"].tolist()
    for order_id, shop, customer, state, moment, paid_fen, refunded_fen in zip(
        chunk["id"].tolist(), chunk["shop"].tolist(), customers, status, ordered, paid,
        chunk["refunded"].tolist(), strict=True,
    ):  # fmt: skip
        paid_at = None if state in ("pending_payment", "closed") else moment
        yield (order_id, shop, f"P{order_id:011d}", customer, state, "", moment, paid_at,
               paid_fen, paid_fen, refunded_fen, 0, "order", STAMP, STAMP)  # fmt: skip


ORDER_COLUMNS = (
    "id, shop_id, platform_order_id, customer_id, status, raw_status, ordered_at, paid_at,"
    " total_fen, paid_fen, refunded_fen, shipping_fen, amount_grain, created_at, updated_at"
)
LINE_COLUMNS = (
    "id, order_id, line_key, category_id, title, quantity, unit_price_fen, paid_fen, refunded_fen"
)


def line_rows(chunk: dict[str, np.ndarray]) -> Iterator[tuple[Any, ...]]:
    titles = [f"{name} 正装" for name in CATEGORIES]
    for row in zip(
        chunk["line_id"].tolist(), chunk["line_order"].tolist(), chunk["line_key"].tolist(),
        chunk["line_category"].tolist(), chunk["line_quantity"].tolist(),
        chunk["line_price"].tolist(), chunk["line_paid"].tolist(), chunk["line_refunded"].tolist(),
        strict=True,
    ):  # fmt: skip
        line_id, order_id, key, category, quantity, price, paid, refunded = row
        yield (line_id, order_id, str(key), category, titles[category - 1], quantity, price,
               paid, refunded)  # fmt: skip


def side_rows(customers: int, seed: int) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """Customers, shops, categories, staff, behaviour events and WeCom contacts."""
    rng = np.random.default_rng(seed + 2)
    _, born = customer_traits(customers, seed)
    created = stamps(born)
    rows: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
        "shops": ("id, code, name, platform, created_at", [(*shop, STAMP) for shop in SHOPS]),
        "categories": ("id, name", [(n + 1, name) for n, name in enumerate(CATEGORIES)]),
        "staff_accounts": (
            "id, userid, name, is_active, created_at",
            [(n, f"staff{n:03d}", f"导购{n}", True, STAMP) for n in range(1, STAFF + 1)],
        ),
        "customers": (
            "id, display_name, created_at, updated_at",
            [(n + 1, f"顾客{n + 1}", created[n], STAMP) for n in range(customers)],
        ),
    }
    rows["behaviour_events"] = (
        "id, customer_id, event_type, occurred_at, event_key",
        _events(rng, born),
    )
    rows["wecom_contacts"] = (
        "id, staff_id, external_userid, customer_id, added_at, removed_at, removed_by",
        _contacts(rng, born),
    )
    return rows


def _events(rng: np.random.Generator, born: np.ndarray) -> list[tuple[Any, ...]]:
    size = born.size // 2
    customer = rng.integers(0, born.size, size)
    moment = stamps(born[customer] + (rng.random(size) * (END - born[customer])).astype(np.int64))
    kind = rng.choice(len(EVENTS), size, p=[0.6, 0.15, 0.1, 0.1, 0.05]).tolist()
    return [
        (n + 1, int(customer[n]) + 1, EVENTS[kind[n]], moment[n], f"e{n + 1:012d}")
        for n in range(size)
    ]


def _contacts(rng: np.random.Generator, born: np.ndarray) -> list[tuple[Any, ...]]:
    customer = np.flatnonzero(rng.random(born.size) < 0.3)
    added = born[customer] + (rng.random(customer.size) * (END - born[customer]) * 0.5).astype(
        np.int64
    )
    removed = added + (rng.random(customer.size) * (END - added)).astype(np.int64)
    roll = rng.random(customer.size)
    added_text, removed_text = stamps(added), stamps(removed)
    staff = rng.integers(1, STAFF + 1, customer.size).tolist()
    rows = []
    for n, position in enumerate(customer.tolist()):
        by = "customer" if roll[n] < 0.08 else "staff" if roll[n] < 0.1 else None
        rows.append((n + 1, staff[n], f"wm{position + 1:012d}", position + 1, added_text[n],
                     removed_text[n] if by else None, by))  # fmt: skip
    return rows


def new_orders(customers: int, orders: int, count: int, seed: int) -> dict[str, Any]:
    """The next day's orders: 70% from existing customers, 30% from new ones."""
    rng = np.random.default_rng(seed + 3)
    probability, _ = customer_traits(customers, seed)
    existing = rng.choice(customers, count, p=probability) + 1
    fresh = rng.random(count) < 0.3
    new_ids = customers + 1 + np.arange(int(fresh.sum()))
    customer = existing.copy()
    customer[fresh] = new_ids
    seconds = END + rng.integers(0, 86_400, count)
    chunk = _orders(rng, orders + 1 + np.arange(count), customer, seconds)
    first_line = 10**12  # far above the build's line ids
    chunk |= _lines(rng, chunk, first_line)
    return {"orders": chunk, "new_customers": new_ids}


# --- loading ---------------------------------------------------------------------------------


LOADED_TABLES = ("customers", "orders", "order_lines", "behaviour_events", "wecom_contacts",
                 "customer_group_members", "customer_identities")  # fmt: skip


class Loader:
    """Bulk inserts: sqlite3 executemany with foreign keys off, or PostgreSQL COPY with
    replication role `replica` (no foreign-key triggers), straight on the DB-API connection.

    `rebuild_indexes`: the secondary indexes of the big tables are dropped first and built
    again by `finish` (one sort each instead of an insert at a random place per row: the
    1M/10M SQLite store took 48 min with them kept). Primary keys and constraints stay."""

    def __init__(self, url: str, *, rebuild_indexes: bool = False) -> None:
        from siyu.db.engine import make_engine

        self.engine = make_engine(url)
        self.raw = self.engine.raw_connection()
        self.postgres = self.engine.dialect.name == "postgresql"
        cursor = self.raw.cursor()
        if self.postgres:
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
        self.indexes: list[tuple[str, str]] = []
        if rebuild_indexes:
            self.indexes = self._secondary_indexes()
            for name, _ in self.indexes:
                cursor.execute(f"DROP INDEX {name}")

    def _secondary_indexes(self) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the loaded tables' indexes that back no constraint."""
        cursor = self.raw.cursor()
        tables = ", ".join(f"'{table}'" for table in LOADED_TABLES)
        if self.postgres:
            cursor.execute(
                f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({tables}) "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({tables})"
            )
        return sorted(cursor.fetchall())

    def insert(self, table: str, columns: str, rows: Iterator[tuple[Any, ...]] | list[Any]) -> None:
        cursor = self.raw.cursor()
        if self.postgres:
            with cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns.split(",")))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def finish(self) -> None:
        cursor = self.raw.cursor()
        for _, create in self.indexes:
            cursor.execute(create)
        if self.postgres:
            for table in ("customers", "orders", "order_lines", "behaviour_events",
                          "wecom_contacts", "staff_accounts", "shops", "categories"):  # fmt: skip
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        self.raw.commit()
        if self.postgres:  # as autovacuum leaves a store that grew by imports over time: the
            # visibility map set, so that index-only scans skip the heap
            self.raw.driver_connection.autocommit = True  # the driver's, not the pool proxy's
            self.raw.cursor().execute("VACUUM (ANALYZE)")
        else:
            self.raw.cursor().execute("ANALYZE")
            self.raw.commit()
        self.raw.close()
        self.engine.dispose()


def phase_build(url: str, customers: str, orders: str, seed: str) -> dict[str, Any]:
    start = time.perf_counter()
    loader = Loader(url, rebuild_indexes=True)
    for table, (columns, rows) in side_rows(int(customers), int(seed)).items():
        loader.insert(table, columns, rows)
    lines = 0
    for chunk in order_chunks(int(customers), int(orders), int(seed)):
        loader.insert("orders", ORDER_COLUMNS, order_rows(chunk))
        loader.insert("order_lines", LINE_COLUMNS, line_rows(chunk))
        lines += chunk["line_id"].size
    loader.finish()
    return {"seconds": time.perf_counter() - start, "rows": int(orders), "lines": lines}


def phase_add(url: str, customers: str, orders: str, count: str, seed: str) -> dict[str, Any]:
    data = new_orders(int(customers), int(orders), int(count), int(seed))
    chunk = data["orders"]
    start = time.perf_counter()
    loader = Loader(url)
    loader.insert("customers", "id, display_name, created_at, updated_at",
                  [(int(n), f"顾客{n}", STAMP, STAMP) for n in data["new_customers"]])  # fmt: skip
    loader.insert("orders", ORDER_COLUMNS, order_rows(chunk))
    loader.insert("order_lines", LINE_COLUMNS, line_rows(chunk))
    touched = sorted({int(c) for c in chunk["customer"] if c})
    loader.insert("customer_changes", "customer_id", [(c,) for c in touched])
    loader.raw.commit()
    loader.raw.close()
    loader.engine.dispose()
    return {"seconds": time.perf_counter() - start, "rows": int(count), "customers": len(touched)}
