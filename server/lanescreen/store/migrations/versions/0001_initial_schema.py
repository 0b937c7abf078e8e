"""Initial schema: watchlists, entries and their change journal; decisions, matches, CLEAR reads.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watchlists",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.CheckConstraint("kind IN ('deny', 'allow')", name=op.f("ck_watchlists_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlists")),
        sa.UniqueConstraint("name", name=op.f("uq_watchlists_name")),
    )
    op.create_table(
        "plate_entries",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("watchlist_id", sa.String(36), nullable=False),
        sa.Column("plate", sa.Text(), nullable=False),
        sa.Column("normalized_plate", sa.String(32), nullable=False),
        sa.Column("region", sa.Text(), nullable=False),
        sa.Column("match_mode", sa.String(8), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=True),
        sa.Column("removed_at", UTC_DATETIME, nullable=True),
        sa.Column("removed_by", sa.String(200), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "match_mode IN ('exact', 'lenient')", name=op.f("ck_plate_entries_match_mode")
        ),
        sa.CheckConstraint("priority BETWEEN 0 AND 100", name=op.f("ck_plate_entries_priority")),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_plate_entries_watchlist_id_watchlists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plate_entries")),
    )
    op.create_index(
        op.f("ix_plate_entries_normalized_plate"), "plate_entries", ["normalized_plate"]
    )
    op.create_index(
        "ix_plate_entries_watchlist_plate",
        "plate_entries",
        ["watchlist_id", "normalized_plate", "id"],
    )
    op.create_table(
        "watchlist_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("watchlist_id", sa.String(36), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "action IN ('create', 'add', 'update', 'remove', 'import')",
            name=op.f("ck_watchlist_changes_action"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["plate_entries.id"],
            name=op.f("fk_watchlist_changes_entry_id_plate_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_watchlist_changes_watchlist_id_watchlists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlist_changes")),
    )
    op.create_index(op.f("ix_watchlist_changes_entry_id"), "watchlist_changes", ["entry_id"])
    op.create_index("ix_watchlist_changes_watchlist", "watchlist_changes", ["watchlist_id", "id"])
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("lane_id", sa.Text(), nullable=False),
        sa.Column("frame_id", sa.Text(), nullable=False),
        sa.Column("camera", sa.String(16), nullable=False),
        sa.Column("passage_id", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("captured_at", UTC_DATETIME, nullable=False),
        sa.Column("decided_at", UTC_DATETIME, nullable=False),
        sa.Column("plate_text", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("budget_met", sa.Boolean(), nullable=False),
        sa.Column("total_ms", sa.Float(), nullable=False),
        sa.Column("plate_crop_jpeg", sa.LargeBinary(), nullable=True),
        sa.Column("frame_jpeg", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("outcome IN ('HIT', 'REVIEW')", name=op.f("ck_decisions_outcome")),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_decided_at"), "decisions", ["decided_at"])
    op.create_index("ix_decisions_lane_decided", "decisions", ["lane_id", "decided_at"])
    op.create_table(
        "decision_matches",
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("watchlist_id", sa.String(36), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.decision_id"],
            name=op.f("fk_decision_matches_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "decision_id", "watchlist_id", "entry_id", name=op.f("pk_decision_matches")
        ),
    )
    op.create_index(op.f("ix_decision_matches_entry_id"), "decision_matches", ["entry_id"])
    op.create_index(op.f("ix_decision_matches_watchlist_id"), "decision_matches", ["watchlist_id"])
    op.create_table(
        "clear_reads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lane_id", sa.Text(), nullable=False),
        sa.Column("plate_text", sa.Text(), nullable=False),
        sa.Column("decided_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clear_reads")),
    )
    op.create_index(op.f("ix_clear_reads_decided_at"), "clear_reads", ["decided_at"])


def downgrade() -> None:
    for table in (
        "clear_reads",
        "decision_matches",
        "decisions",
        "watchlist_changes",
        "plate_entries",
        "watchlists",
    ):
        op.drop_table(table)
