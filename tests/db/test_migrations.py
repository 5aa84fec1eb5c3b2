"""The migrations build exactly the schema the models describe, forwards and backwards."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, inspect

from siyu.db.engine import make_engine
from siyu.db.migrate import current_revision, downgrade, head_revision, upgrade
from siyu.db.schema import metadata


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
