"""What sqlite3 itself runs: for tests that count BEGIN/COMMIT/ROLLBACK however they were issued.

The kit's SQLite BEGIN is not a SQLAlchemy statement (it runs with a transaction's first
statement, see `fieldline_kit.db`), and SQLAlchemy's begin/commit/rollback events fire for
autocommit connections too, where nothing reaches SQLite: sqlite3's trace callback sees what
does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only


def trace_sqlite(engine: AsyncEngine) -> list[str]:
    """Every statement sqlite3 runs on the engine's connections checked out from now on (their
    trace callback, set on aiosqlite's thread), in order."""
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "checkout")
    def _traced(dbapi_connection: Any, record: Any, _: Any) -> None:
        if record.info.get("fieldline_traced") is statements:
            return
        record.info["fieldline_traced"] = statements
        aio = dbapi_connection.driver_connection
        await_only(aio._execute(aio._conn.set_trace_callback, statements.append))

    return statements


def transaction_statements(statements: list[str]) -> list[str]:
    """The BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE statements among traced ones."""
    verbs = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END")
    return [s for s in statements if s.split(None, 1)[0].upper() in verbs]
