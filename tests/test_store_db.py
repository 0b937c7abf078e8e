"""Opening the database: migration to head, the schema it builds, SQLite settings, clear errors."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from lanescreen.store.db import Database, StoreError
from lanescreen.store.models import Base, ClearReadRow
from sqlalchemy import select, text

from tests import store_fixtures


def test_migrated_schema_equals_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == "0005"


def test_aware_datetimes_round_trip_as_utc(database: Database) -> None:
    local = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    with database.write() as session:
        session.add(ClearReadRow(lane_id="l", plate_text="AB1", decided_at=local))
    with database.read() as session:
        stored = session.scalar(select(ClearReadRow.decided_at))
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
        session.add(ClearReadRow(lane_id="l", plate_text="AB1", decided_at=datetime.now(UTC)))
    with Database.open(url) as db, db.read() as session:
        assert session.scalar(select(ClearReadRow.plate_text)) == "AB1"


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
        assert MigrationContext.configure(connection).get_current_revision() == "0005"


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
