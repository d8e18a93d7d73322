"""The sync store's bulk build against the real services (docs/contexts/device-gateway.md, *Where
the data comes from*, 3. Bulk build).

A company is made in clients, orders and settlements BEFORE the gateway starts, and the gateway
runs with its consumers off: only the build can fill its store. While another replica holds the
build's lease the store stays unbuilt (no clock, so sync answers `sync-unavailable`); once the lease
is free the gateway builds by itself, and a device's full sync holds its route, outlets, clients,
catalog, prices, terms, balances, invoices, orders. A second build (the `bulk-build` command)
writes nothing new. Then a replica with consumers on replays every event of the company: the
older ones change nothing, the newer ones win by version.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from google.protobuf import field_mask_pb2
from sqlalchemy import func, select

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.clients.v1 import visits_service_pb2 as cvs
from fieldline.orders.v1 import catalog_service_pb2 as cat
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import orders_service_pb2_grpc as ords_grpc
from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_gateway.adapters import fanout_store, leases
from fieldline_gateway.adapters.fanout_tables import fanout_heads, fanout_members, fanout_objects
from fieldline_gateway.adapters.peers import bearer
from fieldline_gateway.adapters.projections import PARTLY_VERSIONED, money
from fieldline_gateway.adapters.refetch_tables import refetch_jobs
from fieldline_gateway.entrypoints import main as gateway_entrypoint
from fieldline_gateway.entrypoints.main import SPEC as GATEWAY
from fieldline_gateway.entrypoints.main import main as gateway_main
from fieldline_gateway.service_layer.bulk_build import JOB
from fieldline_gateway.topology import CLIENTS_FANOUT, ORDERS_FANOUT, SETTLEMENTS_FANOUT
from fieldline_kit.clock import utcnow
from fieldline_kit.db import create_engine, dispose, session_factory
from fieldline_kit.grpc.convert import pb_date, ts
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.settings import env_name
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import eventually, eventually_value, new_id
from fieldline_kit.testing.http_service import RunningHttpService, http_service_running
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService
from tests.company import (
    TODAY,
    Api,
    product,
    questionnaire_request,
    rub,
    through_the_feed,
    van_request,
)

from .gateway_harness import (
    GatewaySystem,
    SyncedDevice,
    gateway_settings,
    services_running,
)

OTHER_REPLICA = "another-replica:1:test"
# Sections whose items the store compares by body only (no version, or a version that does not
# step with every change): an older event may rewrite them. Every other section is versioned.
HASH_ONLY = PARTLY_VERSIONED | {
    "visitPlans",
    "visits",
    "proposals",
    "vans",
    "vanStock",
    "collections",
    "recommendedOrders",
    "calls",
    "callPlans",
}


Device = SyncedDevice


@dataclass
class Company:
    boss: Caller
    agent: Caller
    other: Caller
    seller: Caller
    route: str
    other_route: str
    outlets: list[str]
    clients: list[str]
    other_outlet: str
    renamed: str  # the first client's name after its one change (version 2)
    product_id: str
    price_type_id: str
    invoice_id: str
    order_id: str
    group_id: str
    discount_id: str
    questionnaire_id: str
    van_id: str
    teller: Caller
    call_id: str
    everyone_promotion_id: str  # catalog-wide, targeting a territory and its child
    client_promotion_id: str  # for the second client only
    territories: tuple[str, str]  # (parent, child)
    visit_id: str  # the agent's visit its order names (a contact of orders')
    other_visit_id: str  # the other agent's


@dataclass
class World:
    system: GatewaySystem
    company: Company
    nats_url: str
    clocks_while_held: list[Any]
    device: Device | None = None


async def _company(api: Api, orders: RunningService[Any]) -> Company:
    """A supervisor with two agents and a van seller; the agent's route holds two outlets (of
    two clients) on a price type, the other agent's one; one client renamed once, with an open
    invoice and an order; a questionnaire; a van."""
    boss = await api.employee(cpb.ROLE_SUPERVISOR, "Супервайзер Бульков")
    agent = await api.employee(cpb.ROLE_AGENT, "Агент Бульков", boss)
    other = await api.employee(cpb.ROLE_AGENT, "Агент Другой", boss)
    seller = await api.employee(cpb.ROLE_VAN_SELLER, "Водитель Бульков", boss)
    route = await api.route_of(agent)
    other_route = await api.route_of(other)
    outlets, clients = [], []
    for n in range(2):
        client_id, outlet = await api.client_with_outlet(900 + n)
        await api.assign(route, outlet.id)
        outlets.append(outlet.id)
        clients.append(client_id)
    other_client, other_outlet = await api.client_with_outlet(950)
    await api.assign(other_route, other_outlet.id)
    renamed = "ООО «Продукты 900», переименовано"
    await api.clients.UpdateClient(
        ccs.UpdateClientRequest(
            request_id=new_id(),
            client=cpb.Client(id=clients[0], name=renamed),
            expected_version=1,
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        )
    )
    [product_id], price_type_id = await api.priced_catalog((product("KVS", "Квас 0,5"), "62.90"))
    for client_id in (*clients, other_client):
        await api.known_to_orders(client_id, price_type_id)
    groups = await api.catalog.UpsertProductGroups(
        cat.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[opb.ProductGroup(external_id=f"g-{new_id()[:8]}", name="Квас")],
        )
    )
    discounts = await api.catalog.UpsertDiscounts(
        cat.UpsertDiscountsRequest(
            request_id=new_id(),
            discounts=[
                opb.Discount(
                    external_id=f"d-{new_id()[:8]}",
                    scope=opb.DISCOUNT_SCOPE_PRODUCT,
                    client_id=clients[1],
                    product_id=product_id,
                    percent="5",
                )
            ],
        )
    )
    # Promotions, and the territory tree they target, made before the gateway runs: only the
    # build (ListTerritories, ListPromotions) can bring them.
    parent, child = new_id(), new_id()
    for territory_id, up in ((parent, ""), (child, parent)):
        await api.territory.CreateTerritory(
            cts.CreateTerritoryRequest(
                request_id=new_id(),
                territory=cpb.Territory(id=territory_id, name="Т", parent_id=up),
            )
        )
    promotions = await ps_grpc.PromotionsServiceStub(orders.channel).UpsertPromotions(
        ps.UpsertPromotionsRequest(
            request_id=new_id(),
            promotions=[
                opb.Promotion(
                    external_id=f"everyone-{new_id()[:8]}",
                    name="Всем −5 %",
                    valid_from=pb_date(TODAY - timedelta(days=1)),
                    valid_to=pb_date(TODAY + timedelta(days=30)),
                    currency_code="RUB",
                    product_ids=[product_id],
                    percent_off=opb.PercentOff(percent="5"),
                    combinability=opb.PROMOTION_COMBINABILITY_STACKABLE,
                    targeting=opb.PromotionTargeting(territory_ids=[parent]),
                ),
                opb.Promotion(
                    external_id=f"client-{new_id()[:8]}",
                    name="Клиенту −7 %",
                    valid_from=pb_date(TODAY - timedelta(days=1)),
                    valid_to=pb_date(TODAY + timedelta(days=30)),
                    currency_code="RUB",
                    product_ids=[product_id],
                    percent_off=opb.PercentOff(percent="7"),
                    combinability=opb.PROMOTION_COMBINABILITY_EXCLUSIVE,
                    targeting=opb.PromotionTargeting(client_ids=[clients[1]]),
                ),
            ],
        )
    )
    assert not any(r.error for r in promotions.results), promotions.results
    await api.catalog.UpsertClientPrices(
        cat.UpsertClientPricesRequest(
            request_id=new_id(),
            prices=[
                opb.ClientPrice(
                    client_id=clients[0],
                    product_id=product_id,
                    price=rub("60"),
                    valid_from=pb_date(TODAY - timedelta(days=1)),
                )
            ],
        )
    )
    invoice_id = new_id()
    await api.settlements.RecordInvoice(
        ss.RecordInvoiceRequest(
            request_id=new_id(),
            invoice=spb.Invoice(
                id=invoice_id,
                number="ERP-BULK-1",
                client_id=clients[0],
                source=spb.INVOICE_SOURCE_ERP,
                issue_date=pb_date(TODAY),
                due_date=pb_date(TODAY + timedelta(days=14)),
                amount=rub("1500"),
            ),
        )
    )
    order_id, visit_id, other_visit_id = new_id(), new_id(), new_id()
    as_agent = ords_grpc.OrdersServiceStub(orders.channel_as(agent))
    await through_the_feed(
        lambda: as_agent.SubmitOrder(
            ords.SubmitOrderRequest(
                request_id=new_id(),
                order_id=order_id,
                client_id=clients[1],
                outlet_id=outlets[1],
                visit_id=visit_id,
                order_date=pb_date(TODAY),
                delivery_date=pb_date(TODAY + timedelta(days=1)),
                lines=[ords.OrderLineInput(product_id=product_id, unit="pcs", quantity="2")],
            )
        )
    )
    # The other agent's visit has an order too: its contact figures are the other's.
    as_other = ords_grpc.OrdersServiceStub(orders.channel_as(other))
    await through_the_feed(
        lambda: as_other.SubmitOrder(
            ords.SubmitOrderRequest(
                request_id=new_id(),
                order_id=new_id(),
                client_id=other_client,
                outlet_id=other_outlet.id,
                visit_id=other_visit_id,
                order_date=pb_date(TODAY),
                lines=[ords.OrderLineInput(product_id=product_id, unit="pcs", quantity="1")],
            )
        )
    )
    questionnaire = await api.visits.CreateQuestionnaire(questionnaire_request())
    van = van_request(seller.subject)
    await api.vans.CreateVan(van)
    # A teleseller with a call list of one outlet, called once (recorded as an import).
    teller = await api.employee(cpb.ROLE_TELESELLER, "Телепродавец Бульков", boss)
    call_list = new_id()
    await api.territory.CreateRoute(
        cts.CreateRouteRequest(
            request_id=new_id(),
            route=cpb.Route(
                id=call_list, name="Обзвон", agent_id=teller.subject, kind=cpb.ROUTE_KIND_PHONE
            ),
        )
    )
    _called_client, called = await api.client_with_outlet(970)
    await api.assign(call_list, called.id)
    call_id = new_id()
    await api.visits.RecordCall(
        cvs.RecordCallRequest(
            request_id=new_id(),
            call=cpb.Call(
                id=call_id,
                outlet_id=called.id,
                started_at=ts(utcnow() - timedelta(minutes=5)),
                outcome=cpb.CALL_OUTCOME_NO_ANSWER,
            ),
            for_teleseller_id=teller.subject,
        )
    )
    return Company(
        boss=boss,
        agent=agent,
        other=other,
        seller=seller,
        route=route,
        other_route=other_route,
        outlets=outlets,
        clients=clients,
        other_outlet=other_outlet.id,
        renamed=renamed,
        product_id=product_id,
        price_type_id=price_type_id,
        invoice_id=invoice_id,
        order_id=order_id,
        group_id=groups.results[0].id,
        discount_id=discounts.results[0].id,
        questionnaire_id=questionnaire.questionnaire.id,
        van_id=van.van.id,
        teller=teller,
        call_id=call_id,
        visit_id=visit_id,
        other_visit_id=other_visit_id,
        everyone_promotion_id=promotions.results[0].id,
        client_promotion_id=promotions.results[1].id,
        territories=(parent, child),
    )


# ------------------------------------------------------------------------------ store reads


async def _read(app: Any, read: Callable[[Any], Awaitable[Any]]) -> Any:
    async with app.read_sessions() as session:
        return await read(session)


async def _clock(app: Any) -> Any:
    return await _read(app, fanout_store.read_clock)


async def _finished(app: Any) -> bool:
    return await _read(app, lambda s: leases.finished_at(s, JOB)) is not None


async def _objects(app: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    o = fanout_objects.c
    query = select(o.section, o.key, o.scope, o.seq, o.source_version, o.deleted, o.body_hash)

    async def read(session: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
        return {(r[0], r[1]): tuple(r[2:]) for r in await session.execute(query)}

    return dict(await _read(app, read))


async def _heads(app: Any) -> dict[str, int]:
    async def read(session: Any) -> dict[str, int]:
        rows = await session.execute(select(fanout_heads.c.scope, fanout_heads.c.seq))
        return {r.scope: int(r.seq) for r in rows}

    return dict(await _read(app, read))


async def _members(app: Any, agents: set[str] | None = None) -> set[tuple[Any, ...]]:
    m = fanout_members.c

    async def read(session: Any) -> set[tuple[Any, ...]]:
        rows = await session.execute(select(m.agent_id, m.scope, m.added_seq, m.removed_seq))
        return {tuple(r) for r in rows if agents is None or r.agent_id in agents}

    return set(await _read(app, read))


async def _refetch_pending(app: Any) -> int:
    """Refetch jobs not yet run once."""
    query = select(func.count()).where(refetch_jobs.c.attempts == 0)
    return int(await _read(app, lambda s: s.scalar(query)))


@contextlib.asynccontextmanager
async def _refetch_paused(app: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """The gateway's refetch loop idle (its jobs would write visit plans and vans meanwhile):
    entered once the loop has come round to the paused step (no job in flight)."""
    idle = asyncio.Event()

    async def paused_step() -> int:
        idle.set()
        return 0

    async def no_roll() -> None:
        return None

    with monkeypatch.context() as patch:
        patch.setattr(app.refetcher, "roll", no_roll)
        patch.setattr(app.refetcher, "step", paused_step)
        await asyncio.wait_for(idle.wait(), 10)
        yield


async def _hold_lease(database_url: str, holder: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            now = utcnow()
            assert await leases.take(session, JOB, holder, now=now, until=now + timedelta(60))
    finally:
        await dispose(engine)


async def _release_lease(app: Any, holder: str) -> None:
    async with app.uow() as uow:
        await leases.release(uow.session, JOB, holder, now=utcnow())
        await uow.commit()


def _as_command(gateway: RunningHttpService, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m fieldline_gateway bulk-build` may run in this process: the environment
    `serve` would have had for this gateway's settings, and the process's logging left as the
    test runner set it (the command would bind it to the captured, soon closed, stdout)."""
    for name, value in _gateway_env(gateway).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(gateway_entrypoint, "configure_logging", lambda *_a, **_k: None)


