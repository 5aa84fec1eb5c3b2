"""Merge the four capability branches (campaigns, console settings, jobs, journeys) developed in
parallel from 0005 into one head. No schema change.

Revision ID: 0007
Revises: 0006_campaigns, 0006_console, 0006_jobs, 0006_journeys
Create Date: 2026-12-07
"""

from __future__ import annotations

revision = "0007"
down_revision = ("0006_campaigns", "0006_console", "0006_jobs", "0006_journeys")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
