"""A real orders service and a real settlements service in-process, real NATS, real databases.

Both are started as `serve` runs them, with the kit's `service_running` (each on a fresh
database migrated with its own migrations: SQLite, or PostgreSQL with
FIELDLINE_TEST_POSTGRES_URL); orders' credit checker points at the settlements process (or at
a closed port, for the fallback).

Outlets reach orders (and settlements) through the clients feed in production; tests put them
straight into both services' read models: orders' `feed_outlets` and `feed_assignments`,
settlements' `feed_outlets` and `feed_route_outlets` (the agent whose route it is on), and a
supervisor's team into both `feed_employees`.

Auth is on (the kit's harness turns it on for a service with a policy): the stubs `orders`,
`catalog`, `vans` call as an administrator, `*_as(caller)` as anyone; a `Customer` has its
agent (`c.agent`), whose route its outlet is on. Orders asks settlements as the user (forwarded
token) or as itself (its own key: `identity.py`).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio
from google.type import date_pb2, money_pb2
from nats.js import JetStreamContext
from sqlalchemy import func, select

from fieldline.orders.events.v1 import events_pb2
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import catalog_service_pb2_grpc as cs_grpc
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import orders_service_pb2_grpc as os_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.orders.v1 import van_service_pb2_grpc as vs_grpc
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.grpc.convert import money
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.events import Published, stream_events
from fieldline_kit.testing.helpers import closed_port, eventually_value, new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService, service_running
from fieldline_orders.bootstrap import App
from fieldline_orders.domain.feed import AssignmentState, ClientState, EmployeeState, OutletState
from fieldline_orders.entrypoints.main import SPEC
from fieldline_settlements.domain import feed as s_feed
from fieldline_settlements.entrypoints.main import SPEC as SETTLEMENTS

from .identity import agent, orders_overrides, settlements_overrides, supervisor

TZ = ZoneInfo("Europe/Moscow")


def today() -> date:
    return datetime.now(TZ).date()


def prices_from() -> date:
    """The first day of the world's price list: 30 days ago, so that an order date before it
    (with no price) is still within the order date window (ORDERS_ORDER_DATE_WINDOW_DAYS)."""
    return today() - timedelta(days=30)


def pb_date(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def rub(amount: str) -> money_pb2.Money:
    return money(Decimal(amount), "RUB")


def dec(m: money_pb2.Money) -> Decimal:
    return (Decimal(m.units) + Decimal(m.nanos) / Decimal(10**9)).quantize(Decimal("0.01"))


@dataclass
class Settlements(RunningService[Any]):
    @cached_property
    def api(self) -> ss_grpc.SettlementsServiceStub:
        return self.stub(ss_grpc.SettlementsServiceStub)


@dataclass
class Orders(RunningService[App]):
    @cached_property
    def catalog(self) -> cs_grpc.CatalogServiceStub:
        return self.stub(cs_grpc.CatalogServiceStub)

    @cached_property
    def orders(self) -> os_grpc.OrdersServiceStub:
        return self.stub(os_grpc.OrdersServiceStub)

    @cached_property
    def vans(self) -> vs_grpc.VanServiceStub:
        return self.stub(vs_grpc.VanServiceStub)

    def catalog_as(self, caller: Caller) -> cs_grpc.CatalogServiceStub:
        return self.stub(cs_grpc.CatalogServiceStub, as_=caller)

    def orders_as(self, caller: Caller) -> os_grpc.OrdersServiceStub:
        return self.stub(os_grpc.OrdersServiceStub, as_=caller)

    def vans_as(self, caller: Caller) -> vs_grpc.VanServiceStub:
        return self.stub(vs_grpc.VanServiceStub, as_=caller)


@dataclass
class Env:
    orders: Orders
    settlements: Settlements
    js: JetStreamContext
    world: World | None = None

    @property
    def app(self) -> App:
        return self.orders.app


@contextlib.asynccontextmanager
async def start_settlements(
    db_factory: DatabaseFactory, nats_url: str, **overrides: Any
) -> AsyncIterator[Settlements]:
    """Settlements on a new database, or (`database_url=`, `grpc_port=`) started again;
    trusting orders' service tokens."""
    async with service_running(
        SETTLEMENTS,
        db_factory,
        nats_url,
        harness=Settlements,
        **{**settlements_overrides(), **overrides},
    ) as s:
        yield s