def _gateway_env(gateway: RunningHttpService) -> dict[str, str]:
    """The environment `serve` would have had for this gateway's settings."""
    env = {}
    for f in dataclasses.fields(gateway.app.settings):
        value = getattr(gateway.app.settings, f.name)
        if isinstance(value, tuple):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        env[env_name(GATEWAY.prefix, f.name)] = text
    return env


async def _synced_until(device: Device, what: Callable[[Device], Any], within: float = 20) -> None:
    async def attempt() -> bool:
        await device.sync()
        return bool(what(device))

    await eventually(attempt, within=within, what="the device's sync shows it")


# ------------------------------------------------------------------------------ the system


@pytest_asyncio.fixture(scope="module", name="world")
async def world_fixture(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> AsyncIterator[World]:
    nats_url = nats_server.url
    async with services_running(db_factory, nats_server) as services:
        clients, orders, settlements, api = (
            services.clients,
            services.orders,
            services.settlements,
            services.api,
        )
        company = await _company(api, orders)
        # Another replica is building (it holds the lease) when this one starts.
        database_url = await db_factory.create()
        await upgrade_async(database_url, GATEWAY.migrations)
        await _hold_lease(database_url, OTHER_REPLICA)
        async with (
            http_service_running(
                GATEWAY,
                db_factory,
                nats_url,
                database_url=database_url,
                **gateway_settings(**services.targets()),
                data_dir=tempfile.mkdtemp(prefix="gateway-data-"),
                run_consumers=False,  # only the bulk build fills the store
            ) as gateway,
            httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http,
        ):
            held = []
            for _ in range(3):
                held.append(await _clock(gateway.app))
                await asyncio.sleep(0.3)
            await _release_lease(gateway.app, OTHER_REPLICA)
            await eventually(
                lambda: _finished(gateway.app), within=90, what="the bulk build finishes"
            )
            system = GatewaySystem(clients, orders, settlements, gateway, http, api)
            yield World(system, company, nats_url, held)


# ------------------------------------------------------------------------------ the tests


async def test_the_build_waits_for_the_lease_and_fills_a_devices_full_sync(world: World) -> None:
    system, c = world.system, world.company
    app = system.gateway.app
    # While the other replica held the lease nothing was written: no clock, sync unavailable.
    assert world.clocks_while_held == [None, None, None]
    assert await _clock(app) is not None
    # The device of the agent: activated once the directory (written by the build) knows them.
    tokens = await eventually_value(
        lambda: _activated(system, c.boss, c.agent), lambda t: t is not None, within=10
    )
    device = world.device = Device(system.http, tokens)
    pages = await device.sync()
    assert pages[0]["mode"] == "full"
    assert device.keys("me") == {c.agent.subject}
    assert device.data("me", c.agent.subject)["fullName"] == "Агент Бульков"
    assert device.keys("routes") == {c.route}
    assert device.keys("routeOutlets") == {f"{c.route}/{o}" for o in c.outlets}
    assert device.keys("outlets") == set(c.outlets)
    assert device.keys("clients") == set(c.clients)
    assert device.data("clients", c.clients[0])["name"] == c.renamed  # the current version
    assert device.data("clients", c.clients[0])["version"] == 2
    assert c.product_id in device.keys("products")
    assert c.price_type_id in device.keys("priceTypes")
    [price] = [d for (s, _k), (_sc, d) in device.items.items() if s == "prices"]
    assert price["productId"] == c.product_id
    assert price["price"] == {"amount": "62.90", "currency": "RUB"}
    assert device.keys("clientTerms") == set(c.clients)
    assert c.group_id in device.keys("productGroups")
    assert device.data("discounts", c.discount_id)["clientId"] == c.clients[1]
    assert device.items[("discounts", c.discount_id)][0] == f"account:{c.clients[1]}"
    since = (TODAY - timedelta(days=1)).isoformat()
    client_price = device.data("clientPrices", f"{c.clients[0]}/{c.product_id}/{since}")
    assert client_price["price"] == {"amount": "60.00", "currency": "RUB"}
    assert device.data("clientTerms", c.clients[1])["priceTypeId"] == c.price_type_id
    assert device.data("balances", c.clients[0])["balance"]["amount"] == "1500.00"
    assert device.data("invoices", c.invoice_id)["openAmount"]["amount"] == "1500.00"
    assert c.clients[0] in device.keys("creditStandings")
    assert device.data("orders", c.order_id)["outletId"] == c.outlets[1]
    # The visit's contact figures, listed by the build (ListContactSales of the visits'
    # window), are what orders shows the agent's own token: its visit, not the other's.
    own = await system.api.orders.ListContactSales(
        ords.ListContactSalesRequest(), metadata=bearer(device.token)
    )
    assert device.keys("contactSales") == {x.contact_id for x in own.contact_sales} == {c.visit_id}
    [listed] = own.contact_sales
    contact = device.data("contactSales", c.visit_id)
    assert (contact["orders"], contact["lines"], contact["orderIds"]) == (1, 1, [c.order_id])
    assert contact["grossTotal"] == money(listed.gross_total)  # 2 × 62.90 less 5 %
    assert (contact["productive"], contact["version"]) == (True, listed.version)
    assert device.items[("contactSales", c.visit_id)][0] == f"agent:{c.agent.subject}"
    assert c.questionnaire_id in device.keys("questionnaires")
    # Promotions: the catalog-wide one (its territory expanded from the tree the build read)
    # under `catalog`, the second client's under that client's account.
    everyone = device.data("promotions", c.everyone_promotion_id)
    assert device.items[("promotions", c.everyone_promotion_id)][0] == "catalog"
    assert sorted(everyone["targeting"]["territoryIds"]) == sorted(c.territories)
    client_key = f"{c.client_promotion_id}/{c.clients[1]}"
    assert device.items[("promotions", client_key)][0] == f"account:{c.clients[1]}"
    assert device.data("promotions", client_key)["id"] == c.client_promotion_id
    # Nothing of the other agent's (its route, its outlet), nor of the van seller's.
    every_key = {key for (_s, key) in device.items}
    assert c.other_outlet not in every_key and f"{c.other_route}/{c.other_outlet}" not in every_key
    scopes = {scope for scope, _data in device.items.values()}
    assert f"agent:{c.other.subject}" not in scopes and f"agent:{c.seller.subject}" not in scopes
    # The van is in the store, under its seller; the build asked for every agent's visit plan
    # (a refetch job), which then reaches the device.
    objects = await _objects(app)
    assert objects[("vans", c.van_id)][0] == f"agent:{c.seller.subject}"
    assert objects[("contactSales", c.other_visit_id)][0] == f"agent:{c.other.subject}"
    # The teleseller's call of the window is listed under it; its call plan of today and the
    # agent's cash on hand (nothing collected: zero) come by the refetch jobs the build asked.
    assert objects[("calls", c.call_id)][0] == f"agent:{c.teller.subject}"
    call_plan = ("callPlans", f"{c.teller.subject}/{TODAY.isoformat()}")
    cash = ("cashOnHand", c.agent.subject)

    async def refetched() -> bool:
        found = await _objects(app)
        return call_plan in found and cash in found

    await eventually(refetched, within=20, what="the call plan and the cash on hand are read")
    assert ("visitPlans", f"{c.teller.subject}/{TODAY.isoformat()}") not in await _objects(app)
    await device.sync()
    held = device.data("cashOnHand", c.agent.subject)
    assert (held["total"]["amount"], held["payments"]) == ("0.00", [])
    await _synced_until(
        device, lambda d: f"{c.agent.subject}/{TODAY.isoformat()}" in d.keys("visitPlans")
    )
    plan = device.data("visitPlans", f"{c.agent.subject}/{TODAY.isoformat()}")
    assert {v["outletId"] for v in plan["visits"]} == set(c.outlets)


async def _activated(system: GatewaySystem, boss: Caller, agent: Caller) -> dict[str, Any] | None:
    """A device of `agent`'s, once the gateway's directory knows both (None until then)."""
    try:
        return await system.device_of(boss, agent)
    except AssertionError:
        return None


async def test_a_second_build_writes_nothing_new(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = world.system.gateway.app
    assert world.device is not None
    await eventually(
        lambda: _zero(app),
        within=20,
        what="the refetch jobs the first build asked for have run",
    )
    async with _refetch_paused(app, monkeypatch):
        await world.device.sync()
        before = (await _clock(app), await _objects(app), await _heads(app), await _members(app))
        _as_command(world.system.gateway, monkeypatch)
        code = await asyncio.to_thread(gateway_main, ["bulk-build"])
        out = capsys.readouterr().out
        assert code == 0, out
        [report] = [json.loads(line) for line in out.splitlines() if line.startswith('{"sections"')]
        after = (await _clock(app), await _objects(app), await _heads(app), await _members(app))
        # Everything was listed again…
        listed = {name: counts["listed"] for name, counts in report["sections"].items()}
        for section in ("me", "routes", "routeOutlets", "outlets", "clients", "products"):
            assert listed[section] > 0, section
        assert listed["prices"] > 0 and listed["clientTerms"] > 0 and listed["balances"] > 0
        assert listed["contactSales"] > 0
        # …and nothing written: every object, head and membership as it was; the clock moved
        # only by the run's own transactions (each takes a seq, as every fan-out write does).
        assert report["written"] == 0
        assert after[1] == before[1]
        assert after[2] == before[2]
        assert after[3] == before[3]
        assert after[0].epoch == before[0].epoch
        assert after[0].seq - before[0].seq == report["transactions"]
        # The device's delta is empty.
        [empty] = await world.device.sync()
        assert empty["mode"] == "delta"
        assert empty["sections"] == {}
        assert empty["scopes"] == {"removed": [], "reset": []}


async def _zero(app: Any) -> bool:
    return await _refetch_pending(app) == 0


async def test_a_build_while_another_holds_the_lease_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = world.system.gateway.app
    await eventually(lambda: _zero(app), within=20, what="the refetch jobs have run")
    async with _refetch_paused(app, monkeypatch):
        async with app.uow() as uow:
            now = utcnow()
            until = now + timedelta(60)
            taken = await leases.take(uow.session, JOB, OTHER_REPLICA, now=now, until=until)
            await uow.commit()
        assert taken
        try:
            _as_command(world.system.gateway, monkeypatch)
            seq = (await _clock(app)).seq
            code = await asyncio.to_thread(gateway_main, ["bulk-build"])
            assert code == 1
            assert OTHER_REPLICA in capsys.readouterr().err
            assert (await _clock(app)).seq == seq  # nothing written
        finally:
            await _release_lease(app, OTHER_REPLICA)


async def test_events_after_the_build_win_by_version_and_older_ones_change_nothing(
    world: World, db_factory: DatabaseFactory
) -> None:
    system, c = world.system, world.company
    app = system.gateway.app
    device = world.device
    assert device is not None
    await device.sync()
    objects = await _objects(app)
    versioned = {k: v for k, v in objects.items() if k[0] not in HASH_ONLY}
    ours = {c.boss.subject, c.agent.subject, c.other.subject, c.seller.subject}
    members = await _members(app, ours)
    # A replica with its consumers on: it replays every event of the company (the durables
    # have not consumed any), all older than or as old as what the build listed.
    async with http_service_running(
        GATEWAY,
        db_factory,
        world.nats_url,
        database_url=system.gateway.database_url,
        **gateway_settings(
            clients_target=system.clients.target,
            orders_target=system.orders.target,
            settlements_target=system.settlements.target,
        ),
        data_dir=tempfile.mkdtemp(prefix="gateway-data-"),
    ):
        js = system.clients.js

        async def caught_up() -> bool:
            for spec in (CLIENTS_FANOUT, ORDERS_FANOUT, SETTLEMENTS_FANOUT):
                info = await js.consumer_info(spec.stream, spec.durable)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await eventually(caught_up, within=60, what="the consumers replayed every event")
        # Every versioned object and every membership as the build left them.
        replayed = await _objects(app)
        assert {k: replayed[k] for k in versioned} == versioned
        assert await _members(app, ours) == members
        await device.sync()
        assert device.data("clients", c.clients[0])["name"] == c.renamed
        # Newer events win: the client renamed again, the price changed.
        renamed_again = "ООО «Продукты 900», версия 3"
        await system.api.clients.UpdateClient(
            ccs.UpdateClientRequest(
                request_id=new_id(),
                client=cpb.Client(id=c.clients[0], name=renamed_again),
                expected_version=2,
                update_mask=field_mask_pb2.FieldMask(paths=["name"]),
            )
        )
        lists = await system.api.catalog.ListPriceLists(cat.ListPriceListsRequest())
        [price_list] = [p for p in lists.price_lists if p.price_type_id == c.price_type_id]
        await system.api.catalog.UpsertPriceLists(
            cat.UpsertPriceListsRequest(
                request_id=str(uuid.uuid4()),
                price_lists=[
                    opb.PriceList(
                        id=price_list.id,
                        external_id=price_list.external_id,
                        price_type_id=c.price_type_id,
                        valid_from=price_list.valid_from,
                        entries=[opb.PriceListEntry(product_id=c.product_id, price=rub("65.50"))],
                    )
                ],
            )
        )

        def prices(d: Device) -> list[str]:
            return [
                data["price"]["amount"] for (s, _k), (_sc, data) in d.items.items() if s == "prices"
            ]

        # A second order in the agent's visit: orders writes the contact's next version.
        listed_version = device.data("contactSales", c.visit_id)["version"]
        as_agent = ords_grpc.OrdersServiceStub(system.orders.channel_as(c.agent))
        await as_agent.SubmitOrder(
            ords.SubmitOrderRequest(
                request_id=new_id(),
                order_id=new_id(),
                client_id=c.clients[1],
                outlet_id=c.outlets[1],
                visit_id=c.visit_id,
                order_date=pb_date(TODAY),
                lines=[ords.OrderLineInput(product_id=c.product_id, unit="pcs", quantity="1")],
            )
        )

        await _synced_until(
            device,
            lambda d: (
                d.data("clients", c.clients[0])["name"] == renamed_again
                and prices(d) == ["65.50"]
                and d.data("contactSales", c.visit_id)["orders"] == 2
            ),
        )
        assert device.data("clients", c.clients[0])["version"] == 3
        contact = device.data("contactSales", c.visit_id)
        now = await system.api.orders.GetContactSales(
            ords.GetContactSalesRequest(contact_id=c.visit_id)
        )
        assert contact["version"] == now.contact_sales.version > listed_version
        assert contact["grossTotal"] == money(now.contact_sales.gross_total)
