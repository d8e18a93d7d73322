"""SQLite statements in one trip to aiosqlite's thread instead of four.

aiosqlite runs each sqlite3 call on its own thread, and SQLAlchemy's adapter makes a statement
four calls: open a cursor, execute, fetch the rows, close the cursor — four hand-offs to the
thread and back through the event loop. sqlite3 itself takes microseconds for the statements
of a request; the hand-offs cost far more event-loop CPU than that (figures:
docs/architecture/overview.md, Transactions).

`OneTripCursor` does the four steps in one function on aiosqlite's thread and keeps the rows,
the description, rowcount and lastrowid, which is everything SQLAlchemy reads from a
non-streaming cursor. Server-side (streaming) cursors keep SQLAlchemy's own class.

The classes are subclasses of SQLAlchemy's aiosqlite adapter with no new slots, so an adapted
connection is switched over by assigning its class (`use_one_trip_cursors`, called when the
kit's SQLite engine connects). They lean on the adapter's internals (`_connection._execute`,
`_execute_mutex`, `_rows`): SQLAlchemy and aiosqlite are pinned in
requirements/constraints.txt, and the whole suite runs on SQLite through this path.

BEGIN rides along with the transaction's first statement. sqlite3 runs in autocommit mode and
the kit starts transactions itself; its `begin` listener does not execute BEGIN (a statement
execution of its own and a trip) but leaves it pending on the connection
(`defer_begin`), and the next statement's trip runs it on aiosqlite's thread right before the
statement: `BEGIN IMMEDIATE` takes the write lock there, and a busy or locked error surfaces as
that statement's error (the BEGIN stays pending then: sqlite3 is not in a transaction). COMMIT
and ROLLBACK make no trip when there is nothing to end: a transaction that ran no statement
just drops its pending BEGIN, and outside a transaction (an autocommit connection, a failed
BEGIN) sqlite3 has nothing to do (`in_transaction`, read without a trip). The pending BEGIN is
kept on the aiosqlite connection object (the adapter's classes have slots only), under
`PENDING_BEGIN`.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any, cast

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, list[Any] | None, int, int | None]

# Attribute of the aiosqlite connection: the BEGIN statement the transaction still has to run
# before its first statement (None: none pending).
PENDING_BEGIN = "fieldline_pending_begin"


def _run(aio: Any, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On aiosqlite's thread: a pending BEGIN, then the whole statement, cursor closed before
    returning."""
    conn: sqlite3.Connection = aio._conn
    begin = getattr(aio, PENDING_BEGIN)
    if begin is not None:
        conn.execute(begin).close()  # raises as the statement would: it is not run then
        setattr(aio, PENDING_BEGIN, None)
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        # No aiosqlite cursor: `_cursor` holds what the last statement left (see `_run`).
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    def _last(self) -> _Outcome | None:
        # The base class's `_cursor` slot holds the last statement's outcome here.
        return cast("_Outcome | None", self._cursor)

    @property
    def description(self) -> Any:
        last = self._last()
        return last[0] if last is not None else None

    @property
    def rowcount(self) -> int:
        last = self._last()
        return last[2] if last is not None else -1

    @property
    def lastrowid(self) -> Any:
        last = self._last()
        return last[3] if last is not None else None

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._one_trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._one_trip(operation, seq_of_parameters, many=True)

    async def _one_trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        aio = self._connection
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await aio._execute(partial(_run, aio, operation, parameters, many))
        self._cursor = outcome  # type: ignore[assignment]
        rows = outcome[1]
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    def nextset(self) -> None:
        raise NotImplementedError("sqlite3 cursors have a single result set")

    def setinputsizes(self, *inputsizes: Sequence[Any]) -> None:
        return None


class OneTripServerSideCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's streaming cursor, running a pending BEGIN first (a trip of its own)."""

    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await _flush_begin(self._connection)
        return await super()._execute_async(operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await _flush_begin(self._connection)
        return await super()._executemany_async(operation, seq_of_parameters)


async def _flush_begin(aio: Any) -> None:
    begin = getattr(aio, PENDING_BEGIN, None)
    if begin is not None:
        await aio.execute(begin)
        setattr(aio, PENDING_BEGIN, None)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor
    _ss_cursor_cls = OneTripServerSideCursor

    def defer_begin(self, statement: str) -> None:
        """Run `statement` (BEGIN, BEGIN IMMEDIATE) with the next statement, in its trip."""
        setattr(self._connection, PENDING_BEGIN, statement)

    @property
    def begin_pending(self) -> bool:
        return getattr(self._connection, PENDING_BEGIN) is not None

    def _something_to_end(self) -> bool:
        """Whether COMMIT/ROLLBACK has work to do; drops a BEGIN that never ran (no trip)."""
        aio: Any = self._connection
        if getattr(aio, PENDING_BEGIN) is not None:
            setattr(aio, PENDING_BEGIN, None)
            return False
        conn: sqlite3.Connection | None = aio._connection
        return conn is not None and conn.in_transaction

    def commit(self) -> None:
        if self._something_to_end():
            super().commit()

    def rollback(self) -> None:
        if self._something_to_end():
            super().rollback()


def use_one_trip_cursors(dbapi_connection: Any) -> None:
    """Switch an adapted aiosqlite connection to `OneTripCursor` (same layout; the pending
    BEGIN lives on the aiosqlite connection)."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        setattr(dbapi_connection._connection, PENDING_BEGIN, None)
        dbapi_connection.__class__ = OneTripConnection
