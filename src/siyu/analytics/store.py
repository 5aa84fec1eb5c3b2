"""Writing computed profiles and their order-driven timeline (delete + insert per customer).

Rows go straight to the DB-API connection of the session's transaction: executemany on SQLite,
COPY on PostgreSQL. Values are written as SQLAlchemy would store them (UTC text on SQLite, JSON
as `json.dumps` writes it), so the ORM reads them back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import JSON, Boolean, Date, delete, select
from sqlalchemy.orm import Session

from siyu.analytics import rfm
from siyu.analytics.compute import NEVER, Computed
from siyu.analytics.lifecycle import ORDER_STAGES
from siyu.analytics.tables import STAGES, AnalyticsState, CustomerProfile, StageTransition
from siyu.db.base import table_of
from siyu.db.types import UTCDateTime

CHUNK = 5_000
WRITE_CHUNK = 50_000  # profile rows rendered at a time
INDEX_BUILD_MEMORY = "256MB"  # PostgreSQL's maintenance_work_mem while a full refresh runs
Ints = NDArray[np.int64]
Steps = tuple[Ints, Ints, Ints, Ints]  # timeline steps: customer, from stage, to stage, day
PROFILE_COLUMNS = (
    "customer_id", "orders", "purchase_days", "items", "net_revenue_fen", "aov_fen",
    "first_order_at", "last_order_at", "mean_repeat_days", "median_repeat_days",
    "expected_interval_days", "by_platform", "by_shop", "category_scores", "top_category",
    "acquisition_channel", "has_value_behaviour", "last_event_at", "reachable", "deleted_staff",
    "deleted_staff_on", "order_stage", "dormant_on", "churned_on", "stage", "stage_since",
    "rfm_r", "rfm_f", "rfm_m", "rfm_segment",
)  # fmt: skip
TRANSITION_COLUMNS = ("customer_id", "from_stage", "to_stage", "changed_on")
# SQLite, while a refresh runs (it reads tables of hundreds of MiB, much of it by index): a
# larger page cache and in-memory temporary sorts; its connection gets its own back afterwards
SQLITE_PRAGMAS = (
    "PRAGMA cache_size = -262144",  # 256 MiB
    "PRAGMA temp_store = MEMORY",
)


def empty_for_rewrite(session: Session) -> None:
    """Before a full refresh rewrites every row. SQLite: delete every profile and timeline step
    (readers keep the last committed profiles until the refresh commits; the refresh already
    holds the write lock, `job_transaction`). PostgreSQL: nothing yet; `rewritten` truncates
    them when the writing begins."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(delete(StageTransition))
        session.execute(delete(CustomerProfile))


@contextmanager
def rewritten(session: Session) -> Iterator[None]:
    """A full refresh's rewrite of every row of the profile tables, inside the caller's
    transaction: their secondary indexes are dropped while the caller writes and built again
    afterwards (one sort each instead of a B-tree insert per row written).

    PostgreSQL: the tables are emptied here by TRUNCATE (no dead rows left behind) and the
    index builds get at least INDEX_BUILD_MEMORY. TRUNCATE and DROP INDEX lock both tables
    until the refresh commits: other sessions reading profiles wait for the rest of the
    refresh (its CLV step included). Measured at 1M customers (docs/benchmarks.md), writing
    1M profiles and 3M timeline steps this way took 36 s of server time, against 90 s through
    the nine indexes. An incremental refresh locks no table."""
    connection = session.connection()
    indexes = [
        index
        for model in (CustomerProfile, StageTransition)
        for index in sorted(table_of(model).indexes, key=lambda index: str(index.name))
    ]
    if connection.dialect.name == "postgresql":
        tables = f"{StageTransition.__tablename__}, {CustomerProfile.__tablename__}"
        connection.exec_driver_sql(f"TRUNCATE {tables}")
        connection.exec_driver_sql(
            "SELECT set_config('maintenance_work_mem', %(memory)s, true)"
            " WHERE pg_size_bytes(current_setting('maintenance_work_mem'))"
            " < pg_size_bytes(%(memory)s)",
            {"memory": INDEX_BUILD_MEMORY},
        )
    for index in indexes:
        index.drop(connection)
    yield
    for index in indexes:
        index.create(connection)


def has_profiles(session: Session) -> bool:
    return session.scalar(select(CustomerProfile.customer_id).limit(1)) is not None


def merged_steps(*parts: Steps) -> Steps:
    """Timeline steps from several sources in one array each, in the order a customer's steps
    are read (by customer, then day, then as given)."""
    customer, from_stage, to_stage, day = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    order = np.lexsort((np.arange(customer.size), day, customer))
    return customer[order], from_stage[order], to_stage[order], day[order]


