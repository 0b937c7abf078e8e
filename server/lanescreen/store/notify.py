"""Edits reach every node at once: a PostgreSQL ``LISTEN`` on the channel every list edit
notifies on commit (:data:`~lanescreen.store.watchlists.WATCHLIST_CHANNEL`).

The listener only wakes the node's watchlist refresher, which reads what changed itself, so a
lost notification (a reconnect, a notification for another schema of the same database) costs
at most one poll interval and an extra one costs one cheap check. SQLite has no such channel:
nodes there poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine

from .db import postgres_connect_args
from .watchlists import WATCHLIST_CHANNEL

log = logging.getLogger(__name__)

RECONNECT_S = (1.0, 2.0, 5.0, 10.0)


class EditListener:
    """A thread holding one PostgreSQL connection that listens for watchlist edits."""

    def __init__(self, engine: Engine, on_edit: Callable[[], None]) -> None:
        self._url = engine.url.set(drivername="postgresql")
        self._on_edit = on_edit
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="watchlist-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _listen(self) -> None:
        import psycopg

        conninfo = self._url.render_as_string(hide_password=False)
        failures = 0
        while not self._stop.is_set():
            try:
                args = postgres_connect_args(self._url)
                with psycopg.connect(conninfo, autocommit=True, **args) as connection:
                    connection.execute(f"LISTEN {WATCHLIST_CHANNEL}")
                    if failures:
                        log.info("listening for watchlist edits again")
                    failures = 0
                    self._on_edit()  # whatever was missed while not listening
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1):
                            self._on_edit()
            except psycopg.Error as exc:
                if not failures:
                    log.warning("cannot listen for watchlist edits (%s); polling meanwhile", exc)
                self._stop.wait(RECONNECT_S[min(failures, len(RECONNECT_S) - 1)])
                failures += 1
