"""The database handle: one engine per process, SQLite (WAL) by default or PostgreSQL.

``Database.open`` also brings the schema to the newest migration, so a fresh data directory or an
upgraded install works without a separate step. Concurrent openers are serialised (an advisory
lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) so two processes never migrate at once.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.util.exc import CommandError
from sqlalchemy import Connection, DateTime, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from ..config import StorageConfig

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_ID = 0x6C616E65  # "lane": the PostgreSQL advisory lock held while migrating.
_SQLITE_BEGIN_OPTION = "lanescreen_sqlite_begin"
CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_MS = 30_000
"""No statement of lanescreen's runs longer on PostgreSQL (migrations lift it for themselves)."""
LOCK_TIMEOUT_MS = 5_000
"""No statement waits longer for a lock another session holds."""
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000


def postgres_connect_args(url: URL) -> dict[str, Any]:
    """libpq settings bounding every wait on a PostgreSQL server: connecting, each statement,
    each lock, and a dead peer (TCP keepalives, and unacknowledged data). The answer path never
    waits on the database at all (the node's journal); these keep the shipper, the officers'
    calls and the tools from hanging on a server that stopped answering. Options given in the
    URL (``?options=...``) are kept, after these, so they win."""
    options = (
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} "
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )
    given = url.query.get("options")
    if given:
        options += " " + (given if isinstance(given, str) else " ".join(given))
    return {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,
        "options": options,
    }


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message names it (without its password)."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zone type, so values are stored as naive UTC and given ``UTC`` back when
    read; PostgreSQL stores ``timestamptz``. A naive value passed in is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        utc = aware.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    """Whether every backend can hold ``text``: PostgreSQL refuses NUL, and none stores a lone
    surrogate. Lookups with other text can match nothing, so stores answer them without asking."""
    return _UNSTORABLE.search(text) is None


def storable_copy(text: str) -> str:
    """``text`` with what no backend can hold replaced by U+FFFD."""
    return text if storable(text) else _UNSTORABLE.sub("\ufffd", text)


def redact(url: str | URL) -> str:
    """The URL as safe to print: the password is masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _configure_sqlite(engine: Engine) -> None:
    """Pragmas for a shared, crash-safe SQLite file, and real transactions.

    pysqlite's own transaction handling begins lazily and never for SELECT, so reads and writes of
    one unit of work could see different states; SQLAlchemy's documented recipe takes it over and
    emits BEGIN itself. Writers ask for ``BEGIN IMMEDIATE`` (see :meth:`Database.write`) so they
    queue on ``busy_timeout`` instead of failing when two upgrade a read lock at once.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # Only shippers, officers' calls and tools write here: a lane's answer never waits
            # on this file (it is journaled on the node), so waiting 5 s for a lock is fine.
            cursor.execute("PRAGMA busy_timeout=5000")
            _use_wal(cursor)
            # FULL: a decision is on disk when record() returns, even across a power cut;
            # in WAL mode that costs one fsync per commit.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(
            connection.get_execution_options().get(_SQLITE_BEGIN_OPTION, "BEGIN")
        )


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Switch SQLite's foreign keys outside any transaction, on the driver's own connection."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (it stays so); retried, as the switch ignores ``busy_timeout``.

    Two processes opening a new database at once can both try to switch it; the loser gets
    "database is locked" at once instead of waiting, so it waits here instead.
    """
    deadline = time.monotonic() + 5.0
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def open_configured(storage: StorageConfig) -> Database:
    """The configured database, with the site's trail key (made on first use), refused when
    the key is not the one the site's records are signed with."""
    from .site import check_trail_key
    from .trail import TrailKeyError, load_or_create_key

    key_file = storage.resolved_trail_key_file()
    try:
        key = load_or_create_key(key_file)
    except TrailKeyError as exc:
        raise StoreError(str(exc)) from exc
    database = Database.open(
        storage.resolved_database_url(), trail_key=key, chain=storage.resolved_node_id()
    )
    try:
        check_trail_key(database, str(key_file), actor=f"node {socket.gethostname()}")
    except BaseException:
        database.close()
        raise
    return database


