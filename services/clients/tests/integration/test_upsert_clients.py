"""UpsertClients: the ERP's counterparties as clients keyed by external id (for the exchange),
and `external_id` in GetClient and ListClients, over gRPC against a real database and NATS.

What each call wrote is read from the tables (clients, the outbox: one row per published
event) and what was published from the CLIENTS stream.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline_clients.adapters import orm
from fieldline_clients.domain.model import client_id_for
from fieldline_kit.testing.auth import Caller, service_caller
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id

from .builders import caller_of, make_client, make_employee, random_inn
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT
CREATED, UPDATED, UNCHANGED = (
    cs.UPSERT_OUTCOME_CREATED,
    cs.UPSERT_OUTCOME_UPDATED,
    cs.UPSERT_OUTCOME_UNCHANGED,
)
EXCHANGE = service_caller("exchange")


def erp_id() -> str:
    """An ERP id as 1C writes them (a GUID), unique per call."""
    return str(uuid.uuid4())


def item(external_id: str, name: str = "ООО «Из ERP»", **kw: object) -> cs.ClientUpsert:
    fields: dict[str, object] = {
        "inn": "7707083893",
        "kpp": "773601001",
        "type": pb.CLIENT_TYPE_RETAIL,
        "legal_address": "Москва, ул. Тверская, 1",
        **kw,
    }
    return cs.ClientUpsert(external_id=external_id, name=name, **fields)  # type: ignore[arg-type]


def upsert(*items: cs.ClientUpsert, request_id: str = "") -> cs.UpsertClientsRequest:
    return cs.UpsertClientsRequest(request_id=request_id or new_id(), clients=list(items))


async def rows(h: Harness) -> dict[str, int]:
    """Rows of the clients table and of the outbox (one per event)."""
    async with h.app.sessions() as s:
        return {
            t.name: int((await s.execute(select(func.count()).select_from(t))).scalar_one())
            for t in (orm.clients, orm.kit.outbox)
        }


async def events_of(h: Harness, client_id: str) -> list[str]:
    """The events the outbox holds for the client, in order (published or not yet)."""
    o = orm.kit.outbox
    async with h.app.sessions() as s:
        stmt = select(o.c.subject).where(o.c.aggregate_id == client_id).order_by(o.c.id)
        return [subject.rsplit(".", 1)[-1] for subject in (await s.execute(stmt)).scalars()]


async def test_new_external_ids_create_clients_with_derived_ids(svc: Harness) -> None:
    one, two = erp_id(), erp_id()
    reply = await svc.calling(EXCHANGE).clients.UpsertClients(
        upsert(item(one), item(f"  {two} ", "ИП Петров", inn="500100732259", kpp=""))
    )
    assert list(reply.outcomes) == [CREATED, CREATED]
    first, second = reply.clients
    assert (first.id, first.external_id, first.version) == (client_id_for(one), one, 1)
    assert (second.id, second.external_id) == (client_id_for(two), two)
    assert (second.name, second.inn, second.kpp) == ("ИП Петров", "500100732259", "")
    got = await svc.clients.GetClient(cs.GetClientRequest(client_id=first.id))
    assert got.client == first
    events = await published(svc.js, "CLIENTS", about(first.id), expect=1)
    assert [e.name for e in events] == ["ClientCreated"]
    assert events[0].message.client.external_id == one  # type: ignore[attr-defined]


async def test_a_retry_under_the_same_request_id_answers_the_same_and_writes_nothing(
    svc: Harness,
) -> None:
    request = upsert(item(erp_id()), item(erp_id(), kpp="773601002"))
    first = await svc.clients.UpsertClients(request)
    before = await rows(svc)
    again = await svc.clients.UpsertClients(request)
    assert again == first
    assert await rows(svc) == before
    for client in first.clients:
        assert await events_of(svc, client.id) == ["ClientCreated"]


async def test_the_same_batch_under_a_new_request_id_creates_nothing_twice(
    svc: Harness,
) -> None:
    """What a crashed import sent again with a new request id: the ids derive from the
    external ids, so it finds the same clients, unchanged."""
    batch = (item(erp_id()), item(erp_id(), "ООО «Второй»"))
    first = await svc.clients.UpsertClients(upsert(*batch))
    before = await rows(svc)
    again = await svc.clients.UpsertClients(upsert(*batch))
    assert list(again.outcomes) == [UNCHANGED, UNCHANGED]
    assert list(again.clients) == list(first.clients)
    assert await rows(svc) == before


async def test_an_unchanged_item_publishes_nothing_and_a_changed_one_one_event(
    svc: Harness,
) -> None:
    same, changed = erp_id(), erp_id()
    created = await svc.clients.UpsertClients(upsert(item(same), item(changed)))
    reply = await svc.clients.UpsertClients(
        upsert(
            item(same, name=" ООО «Из ERP» ", kpp="773601001"),  # the same once trimmed
            item(changed, legal_address="Казань, ул. Баумана, 1", kpp="7736ab001"),
        )
    )
    assert list(reply.outcomes) == [UNCHANGED, UPDATED]
    kept, moved = reply.clients
    assert kept == created.clients[0]
    assert (moved.id, moved.version, moved.external_id) == (created.clients[1].id, 2, changed)
    assert (moved.legal_address, moved.kpp) == ("Казань, ул. Баумана, 1", "7736AB001")
    assert moved.create_time == created.clients[1].create_time
    assert await events_of(svc, kept.id) == ["ClientCreated"]
    assert await events_of(svc, moved.id) == ["ClientCreated", "ClientChanged"]
    events = await published(svc.js, "CLIENTS", about(moved.id), expect=2)
    assert [e.name for e in events] == ["ClientCreated", "ClientChanged"]
    change = events[1].message
    assert list(change.changed_fields) == ["kpp", "legal_address"]  # type: ignore[attr-defined]
    assert events[1].envelope.aggregate_version == 2


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (item("", "без ключа"), "clients[1].external_id: must not be empty"),
        (item("Я" * 65), "clients[1].external_id: must be at most 64 characters"),
        (item(erp_id(), inn="7707083894"), "clients[1].inn: checksum does not match"),
        (item(erp_id(), inn="77070838"), "clients[1].inn: must be 10 or 12 digits"),
        (item(erp_id(), kpp=""), "clients[1].kpp: is required for an organisation"),
        (item(erp_id(), inn="500100732259"), "clients[1].kpp: must be empty"),
        (item(erp_id(), ""), "clients[1].name: must not be empty"),
        (item(erp_id(), "Я" * 301), "clients[1].name: must be at most 300 characters"),
        (item(erp_id(), type=pb.CLIENT_TYPE_UNSPECIFIED), "clients[1].type: is required"),
        (item(erp_id(), type=99), "clients[1].type: unknown value 99"),
        (
            item(erp_id(), legal_address="Я" * 2001),
            "clients[1].legal_address: must be at most 2000 characters",
        ),
    ],
)
async def test_an_invalid_item_is_named_by_index_and_field_and_nothing_is_written(
    svc: Harness, bad: cs.ClientUpsert, named: str
) -> None:
    known = erp_id()
    await svc.clients.UpsertClients(upsert(item(known)))
    before = await rows(svc)
    good = item(erp_id())
    changed = item(known, legal_address="Казань")
    await expect_error(svc.clients.UpsertClients(upsert(good, bad, changed)), INVALID, named)
    assert await rows(svc) == before
    listed = await svc.clients.ListClients(cs.ListClientsRequest(external_ids=[known]))
    assert [c.legal_address for c in listed.clients] == ["Москва, ул. Тверская, 1"]


async def test_every_invalid_item_is_named_and_the_rest_goes_through_under_the_same_id(
    svc: Harness,
) -> None:
    """The refusal names every refused item; the exchange reports them and sends the rest of
    the batch again under the same request id: a refused call stored no answer under it."""
    dup = erp_id()
    items = [item(dup), item(erp_id(), kpp="1"), item(dup, "дубль"), item(erp_id())]
    request_id = new_id()
    before = await rows(svc)
    error = await expect_error(
        svc.clients.UpsertClients(upsert(*items, request_id=request_id)), INVALID
    )
    details = error.details() or ""
    assert details.startswith("clients[1].kpp: must be 9 characters NNNNXXNNN")
    assert f"(and 1 more: clients[2].external_id: '{dup}' is also clients[0])" in details
    assert details.endswith("; nothing was changed")
    assert await rows(svc) == before
    rest = upsert(items[0], items[3], request_id=request_id)
    reply = await svc.clients.UpsertClients(rest)
    assert list(reply.outcomes) == [CREATED, CREATED]
    assert await svc.clients.UpsertClients(rest) == reply


async def test_batch_limits(svc: Harness) -> None:
    before = await rows(svc)
    await expect_error(svc.clients.UpsertClients(upsert()), INVALID, "clients: at least one")
    too_many = [item(str(i)) for i in range(1001)]
    await expect_error(
        svc.clients.UpsertClients(upsert(*too_many)),
        INVALID,
        "clients: must have at most 1000 items, got 1001",
    )
    await expect_error(
        svc.clients.UpsertClients(cs.UpsertClientsRequest(clients=[item(erp_id())])),
        INVALID,
        "request_id: is required",
    )
    assert await rows(svc) == before


async def test_a_full_batch_of_a_thousand(svc: Harness) -> None:
    base = erp_id()
    items = [item(f"{base}-{i}", f"ООО «Клиент {i}»") for i in range(1000)]
    reply = await svc.clients.UpsertClients(upsert(*items))
    assert list(reply.outcomes) == [CREATED] * 1000
    items[500] = item(f"{base}-500", "ООО «Переименован»")
    reply = await svc.clients.UpsertClients(upsert(*items))
    assert [i for i, o in enumerate(reply.outcomes) if o != UNCHANGED] == [500]
    assert reply.clients[500].version == 2


async def test_a_caller_other_than_the_erp_roles_is_refused_and_writes_nothing(
    svc: Harness,
) -> None:
    supervisor = await make_employee(svc, pb.ROLE_SUPERVISOR)
    agent = await make_employee(svc, pb.ROLE_AGENT, supervisor_id=supervisor.id)
    callers = [
        caller_of(agent),
        caller_of(supervisor),
        *(Caller(new_id(), {role}) for role in ("DISTRIBUTOR_MANAGER", "TECHNICIAN")),
    ]
    before = await rows(svc)
    for caller in callers:
        await expect_error(
            svc.calling(caller).clients.UpsertClients(upsert(item(erp_id()))),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    assert await rows(svc) == before


async def test_the_service_identity_is_admitted_and_the_call_audited(
    svc: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    external = erp_id()
    reply = await svc.calling(EXCHANGE).clients.UpsertClients(upsert(item(external)))
    assert list(reply.outcomes) == [CREATED]
    logs = capsys.readouterr()
    audited = [
        line
        for line in (logs.out + logs.err).splitlines()
        if "audited call done" in line and "UpsertClients" in line
    ]
    assert audited and "svc:exchange" in audited[-1]


async def test_concurrent_upserts_of_one_new_external_id_make_one_client(svc: Harness) -> None:
    external = erp_id()
    replies = await asyncio.gather(
        *(svc.clients.UpsertClients(upsert(item(external))) for _ in range(4)),
        return_exceptions=True,
    )
    answered = [r for r in replies if isinstance(r, cs.UpsertClientsResponse)]
    for r in replies:  # a loser that could not re-read in time is ABORTED, never INTERNAL
        if isinstance(r, grpc.aio.AioRpcError):
            assert r.code() == grpc.StatusCode.ABORTED
    assert answered and {r.clients[0].id for r in answered} == {client_id_for(external)}
    listed = await svc.clients.ListClients(cs.ListClientsRequest(external_ids=[external]))
    assert len(listed.clients) == 1
    assert await events_of(svc, client_id_for(external)) == ["ClientCreated"]


async def test_the_database_holds_one_client_per_external_id(svc: Harness) -> None:
    """The partial unique index: a second row with a taken external id is refused, while the
    clients made in Fieldline (external id '') are many."""
    external = erp_id()
    [created] = (await svc.clients.UpsertClients(upsert(item(external)))).clients
    await make_client(svc)
    await make_client(svc)
    row = {
        "id": new_id(),
        "name": "копия",
        "name_search": "копия",
        "inn": created.inn,
        "kpp": created.kpp,
        "type": "retail",
        "legal_address": "",
        "version": 1,
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }
    async with svc.app.sessions() as s:
        with pytest.raises(IntegrityError):
            await s.execute(insert(orm.clients).values(**row, external_id=external))
        await s.rollback()
    async with svc.app.sessions() as s:
        empty = select(func.count()).where(orm.clients.c.external_id == "")
        assert int((await s.execute(empty)).scalar_one()) >= 2


async def test_list_clients_by_external_ids(svc: Harness) -> None:
    a, b, c = erp_id(), erp_id(), erp_id()
    reply = await svc.clients.UpsertClients(
        upsert(item(a, "ООО «А»"), item(b, "ООО «Б»"), item(c, "ООО «В»"))
    )
    by_external = {cl.external_id: cl for cl in reply.clients}
    made = await make_client(svc)

    async def listed(*ids: str, **kw: object) -> list[pb.Client]:
        page = await svc.clients.ListClients(cs.ListClientsRequest(external_ids=ids, **kw))  # type: ignore[arg-type]
        return list(page.clients)

    assert sorted(x.external_id for x in await listed(a, c, erp_id())) == sorted([a, c])
    assert await listed(erp_id()) == []
    assert [x.id for x in await listed(b, name_query="«Б»")] == [by_external[b].id]
    assert await listed(b, name_query="«А»") == []
    # paged as usual, in id order
    first = await svc.clients.ListClients(
        cs.ListClientsRequest(external_ids=[a, b, c], page_size=2)
    )
    assert len(first.clients) == 2 and first.next_page_token
    rest = await svc.clients.ListClients(
        cs.ListClientsRequest(external_ids=[a, b, c], page_size=2, page_token=first.next_page_token)
    )
    got = [x.id for x in [*first.clients, *rest.clients]]
    assert got == sorted(by_external[x].id for x in (a, b, c)) and not rest.next_page_token
    # GetClient shows it too, '' for a client made in Fieldline
    got = await svc.clients.GetClient(cs.GetClientRequest(client_id=by_external[a].id))
    assert got.client.external_id == a
    own = await svc.clients.GetClient(cs.GetClientRequest(client_id=made.id))
    assert own.client.external_id == ""


async def test_list_clients_refuses_bad_external_ids_naming_them(svc: Harness) -> None:
    await expect_error(
        svc.clients.ListClients(cs.ListClientsRequest(external_ids=["ok", "Я" * 65])),
        INVALID,
        "external_ids[1]: must be at most 64 characters",
    )
    await expect_error(
        svc.clients.ListClients(cs.ListClientsRequest(external_ids=["ok", " "])),
        INVALID,
        "external_ids[1]: must not be empty",
    )
    await expect_error(
        svc.clients.ListClients(cs.ListClientsRequest(external_ids=["x"] * 1001)),
        INVALID,
        "external_ids: must have at most 1000 items",
    )


async def test_create_and_update_client_leave_the_external_id_alone(svc: Harness) -> None:
    external = erp_id()
    [upserted] = (await svc.clients.UpsertClients(upsert(item(external)))).clients
    updated = await svc.clients.UpdateClient(
        cs.UpdateClientRequest(
            request_id=new_id(),
            client=pb.Client(id=upserted.id, name="ООО «Новое имя»", external_id="other"),
            expected_version=upserted.version,
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        )
    )
    assert (updated.client.external_id, updated.client.version) == (external, 2)
    await expect_error(
        svc.clients.UpdateClient(
            cs.UpdateClientRequest(
                request_id=new_id(),
                client=pb.Client(id=upserted.id, external_id="x"),
                expected_version=2,
                update_mask=field_mask_pb2.FieldMask(paths=["external_id"]),
            )
        ),
        INVALID,
        "update_mask: unknown client field 'external_id'",
    )
    created = await make_client(svc, external_id=erp_id())
    assert created.external_id == ""
    # the next import finds the renamed client by its external id and restores the ERP's name
    reply = await svc.clients.UpsertClients(upsert(item(external)))
    assert list(reply.outcomes) == [UPDATED]
    assert (reply.clients[0].name, reply.clients[0].version) == ("ООО «Из ERP»", 3)


async def test_a_client_made_in_fieldline_under_a_derived_id_is_not_taken_over(
    svc: Harness,
) -> None:
    external = erp_id()
    await svc.clients.CreateClient(
        cs.CreateClientRequest(
            request_id=new_id(),
            client=pb.Client(
                id=client_id_for(external),
                name="ООО «Своё»",
                inn=random_inn(),
                kpp="770101001",
                type=pb.CLIENT_TYPE_RETAIL,
            ),
        )
    )
    before = await rows(svc)
    await expect_error(
        svc.clients.UpsertClients(upsert(item(external))),
        INVALID,
        f"clients[0].external_id: the id derived from '{external}'",
    )
    assert await rows(svc) == before
