"""The store behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, StatementError

from siyu.commerce.tables import Order
from siyu.customers.tables import CustomerIdentity
from siyu.db.engine import transaction
from siyu.db.types import UTCDateTime
from tests.builders import make_customer, make_order, make_shop

SHANGHAI = timezone(timedelta(hours=8))


def test_timestamps_round_trip_aware_in_utc(engine: Engine) -> None:
    ordered_at = datetime(2026, 11, 11, 0, 0, 5, tzinfo=SHANGHAI)
    with transaction(engine) as session:
        order = make_order(session, shop=make_shop(session), ordered_at=ordered_at)
        order_id = order.id
    with transaction(engine) as session:
        stored = session.get_one(Order, order_id).ordered_at
    assert stored == ordered_at
    assert stored.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), transaction(engine) as session:
        make_order(session, shop=make_shop(session), ordered_at=datetime(2026, 1, 1))


def test_money_is_exact_integer_fen(engine: Engine) -> None:
    with transaction(engine) as session:
        order = make_order(session, shop=make_shop(session), paid_fen=2**40 + 1, refunded_fen=1)
        order_id = order.id
    with transaction(engine) as session:
        stored = session.get_one(Order, order_id)
        assert (stored.paid_fen, stored.refunded_fen) == (2**40 + 1, 1)


def test_a_strong_key_points_at_one_customer_only(engine: Engine) -> None:
    with transaction(engine) as session:
        make_customer(session, phone="+8613800000001")
    with pytest.raises(IntegrityError), transaction(engine) as session:
        make_customer(session, phone="+8613800000001")


def test_weak_keys_may_repeat(engine: Engine) -> None:
    with transaction(engine) as session:
        for _ in range(2):
            customer = make_customer(session)
            session.add(
                CustomerIdentity(
                    customer_id=customer.id,
                    kind="masked_phone",
                    value="138****1234",
                    is_strong=False,
                )
            )
    with transaction(engine) as session:
        count = len(session.scalars(select(CustomerIdentity.id)).all())
    assert count == 2


def test_an_order_id_is_unique_within_its_shop_only(engine: Engine) -> None:
    with transaction(engine) as session:
        tmall, jd = make_shop(session, platform="tmall"), make_shop(session, platform="jd")
        first = make_order(session, shop=tmall)
        twin = make_order(session, shop=jd)
        twin.platform_order_id = first.platform_order_id
    with transaction(engine) as session:
        duplicate = Order(
            shop_id=tmall.id,
            platform_order_id=first.platform_order_id,
            status="paid",
            ordered_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_unknown_status_is_refused_by_the_database(engine: Engine) -> None:
    with pytest.raises(IntegrityError), transaction(engine) as session:
        make_order(session, shop=make_shop(session), status="lost_in_post")


@settings(max_examples=30, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_any_aware_timestamp_round_trips_on_sqlite(moment: datetime, offset_minutes: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    column_type = UTCDateTime()
    dialect = sqlite.dialect()
    stored = column_type.process_bind_param(local, dialect)
    assert stored is not None
    back = column_type.process_result_value(stored.isoformat(sep=" "), dialect)
    assert back == local