@contextlib.asynccontextmanager
async def start_orders(
    db_factory: DatabaseFactory, nats_url: str, settlements_target: str, **overrides: Any
) -> AsyncIterator[Orders]:
    overrides.setdefault("credit_check_timeout_seconds", 5.0)
    async with service_running(
        SPEC,
        db_factory,
        nats_url,
        harness=Orders,
        settlements_target=settlements_target,
        **{**orders_overrides(), **overrides},
    ) as s:
        yield s


@dataclass
class SettlementsOnOnePort:
    """Settlements that can be stopped and started again at one address and on one database:
    an outage, as orders sees it (`target` is where orders' credit checker points)."""

    db_factory: DatabaseFactory
    nats_url: str
    port: int = field(default_factory=closed_port)
    database_url: str = ""

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @contextlib.asynccontextmanager
    async def up(self) -> AsyncIterator[Settlements]:
        if not self.database_url:
            self.database_url = await self.db_factory.create()
            await upgrade_async(self.database_url, SETTLEMENTS.migrations)
        async with start_settlements(
            self.db_factory, self.nats_url, database_url=self.database_url, grpc_port=self.port
        ) as s:
            yield s


@pytest_asyncio.fixture(scope="module", name="env")
async def env_fixture(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Env]:
    """Settlements and orders for one test module (import `env_fixture` to use `env`)."""
    async with (
        start_settlements(db_factory, nats_server.url) as settlements,
        start_orders(db_factory, nats_server.url, settlements.target) as orders,
    ):
        e = Env(orders, settlements, orders.js)
        e.world = await make_world(e)
        yield e


# -------------------------------------------------------------------------------- world
@dataclass
class World:
    """A small catalog: one price type (RUB, VAT included), a price list, three products."""

    price_type_id: str
    price_list_id: str
    group_id: str
    subgroup_id: str
    beer: pb.Product  # 33.33 per bottle, box = 12, one bottle container each, VAT 20
    water: pb.Product  # 10.00, VAT 10
    chips: pb.Product  # 55.55, VAT 22, no container


def world(e: Env) -> World:
    """The module's catalog (the `env` fixture makes it)."""
    assert e.world is not None
    return e.world


async def make_world(e: Env) -> World:
    tag = uuid.uuid4().hex[:8]
    cat = e.orders.catalog
    groups = await cat.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[
                pb.ProductGroup(external_id=f"G-{tag}", name="Напитки"),
            ],
        )
    )
    group_id = groups.results[0].id
    sub = await cat.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[pb.ProductGroup(external_id=f"G-{tag}-beer", name="Пиво", parent_id=group_id)],
        )
    )
    subgroup_id = sub.results[0].id
    units = [
        pb.ProductUnit(code="pcs", name="шт", ratio="1"),
        pb.ProductUnit(code="box", name="Коробка", ratio="12"),
    ]
    products = await cat.UpsertProducts(
        cs.UpsertProductsRequest(
            request_id=new_id(),
            products=[
                pb.Product(
                    external_id=f"BEER-{tag}",
                    sku=f"BEER-{tag}",
                    name="Пиво «Жигулёвское» 0,5",
                    group_id=subgroup_id,
                    vat_rate="20",
                    base_unit="pcs",
                    units=units,
                    pack_unit="box",
                    container_type="bottle-0.5",
                    containers_per_unit="1",
                    active=True,
                ),
                pb.Product(
                    external_id=f"WATER-{tag}",
                    sku=f"WATER-{tag}",
                    name="Вода «Святой источник» 1,5",
                    group_id=group_id,
                    vat_rate="10",
                    base_unit="pcs",
                    units=units,
                    active=True,
                ),
                pb.Product(
                    external_id=f"CHIPS-{tag}",
                    sku=f"CHIPS-{tag}",
                    name="Чипсы",
                    vat_rate="22",
                    base_unit="pcs",
                    active=True,
                ),
            ],
        )
    )
    ids = [r.id for r in products.results]
    got = [(await cat.GetProduct(cs.GetProductRequest(product_id=i))).product for i in ids]
    types = await cat.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[
                pb.PriceType(
                    external_id=f"PT-{tag}", name="Опт", currency_code="RUB", vat_included=True
                )
            ],
        )
    )
    pt_id = types.results[0].id
    lists = await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id=f"PL-{tag}",
                    price_type_id=pt_id,
                    valid_from=pb_date(prices_from()),
                    entries=[
                        pb.PriceListEntry(product_id=ids[0], price=rub("33.33")),
                        pb.PriceListEntry(product_id=ids[1], price=rub("10.00")),
                        pb.PriceListEntry(product_id=ids[2], price=rub("55.55")),
                    ],
                )
            ],
        )
    )
    for r in [*groups.results, *sub.results, *products.results, *types.results, *lists.results]:
        assert r.outcome == cs.UPSERT_OUTCOME_CREATED, r
    return World(pt_id, lists.results[0].id, group_id, subgroup_id, *got)


