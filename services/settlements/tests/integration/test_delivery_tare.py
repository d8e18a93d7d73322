"""Tare on delivery through the settlements-orders consumer: orders' `OrderStatusChanged` to
DELIVERED or PARTIALLY_DELIVERED on the ORDERS stream issues the company's own orders'
`delivered_containers` (kind DELIVERY, once per order, type and direction); with
SETTLEMENTS_DELIVERY_TARE=erp nothing moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC

import pytest
import pytest_asyncio
from google.type import date_pb2

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as vpb
from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.events import published
from fieldline_kit.testing.helpers import eventually, new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import service_running
from fieldline_settlements.adapters import orm
from fieldline_settlements.entrypoints.main import SPEC

from .builders import count, envelope, pb_date, publish, rub
from .conftest import Harness

KEG, CRATE = "keg-50", "crate-20"


def delivered(
    client_id: str,
    outlet_id: str,
    status: int,
    containers: tuple[tuple[str, str], ...],
    *,
    order_id: str = "",
    distributor_id: str = "",
) -> oev.OrderStatusChanged:
    return oev.OrderStatusChanged(
        order=opb.Order(
            id=order_id or new_id(),
            kind=opb.ORDER_KIND_PRE_SALE,
            client_id=client_id,
            outlet_id=outlet_id,
            distributor_id=distributor_id,
            status=status,
            version=4,
        ),
        previous_status=opb.ORDER_STATUS_SHIPPED,
        delivered_containers=[
            vpb.ContainerLine(container_type=t, quantity=q) for t, q in containers
        ],
    )


async def applied(h: Harness, *envs: EventEnvelope) -> None:
    """Until the consumer has recorded each event in its inbox, and nothing is left pending
    (a second copy of an event seen and skipped too)."""
    t = orm.kit.inbox
    ids = [e.event_id for e in envs]

    async def done() -> bool:
        return await count(h, t, t.c.event_id.in_(ids)) == len(ids)

    await eventually(done, within=15, what=f"events {ids} in the inbox")
    for _ in range(50):
        info = await h.js.consumer_info("ORDERS", "settlements-orders")
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the settlements-orders consumer still has events pending")


async def movements(h: Harness, client_id: str) -> list[pb.TareMovement]:
    reply = await h.settlements.ListTareMovements(ss.ListTareMovementsRequest(client_id=client_id))
    return list(reply.movements)


async def balances(h: Harness, client_id: str, outlet_id: str = "") -> dict[str, pb.TareBalance]:
    reply = await h.settlements.GetTareBalance(
        ss.GetTareBalanceRequest(client_id=client_id, outlet_id=outlet_id)
    )
    return {b.container_type: b for b in reply.balances}


def business_day(h: Harness, env: EventEnvelope) -> date_pb2.Date:
    return pb_date(h.app.business_day(env.occurred_at.ToDatetime(tzinfo=UTC)))


async def test_a_delivered_order_issues_its_containers_once(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    await svc.settlements.SetContainerDeposit(
        ss.SetContainerDepositRequest(
            request_id=new_id(), container_type=KEG, deposit=rub("1500.00")
        )
    )
    event = delivered(client, outlet, opb.ORDER_STATUS_DELIVERED, ((CRATE, "0.6"), (KEG, "2")))
    order_id = event.order.id
    env = envelope(event, order_id, version=4)
    await publish(svc.js, env)
    await applied(svc, env)

    found = await movements(svc, client)
    assert sorted(
        (m.container_type, m.outlet_id, m.document_id, m.document_kind, m.direction, m.quantity)
        for m in found
    ) == [
        (CRATE, outlet, order_id, pb.TARE_DOCUMENT_KIND_DELIVERY, pb.TARE_DIRECTION_ISSUED, "0.6"),
        (KEG, outlet, order_id, pb.TARE_DOCUMENT_KIND_DELIVERY, pb.TARE_DIRECTION_ISSUED, "2"),
    ]
    assert all(m.date == business_day(svc, env) for m in found)
    keg = (await balances(svc, client))[KEG]
    assert (keg.issued, keg.balance, keg.version) == ("2", "2", 1)
    assert (await balances(svc, client, outlet))[CRATE].balance == "0.6"
    events = await published(
        svc.js, "SETTLEMENTS", lambda e: e.causation_id == env.event_id, expect=2
    )
    assert sorted(name for name, _, _ in events) == ["TareBalanceChanged"] * 2
    moved = next(p for _, p, _ in events if p.balance.container_type == KEG)  # type: ignore[attr-defined]
    assert moved.document_id == order_id  # type: ignore[attr-defined]
    assert moved.movement.document_kind == pb.TARE_DOCUMENT_KIND_DELIVERY  # type: ignore[attr-defined]

    # Redelivered (another copy outside the duplicate window) and re-emitted under a new
    # event id: nothing moves again, nothing is published.
    await publish(svc.js, env, msg_id=f"{env.event_id}-copy")
    again = envelope(event, order_id, version=4)
    await publish(svc.js, again)
    await applied(svc, again)
    assert len(await movements(svc, client)) == 2
    assert (await balances(svc, client))[KEG].balance == "2"
    assert (
        await published(
            svc.js, "SETTLEMENTS", lambda e: e.causation_id == again.event_id, expect=0, timeout=1
        )
        == []
    )


async def test_a_partial_delivery_issues_what_was_delivered(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    event = delivered(client, outlet, opb.ORDER_STATUS_PARTIALLY_DELIVERED, ((KEG, "1.5"),))
    env = envelope(event, event.order.id, version=4)
    await publish(svc.js, env)
    await applied(svc, env)
    (moved,) = await movements(svc, client)
    assert (moved.document_kind, moved.quantity, moved.balance_after) == (
        pb.TARE_DOCUMENT_KIND_DELIVERY,
        "1.5",
        "1.5",
    )


async def test_a_distributor_s_order_and_other_statuses_move_nothing(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    containers = ((KEG, "2"),)
    envs = [
        envelope(m, m.order.id, version=4)
        for m in (
            delivered(
                client, outlet, opb.ORDER_STATUS_DELIVERED, containers, distributor_id=new_id()
            ),
            delivered(client, outlet, opb.ORDER_STATUS_SHIPPED, containers),
            delivered(client, outlet, opb.ORDER_STATUS_REJECTED, containers),
        )
    ]
    for env in envs:
        await publish(svc.js, env)
    await applied(svc, *envs)
    assert await movements(svc, client) == []
    assert await count(svc, orm.tare_balances, orm.tare_balances.c.client_id == client) == 0


async def test_bad_containers_are_dead_lettered(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    bad = delivered(client, outlet, opb.ORDER_STATUS_DELIVERED, ((KEG, "1.0001"),))
    env = envelope(bad, bad.order.id, version=4)
    await publish(svc.js, env)
    dl = orm.kit.dead_letter

    async def dead_lettered() -> bool:
        return await count(svc, dl, dl.c.event_id == env.event_id) == 1

    await eventually(dead_lettered, within=15, what="the dead letter")
    assert await movements(svc, client) == []


# ------------------------------------------------------------------- SETTLEMENTS_DELIVERY_TARE
@pytest_asyncio.fixture(scope="module")
async def erp_books(
    db_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    """Settlements where the ERP's tare documents book delivery tare, on a NATS of its own."""
    nats_server = EmbeddedNats(store_dir=tmp_path_factory.mktemp("settlements-erp-tare-nats"))
    await nats_server.start()
    try:
        async with service_running(
            SPEC, db_factory, nats_server.url, harness=Harness, delivery_tare="erp"
        ) as running:
            yield running
    finally:
        await nats_server.stop()


