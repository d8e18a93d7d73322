"""FakeUnitOfWork and InMemoryRepository behave as the real ones do where use cases can tell."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from fieldline_kit.errors import AlreadyExists, Conflict, NotFound
from fieldline_kit.testing.fakes import FakeUnitOfWork, InMemoryRepository


@dataclass
class Thing:
    id: str
    name: str = ""
    version: int = 1
    events: list[Any] = field(default_factory=list)

    def rename(self, name: str) -> None:
        self.name = name
        self.version += 1
        self.events.append(("renamed", self.id, name))


class FakeThings(FakeUnitOfWork):
    def _attach(self) -> None:
        self.things = InMemoryRepository[Thing](self, "thing")


async def test_a_commit_keeps_rows_and_events_and_leaving_without_one_undoes_them() -> None:
    uow = FakeThings()
    uow.things.put(Thing("a", "first"))
    async with uow:
        thing = await uow.things.get("a")
        thing.rename("second")
        await uow.things.save(thing)
        await uow.commit()
    assert uow.commits == 1 and uow.events == [("renamed", "a", "second")]
    async with uow:
        thing = await uow.things.get("a")
        thing.rename("third")
        await uow.things.save(thing)
        await uow.record_responses([("k", "f", b"r")])
        # no commit: a failure after the writes
    assert [t.name for t in uow.things.all()] == ["second"]
    assert uow.responses == {} and uow.events == [("renamed", "a", "second")]


async def test_repositories_refuse_what_the_real_ones_refuse() -> None:
    uow = FakeThings()
    async with uow:
        with pytest.raises(NotFound, match="thing_id: thing 'x' not found"):
            await uow.things.get("x")
        await uow.things.add(Thing("a"))
        with pytest.raises(Conflict):
            await uow.things.add(Thing("a"))
        with pytest.raises(RuntimeError, match="without being loaded"):
            await uow.things.save(Thing("b", version=2))
        elsewhere = InMemoryRepository[Thing](uow, "thing")  # another transaction's
        stale = await elsewhere.get("a")
        fresh = await uow.things.get("a")
        fresh.rename("fresh")
        await uow.things.save(fresh)
        stale.rename("stale")
        with pytest.raises(Conflict, match="changed concurrently"):
            await elsewhere.save(stale)
        await uow.record_responses([("k", "f", b"r")])
        with pytest.raises(AlreadyExists):
            await uow.record_responses([("k", "f", b"r")])


async def test_loaded_objects_are_copies_and_the_session_is_out_of_reach() -> None:
    uow = FakeThings()
    uow.things.put(Thing("a", "kept"))
    async with uow:
        thing = await uow.things.get("a")
        thing.name = "changed without saving"
        assert (await uow.things.get("a")).name == "kept"
        with pytest.raises(AssertionError, match="use a repository"):
            _ = uow.session


async def rename(uow: FakeThings, thing_id: str, name: str) -> Thing:
    thing = await uow.things.get(thing_id)
    thing.rename(name)
    await uow.things.save(thing)
    if name == "bad":
        raise AlreadyExists("a bad name")  # after the write: nothing of it may stay
    return thing


async def test_run_commits_a_use_case_and_refused_checks_it_changed_nothing() -> None:
    uow = FakeThings()
    uow.things.put(Thing("a", "first"))
    renamed = await uow.run(rename, "a", "second")
    assert renamed.name == "second" and uow.commits == 1
    error = await uow.refused(AlreadyExists, rename, "a", "bad", match="bad name")
    assert error.message == "a bad name"
    assert [t.name for t in uow.things.all()] == ["second"]
    with pytest.raises(AssertionError):  # a use case that changes something is not "refused"
        await uow.refused(NotFound, lambda u: _rename_then_fail(u))


async def _rename_then_fail(uow: FakeThings) -> None:
    await uow.run(rename, "a", "third")  # commits on its own
    raise NotFound("thing", "x")
