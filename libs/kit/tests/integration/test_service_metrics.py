"""What a service reports of itself besides its RPCs' outcomes: RPCs in flight, its database
pool's use, whether its database answers (real servers, real databases)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
from prometheus_client import REGISTRY

from fieldline.clients.v1 import resources_pb2
from fieldline_kit.db import autocommit, create_engine, dispose, probe, watch_pool
from fieldline_kit.grpc.server import create_server
from fieldline_kit.testing.helpers import (
    closed_port,
    eventually,
    new_id,
    unary_method,
    unary_service,
)

if TYPE_CHECKING:
    from conftest import Db

Client = resources_pb2.Client
SERVICE = "test.Slow"


def sample(name: str, service: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service})


# ------------------------------------------------------------------------------ in flight
@pytest.fixture
async def slow_server() -> AsyncIterator[tuple[str, str, asyncio.Event]]:
    """A server whose calls wait for `release`; (its service label, target, release)."""
    release = asyncio.Event()
    label = f"kit-inflight-{new_id()[:8]}"

    async def wait(request: Client, context: grpc.aio.ServicerContext) -> Client:
        await release.wait()
        return request

    server = await create_server(
        label, "127.0.0.1", 0, unary_service(SERVICE, {"Wait": wait}, Client)
    )
    await server.start()
    try:
        yield label, f"127.0.0.1:{server.port}", release
    finally:
        release.set()
        await server.stop(0)


async def test_in_flight_rpcs_rise_while_calls_run_and_fall_when_they_end(
    slow_server: tuple[str, str, asyncio.Event],
) -> None:
    label, target, release = slow_server
    gauge = "fieldline_grpc_server_in_flight_rpcs"
    assert sample(gauge, label) == 0  # there from the server's start
    async with grpc.aio.insecure_channel(target) as channel:
        call = unary_method(channel, SERVICE, "Wait", Client)
        calls = [asyncio.ensure_future(call(Client(id=str(i)))) for i in range(3)]
        await eventually(lambda: sample(gauge, label) == 3, what="3 calls in flight")
        release.set()
        assert [r.id for r in await asyncio.gather(*calls)] == ["0", "1", "2"]
    assert sample(gauge, label) == 0


# ------------------------------------------------------------------------------ the pool
async def test_pool_use_is_read_at_each_scrape(db: Db) -> None:
    label = f"kit-pool-{new_id()[:8]}"
    watch_pool(db.engine, label)
    used, limit = "fieldline_db_pool_checked_out_connections", "fieldline_db_pool_max_connections"
    pool = db.engine.sync_engine.pool
    expected = 20 if db.engine.dialect.name == "postgresql" else 15  # 10 + 10; 5 + 10
    assert (sample(used, label), sample(limit, label)) == (0, expected)
    # Autocommit connections: two write transactions would queue on SQLite's lock.
    async with autocommit(db.engine) as a, autocommit(db.engine) as b:
        await a.exec_driver_sql("SELECT 1")
        await b.exec_driver_sql("SELECT 1")
        assert sample(used, label) == 2 == pool.checkedout()  # type: ignore[attr-defined]
    assert sample(used, label) == 0
    await db.engine.dispose()  # a new pool: still the engine's, still reported
    assert sample(used, label) == 0


# ------------------------------------------------------------------------------ the probe
async def probed(url: str, until: float) -> None:
    """The probe on an engine of `url` until it reports `until`."""
    label = f"kit-probe-{new_id()[:8]}"
    engine = create_engine(url)
    stop = asyncio.Event()
    task = asyncio.create_task(probe(engine, label, stop, interval=0.05, timeout=2))
    try:
        await eventually(lambda: sample("fieldline_db_reachable", label) == until)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await dispose(engine)


async def test_probe_says_reachable_when_the_database_answers(db: Db) -> None:
    await probed(db.url, until=1)


async def test_probe_says_unreachable_when_postgresql_refuses() -> None:
    url = f"postgresql://x@127.0.0.1:{closed_port()}/x"  # a real connection attempt, refused
    await probed(url, until=0)


async def test_probe_follows_a_database_that_comes_back(tmp_path: Path) -> None:
    """SQLite in a directory that is not there yet: unreachable; then it is: reachable."""
    label = f"kit-probe-{new_id()[:8]}"
    missing = tmp_path / "not-yet"
    engine = create_engine(f"sqlite:///{missing / 'x.db'}")
    stop = asyncio.Event()
    task = asyncio.create_task(probe(engine, label, stop, interval=0.05, timeout=2))
    try:
        await eventually(lambda: sample("fieldline_db_reachable", label) == 0)
        missing.mkdir()
        await eventually(lambda: sample("fieldline_db_reachable", label) == 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await dispose(engine)
