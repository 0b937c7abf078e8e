"""Face subjects and their templates; the journal records enrolments; decisions keep a face chip.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
OLD_ACTIONS = "action IN ('create', 'add', 'update', 'remove', 'import')"
NEW_ACTIONS = "action IN ('create', 'add', 'update', 'remove', 'import', 'enrol')"


def upgrade() -> None:
    op.create_table(
        "face_subjects",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("watchlist_id", sa.String(36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("plates", sa.JSON(), nullable=False),
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
        sa.CheckConstraint("priority BETWEEN 0 AND 100", name=op.f("ck_face_subjects_priority")),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_face_subjects_watchlist_id_watchlists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_subjects")),
    )
    op.create_index(
        "ix_face_subjects_watchlist_name", "face_subjects", ["watchlist_id", "name", "id"]
    )
    op.create_table(
        "face_templates",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("embedder", sa.String(64), nullable=False),
        sa.Column("camera_type", sa.String(16), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("eye_distance_px", sa.Float(), nullable=False),
        sa.Column("sharpness", sa.Float(), nullable=False),
        sa.Column("chip_jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["face_subjects.id"],
            name=op.f("fk_face_templates_subject_id_face_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_templates")),
    )
    op.create_index(op.f("ix_face_templates_subject_id"), "face_templates", ["subject_id"])
    with op.batch_alter_table("watchlist_changes") as batch:
        batch.add_column(sa.Column("subject_id", sa.String(36), nullable=True))
        batch.create_foreign_key(
            op.f("fk_watchlist_changes_subject_id_face_subjects"),
            "face_subjects",
            ["subject_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_watchlist_changes_subject_id"), ["subject_id"])
        batch.drop_constraint(op.f("ck_watchlist_changes_action"), type_="check")
        batch.create_check_constraint(op.f("ck_watchlist_changes_action"), NEW_ACTIONS)
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("face_chip_jpeg", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("face_chip_jpeg")
    with op.batch_alter_table("watchlist_changes") as batch:
        batch.drop_constraint(op.f("ck_watchlist_changes_action"), type_="check")
        batch.create_check_constraint(op.f("ck_watchlist_changes_action"), OLD_ACTIONS)
        batch.drop_index(op.f("ix_watchlist_changes_subject_id"))
        batch.drop_constraint(
            op.f("fk_watchlist_changes_subject_id_face_subjects"), type_="foreignkey"
        )
        batch.drop_column("subject_id")
    op.drop_table("face_templates")
    op.drop_table("face_subjects")
