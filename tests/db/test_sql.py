"""`epoch_seconds` reads a stored timestamp as whole seconds since 1970 on both backends, and
SQLite's two spellings of it (`unixepoch`, `strftime('%s')`) agree on every stored form."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from siyu.commerce.tables import Order
from siyu.db.engine import transaction
from siyu.db.sql import epoch_seconds, sqlite_epoch_sql
from siyu.ingest.bulk import sqlite_time
from tests.builders import make_order, make_shop

HAS_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


def test_epoch_seconds_of_stored_order_times(engine: Engine) -> None:
    moments = [
        datetime(2026, 6, 30, 15, 59, 59, tzinfo=UTC),
        datetime(2024, 2, 29, 0, 0, 0, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
    ]
    with transaction(engine) as session:
        shop = make_shop(session)
        for moment in moments:
            make_order(session, shop=shop, ordered_at=moment, lines=0)
        seconds = session.scalars(select(epoch_seconds(Order.ordered_at)).order_by(Order.id))
        assert list(seconds) == [int(moment.timestamp()) for moment in moments]


@pytest.mark.skipif(not HAS_UNIXEPOCH, reason="this SQLite has no unixepoch (before 3.38)")
@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.booleans(),
)
def test_sqlites_two_spellings_agree(moment: datetime, whole: bool) -> None:
    moment = moment.replace(microsecond=0) if whole else moment
    stored = sqlite_time(moment.replace(tzinfo=UTC))
    connection = sqlite3.connect(":memory:")
    fast = connection.execute(f"SELECT {sqlite_epoch_sql('?')}", (stored,)).fetchone()[0]
    slow = connection.execute("SELECT CAST(strftime('%s', ?) AS INTEGER)", (stored,)).fetchone()
    assert fast == slow[0]
    if whole:
        assert fast == int((moment - datetime(1970, 1, 1)) / timedelta(seconds=1))
