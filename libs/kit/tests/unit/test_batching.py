"""Batcher: calls arriving while a batch runs form the next batch; outcomes stay per call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from fieldline_kit.batching import Batcher
from fieldline_kit.errors import InvalidArgument


class Recorder:
    """A batch function that records its batches and can be held at a gate."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.running = 0
        self.most_running = 0

    async def run(self, items: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await self.gate.wait()
            return [InvalidArgument("n", "is negative") if i < 0 else i * 10 for i in items]
        finally:
            self.running -= 1


async def test_a_lone_call_runs_at_once_alone() -> None:
    rec = Recorder()
    batcher = Batcher("t", rec.run)
    assert await batcher.submit(1) == 10
    assert rec.batches == [[1]]


async def test_calls_arriving_during_a_batch_form_the_next_batch() -> None:
    rec = Recorder()
    rec.gate.clear()
    batcher = Batcher("t", rec.run, max_batch=3)
    first = asyncio.create_task(batcher.submit(0))
    await asyncio.sleep(0.01)  # the first batch is running, held at the gate
    rest = [asyncio.create_task(batcher.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0.01)
    rec.gate.set()
    assert await first == 0
    assert [await t for t in rest] == [10, 20, 30, 40, 50]
    # Submission order kept; at most max_batch per batch; one batch at a time.
    assert rec.batches == [[0], [1, 2, 3], [4, 5]]
    assert rec.most_running == 1


async def test_calls_made_together_go_together() -> None:
    rec = Recorder()
    batcher = Batcher("t", rec.run)
    assert await asyncio.gather(*(batcher.submit(i) for i in range(5))) == [0, 10, 20, 30, 40]
    assert rec.batches == [[0, 1, 2, 3, 4]]


async def test_each_call_gets_its_own_outcome() -> None:
    rec = Recorder()
    batcher = Batcher("t", rec.run)
    results = await asyncio.gather(
        batcher.submit(1), batcher.submit(-1), batcher.submit(2), return_exceptions=True
    )
    assert results[0] == 10 and results[2] == 20
    assert isinstance(results[1], InvalidArgument)


async def test_a_failing_batch_fails_each_of_its_calls_and_the_next_batch_runs() -> None:
    calls = 0

    async def run(items: Sequence[int]) -> list[int | BaseException]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database gone")
        return list(items)

    batcher = Batcher("t", run)
    results = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    assert await batcher.submit(3) == 3


async def test_wrong_number_of_outcomes_is_an_error_not_a_silent_loss() -> None:
    async def run(items: Sequence[int]) -> list[int | BaseException]:
        return [1]

    batcher = Batcher("t", run)
    results = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_several_batches_in_flight_when_allowed() -> None:
    rec = Recorder()
    rec.gate.clear()
    batcher = Batcher("t", rec.run, max_batch=2, max_in_flight=2)
    tasks = [asyncio.create_task(batcher.submit(i)) for i in range(2)]
    await asyncio.sleep(0.01)
    tasks += [asyncio.create_task(batcher.submit(i)) for i in range(2, 4)]
    await asyncio.sleep(0.01)
    assert rec.running == 2
    rec.gate.set()
    assert [await t for t in tasks] == [0, 10, 20, 30]
    assert rec.most_running == 2


async def test_a_cancelled_caller_does_not_withdraw_its_item() -> None:
    rec = Recorder()
    rec.gate.clear()
    batcher = Batcher("t", rec.run)
    task = asyncio.create_task(batcher.submit(7))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rec.gate.set()
    await batcher.wait_idle()
    assert rec.batches == [[7]]  # processed anyway: its effects stand, a retry finds them


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        Batcher("t", Recorder().run, max_batch=0)
    with pytest.raises(ValueError):
        Batcher("t", Recorder().run, max_in_flight=0)
