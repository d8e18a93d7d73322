"""The orders unit of work and the repositories of orders, vans and returns.

`OrdersUnitOfWork` attaches every repository and read port of the service as `uow.<name>`;
a use case reaches the database through them only.

Orders use optimistic concurrency (`VersionedRepository`): `find` remembers the loaded
version, `save` writes `WHERE id = … AND version = <loaded>` and a miss is ABORTED.

Van stock is never read-modify-written: loads and returns add with `quantity = quantity + q`,
a sale takes with `UPDATE … SET quantity = quantity − q WHERE … AND quantity >= q`, so of two
concurrent sales of the last units one updates a row and the other none (PostgreSQL re-checks
the row after the first commits; SQLite serialises writers with BEGIN IMMEDIATE). Quantities
are exact decimals on both databases (`ExactDecimal`), so `quantity >= q` compares exactly.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, delete, insert, or_, select, update

from fieldline_kit.bulk_insert import RowsInsert
from fieldline_kit.repository import Repository, VersionedRepository
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters import orm, orm_van
from fieldline_orders.adapters.budget_store import BudgetLedger
from fieldline_orders.adapters.catalog_store import (
    CatalogStore,
    DiscountRepository,
    GroupRepository,
    PriceListRepository,
    PriceTypeRepository,
    ProductRepository,
    WarehouseRepository,
)
from fieldline_orders.adapters.contacts import ContactStore
from fieldline_orders.adapters.feed_queries import FeedQueries
from fieldline_orders.adapters.feed_store import FeedStore
from fieldline_orders.adapters.promotion_store import PromotionRepository
from fieldline_orders.adapters.queries import OrdersQueries
from fieldline_orders.adapters.rows import (
    HISTORY_COLUMNS,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    amendment_from,
    chunks,
    goods_return_from,
    line_row,
    load_from,
    load_orders,
    money_value,
    order_by_id,
    order_row,
    order_values,
    qty,
    revision_from,
    revision_row,
    unloading_from,
    van_from,
)
from fieldline_orders.domain.contacts import DEFAULT_PRODUCTIVE_MINIMUM
from fieldline_orders.domain.orders import Amendment, Order, OrderKind, Revision
from fieldline_orders.domain.returns import GoodsReturn
from fieldline_orders.domain.values import ZERO, fmt
from fieldline_orders.domain.van import Movement, Unloading, Van, VanLoad


class OrdersUnitOfWork(UnitOfWork):
    orders: OrderRepository
    vans: VanRepository
    returns: ReturnRepository
    groups: GroupRepository
    products: ProductRepository
    price_types: PriceTypeRepository
    price_lists: PriceListRepository
    discounts: DiscountRepository
    warehouses: WarehouseRepository
    promotions: PromotionRepository
    budgets: BudgetLedger  # promotions' budgets and their ledger
    catalog: CatalogStore  # client prices, stock, price books, the catalog generation
    feed: FeedStore  # the clients feed's read models (written by the feed consumer)
    feed_reads: FeedQueries  # … and what recommendations and outlet checks read of them
    queries: OrdersQueries  # lists, searches, reports
    leases: JobLeases  # which replica runs a background job (the credit re-check)
    contacts: ContactStore  # the ContactSales projection (adapters/contacts.py)
    # ORDERS_PRODUCTIVE_MINIMUM (the App sets it on each unit of work it makes).
    productive_minimum: Decimal = DEFAULT_PRODUCTIVE_MINIMUM

    def _attach(self) -> None:
        self.orders = OrderRepository(self)
        self.vans = VanRepository(self)
        self.returns = ReturnRepository(self)
        self.groups = GroupRepository(self)
        self.products = ProductRepository(self)
        self.price_types = PriceTypeRepository(self)
        self.price_lists = PriceListRepository(self)
        self.discounts = DiscountRepository(self)
        self.warehouses = WarehouseRepository(self)
        self.promotions = PromotionRepository(self)
        self.budgets = BudgetLedger(self)
        self.catalog = CatalogStore(self)
        self.feed = FeedStore(self)
        self.feed_reads = FeedQueries(self)
        self.queries = OrdersQueries(self)
        self.leases = JobLeases(self)
        self.contacts = ContactStore(self)
        self._contacts_touched: set[str] = set()

    def contact_touched(self, visit_id: str) -> None:
        """A document naming the visit (or the visit's feed row) changed in this transaction:
        its contact's figures are recomputed before the events are written."""
        if visit_id:
            self._contacts_touched.add(visit_id)

    async def flush_events(self) -> None:
        """The touched contacts recomputed (adapters/contacts.py), then the events written:
        every commit, and every feed event's transaction, passes through here."""
        if self._contacts_touched:
            touched, self._contacts_touched = self._contacts_touched, set()
            await self.contacts.refresh(touched, self.productive_minimum, self.clock())
        await super().flush_events()


def _touched(repository: Repository, visit_id: str) -> None:
    """A document naming `visit_id` written by `repository`: its contact is recomputed."""
    uow = repository._uow
    if isinstance(uow, OrdersUnitOfWork):
        uow.contact_touched(visit_id)


# ------------------------------------------------------------------------------- orders
# The INSERTs of a new order (compiled once per dialect, rows bound as tuples; see
# fieldline_kit.bulk_insert): the orders one is INSERT … ON CONFLICT (id) DO NOTHING RETURNING
# id, so a write of many orders tells which were inserted (an id that exists is skipped).
INSERT_ORDERS_IF_ABSENT = RowsInsert(
    orm.orders, ORDER_COLUMNS, on_conflict_do_nothing=("id",), returning=("id",)
)
INSERT_LINES = RowsInsert(orm.order_lines, LINE_COLUMNS)
INSERT_HISTORY = RowsInsert(orm.order_status_history, HISTORY_COLUMNS)
# Orders the credit-check fallback held, oldest first (`ix_orders_credit_hold`).
HELD_FOR_UNAVAILABILITY = (
    select(orm.orders)
    .where(orm.ON_CREDIT_HOLD, orm.orders.c.credit["fallback"].as_boolean())
    .order_by(orm.orders.c.created_at, orm.orders.c.id)
)


class OrderRepository(VersionedRepository[Order]):
    """Orders with their lines and status history (rows of three tables)."""

    table = orm.orders
    entity = "order"

    def to_row(self, aggregate: Order) -> dict[str, Any]:
        return order_values(aggregate)

    async def find(self, *key: Any, for_update: bool = False) -> Order | None:
        (order_id,) = key
        order = await order_by_id(self.session, order_id, for_update=for_update)
        return self.loaded(order) if order is not None else None

    async def add(self, aggregate: Order) -> None:
        await super().add(aggregate)
        await self._write_new([aggregate])

    async def add_if_absent(self, o: Order) -> bool:
        """Insert a new order unless one with its id exists; False (nothing written) then.

        One statement decides (INSERT … ON CONFLICT DO NOTHING; on PostgreSQL it waits for a
        concurrent insert of the same id), instead of a SELECT before the INSERT.
        """
        return bool(await self.add_all_if_absent([o]))

    async def add_all_if_absent(self, new: Sequence[Order]) -> list[Order]:
        """`add_if_absent` for many orders in one statement per table; the ones inserted.

        The ids must be distinct. An order whose id exists is skipped (nothing of it written).
        """
        if not new:
            return []
        returned = await INSERT_ORDERS_IF_ABSENT.execute(self.session, [order_row(o) for o in new])
        inserted_ids = {r[0] for r in returned}
        inserted = [o for o in new if o.id in inserted_ids]
        await self._write_new(inserted)
        for o in inserted:
            self.loaded(o)
        return inserted

    async def _write_new(self, orders: Sequence[Order]) -> None:
        """The lines and status history of orders just inserted."""
        if not orders:
            return
        await INSERT_LINES.execute(
            self.session, [line_row(o.id, ln) for o in orders for ln in o.lines]
        )
        for o in orders:
            _touched(self, o.visit_id)
        await INSERT_HISTORY.execute(self.session, [h for o in orders for h in _history_rows(o)])

    async def held_for_unavailability(
        self, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Order]:
        """Up to `limit` orders on CREDIT_HOLD by the fallback (`Order.held_for_unavailability`:
        the stored decision has `fallback`), oldest first (created_at, id), after the key
        `after`. Read as they are, not loaded for `save`: a writer finds them again."""
        o = orm.orders
        stmt = HELD_FOR_UNAVAILABILITY
        if after is not None:
            at, order_id = after
            stmt = stmt.where(
                or_(o.c.created_at > at, and_(o.c.created_at == at, o.c.id > order_id))
            )
        rows = (await self.session.execute(stmt.limit(limit))).all()
        return await load_orders(self.session, rows)

    async def save(self, aggregate: Order) -> None:
        """The header, the lines' delivered quantities and the new status history."""
        o = aggregate
        values = order_values(o)
        del values["id"], values["created_at"]
        if not await self.update_row(o, values):
            return
        t = orm.order_lines
        if o.new_revision is not None:
            await self._write_revision(o, *o.new_revision)
        else:
            for ln in o.lines:
                await self.session.execute(
                    update(t)
                    .where(t.c.order_id == o.id, t.c.line_no == ln.line_no)
                    .values(delivered_base_quantity=ln.delivered_base_quantity)
                )
        await INSERT_HISTORY.execute(self.session, _history_rows(o))
        _touched(self, o.visit_id)
        self.saved(o)

    async def _write_revision(self, o: Order, replaced: Revision, amendment: Amendment) -> None:
        """An amendment: the lines replaced by the new revision's, the replaced revision kept
        in `order_revisions`, the amendment in `order_amendments`."""
        t = orm.order_lines
        await self.session.execute(delete(t).where(t.c.order_id == o.id))
        await INSERT_LINES.execute(self.session, [line_row(o.id, ln) for ln in o.lines])
        await self.session.execute(
            insert(orm.order_revisions).values(**revision_row(o.id, replaced, amendment.at))
        )
        await self.session.execute(
            insert(orm.order_amendments).values(
                order_id=o.id,
                amendment_id=amendment.amendment_id,
                revision=amendment.revision,
                digest=amendment.digest,
                amended_by=amendment.amended_by,
                amended_at=amendment.at,
            )
        )
        o.new_revision = None

    # -- revisions -------------------------------------------------------------------------
    async def amendment(self, order_id: str, amendment_id: str) -> Amendment | None:
        """The order's amendment of that id, if it was made."""
        t = orm.order_amendments
        row = (
            await self.session.execute(
                select(t).where(t.c.order_id == order_id, t.c.amendment_id == amendment_id)
            )
        ).first()
        return amendment_from(row) if row is not None else None

    async def amendments(self, order_id: str, revisions: Collection[int]) -> dict[int, Amendment]:
        """The amendments that made these revisions of the order, by revision."""
        if not revisions:
            return {}
        t = orm.order_amendments
        rows = await self.session.execute(
            select(t).where(t.c.order_id == order_id, t.c.revision.in_(sorted(revisions)))
        )
        return {r.revision: amendment_from(r) for r in rows}

    async def revisions(self, order_id: str, *, after: int, limit: int) -> list[Revision]:
        """Up to `limit` of the revisions amendments replaced, after revision `after`, oldest
        first (the current one is the order)."""
        t = orm.order_revisions
        rows = await self.session.execute(
            select(t)
            .where(t.c.order_id == order_id, t.c.revision > after)
            .order_by(t.c.revision)
            .limit(limit)
        )
        return [revision_from(r) for r in rows]


def _history_rows(o: Order) -> list[tuple[Any, ...]]:
    """The rows of the order's new status history (taken: written once)."""
    rows = [(o.id, h.status.value, h.reason, h.reported_by, h.at) for h in o.new_history]
    o.new_history.clear()
    return rows


# --------------------------------------------------------------------------------- jobs
INSERT_LEASE_IF_ABSENT = RowsInsert(
    orm.job_leases,
    ("name", "holder", "expires_at"),
    on_conflict_do_nothing=("name",),
    returning=("name",),
)


class JobLeases(Repository):
    """Leases of the background jobs one replica at a time runs (`orm.job_leases`).

    A lease is taken by one conditional UPDATE (free: expired, or held by the taker already),
    or by an INSERT … ON CONFLICT DO NOTHING for a job never run: of two replicas taking it at
    once exactly one gets a row (PostgreSQL re-checks the UPDATE's condition on the row the
    other committed; SQLite runs writers one at a time).
    """

    async def take(self, name: str, holder: str, *, now: datetime, until: datetime) -> bool:
        """Hold job `name` until `until` if it is free or `holder`'s already; False when
        another holder's lease runs past `now`."""
        t = orm.job_leases
        result = await self.session.execute(
            update(t)
            .where(t.c.name == name, or_(t.c.holder == holder, t.c.expires_at <= now))
            .values(holder=holder, expires_at=until)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return True
        return bool(await INSERT_LEASE_IF_ABSENT.execute(self.session, [(name, holder, until)]))

    async def release(self, name: str, holder: str, *, now: datetime) -> None:
        """End `holder`'s lease of `name` (if it holds it): another replica may take it now."""
        t = orm.job_leases
        await self.session.execute(
            update(t).where(t.c.name == name, t.c.holder == holder).values(expires_at=now)
        )


# ---------------------------------------------------------------------------------- van
class VanRepository(VersionedRepository[Van]):
    """Vans, their stock and movements, loadings and unloadings."""

    table = orm_van.vans
    entity = "van"

    def to_row(self, aggregate: Van) -> dict[str, Any]:
        v = aggregate
        return {
            "id": v.id,
            "name": v.name,
            "van_seller_id": v.van_seller_id,
            "currency_code": v.currency_code,
            "version": v.version,
            "created_at": v.created_at,
            "distributor_id": v.distributor_id,
        }

    def from_row(self, row: Row[Any]) -> Van:
        return van_from(row)

    # -- stock ---------------------------------------------------------------------------
    async def stock(self, van_id: str, *, for_update: bool = False) -> dict[str, Decimal]:
        """The van's stock rows; `for_update` locks them (PostgreSQL) against concurrent sales."""
        t = orm_van.van_stock
        stmt = (
            select(t.c.product_id, t.c.quantity)
            .where(t.c.van_id == van_id)
            .order_by(t.c.product_id)
        )
        if for_update:
            stmt = stmt.with_for_update()
        rows = (await self.session.execute(stmt)).all()
        return {r.product_id: qty(r.quantity) for r in rows}

    async def put_in(self, van_id: str, product_id: str, quantity: Decimal) -> None:
        t = orm_van.van_stock
        result = await self.session.execute(
            update(t)
            .where(t.c.van_id == van_id, t.c.product_id == product_id)
            .values(quantity=t.c.quantity + quantity)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            # A concurrent first load of the same product hits the primary key; the caller's
            # idempotent write retries the whole unit of work, which then takes the UPDATE path.
            await self.session.execute(
                insert(t).values(van_id=van_id, product_id=product_id, quantity=quantity)
            )

    async def take_out(self, van_id: str, product_id: str, quantity: Decimal) -> bool:
        """Decrement only if the van holds enough; False (nothing changed) otherwise."""
        t = orm_van.van_stock
        result = await self.session.execute(
            update(t)
            .where(t.c.van_id == van_id, t.c.product_id == product_id, t.c.quantity >= quantity)
            .values(quantity=t.c.quantity - quantity)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def empty(self, van_id: str, product_ids: Iterable[str]) -> None:
        t = orm_van.van_stock
        ids = list(product_ids)
        for chunk in chunks(ids):
            await self.session.execute(
                update(t).where(t.c.van_id == van_id, t.c.product_id.in_(chunk)).values(quantity=0)
            )

    async def record(self, movements: Sequence[Movement], now: datetime) -> None:
        if not movements:
            return
        await self.session.execute(
            insert(orm_van.van_movements),
            [
                {
                    "van_id": m.van_id,
                    "document_id": m.document_id,
                    "kind": m.kind.value,
                    "product_id": m.product_id,
                    "quantity": m.quantity,
                    "date": m.on,
                    "discrepancy": m.discrepancy,
                    "created_at": now,
                }
                for m in movements
            ],
        )

    # -- loads ---------------------------------------------------------------------------
    async def find_load(self, load_id: str) -> VanLoad | None:
        t = orm_van.van_loads
        row = (await self.session.execute(select(t).where(t.c.id == load_id))).first()
        return load_from(row) if row else None

    async def add_load(self, load: VanLoad) -> None:
        await self.session.execute(
            insert(orm_van.van_loads).values(
                id=load.id,
                van_id=load.van_id,
                date=load.on,
                lines=[[pid, fmt(q)] for pid, q in load.lines],
                created_at=load.created_at,
            )
        )
        self.track(load)

    # -- unloadings ----------------------------------------------------------------------
    async def find_unloading(self, unloading_id: str) -> Unloading | None:
        t, lt = orm_van.van_unloadings, orm_van.van_unloading_lines
        row = (await self.session.execute(select(t).where(t.c.id == unloading_id))).first()
        if row is None:
            return None
        lines = (
            await self.session.execute(select(lt).where(lt.c.unloading_id == unloading_id))
        ).all()
        return unloading_from(row, lines)

    async def add_unloading(self, u: Unloading) -> None:
        await self.session.execute(
            insert(orm_van.van_unloadings).values(
                id=u.id,
                van_id=u.van_id,
                date=u.on,
                currency_code=u.currency_code,
                cash_expected=u.cash_expected,
                cash_handed_over=u.cash_handed_over,
                created_at=u.created_at,
            )
        )
        if u.lines:
            await self.session.execute(
                insert(orm_van.van_unloading_lines),
                [
                    {
                        "unloading_id": u.id,
                        "product_id": d.product_id,
                        "expected": d.expected,
                        "counted": d.counted,
                    }
                    for d in u.lines
                ],
            )
        self.track(u)

    async def day_cash(self, van_id: str, on: date) -> tuple[Decimal, Decimal]:
        """(cash collected by the van's sales on `on`, cash expected at earlier unloadings)."""
        o, u = orm.orders, orm_van.van_unloadings
        sales = (
            await self.session.execute(
                select(o.c.cash_collected).where(
                    o.c.kind == OrderKind.VAN_SALE.value,
                    o.c.warehouse_id == van_id,
                    o.c.order_date == on,
                )
            )
        ).scalars()
        earlier = (
            await self.session.execute(
                select(u.c.cash_expected).where(u.c.van_id == van_id, u.c.date == on)
            )
        ).scalars()
        return (
            sum((money_value(x) for x in sales), ZERO),
            sum((money_value(x) for x in earlier), ZERO),
        )


# ------------------------------------------------------------------------------ returns
class ReturnRepository(Repository):
    """Goods returns (never changed once accepted)."""

    async def find(self, return_id: str) -> GoodsReturn | None:
        t, lt = orm_van.goods_returns, orm_van.goods_return_lines
        row = (await self.session.execute(select(t).where(t.c.id == return_id))).first()
        if row is None:
            return None
        lines = (await self.session.execute(select(lt).where(lt.c.return_id == return_id))).all()
        return goods_return_from(row, lines)

    async def returned_against(self, order_id: str) -> dict[str, Decimal]:
        """Base units per product already returned against the sale `order_id`."""
        t, lt = orm_van.goods_returns, orm_van.goods_return_lines
        rows = (
            await self.session.execute(
                select(lt.c.product_id, lt.c.base_quantity)
                .select_from(lt.join(t, and_(t.c.id == lt.c.return_id)))
                .where(t.c.order_id == order_id)
            )
        ).all()
        out: dict[str, Decimal] = {}
        for r in rows:
            out[r.product_id] = out.get(r.product_id, ZERO) + qty(r.base_quantity)
        return out

    async def add(self, r: GoodsReturn) -> None:
        await self.session.execute(
            insert(orm_van.goods_returns).values(
                id=r.id,
                van_id=r.van_id,
                client_id=r.client_id,
                outlet_id=r.outlet_id,
                order_id=r.order_id,
                date=r.on,
                currency_code=r.currency_code,
                gross_total=r.gross_total,
                containers=[{"container_type": t, "quantity": fmt(q)} for t, q in r.containers],
                actor_id=r.actor_id,
                created_at=r.created_at,
                visit_id=r.visit_id,
            )
        )
        if r.lines:
            await self.session.execute(
                insert(orm_van.goods_return_lines),
                [
                    {
                        "return_id": r.id,
                        "line_no": ln.line_no,
                        "product_id": ln.product_id,
                        "unit": ln.unit,
                        "quantity": ln.quantity,
                        "base_quantity": ln.base_quantity,
                        "unit_price": ln.unit_price,
                        "gross_amount": ln.gross_amount,
                        "reason": ln.reason,
                    }
                    for ln in r.lines
                ],
            )
        _touched(self, r.visit_id)
        self.track(r)
