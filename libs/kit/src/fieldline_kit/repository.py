"""Repository bases: rows ↔ aggregates inside a unit of work, with optimistic concurrency.

A repository is attached to its unit of work as `uow.<name>` (the service's `_attach`) and
lives as long as one transaction. `VersionedRepository` keeps the persistence state the
domain objects do not: which aggregates it loaded and at which version. `save` writes
`UPDATE … WHERE <key> = … AND version = <loaded>` and raises Conflict (ABORTED) when no row
matched, so of two concurrent writers of one aggregate exactly one wins; an aggregate whose
version did not move since it was loaded is not written at all.

A subclass names its table, what the aggregate is called in errors, its key columns and the
two mappings; `find`, `get`, `add` (`add_many`: several in one statement) and `save` come
from here:

    class ClientRepository(VersionedRepository[Client]):
        table = orm.clients
        entity = "client"

        def to_row(self, c: Client) -> dict[str, Any]: ...
        def from_row(self, row: Row[Any]) -> Client: ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, Row, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.errors import Conflict, NotFound
from fieldline_kit.uow import HasEvents, UnitOfWork


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    """The INSERT of the session's database that takes ON CONFLICT (PostgreSQL, SQLite)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")  # pragma: no cover


def upsert_if(
    session: AsyncSession, table: Table, newer: Callable[[Any], ColumnElement[bool]]
) -> Any:
    """`INSERT` a row, or overwrite the row with the same primary key where `newer(stmt)`
    holds (`stmt.excluded` is the row offered): one statement, so the database row decides
    which of two concurrent writers wins (PostgreSQL, and SQLite ≥ 3.35). Add `.values(...)`
    and `.returning(...)` to learn whether it wrote."""
    stmt = dialect_insert(session, table)
    keys = [c.name for c in table.primary_key.columns]
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
        where=newer(stmt),
    )


def newer_version(stmt: Any) -> ColumnElement[bool]:
    """`upsert_if`'s usual condition: the row offered has a higher `version` than the stored."""
    return cast("ColumnElement[bool]", stmt.table.c.version < stmt.excluded.version)


async def put_if(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    newer: Callable[[Any], ColumnElement[bool]] = newer_version,
) -> bool:
    """`values` as the row of their key (`upsert_if`, by default the newer version wins); True
    if written."""
    stmt = upsert_if(session, table, newer).values(**values)
    found = await session.execute(stmt.returning(*table.primary_key.columns))
    return found.first() is not None


class Versioned(Protocol):
    """An aggregate with a version; one that records domain events also has `events`."""

    @property
    def version(self) -> int: ...


A = TypeVar("A", bound=Versioned)


class Repository:
    """What every repository has: its unit of work's session and the tracking of aggregates
    whose events the commit publishes."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def session(self) -> AsyncSession:
        return self._uow.session

    def track(self, aggregate: object) -> None:
        """Publish the aggregate's events at commit (one without `events` records none)."""
        if hasattr(aggregate, "events"):
            self._uow.track(cast(HasEvents, aggregate))


class VersionedRepository(Repository, Generic[A]):
    table: ClassVar[Table]
    entity: ClassVar[str]
    # The columns that identify a row, and the aggregate attributes holding them (same names).
    key: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self._loaded: dict[tuple[Any, ...], int] = {}

    # -- the subclass's mappings -------------------------------------------------------------
    def to_row(self, aggregate: A) -> dict[str, Any]:
        raise NotImplementedError

    def from_row(self, row: Row[Any]) -> A:
        raise NotImplementedError

    # -- find / get / add / save ---------------------------------------------------------------
    async def find(self, *key: Any, for_update: bool = False) -> A | None:
        """The aggregate with this key, remembered (and tracked) for `save`, or None."""
        stmt = select(self.table).where(*self._match(key))
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).first()
        return self.loaded(self.from_row(row)) if row is not None else None

    async def get(self, *key: Any, field: str = "") -> A:
        """`find`, or NotFound naming `field` (default `<entity>_id`)."""
        found = await self.find(*key)
        if found is None:
            raise NotFound(self.entity, _shown(key), field or f"{self.entity}_id")
        return found

    async def add(self, aggregate: A) -> None:
        """Insert a new aggregate (its version as it is, usually 1)."""
        await self.session.execute(insert(self.table).values(**self.to_row(aggregate)))
        self.loaded(aggregate)

    async def add_many(self, aggregates: Sequence[A]) -> None:
        """`add` of each new aggregate, their rows in one INSERT executed for all of them (an
        executemany) instead of one statement each. A subclass whose `add` writes more than the
        row (and has no `add_many` of its own) gets its `add` called for each aggregate."""
        if type(self).add is not VersionedRepository.add:
            for aggregate in aggregates:
                await self.add(aggregate)
            return
        await self.insert_many(aggregates)

    async def save(self, aggregate: A) -> None:
        """Write the aggregate if its version moved since it was loaded or added."""
        values = self.to_row(aggregate)
        if await self.update_row(aggregate, values):
            self.saved(aggregate)

    # -- the pieces, for repositories that write more than one row --------------------------
    def loaded(self, aggregate: A) -> A:
        """Remember `aggregate` as it is in the database now, and track its events."""
        self._loaded[self._key_of(aggregate)] = aggregate.version
        self.track(aggregate)
        return aggregate

    async def insert_many(self, aggregates: Sequence[A]) -> None:
        """The rows of new aggregates in one INSERT (an executemany: `to_row` must give every
        aggregate the same columns), each then remembered and tracked as `add` does."""
        if not aggregates:
            return
        await self.session.execute(insert(self.table), [self.to_row(a) for a in aggregates])
        for aggregate in aggregates:
            self.loaded(aggregate)

    def saved(self, aggregate: A) -> None:
        """The aggregate's row now holds its current version."""
        self._loaded[self._key_of(aggregate)] = aggregate.version

    def loaded_version(self, aggregate: A) -> int | None:
        """The version it was loaded (or last saved) at; None for one this repository never saw."""
        return self._loaded.get(self._key_of(aggregate))

    def changed(self, aggregate: A) -> bool:
        """Loaded and changed since: `save` would write it."""
        loaded = self.loaded_version(aggregate)
        return loaded is not None and loaded != aggregate.version

    async def update_row(self, aggregate: A, values: Mapping[str, Any]) -> bool:
        """UPDATE the aggregate's row to `values` if it changed; False when it did not.

        Raises Conflict when the row is no longer at the loaded version (a concurrent writer
        won), and RuntimeError for an aggregate this repository never loaded.
        """
        key = self._key_of(aggregate)
        loaded = self._loaded.get(key)
        if loaded is None:
            raise RuntimeError(f"{self.entity} {_shown(key)} saved without being loaded")
        if loaded == aggregate.version:
            return False
        result = await self.session.execute(
            update(self.table)
            .where(*self._match(key), self.table.c.version == loaded)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                f"{self.entity} {_shown(key)} was changed concurrently; reload and retry"
            )
        self.track(aggregate)
        return True

    def _key_of(self, aggregate: A) -> tuple[Any, ...]:
        return tuple(getattr(aggregate, name) for name in self.key)

    def _match(self, key: tuple[Any, ...]) -> list[Any]:
        if len(key) != len(self.key):
            raise TypeError(f"{self.entity}: key is {self.key}, got {key!r}")
        return [self.table.c[name] == value for name, value in zip(self.key, key, strict=True)]


def _shown(key: tuple[Any, ...]) -> str:
    return "/".join(map(str, key))
