"""Idempotent writes: one call, a batch, retries, reused and malformed request ids, races."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from google.protobuf.message import Message

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2
from fieldline_kit.errors import Conflict, DomainError, InvalidArgument, NotFound
from fieldline_kit.idempotency import (
    IdempotentCall,
    fingerprint,
    run_idempotent,
    run_idempotent_batch,
)
from fieldline_kit.uow import UnitOfWork

if TYPE_CHECKING:
    from conftest import Db


def request(name: str, request_id: str = "") -> cs.CreateClientRequest:
    return cs.CreateClientRequest(
        request_id=request_id or str(uuid.uuid4()), client=resources_pb2.Client(name=name)
    )


def response(name: str) -> cs.CreateClientResponse:
    return cs.CreateClientResponse(client=resources_pb2.Client(id=name, name=name))


class Work:
    """A use case that counts its runs and writes one counter row per request it accepts."""

    def __init__(self, support: ModuleType, db: Db) -> None:
        self.support = support
        self.db = db
        self.runs = 0
        self.judged: list[str] = []

    async def batch(
        self, uow: UnitOfWork, requests: Sequence[cs.CreateClientRequest]
    ) -> list[Message | DomainError]:
        self.runs += 1
        out: list[Message | DomainError] = []
        for r in requests:
            self.judged.append(r.client.name)
            if r.client.name.startswith("bad"):
                out.append(InvalidArgument("client.name", "is bad"))
                continue
            await self.support.bump(uow.session, self.db.counters, r.client.name)
            out.append(response(r.client.name))
        return out


def factory(db: Db, support: ModuleType) -> Any:
    return lambda: UnitOfWork(db.sessions, db.tables, support.thing_mapper("idem"))


async def test_a_retry_gets_the_stored_response_and_changes_nothing(
    db: Db, support: ModuleType
) -> None:
    work = Work(support, db)
    req = request("a")

    async def one(uow: UnitOfWork) -> cs.CreateClientResponse:
        (result,) = await work.batch(uow, [req])
        assert isinstance(result, cs.CreateClientResponse)
        return result

    first = await run_idempotent(factory(db, support), "Create", req, cs.CreateClientResponse, one)
    again = await run_idempotent(factory(db, support), "Create", req, cs.CreateClientResponse, one)
    assert first == again == response("a")
    assert work.runs == 1 and await db.counter("a") == 1

    other = request("b", req.request_id)  # the same request_id for another request
    with pytest.raises(InvalidArgument, match="request_id: was already used for a different"):
        await run_idempotent(factory(db, support), "Create", other, cs.CreateClientResponse, one)
    with pytest.raises(InvalidArgument, match="request_id: must be a UUID"):
        await run_idempotent(
            factory(db, support), "Create", request("c", "nope"), cs.CreateClientResponse, one
        )


async def test_a_failed_call_stores_nothing_and_writes_nothing(db: Db, support: ModuleType) -> None:
    req = request("a")

    async def failing(uow: UnitOfWork) -> cs.CreateClientResponse:
        await support.bump(uow.session, db.counters, "a")
        raise NotFound("client", "x")

    with pytest.raises(NotFound):
        await run_idempotent(factory(db, support), "Create", req, cs.CreateClientResponse, failing)
    assert await db.counter("a") == 0
    assert await db.rows(db.tables.idempotency) == []


async def test_a_batch_answers_each_request_on_its_own(db: Db, support: ModuleType) -> None:
    work = Work(support, db)
    stored = request("stored")
    await run_idempotent_batch(factory(db, support), "Create", [stored], work.batch)
    work.judged.clear()

    new = request("new")
    bad = request("bad-one")
    repeat = request("new", new.request_id)  # the same request again in the batch
    reused = request("other", new.request_id)  # its request_id for another request
    no_id = cs.CreateClientRequest(client=resources_pb2.Client(name="anonymous"))
    outcomes = await run_idempotent_batch(
        factory(db, support),
        "Create",
        [stored, new, bad, repeat, reused, no_id, request("x", "not-a-uuid")],
        work.batch,
    )
    assert outcomes[0] == response("stored").SerializeToString()  # the stored bytes
    assert outcomes[1] == response("new")
    assert isinstance(outcomes[2], InvalidArgument) and outcomes[2].field == "client.name"
    assert outcomes[3] == response("new")  # answered as the first
    assert isinstance(outcomes[4], InvalidArgument) and "already used" in outcomes[4].message
    assert isinstance(outcomes[5], InvalidArgument) and outcomes[5].field == "request_id"
    assert outcomes[5].problem.startswith("is required")
    assert isinstance(outcomes[6], InvalidArgument) and "UUID" in outcomes[6].message
    assert work.judged == ["new", "bad-one"]  # each judged once
    keys = {r.key for r in await db.rows(db.tables.idempotency)}
    # Stored: the answers with a request_id; not the refused one.
    assert keys == {f"Create:{stored.request_id}", f"Create:{new.request_id}"}


async def test_where_a_request_id_is_optional_a_call_without_one_is_judged_and_not_stored(
    db: Db, support: ModuleType
) -> None:
    work = Work(support, db)
    no_id = cs.CreateClientRequest(client=resources_pb2.Client(name="anonymous"))
    for _ in range(2):  # judged both times: nothing to answer a retry from
        (outcome,) = await run_idempotent_batch(
            factory(db, support), "Check", [no_id], work.batch, required=False
        )
        assert outcome == response("anonymous")
    assert work.judged == ["anonymous", "anonymous"]
    assert await db.rows(db.tables.idempotency) == []
    with pytest.raises(InvalidArgument, match="request_id: is required"):
        await run_idempotent(
            factory(db, support),
            "Check",
            no_id,
            cs.CreateClientResponse,
            lambda u: None,  # type: ignore[arg-type,return-value]
        )


async def test_a_batch_that_hits_a_stored_key_runs_again_once_then_gives_up(
    db: Db, support: ModuleType
) -> None:
    req = request("raced")
    call = IdempotentCall.of("Create", req)
    assert call.digest == fingerprint(req)
    attempts = 0

    def racing(times: int) -> Any:
        async def work(uow: UnitOfWork, requests: Sequence[Message]) -> list[Message | DomainError]:
            nonlocal attempts
            attempts += 1
            if attempts <= times:  # the key's row appears while this transaction works
                await uow.record_responses([(call.key, call.digest, b"")])
            return [response("late")]

        return work

    (outcome,) = await run_idempotent_batch(factory(db, support), "Create", [req], racing(1))
    assert attempts == 2 and outcome == response("late")
    attempts = 0
    with pytest.raises(Conflict, match="concurrent request"):
        await run_idempotent_batch(factory(db, support), "Create", [request("again")], racing(2))
    assert attempts == 2
