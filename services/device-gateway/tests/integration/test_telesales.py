"""A teleseller's device against the real services (docs/contexts/sales-gaps.md 3.2 and 5;
docs/contexts/device-gateway.md, *Telesellers*): its full sync holds orders' sections for its
call list (prices, terms, recommended orders) but no van; it records a call and takes an order
by phone for an outlet of its call list, which orders credits to the outlet's field agent; the
agent's device holds the order under its id, the teleseller's under `taken:<orderId>`, and a
cancellation by the teleseller reaches both. A device marked for the change (migration 0004)
syncs in full once over HTTP, then by deltas again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_gateway.adapters.orm import devices
from fieldline_gateway.adapters.peers import bearer
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually_value
from tests.company import TODAY, product

from .gateway_harness import GatewaySystem, SyncedDevice, system_fixture  # noqa: F401
from .test_uploads import _seen_by, base, cancel, moment

EVERY_CURSOR = 2**63 - 1  # the mark migration 0004 gives telesellers' devices


@dataclass
class Desk:
    """A teleseller whose call list holds an outlet a field agent visits, both with devices;
    the outlet's client buys a priced product."""

    teller: Caller
    agent: Caller
    call_list: str
    client_id: str
    outlet_id: str
    product_id: str
    price_type_id: str
    teller_device: SyncedDevice
    teller_device_id: str
    agent_device: SyncedDevice


async def desk(system: GatewaySystem, n: int) -> Desk:
    api = system.api
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    teller = await system.employee(cpb.ROLE_TELESELLER, boss)
    agent = await system.employee(cpb.ROLE_AGENT, boss)
    call_list = str(uuid.uuid4())
    await api.territory.CreateRoute(
        cts.CreateRouteRequest(
            request_id=str(uuid.uuid4()),
            route=cpb.Route(
                id=call_list, name="Обзвон", agent_id=teller.subject, kind=cpb.ROUTE_KIND_PHONE
            ),
        )
    )
    route = await api.route_of(agent)
    client_id, outlet = await api.client_with_outlet(n)
    await api.assign(call_list, outlet.id)
    await api.assign(route, outlet.id)
    [product_id], price_type_id = await api.priced_catalog((product(f"TS{n}", "Сок"), "50"))
    await api.known_to_orders(client_id, price_type_id)
    teller_tokens = await system.device_of(boss, teller)
    agent_tokens = await system.device_of(boss, agent)
    # Orders and settlements learn the call list and the route from clients' events: wait for
    # them (orders credits the phone order to the agent it knows on the outlet's field route).
    for tokens in (teller_tokens, agent_tokens):
        as_employee = bearer(tokens["accessToken"])
        await eventually_value(
            lambda as_employee=as_employee: _seen_by(
                lambda: api.orders.GetRecommendedOrder(
                    ords.GetRecommendedOrderRequest(outlet_id=outlet.id, date=pb_date(TODAY)),
                    metadata=as_employee,
                )
            ),
            bool,
        )
        await eventually_value(
            lambda as_employee=as_employee: _seen_by(
                lambda: api.settlements.GetBalance(
                    ss.GetBalanceRequest(client_id=client_id), metadata=as_employee
                )
            ),
            bool,
        )
    return Desk(
        teller,
        agent,
        call_list,
        client_id,
        outlet.id,
        product_id,
        price_type_id,
        SyncedDevice(system.http, teller_tokens),
        str(teller_tokens["deviceId"]),
        SyncedDevice(system.http, agent_tokens),
    )


