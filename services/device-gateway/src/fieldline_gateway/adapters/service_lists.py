"""Everything the three services hold for devices, listed page by page as the gateway itself
(its SERVICE identity), as sync items and scope-graph facts — what the sync store's bulk build
writes (docs/contexts/device-gateway.md, *Where the data comes from*, 3. Bulk build).

Each listed record becomes exactly what its event would make: the same projections
(`projections_*`) and the same graph upkeep as the consumers (entrypoints/clients_consumer.py,
entrypoints/sales_consumers.py), versioned by the record's own version — which is the
`aggregate_version` its events carry, so a listed record and an event of it compare.

The calls are made here, never inside a transaction: the bulk build (service_layer/bulk_build.py)
pulls a chunk of records from a step, then writes it in one transaction of its own.

What the services do not list (so the build cannot either): outlets' own balances (ListBalances
gives each client's, not its outlets': those come with `DebtChanged`); route assignments
company-wide (ListRouteAssignments wants a route: one call per route).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

import grpc
from google.protobuf.message import Message

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vis
from fieldline.orders.v1 import catalog_service_pb2 as cat
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import promotions_service_pb2 as proms
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_gateway.adapters import projections_clients as pc
from fieldline_gateway.adapters import projections_orders as po
from fieldline_gateway.adapters import projections_settlements as ps
from fieldline_gateway.adapters import promotions_store
from fieldline_gateway.adapters.graph_store import GraphStore
from fieldline_gateway.adapters.orm import employees
from fieldline_gateway.adapters.peers import Peers
from fieldline_gateway.adapters.projections import (
    PROMOTIONS,
    Derived,
    Item,
    ProjectionError,
    Removal,
    enum_name,
)
from fieldline_kit.auth.directory import Standing
from fieldline_kit.auth.directory_table import put_standing
from fieldline_kit.grpc.convert import pb_date, role_names
from fieldline_kit.logging import get_logger

log = get_logger("fieldline.gateway.bulk_build")

PAGE_SIZE = 500  # records per List call (the services take up to 1,000)
ENTRIES_PAGE_SIZE = 1000  # prices per ListPriceListEntries call
ROUTES_AT_ONCE = 8  # ListRouteAssignments calls in flight (one per route)
# gRPC codes worth the same call again (a replica going away, a deadline under load).
TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)
ATTEMPTS = 4
# Orders still in motion stay on devices whatever their age (only final ones leave by window).
OPEN_ORDER_STATUSES = (
    opb.ORDER_STATUS_CREDIT_HOLD,
    opb.ORDER_STATUS_SUBMITTED,
    opb.ORDER_STATUS_CONFIRMED,
    opb.ORDER_STATUS_SHIPPED,
)


class ListingFailed(Exception):
    """A service refused a List call, or stayed out of reach through every attempt."""


# ------------------------------------------------------------------------------ graph facts


class Fact(Protocol):
    async def write(self, graph: GraphStore) -> None:
        """Record the fact in the scope graph (the newest version wins)."""


@dataclass(frozen=True)
class EmployeeFact:
    """An employee's directory row (`orm.employees`), as `EmployeeChanged` writes it."""

    employee_id: str
    standing: Standing
    version: int

    @property
    def van_seller(self) -> bool:
        return "VAN_SELLER" in self.standing.roles

    @property
    def roles(self) -> frozenset[str]:
        return self.standing.roles

    async def write(self, graph: GraphStore) -> None:
        await put_standing(graph.session, employees, self.employee_id, self.standing, self.version)


@dataclass(frozen=True)
class RouteFact:
    route_id: str
    agent_id: str
    version: int

    async def write(self, graph: GraphStore) -> None:
        await graph.put_route(self.route_id, self.agent_id, self.version)


@dataclass(frozen=True)
class AssignmentFact:
    """A live assignment (the services list no removed ones), versioned by its route."""

    route_id: str
    outlet_id: str
    version: int

    async def write(self, graph: GraphStore) -> None:
        await graph.put_assignment(self.route_id, self.outlet_id, False, self.version)


@dataclass(frozen=True)
class OutletFact:
    outlet_id: str
    client_id: str
    status: str
    version: int

    async def write(self, graph: GraphStore) -> None:
        await graph.put_outlet(self.outlet_id, self.client_id, self.status, self.version)


@dataclass(frozen=True)
class ProposerFact:
    """Who proposed an outlet (a census proposal names them), as `CensusDecided` marks it."""

    outlet_id: str
    proposed_by: str

    async def write(self, graph: GraphStore) -> None:
        await graph.mark_proposed(self.outlet_id, self.proposed_by)