async def test_with_erp_a_delivery_moves_nothing_and_the_erp_document_does(
    erp_books: Harness,
) -> None:
    client, outlet = new_id(), new_id()
    event = delivered(client, outlet, opb.ORDER_STATUS_DELIVERED, ((KEG, "2"),))
    env = envelope(event, event.order.id, version=4)
    await publish(erp_books.js, env)
    await applied(erp_books, env)
    assert await movements(erp_books, client) == []
    # The ERP's document of that delivery is what moves it.
    await erp_books.settlements.RecordTareDocuments(
        ss.RecordTareDocumentsRequest(
            request_id=new_id(),
            documents=[
                ss.TareDocument(
                    document_id=f"ERP-{new_id()[:8]}",
                    date=business_day(erp_books, env),
                    client_id=client,
                    outlet_id=outlet,
                    lines=[
                        ss.TareDocumentLine(
                            container_type=KEG, direction=pb.TARE_DIRECTION_ISSUED, quantity="2"
                        )
                    ],
                )
            ],
        )
    )
    (moved,) = await movements(erp_books, client)
    assert (moved.document_kind, moved.quantity) == (pb.TARE_DOCUMENT_KIND_ERP_DOCUMENT, "2")
    assert (await balances(erp_books, client))[KEG].balance == "2"
