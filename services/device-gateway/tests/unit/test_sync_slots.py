"""Syncs served at once: a sync waits for a slot a while, then is refused `sync-busy` with a
Retry-After instead of queueing for the pool's timeout."""

from __future__ import annotations

import asyncio

import pytest

from fieldline_gateway.domain.problems import Problem
from fieldline_gateway.service_layer.sync import BUSY_RETRY_SECONDS, SyncSlots


async def test_a_sync_waits_for_a_slot_then_is_refused_busy() -> None:
    slots = SyncSlots(2, wait_seconds=0.05)
    release = asyncio.Event()
    taken = [asyncio.Event(), asyncio.Event()]

    async def hold(n: int) -> None:
        async with slots.slot():
            taken[n].set()
            await release.wait()

    holders = [asyncio.create_task(hold(n)) for n in range(2)]
    await asyncio.gather(*(t.wait() for t in taken))
    with pytest.raises(Problem) as refused:
        async with slots.slot():
            pytest.fail("a third sync got a slot")
    assert refused.value.code == "sync-busy"
    assert refused.value.retry_after == BUSY_RETRY_SECONDS

    # A slot freed within the wait is taken; a failing sync gives its slot back.
    waiting = asyncio.create_task(_in_slot(slots))
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(*holders)
    assert await waiting == "served"
    with pytest.raises(RuntimeError):
        async with slots.slot():
            raise RuntimeError("the store failed")
    assert [await _in_slot(slots), await _in_slot(slots)] == ["served", "served"]


async def _in_slot(slots: SyncSlots) -> str:
    async with slots.slot():
        return "served"
