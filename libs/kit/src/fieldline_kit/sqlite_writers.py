"""SQLite: a process's write transactions queue on one asyncio lock per database.

SQLite lets one writer in at a time (the kit begins writes with `BEGIN IMMEDIATE`). A writer
that finds the database locked waits in SQLite's busy handler, which *sleeps* between retries
(1, 2, 5, 10, … 100 ms) instead of being woken when the lock is free. Under concurrency the
lock sits free while the waiters sleep, who gets it next is luck, and tail latencies reach
seconds.

`queue_writers(engine)` makes the write transactions of this process wait for each other on an
`asyncio.Lock` when they begin, so before their `BEGIN IMMEDIATE` (which runs with the
transaction's first statement, see `fieldline_kit.db`): first come, first served, handed over
the moment the previous writer's connection goes back to the pool (after its COMMIT or ROLLBACK
has completed). Read-only transactions (`fieldline_kit.db.read_only`) and autocommit
connections (`fieldline_kit.db.autocommit`, which begin no transaction) take no lock. Writers of
other processes (a migration, a second replica in development) still meet the busy handler,
exactly as before; a writer that waits longer than `timeout` here goes on to SQLite's own
waiting too, so nothing can block for longer than it could without the queue. (A connection
keeps its place until it goes back to the pool: hold one open across transactions and the
other writers wait for it, up to `timeout`.)

PostgreSQL engines are left alone (row locks, no database-wide writer lock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from fieldline_kit.db import AUTOCOMMIT_OPTION, READ_ONLY_OPTION, is_sqlite
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


def _listen_first(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Register `fn` ahead of the listeners already there (SQLAlchemy ignores `insert=True`
    for engine events, so the others are taken off and put back after it)."""
    others = list(getattr(target.dispatch, identifier))
    for other in others:
        event.remove(target, identifier, other)
    event.listen(target, identifier, fn)
    for other in others:
        event.listen(target, identifier, other)
    if next(iter(getattr(target.dispatch, identifier))) is not fn:
        raise RuntimeError(f"the writer queue could not go first among the {identifier} listeners")


def queue_writers(engine: AsyncEngine, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Queue this engine's write transactions on an asyncio lock (SQLite only; else no-op).

    Call once, right after creating the engine and before it is used.
    """
    if not is_sqlite(engine):
        return
    queue = _WriterQueue(timeout)
    sync_engine = engine.sync_engine

    # Taken in the "begin" event, ahead of the kit's own "begin" listener that leaves
    # BEGIN IMMEDIATE pending for the first statement. Not earlier ("engine_connect"): a
    # request cancelled while it waits here (a client's deadline) raises out of the listener,
    # and only a failed *begin* is cleaned up by SQLAlchemy (the session closes the
    # connection); a failed connect would leak it.
    def _before_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(READ_ONLY_OPTION, False) or options.get(AUTOCOMMIT_OPTION, False):
            return
        if not in_greenlet():
            return
        queue.acquire(conn.connection.dbapi_connection)

    _listen_first(sync_engine, "begin", _before_begin)

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
