"""Alembic environment: migrates the connection ``Database.migrate`` hands over.

Run from the ``alembic`` command (developers writing revisions), it connects to ``-x url=...`` or
``$LANESCREEN_DATABASE_URL`` instead.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, create_engine

from lanescreen.store.db import UTCDateTime
from lanescreen.store.models import Base


def _render_item(kind: str, obj: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Render the app's UTC type as the plain column type, so revisions never import the app."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_item=_render_item,
        # SQLite alters tables by copying them; batch mode lets later revisions do that.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "LANESCREEN_DATABASE_URL"
    )
    if not url:
        raise SystemExit("give the database: alembic -x url=... or LANESCREEN_DATABASE_URL")
    return url


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _migrate(connection)
        return
    engine = create_engine(_url())
    try:
        with engine.begin() as own:
            _migrate(own)
    finally:
        engine.dispose()


run()
