"""Orders' promotions on devices, against the real services (docs/contexts/sales-gaps.md 3.7
*The device's copy* and 5; docs/sync-protocol.md, *Sections*): a promotion upserted in orders
reaches the device of an agent whose outlet's client it targets (by client or by outlet), and
not another agent's; a catalog-wide one reaches both, its territories expanded through
clients' tree — a territory created after the promotion joins the expansion. A change of
targeting moves it (a tombstone where it left), a change of name updates it, a stop marks it
`stopped`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline_kit.grpc.convert import pb_date
from tests.company import TODAY, product

from .gateway_harness import GatewaySystem, SyncedDevice, system_fixture  # noqa: F401


@dataclass
class Field:
    """Two agents, each with an outlet of its own client on its route, both with devices."""

    clients: tuple[str, str]
    outlets: tuple[str, str]
    devices: tuple[SyncedDevice, SyncedDevice]
    product_id: str


async def field_of_two(system: GatewaySystem) -> Field:
    api = system.api
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    clients, outlets, devices = [], [], []
    for n in (1, 2):
        agent = await system.employee(cpb.ROLE_AGENT, boss)
        route = await api.route_of(agent)
        client_id, outlet = await api.client_with_outlet(700 + n)
        await api.assign(route, outlet.id)
        clients.append(client_id)
        outlets.append(outlet.id)
        devices.append(SyncedDevice(system.http, await system.device_of(boss, agent)))
    [product_id], _ = await api.priced_catalog((product("PR1", "Вода"), "40"))
    return Field(
        (clients[0], clients[1]),
        (outlets[0], outlets[1]),
        (devices[0], devices[1]),
        product_id,
    )


def promotions(system: GatewaySystem) -> ps_grpc.PromotionsServiceStub:
    return system.orders.stub(ps_grpc.PromotionsServiceStub)


def record(product_id: str, **kw: Any) -> opb.Promotion:
    values: dict[str, Any] = {
        "external_id": f"PROMO-{uuid.uuid4().hex[:8]}",
        "name": "Весна −5 %",
        "valid_from": pb_date(TODAY - timedelta(days=3)),
        "valid_to": pb_date(TODAY + timedelta(days=27)),
        "currency_code": "RUB",
        "product_ids": [product_id],
        "percent_off": opb.PercentOff(percent="5"),
        "combinability": opb.PROMOTION_COMBINABILITY_STACKABLE,
    }
    values.update(kw)
    return opb.Promotion(**values)


async def upsert(system: GatewaySystem, promotion: opb.Promotion) -> str:
    reply = await promotions(system).UpsertPromotions(
        ps.UpsertPromotionsRequest(request_id=str(uuid.uuid4()), promotions=[promotion])
    )
    [result] = reply.results
    assert not result.error, result.error
    return str(result.id)


async def territory(system: GatewaySystem, parent_id: str = "") -> str:
    territory_id = str(uuid.uuid4())
    await system.api.territory.CreateTerritory(
        cts.CreateTerritoryRequest(
            request_id=str(uuid.uuid4()),
            territory=cpb.Territory(id=territory_id, name="Т", parent_id=parent_id),
        )
    )
    return territory_id


def keyed(device: SyncedDevice, promotion_id: str) -> dict[str, tuple[str, Any]]:
    """The device's objects of the promotion: key → (scope, data)."""
    return {
        key: device.items[("promotions", key)]
        for key in device.keys("promotions")
        if device.data("promotions", key)["id"] == promotion_id
    }


async def test_promotions_reach_the_devices_their_targeting_names(system: GatewaySystem) -> None:
    f = await field_of_two(system)
    first, second = f.devices
    (c1, c2), (_o1, o2) = f.clients, f.outlets

    # By client: the first agent's device only; by outlet: the second's (its outlet's client).
    by_client = record(f.product_id, targeting=opb.PromotionTargeting(client_ids=[c1]))
    p1 = await upsert(system, by_client)
    p2 = await upsert(
        system, record(f.product_id, targeting=opb.PromotionTargeting(outlet_ids=[o2]))
    )
    # Catalog-wide, for a territory (with a child): both devices, the territories expanded.
    root = await territory(system)
    child = await territory(system, root)
    wide = record(
        f.product_id,
        free_goods=opb.FreeGoods(
            buy_quantity="2", free_product_id=f.product_id, free_quantity="1", repeat=True
        ),
        targeting=opb.PromotionTargeting(territory_ids=[root]),
        budget=opb.PromotionBudget(kind=opb.PROMOTION_BUDGET_KIND_UNITS, total="50"),
    )
    p3 = await upsert(system, wide)

    def territories(d: SyncedDevice) -> list[str]:
        found = keyed(d, p3)
        return found[p3][1]["targeting"]["territoryIds"] if p3 in found else []

    await first.sync_until(
        lambda d: keyed(d, p1) and sorted(territories(d)) == sorted([root, child])
    )
    await second.sync_until(lambda d: keyed(d, p2) and territories(d))
    assert keyed(first, p1) == {f"{p1}/{c1}": (f"account:{c1}", keyed(first, p1)[f"{p1}/{c1}"][1])}
    body = keyed(first, p1)[f"{p1}/{c1}"][1]
    assert (body["name"], body["mechanic"], body["stopped"]) == (
        "Весна −5 %",
        {"kind": "percentOff", "percent": "5"},
        False,
    )
    assert body["targeting"]["clientIds"] == [c1]
    assert list(keyed(second, p2)) == [f"{p2}/{c2}"]
    assert keyed(second, p2)[f"{p2}/{c2}"][0] == f"account:{c2}"
    assert not keyed(second, p1) and not keyed(first, p2)  # not another agent's
    for device in f.devices:
        scope, data = keyed(device, p3)[p3]
        assert scope == "catalog"
        assert data["mechanic"]["kind"] == "freeGoods"
        assert data["budget"] == {"kind": "units", "total": "50", "consumed": "0"}

    # A territory made after the promotion, under its child: the expansion grows.
    grandchild = await territory(system, child)
    await second.sync_until(lambda d: grandchild in territories(d))
    assert sorted(territories(second)) == sorted([root, child, grandchild])

    # The first promotion moves to the second client: gone from the first device, on the second.
    by_client.targeting.client_ids[:] = [c2]
    by_client.name = "Весна −7 %"
    by_client.percent_off.percent = "7"
    await upsert(system, by_client)
    await first.sync_until(lambda d: not keyed(d, p1))
    await second.sync_until(lambda d: keyed(d, p1))
    moved = keyed(second, p1)[f"{p1}/{c2}"][1]
    assert (moved["name"], moved["mechanic"]["percent"], moved["version"]) == (
        "Весна −7 %",
        "7",
        2,
    )

    # A stop: still on both devices, marked.
    wide.stopped = True
    await upsert(system, wide)
    for device in f.devices:
        await device.sync_until(lambda d: keyed(d, p3)[p3][1]["stopped"] is True)
        assert "stopTime" in keyed(device, p3)[p3][1]
