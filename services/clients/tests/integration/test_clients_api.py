"""Clients and outlets over gRPC against a real database and NATS."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.type import latlng_pb2
from sqlalchemy import func, select

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline_clients.adapters import orm
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id

from .builders import card, make_client, make_outlet, random_inn
from .conftest import Harness


async def count(h: Harness, table: object) -> int:
    async with h.app.sessions() as s:
        return int((await s.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_create_client_publishes_event_and_retry_returns_original(svc: Harness) -> None:
    request = cs.CreateClientRequest(
        request_id=new_id(),
        client=pb.Client(
            id=new_id(),
            name="ООО «Ромашка»",
            inn="7707083893",
            kpp="773601001",
            type=pb.CLIENT_TYPE_RETAIL,
        ),
    )
    first = await svc.clients.CreateClient(request)
    again = await svc.clients.CreateClient(request)
    assert again == first
    assert first.client.version == 1
    got = await svc.clients.GetClient(cs.GetClientRequest(client_id=first.client.id))
    assert got.client.name == "ООО «Ромашка»"
    events = await published(svc.js, "CLIENTS", about(first.client.id), expect=1)
    assert [e.name for e in events] == ["ClientCreated"]


async def test_request_id_reused_for_another_request_is_refused(svc: Harness) -> None:
    request_id = new_id()
    client = pb.Client(
        id=new_id(), name="ИП Петров", inn=random_inn(), kpp="770101001", type=pb.CLIENT_TYPE_RETAIL
    )
    await svc.clients.CreateClient(cs.CreateClientRequest(request_id=request_id, client=client))
    client.name = "ИП Сидоров"
    await expect_error(
        svc.clients.CreateClient(cs.CreateClientRequest(request_id=request_id, client=client)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_id",
    )


async def test_a_write_without_a_request_id_is_refused_and_writes_nothing(svc: Harness) -> None:
    client = pb.Client(
        id=new_id(), name="ИП Петров", inn=random_inn(), kpp="770101001", type=pb.CLIENT_TYPE_RETAIL
    )
    await expect_error(
        svc.clients.CreateClient(cs.CreateClientRequest(client=client)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_id: is required",
    )
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await svc.clients.GetClient(cs.GetClientRequest(client_id=client.id))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inn": "7707083894"}, "client.inn: checksum"),
        ({"inn": "77070838"}, "client.inn"),
        ({"kpp": ""}, "client.kpp"),
        ({"name": ""}, "client.name"),
        ({"name": "Я" * 301}, "client.name: must be at most 300 characters"),
        ({"id": "not-a-uuid"}, "client.id: must be a UUID"),
        ({"type": pb.CLIENT_TYPE_UNSPECIFIED}, "client.type"),
    ],
)
async def test_bad_client_input_names_the_field_and_writes_nothing(
    svc: Harness, change: dict[str, object], field: str
) -> None:
    before = await count(svc, orm.clients)
    outbox_before = await count(svc, orm.kit.outbox)
    client = pb.Client(
        id=new_id(),
        name="ООО «Тест»",
        inn="7707083893",
        kpp="773601001",
        type=pb.CLIENT_TYPE_RETAIL,
    )
    for k, v in change.items():
        setattr(client, k, v)
    await expect_error(
        svc.clients.CreateClient(cs.CreateClientRequest(request_id=new_id(), client=client)),
        grpc.StatusCode.INVALID_ARGUMENT,
        field,
    )
    assert await count(svc, orm.clients) == before
    assert await count(svc, orm.kit.outbox) == outbox_before


async def test_bad_outlet_input(svc: Harness) -> None:
    client = await make_client(svc)
    before = await count(svc, orm.outlets)

    async def create(outlet: pb.Outlet) -> object:
        return await svc.clients.CreateOutlet(
            cs.CreateOutletRequest(request_id=new_id(), outlet=outlet)
        )

    await expect_error(
        create(pb.Outlet(id=new_id(), client_id=new_id(), card=card())),
        grpc.StatusCode.NOT_FOUND,
        "outlet.client_id",
    )
    await expect_error(
        create(pb.Outlet(id=new_id(), client_id=client.id, card=card(lat=91.0))),
        grpc.StatusCode.INVALID_ARGUMENT,
        "outlet.card.location.latitude",
    )
    await expect_error(
        create(pb.Outlet(id=new_id(), client_id=client.id, card=card(lon=-180.5))),
        grpc.StatusCode.INVALID_ARGUMENT,
        "outlet.card.location.longitude",
    )
    empty = card()
    empty.name = "   "
    await expect_error(
        create(pb.Outlet(id=new_id(), client_id=client.id, card=empty)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "outlet.card.name",
    )
    await expect_error(
        create(pb.Outlet(id="123", client_id=client.id, card=card())),
        grpc.StatusCode.INVALID_ARGUMENT,
        "outlet.id",
    )
    await expect_error(
        svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id=new_id())),
        grpc.StatusCode.NOT_FOUND,
        "outlet_id",
    )
    await expect_error(
        svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id="x")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "outlet_id",
    )
    assert await count(svc, orm.outlets) == before


async def test_card_update_keeps_history_and_rejects_stale_versions(svc: Harness) -> None:
    outlet = await make_outlet(svc)
    new_card = pb.OutletCard(
        address="Москва, ул. Арбат, д. 10", custom_attributes={"холодильник": "да"}
    )
    reply = await svc.clients.UpdateOutletCard(
        cs.UpdateOutletCardRequest(
            request_id=new_id(),
            outlet_id=outlet.id,
            expected_version=1,
            card=new_card,
            update_mask=field_mask_pb2.FieldMask(
                paths=["address", "custom_attributes.холодильник"]
            ),
        )
    )
    assert reply.outlet.version == 2
    assert reply.outlet.card.address == "Москва, ул. Арбат, д. 10"
    assert reply.outlet.card.name == outlet.card.name  # untouched by the mask
    assert reply.outlet.card.custom_attributes["холодильник"] == "да"

    await expect_error(
        svc.clients.UpdateOutletCard(
            cs.UpdateOutletCardRequest(
                request_id=new_id(),
                outlet_id=outlet.id,
                expected_version=1,
                card=pb.OutletCard(address="stale"),
                update_mask=field_mask_pb2.FieldMask(paths=["address"]),
            )
        ),
        grpc.StatusCode.ABORTED,
        "expected version 1, current is 2",
    )
    history = await svc.clients.ListOutletCardHistory(
        cs.ListOutletCardHistoryRequest(outlet_id=outlet.id)
    )
    assert [c.version for c in history.changes] == [2, 1]
    assert {c.field for c in history.changes[0].changes} == {"address", "custom_attributes"}
    events = await published(svc.js, "CLIENTS", about(outlet.id), expect=2)
    assert [e.name for e in events] == ["OutletCreated", "OutletChanged"]


async def test_concurrent_card_updates_one_wins_other_aborted(svc: Harness) -> None:
    outlet = await make_outlet(svc)

    async def update(address: str) -> object:
        try:
            return await svc.clients.UpdateOutletCard(
                cs.UpdateOutletCardRequest(
                    request_id=new_id(),
                    outlet_id=outlet.id,
                    expected_version=1,
                    card=pb.OutletCard(address=address),
                    update_mask=field_mask_pb2.FieldMask(paths=["address"]),
                )
            )
        except grpc.aio.AioRpcError as exc:
            return exc.code()

    results = await asyncio.gather(*(update(f"адрес {i}") for i in range(6)))
    winners = [r for r in results if isinstance(r, cs.UpdateOutletCardResponse)]
    losers = [r for r in results if not isinstance(r, cs.UpdateOutletCardResponse)]
    assert len(winners) == 1
    assert losers and all(code == grpc.StatusCode.ABORTED for code in losers)
    current = (await svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id=outlet.id))).outlet
    assert current.version == 2
    assert current.card.address == winners[0].outlet.card.address  # type: ignore[union-attr]
    history = await svc.clients.ListOutletCardHistory(
        cs.ListOutletCardHistoryRequest(outlet_id=outlet.id)
    )
    assert [c.version for c in history.changes] == [2, 1]


async def test_search_by_name_inn_and_radius(svc: Harness) -> None:
    client = await make_client(svc)
    # Around a point of our own far from other tests' outlets (Новосибирск).
    centre = (55.0302, 82.9204)
    near = await make_outlet(svc, client.id, card("Продукты «ЁЛКА»", centre[0] + 0.001, centre[1]))
    further = await make_outlet(
        svc, client.id, card("Минимаркет у дома", centre[0] + 0.005, centre[1])
    )
    await make_outlet(svc, client.id, card("Далёкий магазин", centre[0] + 0.2, centre[1]))

    by_name = await svc.clients.SearchOutlets(cs.SearchOutletsRequest(name_query="ёлка"))
    assert [m.outlet.id for m in by_name.matches] == [near.id]

    by_inn = await svc.clients.SearchOutlets(cs.SearchOutletsRequest(inn=client.inn))
    assert len(by_inn.matches) == 3

    by_radius = await svc.clients.SearchOutlets(
        cs.SearchOutletsRequest(
            near=latlng_pb2.LatLng(latitude=centre[0], longitude=centre[1]), radius_m=1000
        )
    )
    assert [m.outlet.id for m in by_radius.matches] == [near.id, further.id]
    assert 100 < by_radius.matches[0].distance_m < 120
    # Matches carry the stored outlet protos: the same outlets GetOutlet reads from the columns.
    for match in [*by_radius.matches, *by_name.matches]:
        one = await svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id=match.outlet.id))
        assert match.outlet == one.outlet
    paged = await svc.clients.SearchOutlets(
        cs.SearchOutletsRequest(
            near=latlng_pb2.LatLng(latitude=centre[0], longitude=centre[1]),
            radius_m=1000,
            page_size=1,
        )
    )
    assert [m.outlet.id for m in paged.matches] == [near.id] and paged.next_page_token
    rest = await svc.clients.SearchOutlets(
        cs.SearchOutletsRequest(
            near=latlng_pb2.LatLng(latitude=centre[0], longitude=centre[1]),
            radius_m=1000,
            page_size=1,
            page_token=paged.next_page_token,
        )
    )
    assert [m.outlet.id for m in rest.matches] == [further.id] and not rest.next_page_token

    await expect_error(
        svc.clients.SearchOutlets(
            cs.SearchOutletsRequest(near=latlng_pb2.LatLng(latitude=95, longitude=0), radius_m=10)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "near.latitude",
    )
    await expect_error(
        svc.clients.SearchOutlets(cs.SearchOutletsRequest(page_size=-1, name_query="x")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "page_size",
    )


async def test_list_clients_pages_through_everything(svc: Harness) -> None:
    marker = f"Пагинация {new_id()[:8]}"
    made = {(await make_client(svc, name=f"{marker} {i}")).id for i in range(5)}
    seen: list[str] = []
    token = ""
    while True:
        page = await svc.clients.ListClients(
            cs.ListClientsRequest(name_query=marker.lower(), page_size=2, page_token=token)
        )
        seen += [c.id for c in page.clients]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(made)
    await expect_error(
        svc.clients.ListClients(cs.ListClientsRequest(page_token="%%%")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "page_token",
    )


async def test_update_client_with_mask(svc: Harness) -> None:
    client = await make_client(svc)
    reply = await svc.clients.UpdateClient(
        cs.UpdateClientRequest(
            request_id=new_id(),
            client=pb.Client(id=client.id, legal_address="Казань, ул. Баумана, 1"),
            expected_version=1,
            update_mask=field_mask_pb2.FieldMask(paths=["legal_address"]),
        )
    )
    assert reply.client.version == 2 and reply.client.inn == client.inn
    events = await published(svc.js, "CLIENTS", about(client.id), expect=2)
    assert [e.name for e in events] == ["ClientCreated", "ClientChanged"]
    assert list(events[1].message.changed_fields) == ["legal_address"]  # type: ignore[attr-defined]
