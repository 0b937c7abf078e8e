"""Index the change journal by list and version: nodes read what changed since the version
they hold (one edit on a list of a million entries must reach every node in milliseconds).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_watchlist_changes_version", "watchlist_changes", ["watchlist_id", "version"]
    )


def downgrade() -> None:
    op.drop_index("ix_watchlist_changes_version", table_name="watchlist_changes")