async def upload(
    system: GatewaySystem, device: SyncedDevice, documents: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    reply = await system.http.post(
        "/v1/uploads",
        json={
            "batchId": str(uuid.uuid4()),
            "sentAt": moment(datetime.now(UTC)),
            "documents": documents,
        },
        headers={"Authorization": f"Bearer {device.token}"},
    )
    assert reply.status_code == 200, reply.text
    return list(reply.json()["results"])


def call(d: Desk) -> dict[str, Any]:
    started = datetime.now(UTC) - timedelta(minutes=3)
    return base(
        "call",
        callId=str(uuid.uuid4()),
        outletId=d.outlet_id,
        startedAt=moment(started),
        endedAt=moment(started + timedelta(minutes=2)),
        outcome="ordered",
    )


def phone_order(d: Desk, call_id: str, **more: Any) -> dict[str, Any]:
    return base(
        "order",
        orderId=str(uuid.uuid4()),
        clientId=d.client_id,
        outletId=d.outlet_id,
        orderDate=TODAY.isoformat(),
        lines=[{"productId": d.product_id, "unit": "pcs", "quantity": "4"}],
        channel="phone",
        callId=call_id,
        **more,
    )


ORDERS_SECTIONS = {"priceTypes", "priceLists", "prices", "clientTerms", "recommendedOrders"}


def holds_orders_sections(d: Desk) -> Any:
    def check(device: SyncedDevice) -> bool:
        return (
            d.product_id in device.keys("products")
            and d.price_type_id in device.keys("priceTypes")
            and d.client_id in device.keys("clientTerms")
            and d.outlet_id in device.keys("recommendedOrders")
            and bool(device.keys("prices"))
        )

    return check


async def test_a_teleseller_takes_an_order_by_phone_which_both_devices_hold(
    system: GatewaySystem,
) -> None:
    d = await desk(system, 800)
    me, agent = d.teller.subject, d.agent.subject
    # Its full sync holds orders' sections for its call list's client and outlet; no van.
    pages = await d.teller_device.sync_until(holds_orders_sections(d))
    assert pages[0]["mode"] == "full"
    sections = {s for (s, _k) in d.teller_device.items}
    assert sections >= ORDERS_SECTIONS, sections
    assert not sections & {"vans", "vanStock", "visitPlans"}, sections
    _scope, price = next(v for (s, _k), v in d.teller_device.items.items() if s == "prices")
    assert price["price"] == {"amount": "50.00", "currency": "RUB"}
    assert d.teller_device.items[("recommendedOrders", d.outlet_id)][0] == f"outlet:{d.outlet_id}"

    # On the phone: the call, then the order taken in it (credited to the outlet's one field
    # agent, since it names none), and one naming an agent who works no field route of it.
    the_call = call(d)
    taken = phone_order(d, the_call["callId"])
    stray = phone_order(d, the_call["callId"], creditedAgentId=me)
    results = await upload(system, d.teller_device, [the_call, taken, stray])
    assert results[0]["status"] == "accepted", results
    assert results[1]["status"] in ("accepted", "acceptedWithWarning"), results
    entity = results[1]["entity"]
    assert (entity["id"], entity["channel"], entity["takenBy"], entity["agentId"]) == (
        taken["orderId"],
        "phone",
        me,
        agent,
    )
    assert entity["callId"] == the_call["callId"]
    assert results[2]["status"] == "rejected"
    assert results[2]["problem"]["code"] == "invalid-document"
    assert results[2]["problem"]["field"] == "documents[2].creditedAgentId"

    # The agent credited with it holds it under its id; the teleseller under `taken:<id>`.
    order_id = taken["orderId"]
    await d.agent_device.sync_until(lambda dev: order_id in dev.keys("orders"))
    scope, held = d.agent_device.items[("orders", order_id)]
    assert scope == f"agent:{agent}"
    assert (held["channel"], held["takenBy"], held["agentId"], held["callId"]) == (
        "phone",
        me,
        agent,
        the_call["callId"],
    )
    assert f"taken:{order_id}" not in d.agent_device.keys("orders")
    await d.teller_device.sync_until(lambda dev: f"taken:{order_id}" in dev.keys("orders"))
    scope, mine = d.teller_device.items[("orders", f"taken:{order_id}")]
    assert scope == f"agent:{me}"
    assert mine == held
    assert order_id not in d.teller_device.keys("orders")
    # Parity with orders, asked with each device's own token: both see the order.
    for device in (d.teller_device, d.agent_device):
        listed = await system.api.orders.ListOrders(
            ords.ListOrdersRequest(client_id=d.client_id), metadata=bearer(device.token)
        )
        assert [o.id for o in listed.orders] == [order_id]

    # The teleseller cancels it: both copies follow.
    [cancelled] = await upload(system, d.teller_device, [cancel(order_id, held["revision"])])
    assert cancelled["status"] == "accepted", cancelled
    await d.agent_device.sync_until(
        lambda dev: dev.data("orders", order_id)["status"] == "cancelled"
    )
    await d.teller_device.sync_until(
        lambda dev: dev.data("orders", f"taken:{order_id}")["status"] == "cancelled"
    )
    assert d.teller_device.data("orders", f"taken:{order_id}") == d.agent_device.data(
        "orders", order_id
    )


async def test_a_telesellers_device_marked_for_the_change_syncs_in_full_once(
    system: GatewaySystem,
) -> None:
    """What migration 0004 does to a teleseller's device: its next sync is a full reset
    (`access-changed`) holding orders' sections, the mark comes down to that answer's high,
    and the syncs after it are deltas; the field agent's device is not touched."""
    d = await desk(system, 810)
    await d.teller_device.sync_until(holds_orders_sections(d))
    await d.agent_device.sync_until(lambda dev: d.outlet_id in dev.keys("outlets"))
    [quiet] = await d.teller_device.sync()
    assert (quiet["mode"], quiet["reset"]) == ("delta", False)
    app = system.gateway.app
    async with app.uow() as uow:
        await uow.session.execute(
            update(devices)
            .where(devices.c.device_id == d.teller_device_id)
            .values(resync_below=EVERY_CURSOR)
        )
        await uow.commit()

    pages = await d.teller_device.sync()
    first = pages[0]
    assert (first["mode"], first["reset"], first["resyncReason"]) == (
        "full",
        True,
        "access-changed",
    )
    assert holds_orders_sections(d)(d.teller_device)
    high = int(str(d.teller_device.cursor).split(".")[2])
    async with app.read_uow() as uow:
        mark = await uow.session.scalar(
            select(devices.c.resync_below).where(devices.c.device_id == d.teller_device_id)
        )
    assert mark == high
    # Once: the cursor that answer ended with is served deltas again.
    for _ in range(2):
        [after] = await d.teller_device.sync()
        assert (after["mode"], after["reset"]) == ("delta", False)
    [agents] = await d.agent_device.sync()
    assert agents["mode"] == "delta"
