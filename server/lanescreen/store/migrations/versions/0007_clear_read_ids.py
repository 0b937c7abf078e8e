"""CLEAR reads carry their decision id, unique, so a journal shipped twice stores each once.

Existing rows keep a null id (they were stored once, directly). The id is a random UUID the
lane already received; it says nothing of the vehicle.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clear_reads") as batch:
        batch.add_column(sa.Column("decision_id", sa.String(64), nullable=True))
        batch.create_unique_constraint(op.f("uq_clear_reads_decision_id"), ["decision_id"])


def downgrade() -> None:
    with op.batch_alter_table("clear_reads") as batch:
        batch.drop_constraint(op.f("uq_clear_reads_decision_id"), type_="unique")
        batch.drop_column("decision_id")
