"""Read what profiles are computed from, as numpy columns (one query per fact table).

`customer_ids=None` reads everyone in one pass per table, without any filter (a full refresh);
a list reads only those customers, in chunks (an incremental refresh: work grows with the
customers touched, not with history).

Every query selects non-null numbers only, so `read_columns` moves rows from the DB-API cursor
straight into arrays: PostgreSQL sends them as binary COPY, parsed by numpy without a Python
object per value; SQLite's rows are converted a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Dialect, Float, Select, and_, case, cast, func, select
from sqlalchemy.orm import Session

from siyu.accounts.tables import CustomerGroupMember, WecomContact
from siyu.analytics.grouping import find
from siyu.analytics.reader_process import ReaderProcess
from siyu.commerce.tables import REVENUE_STATUSES, Order, OrderLine, Shop
from siyu.customers.tables import BehaviourEvent
from siyu.db.sql import epoch_seconds
from siyu.interpreter import can_start_python

VALUE_EVENTS = ("view", "follow", "favourite", "cart")
PURCHASE_STATUSES = ("paid", "shipped", "completed", "partially_refunded")
CHUNK = 5_000
BATCH = 100_000  # SQLite rows converted at a time
COPY_BLOCK = 1 << 24  # PostgreSQL COPY bytes parsed at a time
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HELPER_MIN_LINES = 1_000_000  # order lines (by id) from which a full read uses a helper

Columns = dict[str, NDArray[Any]]
Query = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Facts:
    orders: Columns  # customer, seconds, net, purchase, revenue, shop
    lines: Columns  # customer, seconds, category (-1 none), net, quantity, purchase, paid_status
    events: Columns  # customer, first_seconds, last_seconds, value
    contacts: Columns  # customer, live, deleted_by_customer, first_seconds, removed_seconds
    groups: Columns  # customer (live membership)
    shop_platforms: dict[int, str]
    shop_names: dict[int, str]


def read_facts(session: Session, customer_ids: Sequence[int] | None) -> Facts:
    shops = session.execute(select(Shop.id, Shop.platform, Shop.name)).all()
    with _lines_elsewhere(session, customer_ids) as elsewhere:
        events = _read(session, _events_query(), BehaviourEvent.customer_id, customer_ids)
        contacts = _read(session, _contacts_query(), WecomContact.customer_id, customer_ids)
        groups = _read(session, _groups_query(), CustomerGroupMember.customer_id, customer_ids)
        orders = _unpack(_read(session, _orders_query(), Order.customer_id, customer_ids))
        if elsewhere is not None:
            lines = elsewhere.columns()
        else:
            # a customer's lines by the ids of the orders just read: probes of the lines' order
            # index (PostgreSQL planned the join through a subquery as a scan of every line:
            # 2 s per chunk)
            order_ids = None if customer_ids is None else np.sort(orders["id"]).tolist()
            lines = _read(session, _lines_query(), OrderLine.order_id, order_ids)
    return Facts(
        orders={name: values for name, values in orders.items() if name != "paid_status"},
        lines=_attach_orders(lines, orders),
        events=events,
        contacts=contacts,
        groups=groups,
        shop_platforms={shop_id: platform for shop_id, platform, _ in shops},
        shop_names={shop_id: name for shop_id, _, name in shops},
    )


@contextmanager
def _lines_elsewhere(
    session: Session, customer_ids: Sequence[int] | None
) -> Iterator[ReaderProcess | None]:
    """SQLite, reading everything: a helper process already reading every order line while
    this one reads the rest, or None where that does not apply.

    Turning SQLite rows into numbers is Python work, one core's worth per process, and it is
    most of a full refresh's reading time; the lines are about half of it, so a helper puts a
    second core to it (more helpers, splitting the orders and lines further, measured slower
    on two cores: the reading is CPU-bound). The helper has its own connection (SQLite is
    shared between processes through the file's locks), and reads the same data as this
    session: only inside a transaction that has written — SQLite then holds the database's
    one write lock until commit, so nothing reaches the fact tables in between — and only
    while this session has not changed them itself (the refresh writes profiles, never
    facts). Small stores read in-process: starting an interpreter costs more than it saves.
    """
    path = _file_to_share(session) if customer_ids is None else None
    if path is None:
        yield None
        return
    query = _lines_query()
    reader = ReaderProcess(path, _compiled(query, session.connection().dialect), _names(query))
    try:
        yield reader
    finally:
        reader.close()


def _file_to_share(session: Session) -> str | None:
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    driver: Any = connection.connection.dbapi_connection
    path = connection.engine.url.database
    if not path or path == ":memory:" or "mode=memory" in str(connection.engine.url):
        return None
    if not can_start_python():  # embedded: no interpreter to start
        return None
    if not driver.in_transaction:  # no write lock held: another writer could commit between
        return None
    lines = session.scalar(select(func.max(OrderLine.id))) or 0
    return str(Path(path).resolve()) if lines >= HELPER_MIN_LINES else None


def _orders_query() -> Query:
    """The shop and the three flags travel as one number (shop × 8 + flags): fewer values to
    move from the database, which is most of a full refresh's reading time."""
    purchase = _flag(and_(Order.status.in_(PURCHASE_STATUSES), Order.paid_fen > Order.refunded_fen))
    packed = (
        Order.shop_id * 8
        + purchase * 4
        + _flag(Order.status.in_(REVENUE_STATUSES)) * 2
        + _flag(Order.status.in_(PURCHASE_STATUSES))
    )
    return select(
        Order.id.label("id"),
        Order.customer_id.label("customer"),
        epoch_seconds(Order.ordered_at).label("seconds"),
        (Order.paid_fen - Order.refunded_fen).label("net"),
        packed.label("packed"),
    ).where(Order.customer_id.is_not(None))


def _unpack(orders: Columns) -> Columns:
    packed = orders.pop("packed")
    orders["shop"] = packed >> 3
    for bit, name in ((4, "purchase"), (2, "revenue"), (1, "paid_status")):
        orders[name] = ((packed & bit) // bit).astype(np.int8)  # 0/1, one byte a row
    return orders


def _lines_query() -> Query:
    """Lines with their order id only; `_attach_orders` joins them to the orders read."""
    return select(
        OrderLine.order_id.label("order"),
        func.coalesce(OrderLine.category_id, -1).label("category"),
        (func.coalesce(OrderLine.paid_fen, 0) - OrderLine.refunded_fen).label("net"),
        OrderLine.quantity.label("quantity"),
    )


def _attach_orders(lines: Columns, orders: Columns) -> Columns:
    """Each line with its order's customer, time and flags; lines of orders not read (no
    customer, or another customer's) are dropped."""
    at, known = find(orders["id"], lines["order"])
    source = at[known]
    result = {name: lines[name][known] for name in ("category", "net", "quantity")}
    for name in ("customer", "seconds", "purchase", "paid_status"):
        result[name] = orders[name][source]
    return result


def _events_query() -> Query:
    return select(
        BehaviourEvent.customer_id.label("customer"),
        func.min(epoch_seconds(BehaviourEvent.occurred_at)).label("first_seconds"),
        func.max(epoch_seconds(BehaviourEvent.occurred_at)).label("last_seconds"),
        func.max(_flag(BehaviourEvent.event_type.in_(VALUE_EVENTS))).label("value"),
    ).group_by(BehaviourEvent.customer_id)


def _contacts_query() -> Query:
    live = WecomContact.removed_at.is_(None)
    by_customer = WecomContact.removed_by == "customer"
    return (
        select(
            WecomContact.customer_id.label("customer"),
            func.max(_flag(live)).label("live"),
            func.max(_flag(by_customer)).label("deleted_by_customer"),
            func.coalesce(func.min(epoch_seconds(WecomContact.added_at)), -1).label(
                "first_seconds"
            ),
            func.coalesce(func.max(epoch_seconds(WecomContact.removed_at)), -1).label(
                "removed_seconds"
            ),
        )
        .where(WecomContact.customer_id.is_not(None))
        .group_by(WecomContact.customer_id)
    )


def _groups_query() -> Query:
    return (
        select(CustomerGroupMember.customer_id.label("customer"))
        .where(CustomerGroupMember.customer_id.is_not(None), CustomerGroupMember.left_at.is_(None))
        .distinct()
    )


def _flag(condition: Any) -> Any:
    """1/0 for a condition, so it can be aggregated (and read as a number) on both backends."""
    return case((condition, 1), else_=0)


def _read(session: Session, query: Query, column: Any, ids: Sequence[int] | None) -> Columns:
    """The rows of `query` whose `column` is one of `ids` (in chunks); None: every row."""
    if ids is None:
        return read_columns(session, query)
    parts = [read_columns(session, query.where(column.in_(chunk))) for chunk in _chunks(ids)]
    names = [element.name for element in query.selected_columns]
    return {name: _concatenate([part[name] for part in parts]) for name in names}


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def read_columns(session: Session, query: Query, floats: Sequence[str] = ()) -> Columns:
    """The rows of `query` as one array per selected column: int64, or float64 for `floats`.
    The query must select no NULL (coalesce to a sentinel); its parameters are inlined (they
    are ids, codes and constants, never user text)."""
    connection = session.connection()
    names = _names(query)
    sql = _compiled(query, connection.dialect)
    driver: Any = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        columns = _copy_binary(driver, sql, names, floats)
    else:
        columns = fetch_rows(driver, sql, names, floats)
    return dict(zip(names, columns, strict=True))


def _names(query: Query) -> list[str]:
    return [element.name for element in query.selected_columns]


def _compiled(query: Query, dialect: Dialect) -> str:
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def fetch_rows(
    driver: Any, sql: str, names: Sequence[str], floats: Sequence[str] = ()
) -> list[NDArray[Any]]:
    """SQLite: a batch of rows at a time. Numbers read as float64 when any column is a float
    (exact for the integers kept here: ids, seconds and fen, all far below 2**53)."""
    dtype = np.float64 if floats else np.int64
    cursor = driver.cursor()
    cursor.execute(sql)
    parts: list[NDArray[Any]] = []
    while rows := cursor.fetchmany(BATCH):  # fromiter: 0.6x np.array(rows)'s time
        flat = np.fromiter(chain.from_iterable(rows), dtype=dtype, count=len(rows) * len(names))
        parts.append(flat.reshape(-1, len(names)).T.copy())
    cursor.close()
    return [
        _concatenate([part[index] for part in parts]).astype(
            np.float64 if name in floats else np.int64
        )
        for index, name in enumerate(names)
    ]


def _copy_binary(
    driver: Any, sql: str, names: Sequence[str], floats: Sequence[str]
) -> list[NDArray[Any]]:
    """PostgreSQL: `COPY (…) TO STDOUT (FORMAT BINARY)`. With every column a non-null 8-byte
    number, each row is a fixed-size record (field count, then length + value per field)."""
    fields = ", ".join(
        f"CAST(q.{name} AS {'DOUBLE PRECISION' if name in floats else 'BIGINT'})" for name in names
    )
    record = np.dtype(
        [("count", ">i2")]
        + [
            item
            for index, name in enumerate(names)
            for item in ((f"size{index}", ">i4"), (name, ">f8" if name in floats else ">i8"))
        ]
    )
    parts: list[list[NDArray[Any]]] = []  # columns of each block, native byte order
    buffer = bytearray()
    header = True
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY (SELECT {fields} FROM ({sql}) AS q) TO STDOUT (FORMAT BINARY)") as copy,
    ):
        for block in copy:
            buffer += block
            if header and len(buffer) >= 19:
                if bytes(buffer[:11]) != COPY_SIGNATURE:
                    raise RuntimeError("unexpected COPY BINARY header")
                del buffer[: 19 + int.from_bytes(buffer[15:19], "big")]
                header = False
            if not header and len(buffer) >= COPY_BLOCK:
                parts.append(_columns(_records(buffer, record), names, floats))
    parts.append(_columns(_records(buffer, record), names, floats))
    if bytes(buffer) not in (b"\xff\xff", b""):
        raise RuntimeError("unexpected COPY BINARY trailer")
    columns = []
    for index in range(len(names)):  # one column at a time, freeing the blocks' copies
        columns.append(np.concatenate([part[index] for part in parts]))
        for part in parts:
            part[index] = part[index][:0]
    return columns


def _columns(records: NDArray[Any], names: Sequence[str], floats: Sequence[str]) -> list[Any]:
    """The columns of a block of COPY records, checked non-null and 8 bytes wide."""
    if records.size and not all((records[f"size{i}"] == 8).all() for i in range(len(names))):
        raise RuntimeError("COPY BINARY: a column is NULL or not 8 bytes wide")
    return [records[name].astype(np.float64 if name in floats else np.int64) for name in names]


def _records(buffer: bytearray, record: np.dtype[Any]) -> NDArray[Any]:
    """Take the whole records at the front of `buffer` out of it (the trailer is shorter)."""
    count = len(buffer) // record.itemsize
    records = np.frombuffer(buffer, dtype=record, count=count).copy()
    del buffer[: count * record.itemsize]
    return records


def _concatenate(parts: list[NDArray[Any]]) -> NDArray[Any]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def float_column(expression: Any) -> Any:
    """A nullable float column for `read_columns(floats=…)`: NULL reads as -1."""
    return func.coalesce(cast(expression, Float), -1.0)
