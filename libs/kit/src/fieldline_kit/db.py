"""SQLAlchemy 2.0 async engines for PostgreSQL (asyncpg) and SQLite (aiosqlite).

Services give plain URLs (`postgresql://…`, `sqlite:///path`); the async driver is chosen here.
Writes use `session_factory(engine)`; reads use `read_session_factory(engine)`, which on SQLite
starts its transactions without taking the write lock (see `_configure_sqlite`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from fieldline_kit.sqlite_cursor import use_one_trip_cursors

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


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str | URL, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    u = async_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if u.get_backend_name() == "postgresql":
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    else:
        # The pool's rollback on every return is a trip to aiosqlite's thread even after a
        # commit; `_configure_sqlite` rolls back only a connection still in a transaction.
        kwargs.update(connect_args={"timeout": 30}, pool_reset_on_return=None)
    engine = create_async_engine(u, **kwargs)
    if u.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, a busy timeout, FKs on, and BEGIN IMMEDIATE for writes.

    SQLite upgrades a deferred read transaction to a write lazily and then fails with
    "database is locked" instead of waiting; taking the write lock at BEGIN makes concurrent
    writers queue on busy_timeout, which is what optimistic-concurrency tests rely on.
    Connections of a `read_only()` engine begin with a plain (deferred) BEGIN instead: in WAL
    mode a reader takes no lock, so reads neither wait for a writer nor hold writers up. Such a
    transaction must not write (its lazy upgrade is exactly what fails under contention).
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
        # pool's reset would do, when there is something to undo (sqlite3 knows, no trip).
        if not state.terminate_only and dbapi_conn.driver_connection.in_transaction:
            dbapi_conn.rollback()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool, same listeners) for transactions that only read.

    SQLite: they begin with a plain BEGIN, so they never wait for or block a writer.
    PostgreSQL: no difference (MVCC readers take no locks anyway).
    """
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    """Sessions for queries: `session_factory(read_only(engine))`. Never write through them."""
    return session_factory(read_only(engine))
