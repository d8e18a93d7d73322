"""What pricing reads of the shared catalog, kept in the process between requests.

Products, the product-group tree and the price lists of each price type on a date change
rarely (ERP imports) but are read for every order. A `CatalogCache` keeps them and is
validated on every use against `catalog_state.generation`, a counter that every transaction
changing groups, products, price types or price lists bumps (`CatalogStore.bump_generation`,
called by the catalog upserts in the same transaction as the change). The generation is read
in the same snapshot as everything the cached data is used with (a SubmitOrder batch reads it
in its one probe statement, adapters/submit_reads.py; `sync` reads it in the caller's
transaction), and `use` forgets everything when it moved, so a replica never prices with
catalog data of another snapshot than its own read's: there is no staleness window and no
invalidation message to miss. Whatever is put into the cache must come from a snapshot of
the generation the cache holds (the probe's own, or a transaction that sees one snapshot
throughout).

Promotion upserts and the territories of the clients feed bump the generation too: the
promotions not ended by a day (stopped ones included) and the territory tree are kept beside
the catalog, for promotions' eligibility.

Client-specific data (price types of clients, client prices, discounts) is not cached: it is
per client, read for the clients of a batch only.

Entries are loaded lazily and dropped together when the generation moves. Sizes: products
and groups as many as the catalog has; price lists for at most `MAX_LIST_KEYS` (price type,
date) pairs, the oldest dropped first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_orders.adapters import orm
from fieldline_orders.domain.catalog import PriceList, Product
from fieldline_orders.domain.promotions import Promotion

MAX_LIST_KEYS = 64

GENERATION = select(orm.catalog_state.c.generation).where(orm.catalog_state.c.id == 1)
BUMP = (
    update(orm.catalog_state)
    .where(orm.catalog_state.c.id == 1)
    .values(generation=orm.catalog_state.c.generation + 1)
)


class CatalogCache:
    def __init__(self) -> None:
        self.generation: int | None = None
        # product id → the product, or None for an id known not to exist
        self.products: dict[str, Product | None] = {}
        self.group_parents: dict[str, str] | None = None
        self.price_lists: dict[tuple[str, date], list[PriceList]] = {}
        # The promotions not ended by a day (`promotions_since`: valid_to on or after it) and
        # the territory tree: promotion upserts and territories bump the generation too.
        self.promotions: tuple[Promotion, ...] | None = None
        self.promotions_since: date | None = None
        self.territory_parents: dict[str, str] | None = None
        self.hits = 0
        self.misses = 0

    async def sync(self, session: AsyncSession) -> None:
        """Read the generation in the caller's transaction; forget everything if it moved."""
        self.use(int((await session.execute(GENERATION)).scalar_one()))

    def use(self, generation: int) -> None:
        """Make the cache that of `generation`, read in the snapshot about to use it: forget
        everything if it moved. No await may come between that read, this call and the use
        of what the cache holds (another task could move it meanwhile)."""
        if generation != self.generation:
            self.generation = generation
            self.products.clear()
            self.group_parents = None
            self.price_lists.clear()
            self.promotions = self.promotions_since = self.territory_parents = None

    def promotions_from(self, since: date) -> tuple[Promotion, ...] | None:
        """The promotions not ended by `since`, if held for that day."""
        return self.promotions if self.promotions_since == since else None

    def missing_products(self, ids: Iterable[str]) -> list[str]:
        return [i for i in ids if i not in self.products]

    def remember_products(self, asked: Iterable[str], found: dict[str, Product]) -> None:
        for pid in asked:
            self.products[pid] = found.get(pid)

    def known_products(self, ids: Iterable[str]) -> dict[str, Product]:
        out = {}
        for pid in ids:
            product = self.products.get(pid)
            if product is not None:
                out[pid] = product
        return out

    def lists(self, price_type_id: str, on: date) -> list[PriceList] | None:
        found = self.price_lists.get((price_type_id, on))
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def remember_lists(self, price_type_id: str, on: date, lists: list[PriceList]) -> None:
        if len(self.price_lists) >= MAX_LIST_KEYS:
            del self.price_lists[next(iter(self.price_lists))]
        self.price_lists[(price_type_id, on)] = lists
