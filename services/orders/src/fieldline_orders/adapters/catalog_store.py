"""Catalog persistence: records keyed by the ERP's external ids, and the price book of an order.

The catalog arrives as bulk upserts (service_layer/catalog.py): each kind of record has a
repository that finds records by external id (`by_external_id`), tells which ids are taken
(`ids_taken`) and adds or updates them. Every kind is versioned (`VersionedRepository`: an
update writes the next version `WHERE version = <loaded>`, and a miss is ABORTED), client
prices and price types too (`CatalogStore.put_client_price`, `put_client_price_type`), so two
concurrent upserts of one record cannot both publish the same version. Every write of groups,
products, price types or price lists also bumps the catalog generation
(`CatalogStore.bump_generation`, see catalog_cache.py) in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    Date,
    Row,
    Select,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import BindParameter

from fieldline_kit.errors import Conflict
from fieldline_kit.repository import Repository, VersionedRepository, dialect_insert
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.catalog_cache import BUMP
from fieldline_orders.adapters.rows import (
    chunks,
    client_price_from,
    client_price_values,
    discount_from,
    discount_values,
    distributor_price_type_from,
    group_from,
    group_values,
    money_value,
    price_list_header,
    price_type_from,
    price_type_values,
    product_from,
    product_values,
    qty,
    warehouse_from,
    warehouse_values,
)
from fieldline_orders.domain import events
from fieldline_orders.domain.catalog import (
    ClientPrice,
    ClientPriceType,
    Discount,
    DistributorPriceType,
    PriceList,
    PriceListMerge,
    PriceType,
    Product,
    ProductGroup,
    StockLevel,
    Warehouse,
)
from fieldline_orders.domain.pricing import PriceBook
from fieldline_orders.domain.values import ZERO


class Keyed(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def external_id(self) -> str: ...

    @property
    def version(self) -> int: ...


T = TypeVar("T", bound=Keyed)


async def rows_by(
    session: AsyncSession, table: Table, column: str, keys: Iterable[str]
) -> dict[str, Row[Any]]:
    """Rows whose `column` is one of `keys`, keyed by that column."""
    wanted = sorted(set(keys))
    out: dict[str, Row[Any]] = {}
    col = table.c[column]
    for chunk in chunks(wanted):
        for row in (await session.execute(select(table).where(col.in_(chunk)))).all():
            out[getattr(row, column)] = row
    return out


async def ids_taken(session: AsyncSession, table: Table, ids: Iterable[str]) -> dict[str, str]:
    """id → external id of the rows that have one of `ids`."""
    wanted = sorted({i for i in ids if i})
    out: dict[str, str] = {}
    for chunk in chunks(wanted):
        rows = await session.execute(
            select(table.c.id, table.c.external_id).where(table.c.id.in_(chunk))
        )
        out.update({r.id: r.external_id for r in rows})
    return out


class CatalogRecords(VersionedRepository[T]):
    """One kind of catalog record, found by external id; an update is its next version."""

    entity = "record"

    async def by_external_id(self, external_ids: Iterable[str]) -> dict[str, T]:
        """The records with these external ids, remembered for `update`."""
        rows = await rows_by(self.session, self.table, "external_id", external_ids)
        return {ext: self.loaded(self.from_row(row)) for ext, row in rows.items()}

    async def ids_taken(self, ids: Iterable[str]) -> dict[str, str]:
        return await ids_taken(self.session, self.table, ids)

    async def existing(self, ids: Iterable[str]) -> set[str]:
        return set(await self.ids_taken(ids))

    async def update(self, record: T) -> None:
        """Write the record's next version (`Versioned.next_version_of` the one loaded)."""
        await self.save(record)


class GroupRepository(CatalogRecords[ProductGroup]):
    table = orm.product_groups
    entity = "product group"

    def to_row(self, record: ProductGroup) -> dict[str, Any]:
        return group_values(record)

    def from_row(self, row: Row[Any]) -> ProductGroup:
        return group_from(row)

    async def parents(self) -> dict[str, str]:
        """group id → parent id ("" at the top) of every group."""
        t = self.table
        rows = await self.session.execute(select(t.c.id, t.c.parent_id))
        return {r.id: r.parent_id for r in rows}


class PriceTypeRepository(CatalogRecords[PriceType]):
    table = orm.price_types
    entity = "price type"

    def to_row(self, record: PriceType) -> dict[str, Any]:
        return price_type_values(record)

    def from_row(self, row: Row[Any]) -> PriceType:
        return price_type_from(row, row.version)

    async def by_id(self, ids: Iterable[str]) -> dict[str, PriceType]:
        rows = await rows_by(self.session, self.table, "id", ids)
        return {k: self.from_row(r) for k, r in rows.items()}


