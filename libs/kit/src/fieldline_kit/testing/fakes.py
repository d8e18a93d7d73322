"""A unit of work without a database, for unit tests of service-layer use cases.

The middle tier of "Architecture Patterns with Python": a use case runs against in-memory
repositories with the same methods as the real ones, so its rules are tested in
milliseconds, and the integration tests are left with what only a database shows.

    class FakeClientsUnitOfWork(FakeUnitOfWork):
        def _attach(self) -> None:
            self.clients = InMemoryRepository[Client](self, "client")

    uow = FakeClientsUnitOfWork()
    client = await uow.run(handlers.create_client, clock(), cmd)      # one committed transaction
    assert [type(e) for e in uow.events] == [ClientCreated]
    await uow.refused(InvalidArgument, handlers.create_client, clock(), bad)  # changed nothing

Like the real unit of work, it rolls back what was not committed: the rows of every
in-memory table are restored on leaving the block without `commit()`, and the pending
events are dropped. It keeps the domain events of each commit in `events` (the real one maps
them to integration events at this point) and stores idempotent responses in memory. A use
case that reaches for `session` fails the test: the service layer works through
repositories only.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Awaitable, Callable, Collection, Sequence
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import pytest

from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.errors import AlreadyExists, Conflict, NotFound
from fieldline_kit.tracing import Origin
from fieldline_kit.uow import HasEvents

A = TypeVar("A")
T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


class FakeUnitOfWork:
    def __init__(self, *, clock: Clock = utcnow, read_only: bool = False) -> None:
        self.clock = clock
        self.read_only = read_only
        self.causation_id = ""
        self.commits = 0
        self.events: list[Any] = []  # the domain events of every commit, in order
        self.responses: dict[str, tuple[str, bytes]] = {}  # idempotency key → stored answer
        self.origins: dict[int, Origin] = {}
        # table name → key → row (an aggregate copy): what survives a transaction.
        self.tables: dict[str, dict[Any, Any]] = {}
        self._seen: list[HasEvents] = []
        self._snapshot: dict[str, dict[Any, Any]] = {}
        self._responses_snapshot: dict[str, tuple[str, bytes]] = {}
        self._open = False
        self._attach()

    @property
    def committed(self) -> bool:
        return self.commits > 0

    @property
    def session(self) -> Any:
        raise AssertionError("a use case touched the database session: use a repository")

    def table(self, name: str) -> dict[Any, Any]:
        """The rows of one in-memory table, kept across transactions."""
        return self.tables.setdefault(name, {})

    def _attach(self) -> None:
        """Attach the service's fake repositories as `self.<name>` (a subclass's hook)."""

    # -- running use cases as the servicers do -----------------------------------------------
    async def run(self, use_case: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """`use_case(self, *args, **kwargs)` in one transaction that commits, as a servicer's
        `write` runs it."""
        async with self:
            result = await use_case(self, *args, **kwargs)
            await self.commit()
        return result

    async def refused(
        self,
        error: type[E],
        use_case: Callable[..., Awaitable[Any]],
        *args: Any,
        match: str | None = None,
        **kwargs: Any,
    ) -> E:
        """`use_case` raises `error` (its message matching `match`) and changes nothing: no
        row, no stored response, no commit, no event."""
        before = (self.state(), dict(self.responses), self.commits, list(self.events))
        with pytest.raises(error, match=match) as raised:
            await self.run(use_case, *args, **kwargs)
        assert (self.state(), dict(self.responses), self.commits, list(self.events)) == before
        return raised.value

    def state(self) -> dict[str, dict[Any, Any]]:
        """Every table's rows as plain values (dataclasses as dicts), to compare."""
        return {
            name: {key: _plain(row) for key, row in rows.items()}
            for name, rows in self.tables.items()
            if rows
        }

    async def __aenter__(self) -> Self:
        self._open = True
        self._seen = []
        self._snapshot = copy.deepcopy(self.tables)
        self._responses_snapshot = dict(self.responses)
        self._attach()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._open:
            await self.rollback()
        self._open = False

    def track(self, aggregate: HasEvents, *, origin: Origin | None = None) -> None:
        if not any(a is aggregate for a in self._seen):
            self._seen.append(aggregate)
        if origin is not None:
            self.origins[id(aggregate)] = origin

    async def flush_events(self) -> None:
        for aggregate in self._seen:
            self.events.extend(aggregate.events)
            aggregate.events.clear()

    async def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot write")
        await self.flush_events()
        self.commits += 1
        self._snapshot = copy.deepcopy(self.tables)
        self._responses_snapshot = dict(self.responses)

    async def rollback(self) -> None:
        self.tables.clear()
        self.tables.update(copy.deepcopy(self._snapshot))
        self.responses = dict(self._responses_snapshot)
        for aggregate in self._seen:
            aggregate.events.clear()
        self._seen = []
        self._attach()

    async def stored_responses(self, keys: Collection[str]) -> dict[str, tuple[str, bytes]]:
        return {k: self.responses[k] for k in keys if k in self.responses}

    async def record_responses(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        for key, digest, response in records:
            if key in self.responses:
                raise AlreadyExists(f"idempotency key {key} stored twice")
            self.responses[key] = (digest, response)


class InMemoryRepository(Generic[A]):
    """`fieldline_kit.repository.VersionedRepository`'s `find/get/add/save` over a dict.

    Aggregates are stored as copies, so a use case changing an object it loaded changes
    nothing until it saves, and `save` refuses a version that moved since the load (Conflict),
    as the real repository does.
    """

    key: tuple[str, ...] = ("id",)

    def __init__(self, uow: FakeUnitOfWork, entity: str, *, key: tuple[str, ...] = ()) -> None:
        self._uow = uow
        self.entity = entity
        if key:
            self.key = key
        self.rows: dict[tuple[Any, ...], A] = uow.table(entity)
        self._loaded: dict[tuple[Any, ...], int] = {}

    def put(self, aggregate: A) -> A:
        """Seed a row directly (test set-up), as if an earlier transaction had written it."""
        self.rows[self._key_of(aggregate)] = _stored(aggregate)
        return aggregate

    def all(self) -> list[A]:
        return [_stored(a) for a in self.rows.values()]

    async def find(self, *key: Any, for_update: bool = False) -> A | None:
        stored = self.rows.get(tuple(key))
        if stored is None:
            return None
        return self.loaded(_stored(stored))

    async def get(self, *key: Any, field: str = "") -> A:
        found = await self.find(*key)
        if found is None:
            raise NotFound(self.entity, "/".join(map(str, key)), field or f"{self.entity}_id")
        return found

    async def add(self, aggregate: A) -> None:
        key = self._key_of(aggregate)
        if key in self.rows:
            raise Conflict(f"{self.entity} {key} exists already")
        self.rows[key] = _stored(aggregate)
        self.loaded(aggregate)

    async def save(self, aggregate: A) -> None:
        key = self._key_of(aggregate)
        loaded = self._loaded.get(key)
        if loaded is None:
            raise RuntimeError(f"{self.entity} {key} saved without being loaded")
        version = aggregate.version  # type: ignore[attr-defined]
        if loaded == version:
            return
        if self.rows[key].version != loaded:  # type: ignore[attr-defined]
            raise Conflict(f"{self.entity} {key} was changed concurrently; reload and retry")
        self.rows[key] = _stored(aggregate)
        self._loaded[key] = version
        self._track(aggregate)

    def loaded(self, aggregate: A) -> A:
        self._loaded[self._key_of(aggregate)] = getattr(aggregate, "version", 0)
        self._track(aggregate)
        return aggregate

    def saved(self, aggregate: A) -> None:
        self._loaded[self._key_of(aggregate)] = getattr(aggregate, "version", 0)

    def loaded_version(self, aggregate: A) -> int | None:
        return self._loaded.get(self._key_of(aggregate))

    def changed(self, aggregate: A) -> bool:
        loaded = self.loaded_version(aggregate)
        return loaded is not None and loaded != getattr(aggregate, "version", 0)

    def _track(self, aggregate: A) -> None:
        if hasattr(aggregate, "events"):
            self._uow.track(aggregate)

    def _key_of(self, aggregate: A) -> tuple[Any, ...]:
        return tuple(getattr(aggregate, name) for name in self.key)


def _stored(aggregate: A) -> A:
    """A copy without pending events (what a row holds)."""
    events = getattr(aggregate, "events", None)
    if events is not None:
        object.__setattr__(aggregate, "events", [])
    try:
        return copy.deepcopy(aggregate)
    finally:
        if events is not None:
            object.__setattr__(aggregate, "events", events)


def _plain(row: Any) -> Any:
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return dataclasses.asdict(row)
    return row
