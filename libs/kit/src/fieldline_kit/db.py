"""SQLAlchemy 2.0 async engines for PostgreSQL (asyncpg) and SQLite (aiosqlite).

Services give plain URLs (`postgresql://…`, `sqlite:///path`); the async driver is chosen here.
Writes use `session_factory(engine)`; reads use `read_session_factory(engine)`, which on SQLite
starts its transactions without taking the write lock (see `_configure_sqlite`). Statements
that need no transaction (each one its own snapshot) run on `autocommit(engine)` connections.
A service's engine is watched (`watch_pool`: its pool's use, at each scrape) and probed
(`probe`: whether the database answers), see `fieldline_kit.metrics`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from fieldline_kit.logging import get_logger
from fieldline_kit.metrics import DB_POOLS, DB_REACHABLE
from fieldline_kit.sqlite_checkpoints import stop_checkpoints
from fieldline_kit.sqlite_cursor import OneTripConnection, use_one_trip_cursors

log = get_logger("fieldline.db")

# Deterministic constraint names, so Alembic migrations are stable across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def async_url(url: str | URL) -> URL:
    """Map a plain database URL to its asyncio driver."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "postgresql":
        return u.set(drivername="postgresql+asyncpg")
    if backend == "sqlite":
        return u.set(drivername="sqlite+aiosqlite")
    raise ValueError(f"unsupported database backend {backend!r}: use postgresql:// or sqlite://")


# Execution option marking an engine's (and so its connections') transactions as read-only.
READ_ONLY_OPTION = "fieldline_read_only"
# Execution option (SQLite) of `autocommit_engine`: its connections' transactions issue no BEGIN.
AUTOCOMMIT_OPTION = "fieldline_autocommit"


async def analyze(conn: AsyncConnection, tables: Iterable[Table]) -> None:
    """Fresh planner statistics for `tables` — the ones a bulk load just filled — and no others.

    SQLite never refreshes statistics by itself: figures taken of a table while it is small (an
    idempotency table of three rows) would make the planner scan it for good as it grows. So a
    load analyzes what it wrote, never the whole database; tables without statistics are
    planned with SQLite's defaults, which assume them large. (PostgreSQL: autovacuum keeps
    every table's statistics current, see docs/operations/runbook.md.)
    """
    for table in tables:
        await conn.exec_driver_sql(f'ANALYZE "{table.name}"')


