"""The read phase of a batch of SubmitOrder calls: usually one statement, the *probe*.

At 200 orders/s a batch holds a few orders, so what a batch costs regardless of its size sets
SubmitOrder's latency; on SQLite each statement costs the event loop a trip to aiosqlite's
thread plus SQLAlchemy's execution, a transaction two more (BEGIN, COMMIT); on PostgreSQL each
is a round trip. So every keyed lookup of the read phase is one branch of a single
`UNION ALL` statement, executed outside any transaction (a single statement is its own
consistent snapshot on both databases):

    kind  what                                              keyed by
    r     stored responses (key, fingerprint, response)     the calls' idempotency keys
    o     orders that exist                                 the order ids
    f     outlet → client (clients feed read model)         the outlet ids
    a     outlets on a caller's routes (clients feed)       the outlet ids × route agents
    v     visits the orders name (clients feed)             the visit ids
    t     a client's price type                             the client ids
    g     the catalog generation (see catalog_cache.py)     —
    c     client prices valid in [first, last] date          client ids × product ids
    d     discounts valid in [first, last] date              client ids and "" (company-wide)
    p     products the catalog cache does not hold           their ids

Every branch returns the same typed columns (`_SLOTS`: a tag, strings, dates, exact decimals
of scale 2 and 3, JSON, bytes, a flag, an integer), each filling the ones it needs and NULL
(cast to the slot's type, so PostgreSQL can type every column of the union) elsewhere. The
first branch's column types decide how SQLAlchemy processes the values (dates from SQLite's
text, SQLite's integer units of `ExactDecimal`, JSON), so each slot carries one type only:
nothing is decoded by hand. The rows become domain objects through the repository's own
converters. Each list of keys is bound as one parameter (`fieldline_kit.id_lists`), so the
SQL text never changes. Client prices and discounts are read for the batch's date range and
kept per date by their `valid_on` (what the price book does with them anyway).

The catalog cache is checked against the generation read in the same statement, and the
products it lacks come with that statement too, so the cache never serves data of another
snapshot than the one the client data, outlets and orders were read in. When the cache cannot
answer from that snapshot — it is cold or the generation moved (a catalog import), it lacks
the group tree or the price lists of a (price type, date), or the batch names more products
than one statement should bind (`PROBE_MAX_PRODUCTS`) — the read phase runs again in a read
transaction of one snapshot (PostgreSQL: REPEATABLE READ; SQLite's read transaction is one
snapshot anyway): the probe, then what is missing (products, the group tree, price lists, more
client prices), and the cache keeps what was read only if its generation did not move
meanwhile. Rare: after an import, for the first order of a price type on a date.
"""

from __future__ import annotations

import contextlib
from collections import namedtuple
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    LargeBinary,
    Row,
    String,
    and_,
    bindparam,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.types import TypeEngine

from fieldline_kit.db import autocommit, autocommit_engine, is_sqlite
from fieldline_kit.db_types import ExactDecimal
from fieldline_kit.id_lists import id_list, ids_value, in_ids
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.budget_store import budget_states
from fieldline_orders.adapters.catalog_cache import CatalogCache
from fieldline_orders.adapters.catalog_store import (
    PRODUCTS_BY_ID,
    load_distributor_books,
    price_lists_on,
    warehouse_owners,
)
from fieldline_orders.adapters.feed_queries import (
    client_types,
    employee_roles,
    field_agents,
    known_clients,
    territory_tree,
)
from fieldline_orders.adapters.orm_feed import (
    feed_assignments,
    feed_outlets,
    feed_visits,
)
from fieldline_orders.adapters.promotion_store import promotions_by_id, promotions_not_ended
from fieldline_orders.adapters.rows import (
    chunks,
    client_price_from,
    discount_from,
    load_orders,
    price_type_from,
    product_from,
)
from fieldline_orders.adapters.schema import kit
from fieldline_orders.domain.budgets import BudgetState
from fieldline_orders.domain.catalog import ClientPrice, Discount, PriceList, PriceType, Product
from fieldline_orders.domain.feed import VisitState
from fieldline_orders.domain.order_promotions import free_products
from fieldline_orders.domain.orders import Order
from fieldline_orders.domain.pricing import PriceBook
from fieldline_orders.domain.promotions import Promotion

