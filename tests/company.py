"""A small company made over the services' public gRPC APIs, for the system suites
(tests/e2e, tests/faults, tests/replicas): employees, their routes, clients with an outlet,
a priced catalog, loaded vans.

The `*_request` functions build each write, new every time (its own request_id and ids), for a
suite that sends them its own way (the fault suite's ledger retries each until answered);
`Api`'s steps send them once and return what the next step needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

import grpc
from google.type import latlng_pb2, money_pb2

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import clients_service_pb2_grpc as ccs_grpc
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.clients.v1 import territory_service_pb2_grpc as cts_grpc
from fieldline.clients.v1 import visits_service_pb2 as cvs
from fieldline.clients.v1 import visits_service_pb2_grpc as cvs_grpc
from fieldline.orders.v1 import catalog_service_pb2 as cat
from fieldline.orders.v1 import catalog_service_pb2_grpc as cat_grpc
from fieldline.orders.v1 import orders_service_pb2_grpc as ords_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.orders.v1 import van_service_pb2_grpc as van_grpc
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_clients.domain.taxid import inn_with_check_digits
from fieldline_kit.grpc.convert import money, pb_date
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually_value, new_id

T = TypeVar("T")

TODAY = datetime.now(ZoneInfo("Europe/Moscow")).date()  # the services' default time zone
CALL_TIMEOUT = 10.0
# A replica or a connection going away under a call, or a write racing another: the same
# request again.
TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.CANCELLED,
    }
)
# Where every outlet stands, and where visits to it check in and out.
LOCATION = latlng_pb2.LatLng(latitude=55.7, longitude=37.6)


def rub(amount: str | int) -> money_pb2.Money:
    return money(Decimal(amount), "RUB")


def dec(m: money_pb2.Money) -> Decimal:
    return Decimal(m.units) + Decimal(m.nanos) / Decimal(10**9)


def not_through_the_feed_yet(exc: grpc.aio.AioRpcError) -> bool:
    """Orders or settlements answer this while an outlet (NOT_FOUND) or its route
    (PERMISSION_DENIED: outside the caller's scope) has not reached them from clients."""
    details = exc.details() or ""
    return (exc.code() == grpc.StatusCode.NOT_FOUND and "outlet" in details) or (
        exc.code() == grpc.StatusCode.PERMISSION_DENIED and "outside your scope" in details
    )


async def through_the_feed(call: Callable[[], Awaitable[T]]) -> T:
    """`call()` again until the outlet and its route it names have reached orders through the
    clients feed (eventually_value's bound); its answer."""
    seen: list[str] = []

    async def attempt() -> T | None:
        try:
            return await call()
        except grpc.aio.AioRpcError as exc:
            if not not_through_the_feed_yet(exc):
                raise
            seen[:] = [f"{exc.code().name}: {exc.details()}"]
            return None

    answer = await eventually_value(attempt, lambda a: a is not None)
    assert answer is not None, f"the outlet did not reach orders on the route: {seen}"
    return answer


# --- the requests -----------------------------------------------------------------------------


def employee_request(
    role: cpb.Role.ValueType, name: str, supervisor_id: str = ""
) -> cts.CreateEmployeeRequest:
    return cts.CreateEmployeeRequest(
        request_id=new_id(),
        employee=cpb.Employee(
            id=new_id(),
            full_name=name,
            roles=[role],
            active=True,
            supervisor_id=supervisor_id,
        ),
    )


def route_request(agent_id: str) -> cts.CreateRouteRequest:
    """A route `agent_id` works: its outlets are the ones it may sell at."""
    route = cpb.Route(id=new_id(), name=f"Маршрут {agent_id[:8]}", agent_id=agent_id)
    return cts.CreateRouteRequest(request_id=new_id(), route=route)


def assignment_request(
    route_id: str, outlet_id: str, *, start: date = TODAY, sequence: int = 0
) -> cts.SetRouteAssignmentRequest:
    """The outlet on the route, every day from `start`."""
    return cts.SetRouteAssignmentRequest(
        request_id=new_id(),
        assignment=cpb.RouteAssignment(
            route_id=route_id,
            outlet_id=outlet_id,
            frequency=cpb.VISIT_FREQUENCY_WEEKLY,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            start_date=pb_date(start),
            sequence=sequence,
        ),
    )


def client_request(n: int) -> ccs.CreateClientRequest:
    return ccs.CreateClientRequest(
        request_id=new_id(),
        client=cpb.Client(
            id=new_id(),
            name=f"ООО «Продукты {n}»",
            inn=inn_with_check_digits(f"{770000000 + n:09d}"),
            kpp="770101001",
            type=cpb.CLIENT_TYPE_RETAIL,
        ),
    )


def outlet_request(client_id: str, name: str) -> ccs.CreateOutletRequest:
    return ccs.CreateOutletRequest(
        request_id=new_id(),
        outlet=cpb.Outlet(
            id=new_id(), client_id=client_id, card=cpb.OutletCard(name=name, location=LOCATION)
        ),
    )


def questionnaire_request() -> cvs.CreateQuestionnaireRequest:
    """A shelf audit of one required number: the facings."""
    return cvs.CreateQuestionnaireRequest(
        request_id=new_id(),
        questionnaire=cpb.Questionnaire(
            id=new_id(),
            name="Аудит полки",
            questions=[
                cpb.Question(
                    id="facings", text="Фейсинги", type=cpb.QUESTION_TYPE_NUMBER, required=True
                )
            ],
        ),
    )


def product(
    sku: str, name: str, *, pack: tuple[str, str, int] | None = None, container: str = ""
) -> opb.Product:
    """A new product (VAT 20 %) sold by the piece, and by `pack` (its unit code, name and
    pieces) when given; each piece comes in one returnable `container` when given."""
    tag = new_id()[:8]
    units = [opb.ProductUnit(code="pcs", name="шт", ratio="1")]
    if pack is not None:
        code, unit_name, pieces = pack
        units.append(opb.ProductUnit(code=code, name=unit_name, ratio=str(pieces)))
    return opb.Product(
        external_id=f"{sku.lower()}-{tag}",
        sku=f"{sku}-{tag}",
        name=name,
        vat_rate="20",
        base_unit="pcs",
        units=units,
        pack_unit=pack[0] if pack is not None else "",
        container_type=container,
        containers_per_unit="1" if container else "",
        active=True,
    )


def products_request(products: Iterable[opb.Product]) -> cat.UpsertProductsRequest:
    return cat.UpsertProductsRequest(request_id=new_id(), products=list(products))


def price_type_request() -> cat.UpsertPriceTypesRequest:
    """A new retail price type, in roubles, VAT included."""
    return cat.UpsertPriceTypesRequest(
        request_id=new_id(),
        price_types=[
            opb.PriceType(
                external_id=f"retail-{new_id()[:8]}",
                name="Розница",
                currency_code="RUB",
                vat_included=True,
            )
        ],
    )


def price_list_request(
    price_type_id: str,
    prices: Iterable[tuple[str, str | int]],
    valid_from: date = TODAY - timedelta(days=30),
) -> cat.UpsertPriceListsRequest:
    """A new price list of the price type: (product id, price in roubles) each."""
    return cat.UpsertPriceListsRequest(
        request_id=new_id(),
        price_lists=[
            opb.PriceList(
                external_id=f"pl-{new_id()[:8]}",
                price_type_id=price_type_id,
                valid_from=pb_date(valid_from),
                entries=[opb.PriceListEntry(product_id=p, price=rub(a)) for p, a in prices],
            )
        ],
    )


def client_price_type_request(client_id: str, price_type_id: str) -> cat.SetClientPriceTypeRequest:
    return cat.SetClientPriceTypeRequest(
        request_id=new_id(), client_id=client_id, price_type_id=price_type_id
    )


def van_request(seller_id: str, van_id: str = "") -> van.CreateVanRequest:
    """A van (`van_id`, or a new id) driven by the van seller `seller_id`."""
    van_id = van_id or new_id()
    return van.CreateVanRequest(
        request_id=new_id(),
        van=van.Van(id=van_id, name=f"Фургон {van_id[:4]}", van_seller_id=seller_id),
    )


def load_request(
    van_id: str, product_ids: Iterable[str], quantity: int, unit: str = "pcs"
) -> van.LoadVanRequest:
    """`quantity` of each product, in `unit`s, loaded into the van today."""
    return van.LoadVanRequest(
        request_id=new_id(),
        load_id=new_id(),
        van_id=van_id,
        date=pb_date(TODAY),
        lines=[
            van.QuantityLine(product_id=p, unit=unit, quantity=str(quantity)) for p in product_ids
        ],
    )


# --- the steps --------------------------------------------------------------------------------


class Api:
    """The three services' stubs over `channels` (service name → channel: to one replica, or
    round robin over several), and the steps of a set-up, each call bounded by `timeout`."""

    def __init__(
        self, channels: Mapping[str, grpc.aio.Channel], timeout: float | None = CALL_TIMEOUT
    ) -> None:
        self.clients = ccs_grpc.ClientsServiceStub(channels["clients"])
        self.territory = cts_grpc.TerritoryServiceStub(channels["clients"])
        self.visits = cvs_grpc.VisitsServiceStub(channels["clients"])
        self.catalog = cat_grpc.CatalogServiceStub(channels["orders"])
        self.orders = ords_grpc.OrdersServiceStub(channels["orders"])
        self.vans = van_grpc.VanServiceStub(channels["orders"])
        self.settlements = ss_grpc.SettlementsServiceStub(channels["settlements"])
        self.timeout = timeout

    async def employee(
        self, role: cpb.Role.ValueType, name: str, supervisor: Caller | None = None
    ) -> Caller:
        """A new employee holding `role` (in `supervisor`'s team), as it calls: a token with
        that role."""
        request = employee_request(role, name, supervisor.subject if supervisor else "")
        await self.territory.CreateEmployee(request, timeout=self.timeout)
        return Caller(request.employee.id, {cpb.Role.Name(role).removeprefix("ROLE_")})

    async def route_of(self, agent: Caller) -> str:
        """A new route `agent` works: its id."""
        request = route_request(agent.subject)
        await self.territory.CreateRoute(request, timeout=self.timeout)
        return request.route.id

    async def assign(self, route_id: str, outlet_id: str) -> None:
        """The outlet on the route, every day from today."""
        await self.territory.SetRouteAssignment(
            assignment_request(route_id, outlet_id), timeout=self.timeout
        )

    async def client_with_outlet(self, n: int) -> tuple[str, cpb.Outlet]:
        """A new client (number `n`) with one outlet: its id and the outlet."""
        client = await self.clients.CreateClient(client_request(n), timeout=self.timeout)
        outlet = await self.clients.CreateOutlet(
            outlet_request(client.client.id, f"Магазин {n}"), timeout=self.timeout
        )
        return client.client.id, outlet.outlet

    async def priced_catalog(self, *priced: tuple[opb.Product, str | int]) -> tuple[list[str], str]:
        """The products, at their prices (roubles, VAT included) on a new retail price type
        from 30 days ago: the products' ids and the price type's."""
        products = await self.catalog.UpsertProducts(
            products_request(p for p, _ in priced), timeout=self.timeout
        )
        product_ids = [r.id for r in products.results]
        types = await self.catalog.UpsertPriceTypes(price_type_request(), timeout=self.timeout)
        price_type_id = types.results[0].id
        prices = zip(product_ids, (price for _, price in priced), strict=True)
        await self.catalog.UpsertPriceLists(
            price_list_request(price_type_id, prices), timeout=self.timeout
        )
        return product_ids, price_type_id

    async def known_to_orders(self, client_id: str, price_type_id: str) -> None:
        """The client buys at the price type's prices."""
        await self.catalog.SetClientPriceType(
            client_price_type_request(client_id, price_type_id), timeout=self.timeout
        )

    async def loaded_van(
        self, seller: Caller, product_id: str, quantity: int, unit: str = "pcs"
    ) -> str:
        """A new van of `seller`'s, loaded today with `quantity` of the product: its id."""
        request = van_request(seller.subject)
        await self.vans.CreateVan(request, timeout=self.timeout)
        await self.vans.LoadVan(
            load_request(request.van.id, [product_id], quantity, unit), timeout=self.timeout
        )
        return request.van.id
