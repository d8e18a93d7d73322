"""Test-only tables, a tiny aggregate + mapper, and helpers for the messaging tests.

Test modules reach the helpers through the `support` fixture (this module), not by importing
`conftest`: test directories are not packages, so `conftest` is not a stable module name.
Every test gets its own database (SQLite file, or a fresh PostgreSQL database when
FIELDLINE_TEST_POSTGRES_URL is set) and its own event context `t<hex>` with its own stream,
so tests sharing the session's nats-server never see each other's messages.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy import Column, Integer, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fieldline.clients.events.v1 import events_pb2
from fieldline.clients.v1 import resources_pb2
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.db import create_engine, new_metadata, session_factory
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.topology import StreamSpec, apply
from fieldline_kit.tables import KitTables, add_kit_tables
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.sqlite_trace import trace_sqlite  # noqa: F401 - for `support`
from fieldline_kit.uow import IntegrationEvent, UnitOfWork

_THIS_MODULE = sys.modules[__name__]  # captured now: another conftest may take the name later


@pytest.fixture
def support() -> ModuleType:
    return _THIS_MODULE


# -- database ---------------------------------------------------------------------------------
@dataclass
class Db:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    tables: KitTables
    counters: Table
    things: Table

    async def rows(self, table: Table, *order_by: Any) -> list[Any]:
        async with self.sessions() as s:
            return list((await s.execute(select(table).order_by(*order_by))).all())

    async def counter(self, key: str) -> int:
        async with self.sessions() as s:
            value = await s.scalar(select(self.counters.c.value).where(self.counters.c.key == key))
        return int(value or 0)


@pytest_asyncio.fixture
async def db(db_factory: DatabaseFactory) -> AsyncIterator[Db]:
    url = await db_factory.create()
    engine = create_engine(url)
    md = new_metadata()
    tables = add_kit_tables(md)
    counters = Table(
        "test_counters",
        md,
        Column("key", String(64), primary_key=True),
        Column("value", Integer, nullable=False),
    )
    things = Table(  # the rows of `Thing` aggregates (repository tests)
        "test_things",
        md,
        Column("id", String(64), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("version", Integer, nullable=False),
    )
    async with engine.begin() as c:
        await c.run_sync(md.create_all)
    yield Db(url, engine, session_factory(engine), tables, counters, things)
    await engine.dispose()


async def bump(session: AsyncSession, counters: Table, key: str) -> None:
    """The handlers' side effect: counters[key] += 1, in the handler's transaction."""
    current = await session.scalar(select(counters.c.value).where(counters.c.key == key))
    if current is None:
        await session.execute(insert(counters).values(key=key, value=1))
    else:
        await session.execute(
            update(counters).where(counters.c.key == key).values(value=current + 1)
        )


def count_trips(driver: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Trips to the aiosqlite connection's thread from now on (`[n]`)."""
    trips = [0]
    original = driver._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips[0] += 1
        return await original(fn, *args, **kwargs)

    monkeypatch.setattr(driver, "_execute", counted)
    return trips


# -- a minimal aggregate and its mapper --------------------------------------------------------
@dataclass(frozen=True)
class ThingRenamed:
    thing_id: str
    name: str
    version: int


@dataclass
class Thing:
    id: str
    name: str = ""
    version: int = 0
    events: list[Any] = field(default_factory=list)

    def rename(self, name: str) -> None:
        self.name = name
        self.version += 1
        self.events.append(ThingRenamed(self.id, name, self.version))


def thing_mapper(context: str) -> Callable[[Any], Iterable[IntegrationEvent]]:
    def mapper(event: Any) -> Iterable[IntegrationEvent]:
        assert isinstance(event, ThingRenamed)
        client = resources_pb2.Client(id=event.thing_id, name=event.name, version=event.version)
        yield IntegrationEvent(
            subject=f"{context}.events.v1.ClientCreated",
            message=events_pb2.ClientCreated(client=client),
            aggregate_type="thing",
            aggregate_id=event.thing_id,
            aggregate_version=event.version,
        )

    return mapper


async def commit_renames(
    db: Db,
    context: str,
    names: Iterable[str],
    *,
    thing_id: str | None = None,
    on_commit: Callable[[], None] | None = None,
) -> None:
    """One unit of work that renames one Thing once per name (one outbox row each)."""
    uow = UnitOfWork(db.sessions, db.tables, thing_mapper(context), on_commit=on_commit)
    async with uow:
        thing = Thing(thing_id or str(uuid.uuid4()))
        uow.track(thing)
        for name in names:
            thing.rename(name)
        await uow.commit()


# -- NATS ---------------------------------------------------------------------------------------
@dataclass
class Ctx:
    """A private event context: subjects `<name>.events.v1.*` captured by stream `stream`."""

    name: str
    stream: str

    def subject(self, event: str = "ClientCreated") -> str:
        return f"{self.name}.events.v1.{event}"

    @property
    def spec(self) -> StreamSpec:
        return StreamSpec(self.stream, (f"{self.name}.events.v1.>",), max_age_days=1)


def new_ctx() -> Ctx:
    hexid = uuid.uuid4().hex[:10]
    return Ctx(name=f"t{hexid}", stream=f"T_{hexid.upper()}")


@pytest_asyncio.fixture
async def nc(nats_server: EmbeddedNats) -> AsyncIterator[Client]:
    client = await connect(nats_server.url, "kit-tests")
    yield client
    await client.close()


@pytest_asyncio.fixture
async def ctx(nc: Client) -> Ctx:
    c = new_ctx()
    await apply(nc, [c.spec], [])
    return c


async def stream_messages(js: JetStreamContext, stream: str) -> list[Any]:
    """Every message in the stream, in stream order."""
    count = (await js.stream_info(stream)).state.messages
    return [await js.get_msg(stream, seq) for seq in range(1, count + 1)]


def envelope(
    message: Any,
    *,
    event_id: str | None = None,
    aggregate_id: str = "a-1",
    version: int = 1,
) -> EventEnvelope:
    env = EventEnvelope(
        event_id=event_id or str(uuid.uuid4()),
        aggregate_type="thing",
        aggregate_id=aggregate_id,
        aggregate_version=version,
    )
    env.payload.Pack(message)
    return env


def client_created(key: str) -> events_pb2.ClientCreated:
    return events_pb2.ClientCreated(client=resources_pb2.Client(id=key, name=key))
