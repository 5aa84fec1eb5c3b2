"""Serve the console over 1M customers on PostgreSQL and measure page latency under load.

Builds a throwaway database: --customers customers (a phone and a buyer id each), about two
orders per customer over the two years before the as-of day, 20 shopping guides with a WeCom
contact for 30% of customers — all with set-based INSERT … SELECT over generate_series — then
runs the real `refresh` (profiles, lifecycle, RFM, CLV) and `refresh_segments` (the built-in
segments materialised). Serves the app as a deployer does, `siyu serve --workers N` (default 2:
one process per core), then
--users concurrent clients (asyncio + httpx, keep-alive, an API token) request each page for
--seconds: the dashboard, a customer 360 (a random customer each time, console and API), the
segments list; and, as the named baseline measured in the same run, `GET /api/v1/health`
(the cost of the HTTP + auth-free FastAPI round trip on this machine). Prints p50/p95 per page
and the ratio to the baseline's. Target: p95 under 300 ms per page.

    .venv/bin/python benchmarks/console_bench.py [--customers N] [--users 20] [--seconds 20]
        [--workers 2] [--postgres-url URL] [--keep] [--reuse DATABASE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from siyu.analytics.refresh import refresh  # noqa: E402
from siyu.db.engine import make_engine, transaction  # noqa: E402
from siyu.db.migrate import upgrade  # noqa: E402
from siyu.security.tables import User  # noqa: E402
from siyu.security.users import create_token, create_user  # noqa: E402
from siyu.segments.refresh import refresh_segments  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ZONE = ZoneInfo("Asia/Shanghai")
AS_OF = datetime.now(ZONE).date()
STAFF = 20


def timed(label: str, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    value = action()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return value


def load(engine: Engine, customers: int) -> None:
    """Set-based bulk load (foreign-key triggers off while loading)."""
    start = datetime.combine(AS_OF - timedelta(days=730), datetime.min.time(), UTC).isoformat()
    orders = customers * 2
    statements = {
        "customers": f"""
            INSERT INTO customers (id, display_name, created_at, updated_at)
            SELECT g, '客户' || g, now(), now() FROM generate_series(1, {customers}) g""",
        "identities": f"""
            INSERT INTO customer_identities (customer_id, kind, scope, value, is_strong,
                linked_by, source, created_at)
            SELECT g, k.kind, '', CASE k.kind WHEN 'phone' THEN '+86139' || lpad(g::text, 8, '0')
                                    ELSE 'B' || g END, true, '', 'bench', now()
            FROM generate_series(1, {customers}) g,
                 (VALUES ('phone'), ('customer_ref')) AS k(kind)""",
        "orders": f"""
            INSERT INTO orders (id, shop_id, platform_order_id, customer_id, status, raw_status,
                ordered_at, paid_at, paid_fen, refunded_fen, shipping_fen, amount_grain,
                created_at, updated_at)
            SELECT g, 1, 'T' || g, 1 + (hashint4(g) & 2147483647) % {customers},
                CASE WHEN g % 25 = 0 THEN 'refunded' ELSE 'completed' END, '',
                t, t, p, CASE WHEN g % 25 = 0 THEN p ELSE 0 END, 0, 'order', now(), now()
            FROM (SELECT g, timestamptz '{start}' + (g % 730) * interval '1 day'
                         + (g % 86400) * interval '1 second' AS t,
                         1000 + (hashint4(g + 7) & 2147483647) % 60000 AS p
                  FROM generate_series(1, {orders}) g) s""",
        "staff": f"""
            INSERT INTO staff_accounts (id, userid, name, is_active, created_at)
            SELECT g, 'guide_' || g, '导购' || g, true, now() FROM generate_series(1, {STAFF}) g""",
        "contacts": f"""
            INSERT INTO wecom_contacts (staff_id, external_userid, customer_id, added_at)
            SELECT 1 + g % {STAFF}, 'wm' || g, g,
                   timestamptz '{start}' + (g % 700) * interval '1 day'
            FROM generate_series(1, {customers}) g WHERE g % 10 < 3""",
    }
    with engine.begin() as connection:
        connection.exec_driver_sql("SET session_replication_role = replica")
        connection.exec_driver_sql(
            "INSERT INTO shops (id, code, name, platform, created_at) "
            "VALUES (1, 'tmall', '天猫旗舰店', 'tmall', now())"
        )
        for table, statement in statements.items():
            timed(f"load {table}", lambda s=statement: connection.execute(text(s)))
        for table in ("customers", "orders", "staff_accounts"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        timed("vacuum analyze", lambda: connection.exec_driver_sql("VACUUM ANALYZE"))


def prepare(url: str, customers: int) -> str:
    """A fresh database with the data, refreshed; an admin's API token."""
    engine = make_engine(url)
    upgrade(engine)
    load(engine, customers)
    timed("refresh (profiles, CLV)", lambda: refresh(engine, as_of=AS_OF, zone=ZONE, full=True))
    timed("refresh segments", lambda: refresh_segments(engine, as_of=AS_OF, zone=ZONE))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    with transaction(engine) as session:
        user = create_user(session, username="bench", password="bench-password-1", role="admin")
        token = create_token(session, user, "bench")
    engine.dispose()
    return token