@dataclass
class Customer:
    client_id: str
    outlet_id: str
    agent: Caller  # its outlet is on this employee's route


# The agent of each customer made in this test process, by client id (`agent_of`).
_AGENTS: dict[str, Caller] = {}


def agent_of(request: Any) -> Caller:
    """The agent of the customer a request (SubmitOrder, CompleteVanSale…) names."""
    return _AGENTS[request.client_id]


async def new_customer(
    e: Env, *, price_type_id: str = "", seller: Caller | None = None
) -> Customer:
    """A client with one outlet known to orders' clients feed, on the route of `seller` (a
    new agent by default), buying at the world's prices."""
    c = Customer(new_id(), new_id(), seller or agent())
    _AGENTS[c.client_id] = c.agent
    route_id = new_id()
    async with e.app.uow() as uow:
        await uow.feed.put_outlet(OutletState(c.outlet_id, c.client_id, "ACTIVE", 1))
        await put_on_route(uow, c.agent.subject, c.outlet_id, route_id)
        await uow.commit()
    async with e.settlements.app.uow() as uow:  # settlements scopes the agent's credit checks
        await uow.feed.put_outlet(s_feed.OutletState(c.outlet_id, c.client_id, 1))
        await uow.feed.put_route_outlet(
            s_feed.RouteOutletState(route_id, c.outlet_id, c.agent.subject, False, 1)
        )
        await uow.commit()
    assert e.world is not None
    await e.orders.catalog.SetClientPriceType(
        cs.SetClientPriceTypeRequest(
            request_id=new_id(),
            client_id=c.client_id,
            price_type_id=price_type_id or e.world.price_type_id,
        )
    )
    return c


async def supervisor_of(e: Env, *team: Caller) -> Caller:
    """A new supervisor of `team`, as the clients feed reports them (each member's
    EmployeeChanged naming it): its scope is their orders, vans and routes."""
    boss = supervisor()
    async with e.app.uow() as uow, e.settlements.app.uow() as s_uow:
        for member in team:
            roles = frozenset(member.roles)
            await uow.feed.put_employee(
                EmployeeState(member.subject, True, roles, boss.subject, "", 1)
            )
            await s_uow.feed.put_employee(
                s_feed.EmployeeState(member.subject, True, roles, boss.subject, "", 1)
            )
        await uow.commit()
        await s_uow.commit()
    return boss


async def a_client_of_type(e: Env, kind: str) -> str:
    """A new client the clients feed told orders of, of `kind` (DISTRIBUTOR, RETAIL, …), as
    its ClientCreated leaves it in `feed_clients`."""
    client_id = new_id()
    async with e.app.uow() as uow:
        await uow.feed.put_client(ClientState(client_id, kind, 1))
        await uow.commit()
    return client_id


async def new_distributor(e: Env) -> str:
    """A new distributor (a client of type DISTRIBUTOR known to orders)."""
    return await a_client_of_type(e, "DISTRIBUTOR")


async def manager_of(e: Env, distributor_id: str) -> Caller:
    """A new distributor manager of `distributor_id`, as the clients feed reports it."""
    manager = Caller(new_id(), {"DISTRIBUTOR_MANAGER"})
    standing = EmployeeState(
        manager.subject, True, frozenset(manager.roles), "", "", 1, distributor_id=distributor_id
    )
    async with e.app.uow() as uow:
        await uow.feed.put_employee(standing)
        await uow.commit()
    return manager


async def put_on_route(uow: Any, agent_id: str, outlet_id: str, route_id: str = "") -> None:
    """The outlet on a (new) route of `agent_id`, as the clients feed would put it in orders."""
    await uow.feed.put_assignment(
        AssignmentState(
            route_id or new_id(), outlet_id, agent_id, 1, 0b1111111, today(), 1, False, 1
        )
    )


async def set_policy(
    e: Env, client_id: str, mode: int, *, stages: tuple[int, ...] = (), overdue_days: int = 30
) -> None:
    await e.settlements.api.SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=spb.DebtPolicy(
                client_id=client_id,
                mode=mode,
                check_credit_limit=False,
                max_overdue_days=overdue_days,
                stages=list(stages or (spb.STAGE_ORDER_SUBMIT, spb.STAGE_VAN_SALE)),
                override_roles=["SUPERVISOR"],
            ),
        )
    )


