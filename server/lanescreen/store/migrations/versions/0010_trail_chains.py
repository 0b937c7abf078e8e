"""A hash chain per node: audit-trail records carry their chain, each chain its own head.

Nodes of one site no longer queue on a single head row for every record they write; each
appends to its own chain (``storage.node_id``) and anchors its head in the shared ``site`` chain
from time to time. The records written so far form the ``site`` chain, which goes on from its
old head.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SITE = "site"


def upgrade() -> None:
    with op.batch_alter_table("audit_trail") as batch:
        batch.add_column(sa.Column("chain", sa.String(64), nullable=False, server_default=SITE))
        batch.drop_constraint(op.f("pk_audit_trail"), type_="primary")
        batch.create_primary_key(op.f("pk_audit_trail"), ["chain", "seq"])
    with op.batch_alter_table("audit_trail") as batch:
        batch.alter_column("chain", existing_type=sa.String(64), server_default=None)
    op.create_table(
        "audit_trail_heads",
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_trail_heads")),
    )
    op.execute(
        f"INSERT INTO audit_trail_heads (chain, seq, hash) "
        f"SELECT '{SITE}', seq, hash FROM audit_trail_head WHERE id = 1"
    )
    op.drop_table("audit_trail_head")


def downgrade() -> None:
    bind = op.get_bind()
    chains = bind.execute(sa.text("SELECT COUNT(DISTINCT chain) FROM audit_trail")).scalar_one()
    if chains > 1:
        raise RuntimeError(
            f"cannot downgrade below 0010: the trail holds {chains} chains, which one chain "
            "cannot hold without rewriting every hash"
        )
    op.create_table(
        "audit_trail_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_trail_head")),
    )
    op.execute(
        f"INSERT INTO audit_trail_head (id, seq, hash) "
        f"SELECT 1, seq, hash FROM audit_trail_heads WHERE chain = '{SITE}'"
    )
    op.drop_table("audit_trail_heads")
    with op.batch_alter_table("audit_trail") as batch:
        batch.drop_constraint(op.f("pk_audit_trail"), type_="primary")
        batch.create_primary_key(op.f("pk_audit_trail"), ["seq"])
        batch.drop_column("chain")
