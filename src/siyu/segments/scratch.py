"""A temporary table of customer ids on the session's connection, for set-based steps that
would otherwise evaluate the same audience several times."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import BigInteger, Column, MetaData, Table, delete, insert, text
from sqlalchemy.orm import Session

SCRATCH = Table(
    "siyu_customer_scratch",
    MetaData(),
    Column("customer_id", BigInteger, primary_key=True),
    prefixes=["TEMPORARY"],
)
_CREATE = text(
    "CREATE TEMPORARY TABLE IF NOT EXISTS siyu_customer_scratch "
    "(customer_id BIGINT NOT NULL PRIMARY KEY)"
)
CHUNK = 5_000


@contextmanager
def scratch(session: Session) -> Iterator[Table]:
    """An empty scratch table for the block, emptied after it. (After an error the transaction
    rolls back, and the rows with it.)"""
    session.execute(_CREATE)
    session.execute(delete(SCRATCH))
    yield SCRATCH
    session.execute(delete(SCRATCH))


def fill(session: Session, table: Table, customer_ids: Sequence[int]) -> None:
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        session.execute(insert(table), [{"customer_id": customer_id} for customer_id in chunk])
