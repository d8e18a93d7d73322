"""The orders unit of work without a database: in-memory repositories with the real ones' methods.

`FakeOrdersUnitOfWork` attaches the same names as `OrdersUnitOfWork` (`uow.orders`,
`uow.vans`, `uow.catalog`, `uow.feed`, …). Each repository keeps its rows in one of the fake's
tables (`uow.tables`), so what a use case wrote survives its commit and a rollback restores it,
as in the database. Rules the database enforces (the newest feed record wins, a sale takes
stock only if the van holds enough) are kept here the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import NamedTuple, TypeVar

from fieldline_kit.errors import Conflict
from fieldline_kit.testing.fakes import FakeUnitOfWork, InMemoryRepository
from fieldline_orders.adapters.feed_queries import (
    AgentOutlets,
    LatestAudit,
    route_of,
    schedule_of,
)
from fieldline_orders.domain import events
from fieldline_orders.domain.catalog import (
    ClientPrice,
    ClientPriceType,
    Discount,
    PriceList,
    PriceListMerge,
    PriceType,
    Product,
    ProductGroup,
    StockLevel,
    Warehouse,
)
from fieldline_orders.domain.feed import (
    AssignmentState,
    AuditState,
    ClientState,
    EmployeeState,
    FeedRecord,
    OutletState,
    TerritoryState,
    VisitState,
)
from fieldline_orders.domain.fulfilment import FulfilmentFacts
from fieldline_orders.domain.orders import (
    DELIVERED_STATUSES,
    Order,
    OrderKind,
    OrderStatus,
    StatusChange,
)
from fieldline_orders.domain.pricing import PriceBook
from fieldline_orders.domain.recommendation import Pack, ShelfCheck, VisitSchedule, pack_of
from fieldline_orders.domain.returns import GoodsReturn
from fieldline_orders.domain.values import ZERO, fmt
from fieldline_orders.domain.van import Movement, Unloading, Van, VanLoad

R = TypeVar("R")
E = TypeVar("E", bound=Exception)
F = TypeVar("F", bound=FeedRecord)  # a feed record, kept by its newest version


class FakeOrdersUnitOfWork(FakeUnitOfWork):
    def _attach(self) -> None:
        self.orders = FakeOrders(self)
        self.vans = FakeVans(self)
        self.returns = FakeReturns(self)
        self.groups = FakeGroups(self, "product_group")
        self.products = FakeProducts(self, "product")
        self.price_types = FakePriceTypes(self, "price_type")
        self.price_lists = FakePriceLists(self, "price_list")
        self.discounts = FakeRecords[Discount](self, "discount")
        self.warehouses = FakeWarehouses(self, "warehouse")
        self.catalog = FakeCatalog(self)
        self.feed = FakeFeedStore(self)
        self.feed_reads = FakeFeedReads(self)
        self.queries = FakeQueries(self)
        self.leases = FakeLeases(self)
        self.contacts = FakeContacts(self)
        # Visits whose contact the real unit of work would recompute (adapters/contacts.py,
        # tested against the databases): kept here so a use case's touch can be asserted.
        self.contacts_touched: set[str] = self.table("contacts_touched").setdefault("", set())

    def contact_touched(self, visit_id: str) -> None:
        if visit_id:
            self.contacts_touched.add(visit_id)


# ------------------------------------------------------------------------------- orders
class FakeOrders(InMemoryRepository[Order]):
    """Orders; the status history they record is kept per order in `history`."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        super().__init__(uow, "order")
        self.history: dict[str, list[StatusChange]] = uow.table("order_history")

    def put(self, aggregate: Order) -> Order:
        super().put(aggregate)
        self._written(aggregate)
        return aggregate

    async def add(self, aggregate: Order) -> None:
        await super().add(aggregate)
        self._written(aggregate)

    async def add_if_absent(self, o: Order) -> bool:
        return bool(await self.add_all_if_absent([o]))

    async def add_all_if_absent(self, new: Sequence[Order]) -> list[Order]:
        inserted = [o for o in new if (o.id,) not in self.rows]
        for o in inserted:
            await self.add(o)
        return inserted

    async def save(self, aggregate: Order) -> None:
        await super().save(aggregate)
        self._written(aggregate)

    async def held_for_unavailability(
        self, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Order]:
        held = sorted(
            (o for o in self.all() if o.held_for_unavailability),
            key=lambda o: (o.created_at, o.id),
        )
        return [o for o in held if after is None or (o.created_at, o.id) > after][:limit]

    def _written(self, o: Order) -> None:
        """The order's new status history goes to its table (written once, as the real one)."""
        self.history.setdefault(o.id, []).extend(o.new_history)
        o.new_history.clear()
        stored = self.rows.get((o.id,))
        if stored is not None:
            stored.new_history.clear()


