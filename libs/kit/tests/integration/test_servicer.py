"""The servicer base on a real ServiceApp: reads, idempotent writes, answers read early."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2
from fieldline_kit.app import ServiceApp
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.servicer import Servicer
from fieldline_kit.settings import ServiceSettings
from fieldline_kit.uow import UnitOfWork

if TYPE_CHECKING:
    from conftest import Db


async def test_writes_are_idempotent_reads_never_commit_and_answers_are_read_early(
    db: Db, support: ModuleType
) -> None:
    settings = ServiceSettings(database_url=db.url, nats_url="nats://127.0.0.1:1")
    app: ServiceApp[Any, UnitOfWork] = ServiceApp(
        settings, uow_class=UnitOfWork, tables=db.tables, mapper=support.thing_mapper("svc")
    )
    woken: list[int] = []
    app.on_commit.append(lambda: woken.append(1))
    servicer: Servicer[Any, UnitOfWork] = Servicer(app)
    req = cs.CreateClientRequest(
        request_id=str(uuid.uuid4()), client=resources_pb2.Client(name="a")
    )

    async def create(uow: UnitOfWork) -> cs.CreateClientResponse:
        thing = support.Thing(str(uuid.uuid4()))
        uow.track(thing)
        thing.rename("a")
        await support.bump(uow.session, db.counters, "a")
        return cs.CreateClientResponse(client=resources_pb2.Client(id=thing.id, name="a"))

    try:
        assert await servicer.answered("Create", req, cs.CreateClientResponse) is None
        first = await servicer.write("Create", req, cs.CreateClientResponse, create)
        assert woken == [1]  # the commit wrote an event: the relay is woken
        assert await servicer.answered("Create", req, cs.CreateClientResponse) == first
        assert await servicer.write("Create", req, cs.CreateClientResponse, create) == first
        assert await db.counter("a") == 1
        other = cs.CreateClientRequest(request_id=req.request_id)
        with pytest.raises(InvalidArgument, match="already used"):
            await servicer.answered("Create", other, cs.CreateClientResponse)
        async with servicer.read() as uow:
            assert uow.read_only
            with pytest.raises(RuntimeError, match="read-only"):
                await uow.commit()
    finally:
        await app.close()
