"""The refresh benchmark's baselines over the same store: a plain pandas implementation (and
its agreement with siyu on a sample of customers) and DuckDB aggregating in memory."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from refresh_data import PURCHASE, REVENUE, STATUSES, ZONE_NAME

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

    loading = time.perf_counter()
    orders, contacts, customers = _arrays(url)
    load_seconds = time.perf_counter() - loading
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
    return {"seconds": seconds, "rows": profile.num_rows, "shop_rows": shops.num_rows,
            "load_s": round(load_seconds, 2)}  # fmt: skip


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
