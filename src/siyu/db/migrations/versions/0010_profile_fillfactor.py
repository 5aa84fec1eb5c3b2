"""PostgreSQL: leave 15 % of each customer_profiles page free, so that an incremental refresh's
re-scored profiles (RFM moves of ~33,000 rows at 1M customers) are updated in place (HOT: no
new entry in each of the table's nine indexes). Measured on that update: 3.0 s → 1.2 s. The
table's pages are written with the free space from the next full refresh on. SQLite updates
rows in place and has no such setting.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FILLFACTOR = 85


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE customer_profiles SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE customer_profiles RESET (fillfactor)")
