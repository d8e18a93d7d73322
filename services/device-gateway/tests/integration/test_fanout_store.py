"""The sync store on a real database (SQLite, and PostgreSQL with FIELDLINE_TEST_POSTGRES_URL):
the clock, writes that change nothing, tombstones, membership intervals, the delta's four
steps, paging bounds, compaction, and the fan-out of one price list to 2,000 agents."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fieldline_gateway.adapters import fanout_store as store
from fieldline_gateway.adapters.fanout_store import (
    PROTOCOL_LIMITS,
    FanoutItem,
    PageLimits,
    StorePage,
    SyncStore,
)
from fieldline_gateway.adapters.fanout_tables import (
    fanout_clock,
    fanout_heads,
    fanout_members,
    fanout_objects,
)
from fieldline_gateway.adapters.shared_scopes import SharedScopes
from fieldline_gateway.domain.cursor import Phase, Position
from fieldline_kit.db import read_session_factory, session_factory

from .store_writes import Write, write


def put(*items: FanoutItem) -> Write:
    return lambda s, seq: store.put_objects(s, seq, items)


def join(agent: str, *scopes: str) -> Write:
    return lambda s, seq: store.set_memberships(s, seq, agent, set(scopes))


def item(section: str, key: str, scope: str, data: Any, version: int | None = None) -> FanoutItem:
    return FanoutItem(section, key, scope, json.dumps(data).encode(), version)


async def clock(engine: AsyncEngine) -> store.ClockState:
    async with SyncStore(read_session_factory(engine)).snapshot() as snap:
        found = await snap.clock()
    assert found is not None
    return found


async def read_delta(
    engine: AsyncEngine, agent: str, c: int, limits: PageLimits = PROTOCOL_LIMITS
) -> tuple[list[StorePage], list[dict[str, Any]]]:
    """Every page of the agent's delta from `c` (at the high of the first page)."""
    return await _read_pages(
        engine, lambda snap, high, after: snap.delta(agent, c, high, limits, after)
    )


async def read_full(
    engine: AsyncEngine, agent: str, limits: PageLimits = PROTOCOL_LIMITS
) -> tuple[list[StorePage], list[dict[str, Any]]]:
    return await _read_pages(
        engine, lambda snap, high, after: snap.full(agent, high, limits, after)
    )


async def _read_pages(
    engine: AsyncEngine, read: Callable[[Any, int, Position | None], Awaitable[StorePage]]
) -> tuple[list[StorePage], list[dict[str, Any]]]:
    high = (await clock(engine)).seq
    pages: list[StorePage] = []
    after: Position | None = None
    while True:
        async with SyncStore(read_session_factory(engine)).snapshot() as snap:
            page = await read(snap, high, after)
        pages.append(page)
        if page.next is None:
            break
        after = page.next
    entries = [
        {"section": section, **json.loads(entry)}
        for page in pages
        for section, section_entries in page.sections.items()
        for entry in section_entries
    ]
    return pages, entries


async def row(engine: AsyncEngine, section: str, key: str) -> Any:
    async with engine.connect() as conn:
        query = select(fanout_objects).where(
            fanout_objects.c.section == section, fanout_objects.c.key == key
        )
        return (await conn.execute(query)).first()


async def count(engine: AsyncEngine, table: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
        )


# ------------------------------------------------------------------ the clock


async def test_the_clock_is_made_with_a_new_epoch_and_gives_one_seq_per_transaction(
    engine: AsyncEngine,
) -> None:
    async with SyncStore(read_session_factory(engine)).snapshot() as snap:
        assert await snap.clock() is None  # a store never written has no clock
    first = await write(engine)
    second = await write(engine)
    assert (first, second) == (1, 2)
    state = await clock(engine)
    assert state.seq == 2 and state.horizon == 0
    assert str(uuid.UUID(state.epoch)) == state.epoch


