"""Two replicas of every service, as the chart's `replicaCount: 2` runs them: separate `serve`
processes on ports of their own sharing the service's PostgreSQL database, one NATS, the
migrations and the topology applied once (the local runner with `replicas=2`).

Callers reach a service through a channel over both replicas' addresses with gRPC's
round_robin policy (`channel`), or one replica alone (`channel_to`); orders reaches settlements
the same way (its ORDERS_SETTLEMENTS_TARGET lists both settlements replicas).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_dev.runner import LOCAL_ADMIN, LocalSystem, RunningService
from fieldline_dev.services import GRPC_SERVICES
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.db import create_engine
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.databases import POSTGRES_ENV, DatabaseFactory

REPLICAS = 2
SERVICES = ("clients", "orders", "settlements")
ROUND_ROBIN = (("grpc.lb_policy_name", "round_robin"),)
HANDLED = "fieldline_grpc_server_handled_total"  # labels: service, grpc_method (its path), code


def samples(replica: RunningService, name: str) -> list[tuple[dict[str, str], float]]:
    """`replica`'s samples of `name` (e.g. `fieldline_grpc_server_handled_total`), read from its
    metrics port: (labels, value) each."""
    url = f"http://127.0.0.1:{replica.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as reply:
        text = reply.read().decode()
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


@dataclass
class Replicated:
    local: LocalSystem
    engines: dict[str, AsyncEngine]  # each service's database
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    def replicas(self, service: str) -> list[RunningService]:
        return self.local.replicas_of(service)

    def channel(self, service: str, caller: Caller = LOCAL_ADMIN) -> grpc.aio.Channel:
        """Calls as `caller`, spread round robin over every replica of `service`."""
        return self._open(self.local.target_of(service), caller)

    def channel_to(self, replica: RunningService, caller: Caller = LOCAL_ADMIN) -> grpc.aio.Channel:
        """Calls as `caller`, to `replica` only."""
        return self._open(replica.target, caller)

    def _open(self, target: str, caller: Caller) -> grpc.aio.Channel:
        channel = grpc.aio.insecure_channel(
            target,
            options=ROUND_ROBIN,
            interceptors=[BearerToken(self.local.token_source(caller))],
        )
        self.channels.append(channel)
        return channel

    async def metric(self, replica: RunningService, name: str, **labels: str) -> float:
        """The sum of `replica`'s samples of `name` whose labels include `labels`."""
        found = await asyncio.to_thread(samples, replica, name)
        return sum(v for ls, v in found if all(ls.get(k) == x for k, x in labels.items()))

    async def handled(self, service: str, method: str) -> list[float]:
        """Per replica of `service`: the calls of `method` (its short name) it has answered,
        whatever their code."""
        counts = []
        for replica in self.replicas(service):
            found = await asyncio.to_thread(samples, replica, HANDLED)
            counts.append(sum(v for ls, v in found if ls["grpc_method"].endswith(f"/{method}")))
        return counts

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


@pytest_asyncio.fixture(scope="module")
async def replicated() -> AsyncIterator[Replicated]:
    if not os.environ.get(POSTGRES_ENV, ""):
        pytest.skip(
            "replicas share one PostgreSQL database per service (an SQLite file cannot be "
            f"shared by replicas on other hosts): set {POSTGRES_ENV}"
        )
    with tempfile.TemporaryDirectory(prefix="fl-replicas-") as tmp:
        factory = DatabaseFactory(Path(tmp))
        urls = {name: await factory.create() for name in SERVICES}
        local = LocalSystem(
            data_dir=Path(tmp) / "system",
            fixed_ports=False,
            services=GRPC_SERVICES,
            replicas=REPLICAS,
            extra_env={
                "DRAIN_DELAY_SECONDS": "0",
                "SHUTDOWN_GRACE_SECONDS": "5",
                "OUTBOX_POLL_SECONDS": "0.2",
            },
            database_urls=urls,
        )
        system = Replicated(
            local, {name: create_engine(url, pool_size=2) for name, url in urls.items()}
        )
        try:
            await asyncio.to_thread(local.start)
            yield system
        finally:
            await system.close()
            for engine in system.engines.values():
                await engine.dispose()
            await asyncio.to_thread(local.stop, 5)
            await factory.drop_all()
