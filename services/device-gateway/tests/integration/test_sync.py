"""Sync over real HTTP against the real services: a device's first sync holds its own route,
outlets and clients and nothing of another agent's; a route change on the server shows up in
the next delta as additions and removals; an empty delta is empty; a cursor the store did not
make is refused (docs/sync-protocol.md, *Sync*)."""

from __future__ import annotations

import uuid
from typing import Any

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually

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


async def _stored(system: GatewaySystem, section: str, key: str) -> bool:
    """Whether the sync store holds a live item `(section, key)`."""
    from sqlalchemy import select

    from fieldline_gateway.adapters.fanout_tables import fanout_objects

    o = fanout_objects.c
    query = select(o.deleted).where(o.section == section, o.key == key)
    async with system.gateway.app.read_sessions() as session:
        deleted = await session.scalar(query)
    return deleted is False


async def _synced_until(device: Device, what: Any, within: float = 15) -> list[dict[str, Any]]:
    """Sync until `what(device)` holds; every page of those syncs."""
    return await device.sync_until(what, within)


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


async def test_a_telesellers_device_calls_its_call_list_and_holds_what_clients_shows_it(
    system: GatewaySystem,
) -> None:
    """A teleseller's device (docs/contexts/sales-gaps.md 3.2): activated like a field role's;
    its bundle is its call list's outlets and clients, its calls and today's call plan, as
    clients shows them to its own token, and orders' sections for them (prices, terms,
    recommended orders) — no visit plan, no van and nothing of another employee's; a `call`
    document is recorded once, a retry is a duplicate, and the plan it completes reaches the
    device. Its phone orders: test_telesales."""
    from datetime import UTC, datetime, timedelta

    from fieldline.clients.v1 import clients_service_pb2 as ccs
    from fieldline.clients.v1 import visits_service_pb2 as cvs
    from fieldline_gateway.adapters.peers import bearer
    from tests.company import TODAY, product

    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    teller = await system.employee(cpb.ROLE_TELESELLER, boss)
    call_list = str(uuid.uuid4())
    await system.api.territory.CreateRoute(
        cts.CreateRouteRequest(
            request_id=str(uuid.uuid4()),
            route=cpb.Route(
                id=call_list,
                name="Обзвон",
                agent_id=teller.subject,
                kind=cpb.ROUTE_KIND_PHONE,
            ),
        )
    )
    called, other = [], []
    for k in range(2):
        client_id, outlet = await system.api.client_with_outlet(700 + k)
        await system.api.assign(call_list, outlet.id)
        called.append((client_id, outlet.id))
    # Its first client buys at a price type: prices the teleseller's scopes hold (shared ones).
    [product_id], price_type_id = await system.api.priced_catalog((product("TLF", "Чай"), "50"))
    await system.api.known_to_orders(called[0][0], price_type_id)
    agent, _route, other_outlets, other_clients = await _agent_with_outlets(system, boss, 9, 1)
    other = [*other_outlets, *other_clients]
    device = Device(system, await system.device_of(boss, teller))
    me = teller.subject
    plan_key = f"{me}/{TODAY.isoformat()}"

    def planned(d: Device) -> dict[str, Any]:
        plan = d.items.get(("callPlans", plan_key))
        return {c["outletId"]: c for c in plan[1]["calls"]} if plan else {}

    await _synced_until(
        device, lambda d: set(planned(d)) == {o for _c, o in called} and d.keys("outlets")
    )
    assert device.items[("callPlans", plan_key)][0] == f"agent:{me}"
    assert {c["state"] for c in planned(device).values()} == {"open"}
    assert device.keys("routes") == {call_list}
    assert device.keys("routeOutlets") == {f"{call_list}/{o}" for _c, o in called}
    # Parity with clients, asked with the device's own token: its outlets and its plan.
    as_teller = bearer(device.token)
    outlets = await system.api.clients.ListOutlets(ccs.ListOutletsRequest(), metadata=as_teller)
    assert device.keys("outlets") == {o.id for o in outlets.outlets} == {o for _c, o in called}
    assert device.keys("clients") == {c for c, _o in called}
    # Orders' sections for its call list (orders serves a teleseller its clients' prices and
    # terms and its outlets' recommended orders); no visit plan (its call list is never
    # visited), no van, nothing of the other agent's.
    for section, key in (("recommendedOrders", called[0][1]), ("clientTerms", called[0][0])):
        await eventually(
            lambda section=section, key=key: _stored(system, section, key),
            within=15,
            what=f"{section} {key} is in the store",
        )
    await _synced_until(
        device,
        lambda d: (
            product_id in d.keys("products")
            and price_type_id in d.keys("priceTypes")
            and called[0][0] in d.keys("clientTerms")
            and {o for _c, o in called} <= d.keys("recommendedOrders")
        ),
    )
    sections = {s for (s, _k) in device.items}
    assert sections >= {"prices", "priceLists", "priceTypes", "clientTerms", "recommendedOrders"}
    assert not sections & {"visitPlans", "vans", "vanStock"}, sections
    every_key = {key for (_s, key) in device.items}
    assert not any(i in key for i in other for key in every_key)
    assert f"agent:{agent.subject}" not in {scope for scope, _data in device.items.values()}

    # It calls the first outlet: ordered. Sent over HTTP as a device sends it, then again.
    started = datetime.now(UTC) - timedelta(minutes=3)

    def call(outcome: str, **more: Any) -> dict[str, Any]:
        return {
            "kind": "call",
            "documentId": str(uuid.uuid4()),
            "createdAt": (started + timedelta(minutes=2)).isoformat().replace("+00:00", "Z"),
            "callId": str(uuid.uuid4()),
            "outletId": called[0][1],
            "startedAt": started.isoformat().replace("+00:00", "Z"),
            "endedAt": (started + timedelta(minutes=2)).isoformat().replace("+00:00", "Z"),
            "outcome": outcome,
            **more,
        }

    async def upload(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reply = await system.http.post(
            "/v1/uploads",
            json={
                "batchId": str(uuid.uuid4()),
                "sentAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "documents": documents,
            },
            headers={"Authorization": f"Bearer {device.token}"},
        )
        assert reply.status_code == 200, reply.text
        return list(reply.json()["results"])

    ordered, refused = call("ordered", notes="два ящика"), call("refused")
    first = await upload([ordered, refused])
    assert [r["status"] for r in first] == ["accepted", "rejected"], first
    entity = first[0]["entity"]
    assert (entity["id"], entity["outcome"], entity["date"]) == (
        ordered["callId"],
        "ordered",
        started.astimezone(system.gateway.app.tz).date().isoformat(),
    )
    # A refusal needs its reason: clients says so, naming the document's field.
    assert first[1]["problem"]["code"] == "invalid-document"
    assert first[1]["problem"]["field"] == "documents[1].reason"
    again = await upload([ordered])
    assert again[0]["status"] == "duplicate" and again[0]["entity"] == entity
    recorded = await system.api.visits.ListCalls(
        cvs.ListCallsRequest(teleseller_id=me), metadata=as_teller
    )
    assert [c.id for c in recorded.calls] == [ordered["callId"]]  # once, under its own id

    def done(d: Device) -> bool:
        first_outlet = planned(d).get(called[0][1], {})
        return first_outlet.get("state") == "done" and ordered["callId"] in d.keys("calls")

    await _synced_until(device, done)
    assert device.keys("calls") == {c.id for c in recorded.calls}
    assert device.items[("calls", ordered["callId"])] == (f"agent:{me}", entity)
    assert planned(device)[called[0][1]]["callIds"] == [ordered["callId"]]
    plan = await system.api.territory.GetCallPlan(
        cts.GetCallPlanRequest(date=pb_date(TODAY)), metadata=as_teller
    )
    _scope, mine = device.items[("callPlans", plan_key)]
    assert mine["completion"]["done"] == plan.completion.done == 1
    assert mine["completion"]["listed"] == plan.completion.listed == 2