async def test_a_second_writer_takes_its_seq_only_after_the_first_commits(
    engine: AsyncEngine,
) -> None:
    await write(engine)  # the clock exists
    sessions = session_factory(engine)
    async with sessions() as first, first.begin():
        s1 = await store.advance_clock(first)

        async def second() -> int:
            return await write(engine, put(item("routes", "r-2", "route:r-2", {"id": "r-2"})))

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # queued on the clock row
        await store.put_objects(first, s1, [item("routes", "r-1", "route:r-1", {"id": "r-1"})])
    s2 = await asyncio.wait_for(waiting, 30)
    assert s2 == s1 + 1
    assert (await row(engine, "routes", "r-1")).seq == s1
    assert (await row(engine, "routes", "r-2")).seq == s2


async def test_writers_racing_for_a_new_clock_make_one(engine: AsyncEngine) -> None:
    seqs = await asyncio.gather(*(write(engine) for _ in range(5)))
    assert sorted(seqs) == [1, 2, 3, 4, 5]
    assert await count(engine, fanout_clock) == 1


# ------------------------------------------------------------------ objects


async def test_a_write_that_changes_nothing_takes_no_seq(engine: AsyncEngine) -> None:
    price = item("prices", "pl-1/p-1", "price_type:pt-1", {"price": "87.40"})
    await write(engine, join("e-1", "price_type:pt-1"))
    first = await write(engine, put(price))
    c = (await clock(engine)).seq

    results: list[store.PutResult] = []

    async def again(s: AsyncSession, seq: int) -> None:
        results.append(await store.put_objects(s, seq, [price]))

    await write(engine, again)
    assert results[0] == store.PutResult(changed=0, unchanged=1)
    assert (await row(engine, "prices", "pl-1/p-1")).seq == first
    async with engine.connect() as conn:
        head = await conn.execute(
            select(fanout_heads.c.seq).where(fanout_heads.c.scope == "price_type:pt-1")
        )
        assert head.scalar_one() == first
    _, entries = await read_delta(engine, "e-1", c)
    assert entries == []  # the cursor moved, nothing for the agent


async def test_an_older_version_is_refused_and_a_newer_equal_body_remembered(
    engine: AsyncEngine,
) -> None:
    outlet = {"id": "o-1", "name": "Ромашка"}
    v5 = await write(engine, put(item("outlets", "o-1", "outlet:o-1", outlet, 5)))
    stale = await write(engine, put(item("outlets", "o-1", "outlet:o-1", {"id": "o-1"}, 4)))
    found = await row(engine, "outlets", "o-1")
    assert (found.seq, found.source_version, json.loads(found.body)) == (v5, 5, outlet)
    assert stale > v5
    # v7 with the same body: nothing changes for devices, but v6 arriving late must lose.
    await write(engine, put(item("outlets", "o-1", "outlet:o-1", outlet, 7)))
    found = await row(engine, "outlets", "o-1")
    assert (found.seq, found.source_version) == (v5, 7)
    await write(engine, put(item("outlets", "o-1", "outlet:o-1", {"id": "o-1", "v": 6}, 6)))
    assert json.loads((await row(engine, "outlets", "o-1")).body) == outlet
    # An unversioned body (a refetch) is compared by its hash alone.
    changed = await write(engine, put(item("outlets", "o-1", "outlet:o-1", {"id": "o-1", "v": 8})))
    found = await row(engine, "outlets", "o-1")
    assert (found.seq, json.loads(found.body)) == (changed, {"id": "o-1", "v": 8})


async def test_bodies_are_stored_as_given(engine: AsyncEngine) -> None:
    body = '{"name":"Магазин «Ромашка»","n":1.50,"a":[ ]}'.encode()
    await write(engine, join("e-1", "outlet:o-1"))
    await write(engine, put(FanoutItem("outlets", "o-1", "outlet:o-1", body)))
    pages, _ = await read_full(engine, "e-1")
    assert pages[0].sections["outlets"] == [
        b'{"key":"o-1","scope":"outlet:o-1","data":' + body + b"}"
    ]


