"""An HTTP service (`HttpServiceSpec`) started in-process exactly as `serve` runs it: a fresh
migrated database (or a given one: another replica), the declared JetStream topology, local
free ports; stopped as SIGTERM would stop it. The test talks to it over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import nats

from fieldline_kit.http_service import HttpProcess, HttpServiceSpec
from fieldline_kit.messaging import topology
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.testing.databases import DatabaseFactory

TEST_HTTP_SETTINGS: dict[str, Any] = {
    "http_host": "127.0.0.1",
    "http_port": 0,
    "grpc_host": "127.0.0.1",
    "metrics_port": 0,
    "outbox_poll_seconds": 0.1,
    "shutdown_grace_seconds": 5.0,
    "drain_delay_seconds": 0.0,
}


@dataclass
class RunningHttpService:
    process: HttpProcess
    app: Any
    database_url: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.process.http_port}"


@contextlib.asynccontextmanager
async def http_service_running(
    spec: HttpServiceSpec[Any, Any],
    db_factory: DatabaseFactory,
    nats_url: str,
    *,
    database_url: str = "",
    **overrides: Any,
) -> AsyncIterator[RunningHttpService]:
    url = database_url
    if not url:
        url = await db_factory.create()
        await upgrade_async(url, spec.migrations)
    nc = await nats.connect(nats_url)
    try:
        await topology.apply(nc.jetstream())
    finally:
        await nc.close()
    settings = spec.settings(
        database_url=url, nats_url=nats_url, **{**TEST_HTTP_SETTINGS, **overrides}
    )
    process, app = await spec.build(settings)
    task = asyncio.create_task(process.run(install_signal_handlers=False))
    try:
        ready = asyncio.create_task(process.ready.wait())
        done, _ = await asyncio.wait({ready, task}, timeout=20, return_when="FIRST_COMPLETED")
        if task in done:
            task.result()  # raises why it stopped
        if ready not in done:
            raise TimeoutError(f"{spec.name} not ready within 20 s")
        yield RunningHttpService(process, app, url)
    finally:
        process.stop_requested.set()
        await asyncio.wait_for(task, 30)
