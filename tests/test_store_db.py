"""Opening the database: migration to head, the schema it builds, SQLite settings, clear errors."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from lanescreen.store.db import MIGRATIONS_DIR, Database, StoreError, UTCDateTime
from lanescreen.store.faces import FaceStore
from lanescreen.store.models import Base, FrameLogRow
from lanescreen.store.watchlists import WatchlistStore
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tests import store_fixtures

HEAD = "0012"
"""The newest migration."""


def test_migrated_schema_equals_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == HEAD


def test_aware_datetimes_round_trip_as_utc(database: Database) -> None:
    local = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    with database.write() as session:
        session.add(FrameLogRow(lane_id="l", plate_text="AB1", decided_at=local))
    with database.read() as session:
        stored = session.scalar(select(FrameLogRow.decided_at))
    assert stored == local
    assert stored is not None and stored.tzinfo == UTC
    assert stored.hour == 7


def test_sqlite_file_is_created_with_its_directory_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "lanescreen.db"
    with Database.open(f"sqlite:///{path}") as db:
        assert path.exists()
        with db.engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL: a decision is on disk when record() returns
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }


def test_reopening_a_migrated_database_keeps_its_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with Database.open(url) as db, db.write() as session:
        session.add(FrameLogRow(lane_id="l", plate_text="AB1", decided_at=datetime.now(UTC)))
    with Database.open(url) as db, db.read() as session:
        assert session.scalar(select(FrameLogRow.plate_text)) == "AB1"


@pytest.mark.parametrize("database_url", store_fixtures.BACKENDS, indirect=True)
def test_concurrent_openers_of_a_new_database_migrate_once(database_url: str) -> None:
    url = database_url
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Database.open(url).close()
        except Exception as exc:  # noqa: BLE001 - collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Database.open(url) as db, db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == HEAD


def _table(
    name: str, *columns: str | sa.ColumnClause[Any], times: tuple[str, ...] = ()
) -> sa.TableClause:
    """A bare table for inserting rows as an older schema had them."""
    named = [c if isinstance(c, sa.ColumnClause) else sa.column(c) for c in columns]
    return sa.table(name, *named, *(sa.column(t, UTCDateTime()) for t in times))


@pytest.mark.parametrize("database_url", store_fixtures.BACKENDS, indirect=True)
def test_0006_keeps_listings_active_and_rebuilds_tables_others_refer_to(database_url: str) -> None:
    # A database as 0005 left it: an entry another officer edited, a subject with a template,
    # and the journal rows pointing at both (the rows SQLite's table rebuild must not break).
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    when = datetime(2026, 11, 1, tzinfo=UTC)
    with Database.open(database_url, migrate=False) as old:
        with old.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
        with old.engine.begin() as connection:
            connection.execute(
                sa.insert(
                    _table(
                        "watchlists",
                        "id",
                        "name",
                        "kind",
                        "description",
                        "version",
                        "created_by",
                        times=("created_at",),
                    )
                ),
                [dict(id="wl", name="stolen", kind="deny", description="", version=4,
                      created_by="kim", created_at=when)],
            )  # fmt: skip
            governed = ("category", "action", "priority", "reason", "legal_basis", "owner")
            connection.execute(
                sa.insert(
                    _table(
                        "plate_entries",
                        "id",
                        "watchlist_id",
                        "plate",
                        "normalized_plate",
                        "region",
                        "match_mode",
                        "created_by",
                        *governed,
                        times=("created_at", "updated_at"),
                    )
                ),
                [dict(id="e1", watchlist_id="wl", plate="AB123CD", normalized_plate="AB123CD",
                      region="", match_mode="exact", created_by="kim", category="stolen",
                      action="stop", priority=90, reason="r", legal_basis="b", owner="o",
                      created_at=when, updated_at=when)],
            )  # fmt: skip
            connection.execute(
                sa.insert(
                    _table(
                        "face_subjects",
                        "id",
                        "watchlist_id",
                        "name",
                        sa.column("plates", sa.JSON()),
                        "created_by",
                        *governed,
                        times=("created_at", "updated_at"),
                    )
                ),
                [dict(id="s1", watchlist_id="wl", name="J. Doe", plates=["AB123CD"],
                      created_by="kim", category="wanted", action="stop", priority=95,
                      reason="r", legal_basis="b", owner="o", created_at=when,
                      updated_at=when)],
            )  # fmt: skip
            connection.execute(
                sa.insert(
                    _table(
                        "face_templates",
                        "id",
                        "subject_id",
                        "embedder",
                        "camera_type",
                        "dim",
                        "vector",
                        "eye_distance_px",
                        "sharpness",
                        "chip_jpeg",
                        "created_by",
                        times=("created_at",),
                    )
                ),
                [dict(id="t1", subject_id="s1", embedder="dlib_resnet", camera_type="colour",
                      dim=1, vector=b"\0\0\x80?", eye_distance_px=50.0, sharpness=100.0,
                      chip_jpeg=b"chip", created_by="kim", created_at=when)],
            )  # fmt: skip
            changes = _table(
                "watchlist_changes",
                "watchlist_id",
                "entry_id",
                "subject_id",
                "version",
                "action",
                "actor",
                "reason",
                times=("at",),
            )
            connection.execute(
                sa.insert(changes),
                [
                    dict(watchlist_id="wl", entry_id="e1", subject_id=None, version=2,
                         action="add", actor="kim", reason="", at=when),
                    dict(watchlist_id="wl", entry_id=None, subject_id="s1", version=3,
                         action="enrol", actor="kim", reason="", at=when),
                    dict(watchlist_id="wl", entry_id="e1", subject_id=None, version=4,
                         action="update", actor="lee", reason="", at=when),
                ],
            )  # fmt: skip

    with Database.open(database_url) as db:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert context.get_current_revision() == HEAD
            assert compare_metadata(context, Base.metadata) == []
        entry = WatchlistStore(db).get_entry("e1")
        subject = FaceStore(db).get_subject("s1")
        assert (entry.approval.status.value, entry.updated_by, entry.fields.case_number) == (
            "active",
            "lee",
            "",
        )
        assert (subject.approval.status.value, subject.updated_by, subject.template_count) == (
            "active",
            "kim",
            1,
        )
        with db.read() as session:
            assert session.scalar(text("SELECT COUNT(*) FROM watchlist_changes")) == 3
        # The rebuilt tables keep their constraints, old and new.
        for statement in (
            "UPDATE plate_entries SET status = 'maybe'",
            "UPDATE plate_entries SET match_mode = 'fuzzy'",
            "UPDATE face_subjects SET status = 'maybe'",
            "UPDATE watchlist_changes SET action = 'bless'",
        ):
            with pytest.raises(IntegrityError), db.write() as session:
                session.execute(text(statement))
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_unreachable_postgres_names_the_server_but_not_the_password() -> None:
    with pytest.raises(StoreError) as info:
        Database.open("postgresql+psycopg://officer:s3cret@127.0.0.1:1/lanescreen")
    message = str(info.value)
    assert "127.0.0.1:1/lanescreen" in message and "s3cret" not in message
    assert "refused" in message.lower() or "connect" in message.lower()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "not a valid SQLAlchemy URL"),
        ("nosuchdb://host/db", "no database driver"),
        ("sqlite:////proc/lanescreen/x.db", "cannot create the directory"),
    ],
)
def test_unusable_urls_are_explained(url: str, expected: str) -> None:
    with pytest.raises(StoreError, match=expected):
        Database.open(url)


def test_a_schema_newer_than_this_code_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with Database.open(url) as db, db.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer lanescreen"):
        Database.open(url)
