"""Sync over real HTTP against the real services: a device's first sync holds its own route,
outlets and clients and nothing of another agent's; a route change on the server shows up in
the next delta as additions and removals; an empty delta is empty; a cursor the store did not
make is refused (docs/sync-protocol.md, *Sync*)."""

from __future__ import annotations

import uuid
from typing import Any

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually_value

from .gateway_harness import GatewaySystem, SyncedDevice, system_fixture  # noqa: F401


class Device(SyncedDevice):
    def __init__(self, system: GatewaySystem, tokens: dict[str, Any]) -> None:
        super().__init__(system.http, tokens)


async def _agent_with_outlets(
    system: GatewaySystem, boss: Caller, n: int, outlets: int
) -> tuple[Caller, str, list[str], list[str]]:
    """An agent with a route holding `outlets` outlets (of as many clients)."""
    agent = await system.employee(cpb.ROLE_AGENT, boss)
    route = await system.api.route_of(agent)
    outlet_ids, client_ids = [], []
    for k in range(outlets):
        client_id, outlet = await system.api.client_with_outlet(n * 100 + k)
        await system.api.assign(route, outlet.id)
        outlet_ids.append(outlet.id)
        client_ids.append(client_id)
    return agent, route, outlet_ids, client_ids


async def _synced_until(device: Device, what: Any, within: float = 15) -> list[dict[str, Any]]:
    """Sync until `what(device)` holds (the events reach the store within about a second);
    every page of those syncs."""
    seen: list[dict[str, Any]] = []

    async def attempt() -> list[dict[str, Any]]:
        seen.extend(await device.sync())
        return seen

    await eventually_value(attempt, lambda _pages: bool(what(device)), within=within)
    assert what(device), "the sync never showed the change"
    return seen


async def test_a_device_gets_its_own_route_and_nothing_of_another_agents(
    system: GatewaySystem,
) -> None:
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    a, route_a, outlets_a, clients_a = await _agent_with_outlets(system, boss, 1, 2)
    b, _route_b, outlets_b, _clients_b = await _agent_with_outlets(system, boss, 2, 1)
    device = Device(system, await system.device_of(boss, a))
    await _synced_until(device, lambda d: d.keys("outlets") >= set(outlets_a))
    assert device.keys("outlets") == set(outlets_a)
    assert device.keys("clients") == set(clients_a)
    assert device.keys("routes") == {route_a}
    assert device.keys("routeOutlets") == {f"{route_a}/{o}" for o in outlets_a}
    assert device.keys("me") == {a.subject}
    every_key = {key for (_s, key) in device.items}
    assert not any(o in key for o in outlets_b for key in every_key)  # nothing of B's
    scopes = {scope for scope, _data in device.items.values()}
    assert f"agent:{b.subject}" not in scopes


async def test_a_route_change_shows_as_additions_and_removals_in_the_next_delta(
    system: GatewaySystem,
) -> None:
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent, route, outlets, _clients = await _agent_with_outlets(system, boss, 3, 2)
    device = Device(system, await system.device_of(boss, agent))
    # Everything the set-up causes, refetched recommendations included, has arrived.
    from tests.company import TODAY

    def settled(d: Device) -> bool:
        plan = d.items.get(("visitPlans", f"{agent.subject}/{TODAY.isoformat()}"))
        planned = {v["outletId"] for v in plan[1]["visits"]} if plan else set()
        return (
            d.keys("outlets") >= set(outlets)
            and d.keys("recommendedOrders") >= set(outlets)
            and planned == set(outlets)
        )

    await _synced_until(device, settled)
    # Nothing changed: the delta is empty.
    [empty] = await device.sync()
    assert empty["mode"] == "delta"
    assert empty["sections"] == {}
    assert empty["scopes"] == {"removed": [], "reset": []}
    # One outlet leaves the route, another joins it.
    await system.api.territory.RemoveRouteAssignment(
        cts.RemoveRouteAssignmentRequest(
            request_id=str(uuid.uuid4()), route_id=route, outlet_id=outlets[0]
        )
    )
    client_id, joined = await system.api.client_with_outlet(399)
    await system.api.assign(route, joined.id)
    pages = await _synced_until(
        device, lambda d: joined.id in d.keys("outlets") and outlets[0] not in d.keys("outlets")
    )
    removed = {s for page in pages for s in page["scopes"]["removed"]}
    assert f"outlet:{outlets[0]}" in removed
    assert device.keys("outlets") == {outlets[1], joined.id}
    assert f"{route}/{outlets[0]}" not in device.keys("routeOutlets")
    assert client_id in device.keys("clients")


async def test_a_cursor_the_store_did_not_make_is_refused(system: GatewaySystem) -> None:
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent, *_ = await _agent_with_outlets(system, boss, 4, 1)
    tokens = await system.device_of(boss, agent)
    reply = await system.http.get(
        "/v1/sync",
        params={"cursor": "nonsense"},
        headers={"Authorization": f"Bearer {tokens['accessToken']}"},
    )
    assert reply.status_code == 400
    assert reply.json()["code"] == "invalid-cursor"
    # A management token is no device: sync is for devices.
    reply = await system.http.get("/v1/sync", headers=system.management(boss))
    assert reply.status_code == 401