class Database:
    """An engine and its session factories. Build with :meth:`open`; ``close`` when done."""

    def __init__(self, engine: Engine, trail_key: bytes | None = None, chain: str = "site") -> None:
        from .trail import AuditTrail

        self.engine = engine
        self.url = redact(engine.url)
        self.trail = AuditTrail(trail_key, chain)
        """The tamper-evident trail; stores append to it inside their write transactions."""
        # Reads see one snapshot across all their statements (SQLite transactions already do).
        reader = (
            engine
            if engine.dialect.name == "sqlite"
            else engine.execution_options(isolation_level="REPEATABLE READ")
        )
        self._read_sessions = sessionmaker(reader, expire_on_commit=False)
        writer = engine.execution_options(**{_SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        self._write_sessions = sessionmaker(writer, expire_on_commit=False)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        migrate: bool = True,
        trail_key: bytes | None = None,
        chain: str = "site",
    ) -> Database:
        """Connect to ``url`` and migrate its schema to the newest revision.

        ``trail_key`` keys the audit trail's hashes and ``chain`` names the chain this handle
        appends to (see :mod:`lanescreen.store.trail`).

        Raises :class:`StoreError` saying which database and why when it cannot be reached, the
        driver is missing, or the schema is newer than this version of lanescreen knows.
        """
        shown = redact(url)
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"database URL {url!r} is not a valid SQLAlchemy URL: {exc}") from exc
        sqlite = parsed.get_backend_name() == "sqlite"
        if (
            sqlite
            and parsed.database
            and parsed.database != ":memory:"
            and not parsed.database.startswith("file:")
        ):
            try:
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the directory for {shown}: {exc}") from exc
        try:
            connect_args = {} if sqlite else postgres_connect_args(parsed)
            engine = create_engine(parsed, pool_pre_ping=not sqlite, connect_args=connect_args)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            hint = (
                " (install the driver: pip install 'lanescreen[postgres]')"
                if parsed.get_backend_name() == "postgresql"
                else ""
            )
            raise StoreError(f"no database driver for {shown}: {exc}{hint}") from exc
        except ArgumentError as exc:
            raise StoreError(f"cannot use database {shown}: {exc}") from exc
        if sqlite:
            _configure_sqlite(engine)
        database = cls(engine, trail_key, chain)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            if migrate:
                database.migrate()
        except SQLAlchemyError as exc:
            engine.dispose()
            cause = getattr(exc, "orig", None) or exc
            raise StoreError(
                f"cannot open database {shown}: {' '.join(str(cause).split())}"
            ) from exc
        except StoreError:
            engine.dispose()
            raise
        return database

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision, holding a lock so only one process does.

        On SQLite, foreign keys are off while migrating: batch mode rebuilds a table by copying
        it and dropping the old one, and with them on that drop would fail (or cascade-delete)
        for every row that other tables refer to. The keys are checked before the commit.
        """
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        engine = self.engine.execution_options(**{_SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                _sqlite_foreign_keys(connection, on=False)  # a no-op inside a transaction
            try:
                with connection.begin():
                    if not sqlite:
                        # A migration may rewrite large tables: no statement timeout for it.
                        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                        )
                    config.attributes["connection"] = connection
                    try:
                        command.upgrade(config, "head")
                    except CommandError as exc:
                        raise StoreError(
                            f"cannot migrate database {self.url}: {exc} "
                            "(was it created by a newer lanescreen?)"
                        ) from exc
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                        if broken is not None:
                            raise StoreError(
                                f"migrating {self.url} would break a foreign key "
                                f"({tuple(broken)}); nothing was changed"
                            )
            finally:
                if sqlite:
                    _sqlite_foreign_keys(connection, on=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read transaction that sees a single committed state throughout."""
        with self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction, committed when the block ends and rolled back if it raises."""
        with self._write_sessions() as session, session.begin():
            yield session

    def record_event(self, action: str, actor: str, target: str, detail: dict[str, Any]) -> None:
        """Append one event to the audit trail in its own transaction (for acts that change
        nothing else: searches, exports, refused calls)."""
        from .trail import TrailEvent

        with self.write() as session:
            self.trail.append(session, [TrailEvent(action, actor, target, detail)])

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
