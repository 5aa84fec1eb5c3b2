"""Merchant settings edited in the console (contact policy, lifecycle thresholds), and the
dashboard's kept KPIs.

Revision ID: 0006_console
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision = "0006_console"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merchant_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_merchant_settings")),
    )
    op.create_table(
        "kpi_snapshots",
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("computed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("period_from", "period_to", name=op.f("pk_kpi_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("kpi_snapshots")
    op.drop_table("merchant_settings")
