"""Watchlist governance: case numbers, two-person approval of plate entries and face subjects.

Existing entries and subjects become ``active`` (they were matched before), with no case number;
``updated_by`` is taken from the journal (the last add, update, import or enrolment), else the
creator. The journal learns the ``approve`` and ``reject`` actions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
STATUS_CHECK = "status IN ('active', 'pending', 'rejected')"
OLD_ACTIONS = "action IN ('create', 'add', 'update', 'remove', 'import', 'enrol')"
NEW_ACTIONS = (
    "action IN ('create', 'add', 'update', 'remove', 'import', 'enrol', 'approve', 'reject')"
)
_TABLES = (("plate_entries", "entry_id"), ("face_subjects", "subject_id"))
_NEW_COLUMNS = ("case_number", "updated_by", "status", "reviewed_by", "reviewed_at", "review_note")


def upgrade() -> None:
    for table, journal_key in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("case_number", sa.Text(), nullable=True))
            batch.add_column(sa.Column("updated_by", sa.String(200), nullable=True))
            batch.add_column(sa.Column("status", sa.String(8), nullable=True))
            batch.add_column(sa.Column("reviewed_by", sa.String(200), nullable=True))
            batch.add_column(sa.Column("reviewed_at", UTC_DATETIME, nullable=True))
            batch.add_column(sa.Column("review_note", sa.Text(), nullable=True))
        op.execute(
            f"UPDATE {table} SET case_number = '', status = 'active', updated_by = COALESCE("
            f"(SELECT c.actor FROM watchlist_changes c WHERE c.{journal_key} = {table}.id "
            "AND c.action IN ('add', 'update', 'import', 'enrol') ORDER BY c.id DESC LIMIT 1), "
            "created_by)"
        )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("case_number", existing_type=sa.Text(), nullable=False)
            batch.alter_column("updated_by", existing_type=sa.String(200), nullable=False)
            batch.alter_column("status", existing_type=sa.String(8), nullable=False)
            batch.create_check_constraint(op.f(f"ck_{table}_status"), STATUS_CHECK)
    with op.batch_alter_table("watchlist_changes") as batch:
        batch.drop_constraint(op.f("ck_watchlist_changes_action"), type_="check")
        batch.create_check_constraint(op.f("ck_watchlist_changes_action"), NEW_ACTIONS)


def downgrade() -> None:
    # Refused rather than lossy: before 0006 every listing matched, and the journal is evidence.
    bind = op.get_bind()
    waiting = sum(
        bind.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE status <> 'active'")).scalar_one()
        for table, _ in _TABLES
    )
    reviews = bind.execute(
        sa.text("SELECT COUNT(*) FROM watchlist_changes WHERE action IN ('approve', 'reject')")
    ).scalar_one()
    if waiting or reviews:
        raise RuntimeError(
            f"cannot downgrade below 0006: {waiting} listings are pending or rejected (they would "
            f"match) and {reviews} journal rows record approvals or rejections"
        )
    with op.batch_alter_table("watchlist_changes") as batch:
        batch.drop_constraint(op.f("ck_watchlist_changes_action"), type_="check")
        batch.create_check_constraint(op.f("ck_watchlist_changes_action"), OLD_ACTIONS)
    for table, _ in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_status"), type_="check")
            for column in _NEW_COLUMNS:
                batch.drop_column(column)