def write_changes(
    session: Session,
    computed: Computed,
    platforms: dict[int, str],
    scored: dict[str, NDArray[Any]],
    steps: Steps,
) -> tuple[int, int]:
    """A full refresh over kept profiles: the new profile rows and timeline steps are compared
    with the stored ones, a range of customers at a time, and only the customers whose row or
    steps differ are rewritten, the row or the steps that differ (and those no longer computed,
    merged away, deleted).

    A day's full refresh changes a few percent of the profiles: this reads the stored rows
    back (as written, so that they compare equal) instead of rewriting every row, rebuilding
    nine indexes and, on SQLite, writing the whole tables through the WAL; on PostgreSQL it
    locks no table. Returns (customers rewritten or deleted, customers whose stage changed)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    customers, size = computed.customers, computed.customers.size
    written = stage_changes = 0
    for start in range(0, max(size, 1), WRITE_CHUNK):
        stop = min(start + WRITE_CHUNK, size)
        # customers [low, high); the first range from the lowest id stored, the last to the end
        low = int(customers[start]) if start > 0 else None
        high = int(customers[stop]) if stop < size else None
        columns = _profile_columns(computed, platforms, scored, start, stop, postgres)
        rows = list(zip(*columns, strict=True))
        new_steps = _rendered_steps(steps, low, high)
        other_rows, other_steps, moved = _differing(session, rows, new_steps, low, high)
        _replace(session, CustomerProfile, PROFILE_COLUMNS, rows, other_rows)
        _replace(session, StageTransition, TRANSITION_COLUMNS, new_steps, other_steps)
        written += len(other_rows | other_steps)
        stage_changes += moved
    return written, stage_changes


def _replace(
    session: Session,
    model: Any,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    customers: set[int],
) -> None:
    """Delete the rows of `customers` from `model`'s table and insert theirs from `rows`."""
    if customers:
        _delete(session, model, sorted(customers))
        mine = (row for row in rows if row[0] in customers)
        write_rows(session, model.__tablename__, columns, mine)


def _rendered_steps(steps: Steps, low: int | None, high: int | None) -> list[tuple[Any, ...]]:
    """The steps of customers in [low, high) as `insert_transitions` writes them."""
    first = 0 if low is None else int(np.searchsorted(steps[0], low))
    last = steps[0].size if high is None else int(np.searchsorted(steps[0], high))
    customer, from_stage, to_stage, day = (column[first:last] for column in steps)
    names = _names(STAGES, from_stage), _names(STAGES, to_stage)
    return list(zip(customer.tolist(), *names, dates(day), strict=True))


def _differing(
    session: Session,
    rows: list[tuple[Any, ...]],
    steps: list[tuple[Any, ...]],
    low: int | None,
    high: int | None,
) -> tuple[set[int], set[int], int]:
    """The customers in [low, high) whose stored profile row differs from `rows` (or who are
    no longer in them), those whose stored timeline differs from `steps`, and how many of
    `rows` have another stage than the stored one, or none stored."""
    old = {row[0]: row for row in _stored(session, CustomerProfile, PROFILE_COLUMNS, low, high)}
    other_rows = {row[0] for row in rows if old.get(row[0]) != row}
    other_rows |= old.keys() - {row[0] for row in rows}
    at = PROFILE_COLUMNS.index("stage")
    moved = sum(1 for row in rows if row[0] not in old or old[row[0]][at] != row[at])
    old_steps = _stored(session, StageTransition, TRANSITION_COLUMNS, low, high)
    other_steps = _other_timelines(old_steps, steps) if old_steps != steps else set()
    return other_rows, other_steps, moved


