"""customer_profiles and stage_transitions without their foreign key to customers.

Both tables are derived: `siyu refresh` writes every row of them, from the customers it has
just read in the same transaction, and no code path deletes a customer (a merge keeps the
merged-away row). The key guarded nothing the refresh does not already guarantee, and its check
ran once per row written: on PostgreSQL a look-up and a row lock on `customers` for each of the
~4M rows (1M profiles, 3M timeline steps) a full refresh writes at 1M customers — 26 s of the
35 s it took to insert the timeline (measured with the key's triggers disabled, 2026-12-07).

SQLite cannot drop a constraint in place: the two tables are copied (batch mode), indexes
included.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KEYS = (
    ("customer_profiles", "fk_customer_profiles_customer_id_customers"),
    ("stage_transitions", "fk_stage_transitions_customer_id_customers"),
)


def upgrade() -> None:
    for table, name in KEYS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, name in KEYS:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(name, "customers", ["customer_id"], ["id"])
