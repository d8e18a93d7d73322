"""SQLite statements in one trip to aiosqlite's thread instead of four.

aiosqlite runs each sqlite3 call on its own thread, and SQLAlchemy's adapter makes a statement
four calls: open a cursor, execute, fetch the rows, close the cursor — four hand-offs to the
thread and back through the event loop. sqlite3 itself takes microseconds for the statements
of a request; the hand-offs cost ~50 µs of event-loop CPU each: on the development VM a
`SELECT 1` through an AsyncSession cost ~270 µs of CPU, and ~110 µs in one trip (a whole
transaction with one statement: ~740 → ~490 µs).

`OneTripCursor` does the four steps in one function on aiosqlite's thread and keeps the rows,
the description, rowcount and lastrowid, which is everything SQLAlchemy reads from a
non-streaming cursor. Server-side (streaming) cursors keep SQLAlchemy's own class.

The classes are subclasses of SQLAlchemy's aiosqlite adapter with no new slots, so an adapted
connection is switched over by assigning its class (`use_one_trip_cursors`, called when the
kit's SQLite engine connects). They lean on the adapter's internals (`_connection._execute`,
`_execute_mutex`, `_rows`): SQLAlchemy and aiosqlite are pinned in
requirements/constraints.txt, and the whole suite runs on SQLite through this path.
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
)
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On aiosqlite's thread: the whole statement, cursor closed before returning."""
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
            outcome: _Outcome = await aio._execute(
                partial(_run, aio._conn, operation, parameters, many)
            )
        self._cursor = outcome  # type: ignore[assignment]
        rows = outcome[1]
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    def nextset(self) -> None:
        raise NotImplementedError("sqlite3 cursors have a single result set")

    def setinputsizes(self, *inputsizes: Sequence[Any]) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


def use_one_trip_cursors(dbapi_connection: Any) -> None:
    """Switch an adapted aiosqlite connection to `OneTripCursor` (same layout, no new state)."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