def utc(value: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands back naive ones; everything
    the services store is UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str | URL, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    u = async_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if u.get_backend_name() == "postgresql":
        # No `pool_pre_ping`: `_configure_postgresql` pings in one round trip instead.
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    else:
        # The pool's rollback on every return is a trip to aiosqlite's thread even after a
        # commit; `_configure_sqlite` rolls back only a connection still in a transaction.
        kwargs.update(connect_args={"timeout": 30}, pool_reset_on_return=None)
    engine = create_async_engine(u, **kwargs)
    if u.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    else:
        _configure_postgresql(engine)
    return engine


async def dispose(engine: AsyncEngine) -> None:
    """Close the engine's connections and end its background work (the SQLite checkpointer
    of `fieldline_kit.sqlite_checkpoints`): what a service does with its engine at shutdown."""
    stop_checkpoints(engine)
    await engine.dispose()


def _configure_postgresql(engine: AsyncEngine) -> None:
    """NUMERIC travels as text; a connection is checked before each use, in one round trip.

    asyncpg's binary NUMERIC codec takes a Decimal apart digit by digit in Python
    (`as_tuple()`): for an order write (11 exact columns per line) it was most of the INSERTs'
    client-side CPU. In text format a Decimal is sent as `str(value)` and read back as
    `Decimal(text)`, both in C and both exact (PostgreSQL's NUMERIC text is the exact decimal,
    and its input reads what `str` writes: `1E+1`, `NaN`, `Infinity`).

    A pooled connection may be dead (a database restart, a failover, an idle timeout on the
    way): it is tried with `;` when it leaves the pool, and a failure makes the pool drop it
    and connect anew, so no request fails on a stale connection. SQLAlchemy's own
    `pool_pre_ping` does the same in three round trips with asyncpg (BEGIN, `;`, ROLLBACK,
    for pgbouncer's transaction mode, which Fieldline does not use), on every transaction.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _numeric_as_text(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.run_async(
            lambda conn: conn.set_type_codec(
                "numeric", encoder=str, decoder=Decimal, schema="pg_catalog", format="text"
            )
        )

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        try:
            await_(proxy.driver_connection.fetchrow(";"))
        except Exception as exc:
            # The pool invalidates the connection and checks out (or opens) another.
            raise DisconnectionError(f"pooled connection failed its ping: {exc!r}") from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, a busy timeout, FKs on, and BEGIN IMMEDIATE for writes.

    SQLite upgrades a deferred read transaction to a write lazily and then fails with
    "database is locked" instead of waiting; taking the write lock at BEGIN makes concurrent
    writers queue on busy_timeout, which is what optimistic-concurrency tests rely on.
    Connections of a `read_only()` engine begin with a plain (deferred) BEGIN instead: in WAL
    mode a reader takes no lock, so reads neither wait for a writer nor hold writers up. Such a
    transaction must not write (its lazy upgrade is exactly what fails under contention).
    Connections of an `autocommit_engine()` issue no BEGIN at all (see `autocommit`).

    sqlite3 runs in autocommit mode (isolation_level None) and the BEGIN is the kit's: the
    `begin` listener does not execute it but leaves it pending on the connection, and it runs
    on aiosqlite's thread right before the transaction's first statement, in that statement's
    trip (`fieldline_kit.sqlite_cursor`). So the write lock is taken by the first statement
    (nothing runs in the transaction before it, so what it reads is still read under the
    lock), a busy or locked error surfaces on that statement, and a transaction that runs no
    statement costs nothing: its COMMIT or ROLLBACK just drops the pending BEGIN.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        use_one_trip_cursors(dbapi_conn)
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_conn: Any, _: Any, state: Any) -> None:
        # Fires on every return to the pool (reset_on_return is off for SQLite): what the
        # pool's reset would do, when there is something to undo. A OneTripConnection's
        # rollback drops a pending BEGIN and makes a trip only inside a transaction (sqlite3
        # knows without one).
        if state.terminate_only:
            return
        if isinstance(dbapi_conn, OneTripConnection) or dbapi_conn.driver_connection.in_transaction:
            dbapi_conn.rollback()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(AUTOCOMMIT_OPTION, False):
            return  # each statement on its own: sqlite3 is in autocommit mode
        begin = "BEGIN" if options.get(READ_ONLY_OPTION, False) else "BEGIN IMMEDIATE"
        dbapi_conn = conn.connection.dbapi_connection
        if isinstance(dbapi_conn, OneTripConnection):
            dbapi_conn.defer_begin(begin)  # run by the first statement, in its trip
        else:
            conn.exec_driver_sql(begin)


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool, same listeners) for transactions that only read.

    SQLite: they begin with a plain BEGIN, so they never wait for or block a writer.
    PostgreSQL: no difference (MVCC readers take no locks anyway).
    """
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def autocommit_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool) whose connections run every statement on its own.

    No transaction: each statement sees its own snapshot (and a write commits at once).
    SQLite: SQLAlchemy still "begins" a transaction, but the kit's `begin` listener issues no
    BEGIN and its COMMIT/ROLLBACK cost no trip (sqlite3 is not in a transaction); the
    connections stay out of the writer queue (`fieldline_kit.sqlite_writers`), so a write
    through one waits in SQLite's busy handler. PostgreSQL: isolation level AUTOCOMMIT
    (asyncpg starts no transaction; the level is reset when the connection goes back to the
    pool). Keep the returned engine when connecting often (each call makes a new one).
    """
    if engine.get_execution_options().get(AUTOCOMMIT_OPTION, False):
        return engine
    if is_sqlite(engine):
        return engine.execution_options(**{AUTOCOMMIT_OPTION: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT", **{AUTOCOMMIT_OPTION: True})


@contextlib.asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection of `autocommit_engine(engine)`, for statements that need no transaction.

    A single statement is its own consistent snapshot on both databases, without BEGIN and
    COMMIT (SQLite: two trips to aiosqlite's thread; PostgreSQL: asyncpg's BEGIN round trip).
    """
    async with autocommit_engine(engine).connect() as conn:
        yield conn


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    """Sessions for queries: `session_factory(read_only(engine))`. Never write through them."""
    return session_factory(read_only(engine))


# ------------------------------------------------------------------ watching a service's database


def error_cause(exc: BaseException) -> str:
    """The driver's own words, without the statement and its parameters SQLAlchemy adds (they
    may hold data that must not reach a log line)."""
    inner = exc.orig if isinstance(exc, DBAPIError) else exc
    return f"{type(inner).__name__}: {inner}"[:300]


PROBE_INTERVAL_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 5.0


def watch_pool(engine: AsyncEngine, service: str) -> None:
    """Report `engine`'s pool use as the service's (`fieldline_db_pool_*{service}`), read at
    each scrape; the engine is not kept alive by it."""
    DB_POOLS.watch(service, engine.sync_engine)


async def probe(
    engine: AsyncEngine,
    service: str,
    stop: asyncio.Event,
    *,
    interval: float = PROBE_INTERVAL_SECONDS,
    timeout: float = PROBE_TIMEOUT_SECONDS,
) -> None:
    """Until `stop`: `SELECT 1` every `interval` on an autocommit connection of the service's
    pool, and `fieldline_db_reachable{service}` 1 if it answered within `timeout`, else 0.

    Requests only see the database when they need it; this says it is gone even when no
    request comes (the DB-unreachable alert). A probe waits for a pool connection like any
    request, so a pool exhausted for longer than `timeout` reads as unreachable too (the pool
    metrics tell the two apart). Each change is logged once, not each failed probe.
    """
    reachable = DB_REACHABLE.labels(service)
    was: bool | None = None
    while not stop.is_set():
        error = ""
        try:
            async with asyncio.timeout(timeout), autocommit(engine) as conn:
                await conn.exec_driver_sql("SELECT 1")
        except TimeoutError:
            error = f"no answer within {timeout:g} s"
        except Exception as exc:  # any failure to get an answer is "unreachable"
            error = error_cause(exc)
        now = not error
        reachable.set(1 if now else 0)
        if now != was:
            if now:
                log.info("database reachable", service=service)
            else:
                log.warning("database unreachable", service=service, error=error)
            was = now
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
