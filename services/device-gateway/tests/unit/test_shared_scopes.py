"""The shared scopes' cache on its own: a version read once however many ask at once, a
changes list from the lowest cursor serving later ones, older versions dropped, the budget
kept."""

from __future__ import annotations

import asyncio

from fieldline_gateway.adapters.shared_scopes import Entry, SharedScopes


def entries(*seqs: int, size: int = 10) -> list[Entry]:
    return [Entry("prices", f"k{s}", s, b"x" * size) for s in seqs]


async def test_one_read_for_everyone_asking_the_same_version() -> None:
    cache = SharedScopes()
    started = asyncio.Event()

    async def read() -> list[Entry]:
        started.set()
        await asyncio.sleep(0.01)
        return entries(1, 2)

    got = await asyncio.gather(*(cache.snapshot("e", "catalog", 2, read) for _ in range(50)))
    assert cache.reads == 1 and all(g == got[0] for g in got)
    assert await cache.snapshot("e", "catalog", 2, read) == got[0] and cache.reads == 1


async def test_changes_from_the_lowest_cursor_serve_later_ones() -> None:
    cache = SharedScopes()
    asked: list[int] = []

    async def read(since: int) -> list[Entry]:
        asked.append(since)
        return entries(*range(since + 1, 11))

    assert [e.seq for e in await cache.changes("e", "price_type:1", 10, 5, read)] == list(
        range(6, 11)
    )
    await cache.changes("e", "price_type:1", 10, 8, read)  # a later cursor: held
    await cache.changes("e", "price_type:1", 10, 2, read)  # further back: read again
    await cache.changes("e", "price_type:1", 10, 5, read)  # now held from 2
    assert asked == [5, 2]


async def test_a_newer_version_replaces_the_older_and_the_budget_holds() -> None:
    cache = SharedScopes(max_bytes=100)

    async def read_of(*seqs: int) -> list[Entry]:
        return entries(*seqs)

    await cache.snapshot("e", "catalog", 1, lambda: read_of(1))
    await cache.snapshot("e", "catalog", 2, lambda: read_of(1, 2))
    assert cache.size == 20  # version 1 dropped when 2 came
    await cache.snapshot("e", "company", 3, lambda: read_of(*range(20)))  # 200 bytes
    assert cache.size <= 100
    # A new epoch (a store rebuilt): nothing of the old one is kept.
    await cache.snapshot("f", "catalog", 1, lambda: read_of(1))
    assert cache.size == 10
