"""The migrations build exactly the schema the models describe, forwards and backwards."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, inspect, text
from sqlalchemy.exc import IntegrityError

from siyu.db.engine import make_engine
from siyu.db.migrate import current_revision, downgrade, head_revision, upgrade
from siyu.db.schema import metadata

NOW = {"now": "2026-01-01 00:00:00"}
PROFILE = text(
    "INSERT INTO customer_profiles (customer_id, orders, purchase_days, items, net_revenue_fen,"
    " aov_fen, by_platform, by_shop, category_scores, has_value_behaviour, reachable,"
    " deleted_staff, order_stage, stage) VALUES (:id, 1, 1, 1, 100, 100, '{}', '{}', '{}',"
    " false, false, false, 'first_order', 'first_order')"
)
STEP = text(
    "INSERT INTO stage_transitions (customer_id, to_stage, changed_on)"
    " VALUES (:id, 'first_order', '2026-01-01')"
)


def schema_diff(engine: Engine, target: MetaData) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, target))


def test_upgrade_downgrade_upgrade_round_trips(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert current_revision(engine) == head_revision()
    assert {"customers", "orders", "customer_identities", "behaviour_events"} <= tables

    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == tables
    assert schema_diff(engine, metadata()) == []
    engine.dispose()


def test_models_and_migrations_agree(engine: Engine) -> None:
    assert schema_diff(engine, metadata()) == []


def test_drift_check_notices_a_column_missing_from_migrations(engine: Engine) -> None:
    drifted = MetaData()
    for table in metadata().sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["customers"].append_column(Column("shoe_size", Integer))
    diff = schema_diff(engine, drifted)
    assert [(entry[0], entry[3].name) for entry in diff] == [("add_column", "shoe_size")]


@pytest.mark.parametrize("table", ["orders", "customer_identities", "behaviour_events"])
def test_query_indexes_exist(engine: Engine, table: str) -> None:
    indexed = {tuple(index["column_names"]) for index in inspect(engine).get_indexes(table)}
    wanted = {
        # a customer's history, covering what profiles read (no table row per order)
        "orders": (
            "customer_id",
            "ordered_at",
            "id",
            "paid_fen",
            "refunded_fen",
            "status",
            "shop_id",
        ),
        "customer_identities": ("kind", "scope", "value"),
        "behaviour_events": ("customer_id", "event_type", "occurred_at"),
    }[table]
    assert wanted in indexed


def test_profiles_leave_room_for_in_place_updates_on_postgresql(engine: Engine) -> None:
    """An incremental refresh re-scores tens of thousands of profiles: with free space on each
    page PostgreSQL updates them in place (HOT) instead of adding an entry to every index."""
    options = inspect(engine).get_table_options("customer_profiles")
    if engine.dialect.name == "postgresql":
        assert options["postgresql_with"] == {"fillfactor": "85"}
    else:
        assert "postgresql_with" not in options


def test_derived_tables_lose_their_customer_keys_and_keep_rows_and_partial_indexes(
    empty_db_url: str,
) -> None:
    """0011 drops the foreign keys of the two tables a refresh derives (SQLite by copying
    the tables): their rows stay, the rank indexes stay partial, and a profile of an id
    with no customer row is no longer refused."""
    engine = make_engine(empty_db_url)
    upgrade(engine, "0010")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO customers (id, created_at, updated_at) VALUES (1, :now, :now)"), NOW
        )
        connection.execute(PROFILE, {"id": 1})
        connection.execute(STEP, {"id": 1})
        with pytest.raises(IntegrityError), connection.begin_nested():
            connection.execute(PROFILE, {"id": 2})
    upgrade(engine)
    inspector = inspect(engine)
    for table in ("customer_profiles", "stage_transitions"):
        assert inspector.get_foreign_keys(table) == []
    with engine.begin() as connection:
        assert connection.scalar(text("SELECT stage FROM customer_profiles")) == "first_order"
        assert connection.scalar(text("SELECT to_stage FROM stage_transitions")) == "first_order"
        connection.execute(PROFILE, {"id": 2})
    assert partial_rank_indexes(engine) == RANK_INDEX_NAMES
    engine.dispose()


RANK_INDEX_NAMES = [f"ix_customer_profiles_rank_{name}" for name in "fmr"]


def partial_rank_indexes(engine: Engine) -> list[str]:
    """The profile table's rank indexes that are partial (have a WHERE), by name."""
    return sorted(
        index["name"]
        for index in inspect(engine).get_indexes("customer_profiles")
        if index["name"].startswith("ix_customer_profiles_rank_")
        and index["dialect_options"].get(f"{engine.dialect.name}_where") is not None
    )