class DiscountRepository(CatalogRecords[Discount]):
    table = orm.discounts
    entity = "discount"

    def to_row(self, record: Discount) -> dict[str, Any]:
        return discount_values(record)

    def from_row(self, row: Row[Any]) -> Discount:
        return discount_from(row, row.version)


class WarehouseRepository(CatalogRecords[Warehouse]):
    """Warehouses, the company's (`distributor_id` "") and distributors'."""

    table = orm.warehouses
    entity = "warehouse"

    def to_row(self, record: Warehouse) -> dict[str, Any]:
        return warehouse_values(record)

    def from_row(self, row: Row[Any]) -> Warehouse:
        return warehouse_from(row)

    async def owners(self, ids: Iterable[str]) -> dict[str, str]:
        """Of `ids`, the registered warehouses' owners (see `warehouse_owners`)."""
        return await warehouse_owners(self.session, ids)


async def warehouse_owners(
    session: AsyncSession | AsyncConnection, ids: Iterable[str]
) -> dict[str, str]:
    """warehouse id → its owner (a distributor's id, "" = the company's), of those of `ids`
    that are registered: one statement per 500 ids (a batch of orders names fewer)."""
    t = orm.warehouses
    out: dict[str, str] = {}
    for chunk in chunks(sorted({i for i in ids if i})):
        rows = await session.execute(select(t.c.id, t.c.distributor_id).where(t.c.id.in_(chunk)))
        out.update({r.id: r.distributor_id for r in rows})
    return out


# The entries of one list for some products (`ids`), each found through the primary key.
# SQLite's planner always searches the key by both columns. PostgreSQL's, with `product_id IN
# (…)`, may scan the list's whole key range and filter (it does while the table's statistics
# are stale, as during the first import of a large list: 100,000 rows read for 500 wanted), so
# there each product is probed by a correlated subquery over the array (an index scan per
# product whatever the statistics; a product the list lacks comes with a NULL price).
_WANTED = (
    func.unnest(bindparam("ids", type_=postgresql.ARRAY(String())))
    .table_valued("product_id")
    .render_derived(name="wanted")
)
ENTRIES_PROBED = select(
    _WANTED.c.product_id,
    select(orm.price_list_entries.c.price)
    .where(
        orm.price_list_entries.c.price_list_id == bindparam("list_id"),
        orm.price_list_entries.c.product_id == _WANTED.c.product_id,
    )
    .scalar_subquery()
    .label("price"),
)
ENTRIES_NAMED = select(orm.price_list_entries.c.product_id, orm.price_list_entries.c.price).where(
    orm.price_list_entries.c.price_list_id == bindparam("list_id"),
    orm.price_list_entries.c.product_id.in_(bindparam("ids", expanding=True)),
)
# One entry by its key (executed for many: no planner choice on either database).
ENTRY_DELETE = delete(orm.price_list_entries).where(
    orm.price_list_entries.c.price_list_id == bindparam("list_id"),
    orm.price_list_entries.c.product_id == bindparam("pid"),
)


