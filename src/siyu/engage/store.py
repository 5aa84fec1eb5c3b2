"""Writing contents and outbox rows in bulk (idempotent: a known key is left alone).

Planning a million messages is a million rows, so the planner's rows go through the driver.
Only six values differ from message to message (key, customer, recipient, sender, state and
reason, plus the slot); the rest is the same for a whole batch. PostgreSQL: `COPY` of the
per-row values (text built once per distinct value) into a temporary table, then one
`INSERT … SELECT … JOIN <batch constants> ON CONFLICT DO NOTHING`. SQLite: `INSERT OR IGNORE`
with `executemany`. Values are formatted as the ORM types store them (UTC timestamps; ISO
text on SQLite). Small inserts (a welcome message) use the ORM path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.engage.content import Content
from siyu.engage.tables import MessageContent, OutboxMessage

CHUNK = 100_000
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
# Per row (the rest is the same for every message of a batch, or of the call).
ROW_COLUMNS = ("idempotency_key", "customer_id", "recipient", "sender", "state", "reason")
BATCH_COLUMNS = ("source", "channel", "purpose", "slot", "content_hash", "not_before", "expires_at")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = ("\\", "\t", "\n", "\r")


@dataclass(frozen=True, slots=True)
class OutboxColumns:
    """Outbox rows as columns. `rows`: per message, `idempotency_key`, `recipient`, `sender`,
    `state`, `reason` (object arrays of str/None), `customer_id` (int64, 0 for none), `batch`
    (int64, an index into `batches`) and `scheduled_at` (datetime64[us] UTC, NaT for none).
    `batches`: the BATCH_COLUMNS of each batch (aware datetimes for the times). `now` stamps
    `created_at` and `updated_at`."""

    rows: dict[str, NDArray[Any]]
    batches: list[dict[str, Any]]
    now: datetime

    @property
    def size(self) -> int:
        return len(self.rows["batch"])


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


def _text_times(times: NDArray[np.datetime64], suffix: str) -> list[str | None]:
    """ISO text of each time (few distinct values: slots are whole hours), None for NaT."""
    distinct, inverse = np.unique(times.astype("datetime64[us]"), return_inverse=True)
    text = [
        None if np.isnat(moment) else str(moment).replace("T", " ") + suffix for moment in distinct
    ]
    return list(np.array(text, dtype=object)[inverse.reshape(-1)].tolist())


def _utc_text(moment: datetime, suffix: str) -> str:
    return (
        moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        + suffix
    )


def _batch_rows(columns: OutboxColumns, suffix: str) -> list[tuple[Any, ...]]:
    return [
        (
            number,
            *(
                _utc_text(batch[name], suffix)
                if name in ("not_before", "expires_at")
                else batch[name]
                for name in BATCH_COLUMNS
            ),
        )
        for number, batch in enumerate(columns.batches)
    ]


def _insert_sqlite(session: Session, columns: OutboxColumns) -> Counter[str]:
    """`INSERT OR IGNORE … VALUES` through `executemany` (one plain VALUES row per message
    measured faster than reading the batch's constants from a temp table)."""
    rows = columns.rows
    now = _utc_text(columns.now, "")
    batches = [
        tuple(
            _utc_text(b[n], "") if n in ("not_before", "expires_at") else b[n]
            for n in BATCH_COLUMNS
        )
        for b in columns.batches
    ]
    source, channel, purpose, slot, content, not_before, expires = zip(*batches, strict=True)
    batch = rows["batch"]
    scheduled = _text_times(rows["scheduled_at"], "")

    def per_batch(values: tuple[Any, ...]) -> Iterable[Any]:
        return repeat(values[0]) if len(values) == 1 else [values[b] for b in batch.tolist()]

    values = zip(
        rows["idempotency_key"].tolist(),
        per_batch(source),
        [c if c > 0 else None for c in rows["customer_id"].tolist()],
        rows["recipient"].tolist(),
        per_batch(channel),
        per_batch(purpose),
        per_batch(slot),
        per_batch(content),
        rows["sender"].tolist(),
        rows["state"].tolist(),
        rows["reason"].tolist(),
        per_batch(not_before),
        per_batch(expires),
        scheduled,
        scheduled,
        repeat(0),
        repeat(now),
        repeat(now),
    )
    statement = (
        f"INSERT OR IGNORE INTO outbox_messages ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(COLUMNS))})"
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(statement, values)
    added = cursor.rowcount  # executemany sums the rows each insert added
    cursor.close()
    if added == columns.size:
        return Counter(rows["state"].tolist())
    return _count_states(session, columns)  # another planner raced this one: count what landed


def _count_states(session: Session, columns: OutboxColumns) -> Counter[str]:
    keys = columns.rows["idempotency_key"].tolist()
    mine = dict(zip(keys, columns.rows["state"].tolist(), strict=True))
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
    """COPY the per-row columns into a temp table, then one INSERT … SELECT joining each row
    to its batch's constants, skipping known keys."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(
        "CREATE TEMP TABLE outbox_stage (idempotency_key text, customer_id bigint, "
        "recipient text, sender text, state text, reason text, scheduled_at timestamptz, "
        "batch integer) ON COMMIT DROP"
    )
    cursor.execute(
        "CREATE TEMP TABLE outbox_stage_batches ON COMMIT DROP AS SELECT 0 AS batch, "
        f"{', '.join(BATCH_COLUMNS)} FROM outbox_messages WITH NO DATA"
    )
    with cursor.copy("COPY outbox_stage FROM STDIN") as copy:
        for text in _copy_text(columns):
            copy.write(text)
    with cursor.copy("COPY outbox_stage_batches FROM STDIN") as copy:
        for row in _batch_rows(columns, "+00"):
            copy.write_row(row)
    now = _utc_text(columns.now, "+00")
    cursor.execute(
        f"WITH added AS (INSERT INTO outbox_messages ({', '.join(COLUMNS)}) "
        "SELECT s.idempotency_key, b.source, s.customer_id, s.recipient, b.channel, b.purpose, "
        "b.slot, b.content_hash, s.sender, s.state, s.reason, b.not_before, b.expires_at, "
        "s.scheduled_at, s.scheduled_at, 0, %(now)s::timestamptz, %(now)s::timestamptz "
        "FROM outbox_stage AS s JOIN outbox_stage_batches AS b ON b.batch = s.batch "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING state) "
        "SELECT state, count(*) FROM added GROUP BY state",
        {"now": now},
    )
    inserted = Counter({str(state): int(count) for state, count in cursor.fetchall()})
    cursor.execute("DROP TABLE outbox_stage, outbox_stage_batches")
    cursor.close()
    return inserted


def _copy_text(columns: OutboxColumns) -> Iterator[str]:
    """The COPY text of the per-row columns, in chunks; each distinct value escaped once."""
    rows = columns.rows
    customer = rows["customer_id"]
    fields = [
        _escaped(rows["idempotency_key"]),
        [str(c) if c > 0 else "\\N" for c in customer.tolist()],
        *(_escaped(rows[name]) for name in ("recipient", "sender", "state", "reason")),
        [t or "\\N" for t in _text_times(rows["scheduled_at"], "+00")],
        [str(b) for b in rows["batch"].tolist()],
    ]
    for start in range(0, columns.size, CHUNK):
        part = zip(*(field[start : start + CHUNK] for field in fields), strict=True)
        yield "\n".join(map("\t".join, part)) + "\n"


def _escaped(values: NDArray[Any]) -> list[str]:
    items = values.tolist()
    distinct = set(items)
    if len(distinct) > len(items) // 4:  # mostly unique (keys): escape only if needed
        blob = "".join(v for v in distinct if v is not None)
        if not any(special in blob for special in _SPECIAL):
            return ["\\N" if v is None else v for v in items]
    text = {v: "\\N" if v is None else str(v).translate(_COPY_ESCAPES) for v in distinct}
    return [text[v] for v in items]
