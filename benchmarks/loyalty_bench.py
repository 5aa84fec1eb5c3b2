"""Time points-balance lookups and tier recomputation on PostgreSQL at scale.

Builds a throwaway database: --members customers, --orders orders over the last two years, and
a points ledger of --entries entries (earnings and redemptions), with set-based bulk INSERT …
SELECT over generate_series (foreign-key triggers off while loading, the ledger's indexes built
after). Then, in the same run:

  balance    `siyu.loyalty.points.ledger_sum` for --lookups random members (the indexed SUM),
             against the same SUM with index scans disabled (a full-table scan: the baseline)
  tiers      `recompute_tiers` for every member: the first run (everyone joins) and a second
             one (steady state), against a naive per-customer Python loop timed on
             --naive-sample members and extrapolated to all of them (the baseline)
  expiry     `expire_points` for everyone (one aggregate over the whole ledger), for reference

    .venv/bin/python benchmarks/loyalty_bench.py [--members N] [--entries N] [--orders N]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from siyu.commerce.tables import REVENUE_STATUSES, Order  # noqa: E402
from siyu.db.engine import make_engine, session_factory, transaction  # noqa: E402
from siyu.db.migrate import upgrade  # noqa: E402
from siyu.loyalty.calendar import add_months  # noqa: E402
from siyu.loyalty.expiry import expire_points  # noqa: E402
from siyu.loyalty.points import ledger_sum  # noqa: E402
from siyu.loyalty.tables import MemberTier, TierLevel  # noqa: E402
from siyu.loyalty.tier_recompute import recompute_tiers  # noqa: E402
from siyu.loyalty.tiers import list_levels  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
LEDGER_INDEXES = ("ix_points_ledger_customer_id_occurred_at", "uq_points_ledger_entry_key")


def timed(label: str, action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.1f} s", flush=True)
    return seconds, value


def load(engine: Engine, members: int, orders: int, entries: int) -> dict[str, float]:
    """Bulk-load customers, orders and the ledger with INSERT … SELECT generate_series."""
    start = (NOW - timedelta(days=730)).isoformat()
    statements = {
        "customers": f"""
            INSERT INTO customers (id, display_name, created_at, updated_at)
            SELECT g, 'member ' || g, now(), now() FROM generate_series(1, {members}) g""",
        "orders": f"""
            INSERT INTO orders (id, shop_id, platform_order_id, customer_id, status, raw_status,
                ordered_at, paid_at, paid_fen, refunded_fen, shipping_fen, amount_grain,
                created_at, updated_at)
            SELECT g, 1, 'B' || g, 1 + (hashint4(g) & 2147483647) % {members},
                CASE WHEN g % 20 = 0 THEN 'refunded' ELSE 'completed' END, '',
                t, t, p, CASE WHEN g % 20 = 0 THEN p ELSE 0 END, 0, 'order', now(), now()
            FROM (SELECT g, timestamptz '{start}' + (g % 730) * interval '1 day'
                         + (g % 86400) * interval '1 second' AS t,
                         1000 + (hashint4(g + 7) & 2147483647) % 200000 AS p
                  FROM generate_series(1, {orders}) g) s""",
        "points_ledger": f"""
            INSERT INTO points_ledger (customer_id, kind, points, shortfall, occurred_at,
                entry_key, reason, operator, created_at)
            SELECT 1 + (hashint4(g) & 2147483647) % {members},
                CASE WHEN g % 5 = 0 THEN 'redeem' ELSE 'earn' END,
                CASE WHEN g % 5 = 0 THEN -(1 + g % 100) ELSE 1 + g % 500 END, 0,
                timestamptz '{start}' + (g % 730) * interval '1 day', NULL, '', 'bench', now()
            FROM generate_series(1, {entries}) g""",
    }
    seconds: dict[str, float] = {}
    with engine.begin() as connection:
        connection.exec_driver_sql("SET session_replication_role = replica")  # FK triggers off
        connection.exec_driver_sql(
            "INSERT INTO shops (id, code, name, platform, created_at) "
            "VALUES (1, 'bench', 'bench', 'tmall', now())"
        )
        connection.exec_driver_sql(f"DROP INDEX {LEDGER_INDEXES[0]}")
        connection.exec_driver_sql(f"ALTER TABLE points_ledger DROP CONSTRAINT {LEDGER_INDEXES[1]}")
        for table, statement in statements.items():
            seconds[table], _ = timed(
                f"load {table}", lambda s=statement: connection.execute(text(s))
            )
        for table in ("customers", "orders", "points_ledger"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        seconds["ledger indexes"], _ = timed(
            "build ledger indexes",
            lambda: (
                connection.exec_driver_sql(
                    "CREATE INDEX ix_points_ledger_customer_id_occurred_at "
                    "ON points_ledger (customer_id, occurred_at, points)"
                ),
                connection.exec_driver_sql(
                    "ALTER TABLE points_ledger ADD CONSTRAINT uq_points_ledger_entry_key "
                    "UNIQUE (entry_key)"
                ),
            ),
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        seconds["vacuum analyze"], _ = timed(
            "vacuum analyze", lambda: connection.exec_driver_sql("VACUUM ANALYZE")
        )
    return seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


BALANCE_SQL = "SELECT coalesce(sum(points), 0) FROM points_ledger WHERE customer_id = {}"


def bench_balances(url: str, members: int, lookups: int, baseline_lookups: int) -> None:
    """End-to-end latency of the capability function, the server's own execution time for the
    same query, and the baseline: the same SUM with index scans disabled (a full-table scan).
    A separate engine without prepared statements keeps psycopg's cached plans out of it."""
    picker = random.Random(7)
    ids = [picker.randint(1, members) for _ in range(lookups)]
    engine = make_engine(url, connect_args={"prepare_threshold": None})
    with transaction(engine) as session:
        for customer in ids[:200]:  # warm the cache and the connection
            ledger_sum(session, customer)
        latencies = []
        for customer in ids:
            started = time.perf_counter()
            ledger_sum(session, customer)
            latencies.append((time.perf_counter() - started) * 1000)
        server = [_execution_ms(session, customer) for customer in ids]
        plan = session.execute(text("EXPLAIN " + BALANCE_SQL.format(1))).scalars().all()
    with transaction(engine) as session:
        for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
            session.execute(text(f"SET LOCAL {setting} = off"))
        full = [_execution_ms(session, customer) for customer in ids[:baseline_lookups]]
    engine.dispose()
    p99 = percentile(latencies, 0.99)
    print("  plan: " + " / ".join(line.strip() for line in plan[:3]))
    print(
        f"  balance lookup, end to end ({lookups:,} members): p50 "
        f"{statistics.median(latencies):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms, "
        f"p99 {p99:.2f} ms, max {max(latencies):.2f} ms"
    )
    print(
        f"  balance lookup, server execution: p50 {statistics.median(server):.3f} ms, "
        f"p99 {percentile(server, 0.99):.3f} ms"
    )
    baseline = statistics.median(full)
    print(
        f"  baseline, full-table SUM without the index ({baseline_lookups} members): "
        f"p50 {baseline:,.0f} ms → {baseline / p99:,.0f}× the indexed end-to-end p99"
    )