# --------------------------------------------------------------------------------- jobs
class FakeLeases:
    """Job leases: job name → (holder, expires at), taken as the real `JobLeases` takes them."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        self.rows: dict[str, tuple[str, datetime]] = uow.table("job_leases")

    async def take(self, name: str, holder: str, *, now: datetime, until: datetime) -> bool:
        held = self.rows.get(name)
        if held is not None and held[0] != holder and held[1] > now:
            return False
        self.rows[name] = (holder, until)
        return True

    async def release(self, name: str, holder: str, *, now: datetime) -> None:
        held = self.rows.get(name)
        if held is not None and held[0] == holder:
            self.rows[name] = (holder, now)


# ---------------------------------------------------------------------------------- van
class FakeVans(InMemoryRepository[Van]):
    """Vans, their stock (van id, product id → base units), movements, loads, unloadings."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        super().__init__(uow, "van")
        self._orders = uow.table("order")
        self.stock_rows: dict[tuple[str, str], Decimal] = uow.table("van_stock")
        self.movements: dict[int, Movement] = uow.table("van_movements")
        self.loads = InMemoryRepository[VanLoad](uow, "van_load")
        self.unloadings = InMemoryRepository[Unloading](uow, "van_unloading")

    async def stock(self, van_id: str, *, for_update: bool = False) -> dict[str, Decimal]:
        return {pid: q for (vid, pid), q in sorted(self.stock_rows.items()) if vid == van_id}

    async def put_in(self, van_id: str, product_id: str, quantity: Decimal) -> None:
        key = (van_id, product_id)
        self.stock_rows[key] = self.stock_rows.get(key, ZERO) + quantity

    async def take_out(self, van_id: str, product_id: str, quantity: Decimal) -> bool:
        key = (van_id, product_id)
        if key not in self.stock_rows or self.stock_rows[key] < quantity:
            return False
        self.stock_rows[key] -= quantity
        return True

    async def empty(self, van_id: str, product_ids: Iterable[str]) -> None:
        for pid in product_ids:
            if (van_id, pid) in self.stock_rows:
                self.stock_rows[(van_id, pid)] = ZERO

    async def record(self, movements: Sequence[Movement], now: datetime) -> None:
        for m in movements:
            self.movements[len(self.movements)] = m

    async def find_load(self, load_id: str) -> VanLoad | None:
        return await self.loads.find(load_id)

    async def add_load(self, load: VanLoad) -> None:
        await self.loads.add(load)

    async def find_unloading(self, unloading_id: str) -> Unloading | None:
        return await self.unloadings.find(unloading_id)

    async def add_unloading(self, u: Unloading) -> None:
        await self.unloadings.add(u)

    async def day_cash(self, van_id: str, on: date) -> tuple[Decimal, Decimal]:
        sales = [
            o.cash_collected
            for o in self._orders.values()
            if o.kind is OrderKind.VAN_SALE and o.warehouse_id == van_id and o.order_date == on
        ]
        earlier = [
            u.cash_expected for u in self.unloadings.all() if u.van_id == van_id and u.on == on
        ]
        return sum(sales, ZERO), sum(earlier, ZERO)

    def ledger(self, van_id: str) -> dict[str, Decimal]:
        """Σ movements per product: what the stock must equal."""
        out: dict[str, Decimal] = {}
        for m in self.movements.values():
            if m.van_id == van_id:
                out[m.product_id] = out.get(m.product_id, ZERO) + m.quantity
        return out


