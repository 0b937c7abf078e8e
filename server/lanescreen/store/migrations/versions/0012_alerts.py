"""Alerts: one hit-log row per passage, updated as its frames come; every frame in the frame log.

A vehicle in 30 frames of video made 30 HIT rows for an officer to confirm one by one. The hit
log (``decisions``) now holds one row per passage (an alert: frame count, last frame, when it
ended, how good its evidence is); every frame's decision is logged minimally in ``clear_reads``
(now the frame log: outcome, frame, the alert it went to). Rows stored before are alerts of one
frame each.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clear_reads") as batch:
        batch.add_column(sa.Column("outcome", sa.String(8), nullable=False, server_default="CLEAR"))
        batch.add_column(sa.Column("frame_id", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("alert_id", sa.String(64), nullable=True))
        batch.create_index("ix_clear_reads_alert_id", ["alert_id"])
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("frame_count", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("last_frame_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("evidence_score", sa.Float(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        for column in ("evidence_score", "closed_at", "last_frame_at", "frame_count"):
            batch.drop_column(column)
    with op.batch_alter_table("clear_reads") as batch:
        batch.drop_index("ix_clear_reads_alert_id")
        for column in ("alert_id", "frame_id", "outcome"):
            batch.drop_column(column)
