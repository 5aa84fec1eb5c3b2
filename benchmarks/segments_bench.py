"""Count and materialise a 4-condition audience on 1M customers and 10M behaviour events, on
SQLite and PostgreSQL, against DuckDB (in memory, same data, same count) as the baseline.

The data is generated with numpy (seeded) and written straight into a freshly migrated store
with bulk inserts (executemany on SQLite, COPY on PostgreSQL) — not through the importers:
customers (0.5% merged away), a profile each (stage, orders, spend, CLV, P(alive)), three tags
on 30/20/10% of customers, and behaviour events spread over the year before the as-of day.

The rule (profile + tag + behaviour window + CLV):
    stage in [first_order, second_order, third_order, loyal]
    and tag 潜力/高潜
    and event favourite|cart in the last 14 days
    and clv_fen >= 20000

Timed: the count (cold, then the median of 5 warm runs); materialising a saved segment from
empty (every member entered) and again (nothing changed); DuckDB's count of the same query over
the same rows loaded in memory. Targets: a count under 300 ms on PostgreSQL, under 1 s on SQLite.

    .venv/bin/pip install 'duckdb>=1.1,<3'     # the `bench` extra; for this benchmark only
    .venv/bin/python benchmarks/segments_bench.py [--customers N] [--events-per-customer K]
        [--backend sqlite|postgres|both] [--workdir DIR] [--postgres-url URL] [--reuse]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from siyu.db.engine import make_engine, session_factory, transaction  # noqa: E402
from siyu.db.migrate import upgrade  # noqa: E402
from siyu.segments.catalogue import StoreCatalogue  # noqa: E402
from siyu.segments.compile import audience_count  # noqa: E402
from siyu.segments.evaluation import Evaluation  # noqa: E402
from siyu.segments.membership import materialise  # noqa: E402
from siyu.segments.parse import parse_rule  # noqa: E402
from siyu.segments.saved import get_segment, save_segment  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 6, 15)
EVALUATION = Evaluation(AS_OF, ZONE)
END = int(EVALUATION.end.timestamp())
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
STAGES = ("prospect", "first_order", "second_order", "third_order", "loyal", "dormant", "churned")
STAGE_SHARE = (0.35, 0.25, 0.10, 0.05, 0.05, 0.12, 0.08)
EVENT_TYPES = ("search", "view", "follow", "favourite", "cart", "share")
EVENT_SHARE = (0.15, 0.45, 0.05, 0.15, 0.15, 0.05)
CATEGORIES = ("护肤", "彩妆", "香水", "面膜", "精华", "防晒", "洁面", "身体", "美发", "工具")
TAGS = (("高潜", 0.30), ("沉默", 0.20), ("活动", 0.10))
RULE = {
    "version": 1,
    "rule": {
        "and": [
            {
                "field": "stage",
                "op": "in",
                "value": ["first_order", "second_order", "third_order", "loyal"],
            },
            {"tag": "高潜", "group": "潜力"},
            {"event": {"types": ["favourite", "cart"], "within_days": 14}},
            {"field": "clv_fen", "op": ">=", "value": 20_000},
        ]
    },
}
CHUNK = 500_000


@dataclass
class Data:
    customers: int
    merged: np.ndarray  # customer ids merged into customer 1
    stage: np.ndarray  # index into STAGES, per customer (position = id - 1)
    orders: np.ndarray
    revenue: np.ndarray
    clv: np.ndarray  # -1 = NULL
    p_alive: np.ndarray  # NaN = NULL
    tags: list[np.ndarray]  # customer ids per tag
    event_customer: np.ndarray
    event_type: np.ndarray
    event_seconds: np.ndarray
    event_category: np.ndarray


def generate(customers: int, events: int, seed: int = 20260615) -> Data:
    rng = np.random.default_rng(seed)
    stage = rng.choice(len(STAGES), size=customers, p=STAGE_SHARE).astype(np.int8)
    buyer = stage > 0
    orders = np.where(buyer, rng.integers(1, 11, customers), 0)
    revenue = (orders * rng.lognormal(9.5, 0.6, customers)).astype(np.int64)
    clv = np.where(buyer, rng.lognormal(9.6, 0.9, customers).astype(np.int64), -1)
    p_alive = np.where(buyer, rng.random(customers), np.nan)
    merged = rng.choice(np.arange(2, customers + 1), size=customers // 200, replace=False)
    tags = [
        np.sort(rng.choice(np.arange(1, customers + 1), int(customers * share), replace=False))
        for _, share in TAGS
    ]
    event_customer = np.sort(rng.integers(1, customers + 1, events))
    return Data(
        customers,
        np.sort(merged),
        stage,
        orders,
        revenue,
        clv,
        p_alive,
        tags,
        event_customer,
        rng.choice(len(EVENT_TYPES), size=events, p=EVENT_SHARE).astype(np.int8),
        END - 1 - rng.integers(0, 365 * 86_400, events),
        rng.integers(0, len(CATEGORIES), events).astype(np.int8),
    )


def stamps(seconds: np.ndarray) -> np.ndarray:
    """UTC text as siyu's UTCDateTime stores it on SQLite ('YYYY-MM-DD HH:MM:SS.ffffff')."""
    text_ = np.datetime_as_string(seconds.astype("datetime64[s]").astype("datetime64[us]"))
    return np.char.replace(text_, "T", " ")