async def overdue_debt(e: Env, client_id: str, amount: str = "1000.00", days: int = 40) -> None:
    """An ERP invoice `days` past due."""
    await e.settlements.api.RecordInvoice(
        ss.RecordInvoiceRequest(
            request_id=new_id(),
            invoice=spb.Invoice(
                id=new_id(),
                number=f"INV-{uuid.uuid4().hex[:6]}",
                client_id=client_id,
                source=spb.INVOICE_SOURCE_ERP,
                issue_date=pb_date(today() - timedelta(days=days + 14)),
                due_date=pb_date(today() - timedelta(days=days)),
                amount=rub(amount),
            ),
        )
    )


def submit_request(
    c: Customer, lines: list[os_.OrderLineInput], *, order_id: str = "", **kw: Any
) -> os_.SubmitOrderRequest:
    return os_.SubmitOrderRequest(
        request_id=new_id(),
        order_id=order_id or new_id(),
        client_id=c.client_id,
        outlet_id=c.outlet_id,
        lines=lines,
        **kw,
    )


def ln(product: pb.Product, quantity: str, unit: str = "", manual: str = "") -> os_.OrderLineInput:
    return os_.OrderLineInput(
        product_id=product.id, unit=unit, quantity=quantity, manual_discount_percent=manual
    )


async def submit(
    e: Env, c: Customer, request: os_.SubmitOrderRequest, *, as_: Caller | None = None
) -> pb.Order:
    """SubmitOrder as the customer's agent (or `as_`); the order."""
    return (await e.orders.orders_as(as_ or c.agent).SubmitOrder(request)).order


# ----------------------------------------------------------------------------- vans
def seller_of(van: vs.Van, *roles: str) -> Caller:
    """The van's van seller, as its token names it (with more roles if given)."""
    return Caller(van.van_seller_id, {"VAN_SELLER", *roles})


async def new_van(e: Env, distributor_id: str = "") -> vs.Van:
    """A new van of a new van seller (`seller_of(van)`), selling for `distributor_id` ("": the
    company's)."""
    reply = await e.orders.vans.CreateVan(
        vs.CreateVanRequest(
            request_id=new_id(),
            van=vs.Van(
                id=new_id(),
                name="ГАЗель А123ВС",
                van_seller_id=new_id(),
                distributor_id=distributor_id,
            ),
        )
    )
    return reply.van


async def load(
    e: Env, van_id: str, *lines: vs.QuantityLine, load_id: str = ""
) -> vs.LoadVanResponse:
    return await e.orders.vans.LoadVan(
        vs.LoadVanRequest(
            request_id=new_id(), load_id=load_id or new_id(), van_id=van_id, lines=list(lines)
        )
    )


def q(product: pb.Product, quantity: str, unit: str = "") -> vs.QuantityLine:
    return vs.QuantityLine(product_id=product.id, unit=unit, quantity=quantity)


def sale_request(
    van: vs.Van,
    c: Customer,
    lines: list[os_.OrderLineInput],
    *,
    cash: str = "",
    sale_id: str = "",
    receipt: str = "",
) -> vs.CompleteVanSaleRequest:
    request = vs.CompleteVanSaleRequest(
        request_id=new_id(),
        sale_id=sale_id or new_id(),
        van_id=van.id,
        client_id=c.client_id,
        outlet_id=c.outlet_id,
        lines=lines,
        receipt_number=receipt,
    )
    if cash:
        request.cash_collected.CopyFrom(rub(cash))
    return request


# ----------------------------------------------------------------------------- checks
async def announced(
    e: Env, name: str, match: Callable[[Any], bool], *, expect: int = 1
) -> list[Published]:
    """The `name` events (orders.events.v1) on ORDERS whose message `match`es, in stream
    order, once at least `expect` are there (or what is there after 10 s: the test's assertion
    shows it). For events about many records, whose envelope names no single aggregate."""
    full_name = f"{events_pb2.DESCRIPTOR.package}.{name}"

    async def probe() -> list[Published]:
        found = await stream_events(
            e.js, "ORDERS", lambda envelope: envelope.payload.TypeName() == full_name
        )
        return [x for x in found if match(x.message)]

    return await eventually_value(probe, lambda found: len(found) >= expect, within=10)


async def count(e: Env, table: Any, *where: Any) -> int:
    async with e.app.sessions() as s:
        stmt = select(func.count()).select_from(table)
        for cond in where:
            stmt = stmt.where(cond)
        return int((await s.execute(stmt)).scalar_one())