async def test_tombstones_are_sent_in_a_delta_and_left_out_of_a_full(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "route:r-7"))
    await write(
        engine,
        put(
            item("routeOutlets", "r-7/o-1", "route:r-7", {"outletId": "o-1"}),
            item("routeOutlets", "r-7/o-2", "route:r-7", {"outletId": "o-2"}),
        ),
    )
    c = (await clock(engine)).seq
    counts: list[int] = []

    async def remove(s: AsyncSession, seq: int) -> None:
        counts.append(await store.tombstone(s, seq, "routeOutlets", ["r-7/o-1", "r-7/o-9"]))

    removed_at = await write(engine, remove)
    await write(engine, remove)  # already removed: nothing
    assert counts == [1, 0]
    gone = await row(engine, "routeOutlets", "r-7/o-1")
    assert (gone.deleted, gone.body, gone.seq) == (True, b"", removed_at)
    _, entries = await read_delta(engine, "e-1", c)
    assert entries == [
        {"section": "routeOutlets", "key": "r-7/o-1", "scope": "route:r-7", "deleted": True}
    ]
    _, everything = await read_full(engine, "e-1")
    assert [e["key"] for e in everything] == ["r-7/o-2"]
    # A live write revives it; a versioned removal of an unknown key stays as a tombstone.
    await write(engine, put(item("routeOutlets", "r-7/o-1", "route:r-7", {"outletId": "o-1"})))
    await write(engine, put(FanoutItem("routeOutlets", "r-7/o-5", "route:r-7", None, 3)))
    await write(engine, put(item("routeOutlets", "r-7/o-5", "route:r-7", {"outletId": "o-5"}, 2)))
    assert (await row(engine, "routeOutlets", "r-7/o-5")).deleted
    _, everything = await read_full(engine, "e-1")
    assert sorted(e["key"] for e in everything) == ["r-7/o-1", "r-7/o-2"]


# ------------------------------------------------------------------ memberships


async def test_memberships_are_intervals(engine: AsyncEngine) -> None:
    s1 = await write(engine, join("e-1", "company", "outlet:o-1", "outlet:o-2"))
    changes: list[Any] = []

    async def move(s: AsyncSession, seq: int) -> None:
        changes.append(
            await store.set_memberships(s, seq, "e-1", {"company", "outlet:o-2", "outlet:o-3"})
        )

    s2 = await write(engine, move)
    assert changes[0].close == {"outlet:o-1"} and changes[0].open == {"outlet:o-3"}
    async with engine.connect() as conn:
        rows = (await conn.execute(select(fanout_members).order_by(fanout_members.c.scope))).all()
    assert [(r.scope, r.added_seq, r.removed_seq) for r in rows] == [
        ("company", s1, None),
        ("outlet:o-1", s1, s2),
        ("outlet:o-2", s1, None),
        ("outlet:o-3", s2, None),
    ]
    async with session_factory(engine)() as s:
        assert await store.open_scopes(s, "e-1") == {"company", "outlet:o-2", "outlet:o-3"}
        assert await store.members_of(s, "outlet:o-1") == set()
        assert await store.members_of(s, "outlet:o-2") == {"e-1"}
    # Back again: a new interval; the old one stays closed.
    s3 = await write(engine, join("e-1", "company", "outlet:o-1"))
    assert await count(engine, fanout_members, fanout_members.c.scope == "outlet:o-1") == 2
    async with session_factory(engine)() as s:
        assert await store.open_scopes(s, "e-1") == {"company", "outlet:o-1"}
        assert (await store.scopes_at(s, "e-1", s2)) == ("company", "outlet:o-2", "outlet:o-3")
        assert (await store.scopes_at(s, "e-1", s3)) == ("company", "outlet:o-1")


async def test_a_scope_opened_and_closed_in_one_transaction_leaves_no_interval(
    engine: AsyncEngine,
) -> None:
    await write(
        engine, join("e-1", "company"), join("e-1", "company", "outlet:o-1"), join("e-1", "company")
    )
    assert await count(engine, fanout_members, fanout_members.c.scope == "outlet:o-1") == 0


async def test_memberships_of_many_agents_in_one_statement_each(engine: AsyncEngine) -> None:
    desired = {f"e-{n}": {"company", f"agent:e-{n}", f"outlet:o-{n % 3}"} for n in range(50)}

    async def many(s: AsyncSession, seq: int) -> None:
        await store.set_memberships_many(s, seq, desired)

    await write(engine, many)
    assert await count(engine, fanout_members) == 150
    async with session_factory(engine)() as s:
        assert len(await store.members_of(s, "outlet:o-1")) == 17


