"""The three services in-process, as `serve` runs them, with a little data to reach deep paths.

Settlements, orders (its credit checks going to that settlements) and clients are started with
the kit's `service_running` on their own databases (SQLite, or PostgreSQL with
FIELDLINE_TEST_POSTGRES_URL) and one NATS, their consumers running: the clients feed reaches
orders and orders' sales reach settlements as in production. The seed is made through their
public APIs; `Known` tells the request strategies its ids and good values.

Every call carries a token. The walker calls each RPC as one of the principals its access
policy admits (`System.admitted`): the seeded administrator, a service acting for the agent
(`act`), the supervisor, the agent (every field role) — each an employee of clients where one
is one, so that a call is judged on its input (and its scope), never refused at the door. The
seed calls as the harness's administrator, and as the agent for the agent's own work.

`System.digest()` is what "nothing was written" is judged by: a digest of every row of every
table of each service's database (the outbox without its publication columns, which the relay
fills in later), taken once the system is quiet (`settle`: every outbox published, every
durable consumer caught up), so that the only thing that can change it is the call under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest_asyncio
from google.protobuf.descriptor import ServiceDescriptor
from google.type import latlng_pb2
from nats.js import JetStreamContext
from sqlalchemy import inspect, text

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import clients_service_pb2_grpc as ccs_grpc
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.clients.v1 import territory_service_pb2_grpc as cts_grpc
from fieldline.clients.v1 import visits_service_pb2 as cvs
from fieldline.clients.v1 import visits_service_pb2_grpc as cvs_grpc
from fieldline.orders.v1 import catalog_service_pb2 as ocs
from fieldline.orders.v1 import catalog_service_pb2_grpc as ocs_grpc
from fieldline.orders.v1 import orders_service_pb2 as oos
from fieldline.orders.v1 import orders_service_pb2_grpc as oos_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as ovs
from fieldline.orders.v1 import van_service_pb2_grpc as ovs_grpc
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as sss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as sss_grpc
from fieldline_clients.domain.taxid import inn_with_check_digits
from fieldline_clients.entrypoints.main import SPEC as CLIENTS
from fieldline_kit.auth import Kind
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.auth.policy import rule_for
from fieldline_kit.grpc.convert import money, pb_date
from fieldline_kit.service import ServiceSpec
from fieldline_kit.testing.auth import Caller, TestTokens
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService, service_running
from fieldline_orders.entrypoints.main import SPEC as ORDERS
from fieldline_orders.topology import CLIENTS_FEED
from fieldline_settlements.entrypoints.main import SPEC as SETTLEMENTS
from fieldline_settlements.topology import CLIENTS_FEED as SETTLEMENTS_CLIENTS_FEED
from fieldline_settlements.topology import ORDERS_FEED

from .messages import Known

TZ = ZoneInfo("Europe/Moscow")
CONSUMERS = (CLIENTS_FEED, ORDERS_FEED, SETTLEMENTS_CLIENTS_FEED)
# Columns the outbox relay fills in after the commit: not a write of the call.
RELAY_COLUMNS = {"published_at", "attempts", "last_error"}
# Tables only background jobs write, on their own clock: orders' lease of its credit re-check,
# renewed every period whatever the calls do.
BACKGROUND_TABLES = {"job_leases"}
# Each service's gRPC services (the walker calls every method of each) and its stream.
SERVICES: dict[str, tuple[ServiceDescriptor, ...]] = {
    "clients": (
        ccs.DESCRIPTOR.services_by_name["ClientsService"],
        cts.DESCRIPTOR.services_by_name["TerritoryService"],
        cvs.DESCRIPTOR.services_by_name["VisitsService"],
    ),
    "orders": (
        ocs.DESCRIPTOR.services_by_name["CatalogService"],
        oos.DESCRIPTOR.services_by_name["OrdersService"],
        ovs.DESCRIPTOR.services_by_name["VanService"],
    ),
    "settlements": (sss.DESCRIPTOR.services_by_name["SettlementsService"],),
}
STREAMS = {"clients": "CLIENTS", "orders": "ORDERS", "settlements": "SETTLEMENTS"}
SPECS: dict[str, ServiceSpec[Any, Any]] = {
    "clients": CLIENTS,
    "orders": ORDERS,
    "settlements": SETTLEMENTS,
}


@dataclass
class Service:
    """One running service: its database (`tables`) and its stream."""

    name: str
    running: RunningService[Any]
    stream: str
    tables: list[str] = field(default_factory=list)

    async def digest(self) -> dict[str, str]:
        """A digest of every row, per table (see the module's docstring)."""
        out = {}
        async with self.running.app.read_sessions() as session:
            for table in self.tables:
                result = await session.execute(text(f'SELECT * FROM "{table}"'))
                columns = list(result.keys())
                keep = [
                    i for i, c in enumerate(columns) if table != "outbox" or c not in RELAY_COLUMNS
                ]
                rows = sorted(repr(tuple(row[i] for i in keep)) for row in result.all())
                h = hashlib.sha256()
                for row in rows:
                    h.update(row.encode())
                out[table] = f"{len(rows)}:{h.hexdigest()}"
        return out

    async def unpublished(self) -> int:
        async with self.running.app.read_sessions() as session:
            result = await session.execute(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )
            return int(result.scalar_one())


@dataclass(frozen=True)
class Principal:
    """Whom the walker calls as: `caller`'s token, acting for the employee `act` if named."""

    name: str
    caller: Caller
    act: str = ""

    def token_source(self, tokens: TestTokens) -> Callable[[], str]:
        c = self.caller
        if not self.act:
            return tokens.source(c)
        return lambda: tokens.mint(c.subject, c.kind, c.roles, act=self.act)


@dataclass
class System:
    services: dict[str, Service]
    js: JetStreamContext
    known: Known
    # The seeded principals, the most privileged first (filled in by the seed).
    principals: list[Principal] = field(default_factory=list)
    _channels: dict[tuple[str, Principal], grpc.aio.Channel] = field(default_factory=dict)

    def admitted(self, service: str, method: str) -> list[Principal]:
        """The principals the access rule of `method` (a full path) admits, most privileged
        first."""
        rule = rule_for(SPECS[service].policy or {}, method)
        assert rule is not None, f"{method} has no access rule"
        return [p for p in self.principals if not rule.roles.isdisjoint(p.caller.roles)]

    def channel(self, service: str, principal: Principal) -> grpc.aio.Channel:
        """A channel to `service` whose calls carry `principal`'s token."""
        key = (service, principal)
        if key not in self._channels:
            running = self.services[service].running
            self._channels[key] = grpc.aio.insecure_channel(
                running.target,
                interceptors=[BearerToken(principal.token_source(running.tokens))],
            )
        return self._channels[key]

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()

    async def settle(self, within: float = 30.0) -> None:
        """Wait until every outbox is published and every durable consumer caught up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        quiet_in_a_row = 0
        while True:
            busy = await self._busy()
            quiet_in_a_row = 0 if busy else quiet_in_a_row + 1
            if quiet_in_a_row >= 2:
                return
            if loop.time() > deadline:
                raise AssertionError(f"the system did not settle within {within} s: {busy}")
            await asyncio.sleep(0.02)

    async def _busy(self) -> str:
        for s in self.services.values():
            if n := await s.unpublished():
                return f"{s.name}: {n} outbox rows not published"
        for c in CONSUMERS:
            info = await self.js.consumer_info(c.stream, c.durable)
            if info.num_pending or info.num_ack_pending:
                return (
                    f"consumer {c.durable}: {info.num_pending} pending, "
                    f"{info.num_ack_pending} unacknowledged"
                )
        return ""

    async def digests(self) -> dict[str, dict[str, str]]:
        """Per service, a digest of each of its tables."""
        return {name: await s.digest() for name, s in self.services.items()}

    async def stream_heads(self) -> dict[str, int]:
        return {
            name: (await self.js.stream_info(s.stream)).state.last_seq
            for name, s in self.services.items()
        }


async def _tables(running: RunningService[Any]) -> list[str]:
    async with running.app.engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    return sorted(n for n in names if "alembic" not in n and n not in BACKGROUND_TABLES)


@pytest_asyncio.fixture(scope="module")
async def system(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[System]:
    async with contextlib.AsyncExitStack() as stack:
        settlements = await stack.enter_async_context(
            service_running(SETTLEMENTS, db_factory, nats_server.url)
        )
        orders = await stack.enter_async_context(
            service_running(
                ORDERS,
                db_factory,
                nats_server.url,
                settlements_target=settlements.target,
                credit_check_timeout_seconds=10.0,
            )
        )
        clients = await stack.enter_async_context(
            service_running(
                CLIENTS,
                db_factory,
                nats_server.url,
                ready=lambda app: app.plan_cache.live or not app.plan_cache.enabled,
            )
        )
        running = {"clients": clients, "orders": orders, "settlements": settlements}
        services = {name: Service(name, r, STREAMS[name]) for name, r in running.items()}
        for s in services.values():
            s.tables = await _tables(s.running)
        system = System(services, clients.js, Known())
        stack.push_async_callback(system.close)
        await seed(system)
        await system.settle()
        yield system


# ---------------------------------------------------------------------------------- seed
async def seed(system: System) -> None:
    """A little of everything, through the public APIs; its ids and values go to `known`."""
    k = system.known
    today = datetime.now(TZ).date()
    k.values["date"] = [
        today,
        today - timedelta(days=1),
        today + timedelta(days=1),
        date(2024, 1, 1),
    ]
    clients = system.services["clients"].running
    c = clients.stub
    cl = c(ccs_grpc.ClientsServiceStub)
    te = c(cts_grpc.TerritoryServiceStub)
    vi = c(cvs_grpc.VisitsServiceStub)

    territory = (
        await te.CreateTerritory(
            cts.CreateTerritoryRequest(
                request_id=new_id(), territory=cpb.Territory(id=new_id(), name="Москва")
            )
        )
    ).territory
    for name in ("territory_id", "parent_id", "territory.id"):
        k.add_id(name, territory.id)

    async def employee(*roles: int, supervisor_id: str = "") -> cpb.Employee:
        reply = await te.CreateEmployee(
            cts.CreateEmployeeRequest(
                request_id=new_id(),
                employee=cpb.Employee(
                    id=new_id(),
                    full_name="Иванов Иван",
                    roles=list(roles),
                    territory_id=territory.id,
                    supervisor_id=supervisor_id,
                ),
            )
        )
        return reply.employee

    admin = await employee(cpb.ROLE_ADMIN)
    supervisor = await employee(cpb.ROLE_SUPERVISOR)
    # The supervisor's team: it decides the agent's census proposals.
    agent = await employee(
        cpb.ROLE_AGENT, cpb.ROLE_VAN_SELLER, cpb.ROLE_MERCHANDISER, supervisor_id=supervisor.id
    )
    for e in (agent, supervisor):
        for name in (
            "agent_id",
            "for_agent_id",
            "employee_id",
            "van_seller_id",
            "supervisor_id",
            "collected_by",
            "employee.id",
        ):
            k.add_id(name, e.id)
    k.add_id("employee_id", admin.id)

    def role_names(e: cpb.Employee) -> set[str]:
        return {cpb.Role.Name(r).removeprefix("ROLE_") for r in e.roles}

    as_agent = Caller(agent.id, role_names(agent))
    system.principals = [
        Principal("admin", Caller(admin.id, role_names(admin))),
        Principal("service", Caller("svc:fuzz", {"SERVICE"}, Kind.SERVICE), act=agent.id),
        Principal("supervisor", Caller(supervisor.id, role_names(supervisor))),
        Principal("agent", as_agent),
    ]

    inn = inn_with_check_digits("7701234567"[:9])
    client = (
        await cl.CreateClient(
            ccs.CreateClientRequest(
                request_id=new_id(),
                client=cpb.Client(
                    id=new_id(),
                    name="ООО «Ромашка»",
                    inn=inn,
                    kpp="770101001",
                    type=cpb.CLIENT_TYPE_RETAIL,
                    legal_address="Москва, ул. Тверская, д. 1",
                ),
            )
        )
    ).client
    distributor = (
        await cl.CreateClient(
            ccs.CreateClientRequest(
                request_id=new_id(),
                client=cpb.Client(
                    id=new_id(),
                    name="ООО «Дистрибьютор»",
                    inn=inn_with_check_digits("7709876543"[:9]),
                    kpp="770901001",
                    type=cpb.CLIENT_TYPE_DISTRIBUTOR,
                ),
            )
        )
    ).client
    for name in ("client_id", "client.id"):
        k.add_id(name, client.id)
    k.add_id("client_id", distributor.id)
    k.add_id("distributor_id", distributor.id)
    k.values["inn"] = [client.inn, distributor.inn]
    k.values["kpp"] = ["770101001"]

    card = cpb.OutletCard(
        name="Магазин «Ромашка»",
        address="Москва, ул. Тверская, д. 1",
        location=latlng_pb2.LatLng(latitude=55.75, longitude=37.62),
        channel="traditional trade",
        contacts=[cpb.Contact(name="Анна", phone="+7 900 000-00-00")],
        working_hours=[cpb.WorkingHours(weekday=1, opens="09:00", closes="21:00")],
        custom_attributes={"fridge": "yes"},
    )
    # The agent's own work (its visit, proposal, order, sale) goes with the agent's token: who
    # acts is the token's.
    outlet = (
        await cl.CreateOutlet(
            ccs.CreateOutletRequest(
                request_id=new_id(),
                outlet=cpb.Outlet(
                    id=new_id(), client_id=client.id, card=card, territory_id=territory.id
                ),
            )
        )
    ).outlet
    for name in ("outlet_id", "outlet.id"):
        k.add_id(name, outlet.id)
    k.values["name_query"] = ["Магазин", "ром", "%", "_"]
    k.values["name"] = ["Магазин «Ромашка»", "Пиво"]
    k.values["opens"] = ["09:00", "24:00"]
    k.values["closes"] = ["21:00", "00:00"]

    route = (
        await te.CreateRoute(
            cts.CreateRouteRequest(
                request_id=new_id(),
                route=cpb.Route(id=new_id(), name="Маршрут 1", agent_id=agent.id),
            )
        )
    ).route
    for name in ("route_id", "route.id"):
        k.add_id(name, route.id)
    await te.SetRouteAssignment(
        cts.SetRouteAssignmentRequest(
            request_id=new_id(),
            assignment=cpb.RouteAssignment(
                route_id=route.id,
                outlet_id=outlet.id,
                frequency=cpb.VISIT_FREQUENCY_WEEKLY,
                weekdays=[1, 2, 3, 4, 5, 6, 7],
                start_date=pb_date(date(2024, 1, 1)),
            ),
        )
    )

    questionnaire = (
        await vi.CreateQuestionnaire(
            cvs.CreateQuestionnaireRequest(
                request_id=new_id(),
                questionnaire=cpb.Questionnaire(
                    id=new_id(),
                    name="Аудит полки",
                    questions=[
                        cpb.Question(
                            id="facings", text="Сколько фейсингов?", type=cpb.QUESTION_TYPE_NUMBER
                        ),
                        cpb.Question(id="price", text="Цена?", type=cpb.QUESTION_TYPE_MONEY),
                        cpb.Question(id="clean", text="Чисто?", type=cpb.QUESTION_TYPE_YES_NO),
                        cpb.Question(
                            id="place",
                            text="Где?",
                            type=cpb.QUESTION_TYPE_CHOICE,
                            options=["вход", "касса"],
                        ),
                        cpb.Question(id="photo", text="Фото", type=cpb.QUESTION_TYPE_PHOTO),
                    ],
                    must_stock_skus=["SKU-1"],
                ),
            )
        )
    ).questionnaire
    for name in ("questionnaire_id", "questionnaire.id"):
        k.add_id(name, questionnaire.id)
    k.ids["question_id"] = ["facings", "price", "clean", "place", "photo"]
    k.values["sku"] = ["SKU-1"]
    k.values["must_stock_skus"] = ["SKU-1"]
    k.values["choice"] = ["вход", "касса"]

    now = datetime.now(TZ)
    visit_id = new_id()
    time = cvs.CheckInRequest().time
    time.FromDatetime(now)
    await clients.stub(cvs_grpc.VisitsServiceStub, as_=as_agent).CheckIn(
        cvs.CheckInRequest(
            request_id=new_id(),
            visit_id=visit_id,
            outlet_id=outlet.id,
            time=time,
            location=latlng_pb2.LatLng(latitude=55.75, longitude=37.62),
        )
    )
    k.add_id("visit_id", visit_id)
    proposal = (
        await clients.stub(ccs_grpc.ClientsServiceStub, as_=as_agent).ProposeCardChange(
            ccs.ProposeCardChangeRequest(
                request_id=new_id(),
                proposal_id=new_id(),
                outlet_id=outlet.id,
                card=cpb.OutletCard(name="Магазин «Ромашка-2»"),
                update_mask={"paths": ["name"]},
            )
        )
    ).proposal
    k.add_id("proposal_id", proposal.id)

    # -- orders: the outlet arrives through the clients feed
    await system.settle()
    o = system.services["orders"].running.stub
    cat = o(ocs_grpc.CatalogServiceStub)
    group = (
        await cat.UpsertProductGroups(
            ocs.UpsertProductGroupsRequest(
                request_id=new_id(), groups=[opb.ProductGroup(external_id="G-1", name="Напитки")]
            )
        )
    ).results[0]
    for name in ("group_id", "parent_id", "productgroup.id"):
        k.add_id(name, group.id)
    units = [
        opb.ProductUnit(code="pcs", name="шт", ratio="1"),
        opb.ProductUnit(code="box", name="Коробка", ratio="12"),
    ]
    products = (
        await cat.UpsertProducts(
            ocs.UpsertProductsRequest(
                request_id=new_id(),
                products=[
                    opb.Product(
                        external_id="BEER-1",
                        sku="SKU-1",
                        name="Пиво",
                        group_id=group.id,
                        vat_rate="20",
                        base_unit="pcs",
                        units=units,
                        pack_unit="box",
                        container_type="bottle-0.5",
                        containers_per_unit="1",
                        active=True,
                    ),
                    opb.Product(
                        external_id="WATER-1",
                        sku="SKU-2",
                        name="Вода",
                        vat_rate="10",
                        base_unit="pcs",
                        active=True,
                    ),
                ],
            )
        )
    ).results
    for p in products:
        for name in ("product_id", "product_ids", "product.id"):
            k.add_id(name, p.id)
    k.values["unit"] = ["pcs", "box", ""]
    k.values["base_unit"] = ["pcs"]
    k.values["code"] = ["pcs", "box"]
    k.values["pack_unit"] = ["box", ""]
    k.values["external_id"] = ["G-1", "BEER-1", "WATER-1", "PT-1", "PL-1", "D-1"]
    k.values["container_type"] = ["bottle-0.5", ""]
    k.values["currency_code"] = ["RUB"]
    price_type = (
        await cat.UpsertPriceTypes(
            ocs.UpsertPriceTypesRequest(
                request_id=new_id(),
                price_types=[
                    opb.PriceType(
                        external_id="PT-1", name="Опт", currency_code="RUB", vat_included=True
                    )
                ],
            )
        )
    ).results[0]
    for name in ("price_type_id", "pricetype.id"):
        k.add_id(name, price_type.id)
    price_list = (
        await cat.UpsertPriceLists(
            ocs.UpsertPriceListsRequest(
                request_id=new_id(),
                price_lists=[
                    opb.PriceList(
                        external_id="PL-1",
                        price_type_id=price_type.id,
                        valid_from=pb_date(date(2024, 1, 1)),
                        entries=[
                            opb.PriceListEntry(
                                product_id=p.id, price=money(Decimal("33.33"), "RUB")
                            )
                            for p in products
                        ],
                    )
                ],
            )
        )
    ).results[0]
    k.add_id("pricelist.id", price_list.id)
    for client_id in (client.id, distributor.id):
        await cat.SetClientPriceType(
            ocs.SetClientPriceTypeRequest(
                request_id=new_id(), client_id=client_id, price_type_id=price_type.id
            )
        )
    await cat.UpsertDiscounts(
        ocs.UpsertDiscountsRequest(
            request_id=new_id(),
            discounts=[
                opb.Discount(
                    external_id="D-1",
                    scope=opb.DISCOUNT_SCOPE_PRODUCT,
                    product_id=products[0].id,
                    percent="2",
                    volume_breaks=[opb.VolumeBreak(min_quantity="24", percent="5")],
                    valid_from=pb_date(date(2024, 1, 1)),
                )
            ],
        )
    )
    warehouse = new_id()
    k.add_id("warehouse_id", warehouse)
    await cat.UpsertStock(
        ocs.UpsertStockRequest(
            request_id=new_id(),
            levels=[
                opb.StockLevel(warehouse_id=warehouse, product_id=p.id, quantity="1000")
                for p in products
            ],
        )
    )
    vans = o(ovs_grpc.VanServiceStub)
    van = (
        await vans.CreateVan(
            ovs.CreateVanRequest(
                request_id=new_id(),
                van=ovs.Van(
                    id=new_id(), name="Газель", van_seller_id=agent.id, currency_code="RUB"
                ),
            )
        )
    ).van
    for name in ("van_id", "van.id", "warehouse_id"):
        k.add_id(name, van.id)
    await vans.LoadVan(
        ovs.LoadVanRequest(
            request_id=new_id(),
            load_id=new_id(),
            van_id=van.id,
            lines=[ovs.QuantityLine(product_id=p.id, quantity="500") for p in products],
        )
    )
    roles = ["AGENT", "ROLE_AGENT", "VAN_SELLER", "SUPERVISOR", "agent"]
    k.values["roles"] = roles
    k.values["override_roles"] = ["SUPERVISOR"]
    # A credit check's user: the supervisor's (an override role) or the agent's token, for
    # the length of a long run; the walker adds malformed ones.
    tokens = system.services["settlements"].running.tokens
    k.values["actor_token"] = [
        tokens.mint(e.id, Kind.EMPLOYEE, role_names(e), lifetime=timedelta(hours=12))
        for e in (supervisor, agent)
    ]
    orders_api = o(oos_grpc.OrdersServiceStub, as_=as_agent)
    order = (
        await orders_api.SubmitOrder(
            oos.SubmitOrderRequest(
                request_id=new_id(),
                order_id=new_id(),
                client_id=client.id,
                outlet_id=outlet.id,
                lines=[oos.OrderLineInput(product_id=products[0].id, quantity="2", unit="box")],
            )
        )
    ).order
    sale = (
        await o(ovs_grpc.VanServiceStub, as_=as_agent).CompleteVanSale(
            ovs.CompleteVanSaleRequest(
                request_id=new_id(),
                sale_id=new_id(),
                van_id=van.id,
                client_id=client.id,
                outlet_id=outlet.id,
                lines=[oos.OrderLineInput(product_id=products[1].id, quantity="3")],
                cash_collected=money(Decimal("10.00"), "RUB"),
                receipt_number="R-1",
            )
        )
    ).order
    for name in ("order_id", "sale_id"):
        k.add_id(name, order.id)
    k.add_id("order_id", sale.id)
    k.values["reason"] = ["по просьбе клиента", ""]

    # -- settlements
    s = system.services["settlements"].running.stub(sss_grpc.SettlementsServiceStub)
    invoice = (
        await s.RecordInvoice(
            sss.RecordInvoiceRequest(
                request_id=new_id(),
                invoice=spb.Invoice(
                    id=new_id(),
                    number="INV-1",
                    client_id=client.id,
                    outlet_id=outlet.id,
                    source=spb.INVOICE_SOURCE_ERP,
                    issue_date=pb_date(today - timedelta(days=10)),
                    due_date=pb_date(today + timedelta(days=10)),
                    amount=money(Decimal("1000.00"), "RUB"),
                ),
            )
        )
    ).invoice
    for name in ("invoice_id", "invoice.id"):
        k.add_id(name, invoice.id)
    await s.SetCreditLimit(
        sss.SetCreditLimitRequest(
            request_id=new_id(), client_id=client.id, limit=money(Decimal("100000"), "RUB")
        )
    )
    await s.SetContainerDeposit(
        sss.SetContainerDepositRequest(
            request_id=new_id(), container_type="bottle-0.5", deposit=money(Decimal("5"), "RUB")
        )
    )
