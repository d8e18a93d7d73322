"""Seeding an empty orders database at once (entrypoints/bulk_load.py): what the clients feed,
the catalog and order use cases would write, many records per transaction.

Records are gathered into chunks and each chunk is applied in one transaction (`apply_chunk`),
in the order its rows refer to each other: catalog upserts (by the CatalogService's use cases),
the clients feed's records (as the feed consumer applies them: the newest wins), the clients'
price types (as SetClientPriceType sets them: the price type must exist), then the imported
orders (each outlet known to the feed and its client's, each product in the catalog; an order
whose id is stored already is left as it is). Each table is written with one statement per
chunk where the repositories have one. Nothing is announced: the catalog upserts record their
events as always, but the load's units of work map none of them to an integration event
(adapters/bulk.py), so no outbox row is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldline_kit.errors import NotFound
from fieldline_orders.adapters.repository import OrdersUnitOfWork
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
from fieldline_orders.domain.orders import Order
from fieldline_orders.domain.values import require_id
from fieldline_orders.service_layer.orders import check_owner

CatalogWork = Callable[[OrdersUnitOfWork], Awaitable[Any]]


# ---------------------------------------------------------------------------- use cases
async def apply_feed(uow: OrdersUnitOfWork, records: Sequence[FeedRecord]) -> None:
    """The clients feed's records as the consumer applies them (a record older than the one
    held changes nothing), one statement per read model."""
    await uow.feed.put_clients([r for r in records if isinstance(r, ClientState)])
    await uow.feed.put_outlets([r for r in records if isinstance(r, OutletState)])
    territories = [r for r in records if isinstance(r, TerritoryState)]
    await uow.feed.put_territories(territories)
    if territories:  # as the consumer does (service_layer/feed.py `territory_seen`)
        await uow.catalog.bump_generation()
    await uow.feed.put_assignments([r for r in records if isinstance(r, AssignmentState)])
    await uow.feed.put_audits([r for r in records if isinstance(r, AuditState)])
    await uow.feed.put_employees([r for r in records if isinstance(r, EmployeeState)])
    visits = [r for r in records if isinstance(r, VisitState)]
    await uow.feed.put_visits(visits)
    for v in visits:  # a document may name it already
        uow.contact_touched(v.visit_id)


async def set_client_price_types(uow: OrdersUnitOfWork, price_types: Mapping[str, str]) -> None:
    """SetClientPriceType of many clients (client id → price type id): each price type must
    exist."""
    checked = {
        require_id("client_id", c): require_id("price_type_id", p) for c, p in price_types.items()
    }
    wanted = set(checked.values())
    for missing in sorted(wanted - await uow.price_types.existing(wanted)):
        raise NotFound("price type", missing, "price_type_id")
    await uow.catalog.set_client_price_types(checked)


async def import_orders(uow: OrdersUnitOfWork, orders: Sequence[Order]) -> int:
    """Orders brought over from another system (`Order.imported`, distinct ids): each outlet
    known to the clients feed and its client's, each product in the catalog. An order whose id
    is stored already is left as it is; how many were written."""
    owners = await uow.feed_reads.outlet_clients({o.outlet_id for o in orders})
    products = await uow.products.existing({ln.product_id for o in orders for ln in o.lines})
    for o in orders:
        check_owner(owners.get(o.outlet_id), o.client_id, o.outlet_id, f"order {o.id}: outlet_id")
        for i, ln in enumerate(o.lines):
            if ln.product_id not in products:
                raise NotFound("product", ln.product_id, f"order {o.id}: lines[{i}].product_id")
    return len(await uow.orders.add_all_if_absent(orders))


@dataclass
class Chunk:
    """What one transaction of a bulk load writes."""

    catalog: list[CatalogWork] = field(default_factory=list)
    feed: list[FeedRecord] = field(default_factory=list)
    price_types: dict[str, str] = field(default_factory=dict)  # by client: the last one set
    orders: dict[str, Order] = field(default_factory=dict)  # by id: the first one given
    size: int = 0  # records gathered


async def apply_chunk(uow: OrdersUnitOfWork, chunk: Chunk) -> None:
    for work in chunk.catalog:
        await work(uow)
    await apply_feed(uow, chunk.feed)
    await set_client_price_types(uow, chunk.price_types)
    await import_orders(uow, list(chunk.orders.values()))


# -------------------------------------------------------------------------------- a load
class BulkLoad:
    """Records gathered into chunks of about `chunk_size`, each applied in a unit of work of
    its own; `flush()` when `full`, and at the end."""

    def __init__(self, uow: Callable[[], OrdersUnitOfWork], *, chunk_size: int = 5000) -> None:
        self._uow = uow
        self.chunk_size = chunk_size
        self._chunk = Chunk()

    @property
    def full(self) -> bool:
        return self._chunk.size >= self.chunk_size

    def catalog(self, work: CatalogWork, records: int) -> None:
        """A catalog upsert: `work(uow)` runs one of the CatalogService's use cases."""
        self._chunk.catalog.append(work)
        self._chunk.size += records

    def feed(self, record: FeedRecord) -> None:
        self._chunk.feed.append(record)
        self._chunk.size += 1

    def set_client_price_type(self, client_id: str, price_type_id: str) -> None:
        cid = require_id("client_id", client_id)
        self._chunk.price_types[cid] = require_id("price_type_id", price_type_id)
        self._chunk.size += 1

    def import_order(self, order: Order) -> None:
        self._chunk.orders.setdefault(order.id, order)
        self._chunk.size += 1 + len(order.lines)

    async def flush(self) -> None:
        chunk, self._chunk = self._chunk, Chunk()
        if chunk.size:
            async with self._uow() as uow:
                await apply_chunk(uow, chunk)
                await uow.commit()