# ---- the rows of each table, in chunks of numpy columns (object arrays where NULL occurs) -----

TIMESTAMPS = ("created_at", "updated_at", "occurred_at")  # epoch seconds in the chunks


def nullable(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    column = values.astype(object)
    column[missing] = None
    return column


def customer_rows(data: Data) -> Iterator[dict[str, Any]]:
    for start in range(0, data.customers, CHUNK):
        ids = np.arange(start + 1, min(start + CHUNK, data.customers) + 1)
        moment = np.full(ids.size, END - 86_400)
        merged = nullable(np.ones(ids.size, dtype=np.int64), ~np.isin(ids, data.merged))
        yield {"id": ids, "merged_into_id": merged, "created_at": moment, "updated_at": moment}


def profile_rows(data: Data) -> Iterator[dict[str, Any]]:
    for start in range(0, data.customers, CHUNK):
        part = slice(start, min(start + CHUNK, data.customers))
        ids = np.arange(part.start + 1, part.stop + 1)
        stage = np.array(STAGES, dtype=object)[data.stage[part]]
        orders = data.orders[part]
        empty = np.full(ids.size, "{}", dtype=object)
        yes, no = np.ones(ids.size, dtype=bool), np.zeros(ids.size, dtype=bool)
        yield {
            "customer_id": ids,
            "orders": orders,
            "purchase_days": orders,
            "items": orders,
            "net_revenue_fen": data.revenue[part],
            "aov_fen": data.revenue[part] // np.maximum(orders, 1),
            "by_platform": empty,
            "by_shop": empty,
            "category_scores": empty,
            "has_value_behaviour": yes,
            "reachable": no,
            "deleted_staff": no,
            "order_stage": stage,
            "stage": stage,
            "clv_fen": nullable(data.clv[part], data.clv[part] < 0),
            "p_alive": nullable(data.p_alive[part], np.isnan(data.p_alive[part])),
        }


def tag_rows(data: Data, tag_ids: list[int]) -> Iterator[dict[str, Any]]:
    for tag_id, holders in zip(tag_ids, data.tags, strict=True):
        for start in range(0, holders.size, CHUNK):
            ids = holders[start : start + CHUNK]
            yield {
                "customer_id": ids,
                "tag_id": np.full(ids.size, tag_id),
                "source": np.full(ids.size, "manual", dtype=object),
                "created_at": np.full(ids.size, END - 86_400),
            }


def event_rows(data: Data) -> Iterator[dict[str, Any]]:
    total = data.event_customer.size
    for start in range(0, total, CHUNK):
        part = slice(start, min(start + CHUNK, total))
        yield {
            "customer_id": data.event_customer[part],
            "event_type": np.array(EVENT_TYPES, dtype=object)[data.event_type[part]],
            "occurred_at": data.event_seconds[part],
            "category": np.array(CATEGORIES, dtype=object)[data.event_category[part]],
            "event_key": np.char.mod("%012d", np.arange(part.start, part.stop)).astype(object),
        }


# ---- writing: executemany on SQLite, COPY on PostgreSQL ----------------------------------


def write(engine: Engine, table: str, chunks: Iterator[dict[str, Any]]) -> int:
    rows = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
        else:
            cursor.execute("SET TIME ZONE 'UTC'")
        for chunk in chunks:
            columns = list(chunk)
            if engine.dialect.name == "sqlite":
                marks = ", ".join("?" for _ in columns)
                values = [
                    stamps(chunk[name]).tolist() if name in TIMESTAMPS else chunk[name].tolist()
                    for name in columns
                ]
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    zip(*values, strict=True),
                )
            else:
                _copy(cursor, table, columns, chunk)
            rows += len(chunk[columns[0]])
        raw.commit()
    finally:
        raw.close()
    return rows


