"""Writing contents and outbox rows in bulk (idempotent: a known key is left alone).

Planning a million messages is a million rows, so the planner's rows go through the driver:
PostgreSQL `COPY` into a temporary table, then one `INSERT … SELECT … ON CONFLICT DO NOTHING`;
SQLite `INSERT OR IGNORE` with `executemany`. Values are formatted as the ORM types store them
(UTC timestamps; ISO text on SQLite). Small inserts (a welcome message) use the ORM path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.engage.content import Content
from siyu.engage.tables import MessageContent, OutboxMessage

CHUNK = 20_000
COLUMNS = (
    "idempotency_key",
    "source",
    "customer_id",
    "recipient",
    "channel",
    "purpose",
    "slot",
    "content_hash",
    "sender",
    "state",
    "reason",
    "not_before",
    "expires_at",
    "scheduled_at",
    "next_attempt_at",
    "attempts",
    "created_at",
    "updated_at",
)
TIMES = frozenset(
    {"not_before", "expires_at", "scheduled_at", "next_attempt_at", "created_at", "updated_at"}
)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True, slots=True)
class OutboxColumns:
    """Outbox rows as columns: object arrays of str/int/None, and datetime64[us] (UTC) times
    (NaT for none). Every array has the same length."""

    values: dict[str, NDArray[Any]]

    @property
    def size(self) -> int:
        return len(next(iter(self.values.values())))


def _dialect(session: Session) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def store_contents(session: Session, contents: Sequence[Content]) -> None:
    unique = {content.content_hash: content for content in contents}
    if not unique:
        return
    now = datetime.now(UTC)
    rows = [
        {"content_hash": key, "body": content.body(), "created_at": now}
        for key, content in unique.items()
    ]
    statement = _dialect(session).insert(MessageContent).on_conflict_do_nothing()
    session.execute(statement, rows)


def insert_messages(session: Session, rows: Sequence[dict[str, Any]]) -> Counter[str]:
    """Insert a few outbox rows through the ORM, skipping keys that exist; count per state."""
    now = datetime.now(UTC)
    statement = (
        _dialect(session)
        .insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.state)
    )
    chunk = [{**row, "attempts": 0, "created_at": now, "updated_at": now} for row in rows]
    return Counter(session.scalars(statement, chunk)) if chunk else Counter()


def bulk_insert_messages(session: Session, columns: OutboxColumns) -> Counter[str]:
    """Insert many outbox rows through the driver, skipping keys that exist; count per state."""
    if columns.size == 0:
        return Counter()
    if session.get_bind().dialect.name == "postgresql":
        return _copy_postgres(session, columns)
    return _insert_sqlite(session, columns)


def _text_times(times: NDArray[np.datetime64], suffix: str) -> NDArray[Any]:
    """ISO text of each time (few distinct values: slots are whole hours), None for NaT."""
    distinct, inverse = np.unique(times.astype("datetime64[us]"), return_inverse=True)
    text = [
        None if np.isnat(moment) else str(moment).replace("T", " ") + suffix for moment in distinct
    ]
    return np.array(text, dtype=object)[inverse.reshape(-1)]


def _insert_sqlite(session: Session, columns: OutboxColumns) -> Counter[str]:
    values = [
        _text_times(columns.values[name], "") if name in TIMES else columns.values[name]
        for name in COLUMNS
    ]
    state = columns.values["state"]
    placeholders = ", ".join("?" for _ in COLUMNS)
    statement = (
        f"INSERT OR IGNORE INTO outbox_messages ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(statement, zip(*(column.tolist() for column in values), strict=True))
    added = cursor.rowcount  # executemany sums the rows each insert added
    cursor.close()
    if added == columns.size:
        return Counter(state.tolist())
    return _count_states(session, columns)  # another planner raced this one: count what landed


def _count_states(session: Session, columns: OutboxColumns) -> Counter[str]:
    keys = columns.values["idempotency_key"].tolist()
    mine = dict(zip(keys, columns.values["state"].tolist(), strict=True))
    found: Counter[str] = Counter()
    for start in range(0, len(keys), 10_000):
        rows = session.execute(
            select(OutboxMessage.idempotency_key, OutboxMessage.state).where(
                OutboxMessage.idempotency_key.in_(keys[start : start + 10_000])
            )
        )
        found.update(state for key, state in rows if mine[key] == state)
    return found


def _copy_postgres(session: Session, columns: OutboxColumns) -> Counter[str]:
    names = ", ".join(COLUMNS)
    fields = [
        _copy_column(
            _text_times(columns.values[name], "+00") if name in TIMES else columns.values[name]
        )
        for name in COLUMNS
    ]
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(
        f"CREATE TEMP TABLE outbox_stage ON COMMIT DROP AS "
        f"SELECT {names} FROM outbox_messages WITH NO DATA"
    )
    with cursor.copy(f"COPY outbox_stage ({names}) FROM STDIN") as copy:
        for start in range(0, columns.size, CHUNK):
            rows = zip(*(field[start : start + CHUNK] for field in fields), strict=True)
            copy.write("".join(["\t".join(row) + "\n" for row in rows]))
    cursor.execute(
        f"WITH added AS (INSERT INTO outbox_messages ({names}) SELECT {names} FROM outbox_stage "
        f"ON CONFLICT (idempotency_key) DO NOTHING RETURNING state) "
        f"SELECT state, count(*) FROM added GROUP BY state"
    )
    inserted = Counter({str(state): int(count) for state, count in cursor.fetchall()})
    cursor.execute("DROP TABLE outbox_stage")
    cursor.close()
    return inserted


def _copy_column(values: NDArray[Any]) -> list[str]:
    """COPY text of a column: each distinct value escaped once (most columns repeat)."""
    cache: dict[object, str] = {}
    result = []
    for value in values.tolist():
        text = cache.get(value)
        if text is None:
            text = "\\N" if value is None else str(value).translate(_COPY_ESCAPES)
            if len(cache) < 100_000:
                cache[value] = text
        result.append(text)
    return result