def _execution_ms(session: Any, customer: int) -> float:
    plan = session.execute(
        text("EXPLAIN (ANALYZE, TIMING OFF) " + BALANCE_SQL.format(int(customer)))
    ).scalars()
    return next(float(line.split()[2]) for line in plan if line.startswith("Execution Time"))


def naive_tiers(engine: Engine, sample: int) -> float:
    """The baseline: per customer, read their window's orders, decide, upsert. Seconds for
    `sample` customers."""
    window_start = add_months(NOW, -12)
    with session_factory(engine)() as session:
        levels = sorted(list_levels(session), key=lambda level: -level.rank)
        level_ids = {row.rank: row.id for row in session.scalars(select(TierLevel))}
        started = time.perf_counter()
        for customer in range(1, sample + 1):
            spend, count = session.execute(
                select(
                    func.coalesce(func.sum(Order.paid_fen - Order.refunded_fen), 0),
                    func.count(),
                ).where(
                    Order.customer_id == customer,
                    Order.status.in_(REVENUE_STATUSES),
                    Order.ordered_at >= window_start,
                    Order.ordered_at < NOW,
                )
            ).one()
            rank = next(
                level.rank
                for level in levels
                if (level.min_spend_fen is not None and spend >= level.min_spend_fen)
                or (level.min_orders is not None and count >= level.min_orders)
                or level.rank == 0
            )
            member = session.get(MemberTier, customer)
            if member is not None:
                member.tier_id = level_ids[rank]
            session.flush()
        seconds = time.perf_counter() - started
        session.rollback()
    return seconds


def bench_tiers(engine: Engine, members: int, sample: int) -> None:
    def recompute() -> Any:
        with transaction(engine) as session:
            return recompute_tiers(session, as_of=NOW)

    first, result = timed("tier recompute, first run (everyone joins)", recompute)
    print(f"    {result}")
    second, result = timed("tier recompute, steady state", recompute)
    print(f"    {result}")
    naive = naive_tiers(engine, sample) * members / sample
    print(
        f"  baseline, per-customer Python loop: {naive:,.0f} s for {members:,} members "
        f"(extrapolated from {sample:,}) → set-based is {naive / first:,.1f}× faster "
        f"(first run), {naive / second:,.1f}× (steady state)"
    )


def bench_expiry(engine: Engine) -> None:
    def expire() -> int:
        with transaction(engine) as session:
            return expire_points(session, now=NOW)

    _, points = timed("expire points for everyone", expire)
    print(f"    {points:,} points expired")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--orders", type=int, default=3_000_000)
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--baseline-lookups", type=int, default=5)
    parser.add_argument("--naive-sample", type=int, default=5_000)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("SIYU_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    name = f"siyu_loyalty_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        version = ".".join(str(part) for part in engine.dialect.server_version_info or ())
        print(
            f"loyalty bench: {args.members:,} members, {args.entries:,} ledger entries, "
            f"{args.orders:,} orders; Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, PostgreSQL {version}"
        )
        load(engine, args.members, args.orders, args.entries)
        bench_balances(url, args.members, args.lookups, args.baseline_lookups)
        bench_tiers(engine, args.members, args.naive_sample)
        bench_expiry(engine)
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