async def test_the_scope_changes_between_a_cursor_and_high(engine: AsyncEngine) -> None:
    both = [
        "company",
        "outlet:gone",
        "outlet:back",
        "outlet:steady",
        "outlet:quiet",
        "outlet:brief",
    ]
    await write(engine, join("e-1", *both[:5]))
    await write(engine, put(*(item("outlets", s, s, {"id": s}) for s in both[:5])))
    c = (await clock(engine)).seq
    await write(engine, join("e-1", "company", "outlet:back", "outlet:steady", "outlet:quiet"))
    await write(engine, join("e-1", "company", "outlet:steady", "outlet:quiet", "outlet:brief"))
    await write(
        engine,
        join("e-1", "company", "outlet:steady", "outlet:quiet", "outlet:back", "outlet:new"),
    )
    await write(engine, put(item("outlets", "outlet:steady", "outlet:steady", {"id": 2})))
    high = (await clock(engine)).seq
    await write(engine, join("e-1", "company"))  # after high: not seen by this delta
    async with SyncStore(read_session_factory(engine)).snapshot() as snap:
        found = await store.scope_changes(snap.session, "e-1", c, high)
    assert found == store.ScopeChanges(
        removed=("outlet:gone",),
        reset=("outlet:back", "outlet:new"),  # left and came back: sent again in full
        changed=("outlet:steady",),  # outlet:quiet has nothing new; outlet:brief came and went
    )


async def test_a_joined_scope_is_reset_with_its_snapshot_and_a_left_one_removed(
    engine: AsyncEngine,
) -> None:
    await write(engine, join("e-1", "company", "outlet:o-1"))
    await write(
        engine,
        put(
            item("outlets", "o-1", "outlet:o-1", {"id": "o-1"}),
            item("recommendedOrders", "o-1", "outlet:o-1", {"outletId": "o-1"}),
            item("outlets", "o-2", "outlet:o-2", {"id": "o-2"}),
            item("recommendedOrders", "o-2", "outlet:o-2", {"outletId": "o-2"}),
        ),
    )
    c = (await clock(engine)).seq
    await write(engine, join("e-1", "company", "outlet:o-2"))
    pages, entries = await read_delta(engine, "e-1", c)
    assert (pages[0].removed, pages[0].reset) == (("outlet:o-1",), ("outlet:o-2",))
    assert sorted((e["section"], e["key"]) for e in entries) == [
        ("outlets", "o-2"),
        ("recommendedOrders", "o-2"),
    ]


async def test_a_delta_holds_only_the_agents_scopes(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "company", "outlet:o-1"), join("e-2", "company", "outlet:o-2"))
    c = (await clock(engine)).seq
    await write(
        engine,
        put(
            item("outlets", "o-1", "outlet:o-1", {"id": "o-1"}),
            item("outlets", "o-2", "outlet:o-2", {"id": "o-2"}),
            item("questionnaires", "q-1", "company", {"id": "q-1"}),
        ),
    )
    _, mine = await read_delta(engine, "e-1", c)
    _, theirs = await read_delta(engine, "e-2", c)
    assert sorted(e["key"] for e in mine) == ["o-1", "q-1"]
    assert sorted(e["key"] for e in theirs) == ["o-2", "q-1"]
    _, nobody = await read_delta(engine, "e-3", c)
    assert nobody == []


# ------------------------------------------------------------------ pages