class PriceListRepository(CatalogRecords[PriceList]):
    """Price lists with their entries and entry counts (`price_lists.entry_count`, written with
    the entries). A replace (`by_external_id`, `update`) reads and rewrites a list's entries; a
    merge reads the header (`headers_by_external_id`, `entry_counts`) and the entries of the
    products it names (`entries_of`), and writes only those (`merge`): a batch of 500 into a
    list of 100,000 touches 500 rows of price_list_entries, by their primary key."""

    table = orm.price_lists
    entity = "price list"

    def to_row(self, record: PriceList) -> dict[str, Any]:
        """The header of a list with all its entries (a merge writes its own count)."""
        return {
            "id": record.id,
            "external_id": record.external_id,
            "price_type_id": record.price_type_id,
            "valid_from": record.valid_from,
            "valid_to": record.valid_to,
            "version": record.version,
            "entry_count": len(record.entries),
        }

    async def by_external_id(self, external_ids: Iterable[str]) -> dict[str, PriceList]:
        """The lists with these external ids and all their entries, remembered for `update`."""
        rows = await rows_by(self.session, self.table, "external_id", external_ids)
        e = orm.price_list_entries
        entries: dict[str, dict[str, Decimal]] = {r.id: {} for r in rows.values()}
        for chunk in chunks(list(entries)):
            found = await self.session.execute(
                select(e.c.price_list_id, e.c.product_id, e.c.price).where(
                    e.c.price_list_id.in_(chunk)
                )
            )
            for r in found:
                entries[r.price_list_id][r.product_id] = money_value(r.price)
        return {
            ext: self.loaded(price_list_header(row, entries[row.id])) for ext, row in rows.items()
        }

    async def headers_by_external_id(self, external_ids: Iterable[str]) -> dict[str, PriceList]:
        """The lists with these external ids without their entries, remembered for `merge`."""
        rows = await rows_by(self.session, self.table, "external_id", external_ids)
        return {ext: self.loaded(price_list_header(row, {})) for ext, row in rows.items()}

    async def entry_counts(self, ids: Iterable[str]) -> dict[str, int]:
        """How many entries each of these lists holds (their `entry_count`, no counting)."""
        t = self.table
        out: dict[str, int] = {}
        for chunk in chunks(sorted(set(ids))):
            rows = await self.session.execute(
                select(t.c.id, t.c.entry_count).where(t.c.id.in_(chunk))
            )
            out.update({r.id: r.entry_count for r in rows})
        return out

    async def entries_of(
        self, price_list_id: str, product_ids: Iterable[str]
    ) -> dict[str, Decimal]:
        """The list's entries of these products (those it holds), each looked up by the
        primary key (price_list_id, product_id): one statement per 500 products."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        statement = ENTRIES_PROBED if postgres else ENTRIES_NAMED
        out: dict[str, Decimal] = {}
        for chunk in chunks(sorted(set(product_ids))):
            rows = await self.session.execute(
                statement, {"list_id": price_list_id, "ids": list(chunk)}
            )
            out.update({r.product_id: money_value(r.price) for r in rows if r.price is not None})
        return out

    async def add(self, record: PriceList) -> None:
        await super().add(record)
        await self._put_entries(record)

    async def add_many(self, records: Sequence[PriceList]) -> None:
        """`add` of each: the headers in one INSERT, then all their entries."""
        await self.insert_many(records)
        for record in records:
            await self._put_entries(record)

    async def update(self, record: PriceList) -> None:
        """A replace: the header's next version, and the list's entries rewritten whole."""
        await self.save(record)
        e = orm.price_list_entries
        await self.session.execute(delete(e).where(e.c.price_list_id == record.id))
        await self._put_entries(record)

    async def merge(self, merge: PriceListMerge) -> None:
        """Write a merge into a list loaded by `headers_by_external_id`: first the header's next
        version with the new entry count, `WHERE version = <loaded>` (a concurrent writer of
        the list that committed first makes it ABORTED; one still open waits for this one), then
        the entries it drops deleted and those it adds or reprices upserted, by key. No other
        entry is read or written."""
        pl, e = merge.price_list, orm.price_list_entries
        # Not the id: SQLite checks the foreign keys of every entry of a list whose id is set,
        # even to itself (all 100,000 of them).
        values = {k: v for k, v in self.to_row(pl).items() if k != "id"}
        values["entry_count"] = merge.entry_count
        if await self.update_row(pl, values):
            self.saved(pl)
        if merge.changes.removed:  # one primary-key lookup each (executemany)
            await self.session.execute(
                ENTRY_DELETE, [{"list_id": pl.id, "pid": pid} for pid in merge.changes.removed]
            )
        rows = [
            {"price_list_id": pl.id, "product_id": pid, "price": price}
            for pid, price in merge.changes.changed.items()
        ]
        if rows:
            stmt = dialect_insert(self.session, e)
            stmt = stmt.on_conflict_do_update(
                index_elements=[e.c.price_list_id, e.c.product_id],
                set_={"price": stmt.excluded.price},
            )
            for chunk in chunks(rows):
                await self.session.execute(stmt, list(chunk))

    async def _put_entries(self, pl: PriceList) -> None:
        entries = [
            {"price_list_id": pl.id, "product_id": pid, "price": price}
            for pid, price in pl.entries.items()
        ]
        for chunk in chunks(entries):
            await self.session.execute(insert(orm.price_list_entries), list(chunk))


class ProductRepository(CatalogRecords[Product]):
    table = orm.products
    entity = "product"

    def to_row(self, aggregate: Product) -> dict[str, Any]:
        return product_values(aggregate)

    def from_row(self, row: Row[Any]) -> Product:
        return product_from(row)

    async def by_id(self, ids: Iterable[str]) -> dict[str, Product]:
        rows = await rows_by(self.session, self.table, "id", ids)
        return {k: product_from(r) for k, r in rows.items()}


class CatalogStore(Repository):
    """The rest of the catalog: client prices and price types, stock, price books, generation,
    and the announcements of the catalog's changes."""

    async def bump_generation(self) -> None:
        """Mark the cached catalog of every process stale (see catalog_cache.py)."""
        await self.session.execute(BUMP)

    def announce(self, *changes: events.Event) -> None:
        """Publish `changes` with this transaction (outbox rows written at its commit)."""
        if changes:
            self.track(events.Announcement(list(changes)))

    async def client_price_type(self, client_id: str) -> ClientPriceType | None:
        t = orm.client_price_types
        row = (await self.session.execute(select(t).where(t.c.client_id == client_id))).first()
        return ClientPriceType(row.client_id, row.price_type_id, row.version) if row else None

    async def put_client_price_type(
        self, setting: ClientPriceType, current: ClientPriceType | None
    ) -> None:
        """Store `setting`, the next version of `current` (None: the client has none yet)."""
        await self._put_setting(
            orm.client_price_types,
            {"client_id": setting.client_id},
            setting.price_type_id,
            setting.version,
            current.version if current is not None else None,
            f"the price type of client {setting.client_id}",
        )

    async def distributor_price_type(
        self, distributor_id: str, client_id: str
    ) -> DistributorPriceType | None:
        t = orm.distributor_price_types
        row = (
            await self.session.execute(
                select(t).where(t.c.distributor_id == distributor_id, t.c.client_id == client_id)
            )
        ).first()
        return distributor_price_type_from(row) if row else None

    async def put_distributor_price_type(
        self, setting: DistributorPriceType, current: DistributorPriceType | None
    ) -> None:
        """Store `setting`, the next version of `current` (None: none yet)."""
        await self._put_setting(
            orm.distributor_price_types,
            {"distributor_id": setting.distributor_id, "client_id": setting.client_id},
            setting.price_type_id,
            setting.version,
            current.version if current is not None else None,
            f"the price type of distributor {setting.distributor_id} for client "
            f"{setting.client_id or '(default)'}",
        )

    async def _put_setting(
        self,
        table: Table,
        key: Mapping[str, str],
        price_type_id: str,
        version: int,
        current: int | None,
        what: str,
    ) -> None:
        """A price type setting (a client's, a distributor's) at `version`: inserted when there
        is none (`current` None), else updated from version `current` (a concurrent change
        in between: ABORTED)."""
        if current is None:
            await self.session.execute(
                insert(table).values(**key, price_type_id=price_type_id, version=version)
            )
            return
        result = await self.session.execute(
            update(table)
            .where(*(table.c[k] == v for k, v in key.items()), table.c.version == current)
            .values(price_type_id=price_type_id, version=version)
        )
        _written_once(result, what)

    async def set_client_price_types(self, price_types: Mapping[str, str]) -> None:
        """The price types of many clients (client id → price type id) in one statement, each
        a version newer when it changes (the bulk load's; it announces nothing)."""
        if not price_types:
            return
        t = orm.client_price_types
        dialect = self.session.get_bind().dialect.name
        stmt: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.client_id],
            set_={"price_type_id": stmt.excluded.price_type_id, "version": t.c.version + 1},
            where=t.c.price_type_id != stmt.excluded.price_type_id,
        )
        rows = [{"client_id": c, "price_type_id": p, "version": 1} for c, p in price_types.items()]
        await self.session.execute(stmt, rows)

    async def client_prices_at(
        self, keys: Iterable[tuple[str, str, date]]
    ) -> dict[tuple[str, str, date], ClientPrice]:
        """The stored prices of these (client id, product id, valid_from) keys (the primary
        key's columns: one statement per 500)."""
        t = orm.client_prices
        key = tuple_(t.c.client_id, t.c.product_id, t.c.valid_from)
        out: dict[tuple[str, str, date], ClientPrice] = {}
        for chunk in chunks(sorted(set(keys))):
            for r in await self.session.execute(select(t).where(key.in_(list(chunk)))):
                cp = client_price_from(r, r.version)
                out[cp.key] = cp
        return out

    async def put_client_price(self, cp: ClientPrice, current: ClientPrice | None) -> None:
        """Store `cp`, the next version of `current` (None: a new price)."""
        t = orm.client_prices
        if current is None:
            await self.session.execute(insert(t).values(**client_price_values(cp)))
            return
        result = await self.session.execute(
            update(t)
            .where(
                t.c.client_id == cp.client_id,
                t.c.product_id == cp.product_id,
                t.c.valid_from == cp.valid_from,
                t.c.version == current.version,
            )
            .values(
                valid_to=cp.valid_to,
                price=cp.price,
                currency_code=cp.currency_code,
                version=cp.version,
            )
        )
        _written_once(result, f"the price of product {cp.product_id} for client {cp.client_id}")

    async def stock_at(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Decimal]:
        """The stored quantities of these (warehouse id, product id) keys (those stored), each
        looked up by the primary key: one statement per 500 keys."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        out: dict[tuple[str, str], Decimal] = {}
        for chunk in chunks(sorted(set(keys))):
            if postgres:
                params = {"ws": [w for w, _ in chunk], "ps": [p for _, p in chunk]}
                rows = await self.session.execute(STOCK_PROBED, params)
            else:
                keys_json = json.dumps([list(key) for key in chunk])
                rows = await self.session.execute(STOCK_LISTED, {"keys": keys_json})
            out.update(
                {
                    (r.warehouse_id, r.product_id): qty(r.quantity)
                    for r in rows
                    if r.quantity is not None
                }
            )
        return out

    async def put_stock_levels(
        self, added: Sequence[StockLevel], changed: Sequence[StockLevel]
    ) -> None:
        """Store stock levels: `added` (keys not stored yet) in one INSERT, `changed` (stored
        with another quantity) in one UPDATE by key, each executed for all its rows.

        A level stored by a concurrent writer between `stock_at` and this INSERT is
        overwritten (ON CONFLICT … DO UPDATE): levels carry no version, the last writer wins,
        as it does for the changed ones (and for the entries of a merged price list).
        """
        t = orm.stock_levels
        if added:
            stmt = dialect_insert(self.session, t)
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.c.warehouse_id, t.c.product_id],
                set_={"quantity": stmt.excluded.quantity},
            )
            rows = [
                {"warehouse_id": s.warehouse_id, "product_id": s.product_id, "quantity": s.quantity}
                for s in sorted(added, key=_stock_key)
            ]
            await self.session.execute(stmt, rows)
        if changed:
            params = [
                {"w": s.warehouse_id, "p": s.product_id, "q": s.quantity}
                for s in sorted(changed, key=_stock_key)
            ]
            await self.session.execute(STOCK_UPDATE, params)

    async def stock_totals(
        self, product_ids: Iterable[str], distributor_id: str = ""
    ) -> dict[str, Decimal]:
        """Base units per product (a hint for availability) over the owner's warehouses: a
        distributor's registered ones; the company's, every warehouse no distributor owns
        (registered to the company, or not registered at all: stock the ERP sent before
        warehouses were)."""
        t, w = orm.stock_levels, orm.warehouses
        whose = (
            t.c.warehouse_id.in_(select(w.c.id).where(w.c.distributor_id == distributor_id))
            if distributor_id
            else t.c.warehouse_id.not_in(select(w.c.id).where(w.c.distributor_id != ""))
        )
        out: dict[str, Decimal] = {}
        for chunk in chunks(sorted(set(product_ids))):
            rows = await self.session.execute(
                select(t.c.product_id, t.c.quantity).where(t.c.product_id.in_(chunk), whose)
            )
            for r in rows:
                out[r.product_id] = out.get(r.product_id, ZERO) + qty(r.quantity)
        return out

    async def price_book(
        self,
        client_id: str,
        on: date,
        product_ids: Sequence[str] | None,
        distributor_id: str = "",
    ) -> PriceBook:
        """What pricing `product_ids` (None: every active product) for a client on a date needs
        (for an order placed for `distributor_id`: its prices, when it has a price type)."""
        return await load_price_book(self.session, client_id, on, product_ids, distributor_id)


def _stock_key(s: StockLevel) -> tuple[str, str]:
    # Rows written in key order: two concurrent batches lock their common rows in the same
    # order (PostgreSQL), so one waits for the other instead of both deadlocking.
    return (s.warehouse_id, s.product_id)


# Stock levels by key. On PostgreSQL each key is probed by a correlated subquery over the
# arrays (an index scan per key whatever the table's statistics, as for ENTRIES_PROBED: a
# first import grows the table from nothing); a key not stored comes with a NULL quantity.
_WANTED_STOCK = (
    func.unnest(
        bindparam("ws", type_=postgresql.ARRAY(String())),
        bindparam("ps", type_=postgresql.ARRAY(String())),
    )
    .table_valued("warehouse_id", "product_id")
    .render_derived(name="wanted")
)
STOCK_PROBED = select(
    _WANTED_STOCK.c.warehouse_id,
    _WANTED_STOCK.c.product_id,
    select(orm.stock_levels.c.quantity)
    .where(
        orm.stock_levels.c.warehouse_id == _WANTED_STOCK.c.warehouse_id,
        orm.stock_levels.c.product_id == _WANTED_STOCK.c.product_id,
    )
    .scalar_subquery()
    .label("quantity"),
)
# The same for SQLite, the keys as one JSON array of [warehouse id, product id] pairs
# (`json_each`): one statement whatever their number, each key found through the primary key.
# (SQLite 3.40 scans the whole table for `(warehouse_id, product_id) IN (…)`: row values in a
# list use no index; a VALUES list of the keys would be compiled anew for every batch.)
_PAIRS = func.json_each(bindparam("keys", type_=String())).table_valued("value").alias("wanted")
_PAIR_WAREHOUSE = func.json_extract(_PAIRS.c.value, literal_column("'$[0]'"), type_=String())
_PAIR_PRODUCT = func.json_extract(_PAIRS.c.value, literal_column("'$[1]'"), type_=String())
STOCK_LISTED = select(
    _PAIR_WAREHOUSE.label("warehouse_id"),
    _PAIR_PRODUCT.label("product_id"),
    select(orm.stock_levels.c.quantity)
    .where(
        orm.stock_levels.c.warehouse_id == _PAIR_WAREHOUSE,
        orm.stock_levels.c.product_id == _PAIR_PRODUCT,
    )
    .scalar_subquery()
    .label("quantity"),
)

# One level's new quantity by its key (executed for many).
STOCK_UPDATE = (
    update(orm.stock_levels)
    .where(
        orm.stock_levels.c.warehouse_id == bindparam("w"),
        orm.stock_levels.c.product_id == bindparam("p"),
    )
    .values(quantity=bindparam("q", type_=orm.stock_levels.c.quantity.type))
)


def _written_once(result: Any, what: str) -> None:
    """An update of a row at the version read must hit it; else another writer came first."""
    if result.rowcount != 1:
        raise Conflict(f"{what} was changed concurrently; reload and retry")


# ---------------------------------------------------------------------------- price book
def _valid(table: Table, on: Any) -> Any:
    return (table.c.valid_from <= on) & (or_(table.c.valid_to.is_(None), table.c.valid_to >= on))


# The statements of a price book, built once (their compiled form stays in SQLAlchemy's
# cache); `ids` are product ids, at most `chunks()`'s size per execution.
_ON = bindparam("on", type_=Date())
_IDS: BindParameter[str] = bindparam("ids", expanding=True)
_CLIENTS: BindParameter[str] = bindparam("clients", expanding=True)

PRODUCTS_BY_ID = select(orm.products).where(orm.products.c.id.in_(_IDS))
# The price type of each client.
CLIENT_PRICE_TYPES = (
    select(orm.client_price_types.c.client_id, orm.price_types)
    .join(orm.price_types, orm.price_types.c.id == orm.client_price_types.c.price_type_id)
    .where(orm.client_price_types.c.client_id.in_(_CLIENTS))
)
# A distributor's price types for `clients` ("" among them: its default).
DISTRIBUTOR_PRICE_TYPES = (
    select(orm.distributor_price_types.c.client_id, orm.price_types)
    .join(orm.price_types, orm.price_types.c.id == orm.distributor_price_types.c.price_type_id)
    .where(
        orm.distributor_price_types.c.distributor_id == bindparam("distributor"),
        orm.distributor_price_types.c.client_id.in_(_CLIENTS),
    )
)


def _price_lists_statement(all_entries: bool = False) -> Select[Any]:
    """The lists of the price types `types` valid on the date, with their entries for `ids`
    (`all_entries`: all of them).

    One row per (list, entry); a list that prices none of the products comes once with NULL
    entry columns.
    """
    pl, e = orm.price_lists, orm.price_list_entries
    joined = e.c.price_list_id == pl.c.id
    return (
        select(
            pl.c.id,
            pl.c.price_type_id,
            pl.c.external_id,
            pl.c.valid_from,
            pl.c.valid_to,
            e.c.product_id,
            e.c.price,
        )
        .select_from(
            pl.outerjoin(e, joined if all_entries else and_(joined, e.c.product_id.in_(_IDS)))
        )
        .where(pl.c.price_type_id.in_(bindparam("types", expanding=True)), _valid(pl, _ON))
    )


PRICE_LISTS = _price_lists_statement()
ALL_PRICE_LISTS = _price_lists_statement(all_entries=True)
LIST_ENTRIES = select(
    orm.price_list_entries.c.price_list_id,
    orm.price_list_entries.c.product_id,
    orm.price_list_entries.c.price,
).where(
    orm.price_list_entries.c.price_list_id.in_(bindparam("list_ids", expanding=True)),
    orm.price_list_entries.c.product_id.in_(_IDS),
)
CLIENT_PRICES = select(orm.client_prices).where(
    orm.client_prices.c.client_id.in_(_CLIENTS),
    orm.client_prices.c.product_id.in_(_IDS),
    _valid(orm.client_prices, _ON),
)
# The discounts of `clients` ("" among them: every client's) of one owner: the company ("")
# or a distributor.
DISCOUNTS = select(orm.discounts).where(
    orm.discounts.c.client_id.in_(_CLIENTS),
    orm.discounts.c.distributor_id == bindparam("distributor"),
    _valid(orm.discounts, _ON),
)


def _ancestry_statement() -> Select[Any]:
    """The groups `ids` and all their ancestors (id, parent_id), in one recursive query."""
    g = orm.product_groups
    up = select(g.c.id, g.c.parent_id).where(g.c.id.in_(_IDS)).cte("ancestry", recursive=True)
    # UNION (not UNION ALL) drops rows already found, so even a cycle ends the recursion.
    up = up.union(select(g.c.id, g.c.parent_id).where(g.c.id == up.c.parent_id))
    return select(up.c.id, up.c.parent_id)


GROUP_ANCESTRY = _ancestry_statement()


async def load_price_book(
    session: AsyncSession,
    client_id: str,
    on: date,
    product_ids: Sequence[str] | None,
    distributor_id: str = "",
) -> PriceBook:
    """What pricing `product_ids` (None: every active product) for a client on a date needs."""
    books = await load_price_books(session, [(client_id, on)], product_ids, distributor_id)
    return books[(client_id, on)]


async def load_price_books(
    session: AsyncSession,
    wants: Sequence[tuple[str, date]],
    product_ids: Sequence[str] | None,
    distributor_id: str = "",
) -> dict[tuple[str, date], PriceBook]:
    """The price books of several (client, date) pairs for `product_ids` (None: all active),
    of orders placed for `distributor_id` ("": the company's).

    A fixed number of statements whatever the number of clients (a batch of orders pays them
    once), for up to 500 products and one date: the products; the clients' price types; the
    lists of those types valid on the date with their entries for the products; the clients'
    own prices; the discounts (the clients' and the company-wide ones); the ancestry of the
    products' groups (none when they have no group). Each further date costs four more, larger
    product sets are read in chunks. Every book shares the same `products` (those found of
    `product_ids`): pricing looks up only the products its lines name.

    A batch of SubmitOrder calls reads its price books otherwise: in one statement, with the
    catalog cache (adapters/submit_reads.py).

    A distributor that has a price type for a client (its own for the client, else its
    default) prices that client's orders from it, with the distributor's discounts and none of
    the company's client prices or discounts (two more statements); without one, the client's
    orders price as the company's.
    """
    products, parents, id_chunks = await _products_and_ancestry(session, product_ids)
    books: dict[tuple[str, date], PriceBook] = {}
    for on, wanted in _clients_by_date(wants).items():
        theirs = await _distributor_price_types(session, distributor_id, wanted)
        if theirs:
            books.update(
                await _distributor_books(
                    session, distributor_id, on, theirs, products, parents, id_chunks
                )
            )
        clients = [c for c in wanted if c not in theirs]
        if not clients:
            continue
        price_types = await _client_price_types(session, clients)
        lists = await price_lists_on(session, {t.id for t in price_types.values()}, on, id_chunks)
        books.update(
            await _client_books(
                session,
                on,
                clients,
                price_types,
                lists,
                products,
                parents,
                id_chunks if products else [],
            )
        )
    return books


async def load_distributor_books(
    session: AsyncSession,
    distributor_id: str,
    wants: Sequence[tuple[str, date]],
    product_ids: Sequence[str],
) -> dict[tuple[str, date], PriceBook]:
    """The books of those (client, date) pairs of `wants` the distributor has a price type
    for (its prices and discounts, as `load_price_books`); the others are left out (their
    orders price as the company's)."""
    books: dict[tuple[str, date], PriceBook] = {}
    for on, wanted in _clients_by_date(wants).items():
        theirs = await _distributor_price_types(session, distributor_id, wanted)
        if not theirs:
            continue
        if not books:  # read once, and only when some book is the distributor's
            products, parents, id_chunks = await _products_and_ancestry(session, product_ids)
        books.update(
            await _distributor_books(
                session, distributor_id, on, theirs, products, parents, id_chunks
            )
        )
    return books


async def _products_and_ancestry(
    session: AsyncSession, product_ids: Sequence[str] | None
) -> tuple[dict[str, Product], dict[str, str], list[list[str]]]:
    """The products (None: every active one), their groups' ancestry, the ids in chunks."""
    if product_ids is None:
        p = orm.products
        rows = (await session.execute(select(p).where(p.c.active.is_(True)))).all()
        products = {r.id: product_from(r) for r in rows}
    else:
        products = {}
        for chunk in chunks(sorted(set(product_ids))):
            for r in (await session.execute(PRODUCTS_BY_ID, {"ids": list(chunk)})).all():
                products[r.id] = product_from(r)
    id_chunks = [list(c) for c in chunks(list(products))] or [[]]
    parents: dict[str, str] = {}
    groups = sorted({prod.group_id for prod in products.values() if prod.group_id})
    for chunk in chunks(groups):
        rows = (await session.execute(GROUP_ANCESTRY, {"ids": list(chunk)})).all()
        parents.update({r.id: r.parent_id for r in rows})
    return products, parents, id_chunks


def _clients_by_date(wants: Sequence[tuple[str, date]]) -> dict[date, list[str]]:
    clients_on: dict[date, list[str]] = {}
    for client_id, on in wants:
        if client_id not in clients_on.setdefault(on, []):
            clients_on[on].append(client_id)
    return clients_on


async def _client_price_types(session: AsyncSession, clients: list[str]) -> dict[str, PriceType]:
    rows = await session.execute(CLIENT_PRICE_TYPES, {"clients": clients})
    return {r.client_id: price_type_from(r) for r in rows.all()}


async def _distributor_price_types(
    session: AsyncSession, distributor_id: str, clients: list[str]
) -> dict[str, PriceType]:
    """The distributor's price type for each of `clients` that has one: its own for the
    client, else the distributor's default ("" client); none for the company ("")."""
    if not distributor_id:
        return {}
    params = {"distributor": distributor_id, "clients": [*clients, ""]}
    found = {
        r.client_id: price_type_from(r)
        for r in await session.execute(DISTRIBUTOR_PRICE_TYPES, params)
    }
    default = found.get("")
    return {c: t for c in clients if (t := found.get(c, default)) is not None}


async def _distributor_books(
    session: AsyncSession,
    distributor_id: str,
    on: date,
    price_types: dict[str, PriceType],
    products: dict[str, Product],
    parents: dict[str, str],
    id_chunks: list[list[str]],
) -> dict[tuple[str, date], PriceBook]:
    """The books of the clients of a distributor's orders on `on`: its price types' lists,
    its discounts."""
    lists = await price_lists_on(session, {t.id for t in price_types.values()}, on, id_chunks)
    discounts: dict[str, list[Discount]] = {}
    params = {"clients": [*price_types, ""], "on": on, "distributor": distributor_id}
    for r in (await session.execute(DISCOUNTS, params)).all():
        discounts.setdefault(r.client_id, []).append(discount_from(r))
    everyone = discounts.get("", [])
    return {
        (client_id, on): PriceBook(
            client_id=client_id,
            on=on,
            price_type=price_type,
            products=products,
            client_prices=[],
            price_lists=lists.get(price_type.id, []),
            discounts=[*discounts.get(client_id, []), *everyone],
            group_parents=parents,
        )
        for client_id, price_type in price_types.items()
    }


async def _client_books(
    session: AsyncSession,
    on: date,
    clients: list[str],
    price_types: dict[str, PriceType],
    lists: dict[str, list[PriceList]],
    products: dict[str, Product],
    parents: dict[str, str],
    id_chunks: list[list[str]],
) -> dict[tuple[str, date], PriceBook]:
    """The books of `clients` on `on`: their own prices and discounts read here."""
    client_prices: dict[str, list[ClientPrice]] = {}
    for chunk in id_chunks:
        params = {"clients": clients, "ids": chunk, "on": on}
        for r in (await session.execute(CLIENT_PRICES, params)).all():
            client_prices.setdefault(r.client_id, []).append(client_price_from(r))
    discounts: dict[str, list[Discount]] = {}
    params = {"clients": [*clients, ""], "on": on, "distributor": ""}
    for r in (await session.execute(DISCOUNTS, params)).all():
        discounts.setdefault(r.client_id, []).append(discount_from(r))
    company = discounts.get("", [])
    books = {}
    for client_id in clients:
        price_type = price_types.get(client_id)
        books[(client_id, on)] = PriceBook(
            client_id=client_id,
            on=on,
            price_type=price_type,
            products=products,
            client_prices=client_prices.get(client_id, []),
            price_lists=lists.get(price_type.id, []) if price_type else [],
            discounts=[*discounts.get(client_id, []), *company],
            group_parents=parents,
        )
    return books


async def price_lists_on(
    session: AsyncSession, types: set[str], on: date, id_chunks: list[list[str]] | None
) -> dict[str, list[PriceList]]:
    """The lists of each price type valid on `on`, with their entries for the products
    (`id_chunks`; None: all their entries)."""
    if not types:
        return {}
    headers: dict[str, Row[Any]] = {}
    entries: dict[str, dict[str, Decimal]] = {}
    if id_chunks is None:
        statement, params = ALL_PRICE_LISTS, {"types": sorted(types), "on": on}
    else:
        statement, params = PRICE_LISTS, {"types": sorted(types), "on": on, "ids": id_chunks[0]}
    for r in (await session.execute(statement, params)).all():
        headers.setdefault(r.id, r)
        prices = entries.setdefault(r.id, {})
        if r.product_id is not None:
            prices[r.product_id] = money_value(r.price)
    for chunk in (id_chunks or [])[1:] if headers else ():
        params = {"list_ids": list(headers), "ids": chunk}
        for r in (await session.execute(LIST_ENTRIES, params)).all():
            entries[r.price_list_id][r.product_id] = money_value(r.price)
    out: dict[str, list[PriceList]] = {}
    for h in headers.values():
        out.setdefault(h.price_type_id, []).append(
            PriceList(h.id, h.external_id, h.price_type_id, h.valid_from, h.valid_to, entries[h.id])
        )
    return out
