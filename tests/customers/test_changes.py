"""The incremental refresh's work list: a mark set again after a refresh read it survives."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.customers.changes import clear_changes, mark_changed, pending_changes
from siyu.db.engine import transaction
from siyu.ingest.bulk import Bulk, mark_customers_changed
from tests.builders import make_customer


def orm_mark(session: Session, ids: list[int]) -> None:
    mark_changed(session, ids)


def bulk_mark(session: Session, ids: list[int]) -> None:
    mark_customers_changed(Bulk(session), ids)


@pytest.mark.parametrize("mark", [orm_mark, bulk_mark], ids=["orm", "bulk"])
def test_a_refresh_clears_only_the_marks_still_as_it_read_them(
    engine: Engine, mark: Callable[[Session, list[int]], None]
) -> None:
    with transaction(engine) as session:
        a, b, c = (make_customer(session).id for _ in range(3))
        mark(session, [a, b])
    with transaction(engine) as session:
        read = pending_changes(session)  # what a refresh reads before the facts
    assert read == {a: 0, b: 0}
    with transaction(engine) as session:
        mark(session, [b, c])  # b again, and c for the first time, after that read
    with transaction(engine) as session:
        clear_changes(session, read)
    with transaction(engine) as session:
        assert pending_changes(session) == {b: 1, c: 0}
        clear_changes(session, pending_changes(session))
        assert pending_changes(session) == {}