# Products one probe binds (twice: client prices, uncached products); more go in chunks. Each
# list is ONE parameter, so this bounds one statement's work, not its parameters. It must hold
# a full batch: ORDERS_SUBMIT_BATCH_MAX (64) orders of 10 lines from a catalog of 3,000 name
# ~550 distinct products, and at the former 500 every such batch took the slower snapshot path.
PROBE_MAX_PRODUCTS = 5000

# ----------------------------------------------------------------------------- the probe
_STRINGS = 8
_SLOTS: dict[str, TypeEngine[Any]] = {
    "kind": String(),
    **{f"s{i}": String() for i in range(1, _STRINGS + 1)},
    "d1": Date(),
    "d2": Date(),
    "m2": ExactDecimal(18, 2),  # money
    "m3": ExactDecimal(18, 3),  # percents
    "q3": ExactDecimal(18, 3),  # quantities
    "j1": JSON(),
    "j2": JSON(),
    "b": LargeBinary(),
    "f": Boolean(),
    "n": BigInteger(),
}


def _branch(kind: str, source: Any, where: ColumnElement[bool], **slots: Any) -> Any:
    """One branch of the probe: `slots` filled, the others NULL of their slot's type."""
    unknown = set(slots) - set(_SLOTS)
    assert not unknown, unknown
    columns = [literal_column(f"'{kind}'", String()).label("kind")]
    for name, type_ in list(_SLOTS.items())[1:]:
        value = slots.get(name)
        columns.append((value if value is not None else sql_cast(null(), type_)).label(name))
    return select(*columns).select_from(source).where(where)


def _valid_between(table: Any) -> ColumnElement[bool]:
    """Valid on some day of [first, last] (each day is checked again by `valid_on`)."""
    return and_(
        table.c.valid_from <= bindparam("last", type_=Date()),
        or_(table.c.valid_to.is_(None), table.c.valid_to >= bindparam("first", type_=Date())),
    )