async def test_pages_are_cut_by_items_and_by_bytes(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "catalog"))
    await write(
        engine,
        put(
            *(
                item("products", f"p-{n:03}", "catalog", {"id": n, "pad": "x" * 100})
                for n in range(25)
            )
        ),
    )
    pages, entries = await read_full(engine, "e-1", PageLimits(max_items=10))
    assert [p.items for p in pages] == [10, 10, 5]
    assert [e["key"] for e in entries] == [f"p-{n:03}" for n in range(25)]
    pages, entries = await read_full(engine, "e-1", PageLimits(max_bytes=700))
    biggest = max(len(e) for p in pages for section in p.sections.values() for e in section)
    assert 140 < biggest < 200
    assert all(p.size <= 700 for p in pages)
    assert all(p.size > 700 - biggest for p in pages[:-1])  # full: the next one did not fit
    assert [e["key"] for e in entries] == [f"p-{n:03}" for n in range(25)]
    # An item larger than a page still goes, alone.
    pages, entries = await read_full(engine, "e-1", PageLimits(max_bytes=10))
    assert [p.items for p in pages] == [1] * 25
    # A page that ends exactly where its phase ends says so on the next page, which is empty.
    pages, _ = await read_full(engine, "e-1", PageLimits(max_items=25))
    assert [p.items for p in pages] == [25]


async def test_a_delta_pages_through_its_resets_then_its_changes(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "catalog"))
    await write(engine, put(*(item("products", f"p-{n}", "catalog", {"n": n}) for n in range(4))))
    await write(engine, put(*(item("outlets", f"o-{n}", "outlet:o", {"n": n}) for n in range(3))))
    c = (await clock(engine)).seq
    await write(engine, join("e-1", "catalog", "outlet:o"))
    await write(engine, put(item("products", "p-1", "catalog", {"n": "one"})))
    await write(engine, put(item("products", "p-3", "catalog", {"n": "three"})))
    for size in (1, 2, 3, 4, 100):
        pages, entries = await read_delta(engine, "e-1", c, PageLimits(max_items=size))
        assert [(e["section"], e["key"]) for e in entries] == [
            ("outlets", "o-0"),
            ("outlets", "o-1"),
            ("outlets", "o-2"),
            ("products", "p-1"),
            ("products", "p-3"),
        ], size
        assert pages[-1].next is None
        assert all(p.items <= size for p in pages)
    pages, _ = await read_delta(engine, "e-1", c, PageLimits(max_items=2))
    assert pages[0].next == Position(Phase.SNAPSHOT, scope="outlet:o", section="outlets", key="o-1")
    # The resets filled the page exactly: the next one starts at the changes.
    pages, _ = await read_delta(engine, "e-1", c, PageLimits(max_items=3))
    assert pages[0].next == Position(Phase.CHANGES)
    pages, _ = await read_delta(engine, "e-1", c, PageLimits(max_items=4))
    assert pages[0].next == Position(Phase.CHANGES, seq=c + 2, section="products", key="p-1")


async def test_sections_can_be_left_out(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "outlet:o-1"))
    c = (await clock(engine)).seq
    await write(
        engine,
        put(
            item("outlets", "o-1", "outlet:o-1", {}),
            item("equipment", "eq-1", "outlet:o-1", {}),
        ),
    )
    async with SyncStore(read_session_factory(engine)).snapshot() as snap:
        high = (await snap.clock()).seq  # type: ignore[union-attr]
        full = await snap.full("e-1", high, PageLimits(), exclude_sections={"equipment"})
        delta = await snap.delta("e-1", c, high, PageLimits(), exclude_sections={"equipment"})
    assert list(full.sections) == ["outlets"] and list(delta.sections) == ["outlets"]


async def test_a_page_is_read_in_one_snapshot(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "catalog"), put(item("products", "p-1", "catalog", {})))
    async with SyncStore(read_session_factory(engine)).snapshot() as snap:
        if engine.dialect.name == "postgresql":
            level = (await snap.session.execute(text("SHOW transaction_isolation"))).scalar_one()
            assert level == "repeatable read"
        before = await snap.clock()
        rows_before = (
            await snap.session.execute(select(func.count()).select_from(fanout_objects))
        ).scalar_one()
        await write(engine, put(item("products", "p-2", "catalog", {})))  # commits meanwhile
        assert await snap.clock() == before
        rows_after = (
            await snap.session.execute(select(func.count()).select_from(fanout_objects))
        ).scalar_one()
        assert rows_after == rows_before
    assert (await clock(engine)).seq == before.seq + 1  # type: ignore[union-attr]


# ------------------------------------------------------------------ compaction


