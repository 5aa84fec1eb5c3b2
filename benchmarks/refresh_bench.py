"""Time `siyu refresh` (full, then incremental) against pandas and DuckDB on the same store.

The store is built directly with bulk inserts (not through the importers): --customers customers
(one in ten never buys: behaviour or a WeCom contact only), --orders orders over the three years
to AS_OF on six shops (statuses paid/shipped/completed, unpaid, closed, fully and partly
refunded; a skewed number of orders per customer; 1% without a buyer), 1–3 lines per order in
twelve categories, behaviour events and WeCom contacts (some removed by the customer).
Then --new-orders orders on the next day (30% from new customers) for the incremental refresh.

Phases, each in its own interpreter so that its peak RSS is its own (ru_maxrss of the child;
the database server's memory is not counted):
  build        generate and bulk-insert the store (sqlite3 executemany / PostgreSQL COPY)
  full         `siyu.analytics.refresh.refresh(full=True)` with the CLV step left out, timed in
               its parts: profiles recomputed from the facts, then scoring (stage, RFM)
  clv full     the CLV step of that refresh (another capability: refit + score), alone
  pandas       a plain pandas implementation reading the same store with pd.read_sql; it
               computes orders, net revenue, AOV, first/last order, repeat intervals, per-shop
               breakdown, RFM and stage — and the run asserts it agrees with siyu's profiles
               on a sample of customers
  duckdb       the same aggregates in DuckDB over the orders loaded in memory from numpy
               (only the aggregation is timed; loading is not)
  add          insert the new orders and mark their customers changed (as an import does)
  incremental  `refresh()` after them, CLV left out; then `clv incremental` alone

    .venv/bin/python benchmarks/refresh_bench.py [--customers N] [--orders N]
        [--new-orders N] [--backend sqlite|postgres|both]

Needs the `bench` extra (pandas, duckdb).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
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


class Loader:
    """Bulk inserts: sqlite3 executemany with foreign keys off, or PostgreSQL COPY with
    replication role `replica` (no foreign-key triggers), straight on the DB-API connection."""

    def __init__(self, url: str) -> None:
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
        if self.postgres:
            for table in ("customers", "orders", "order_lines", "behaviour_events",
                          "wecom_contacts", "staff_accounts", "shops", "categories"):  # fmt: skip
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        self.raw.commit()
        if self.postgres:
            self.raw.cursor().execute("ANALYZE")
        else:
            self.raw.cursor().execute("ANALYZE")
        self.raw.commit()
        self.raw.close()
        self.engine.dispose()


def phase_build(url: str, customers: str, orders: str, seed: str) -> dict[str, Any]:
    start = time.perf_counter()
    loader = Loader(url)
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


# --- siyu ------------------------------------------------------------------------------------


@contextmanager
def timed_parts(parts: dict[str, float]) -> Iterator[None]:
    """Time refresh's steps by wrapping them; the CLV step is left out (timed on its own)."""
    from siyu.analytics import refresh as module
    from siyu.analytics.clv_scoring import ClvScoreResult

    def timer(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - start

        return wrapped

    names = ("_recompute_all", "_recompute", "score_all", "refresh_clv")
    saved = {name: getattr(module, name) for name in names if hasattr(module, name)}
    parts_of = {"_recompute_all": "everyone", "_recompute": "touched", "score_all": "scoring"}
    for name, part in parts_of.items():
        if name in saved:
            setattr(module, name, timer(part, saved[name]))
    module.refresh_clv = lambda *_, **__: ClvScoreResult("none", None, False, 0, 0, "skipped")  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(module, name, function)


def phase_refresh(url: str, as_of: str, full: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from siyu.analytics.refresh import refresh
    from siyu.db.engine import make_engine

    engine = make_engine(url)
    parts: dict[str, float] = {}
    start = time.perf_counter()
    with timed_parts(parts):
        result = refresh(
            engine, as_of=date.fromisoformat(as_of), zone=ZoneInfo(ZONE_NAME), full=full == "1"
        )
    seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": result.recomputed, "scored": result.scored,
            "changed": result.changed,
            **{f"{k}_s": round(v, 2) for k, v in parts.items()}}  # fmt: skip


def phase_clv(url: str, as_of: str, refit: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from siyu.analytics.clv_scoring import refresh_clv
    from siyu.db.engine import make_engine, transaction

    engine = make_engine(url)
    start = time.perf_counter()
    with transaction(engine) as session:
        result = refresh_clv(
            session, as_of=date.fromisoformat(as_of), zone=ZoneInfo(ZONE_NAME), refit=refit == "1"
        )
    seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": result.scored, "model": result.model,
            "changed": result.changed}  # fmt: skip


# --- pandas: the plain implementation --------------------------------------------------------


def pandas_profiles(url: str, as_of: date) -> tuple[Any, Any]:
    """Profile + RFM + stage of every live customer, written plainly with pandas."""
    import pandas as pd

    from siyu.analytics.rfm import GRID
    from siyu.db.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        orders = pd.read_sql(
            "SELECT customer_id, shop_id, status, ordered_at, paid_fen, refunded_fen"
            " FROM orders WHERE customer_id IS NOT NULL", connection
        )  # fmt: skip
        contacts = pd.read_sql(
            "SELECT customer_id, removed_at, removed_by FROM wecom_contacts"
            " WHERE customer_id IS NOT NULL", connection
        )  # fmt: skip
        shops = pd.read_sql("SELECT id, name FROM shops", connection)
        customers = pd.read_sql("SELECT id FROM customers WHERE merged_into_id IS NULL", connection)
    engine.dispose()
    epoch = pd.Timestamp("1970-01-01")
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"], utc=True, format="ISO8601")
    local = orders["ordered_at"].dt.tz_convert(ZONE_NAME).dt.tz_localize(None)
    orders["day"] = (local.dt.floor("D") - epoch).dt.days
    orders["net"] = orders["paid_fen"] - orders["refunded_fen"]
    orders["revenue"] = orders["status"].isin(REVENUE)
    orders["purchase"] = orders["status"].isin(PURCHASE) & (orders["net"] > 0)

    profile = pd.DataFrame(index=pd.Index(customers["id"], name="customer_id"))
    revenue = orders[orders["revenue"]]
    paid = orders[orders["purchase"]]
    profile["net_revenue_fen"] = revenue.groupby("customer_id")["net"].sum()
    by_customer = paid.groupby("customer_id")
    profile["orders"] = by_customer.size()
    profile["first_order_at"] = by_customer["ordered_at"].min()
    profile["last_order_at"] = by_customer["ordered_at"].max()
    profile[["net_revenue_fen", "orders"]] = (
        profile[["net_revenue_fen", "orders"]].fillna(0).astype("int64")
    )
    profile["aov_fen"] = np.where(
        profile["orders"] > 0, profile["net_revenue_fen"] // profile["orders"].clip(lower=1), 0
    )

    days = paid[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    days["gap"] = days.groupby("customer_id")["day"].diff()
    intervals = days.groupby("customer_id").agg(
        purchase_days=("day", "size"), first_day=("day", "min"), last_day=("day", "max"),
        median_repeat_days=("gap", "median"),
    )  # fmt: skip
    profile = profile.join(intervals)
    profile["purchase_days"] = profile["purchase_days"].fillna(0).astype("int64")
    repeat = profile["purchase_days"] >= 2
    profile["mean_repeat_days"] = (
        ((profile["last_day"] - profile["first_day"]) / (profile["purchase_days"] - 1))
        .where(repeat)
        .round(4)
    )
    profile["median_repeat_days"] = profile["median_repeat_days"].round(4)

    names = dict(zip(shops["id"], shops["name"], strict=True))
    shop_rows = (
        revenue.groupby(["customer_id", "shop_id"])
        .agg(orders=("purchase", "sum"), net=("net", "sum"))
        .reset_index()
    )
    shop_rows["shop"] = shop_rows["shop_id"].map(names)

    # Stage: order stage by purchases, dormant/churned by the expected interval, WeCom deletion.
    buyer = profile["purchase_days"] > 0
    own = profile["mean_repeat_days"].where(profile["purchase_days"] >= 3)
    shop_interval = own.median() if own.notna().any() else 90.0
    interval = own.fillna(shop_interval)
    dormant_on = np.ceil(profile["last_day"] + 2 * interval)
    churned_on = np.ceil(profile["last_day"] + 4 * interval)
    contacts["live"] = contacts["removed_at"].isna()
    contacts["by_customer"] = contacts["removed_by"] == "customer"
    removed = pd.to_datetime(contacts["removed_at"], utc=True, format="ISO8601")
    contacts["removed_day"] = (
        removed.dt.tz_convert(ZONE_NAME).dt.tz_localize(None).dt.floor("D") - epoch
    ).dt.days
    edges = contacts.groupby("customer_id").agg(
        live=("live", "max"), by_customer=("by_customer", "max"), removed_day=("removed_day", "max")
    )
    profile = profile.join(edges)
    deleted = profile["by_customer"].fillna(False).astype(bool) & ~profile["live"].fillna(
        False
    ).astype(bool)
    churned_on = churned_on.where(
        ~(deleted & (profile["removed_day"] < churned_on)), profile["removed_day"]
    )
    as_of_day = (as_of - date(1970, 1, 1)).days
    stage = pd.Series(
        np.select(
            [
                profile["purchase_days"] >= 4,
                profile["purchase_days"] == 3,
                profile["purchase_days"] == 2,
                buyer,
            ],
            ["loyal", "third_order", "second_order", "first_order"],
            "prospect",
        ),
        index=profile.index,
    )
    stage = stage.where(~(buyer & (as_of_day >= dormant_on)), "dormant")
    stage = stage.where(~((buyer & (as_of_day >= churned_on)) | (deleted & ~buyer)), "churned")
    profile["stage"] = stage

    # RFM among buyers: percentile rank (ties share the lowest), quintiles 1–5.
    buyers = profile[buyer]
    size = len(buyers)

    def quintile(values: Any) -> Any:
        return np.clip(np.ceil(values.rank(method="min") / size * 5), 1, 5).astype("int64")

    profile.loc[buyer, "rfm_r"] = quintile(-(as_of_day - buyers["last_day"]))
    profile.loc[buyer, "rfm_f"] = quintile(buyers["purchase_days"])
    profile.loc[buyer, "rfm_m"] = quintile(buyers["net_revenue_fen"].astype("float64"))
    fm = np.floor((profile["rfm_f"] + profile["rfm_m"]) / 2 + 0.5)
    profile["rfm_segment"] = [
        GRID[(int(r), int(f))] if r == r else None
        for r, f in zip(profile["rfm_r"], fm, strict=True)
    ]
    return profile, shop_rows


def phase_pandas(url: str, as_of: str, sample: str) -> dict[str, Any]:
    start = time.perf_counter()
    profile, shop_rows = pandas_profiles(url, date.fromisoformat(as_of))
    seconds = time.perf_counter() - start
    checked = check_against_siyu(url, profile, shop_rows, int(sample))
    return {"seconds": seconds, "rows": len(profile), "checked": checked}


def check_against_siyu(url: str, profile: Any, shop_rows: Any, sample: int) -> int:
    """Assert siyu's stored profiles equal the pandas ones on a random sample of customers."""
    from sqlalchemy import select

    from siyu.analytics.tables import CustomerProfile as P
    from siyu.db.engine import make_engine, transaction

    rng = np.random.default_rng(5)
    ids = sorted(
        rng.choice(profile.index.to_numpy(), min(sample, len(profile)), replace=False).tolist()
    )
    engine = make_engine(url)
    with transaction(engine) as session:
        stored = {
            p.customer_id: p for p in session.scalars(select(P).where(P.customer_id.in_(ids)))
        }
    engine.dispose()
    shops = shop_rows[shop_rows["customer_id"].isin(ids)]
    breakdown: dict[int, dict[str, Any]] = {}
    for row in shops.itertuples():
        breakdown.setdefault(row.customer_id, {})[row.shop] = {
            "orders": int(row.orders),
            "net_revenue_fen": int(row.net),
        }
    for customer in ids:
        mine, theirs = stored[customer], profile.loc[customer]
        expected = {
            "orders": int(theirs["orders"]), "net_revenue_fen": int(theirs["net_revenue_fen"]),
            "aov_fen": int(theirs["aov_fen"]), "purchase_days": int(theirs["purchase_days"]),
            "first_order_at": _moment(theirs["first_order_at"]),
            "last_order_at": _moment(theirs["last_order_at"]),
            "mean_repeat_days": _float(theirs["mean_repeat_days"]),
            "median_repeat_days": _float(theirs["median_repeat_days"]),
            "by_shop": breakdown.get(customer, {}), "stage": theirs["stage"],
            "rfm_r": _int(theirs["rfm_r"]), "rfm_f": _int(theirs["rfm_f"]),
            "rfm_m": _int(theirs["rfm_m"]),
            "rfm_segment": theirs["rfm_segment"] if theirs["rfm_r"] == theirs["rfm_r"] else None,
        }  # fmt: skip
        actual = {key: getattr(mine, key) for key in expected}
        assert actual == expected, f"customer {customer}: siyu {actual} != pandas {expected}"
    return len(ids)


def _moment(value: Any) -> datetime | None:
    return None if value != value or value is None else value.to_pydatetime().astimezone(UTC)


def _float(value: Any) -> float | None:
    return None if value != value else float(value)


def _int(value: Any) -> int | None:
    return None if value != value else int(value)


# --- DuckDB ----------------------------------------------------------------------------------


DUCKDB_PROFILE = """
WITH o AS (
    SELECT customer, shop, seconds, paid - refunded AS net,
           status IN ({revenue}) AS revenue,
           status IN ({purchase}) AND paid > refunded AS purchase,
           (seconds + {offset}) // 86400 AS day
    FROM orders),
totals AS (
    SELECT customer,
           coalesce(sum(net) FILTER (revenue), 0) AS net_revenue_fen,
           count(*) FILTER (purchase) AS orders,
           min(seconds) FILTER (purchase) AS first_order,
           max(seconds) FILTER (purchase) AS last_order
    FROM o GROUP BY customer),
days AS (SELECT DISTINCT customer, day FROM o WHERE purchase),
gaps AS (
    SELECT customer, day, day - lag(day) OVER (PARTITION BY customer ORDER BY day) AS gap
    FROM days),
intervals AS (
    SELECT customer, count(*) AS purchase_days, max(day) AS last_day,
           round((max(day) - min(day)) / nullif(count(*) - 1, 0), 4) AS mean_repeat_days,
           median(gap) AS median_repeat_days
    FROM gaps GROUP BY customer),
edges AS (
    SELECT customer, bool_or(removed < 0) AS live, bool_or(by_customer) AS by_customer,
           max(CASE WHEN removed >= 0 THEN (removed + {offset}) // 86400 END) AS removed_day
    FROM contacts GROUP BY customer),
p AS (
    SELECT c.customer, coalesce(t.orders, 0) AS orders,
           coalesce(t.net_revenue_fen, 0) AS net_revenue_fen,
           CASE WHEN t.orders > 0 THEN t.net_revenue_fen // t.orders ELSE 0 END AS aov_fen,
           t.first_order, t.last_order, coalesce(i.purchase_days, 0) AS purchase_days, i.last_day,
           i.mean_repeat_days, i.median_repeat_days,
           coalesce(e.by_customer AND NOT e.live, false) AS deleted, e.removed_day
    FROM customers c LEFT JOIN totals t USING (customer) LEFT JOIN intervals i USING (customer)
    LEFT JOIN edges e USING (customer)),
shop AS (
    SELECT coalesce(median(mean_repeat_days) FILTER (purchase_days >= 3), 90.0) AS interval
    FROM p),
scored AS (
    SELECT p.*, ceil(last_day + 2 * own.interval) AS dormant_on,
           ceil(last_day + 4 * own.interval) AS churn_on
    FROM p, shop, LATERAL (
        SELECT coalesce(CASE WHEN purchase_days >= 3 THEN mean_repeat_days END, shop.interval)
               AS interval) AS own),
rfm AS (
    SELECT customer,
           {r} AS r, {f} AS f, {m} AS m
    FROM p WHERE purchase_days > 0)
SELECT s.*, rfm.r, rfm.f, rfm.m, g.segment,
       CASE WHEN (s.purchase_days > 0 AND {as_of} >= CASE WHEN s.deleted
                                                          AND s.removed_day < s.churn_on
                                                     THEN s.removed_day ELSE s.churn_on END)
                 OR (s.deleted AND s.purchase_days = 0) THEN 'churned'
            WHEN s.purchase_days > 0 AND {as_of} >= s.dormant_on THEN 'dormant'
            WHEN s.purchase_days >= 4 THEN 'loyal' WHEN s.purchase_days = 3 THEN 'third_order'
            WHEN s.purchase_days = 2 THEN 'second_order' WHEN s.purchase_days = 1 THEN 'first_order'
            ELSE 'prospect' END AS stage
FROM scored s LEFT JOIN rfm USING (customer)
LEFT JOIN grid g ON g.r = rfm.r AND g.fm = floor((rfm.f + rfm.m) / 2 + 0.5)
"""
DUCKDB_SHOPS = """
SELECT customer, shop, count(*) FILTER (status IN ({purchase}) AND paid > refunded) AS orders,
       sum(paid - refunded) AS net_revenue_fen
FROM orders WHERE status IN ({revenue}) GROUP BY customer, shop
"""


def phase_duckdb(url: str, as_of: str) -> dict[str, Any]:
    import duckdb
    import pyarrow as pa

    from siyu.analytics.rfm import GRID

    orders, contacts, customers = _arrays(url)
    offset = _fixed_offset(orders["seconds"])
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    connection.register("orders", pa.table(orders))
    connection.register("contacts", pa.table(contacts))
    connection.register("customers", pa.table({"customer": customers}))
    connection.register("grid", pa.table({
        "r": [r for r, _ in GRID], "fm": [fm for _, fm in GRID],
        "segment": list(GRID.values())}))  # fmt: skip
    codes = {name: n for n, name in enumerate(STATUSES)}
    words = {"revenue": ", ".join(str(codes[s]) for s in REVENUE),
             "purchase": ", ".join(str(codes[s]) for s in PURCHASE)}  # fmt: skip
    day = (date.fromisoformat(as_of) - date(1970, 1, 1)).days
    ranks = {
        name: f"greatest(1, least(5, ceil(rank() OVER (ORDER BY {key}) / count(*) OVER () * 5)))"
        for name, key in (("r", f"{day} - last_day DESC"), ("f", "purchase_days"),
                          ("m", "net_revenue_fen"))
    }  # fmt: skip
    sql = DUCKDB_PROFILE.format(**words, **ranks, offset=offset, as_of=day)
    start = time.perf_counter()
    profile = connection.sql(sql).to_arrow_table()
    shops = connection.sql(DUCKDB_SHOPS.format(**words)).to_arrow_table()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": profile.num_rows, "shop_rows": shops.num_rows}


def _arrays(url: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """The orders and contacts as numpy columns (status as its index in STATUSES)."""
    from sqlalchemy import text

    from siyu.db.engine import make_engine
    from siyu.db.sql import epoch_seconds

    engine = make_engine(url)
    dialect = engine.dialect

    def seconds(column: str) -> str:
        return str(epoch_seconds(text(column)).compile(dialect=dialect))

    status = (
        "CASE status " + " ".join(f"WHEN '{s}' THEN {n}" for n, s in enumerate(STATUSES)) + " END"
    )
    with engine.connect() as connection:
        orders = _fetch(
            connection,
            f"SELECT customer_id, shop_id, {seconds('ordered_at')}, {status}, paid_fen,"
            " refunded_fen FROM orders WHERE customer_id IS NOT NULL",
        )
        contacts = _fetch(
            connection,
            f"SELECT customer_id, coalesce({seconds('removed_at')}, -1),"
            " CASE WHEN removed_by = 'customer' THEN 1 ELSE 0 END"
            " FROM wecom_contacts WHERE customer_id IS NOT NULL",
        )
        customers = _fetch(connection, "SELECT id FROM customers WHERE merged_into_id IS NULL")
    engine.dispose()
    names = ("customer", "shop", "seconds", "status", "paid", "refunded")
    return (
        dict(zip(names, orders.T, strict=True)),
        {"customer": contacts[:, 0], "removed": contacts[:, 1], "by_customer": contacts[:, 2] == 1},
        customers[:, 0],
    )


def _fetch(connection: Any, sql: str) -> np.ndarray:
    result = connection.exec_driver_sql(sql)
    parts = []
    while batch := result.fetchmany(200_000):
        parts.append(np.array(batch, dtype=np.int64))
    return np.concatenate(parts) if parts else np.zeros((0, len(result.keys())), np.int64)


def _fixed_offset(seconds: np.ndarray) -> int:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(ZONE_NAME)
    offsets = {
        datetime.fromtimestamp(int(s), zone).utcoffset() for s in (seconds.min(), seconds.max())
    }
    assert len(offsets) == 1, "the benchmark's zone has one UTC offset over the data"
    return int(next(iter(offsets)).total_seconds())  # type: ignore[union-attr]


# --- running ---------------------------------------------------------------------------------


PHASES: dict[str, Callable[..., dict[str, Any]]] = {
    "build": phase_build,
    "add": phase_add,
    "refresh": phase_refresh,
    "clv": phase_clv,
    "pandas": phase_pandas,
    "duckdb": phase_duckdb,
}


def run_phase(name: str, *arguments: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its result plus its peak RSS (MiB)."""
    command = [sys.executable, __file__, "--phase", name, *arguments]
    print(f"  {name} {' '.join(arguments[1:])} …", file=sys.stderr, flush=True)
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"    {result}", file=sys.stderr, flush=True)
    return result


def phase_main(name: str, arguments: list[str]) -> None:
    result = PHASES[name](*arguments)
    result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(result))


def _migrated(url: str) -> None:
    from siyu.db.engine import make_engine
    from siyu.db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def sqlite_store(workdir: Path, arguments: argparse.Namespace) -> tuple[str, dict[str, Any] | None]:
    """A copy of the built store (built first unless --reuse finds it); the build's result."""
    base = workdir / f"base_{_size_tag(arguments)}.db"
    built = None
    if not (arguments.reuse and base.exists()):
        for leftover in workdir.glob(f"{base.name}*"):
            leftover.unlink()
        _migrated(f"sqlite:///{base}")
        built = run_phase("build", f"sqlite:///{base}", *_size(arguments))
    for leftover in workdir.glob("refresh.db*"):
        leftover.unlink()
    shutil.copyfile(base, workdir / "refresh.db")
    return f"sqlite:///{workdir / 'refresh.db'}", built


@contextmanager
def postgres_store(
    admin_url: str, arguments: argparse.Namespace
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """A throwaway copy (CREATE DATABASE … TEMPLATE) of the built store, dropped afterwards;
    the base is built first unless --reuse finds it, and kept for later runs."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from siyu.db.engine import make_engine

    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    base = f"siyu_refresh_base_{_size_tag(arguments)}"
    name = f"siyu_refresh_bench_{uuid.uuid4().hex[:10]}"
    built = None
    with admin.connect() as connection:
        query = text("SELECT 1 FROM pg_database WHERE datname = :n")
        exists = connection.scalar(query, {"n": base})
    if not (arguments.reuse and exists):
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{base}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{base}"'))
        base_url = make_url(admin_url).set(database=base).render_as_string(False)
        _migrated(base_url)
        built = run_phase("build", base_url, *_size(arguments))
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{base}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(False), built
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _size(arguments: argparse.Namespace) -> tuple[str, str, str]:
    return str(arguments.customers), str(arguments.orders), str(arguments.seed)


def _size_tag(arguments: argparse.Namespace) -> str:
    return "_".join(_size(arguments))


def run_backend(
    url: str, built: dict[str, Any] | None, arguments: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    customers, orders, seed = _size(arguments)
    results = {"build": built} if built else {}
    results["full"] = run_phase("refresh", url, AS_OF.isoformat(), "1")
    if arguments.clv:
        results["clv full"] = run_phase("clv", url, AS_OF.isoformat(), "1")
    results["pandas"] = run_phase("pandas", url, AS_OF.isoformat(), str(arguments.sample))
    results["duckdb"] = run_phase("duckdb", url, AS_OF.isoformat())
    results["add"] = run_phase("add", url, customers, orders, str(arguments.new_orders), seed)
    results["incremental"] = run_phase("refresh", url, NEXT_DAY.isoformat(), "0")
    if arguments.clv:
        results["clv incremental"] = run_phase("clv", url, NEXT_DAY.isoformat(), "0")
    return results


def report(backend: str, results: dict[str, dict[str, Any]]) -> str:
    full, pandas, duck = results["full"], results["pandas"], results["duckdb"]
    lines = [
        f"### {backend}",
        "| phase | rows | seconds | peak RSS MiB | details |",
        "|---|---:|---:|---:|---|",
    ]
    for name, result in results.items():
        details = ", ".join(
            f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"
            for key, value in result.items()
            if key not in ("seconds", "rows", "rss_mib")
        )
        lines.append(f"| {name} | {result['rows']:,} | {result['seconds']:.2f} "
                     f"| {result['rss_mib']:.0f} | {details} |")  # fmt: skip
    lines += [
        "",
        "full refresh (profiles + scoring, CLV apart) vs pandas:"
        f" {full['seconds'] / pandas['seconds']:.2f}x the time "
        f"({pandas['seconds'] / full['seconds']:.1f}x faster)",
        f"full refresh vs DuckDB aggregation alone: {full['seconds'] / duck['seconds']:.1f}x",
        *(
            [
                f"with CLV: full {full['seconds'] + results['clv full']['seconds']:.2f} s,"
                " incremental "
                f"{results['incremental']['seconds'] + results['clv incremental']['seconds']:.2f} s"
            ]
            if "clv full" in results
            else []
        ),
        f"pandas agrees with siyu on {pandas['checked']:,} sampled customers",
    ]
    return "\n".join(lines)


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.machine(),
    )  # fmt: skip
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--new-orders", type=int, default=10_000)
    parser.add_argument(
        "--sample", type=int, default=2_000, help="customers checked against pandas"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-clv", dest="clv", action="store_false", help="skip the CLV phases")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("SIYU_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/siyu-refresh-bench"))
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the store built before for this size and seed"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    arguments, rest = parser.parse_known_args()
    if arguments.phase:
        phase_main(arguments.phase, rest)
        return
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    everything: dict[str, dict[str, dict[str, Any]]] = {}
    if arguments.backend in ("sqlite", "both"):
        url, built = sqlite_store(arguments.workdir, arguments)
        everything["sqlite"] = run_backend(url, built, arguments)
    if arguments.backend in ("postgres", "both"):
        with postgres_store(arguments.postgres_url, arguments) as (url, built):
            everything["postgres"] = run_backend(url, built, arguments)
    print(f"\n{datetime.now():%Y-%m-%d}, {machine()}; {arguments.customers:,} customers, "
          f"{arguments.orders:,} orders, then {arguments.new_orders:,} new orders\n")  # fmt: skip
    for backend, results in everything.items():
        print(report(backend, results) + "\n")
    if arguments.json:
        arguments.json.write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
