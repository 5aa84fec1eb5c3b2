"""Scheduled jobs: `job_runs` keeps each job's last start, finish, status and error, and is
what several workers claim a due job on (one conditional UPDATE per job).

Revision ID: 0006_jobs
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0006_jobs"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_started_at", TIMESTAMP, nullable=True),
        sa.Column("last_finished_at", TIMESTAMP, nullable=True),
        sa.Column("runner", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('never', 'running', 'ok', 'failed')", name=op.f("ck_job_runs_status")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