def _stored(
    session: Session, model: Any, columns: Sequence[str], low: int | None, high: int | None
) -> list[tuple[Any, ...]]:
    """The stored rows of customers in [low, high) (None: unbounded), each value as
    `write_rows` wrote it; timeline steps in the order they are read (day, then id). Read on
    the DB-API connection: through SQLAlchemy's rows a million profiles took twice as long."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    table = table_of(model)
    values = ", ".join(_as_written(table.c[name], postgres) for name in columns)
    mark = "%s" if postgres else "?"
    bounds = [(f"customer_id {sign} {mark}", value) for sign, value in ((">=", low), ("<", high))
              if value is not None]  # fmt: skip
    where = f" WHERE {' AND '.join(bound for bound, _ in bounds)}" if bounds else ""
    order = "customer_id, changed_on, id" if model is StageTransition else "customer_id"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        query = f"SELECT {values} FROM {table.name}{where} ORDER BY {order}"
        cursor.execute(query, [value for _, value in bounds])
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _as_written(column: Any, postgres: bool) -> str:
    """A column read back as the text or number `write_rows` gave it (SQLite keeps exactly
    that; PostgreSQL's types are rendered back into the same form)."""
    name: str = column.name
    if not postgres:
        return name
    if isinstance(column.type, UTCDateTime):
        return f"to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'"
    if isinstance(column.type, Date):
        return f"to_char({name}, 'YYYY-MM-DD')"
    if isinstance(column.type, JSON):
        return f"{name}::text"
    if isinstance(column.type, Boolean):
        return f"{name}::int"
    return name


def _other_timelines(old: list[Any], new: list[Any]) -> set[int]:
    """The customers whose steps differ between two lists of steps sorted by customer."""
    before = {customer: list(steps) for customer, steps in groupby(old, key=itemgetter(0))}
    after = {customer: list(steps) for customer, steps in groupby(new, key=itemgetter(0))}
    return {customer for customer in before.keys() | after.keys()
            if before.get(customer) != after.get(customer)}  # fmt: skip


def delete_profiles(session: Session, customer_ids: Sequence[int]) -> None:
    _delete(session, StageTransition, customer_ids)
    _delete(session, CustomerProfile, customer_ids)


def _delete(session: Session, model: Any, customer_ids: Sequence[int]) -> None:
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        session.execute(delete(model).where(model.customer_id.in_(chunk)))


def insert_profiles(
    session: Session,
    computed: Computed,
    platforms: dict[int, str],
    scored: dict[str, NDArray[Any]] | None = None,
) -> None:
    """Insert the computed profiles. `scored` holds the date-dependent columns when they are
    known (a full refresh); otherwise they are left blank for the scoring pass to fill."""
    postgres = session.get_bind().dialect.name == "postgresql"
    size = computed.customers.size
    for start in range(0, size, WRITE_CHUNK):
        stop = min(start + WRITE_CHUNK, size)
        columns = _profile_columns(computed, platforms, scored, start, stop, postgres)
        write_rows(
            session, CustomerProfile.__tablename__, PROFILE_COLUMNS, zip(*columns, strict=True)
        )


def _profile_columns(
    computed: Computed,
    platforms: dict[int, str],
    scored: dict[str, NDArray[Any]] | None,
    start: int,
    stop: int,
    postgres: bool,
) -> list[list[Any]]:
    """The PROFILE_COLUMNS of customers [start, stop), one list per column."""
    window = slice(start, stop)
    column = {name: values[window] for name, values in computed.columns.items()}
    json = {name: values[window] for name, values in computed.json_columns.items()}
    size = stop - start
    blank: list[Any] = [None] * size
    score = {name: values[window] for name, values in scored.items()} if scored else {}
    return [
        computed.customers[window].tolist(),
        column["orders"].tolist(),
        column["purchase_days"].tolist(),
        column["items"].tolist(),
        column["net_revenue_fen"].tolist(),
        column["aov_fen"].tolist(),
        stamps(column["first_order_seconds"], column["first_order_seconds"] == NEVER, postgres),
        stamps(column["last_order_seconds"], column["last_order_seconds"] < 0, postgres),
        numbers(column["mean_repeat_days"]),
        numbers(column["median_repeat_days"]),
        numbers(score["interval"]) if score else numbers(column["own_interval_days"]),
        json["by_platform"],
        json["by_shop"],
        json["category_scores"],
        computed.top_category[window],
        _acquisition(column, platforms),
        column["has_value_behaviour"].astype(np.int64).tolist(),
        stamps(column["last_event_seconds"], column["last_event_seconds"] < 0, postgres),
        column["reachable"].astype(np.int64).tolist(),
        column["deleted_staff"].astype(np.int64).tolist(),
        dates(column["deleted_staff_day"]),
        _names(ORDER_STAGES, column["order_stage_code"]),
        dates(score["dormant_day"]) if score else blank,
        dates(score["churned_day"]) if score else blank,
        _names(STAGES, score["stage"]) if score else [""] * size,
        dates(score["since"]) if score else blank,
        *((_optional(score[key]) if score else blank) for key in ("rfm_r", "rfm_f", "rfm_m")),
        _names(rfm.SEGMENTS, score["segment"]) if score else blank,
    ]


def _acquisition(columns: dict[str, NDArray[Any]], platforms: dict[int, str]) -> list[str | None]:
    """The platform of the first purchase; else wecom (a contact) or behaviour (an event)."""
    shops = columns["acquisition_platform"].tolist()
    contact = columns["has_contact"].tolist()
    event = (columns["last_event_seconds"] >= 0).tolist()
    return [
        platforms.get(shop) or ("wecom" if has_contact else "behaviour" if has_event else None)
        for shop, has_contact, has_event in zip(shops, contact, event, strict=True)
    ]


def order_transitions(computed: Computed) -> tuple[Ints, Ints, Ints, Ints]:
    """The order-driven timeline: (customer, from stage, to stage, day), stages as indexes into
    STAGES (-1: none), sorted by customer then day; a prospect step comes first."""
    customers, days, codes = computed.transitions
    prospects = np.flatnonzero(computed.prospect_days != NEVER)
    customer = np.concatenate([computed.customers[prospects], customers])
    day = np.concatenate([computed.prospect_days[prospects], days])
    to_stage = np.concatenate([np.zeros(prospects.size, dtype=np.int64), codes])
    order = np.lexsort((np.r_[np.zeros(prospects.size), np.ones(codes.size)], customer))
    customer, day, to_stage = customer[order], day[order], to_stage[order]
    same = np.r_[False, customer[1:] == customer[:-1]]
    from_stage = np.where(same, np.r_[-1, to_stage[:-1]], -1)
    return customer, from_stage, to_stage, day


def insert_transitions(
    session: Session, customer: Ints, from_stage: Ints, to_stage: Ints, day: Ints
) -> None:
    rows = zip(
        customer.tolist(),
        _names(STAGES, from_stage),
        _names(STAGES, to_stage),
        dates(day),
        strict=True,
    )
    write_rows(session, StageTransition.__tablename__, TRANSITION_COLUMNS, rows)


def write_rows(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Bulk insert on the session's own connection (inside its transaction)."""
    connection = session.connection()
    driver: Any = connection.connection.dbapi_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = driver.cursor()
    marks = ", ".join("?" * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    cursor.close()


def update_rows(
    session: Session,
    table: str,
    columns: Sequence[str],
    key: str,
    rows: Iterable[tuple[Any, ...]],
) -> None:
    """`UPDATE table SET columns WHERE key = …` for each row (its values, then the key; the
    keys distinct). PostgreSQL: the rows are copied into a staging table and applied by one
    UPDATE … FROM (one statement per row cost ~75 µs of server time: 2.5 s for the 33,000
    scores an incremental refresh moved at 1M customers)."""
    connection = session.connection()
    driver: Any = connection.connection.dbapi_connection
    if connection.dialect.name != "postgresql":
        assignments = ", ".join(f"{column} = ?" for column in columns)
        cursor = driver.cursor()
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {key} = ?", list(rows))
        cursor.close()
        return
    staging, names = f"staged_{table}", ", ".join([*columns, key])
    assignments = ", ".join(f"{column} = {staging}.{column}" for column in columns)
    with driver.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {staging} AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {staging} WHERE {table}.{key} = {staging}.{key}"
        )
        cursor.execute(f"DROP TABLE {staging}")


def stamps(seconds: Ints, missing: NDArray[np.bool_], postgres: bool) -> list[str | None]:
    """UTC timestamps as text: SQLAlchemy's SQLite format, or ISO with +00 for PostgreSQL."""
    text = np.datetime_as_string(np.where(missing, 0, seconds).astype("datetime64[s]"), unit="s")
    suffix = "+00" if postgres else ".000000"
    return [
        None if absent else value.replace("T", " ") + suffix
        for value, absent in zip(text.tolist(), missing.tolist(), strict=True)
    ]


def dates(days: Ints) -> list[str | None]:
    """Day numbers (days since 1970-01-01; negative: none) as ISO dates."""
    text = np.datetime_as_string(np.maximum(days, 0).astype("datetime64[D]"), unit="D")
    return [
        None if day < 0 else value for value, day in zip(text.tolist(), days.tolist(), strict=True)
    ]


def numbers(values: NDArray[np.float64]) -> list[float | None]:
    return [None if value != value else value for value in values.tolist()]  # NaN: none


def _optional(values: Ints) -> list[int | None]:
    return [None if value < 0 else value for value in values.tolist()]


def _names(names: Sequence[str], codes: Ints) -> list[str | None]:
    return [None if code < 0 else names[code] for code in codes.tolist()]


def read_state(session: Session, key: str) -> str | None:
    row = session.get(AnalyticsState, key)
    return row.value if row else None


def write_state(session: Session, key: str, value: str) -> None:
    row = session.get(AnalyticsState, key)
    if row is None:
        session.add(AnalyticsState(key=key, value=value))
    else:
        row.value = value
    session.flush()