def _copy(cursor: Any, table: str, columns: list[str], chunk: dict[str, Any]) -> None:
    arrays = [
        pa.array(chunk[name].astype("datetime64[s]"))
        if name in TIMESTAMPS
        else pa.array(chunk[name])
        for name in columns
    ]
    buffer = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(pa.table(arrays, names=columns), buffer, write_options=options)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def build(engine: Engine, data: Data) -> float:
    started = time.perf_counter()
    upgrade(engine)
    with transaction(engine) as session:
        from siyu.segments.tags import ensure_tag

        tag_ids = [ensure_tag(session, name=name, group="潜力").id for name, _ in TAGS]
    for table, chunks in (
        ("customers", customer_rows(data)),
        ("customer_profiles", profile_rows(data)),
        ("customer_tags", tag_rows(data, tag_ids)),
        ("behaviour_events", event_rows(data)),
    ):
        began = time.perf_counter()
        count = write(engine, table, chunks)
        print(f"  {table}: {count:,} rows in {time.perf_counter() - began:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


# ---- timing --------------------------------------------------------------------------------


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def count_in_store(engine: Engine) -> int:
    with session_factory(engine)() as session:
        rule = parse_rule(RULE, StoreCatalogue(session))
        return int(session.scalar(audience_count(rule, EVALUATION)) or 0)


def measure_store(engine: Engine) -> dict[str, Any]:
    cold, count = timed(lambda: count_in_store(engine))
    warm = [timed(lambda: count_in_store(engine))[0] for _ in range(5)]
    now = datetime.now(UTC)
    with transaction(engine) as session:
        session.execute(text("DELETE FROM segments WHERE name = 'bench'"))
    with transaction(engine) as session:
        first, result = timed(
            lambda: save_segment(
                session, name="bench", document=RULE, evaluation=EVALUATION, now=now
            )
        )
    with transaction(engine) as session:
        segment = get_segment(session, "bench")
        again, repeat = timed(
            lambda: materialise(session, segment=segment, evaluation=EVALUATION, now=now)
        )
    assert result.members == count
    assert (repeat.entered, repeat.exited) == (0, 0)
    return {
        "count": count,
        "cold": cold,
        "warm": statistics.median(warm),
        "materialise_first": first,
        "materialise_again": again,
    }


def measure_duckdb(data: Data) -> tuple[int, float, float]:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    ids = np.arange(1, data.customers + 1)
    customers = pa.table(
        {
            "id": ids,
            "merged_into_id": pa.array(
                np.where(np.isin(ids, data.merged), 1, 0), mask=~np.isin(ids, data.merged)
            ),
        }
    )
    profiles = pa.table(
        {
            "customer_id": ids,
            "stage": pa.array(np.array(STAGES, dtype=object)[data.stage]),
            "clv_fen": pa.array(data.clv, mask=data.clv < 0),
        }
    )
    tags = pa.table({"customer_id": data.tags[0], "tag_id": np.full(data.tags[0].size, 1)})
    events = pa.table(
        {
            "customer_id": data.event_customer,
            "event_type": pa.array(np.array(EVENT_TYPES, dtype=object)[data.event_type]),
            "occurred_at": pa.array(data.event_seconds.astype("datetime64[s]")),
        }
    )
    for name, table in (
        ("customers", customers),
        ("customer_profiles", profiles),
        ("customer_tags", tags),
        ("behaviour_events", events),
    ):
        con.register(f"{name}_arrow", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
    load = time.perf_counter() - started
    window = datetime.fromtimestamp(int(EVALUATION.window_start(14).timestamp()), UTC)
    end = datetime.fromtimestamp(END, UTC)
    query = f"""
        SELECT count(*) FROM customers c LEFT JOIN customer_profiles p ON p.customer_id = c.id
        WHERE c.merged_into_id IS NULL
          AND p.stage IS NOT NULL
          AND p.stage IN ('first_order', 'second_order', 'third_order', 'loyal')
          AND EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND t.tag_id = 1)
          AND EXISTS (SELECT 1 FROM behaviour_events e WHERE e.customer_id = c.id
                      AND e.event_type IN ('favourite', 'cart')
                      AND e.occurred_at < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'
                      AND e.occurred_at >= TIMESTAMP '{window:%Y-%m-%d %H:%M:%S}')
          AND p.clv_fen IS NOT NULL AND p.clv_fen >= 20000
    """
    con.execute(query).fetchone()
    runs = []
    for _ in range(5):
        seconds, row = timed(lambda: con.execute(query).fetchone())
        runs.append(seconds)
    return int(row[0]), statistics.median(runs), load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events-per-customer", type=int, default=10)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/siyu-segments-bench"))
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--reuse", action="store_true", help="Reuse databases built before.")
    args = parser.parse_args()
    events = args.customers * args.events_per_customer
    began, data = timed(lambda: generate(args.customers, events))
    print(f"generated {args.customers:,} customers and {events:,} events in {began:.1f} s")
    duck_count, duck_seconds, duck_load = measure_duckdb(data)
    print(
        f"duckdb (in memory): count {duck_count:,} in {duck_seconds * 1000:.1f} ms "
        f"(loaded in {duck_load:.1f} s)"
    )
    suffix = f"{args.customers}_{events}"
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    for backend in backends:
        engine = _engine(backend, args, suffix)
        with engine.connect() as connection:
            built = connection.dialect.has_table(connection, "segments")
        if not (args.reuse and built):
            print(f"{backend}: building …", flush=True)
            print(f"{backend}: built in {build(engine, data):.1f} s")
        figures = measure_store(engine)
        assert figures["count"] == duck_count, (figures["count"], duck_count)
        ratio = figures["warm"] / duck_seconds
        print(
            f"{backend}: count {figures['count']:,} — cold {figures['cold'] * 1000:.0f} ms, "
            f"warm {figures['warm'] * 1000:.0f} ms (median of 5; {ratio:.1f}× DuckDB); "
            f"materialise {figures['materialise_first']:.2f} s from empty, "
            f"{figures['materialise_again']:.2f} s unchanged"
        )
        engine.dispose()


def _engine(backend: str, args: argparse.Namespace, suffix: str) -> Engine:
    if backend == "sqlite":
        args.workdir.mkdir(parents=True, exist_ok=True)
        path = args.workdir / f"segments_{suffix}.db"
        if not args.reuse and path.exists():
            path.unlink()
        return make_engine(f"sqlite:///{path}")
    name = f"siyu_segments_bench_{suffix}"
    admin = make_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if exists and not args.reuse:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not args.reuse:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_engine(make_url(args.postgres_url).set(database=name).render_as_string(False))


if __name__ == "__main__":
    main()
