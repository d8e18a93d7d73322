"""VersionedRepository: find/get/add/save with optimistic concurrency, on a real database."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Row, Table

from fieldline_kit.errors import Conflict, NotFound
from fieldline_kit.repository import VersionedRepository
from fieldline_kit.uow import UnitOfWork

if TYPE_CHECKING:
    from conftest import Db


def uow_class(things: Table, support: ModuleType) -> type[UnitOfWork]:
    class ThingRepository(VersionedRepository[Any]):
        table = things
        entity = "thing"

        def to_row(self, t: Any) -> dict[str, Any]:
            return {"id": t.id, "name": t.name, "version": t.version}

        def from_row(self, row: Row[Any]) -> Any:
            return support.Thing(row.id, row.name, row.version)

    class ThingsUnitOfWork(UnitOfWork):
        things: ThingRepository

        def _attach(self) -> None:
            self.things = ThingRepository(self)

    return ThingsUnitOfWork


def new_uow(db: Db, support: ModuleType) -> Any:
    return uow_class(db.things, support)(db.sessions, db.tables, support.thing_mapper("repo"))


async def test_an_added_aggregate_is_found_changed_and_saved_with_its_events(
    db: Db, support: ModuleType
) -> None:
    thing = support.Thing(str(uuid.uuid4()), "first", 1)
    async with new_uow(db, support) as uow:
        await uow.things.add(thing)
        await uow.commit()
    async with new_uow(db, support) as uow:
        found = await uow.things.get(thing.id)
        assert (found.name, found.version) == ("first", 1)
        found.rename("second")
        await uow.things.save(found)
        await uow.commit()
    [row] = await db.rows(db.things)
    assert (row.name, row.version) == ("second", 2)
    outbox = await db.rows(db.tables.outbox)
    assert [r.aggregate_version for r in outbox] == [2]  # tracked: its event was published


async def test_an_unchanged_aggregate_is_not_written(db: Db, support: ModuleType) -> None:
    thing = support.Thing(str(uuid.uuid4()), "same", 1)
    async with new_uow(db, support) as uow:
        await uow.things.add(thing)
        await uow.commit()
    async with new_uow(db, support) as uow:
        found = await uow.things.get(thing.id)
        assert not uow.things.changed(found)
        assert await uow.things.update_row(found, {"name": "ignored"}) is False
        await uow.commit()
    [row] = await db.rows(db.things)
    assert row.name == "same"


async def test_of_two_concurrent_writers_one_wins_and_the_other_gets_conflict(
    db: Db, support: ModuleType
) -> None:
    thing = support.Thing(str(uuid.uuid4()), "v1", 1)
    async with new_uow(db, support) as uow:
        await uow.things.add(thing)
        await uow.commit()
    async with new_uow(db, support) as first:
        mine = await first.things.get(thing.id)
        await first.rollback()  # read, then let go of the transaction (as a read would)
    async with new_uow(db, support) as second:
        theirs = await second.things.get(thing.id)
        theirs.rename("theirs")
        await second.things.save(theirs)
        await second.commit()
    async with new_uow(db, support) as again:
        again.things.loaded(mine)  # what `first` loaded, saved after `second` committed
        mine.rename("mine")
        with pytest.raises(Conflict, match=f"thing {thing.id} was changed concurrently"):
            await again.things.save(mine)
    [row] = await db.rows(db.things)
    assert (row.name, row.version) == ("theirs", 2)


async def test_unknown_ids_and_unloaded_saves_are_refused(db: Db, support: ModuleType) -> None:
    async with new_uow(db, support) as uow:
        assert await uow.things.find("nope") is None
        with pytest.raises(NotFound, match="thing_ref: thing 'nope' not found"):
            await uow.things.get("nope", field="thing_ref")
        with pytest.raises(RuntimeError, match="saved without being loaded"):
            await uow.things.save(support.Thing("never", "x", 2))
        with pytest.raises(TypeError, match="key is"):
            await uow.things.find("a", "b")
