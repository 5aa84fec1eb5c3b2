"""customer_changes.version: a mark remembers how often it was set since the last refresh.

A refresh reads the marks, then the marked customers' facts, then clears the marks. An import
that committed a customer's new order between those steps found the mark already there (one
row per customer) and left it as it was, so the refresh cleared a mark whose new facts it had
not read, and the order stayed out of the profile until a full refresh. Now every mark bumps
`version`, and a refresh clears only marks still at the version it read: one set after that
read survives to the next refresh.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "customer_changes",
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("customer_changes") as batch:
        batch.drop_column("version")