def _in(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the list bound as `name`, as ONE parameter whatever its length (its
    value: `ids_value`). An expanding IN would make the SQL text differ with every list
    length; see `fieldline_kit.id_lists`."""
    return in_ids(column, id_list(name, dialect), dialect)


def _probe_statement(dialect: str) -> Any:
    i, o, f, a, v = kit.idempotency, orm.orders, feed_outlets, feed_assignments, feed_visits
    cpt, pt, cp = orm.client_price_types, orm.price_types, orm.client_prices
    d, p, g = orm.discounts, orm.products, orm.catalog_state
    return union_all(
        _branch("g", g, g.c.id == 1, n=g.c.generation),
        _branch(
            "r", i, _in(i.c.key, "keys", dialect), s1=i.c.key, s2=i.c.fingerprint, b=i.c.response
        ),
        _branch("o", o, _in(o.c.id, "orders", dialect), s1=o.c.id),
        _branch(
            "f",
            f,
            _in(f.c.outlet_id, "outlets", dialect),
            s1=f.c.outlet_id,
            s2=f.c.client_id,
            s3=f.c.channel,
            s4=f.c.territory_id,
        ),
        _branch(
            "a",
            a,
            and_(
                _in(a.c.agent_id, "route_agents", dialect),
                _in(a.c.outlet_id, "outlets", dialect),
                a.c.removed.is_(False),
            ),
            s1=a.c.outlet_id,
            s2=a.c.agent_id,
        ),
        _branch(
            "v",
            v,
            _in(v.c.visit_id, "visits", dialect),
            s1=v.c.visit_id,
            s2=v.c.agent_id,
            s3=v.c.outlet_id,
            s4=v.c.status,
            d1=v.c.day,
            n=v.c.version,
        ),
        _branch(
            "t",
            cpt.join(pt, pt.c.id == cpt.c.price_type_id),
            _in(cpt.c.client_id, "type_clients", dialect),
            s1=cpt.c.client_id,
            s2=pt.c.id,
            s3=pt.c.external_id,
            s4=pt.c.name,
            s5=pt.c.currency_code,
            f=pt.c.vat_included,
        ),
        _branch(
            "c",
            cp,
            and_(
                _in(cp.c.client_id, "price_clients", dialect),
                _in(cp.c.product_id, "products", dialect),
                _valid_between(cp),
            ),
            s1=cp.c.client_id,
            s2=cp.c.product_id,
            s3=cp.c.currency_code,
            d1=cp.c.valid_from,
            d2=cp.c.valid_to,
            m2=cp.c.price,
        ),
        _branch(
            "d",
            d,
            and_(
                _in(d.c.client_id, "discount_clients", dialect),
                d.c.distributor_id == "",
                _valid_between(d),
            ),
            s1=d.c.id,
            s2=d.c.external_id,
            s3=d.c.scope,
            s4=d.c.client_id,
            s5=d.c.group_id,
            s6=d.c.product_id,
            m3=d.c.percent,
            j1=d.c.volume_breaks,
            d1=d.c.valid_from,
            d2=d.c.valid_to,
        ),
        _branch(
            "p",
            p,
            _in(p.c.id, "missing", dialect),
            s1=p.c.id,
            s2=p.c.external_id,
            s3=p.c.sku,
            s4=p.c.name,
            s5=p.c.group_id,
            s6=p.c.base_unit,
            s7=p.c.pack_unit,
            s8=p.c.container_type,
            j1=p.c.barcodes,
            j2=p.c.units,
            m3=p.c.vat_rate,
            q3=p.c.containers_per_unit,
            f=p.c.active,
            n=p.c.version,
        ),
    )


# Built once per dialect: one SQL text whatever the batch, compiled once (SQLAlchemy's cache)
# and prepared once per connection (asyncpg, sqlite3).
PROBES = {name: _probe_statement(name) for name in ("postgresql", "sqlite")}

# What the repository's converters read of a row, by name.
_PriceTypeRow = namedtuple("_PriceTypeRow", "id external_id name currency_code vat_included")
_ClientPriceRow = namedtuple(
    "_ClientPriceRow", "client_id product_id price currency_code valid_from valid_to"
)
# The company's discounts only (a distributor's prices its own orders: `distributor_books`).
_DiscountRow = namedtuple(
    "_DiscountRow",
    "id external_id scope client_id group_id product_id percent volume_breaks valid_from valid_to"
    " distributor_id",
    defaults=("",),
)
_ProductRow = namedtuple(
    "_ProductRow",
    "id external_id sku name group_id barcodes vat_rate base_unit units pack_unit "
    "container_type containers_per_unit active version",
)


def _row(value: Any) -> Row[Any]:
    return cast("Row[Any]", value)  # the converters read attributes by name only


@dataclass(frozen=True)
class SubmitKeys:
    """What a batch's read phase looks up."""

    request_keys: Collection[str] = ()
    order_ids: Collection[str] = ()
    outlet_ids: Collection[str] = ()
    client_ids: Collection[str] = ()
    product_ids: Collection[str] = ()
    dates: Collection[date] = ()
    # Callers whose outlets must be on their routes (route-scoped: agents, van sellers).
    route_agents: Collection[str] = ()
    # Visits the orders name (checked against the feed's: domain/contacts.py).
    visit_ids: Collection[str] = ()
    # The promotions not ended by this day (valid_to on or after it), for eligibility; None:
    # none wanted.
    promotions_since: date | None = None


@dataclass
class SubmitReads:
    """What the read phase found, all of one snapshot."""

    generation: int = 0
    stored: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # key → (digest, bytes)
    taken: set[str] = field(default_factory=set)  # order ids in use
    owners: dict[str, str] = field(default_factory=dict)  # outlet → client (known outlets)
    # outlet → (its card's channel, its territory), "" where the feed has not told: targeting
    outlet_cards: dict[str, tuple[str, str]] = field(default_factory=dict)
    # (agent, outlet): the outlet is on a route of the agent (of the route agents asked)
    routes: set[tuple[str, str]] = field(default_factory=set)
    price_types: dict[str, PriceType] = field(default_factory=dict)  # client → its type
    client_prices: dict[str, list[ClientPrice]] = field(default_factory=dict)
    discounts: dict[str, list[Discount]] = field(default_factory=dict)  # "" → company-wide
    products: dict[str, Product] = field(default_factory=dict)  # found of those asked
    visits: dict[str, VisitState] = field(default_factory=dict)  # the known of those asked


@dataclass(frozen=True)
class CatalogView:
    """What the price books take from the catalog, of the reads' snapshot."""

    products: dict[str, Product]
    group_parents: dict[str, str]
    lists: dict[tuple[str, date], list[PriceList]]
    # The promotions not ended by `SubmitKeys.promotions_since` and the territory tree (empty
    # when none were asked for).
    promotions: tuple[Promotion, ...] = ()
    territory_parents: dict[str, str] = field(default_factory=dict)


async def probe(
    conn: AsyncConnection | AsyncSession,
    dialect: str,
    keys: SubmitKeys,
    *,
    products: Sequence[str],
    missing: Sequence[str],
    prices_only: bool = False,
    into: SubmitReads | None = None,
) -> SubmitReads:
    """One execution of `PROBE`: `products` for client prices, `missing` products to read
    (`prices_only`: of the clients, only their prices of `products`; `into`: adding to)."""
    out = into if into is not None else SubmitReads()
    clients = sorted(set(keys.client_ids))
    days = sorted(set(keys.dates))
    params = {
        "keys": ids_value(dialect, sorted(set(keys.request_keys))),
        "orders": ids_value(dialect, sorted(set(keys.order_ids))),
        "outlets": ids_value(dialect, sorted(set(keys.outlet_ids))),
        "route_agents": ids_value(dialect, [] if prices_only else sorted(set(keys.route_agents))),
        "visits": ids_value(dialect, [] if prices_only else sorted(set(keys.visit_ids))),
        "type_clients": ids_value(dialect, [] if prices_only else clients),
        "price_clients": ids_value(dialect, clients if products and days else []),
        "products": ids_value(dialect, products if days else []),
        "discount_clients": ids_value(
            dialect, [*clients, ""] if clients and days and not prices_only else []
        ),
        "missing": ids_value(dialect, missing),
        "first": days[0] if days else date.min,
        "last": days[-1] if days else date.min,
    }
    rows = (await conn.execute(PROBES[dialect], params)).all()
    for r in rows:
        kind = r.kind
        if kind == "g":
            out.generation = int(r.n)
        elif kind == "r":
            out.stored[r.s1] = (r.s2, bytes(r.b))
        elif kind == "o":
            out.taken.add(r.s1)
        elif kind == "f":
            if r.s2:
                out.owners[r.s1] = r.s2
            out.outlet_cards[r.s1] = (r.s3 or "", r.s4 or "")
        elif kind == "a":
            out.routes.add((r.s2, r.s1))
        elif kind == "v":
            out.visits[r.s1] = VisitState(r.s1, r.s2, r.s3, r.d1, r.s4, int(r.n))
        elif kind == "t":
            out.price_types[r.s1] = price_type_from(
                _row(_PriceTypeRow(r.s2, r.s3, r.s4, r.s5, r.f))
            )
        elif kind == "c":
            out.client_prices.setdefault(r.s1, []).append(
                client_price_from(_row(_ClientPriceRow(r.s1, r.s2, r.m2, r.s3, r.d1, r.d2)))
            )
        elif kind == "d":
            discount = _DiscountRow(r.s1, r.s2, r.s3, r.s4, r.s5, r.s6, r.m3, r.j1, r.d1, r.d2)
            out.discounts.setdefault(r.s4, []).append(discount_from(_row(discount)))
        elif kind == "p":
            product = _ProductRow(
                r.s1, r.s2, r.s3, r.s4, r.s5, r.j1, r.m3, r.s6, r.j2, r.s7, r.s8, r.q3, r.f, r.n
            )
            out.products[r.s1] = product_from(_row(product))
    return out


# ---------------------------------------------------------------------------- the reader
class SubmitReader:
    """The read phase of submit batches: the probe alone, or a snapshot transaction."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        cache: CatalogCache,
        *,
        max_products: int = PROBE_MAX_PRODUCTS,
    ) -> None:
        self._max_products = max_products
        self._engine = engine  # a read-only engine (fieldline_kit.db.read_only)
        self._autocommit = autocommit_engine(engine)  # for the probe alone
        self._dialect = engine.dialect.name
        self._sessions = sessions  # read sessions on it
        self.cache = cache

    def promotion_products(self, since: date) -> set[str]:
        """The products the promotions the cache holds for `since` give (free goods, gifts):
        a batch reads their prices with its lines' (none when the cache holds none: the
        batch's read loads the promotions, and the batch asks again for those)."""
        return free_products(self.cache.promotions_from(since) or ())

    async def read(self, keys: SubmitKeys) -> tuple[SubmitReads, CatalogView]:
        products = sorted(set(keys.product_ids))
        if len(products) <= self._max_products and self.cache.generation is not None:
            missing = self.cache.missing_products(products)
            async with self._one_statement() as conn:
                reads = await probe(conn, self._dialect, keys, products=products, missing=missing)
            # No await from here on: the cache is the reads' snapshot's while it is used.
            view = self._served(reads, keys, products, missing)
            if view is not None:
                return reads, view
        return await self._read_in_snapshot(keys, products)

    def _served(
        self, reads: SubmitReads, keys: SubmitKeys, products: list[str], missing: list[str]
    ) -> CatalogView | None:
        """The catalog of the probe's snapshot, if the cache (and the probe) hold all of it."""
        cache = self.cache
        cache.use(reads.generation)
        cache.remember_products(missing, reads.products)  # read in that very snapshot
        if cache.missing_products(products) or cache.group_parents is None:
            return None
        promotions: tuple[Promotion, ...] = ()
        territories: dict[str, str] = {}
        if keys.promotions_since is not None:
            held = cache.promotions_from(keys.promotions_since)
            if held is None or cache.territory_parents is None:
                return None
            promotions, territories = held, cache.territory_parents
        lists = {}
        for type_id in {t.id for t in reads.price_types.values()}:
            for on in set(keys.dates):
                found = cache.lists(type_id, on)
                if found is None:
                    return None
                lists[(type_id, on)] = found
        return CatalogView(
            cache.known_products(products), cache.group_parents, lists, promotions, territories
        )

    async def _read_in_snapshot(
        self, keys: SubmitKeys, products: list[str]
    ) -> tuple[SubmitReads, CatalogView]:
        """Everything in one read transaction of one snapshot, filling what the cache lacks."""
        cache = self.cache
        async with self.snapshot() as session:
            id_chunks = [list(c) for c in chunks(products, self._max_products)] or [[]]
            missing = cache.missing_products(id_chunks[0])
            reads = await probe(
                session, self._dialect, keys, products=id_chunks[0], missing=missing
            )
            generation = reads.generation
            cache.use(generation)
            cache.remember_products(missing, reads.products)
            known = cache.known_products(products)
            unknown = cache.missing_products(products)
            parents = cache.group_parents
            lists: dict[tuple[str, date], list[PriceList]] = {}
            for type_id in {t.id for t in reads.price_types.values()}:
                for on in set(keys.dates):
                    held = cache.lists(type_id, on)
                    if held is not None:
                        lists[(type_id, on)] = held
            since = keys.promotions_since
            promotions = cache.promotions_from(since) if since is not None else ()
            territories = cache.territory_parents
            # From here on the cache may move (awaits): what this batch uses is held here.
            for chunk in id_chunks[1:]:
                more = SubmitKeys(client_ids=keys.client_ids, dates=keys.dates)
                await probe(
                    session,
                    self._dialect,
                    more,
                    products=chunk,
                    missing=[],
                    prices_only=True,
                    into=reads,
                )
            found: dict[str, Product] = {}
            for part in chunks(unknown):
                for r in (await session.execute(PRODUCTS_BY_ID, {"ids": list(part)})).all():
                    found[r.id] = product_from(r)
            known.update(found)
            if parents is None:
                g = orm.product_groups
                rows = await session.execute(select(g.c.id, g.c.parent_id))
                parents = {r.id: r.parent_id for r in rows}
            wanted = {
                (t.id, on) for t in reads.price_types.values() for on in set(keys.dates)
            } - set(lists)
            for on in sorted({on for _, on in wanted}):
                types = {type_id for type_id, day in wanted if day == on}
                loaded = await price_lists_on(session, types, on, None)
                for type_id in types:
                    lists[(type_id, on)] = loaded.get(type_id, [])
            if since is not None and promotions is None:
                promotions = tuple(await promotions_not_ended(session, since))
            if since is not None and territories is None:
                territories = await territory_tree(session)
        if cache.generation == generation:  # keep what was read, unless the catalog moved
            cache.remember_products(unknown, found)
            if cache.group_parents is None:
                cache.group_parents = parents
            for (type_id, on), found_lists in lists.items():
                if cache.price_lists.get((type_id, on)) is None:
                    cache.remember_lists(type_id, on, found_lists)
            if since is not None:
                cache.promotions, cache.promotions_since = promotions, since
                cache.territory_parents = territories
        return reads, CatalogView(known, parents, lists, promotions or (), territories or {})

    async def orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """The orders with these ids as they are now, with their lines (one snapshot): the
        calls for orders that exist (retries under another request_id, held orders)."""
        if not order_ids:
            return {}
        t = orm.orders
        async with self.snapshot() as session:
            rows: list[Row[Any]] = []
            for part in chunks(sorted(set(order_ids))):
                rows += (await session.execute(select(t).where(t.c.id.in_(list(part))))).all()
            return {o.id: o for o in await load_orders(session, rows)}

    async def budgets(self, promotion_ids: Collection[str]) -> dict[str, BudgetState]:
        """The budgets of these promotions as they stand (what each has left, to choose with;
        the write step checks again under their lock): asked only when limited promotions
        are in force."""
        if not promotion_ids:
            return {}
        async with self._one_statement() as conn:
            return await budget_states(conn, promotion_ids)

    async def promotions(self, promotion_ids: Collection[str]) -> list[Promotion]:
        """The promotions of these ids (whatever their period): asked only for promotions
        devices expected that are not in force (unknown, or ended: to say so)."""
        if not promotion_ids:
            return []
        async with self.snapshot() as session:
            return list((await promotions_by_id(session, promotion_ids)).values())

    async def known_clients(self, client_ids: Collection[str]) -> set[str]:
        """Those of `client_ids` the clients feed has told us of: asked only of calls naming
        another client's outlet, to tell an unknown client from a wrong outlet."""
        if not client_ids:
            return set()
        async with self._one_statement() as conn:
            return await known_clients(conn, client_ids)

    async def client_types(self, client_ids: Collection[str]) -> dict[str, str]:
        """The types of the clients the feed told of, of `client_ids`: asked only for the
        distributors orders name (is each a DISTRIBUTOR?)."""
        if not client_ids:
            return {}
        async with self._one_statement() as conn:
            return await client_types(conn, client_ids)

    async def warehouse_owners(self, warehouse_ids: Collection[str]) -> dict[str, str]:
        """The owners of the registered warehouses of `warehouse_ids` (warehouse id → its
        distributor id, "" = the company's), in one statement: asked only for the warehouses
        orders name (is each the order's owner's?)."""
        if not warehouse_ids:
            return {}
        async with self._one_statement() as conn:
            return await warehouse_owners(conn, warehouse_ids)

    async def distributor_books(
        self, wants: Collection[tuple[str, str, date]], product_ids: Sequence[str]
    ) -> dict[tuple[str, str, date], PriceBook]:
        """The books of orders placed for distributors, (distributor, client, date) → book,
        for those the distributor has a price type of its own for (the rest price as the
        company's): asked only for orders naming a distributor, in one snapshot."""
        if not wants:
            return {}
        out: dict[tuple[str, str, date], PriceBook] = {}
        async with self.snapshot() as session:
            for distributor_id in sorted({d for d, _, _ in wants}):
                pairs = [(c, on) for d, c, on in wants if d == distributor_id]
                books = await load_distributor_books(session, distributor_id, pairs, product_ids)
                out.update({(distributor_id, c, on): b for (c, on), b in books.items()})
        return out

    async def field_agents(self, outlet_ids: Collection[str]) -> dict[str, set[str]]:
        """Per outlet, the agents of its live FIELD routes: asked only for phone orders (whom
        they are credited to)."""
        if not outlet_ids:
            return {}
        async with self._one_statement() as conn:
            return await field_agents(conn, outlet_ids)

    async def employee_roles(self, employee_ids: Collection[str]) -> dict[str, frozenset[str]]:
        """The roles of the employees services take phone orders for (is each a teleseller?)."""
        if not employee_ids:
            return {}
        async with self._one_statement() as conn:
            return await employee_roles(conn, employee_ids)

    @contextlib.asynccontextmanager
    async def _one_statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for statements that need no transaction (each its own snapshot):
        `fieldline_kit.db.autocommit` (SQLite: no BEGIN, and no trip for COMMIT/ROLLBACK;
        PostgreSQL: AUTOCOMMIT, so asyncpg starts no transaction).
        services/orders/tests/integration/test_submit_reads.py fails if a BEGIN is issued."""
        async with autocommit(self._autocommit) as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read transaction that sees one snapshot throughout.

        SQLite (WAL): a read transaction keeps the snapshot of its first read. PostgreSQL:
        READ COMMITTED would take a new one per statement, hence REPEATABLE READ.
        """
        async with self._sessions() as session, session.begin():
            if not is_sqlite(self._engine):
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session


def price_books(
    reads: SubmitReads, catalog: CatalogView, wants: Sequence[tuple[str, date]]
) -> dict[tuple[str, date], PriceBook]:
    """The price book of each (client, date) of `wants`, from the reads of one snapshot."""
    company = reads.discounts.get("", [])
    books: dict[tuple[str, date], PriceBook] = {}
    for client_id, on in wants:
        if (client_id, on) in books:
            continue
        price_type = reads.price_types.get(client_id)
        books[(client_id, on)] = PriceBook(
            client_id=client_id,
            on=on,
            price_type=price_type,
            products=catalog.products,
            client_prices=[
                cp
                for cp in reads.client_prices.get(client_id, [])
                if cp.valid_on(on) and cp.product_id in catalog.products
            ],
            price_lists=catalog.lists.get((price_type.id, on), []) if price_type else [],
            discounts=[
                d for d in (*reads.discounts.get(client_id, []), *company) if d.valid_on(on)
            ],
            group_parents=catalog.group_parents,
        )
    return books