@dataclass(frozen=True)
class ClientPriceTypeFact:
    client_id: str
    price_type_id: str
    version: int

    async def write(self, graph: GraphStore) -> None:
        await graph.put_client_price_type(self.client_id, self.price_type_id, self.version)


@dataclass(frozen=True)
class TerritoryFact:
    """A territory in the gateway's tree, as `TerritoryChanged` writes it (version 1: a
    territory never changes)."""

    territory_id: str
    parent_id: str
    version: int = 1

    async def write(self, graph: GraphStore) -> None:
        await promotions_store.put_territory(
            graph.session, self.territory_id, self.parent_id, self.version
        )


@dataclass
class Listed:
    """What one listed record (or a few of one call) means for the store: its items, its
    graph facts, the van sellers it names (whose vans the refetch reads), and the items it
    makes from what the store holds (a promotion's: `(section, step)`, run in the chunk's
    transaction after its facts)."""

    items: list[Item | Removal] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    van_sellers: set[str] = field(default_factory=set)
    derived: list[tuple[str, Derived]] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One listing: `name` (for progress), `records()` its records as they are read."""

    name: str
    records: Callable[[], AsyncIterator[Listed]]


def employee_standing(employee: cpb.Employee) -> Standing:
    return Standing(
        active=employee.active,
        roles=role_names(employee.roles, cpb.Role),
        supervisor_id=employee.supervisor_id,
        territory_id=employee.territory_id,
        distributor_id=employee.distributor_id,
    )


def _projected(
    what: str, record_id: str, make: Callable[..., Listed], *record: Any
) -> Listed | None:
    """`make(*record)`, or None (logged) for a record no item can be made of — the consumers
    skip the same record's event as poison."""
    try:
        return make(*record)
    except ProjectionError as exc:
        log.warning("bulk build skips a record", record=what, id=record_id, error=str(exc))
        return None


# ------------------------------------------------------------------------------ the lists


