"""The lane registry is the site's: one table every node serves its lanes from.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_lanes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("budget_ms", sa.Integer(), nullable=False),
        sa.Column("deny_lists", sa.JSON(), nullable=True),
        sa.Column("allow_lists", sa.JSON(), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("review_when_no_plate", sa.Boolean(), nullable=False),
        sa.Column("reader", sa.String(64), nullable=False),
        sa.Column("review_when_no_face", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("site_lanes")
