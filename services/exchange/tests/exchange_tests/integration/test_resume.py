"""A replica dying in the middle of an import (docs/contexts/exchange.md, *Import jobs*,
Resume): its job stays claimed until the lease runs out, then another replica takes it,
skips the batches before the checkpoint and sends the batch in flight again under the same
request id — every record applied once, the job done. This exchange works no jobs by itself
(`imports_worker` off): the test plays both replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline_exchange.service_layer.imports import Batch, Imports, Job
from fieldline_kit.external_ids import PRODUCT, orders_catalog_id
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

from . import cml
from .exchange_harness import Exchange, exchange_system
from .test_imports import _import, bearer

LEASE = timedelta(seconds=1)


@pytest_asyncio.fixture(scope="module")
async def system(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Exchange]:
    async with exchange_system(db_factory, nats_server, imports_worker=False, batch=2) as running:
        yield running


class DiesInFlight:
    """The real pipeline, whose replica dies once the batch `n` reached orders but before
    its checkpoint (it never returns: the task is cancelled, as a killed process stops)."""

    def __init__(self, real: Any, n: int) -> None:
        self.real, self.n = real, n
        self.sent = asyncio.Event()

    async def check(self, job: Job) -> Any:
        return await self.real.check(job)

    def batches(self, job: Job, size: int) -> Any:
        return self.real.batches(job, size)

    async def apply(self, job: Job, batch: Batch, request_id: str) -> Any:
        refused = await self.real.apply(job, batch, request_id)
        if batch.n == self.n:
            self.sent.set()
            await asyncio.Event().wait()  # dead before the checkpoint
        return refused


def replica(system: Exchange, owner: str, pipeline: Any) -> Imports:
    app = system.service.app
    return Imports(
        app.uow,
        app.read_uow,
        app.files,
        {"commerceml": pipeline},
        clock=lambda: app.clock(),
        batch=2,
        owner=owner,
        lease=LEASE,
    )


async def test_a_job_left_half_way_is_resumed_by_another_replica(system: Exchange) -> None:
    app = system.service.app
    partner_id, _ = await system.partner("ERP", f"erp-{uuid.uuid4().hex[:8]}")
    key = await system.key(partner_id, "catalog:import", "jobs:read")
    tag = uuid.uuid4().hex[:6]
    products = [f"p-{tag}-{i}" for i in range(7)]
    content = cml.catalog([(f"g-{tag}", "Группа", [])], [(p, p, f"g-{tag}") for p in products])
    job = await _import(system, key, "import.xml", content)  # batches: 1 group, 4 of products
    real = app.imports.pipelines["commerceml"]

    dying = DiesInFlight(real, n=2)
    first = replica(system, "replica-a", dying)
    task = asyncio.create_task(first.step(app.partners.caller))
    await asyncio.wait_for(dying.sent.wait(), 30)
    task.cancel()  # killed: the batch reached orders, its checkpoint never written
    await asyncio.gather(task, return_exceptions=True)
    stuck = (await system.http.get(f"/v1/imports/{job['importId']}", headers=bearer(key))).json()
    assert stuck["state"] == "applying" and stuck["recordsApplied"] == 3  # group + 2 products

    second = replica(system, "replica-b", real)
    assert not await second.step(app.partners.caller)  # still replica-a's, its lease running
    await asyncio.sleep(LEASE.total_seconds() + 0.2)
    assert await second.step(app.partners.caller)
    done = (await system.http.get(f"/v1/imports/{job['importId']}", headers=bearer(key))).json()
    assert done["state"] == "done", done
    assert done["recordsApplied"] == 8  # 1 group + 7 products, each once
    assert system.services is not None
    for external_id in products:
        reply = await system.services.api.catalog.GetProduct(
            cs.GetProductRequest(product_id=orders_catalog_id(PRODUCT, external_id))
        )
        assert reply.product.version == 1  # written once: the resent batch changed nothing
