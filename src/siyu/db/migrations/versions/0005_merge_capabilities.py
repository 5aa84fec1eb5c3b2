"""Merge the four capability branches (security, segments, loyalty, engage) developed in
parallel from 0003 into one head. No schema change.

Revision ID: 0005
Revises: 0004_engage, 0004_loyalty, 0004_security, 0004_segments
Create Date: 2026-11-22
"""

from __future__ import annotations

revision = "0005"
down_revision = ("0004_engage", "0004_loyalty", "0004_security", "0004_segments")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
