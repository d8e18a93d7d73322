"""SQLite: a process's write transactions queue on one asyncio lock per database.

SQLite lets one writer in at a time (the kit begins writes with `BEGIN IMMEDIATE`). A writer
that finds the database locked waits in SQLite's busy handler, which *sleeps* between retries
(1, 2, 5, 10, … 100 ms) instead of being woken when the lock is free. Under concurrency the
lock sits free while the waiters sleep, who gets it next is luck, and tail latencies reach
seconds (the order submission bench saw 2 s deadlines expire at 16 requests in flight).

`queue_writers(engine)` makes the write connections of this process wait for each other on an
`asyncio.Lock` when they are taken from the pool, i.e. before their `BEGIN IMMEDIATE`: first
come, first served, handed over the moment the previous writer's connection goes back to the
pool (after its COMMIT or ROLLBACK has completed). Read-only connections
(`fieldline_kit.db.read_only`) take no lock. Writers of other processes (a migration, a second
replica in development) still meet the busy handler, exactly as before; a writer that waits
longer than `timeout` here goes on to SQLite's own waiting too, so nothing can block for longer
than it could without the queue.

PostgreSQL engines are left alone (row locks, no database-wide writer lock).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from fieldline_kit.db import READ_ONLY_OPTION, is_sqlite
from fieldline_kit.logging import get_logger

log = get_logger("fieldline.db")

DEFAULT_TIMEOUT = 30.0  # the kit's PRAGMA busy_timeout


class _WriterQueue:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.lock = asyncio.Lock()
        # The DBAPI connection whose transaction holds the lock (one writer at a time).
        self.holder: Any = None

    def acquire(self, dbapi_connection: Any) -> None:
        if dbapi_connection is None or self.holder is dbapi_connection:
            return  # a further transaction on a connection that still holds the lock
        stuck = self.holder
        try:
            await_only(asyncio.wait_for(self.lock.acquire(), self.timeout))
        except TimeoutError:
            # Go on to SQLite's busy handler, as without the queue. SQLite still serialises
            # the writers, so the queue only ever decides who goes first, never correctness.
            if stuck is not None and self.holder is stuck:
                # Nothing was handed over for `timeout`: the holder's connection was lost
                # without going back to the pool. Take its place so the queue moves again.
                log.warning("sqlite writer queue: holder gone, taking over", waited=self.timeout)
                self.holder = dbapi_connection
            return
        self.holder = dbapi_connection

    def release(self, dbapi_connection: Any) -> None:
        if self.holder is not None and self.holder is dbapi_connection:
            self.holder = None
            self.lock.release()


def queue_writers(engine: AsyncEngine, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Queue this engine's write transactions on an asyncio lock (SQLite only; else no-op).

    Call once, right after creating the engine and before it is used.
    """
    if not is_sqlite(engine):
        return
    queue = _WriterQueue(timeout)
    sync_engine = engine.sync_engine

    # Taken when the Connection is created, i.e. before its transaction begins: the kit's own
    # "begin" listener issues BEGIN IMMEDIATE, and SQLAlchemy does not let a later listener of
    # an engine event go first (`insert=True` is ignored for engine events).
    @event.listens_for(sync_engine, "engine_connect")
    def _on_connect(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY_OPTION, False) or not in_greenlet():
            return
        queue.acquire(conn.connection.dbapi_connection)

    # The connection goes back to the pool after its COMMIT/ROLLBACK has run: hand over then.
    @event.listens_for(sync_engine.pool, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        queue.release(dbapi_connection)

    @event.listens_for(sync_engine.pool, "invalidate")
    def _invalidate(dbapi_connection: Any, record: Any, exception: Any) -> None:
        queue.release(dbapi_connection)

    @event.listens_for(sync_engine.pool, "close")
    def _close(dbapi_connection: Any, record: Any) -> None:
        queue.release(dbapi_connection)
