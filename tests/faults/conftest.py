"""The system as `./fl up` starts it (the local runner, its supervisor), but on PostgreSQL
databases of its own, reached through a TCP proxy the suite can cut."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_dev.runner import LocalSystem
from fieldline_dev.services import GRPC_SERVICES
from fieldline_dev.supervisor import RestartPolicy
from fieldline_kit.db import create_engine
from fieldline_kit.testing.databases import POSTGRES_ENV, DatabaseFactory

from .invariants import SERVICES
from .proxy import TcpProxy


@dataclass
class FaultySystem:
    local: LocalSystem
    proxy: TcpProxy
    engines: dict[str, AsyncEngine]  # each service's database, directly (not through the proxy)


@pytest_asyncio.fixture(scope="module")
async def faulty() -> AsyncIterator[FaultySystem]:
    admin = os.environ.get(POSTGRES_ENV, "")
    if not admin:
        pytest.skip(
            f"the fault suite cuts database connections: it needs PostgreSQL ({POSTGRES_ENV})"
        )
    with tempfile.TemporaryDirectory(prefix="fl-faults-") as tmp:
        factory = DatabaseFactory(Path(tmp))
        urls = {name: await factory.create() for name in SERVICES}
        server = make_url(admin)
        proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432)
        proxy.start()
        local = LocalSystem(
            data_dir=Path(tmp) / "system",
            fixed_ports=False,
            services=GRPC_SERVICES,
            extra_env={
                "DRAIN_DELAY_SECONDS": "0",
                "SHUTDOWN_GRACE_SECONDS": "5",
                "OUTBOX_POLL_SECONDS": "0.2",
                "CREDIT_RECHECK_SECONDS": "1",
            },
            database_urls={
                name: make_url(url)
                .set(host="127.0.0.1", port=proxy.port)
                .render_as_string(hide_password=False)
                for name, url in urls.items()
            },
            # Killed on purpose again and again: restarted at once, never a crash loop.
            restart_policy=RestartPolicy(first_delay=0.2, max_delay=1.0, max_restarts=1000),
        )
        engines = {name: create_engine(url, pool_size=2) for name, url in urls.items()}
        try:
            import asyncio

            await asyncio.to_thread(local.start)
            yield FaultySystem(local, proxy, engines)
        finally:
            for engine in engines.values():
                await engine.dispose()
            local.stop(grace=5)
            proxy.stop()
            await factory.drop_all()