def reuse(url: str) -> str:
    """A kept database (migrated to this code's head) and a new API token."""
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as session:
        user = session.scalars(select(User).where(User.username == "bench")).one()
        token = create_token(session, user, "bench")
    engine.dispose()
    return token


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def hammer(
    base: str, token: str, pages: dict[str, Callable[[], str]], users: int, seconds: float
) -> dict[str, list[float]]:
    """`users` clients (a keep-alive connection each: the server's processes share them as
    their listening socket hands them out), each requesting the pages in turn until the time
    is up."""
    timings: dict[str, list[float]] = {name: [] for name in pages}
    failures: dict[str, int] = dict.fromkeys(pages, 0)
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}

    async def user(number: int) -> None:
        order = list(pages)
        random.Random(number).shuffle(order)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            while time.perf_counter() < deadline:
                for name in order:
                    started = time.perf_counter()
                    response = await client.get(pages[name]())
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        failures[name] += 1
                    timings[name].append(elapsed)

    await asyncio.gather(*(user(n) for n in range(users)))
    if any(failures.values()):
        print(f"  non-200 answers: {failures}", flush=True)
    return timings


def warm_up(base: str, token: str, pages: dict[str, Callable[[], str]]) -> dict[str, float]:
    """Each page once (the dashboard computes and keeps its figures), then 10 times alone:
    the median time of a request with nothing else running (service time, no queueing)."""
    alone: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=900) as client:
        for name, path in pages.items():
            started = time.perf_counter()
            client.get(path()).raise_for_status()
            print(f"  first {name}: {time.perf_counter() - started:.2f} s", flush=True)
            times = []
            for _ in range(10):
                started = time.perf_counter()
                client.get(path()).raise_for_status()
                times.append(time.perf_counter() - started)
            alone[name] = statistics.median(times)
    return alone


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    siyu = Path(sys.executable).parent / "siyu"
    command = [str(siyu), "--db", url, "serve", "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "SIYU_SECRET_KEY": "bench-secret-key-0123456789"}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--workers", type=int, default=2, help="Server processes (siyu serve --workers)."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--reuse", metavar="DATABASE", help="Measure a database kept before.")
    arguments = parser.parse_args()
    admin = make_url(arguments.postgres_url)
    name = arguments.reuse or f"siyu_console_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = make_engine(admin.render_as_string(hide_password=False))
    url = admin.set(database=name).render_as_string(hide_password=False)
    if arguments.reuse:
        run(url, reuse(url), arguments)
        return
    with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    print(f"{arguments.customers:,} customers in {name}, as of {AS_OF}", flush=True)
    try:
        token = prepare(url, arguments.customers)
        run(url, token, arguments)
    finally:
        if not arguments.keep:
            with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(url: str, token: str, arguments: argparse.Namespace) -> None:
    customers = arguments.customers
    pick = random.Random(7)
    pages: dict[str, Callable[[], str]] = {
        "baseline: GET /api/v1/health": lambda: "/api/v1/health",
        "dashboard /": lambda: "/",
        "customer 360 /customers/{id}": lambda: f"/customers/{pick.randint(1, customers)}",
        "API /api/v1/customers/{id}": lambda: f"/api/v1/customers/{pick.randint(1, customers)}",
        "segments /segments": lambda: "/segments",
    }
    server = serve(url, arguments.port, arguments.workers)
    try:
        base = f"http://127.0.0.1:{arguments.port}"
        alone = warm_up(base, token, pages)
        timings = asyncio.run(hammer(base, token, pages, arguments.users, arguments.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    baseline = percentile(timings["baseline: GET /api/v1/health"], 0.95)
    print(
        f"\n{arguments.users} concurrent users for {arguments.seconds:.0f} s, "
        f"{customers:,} customers, {arguments.workers} server process(es)"
    )
    print("| page | alone p50 | requests | p50 | p95 | p95 / baseline p95 |")
    print("|---|---|---|---|---|---|")
    for name, values in timings.items():
        p50, p95 = statistics.median(values) * 1000, percentile(values, 0.95) * 1000
        ratio = percentile(values, 0.95) / baseline
        print(
            f"| {name} | {alone[name] * 1000:.0f} ms | {len(values):,} | {p50:.0f} ms "
            f"| {p95:.0f} ms | {ratio:.1f}× |"
        )


if __name__ == "__main__":
    main()
