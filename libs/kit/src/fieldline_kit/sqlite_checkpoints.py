"""SQLite: the write-ahead log is checkpointed by a thread of its own, never by a commit.

In WAL mode a commit appends the transaction's pages to the log; a *checkpoint* copies the
log's pages back into the database file (and fsyncs it) so the log can start over. By default
SQLite checkpoints inside the COMMIT that takes the log past 1,000 pages
(`wal_autocheckpoint`), so every few write transactions one of them also pays for copying
4 MB and an fsync, while the service's event loop waits for it (figures: docs/benchmarks.md).

`checkpoint_in_background(engine)` gives a service's database a `WalCheckpointer`: a daemon
thread with its own sqlite3 connection that runs `PRAGMA wal_checkpoint(PASSIVE)` every
`interval` seconds. PASSIVE copies what it can without waiting for any lock, so it never holds
up a reader or a writer (the copying runs in SQLite's C code, outside the GIL, on another
core), and what a long reader still needs is copied on a later round. The engine's own
connections keep `wal_autocheckpoint` only as a backstop (`BACKSTOP_PAGES`, ~40 MB): should
the thread fall behind or stop, commits checkpoint as before, just less often.

`stop_checkpoints(engine)` (called by `fieldline_kit.db.dispose`) ends the thread. Engines of
PostgreSQL and in-memory SQLite are left alone. The thread never creates the database file
(it opens it read-write only if it exists), and a failed round is logged and retried.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any

from prometheus_client import Gauge
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_kit.logging import get_logger

log = get_logger("fieldline.db")

DEFAULT_INTERVAL = 0.5  # seconds between checkpoints
BACKSTOP_PAGES = 10_000  # wal_autocheckpoint of the engine's own connections

WAL_FRAMES = Gauge(
    "fieldline_sqlite_wal_frames",
    "Frames in a SQLite database's write-ahead log at its last background checkpoint, and "
    "how many of them the checkpoint could not copy yet (held by a reader).",
    ["database", "state"],
)


class WalCheckpointer:
    """Checkpoints one SQLite database file every `interval` seconds from its own thread."""

    def __init__(self, path: str, *, interval: float = DEFAULT_INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self.rounds = 0  # checkpoints completed (for tests and curiosity)
        self.last: tuple[int, int, int] | None = None  # (busy, log frames, copied frames)
        self._stop = threading.Event()
        self._failing = False
        name = Path(path).name
        self._frames = WAL_FRAMES.labels(name, "in_log")
        self._left = WAL_FRAMES.labels(name, "not_copied")
        self._thread = threading.Thread(
            target=self._run, name=f"wal-checkpoint:{name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    if conn is None:
                        # mode=rw: never create the file (a service started before migrations).
                        uri = f"{Path(self.path).resolve().as_uri()}?mode=rw"
                        conn = sqlite3.connect(
                            uri, uri=True, isolation_level=None, check_same_thread=False
                        )
                    row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:
                    if not self._failing:  # once per failing spell, not every half second
                        log.warning("wal checkpoint failed", database=self.path, error=str(exc))
                    self._failing = True
                    if conn is not None:
                        conn.close()
                        conn = None
                    continue
                self._failing = False
                self.rounds += 1
                self.last = (int(row[0]), int(row[1]), int(row[2]))
                if self.last[1] >= 0:  # -1: not in WAL mode (yet)
                    self._frames.set(self.last[1])
                    self._left.set(self.last[1] - self.last[2])
        finally:
            if conn is not None:
                conn.close()


_CHECKPOINTERS: weakref.WeakKeyDictionary[Any, WalCheckpointer] = weakref.WeakKeyDictionary()


def database_path(engine: AsyncEngine) -> str | None:
    """The file of a SQLite engine; None for PostgreSQL and in-memory databases."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database


def checkpoint_in_background(
    engine: AsyncEngine, *, interval: float = DEFAULT_INTERVAL
) -> WalCheckpointer | None:
    """Start the engine's checkpointer (once; None when it has no file). Call before the
    engine's first connection, so that every connection gets the backstop setting."""
    path = database_path(engine)
    if path is None:
        return None
    found = _CHECKPOINTERS.get(engine.sync_engine)
    if found is not None:
        return found

    @event.listens_for(engine.sync_engine, "connect")
    def _backstop(dbapi_conn: Any, _: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cur.close()

    checkpointer = WalCheckpointer(path, interval=interval)
    checkpointer.start()
    _CHECKPOINTERS[engine.sync_engine] = checkpointer
    return checkpointer


def stop_checkpoints(engine: AsyncEngine) -> None:
    """End the engine's checkpointer, if it has one (the next start makes a new one)."""
    checkpointer = _CHECKPOINTERS.pop(engine.sync_engine, None)
    if checkpointer is not None:
        checkpointer.stop()