class FakeReturns(InMemoryRepository[GoodsReturn]):
    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        super().__init__(uow, "goods_return")

    async def returned_against(self, order_id: str) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for r in self.rows.values():
            if r.order_id == order_id:
                for ln in r.lines:
                    out[ln.product_id] = out.get(ln.product_id, ZERO) + ln.base_quantity
        return out


# ------------------------------------------------------------------------------ catalog
class ExternallyKeyed(InMemoryRepository[R]):
    """Catalog records found by the ERP's external id (`by_external_id`, `ids_taken`)."""

    async def by_external_id(self, external_ids: Iterable[str]) -> dict[str, R]:
        wanted = set(external_ids)
        found = [r for r in self.all() if r.external_id in wanted]  # type: ignore[attr-defined]
        return {r.external_id: self.loaded(r) for r in found}  # type: ignore[attr-defined]

    async def ids_taken(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = set(ids)
        return {
            r.id: r.external_id  # type: ignore[attr-defined]
            for r in self.rows.values()
            if r.id in wanted  # type: ignore[attr-defined]
        }

    async def existing(self, ids: Iterable[str]) -> set[str]:
        return set(await self.ids_taken(ids))

    async def add_many(self, records: Sequence[R]) -> None:
        for record in records:
            await self.add(record)


class FakeRecords(ExternallyKeyed[R]):
    """Catalog records (groups, price types, price lists, discounts): an update is `save` of
    the next version, as for products."""

    async def update(self, record: R) -> None:
        await self.save(record)


class FakeGroups(FakeRecords[ProductGroup]):
    async def parents(self) -> dict[str, str]:
        return {g.id: g.parent_id for g in self.rows.values()}


class FakePriceTypes(FakeRecords[PriceType]):
    async def by_id(self, ids: Iterable[str]) -> dict[str, PriceType]:
        return {i: t for i in ids if (t := self.rows.get((i,))) is not None}


class FakePriceLists(FakeRecords[PriceList]):
    """Price lists, each row with all its entries. A merge reads the header and the entries of
    the products it names and writes the next version, as the real repository does (which
    touches only those entries' rows, and keeps the count in `price_lists.entry_count`)."""

    async def headers_by_external_id(self, external_ids: Iterable[str]) -> dict[str, PriceList]:
        wanted = set(external_ids)
        return {
            pl.external_id: self.loaded(dataclasses.replace(pl, entries={}))
            for pl in self.all()
            if pl.external_id in wanted
        }

    async def entry_counts(self, ids: Iterable[str]) -> dict[str, int]:
        return {i: len(pl.entries) for i in ids if (pl := self.rows.get((i,))) is not None}

    async def entries_of(
        self, price_list_id: str, product_ids: Iterable[str]
    ) -> dict[str, Decimal]:
        held = self.rows[(price_list_id,)].entries
        return {pid: held[pid] for pid in product_ids if pid in held}

    async def merge(self, merge: PriceListMerge) -> None:
        pl = merge.price_list
        stored = self.rows[(pl.id,)]
        if stored.version != self.loaded_version(pl):
            raise Conflict(f"price list {pl.id} was changed concurrently; reload and retry")
        entries = {k: v for k, v in stored.entries.items() if k not in merge.changes.removed}
        entries.update(merge.changes.changed)
        assert len(entries) == merge.entry_count  # the count the real repository writes
        self.rows[(pl.id,)] = dataclasses.replace(pl, entries=dict(sorted(entries.items())))
        self.saved(pl)


class FakeWarehouses(FakeRecords[Warehouse]):
    async def owners(self, ids: Iterable[str]) -> dict[str, str]:
        return {i: w.distributor_id for i in ids if (w := self.rows.get((i,))) is not None}


class FakeProducts(ExternallyKeyed[Product]):
    """Products: versioned, an update is `save` of the next version."""

    async def by_id(self, ids: Iterable[str]) -> dict[str, Product]:
        return {i: p for i in ids if (p := self.rows.get((i,))) is not None}

    async def update(self, record: Product) -> None:
        await self.save(record)


class FakeCatalog:
    """Client price types and prices, stock levels, price books, the catalog generation, and
    the catalog's announcements (tracked by the fake unit of work: `uow.events`)."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        self._uow = uow
        self.state: dict[str, int] = uow.table("catalog_state")
        self.client_price_types: dict[str, ClientPriceType] = uow.table("client_price_types")
        self.client_prices: dict[tuple[str, str, date], ClientPrice] = uow.table("client_prices")
        self.stock_levels: dict[tuple[str, str], StockLevel] = uow.table("stock_levels")

    @property
    def generation(self) -> int:
        return self.state.get("generation", 0)

    async def bump_generation(self) -> None:
        self.state["generation"] = self.generation + 1

    def announce(self, *changes: events.Event) -> None:
        if changes:
            self._uow.track(events.Announcement(list(changes)))

    async def client_price_type(self, client_id: str) -> ClientPriceType | None:
        return self.client_price_types.get(client_id)

    async def put_client_price_type(
        self, setting: ClientPriceType, current: ClientPriceType | None
    ) -> None:
        _check_version(self.client_price_types.get(setting.client_id), current)
        self.client_price_types[setting.client_id] = setting

    async def set_client_price_types(self, price_types: Mapping[str, str]) -> None:
        for client_id, price_type_id in price_types.items():
            held = self.client_price_types.get(client_id)
            if held is None:
                self.client_price_types[client_id] = ClientPriceType(client_id, price_type_id)
            elif held.price_type_id != price_type_id:
                wanted = ClientPriceType(client_id, price_type_id)
                self.client_price_types[client_id] = wanted.next_version_of(held)

    async def client_prices_at(
        self, keys: Iterable[tuple[str, str, date]]
    ) -> dict[tuple[str, str, date], ClientPrice]:
        return {k: cp for k in keys if (cp := self.client_prices.get(k)) is not None}

    async def put_client_price(self, cp: ClientPrice, current: ClientPrice | None) -> None:
        _check_version(self.client_prices.get(cp.key), current)
        self.client_prices[cp.key] = cp

    async def stock_at(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Decimal]:
        return {k: s.quantity for k in keys if (s := self.stock_levels.get(k)) is not None}

    async def put_stock_levels(
        self, added: Sequence[StockLevel], changed: Sequence[StockLevel]
    ) -> None:
        for s in (*added, *changed):
            self.stock_levels[(s.warehouse_id, s.product_id)] = s

    async def stock_totals(
        self, product_ids: Iterable[str], distributor_id: str = ""
    ) -> dict[str, Decimal]:  # no warehouses here: every level is the company's
        wanted = set(product_ids)
        out: dict[str, Decimal] = {}
        for s in self.stock_levels.values():
            if s.product_id in wanted:
                out[s.product_id] = out.get(s.product_id, ZERO) + s.quantity
        return out

    async def price_book(
        self,
        client_id: str,
        on: date,
        product_ids: Sequence[str] | None,
        distributor_id: str = "",  # no distributor prices here: the company's book
    ) -> PriceBook:
        uow = self._uow
        named = None if product_ids is None else set(product_ids)
        products = {
            p.id: p for p in uow.products.all() if (p.active if named is None else p.id in named)
        }
        setting = self.client_price_types.get(client_id)
        price_type = uow.price_types.rows.get((setting.price_type_id if setting else "",))
        return PriceBook(
            client_id=client_id,
            on=on,
            price_type=price_type,
            products=products,
            client_prices=[
                cp
                for cp in self.client_prices.values()
                if cp.client_id == client_id and cp.product_id in products and cp.valid_on(on)
            ],
            price_lists=[
                pl
                for pl in uow.price_lists.all()
                if price_type is not None and pl.price_type_id == price_type.id and pl.valid_on(on)
            ],
            discounts=[
                d for d in uow.discounts.all() if d.client_id in (client_id, "") and d.valid_on(on)
            ],
            group_parents=await uow.groups.parents(),
        )


def _check_version(stored: ClientPriceType | ClientPrice | None, read: object | None) -> None:
    """A write of the next version of `read` finds the row as it was read, as the real one."""
    if (stored.version if stored else None) != (getattr(read, "version", None)):
        raise Conflict("changed concurrently; reload and retry")


# --------------------------------------------------------------------------------- feed
def _later_audit(stored: AuditState, new: AuditState) -> bool:
    held = stored.performed_at or stored.submitted_at
    offered = new.performed_at or new.submitted_at
    return (
        held < offered
        or (held == offered and stored.audit_id < new.audit_id)
        or (stored.audit_id == new.audit_id and stored.version < new.version)
    )


def _put_newer(rows: dict[str, F], key: str, state: F) -> bool:
    """`state` as the row of `key` if it is newer than the one held; whether it was put."""
    held = rows.get(key)
    if held is not None and held.version >= state.version:
        return False
    rows[key] = state
    return True


class FakeFeedStore:
    """The feed's read models; a record not newer than the one held is not applied."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        self.clients: dict[str, ClientState] = uow.table("feed_clients")
        self.outlets: dict[str, OutletState] = uow.table("feed_outlets")
        self.territories: dict[str, TerritoryState] = uow.table("feed_territories")
        self.assignments: dict[tuple[str, str], AssignmentState] = uow.table("feed_assignments")
        self.audits: dict[str, AuditState] = uow.table("feed_audits")  # by outlet: its latest
        self.employees: dict[str, EmployeeState] = uow.table("feed_employees")
        self.visits: dict[str, VisitState] = uow.table("feed_visits")

    async def put_visit(self, state: VisitState) -> bool:
        held = self.visits.get(state.visit_id)
        if held is not None and held.version >= state.version:
            return False
        self.visits[state.visit_id] = state
        return True

    async def put_visits(self, states: Sequence[VisitState]) -> None:
        for state in states:
            await self.put_visit(state)

    async def put_client(self, state: ClientState) -> bool:
        held = self.clients.get(state.client_id)
        if held is not None and held.version >= state.version:
            return False
        self.clients[state.client_id] = state
        return True

    async def put_clients(self, states: Sequence[ClientState]) -> None:
        for state in states:
            await self.put_client(state)

    async def put_outlet(self, state: OutletState) -> bool:
        return _put_newer(self.outlets, state.outlet_id, state)

    async def put_territory(self, state: TerritoryState) -> bool:
        return _put_newer(self.territories, state.territory_id, state)

    async def put_territories(self, states: Sequence[TerritoryState]) -> None:
        for state in states:
            await self.put_territory(state)

    async def put_assignment(self, state: AssignmentState) -> bool:
        key = (state.route_id, state.outlet_id)
        held = self.assignments.get(key)
        if held is not None and held.version >= state.version:
            return False
        self.assignments[key] = state
        return True

    async def put_audit(self, state: AuditState) -> bool:
        held = self.audits.get(state.outlet_id)
        if held is not None and not _later_audit(held, state):
            return False
        self.audits[state.outlet_id] = state
        return True

    async def put_outlets(self, states: Sequence[OutletState]) -> None:
        for state in states:
            await self.put_outlet(state)

    async def put_assignments(self, states: Sequence[AssignmentState]) -> None:
        for state in states:
            await self.put_assignment(state)

    async def put_audits(self, states: Sequence[AuditState]) -> None:
        for state in states:
            await self.put_audit(state)

    async def put_employee(self, state: EmployeeState) -> bool:
        held = self.employees.get(state.employee_id)
        if held is not None and held.version >= state.version:
            return False
        self.employees[state.employee_id] = state
        return True

    async def put_employees(self, states: Sequence[EmployeeState]) -> None:
        for state in states:
            await self.put_employee(state)


class FakeContacts:
    """The visits documents are checked against (the feed's); the contact rows themselves are
    the database's (tests/integration/test_contact_sales.py)."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        self._visits: dict[str, VisitState] = uow.table("feed_visits")

    async def visit(self, visit_id: str) -> VisitState | None:
        return self._visits.get(visit_id)


class RouteRow(NamedTuple):
    """An assignment with its outlet's status, as `feed_queries.route_of` reads it."""

    outlet_id: str
    agent_id: str
    frequency: int
    weekday_mask: int
    start_date: date
    sequence: int
    route_kind: str
    status: str | None


class FakeFeedReads:
    """What recommendations and outlet checks read: the fake feed store's and orders' rows."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        self._uow = uow

    @property
    def _feed(self) -> FakeFeedStore:
        feed: FakeFeedStore = self._uow.feed
        return feed

    async def outlet_client(self, outlet_id: str) -> str | None:
        outlet = self._feed.outlets.get(outlet_id)
        return (outlet.client_id or None) if outlet is not None else None

    async def known_clients(self, client_ids: Iterable[str]) -> set[str]:
        return {o.client_id for o in self._feed.outlets.values()} & set(client_ids)

    async def client_types(self, client_ids: Iterable[str]) -> dict[str, str]:
        clients = self._feed.clients
        return {i: c.type for i in client_ids if (c := clients.get(i)) is not None}

    async def outlet_clients(self, outlet_ids: Iterable[str]) -> dict[str, str]:
        outlets = self._feed.outlets
        return {i: o.client_id for i in outlet_ids if (o := outlets.get(i)) and o.client_id}

    async def get_outlet(self, outlet_id: str) -> OutletState | None:
        return self._feed.outlets.get(outlet_id)

    async def outlet_targeting(self, outlet_id: str) -> tuple[str, str, str, str] | None:
        o = self._feed.outlets.get(outlet_id)
        return (o.outlet_id, o.client_id, o.channel, o.territory_id) if o is not None else None

    async def territory_parents(self) -> dict[str, str]:
        return {t.territory_id: t.parent_id for t in self._feed.territories.values()}

    async def on_routes(self, agent_ids: Collection[str], outlet_id: str) -> bool:
        return any(
            a.agent_id in agent_ids and a.outlet_id == outlet_id and not a.removed
            for a in self._feed.assignments.values()
        )

    async def client_on_routes(self, agent_ids: Collection[str], client_id: str) -> bool:
        outlets = self._feed.outlets
        return any(
            a.agent_id in agent_ids
            and not a.removed
            and (o := outlets.get(a.outlet_id)) is not None
            and o.client_id == client_id
            for a in self._feed.assignments.values()
        )

    async def outlet_schedules(self, outlet_id: str) -> list[VisitSchedule]:
        return [
            schedule_of(a.frequency, a.weekday_mask, a.start_date, a.route_kind)
            for a in self._feed.assignments.values()
            if a.outlet_id == outlet_id and not a.removed
        ]

    async def agent_outlets(self, agent_id: str) -> AgentOutlets:
        live = [a for a in self._feed.assignments.values() if not a.removed]
        mine = {a.outlet_id for a in live if a.agent_id == agent_id}
        rows = []
        for a in live:
            if a.outlet_id in mine:
                outlet = self._feed.outlets.get(a.outlet_id)
                status = outlet.status if outlet is not None else None
                rows.append(
                    RouteRow(
                        a.outlet_id,
                        a.agent_id,
                        a.frequency,
                        a.weekday_mask,
                        a.start_date,
                        a.sequence,
                        a.route_kind,
                        status,
                    )
                )
        return route_of(agent_id, rows)

    async def sales_history(
        self, outlet_ids: Iterable[str], day: date, window_days: int
    ) -> dict[str, dict[str, Decimal]]:
        wanted = set(outlet_ids)
        first = day - timedelta(days=window_days)
        history: dict[str, dict[str, Decimal]] = {}
        for o in self._uow.orders.rows.values():
            if o.outlet_id in wanted and first <= o.order_date < day:
                sold = history.setdefault(o.outlet_id, {})
                for ln in o.lines:
                    sold[ln.product_id] = sold.get(ln.product_id, ZERO) + ln.delivered_base_quantity
        return {
            oid: {pid: q for pid, q in sold.items() if q > 0}
            for oid, sold in history.items()
            if any(q > 0 for q in sold.values())
        }

    async def shelf_checks(self, outlet_ids: Iterable[str]) -> dict[str, list[ShelfCheck]]:
        return {
            oid: [ShelfCheck(c.sku, c.present, c.shelf_quantity) for c in audit.counts]
            for oid in outlet_ids
            if (audit := self._feed.audits.get(oid)) is not None and audit.counts
        }

    async def latest_audits(self, outlet_ids: Iterable[str]) -> dict[str, LatestAudit]:
        return {
            oid: LatestAudit(audit.audit_id, audit.submitted_at, audit.performed_at)
            for oid in outlet_ids
            if (audit := self._feed.audits.get(oid)) is not None
        }

    async def packs(self, product_ids: Iterable[str], skus: Iterable[str]) -> list[Pack]:
        ids, wanted_skus = set(product_ids), set(skus)
        return [
            pack_of(
                p.id,
                p.sku,
                [{"code": u.code, "name": u.name, "ratio": fmt(u.ratio)} for u in p.units],
                p.pack_unit,
                p.base_unit,
            )
            for p in self._uow.products.rows.values()
            if p.active and (p.id in ids or p.sku in wanted_skus)
        ]


# ------------------------------------------------------------------------------ queries
class FakeQueries:
    """The read side's reports, from the fake's orders and their status history."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        self._uow = uow

    async def fulfilment_facts(
        self,
        *,
        from_date: date | None,
        to_date: date | None,
        distributor_id: str,
        agent_ids: Sequence[str],
        tz: tzinfo,
    ) -> list[FulfilmentFacts]:
        orders: FakeOrders = self._uow.orders
        facts = []
        for (order_id,), o in sorted(orders.rows.items()):
            if (
                o.kind is not OrderKind.PRE_SALE
                or o.status is OrderStatus.CREDIT_HOLD
                or (from_date is not None and o.order_date < from_date)
                or (to_date is not None and o.order_date > to_date)
                or (distributor_id and o.distributor_id != distributor_id)
                or (agent_ids and o.agent_id not in agent_ids)
            ):
                continue
            delivered = [
                h.at for h in orders.history.get(order_id, []) if h.status in DELIVERED_STATUSES
            ]
            at = min(delivered).astimezone(tz).date() if delivered else None
            facts.append(
                FulfilmentFacts(
                    o.id,
                    o.agent_id,
                    o.distributor_id,
                    o.status,
                    o.order_date,
                    o.delivery_date,
                    sum((ln.base_quantity for ln in o.lines), ZERO),
                    sum((ln.delivered_base_quantity for ln in o.lines), ZERO),
                    at if o.status in DELIVERED_STATUSES else None,
                )
            )
        return facts
