"""Journeys: definitions, enrolments (unique per journey, customer and trigger occurrence), the
step log, staff tasks, and optional customer attributes (a birthday).

Revision ID: 0006_journeys
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0006_journeys"
down_revision = "0005"
branch_labels = None
depends_on = None


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("holdout_share", sa.Float(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("watermark_at", TIMESTAMP, nullable=True),
        sa.Column("enabled_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'enabled', 'disabled')", name=op.f("ck_journeys_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journeys")),
        sa.UniqueConstraint("name", name=op.f("uq_journeys_name")),
    )
    op.create_table(
        "journey_enrolments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("occurrence", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("enrolled_at", TIMESTAMP, nullable=False),
        sa.Column("holdout", sa.Boolean(), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("next_at", TIMESTAMP, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("exit_reason", sa.String(length=32), nullable=True),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "state IN ('active', 'exited', 'completed')", name=op.f("ck_journey_enrolments_state")
        ),
        _fk("journey_enrolments", "journey_id", "journeys", "CASCADE"),
        _fk("journey_enrolments", "customer_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_enrolments")),
        sa.UniqueConstraint(
            "journey_id",
            "customer_id",
            "occurrence",
            name=op.f("uq_journey_enrolments_journey_id_customer_id_occurrence"),
        ),
    )
    op.create_index(
        op.f("ix_journey_enrolments_customer_id"), "journey_enrolments", ["customer_id"]
    )
    op.create_index(
        "ix_journey_enrolments_journey_id_state_next_at",
        "journey_enrolments",
        ["journey_id", "state", "next_at"],
    )
    op.create_table(
        "journey_step_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("enrolment_id", ID, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        _fk("journey_step_log", "journey_id", "journeys", "CASCADE"),
        _fk("journey_step_log", "enrolment_id", "journey_enrolments", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_step_log")),
        sa.UniqueConstraint(
            "enrolment_id", "step", name=op.f("uq_journey_step_log_enrolment_id_step")
        ),
    )
    op.create_table(
        "staff_tasks",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("journey_id", ID, nullable=True),
        sa.Column("enrolment_id", ID, nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("done_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("state IN ('open', 'done')", name=op.f("ck_staff_tasks_state")),
        _fk("staff_tasks", "journey_id", "journeys", "SET NULL"),
        _fk("staff_tasks", "enrolment_id", "journey_enrolments", "SET NULL"),
        _fk("staff_tasks", "customer_id", "customers"),
        _fk("staff_tasks", "staff_id", "staff_accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_tasks")),
        sa.UniqueConstraint("enrolment_id", "step", name=op.f("uq_staff_tasks_enrolment_id_step")),
    )
    op.create_index(op.f("ix_staff_tasks_customer_id"), "staff_tasks", ["customer_id"])
    op.create_index("ix_staff_tasks_staff_id_state", "staff_tasks", ["staff_id", "state"])
    op.create_table(
        "customer_attributes",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _fk("customer_attributes", "customer_id", "customers"),
        sa.PrimaryKeyConstraint("customer_id", "name", name=op.f("pk_customer_attributes")),
    )


def downgrade() -> None:
    op.drop_table("customer_attributes")
    op.drop_index("ix_staff_tasks_staff_id_state", table_name="staff_tasks")
    op.drop_index(op.f("ix_staff_tasks_customer_id"), table_name="staff_tasks")
    op.drop_table("staff_tasks")
    op.drop_table("journey_step_log")
    op.drop_index("ix_journey_enrolments_journey_id_state_next_at", table_name="journey_enrolments")
    op.drop_index(op.f("ix_journey_enrolments_customer_id"), table_name="journey_enrolments")
    op.drop_table("journey_enrolments")
    op.drop_table("journeys")
