"""Import runs with their rejected rows, and reversible OneID merges.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_merges",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kept_id", ID, nullable=False),
        sa.Column("merged_id", ID, nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("merged_at", TIMESTAMP, nullable=False),
        sa.Column("undone_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["kept_id"], ["customers.id"], name=op.f("fk_customer_merges_kept_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["customers.id"], name=op.f("fk_customer_merges_merged_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
    )
    with op.batch_alter_table("customer_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_merges_kept_id"), ["kept_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_customer_merges_merged_id"), ["merged_id"], unique=False
        )

    op.create_table(
        "import_runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("shop_id", ID, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("committed_line", sa.Integer(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "state IN ('running', 'completed', 'failed')", name=op.f("ck_import_runs_state")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_import_runs_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.create_index("ix_import_runs_fingerprint", ["file_sha256", "format"], unique=False)

    op.create_table(
        "import_rejects",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("import_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("is_warning", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_runs.id"],
            name=op.f("fk_import_rejects_import_id_import_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_rejects")),
        sa.UniqueConstraint(
            "import_id",
            "line_no",
            "is_warning",
            name=op.f("uq_import_rejects_import_id_line_no_is_warning"),
        ),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", ID, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_customers_merged_into_id"), ["merged_into_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_customers_merged_into_id_customers"),
            "customers",
            ["merged_into_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_customers_merged_into_id_customers"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_customers_merged_into_id"))
        batch_op.drop_column("merged_into_id")

    op.drop_table("import_rejects")
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_import_runs_fingerprint")

    op.drop_table("import_runs")
    with op.batch_alter_table("customer_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_merges_merged_id"))
        batch_op.drop_index(batch_op.f("ix_customer_merges_kept_id"))

    op.drop_table("customer_merges")
