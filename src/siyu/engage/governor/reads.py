"""What the governor reads from the store, each as one set-based query returning arrays.

Local days are computed in SQL as whole days since the Unix epoch after adding the merchant
zone's UTC offset at the start of the horizon (exact for zones without daylight saving, such as
Asia/Shanghai; within an hour around a DST change otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session

from siyu.accounts.tables import CustomerGroup, StaffAccount, WecomContact
from siyu.customers.tables import Customer, CustomerIdentity
from siyu.db.sql import epoch_seconds
from siyu.engage.tables import ContactHours, OutboxMessage

Int = NDArray[np.int64]
LIVE_STATES = ("planned", "queued", "sending", "sent", "delivered")
LARGE = 5_000  # beyond this many customers, read whole tables rather than IN lists


@dataclass(frozen=True, slots=True)
class DayLoads:
    customer: Int  # -1 for a group recipient
    recipient: list[str | None]
    channel: NDArray[np.str_]
    day: Int
    count: Int


def local_day(column: Any, offset_seconds: int) -> Any:
    return (epoch_seconds(column) + literal(offset_seconds)) // literal(86_400)


def day_loads(session: Session, *, start: datetime, end: datetime, offset_seconds: int) -> DayLoads:
    """Capped messages already planned or sent, per recipient, channel and local day."""
    day = local_day(OutboxMessage.scheduled_at, offset_seconds)
    rows = session.execute(
        select(
            OutboxMessage.customer_id,
            OutboxMessage.recipient,
            OutboxMessage.channel,
            day,
            func.count(),
        )
        .where(
            OutboxMessage.state.in_(LIVE_STATES),
            OutboxMessage.purpose != "service",
            OutboxMessage.scheduled_at >= start,
            OutboxMessage.scheduled_at < end,
        )
        .group_by(OutboxMessage.customer_id, OutboxMessage.recipient, OutboxMessage.channel, day)
    ).all()
    return DayLoads(
        customer=np.array([-1 if r[0] is None else r[0] for r in rows], dtype=np.int64),
        recipient=[None if r[0] is not None else r[1] for r in rows],
        channel=np.array([r[2] for r in rows], dtype=str),
        day=np.array([r[3] for r in rows], dtype=np.int64),
        count=np.array([r[4] for r in rows], dtype=np.int64),
    )


def staff_loads(
    session: Session, *, start: datetime, end: datetime, offset_seconds: int
) -> list[tuple[str, int, int]]:
    """WeCom 1:1 messages per sender and local day: (sender, day, count)."""
    day = local_day(OutboxMessage.scheduled_at, offset_seconds)
    rows = session.execute(
        select(OutboxMessage.sender, day, func.count())
        .where(
            OutboxMessage.state.in_(LIVE_STATES),
            OutboxMessage.channel == "wecom",
            OutboxMessage.customer_id.is_not(None),
            OutboxMessage.sender.is_not(None),
            OutboxMessage.scheduled_at >= start,
            OutboxMessage.scheduled_at < end,
        )
        .group_by(OutboxMessage.sender, day)
    ).all()
    return [(str(sender), int(day_), int(count)) for sender, day_, count in rows]


def last_identical(
    session: Session, *, hashes: Sequence[str], since: datetime
) -> list[tuple[int, str, datetime]]:
    """(customer, content hash, latest slot) of identical content already planned or sent."""
    latest = func.max(OutboxMessage.scheduled_at)
    rows = session.execute(
        select(OutboxMessage.customer_id, OutboxMessage.content_hash, latest)
        .where(
            OutboxMessage.content_hash.in_(sorted(set(hashes))),
            OutboxMessage.state.in_(LIVE_STATES),
            OutboxMessage.customer_id.is_not(None),
            OutboxMessage.scheduled_at >= since,
        )
        .group_by(OutboxMessage.customer_id, OutboxMessage.content_hash)
    ).all()
    return [(int(c), str(h), at) for c, h, at in rows if c is not None and at is not None]


def _restricted(query: Any, column: Any, ids: Int) -> Any:
    if ids.size <= LARGE:
        return query.where(column.in_(np.unique(ids).tolist()))
    return query.where(column.between(int(ids.min()), int(ids.max())))


def _ints(session: Session, query: Any) -> Int:
    """One integer column, sorted and unique, read through the driver (a million ids is a
    common request; the ORM's per-row work would dominate)."""
    compiled = query.compile(bind=session.get_bind(), compile_kwargs={"render_postcompile": True})
    driver = session.connection().connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    params = compiled.params
    if compiled.positiontup is not None:
        cursor.execute(str(compiled), tuple(params[name] for name in compiled.positiontup))
    else:
        cursor.execute(str(compiled), params)
    values = np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
    cursor.close()
    values.sort()
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if values.size else values


def customer_ids(session: Session, ids: Int) -> Int:
    """The ids among `ids` (and, for a large request, around them) that are customers."""
    return _ints(session, _restricted(select(Customer.id), Customer.id, ids))


def merged_customers(session: Session) -> Int:
    return _ints(session, select(Customer.id).where(Customer.merged_into_id.is_not(None)))


def keys_of_source(session: Session, source: str) -> list[str]:
    """Idempotency keys already planned for `source`."""
    query = select(OutboxMessage.idempotency_key).where(OutboxMessage.source == source)
    return list(session.connection().execute(query).scalars().all())


def customers_with_identity(session: Session, kind: str, ids: Int) -> Int:
    query = _restricted(
        select(CustomerIdentity.customer_id).where(
            CustomerIdentity.kind == kind, CustomerIdentity.is_strong
        ),
        CustomerIdentity.customer_id,
        ids,
    )
    return _ints(session, query)


def wecom_senders(session: Session, ids: Int) -> tuple[Int, list[str]]:
    """Each customer's active WeCom contact's staff userid (the latest added), sorted by id."""
    query = _restricted(
        select(WecomContact.customer_id, StaffAccount.userid)
        .join(StaffAccount, StaffAccount.id == WecomContact.staff_id)
        .where(WecomContact.removed_at.is_(None), WecomContact.customer_id.is_not(None))
        .order_by(WecomContact.customer_id, WecomContact.added_at, WecomContact.id),
        WecomContact.customer_id,
        ids,
    )
    latest: dict[int, str] = {int(c): str(u) for c, u in session.execute(query)}
    customers = np.array(sorted(latest), dtype=np.int64)
    return customers, [latest[int(c)] for c in customers]


def group_owners(session: Session, chat_ids: Sequence[str]) -> dict[str, str]:
    """Live customer groups' owners (the sender of a group mass message)."""
    rows = session.execute(
        select(CustomerGroup.chat_id, StaffAccount.userid)
        .join(StaffAccount, StaffAccount.id == CustomerGroup.owner_staff_id)
        .where(
            and_(
                CustomerGroup.chat_id.in_(sorted(set(chat_ids))),
                CustomerGroup.dismissed_at.is_(None),
            )
        )
    ).all()
    return {str(chat): str(owner) for chat, owner in rows}


def best_hours(session: Session, ids: Int) -> tuple[Int, Int]:
    query = _restricted(
        select(ContactHours.customer_id, ContactHours.best_hour), ContactHours.customer_id, ids
    )
    rows = session.execute(query.order_by(ContactHours.customer_id)).all()
    return (
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
    )


def lookup(keys: Int, values: NDArray[Any], wanted: Int, missing: object) -> NDArray[Any]:
    """values[keys == wanted] for each wanted (keys sorted), else `missing`."""
    result = np.full(wanted.size, missing, dtype=values.dtype if values.size else object)
    if keys.size == 0:
        return result
    position = np.clip(np.searchsorted(keys, wanted), 0, keys.size - 1)
    found = keys[position] == wanted
    result[found] = values[position[found]]
    return result


def has(keys: Int, wanted: Int) -> NDArray[np.bool_]:
    """Whether each wanted value is among `keys` (sorted)."""
    if keys.size == 0:
        return np.zeros(wanted.size, dtype=bool)
    position = np.clip(np.searchsorted(keys, wanted), 0, keys.size - 1)
    return np.asarray(keys[position] == wanted)