async def test_compaction_deletes_old_tombstones_and_intervals_and_raises_the_horizon(
    engine: AsyncEngine,
) -> None:
    await write(engine, join("e-1", "route:r-1", "outlet:o-1"))
    await write(
        engine, put(*(item("routeOutlets", f"r-1/o-{n}", "route:r-1", {}) for n in range(4)))
    )
    gone_at = await write(
        engine, lambda s, seq: store.tombstone(s, seq, "routeOutlets", ["r-1/o-0", "r-1/o-1"])
    )
    left_at = await write(engine, join("e-1", "route:r-1"))
    later = await write(engine, lambda s, seq: store.tombstone(s, seq, "routeOutlets", ["r-1/o-2"]))
    results: list[store.CompactResult] = []

    async def run(s: AsyncSession, up_to: int) -> None:
        results.append(await store.compact(s, up_to_seq=up_to))

    async with session_factory(engine)() as s, s.begin():
        await run(s, gone_at)
    assert results[-1] == store.CompactResult(horizon=gone_at, objects=2, intervals=0)
    async with session_factory(engine)() as s, s.begin():
        await run(s, later - 1)
    assert results[-1] == store.CompactResult(horizon=left_at, objects=0, intervals=1)
    assert (await clock(engine)).horizon == left_at
    assert await count(engine, fanout_objects) == 2  # the live one and the newer tombstone
    async with session_factory(engine)() as s, s.begin():
        await run(s, 1)  # below the horizon: nothing, the horizon never falls
    assert results[-1].horizon == left_at and (await clock(engine)).horizon == left_at


async def test_compaction_by_age(engine: AsyncEngine) -> None:
    now = datetime(2026, 3, 4, tzinfo=UTC)
    ages = [40, 35, 31, 29, 5, 1]  # days before now, in seq order
    seqs = []
    for n, age in enumerate(ages):
        moment = now - timedelta(days=age)

        async def step(s: AsyncSession, seq: int, n: int = n, moment: datetime = moment) -> None:
            await store.put_objects(
                s, seq, [FanoutItem("visits", f"v-{n}", "agent:e-1", None, 1)], now=moment
            )

        seqs.append(await write(engine, step))
    async with session_factory(engine)() as s, s.begin():
        assert await store.seq_before(s, now - timedelta(days=30), seqs[-1]) == seqs[2]
        assert await store.seq_before(s, now - timedelta(days=50), seqs[-1]) == 0
        assert await store.seq_before(s, now, seqs[-1]) == seqs[-1]
        result = await store.compact(s, older_than=now - timedelta(days=30))
    assert result == store.CompactResult(horizon=seqs[2], objects=3, intervals=0)


# ------------------------------------------------------------------ fan-out at scale


async def test_a_price_list_for_2000_agents_is_written_once(engine: AsyncEngine) -> None:
    agents = [f"e-{n:04}" for n in range(2000)]
    shared = "price_type:pt-1"

    async def members(s: AsyncSession, seq: int) -> None:
        await store.set_memberships_many(
            s, seq, {a: {"company", "catalog", f"agent:{a}", shared} for a in agents}
        )

    await write(engine, members)
    c = (await clock(engine)).seq
    prices = [
        item(
            "prices",
            f"pl-31/p-{n:04}",
            shared,
            {
                "priceListId": "pl-31",
                "productId": f"p-{n:04}",
                "price": {"amount": f"{n}.40", "currency": "RUB"},
            },
        )
        for n in range(3000)
    ]
    results: list[store.PutResult] = []

    async def write_prices(s: AsyncSession, seq: int) -> None:
        results.append(await store.put_objects(s, seq, prices))

    written = await write(engine, write_prices)
    assert (results[0].changed, results[0].unchanged) == (3000, 0)
    assert await count(engine, fanout_objects) == 3000
    assert await count(engine, fanout_objects, fanout_objects.c.seq == written) == 3000
    high = (await clock(engine)).seq
    async with SyncStore(read_session_factory(engine)).snapshot() as snap:
        for agent in agents:
            found = await store.scope_changes(snap.session, agent, c, high)
            assert found == store.ScopeChanges(removed=(), reset=(), changed=(shared,)), agent
    for agent in [agents[0], *random.sample(agents, 3), agents[-1]]:
        pages, entries = await read_delta(engine, agent, c)
        assert len(pages) == 1 and len(entries) == 3000
        assert {e["key"] for e in entries} == {f"pl-31/p-{n:04}" for n in range(3000)}
    # Re-fetching the list with 30 prices changed: 30 changes for everyone.
    c = (await clock(engine)).seq
    refetched = [
        item("prices", p.key, shared, {"changed": True}) if n % 100 == 0 else p
        for n, p in enumerate(prices)
    ]
    results.clear()
    await write(engine, lambda s, seq: write_prices_list(s, seq, refetched, results))
    assert (results[0].changed, results[0].unchanged) == (30, 2970)
    _, entries = await read_delta(engine, agents[1234], c)
    assert len(entries) == 30