class ServiceLists:
    """The List RPCs of clients, orders and settlements, paged, as the gateway itself."""

    def __init__(self, peers: Peers, page_size: int = PAGE_SIZE) -> None:
        self._peers = peers
        self._page = page_size

    def steps(self, today: date, *, visit_days: int, order_days: int) -> list[Step]:
        """Every listing, in the order the build writes them: the graph's own records first
        (employees, routes and assignments, outlets, clients' price types come before the
        memberships are recomputed anyway), settlements' partly versioned figures last."""
        return [
            Step("employees", self.employees),
            Step("routes", self.routes),
            Step("outlets", self.outlets),
            Step("clients", self.clients),
            Step("proposals", self.proposals),
            Step("questionnaires", self.questionnaires),
            Step("visits", lambda: self.visits(today - timedelta(days=visit_days))),
            Step("calls", lambda: self.calls(today - timedelta(days=visit_days))),
            Step("productGroups", self.product_groups),
            Step("products", self.products),
            Step("priceTypes", self.price_types),
            Step("priceLists", self.price_lists),
            Step("clientPriceTypes", self.client_price_types),
            Step("clientPrices", self.client_prices),
            Step("discounts", self.discounts),
            Step("territories", self.territories),
            Step("promotions", lambda: self.promotions(today)),
            Step("orders", lambda: self.orders(today - timedelta(days=order_days))),
            Step("vans", self.vans),
            Step("contactSales", lambda: self.contact_sales(today - timedelta(days=visit_days))),
            Step("invoices", self.invoices),
            Step("balances", lambda: self.balances(today)),
            Step("tareBalances", self.tare_balances),
            Step("creditStandings", self.credit_standings),
        ]

    # -- calls ---------------------------------------------------------------------------
    async def _call(self, method: Callable[..., Awaitable[Any]], request: Message) -> Any:
        """One call as the gateway, again after a transient failure (backing off)."""
        name = type(request).__name__.removesuffix("Request")
        for attempt in range(ATTEMPTS):
            try:
                return await method(
                    request, metadata=self._peers.as_service(), timeout=self._peers.timeout
                )
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
                if code not in TRANSIENT or attempt == ATTEMPTS - 1:
                    raise ListingFailed(f"{name}: {code.name}: {exc.details()}") from None
                await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pages(
        self, method: Callable[..., Awaitable[Any]], request: Callable[[str], Message]
    ) -> AsyncIterator[Any]:
        """The answers of a paged List call, page after page (`request(page_token)`)."""
        token = ""
        while True:
            reply = await self._call(method, request(token))
            yield reply
            token = reply.next_page_token
            if not token:
                return

    async def _each(
        self,
        method: Callable[..., Awaitable[Any]],
        request: Callable[[str], Message],
        records: Callable[[Any], Sequence[Any]],
        make: Callable[[Any], Listed],
        what: str,
    ) -> AsyncIterator[Listed]:
        async for reply in self._pages(method, request):
            for record in records(reply):
                listed = _projected(what, getattr(record, "id", ""), make, record)
                if listed is not None:
                    yield listed

    # -- clients -------------------------------------------------------------------------
    def employees(self) -> AsyncIterator[Listed]:
        def make(e: cpb.Employee) -> Listed:
            if not e.id:
                raise ProjectionError("employee.id is empty")
            fact = EmployeeFact(e.id, employee_standing(e), e.version)
            return Listed(items=[pc.me_item(e)], facts=[fact])

        return self._each(
            self._peers.territory.ListEmployees,
            lambda t: ts.ListEmployeesRequest(page_size=self._page, page_token=t),
            lambda r: r.employees,
            make,
            "employee",
        )

    async def routes(self) -> AsyncIterator[Listed]:
        """Routes, each followed by its assignments (listed per route: the only way)."""
        gate = asyncio.Semaphore(ROUTES_AT_ONCE)

        async def assignments(route_id: str) -> list[cpb.RouteAssignment]:
            async with gate:
                found: list[cpb.RouteAssignment] = []
                async for reply in self._pages(
                    self._peers.territory.ListRouteAssignments,
                    lambda t: ts.ListRouteAssignmentsRequest(
                        route_id=route_id, page_size=self._page, page_token=t
                    ),
                ):
                    found.extend(reply.assignments)
                return found

        def route(r: cpb.Route) -> Listed:
            return Listed(items=[pc.route_item(r)], facts=[RouteFact(r.id, r.agent_id, r.version)])

        def assignment(a: cpb.RouteAssignment) -> Listed:
            fact = AssignmentFact(a.route_id, a.outlet_id, a.route_version)
            return Listed(items=[pc.route_outlet_item(a)], facts=[fact])

        async for reply in self._pages(
            self._peers.territory.ListRoutes,
            lambda t: ts.ListRoutesRequest(page_size=self._page, page_token=t),
        ):
            routes = [r for r in reply.routes if r.id]
            answers = await asyncio.gather(*(assignments(r.id) for r in routes))
            for r, found in zip(routes, answers, strict=True):
                listed = _projected("route", r.id, route, r)
                if listed is not None:
                    yield listed
                for a in found:
                    listed = _projected("assignment", a.outlet_id, assignment, a)
                    if listed is not None:
                        yield listed

    def outlets(self) -> AsyncIterator[Listed]:
        def make(o: cpb.Outlet) -> Listed:
            status = enum_name(cpb.OutletStatus, o.status)
            fact = OutletFact(o.id, o.client_id, status, o.version)
            return Listed(items=[pc.outlet_item(o)], facts=[fact])

        return self._each(
            self._peers.clients.ListOutlets,
            lambda t: cs.ListOutletsRequest(page_size=self._page, page_token=t),
            lambda r: r.outlets,
            make,
            "outlet",
        )

    def clients(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.clients.ListClients,
            lambda t: cs.ListClientsRequest(page_size=self._page, page_token=t),
            lambda r: r.clients,
            lambda c: Listed(items=[pc.client_item(c)]),
            "client",
        )

    def proposals(self) -> AsyncIterator[Listed]:
        def make(p: cpb.Proposal) -> Listed:
            facts: list[Fact] = []
            if p.outlet_id and p.proposed_by:
                facts.append(ProposerFact(p.outlet_id, p.proposed_by))
            return Listed(items=[pc.proposal_item(p)], facts=facts)

        return self._each(
            self._peers.clients.ListProposals,
            lambda t: cs.ListProposalsRequest(page_size=self._page, page_token=t),
            lambda r: r.proposals,
            make,
            "proposal",
        )

    def questionnaires(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.visits.ListQuestionnaires,
            lambda t: vis.ListQuestionnairesRequest(page_size=self._page, page_token=t),
            lambda r: r.questionnaires,
            lambda q: Listed(items=[pc.questionnaire_item(q)]),
            "questionnaire",
        )

    def _dated(
        self,
        method: Callable[..., Awaitable[Any]],
        request: Callable[..., Message],
        since: date,
        records: Callable[[Any], Sequence[Any]],
        project: Callable[[Any], Item],
        what: str,
    ) -> AsyncIterator[Listed]:
        """A List call of a window (`from_date` = `since`), each record one item."""
        return self._each(
            method,
            lambda t: request(page_size=self._page, page_token=t, from_date=pb_date(since)),
            records,
            lambda record: Listed(items=[project(record)]),
            what,
        )

    def visits(self, since: date) -> AsyncIterator[Listed]:
        return self._dated(
            self._peers.visits.ListVisits,
            vis.ListVisitsRequest,
            since,
            lambda r: r.visits,
            pc.visit_item,
            "visit",
        )

    def calls(self, since: date) -> AsyncIterator[Listed]:
        """Telesellers' calls of the window (the visits' window: from `since`)."""
        return self._dated(
            self._peers.visits.ListCalls,
            vis.ListCallsRequest,
            since,
            lambda r: r.calls,
            pc.call_item,
            "call",
        )

    # -- orders: the catalog -----------------------------------------------------------------
    def product_groups(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.catalog.ListProductGroups,
            lambda t: cat.ListProductGroupsRequest(page_size=self._page, page_token=t),
            lambda r: r.groups,
            lambda g: Listed(items=[po.product_group_item(g)]),
            "product group",
        )

    def products(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.catalog.ListProducts,
            lambda t: cat.ListProductsRequest(page_size=self._page, page_token=t),
            lambda r: r.products,
            lambda p: Listed(items=[po.product_item(p)]),
            "product",
        )

    def price_types(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.catalog.ListPriceTypes,
            lambda t: cat.ListPriceTypesRequest(page_size=self._page, page_token=t),
            lambda r: r.price_types,
            lambda p: Listed(items=[po.price_type_item(p)]),
            "price type",
        )

    async def price_lists(self) -> AsyncIterator[Listed]:
        """Each list's header, then its entries a page at a time, each page stamped with the
        list's version read with it (`price_list_version`: a later PriceListChanged is
        newer)."""
        headers: list[opb.PriceList] = []
        async for reply in self._pages(
            self._peers.catalog.ListPriceLists,
            lambda t: cat.ListPriceListsRequest(page_size=self._page, page_token=t),
        ):
            headers.extend(reply.price_lists)
        for header in headers:
            listed = _projected("price list", header.id, _price_list, header)
            if listed is None:
                continue
            yield listed
            async for page in self._pages(
                self._peers.catalog.ListPriceListEntries,
                functools.partial(_entries_request, header.id),
            ):
                for entry in page.entries:
                    prices = _projected(
                        "price",
                        f"{header.id}/{entry.product_id}",
                        _price,
                        header,
                        entry,
                        page.price_list_version,
                    )
                    if prices is not None:
                        yield prices

    def client_price_types(self) -> AsyncIterator[Listed]:
        def make(c: opb.ClientPriceType) -> Listed:
            fact = ClientPriceTypeFact(c.client_id, c.price_type_id, c.version)
            return Listed(items=[po.client_terms_item(c)], facts=[fact])

        return self._each(
            self._peers.catalog.ListClientPriceTypes,
            lambda t: cat.ListClientPriceTypesRequest(page_size=self._page, page_token=t),
            lambda r: r.client_price_types,
            make,
            "client price type",
        )

    def client_prices(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.catalog.ListClientPrices,
            lambda t: cat.ListClientPricesRequest(page_size=self._page, page_token=t),
            lambda r: r.prices,
            lambda p: Listed(items=[po.client_price_item(p)]),
            "client price",
        )

    def discounts(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.catalog.ListDiscounts,
            lambda t: cat.ListDiscountsRequest(page_size=self._page, page_token=t),
            lambda r: r.discounts,
            lambda d: Listed(items=[po.discount_item(d)]),
            "discount",
        )

    # -- orders: promotions -----------------------------------------------------------------
    def territories(self) -> AsyncIterator[Listed]:
        """Clients' territory tree (promotions' targeting is sent expanded through it): every
        territory, whichever event told of it or none (those created before clients published
        them)."""
        return self._each(
            self._peers.territory.ListTerritories,
            lambda t: ts.ListTerritoriesRequest(page_size=self._page, page_token=t),
            lambda r: r.territories,
            lambda t: Listed(facts=[TerritoryFact(require_id(t.id, "territory"), t.parent_id)]),
            "territory",
        )

    def promotions(self, today: date) -> AsyncIterator[Listed]:
        """Every promotion (the ended ones are written under no scope, as the window sweep
        would leave them), each projected in the chunk's transaction from the territories and
        outlets written before it."""

        def make(p: opb.Promotion) -> Listed:
            require_id(p.id, "promotion")
            step = promotions_store.promotion_changed(p, p.version, today)
            return Listed(derived=[(PROMOTIONS, step)])

        return self._each(
            self._peers.promotions.ListPromotions,
            lambda t: proms.ListPromotionsRequest(page_size=self._page, page_token=t),
            lambda r: r.promotions,
            make,
            "promotion",
        )

    # -- orders: orders and vans ---------------------------------------------------------------
    async def orders(self, since: date) -> AsyncIterator[Listed]:
        """The orders of the window (from `since`), and older ones still in motion."""
        window = functools.partial(self._orders_request, from_date=since)
        requests: list[Callable[[str], Message]] = [window]
        requests.extend(
            functools.partial(self._orders_request, status=status, to_date=since - timedelta(1))
            for status in OPEN_ORDER_STATUSES
        )
        for request in requests:
            async for listed in self._each(
                self._peers.orders.ListOrders,
                request,
                lambda r: r.orders,
                lambda o: Listed(items=[*po.order_items(o)]),
                "order",
            ):
                yield listed

    def _orders_request(
        self,
        token: str,
        *,
        status: opb.OrderStatus.ValueType = opb.ORDER_STATUS_UNSPECIFIED,
        from_date: date | None = None,
        to_date: date | None = None,
    ) -> ords.ListOrdersRequest:
        return ords.ListOrdersRequest(
            page_size=self._page,
            page_token=token,
            status=status,
            from_date=pb_date(from_date),
            to_date=pb_date(to_date),
        )

    def vans(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.vans.ListVans,
            lambda t: van.ListVansRequest(page_size=self._page, page_token=t),
            lambda r: r.vans,
            lambda v: Listed(items=[po.van_item(v)], van_sellers={v.van_seller_id}),
            "van",
        )

    def contact_sales(self, since: date) -> AsyncIterator[Listed]:
        """Every employee's contact figures of the visits' window (from `since`)."""
        return self._dated(
            self._peers.orders.ListContactSales,
            ords.ListContactSalesRequest,
            since,
            lambda r: r.contact_sales,
            po.contact_sales_item,
            "contact sales",
        )

    # -- settlements -----------------------------------------------------------------------
    def invoices(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.settlements.ListInvoices,
            lambda t: ss.ListInvoicesRequest(page_size=self._page, page_token=t, open_only=True),
            lambda r: r.invoices,
            lambda i: Listed(items=[ps.invoice_change(i)]),
            "invoice",
        )

    def balances(self, today: date) -> AsyncIterator[Listed]:
        """Each client's balance as of `today` (the business day the figures are judged on,
        asked for and written as `asOf`)."""
        return self._each(
            self._peers.settlements.ListBalances,
            lambda t: ss.ListBalancesRequest(
                page_size=self._page, page_token=t, as_of=pb_date(today)
            ),
            lambda r: r.balances,
            lambda b: Listed(items=[ps.balance_item(b, as_of=today)]),
            "balance",
        )

    def tare_balances(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.settlements.ListTareBalances,
            lambda t: ss.ListTareBalancesRequest(page_size=self._page, page_token=t),
            lambda r: r.balances,
            lambda b: Listed(items=[ps.tare_balance_item(b)]),
            "tare balance",
        )

    def credit_standings(self) -> AsyncIterator[Listed]:
        return self._each(
            self._peers.settlements.ListCreditStandings,
            lambda t: ss.ListCreditStandingsRequest(page_size=self._page, page_token=t),
            lambda r: r.standings,
            lambda s: Listed(items=[ps.credit_standing_item(s)]),
            "credit standing",
        )


def _price_list(header: opb.PriceList) -> Listed:
    return Listed(items=[po.price_list_item(header)])


def _entries_request(price_list_id: str, token: str) -> cat.ListPriceListEntriesRequest:
    return cat.ListPriceListEntriesRequest(
        price_list_id=price_list_id, page_size=ENTRIES_PAGE_SIZE, page_token=token
    )


def _price(header: opb.PriceList, entry: opb.PriceListEntry, version: int) -> Listed:
    return Listed(items=[po.price_item(header.id, header.price_type_id, entry, version=version)])


def require_id(value: str, what: str) -> str:
    if not value:
        raise ProjectionError(f"{what}.id is empty")
    return value


def employee_ids(facts: Iterable[Fact]) -> list[str]:
    """The employees among `facts` (the build recomputes their memberships at the end)."""
    return [f.employee_id for f in facts if isinstance(f, EmployeeFact)]