async def test_catalog_prices_and_a_price_change_reach_the_device(system: GatewaySystem) -> None:
    from datetime import timedelta

    from fieldline.orders.v1 import catalog_service_pb2 as cat
    from fieldline.orders.v1 import resources_pb2 as opb
    from fieldline_kit.grpc.convert import pb_date
    from tests.company import TODAY, product, rub

    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent, _route, _outlets, clients = await _agent_with_outlets(system, boss, 5, 1)
    [product_id], price_type_id = await system.api.priced_catalog(
        (product("KVS", "Квас 0,5"), "62.90")
    )
    await system.api.known_to_orders(clients[0], price_type_id)
    device = Device(system, await system.device_of(boss, agent))

    def priced(d: Device) -> list[Any]:
        return [data for (s, _k), (_sc, data) in d.items.items() if s == "prices"]

    await _synced_until(device, lambda d: priced(d) and product_id in d.keys("products"))
    [price] = priced(device)
    assert price["price"] == {"amount": "62.90", "currency": "RUB"}
    assert clients[0] in device.keys("clientTerms")
    assert price_type_id in device.keys("priceTypes")
    # The price list changes on the server: the next delta carries the new price only.
    lists = await system.api.catalog.ListPriceLists(cat.ListPriceListsRequest())
    [price_list] = [p for p in lists.price_lists if p.price_type_id == price_type_id]
    changed = opb.PriceList(
        id=price_list.id,
        external_id=price_list.external_id,
        price_type_id=price_type_id,
        valid_from=pb_date(TODAY - timedelta(days=30)),
        entries=[opb.PriceListEntry(product_id=product_id, price=rub("65.50"))],
    )
    await system.api.catalog.UpsertPriceLists(
        cat.UpsertPriceListsRequest(request_id=str(uuid.uuid4()), price_lists=[changed])
    )
    pages = await _synced_until(
        device, lambda d: [p["price"]["amount"] for p in priced(d)] == ["65.50"]
    )
    assert all(p["mode"] == "delta" for p in pages)


async def test_the_visit_plan_and_a_van_sellers_van_reach_the_device(
    system: GatewaySystem,
) -> None:
    from tests.company import TODAY, product

    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    seller = await system.employee(cpb.ROLE_VAN_SELLER, boss)
    route = await system.api.route_of(seller)
    _client, outlet = await system.api.client_with_outlet(601)
    await system.api.assign(route, outlet.id)
    [product_id], _price_type = await system.api.priced_catalog((product("WTR", "Вода"), 40))
    van_id = await system.api.loaded_van(seller, product_id, 24)
    device = Device(system, await system.device_of(boss, seller))
    today_key = f"{seller.subject}/{TODAY.isoformat()}"

    def ready(d: Device) -> bool:
        plan = d.items.get(("visitPlans", today_key))
        planned = [v["outletId"] for v in plan[1]["visits"]] if plan else []
        return planned == [outlet.id] and van_id in d.keys("vanStock")

    await _synced_until(device, ready, within=20)
    _scope, plan = device.items[("visitPlans", today_key)]
    assert [v["outletId"] for v in plan["visits"]] == [outlet.id]
    _scope, stock = device.items[("vanStock", van_id)]
    assert stock["lines"] == [{"productId": product_id, "quantity": "24"}]
    assert van_id in device.keys("vans")


async def test_syncs_past_the_devices_limit_are_refused_with_retry_after(
    system: GatewaySystem,
) -> None:
    from fieldline_gateway.domain.limits import RateLimiter, parse_rate_limits

    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent, *_ = await _agent_with_outlets(system, boss, 7, 1)
    tokens = await system.device_of(boss, agent)
    app = system.gateway.app
    relaxed = app.limiter
    app.limiter = RateLimiter(
        parse_rate_limits("sync=2,upload=60,photo=600,refresh=10,activate=10")
    )
    try:
        headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
        statuses = [(await system.http.get("/v1/sync", headers=headers)) for _ in range(3)]
    finally:
        app.limiter = relaxed
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].json()["code"] == "rate-limited"
    assert 1 <= int(statuses[2].headers["retry-after"]) <= 30


async def test_an_outlets_recommended_order_reaches_the_device_compressed(
    system: GatewaySystem,
) -> None:
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent, _route, outlets, _clients = await _agent_with_outlets(system, boss, 8, 1)
    device = Device(system, await system.device_of(boss, agent))
    await _synced_until(device, lambda d: outlets[0] in d.keys("recommendedOrders"))
    scope, recommendation = device.items[("recommendedOrders", outlets[0])]
    assert scope == f"outlet:{outlets[0]}"
    assert recommendation["outletId"] == outlets[0]
    # A bundle is compressed on the wire for a client that accepts it.
    reply = await system.http.get(
        "/v1/sync",
        headers={"Authorization": f"Bearer {device.token}", "Accept-Encoding": "gzip"},
    )
    assert reply.headers["content-encoding"] == "gzip"