async def test_a_price_change_is_read_once_for_every_agent_holding_it(engine: AsyncEngine) -> None:
    """The replica's cache of the shared scopes: 300 agents' deltas after a change of 3,000
    prices, all at once, read the prices from the store once (and their full bundles the
    scope once), and each answer is the same bytes the store alone gives."""
    agents = [f"e-{n:03}" for n in range(300)]
    shared_scope = "price_type:pt-1"
    await write(
        engine,
        lambda s, seq: store.set_memberships_many(
            s, seq, {a: {"catalog", f"agent:{a}", shared_scope} for a in agents}
        ),
        put(*(item("outlets", f"o-{a}", f"agent:{a}", {"agent": a}) for a in agents)),
    )
    c = (await clock(engine)).seq
    await write(
        engine,
        put(*(item("prices", f"pl/p-{n:04}", shared_scope, {"n": n}) for n in range(3000))),
        put(item("outlets", "o-e-007", "agent:e-007", {"agent": "e-007", "v": 2})),
    )
    high = (await clock(engine)).seq
    cache = SharedScopes()
    sessions = read_session_factory(engine)

    async def delta_of(agent: str, shared: SharedScopes | None) -> StorePage:
        async with SyncStore(sessions, shared).snapshot() as snap:
            assert (await snap.clock()) is not None
            return await snap.delta(agent, c, high, PROTOCOL_LIMITS)

    pages = await asyncio.gather(*(delta_of(a, cache) for a in agents))
    assert cache.reads == 1
    assert all(p.items == 3000 + (a == "e-007") for a, p in zip(agents, pages, strict=True))
    for n in (0, 7, 299):  # with the agent's own change merged in seq order
        assert pages[n] == await delta_of(agents[n], None)

    async def full_of(agent: str, shared: SharedScopes | None) -> StorePage:
        async with SyncStore(sessions, shared).snapshot() as snap:
            assert (await snap.clock()) is not None
            return await snap.full(agent, high, PageLimits(max_items=700))

    fulls = await asyncio.gather(*(full_of(a, cache) for a in agents[:50]))
    assert cache.reads == 2  # the price type's snapshot, once
    assert fulls[7] == await full_of(agents[7], None)
    assert fulls[7].next is not None and fulls[7].items == 700
    # A scope written again is another version: read again, once.
    await write(engine, put(item("prices", "pl/p-0001", shared_scope, {"n": 1, "v": 2})))
    high = (await clock(engine)).seq
    pages = await asyncio.gather(*(delta_of(a, cache) for a in agents[:20]))
    assert cache.reads == 3
    assert [p.items for p in pages] == [3000 + (a == "e-007") for a in agents[:20]]


async def write_prices_list(
    s: AsyncSession, seq: int, items: list[FanoutItem], results: list[store.PutResult]
) -> None:
    results.append(await store.put_objects(s, seq, items))


@pytest.mark.parametrize("size", [1, 7])
async def test_the_last_page_position_is_exact(engine: AsyncEngine, size: int) -> None:
    """A page cut at the last item of a phase finds the phase empty on the next page."""
    await write(engine, join("e-1", "catalog"))
    await write(engine, put(*(item("products", f"p-{n}", "catalog", {}) for n in range(7))))
    pages, entries = await read_full(engine, "e-1", PageLimits(max_items=size))
    assert len(entries) == 7
    assert sum(p.items for p in pages) == 7
    assert pages[-1].next is None
