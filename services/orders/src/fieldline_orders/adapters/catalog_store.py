"""Catalog persistence: bulk upserts keyed by external id, and the price book of an order.

Every function takes the session of the caller's unit of work (writes) or of a read
transaction (the price book), so a batch upsert is one transaction: all of it or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from fieldline_kit.errors import Conflict
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.repository import (
    chunks,
    client_price_from,
    discount_from,
    discount_values,
    group_from,
    group_values,
    money_value,
    price_list_header,
    price_type_from,
    price_type_values,
    product_from,
    product_values,
)
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    PriceList,
    PriceType,
    Product,
    ProductGroup,
    StockLevel,
)
from fieldline_orders.domain.pricing import PriceBook


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


async def existing_ids(session: AsyncSession, table: Table, ids: Iterable[str]) -> set[str]:
    wanted = sorted({i for i in ids if i})
    found: set[str] = set()
    for chunk in chunks(wanted):
        found.update(
            (await session.execute(select(table.c.id).where(table.c.id.in_(chunk)))).scalars()
        )
    return found


async def group_parents(session: AsyncSession) -> dict[str, str]:
    t = orm.product_groups
    return {r.id: r.parent_id for r in (await session.execute(select(t.c.id, t.c.parent_id))).all()}


async def products_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, Product]:
    return {
        k: product_from(r) for k, r in (await rows_by(session, orm.products, "id", ids)).items()
    }


async def price_types_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, PriceType]:
    rows = await rows_by(session, orm.price_types, "id", ids)
    return {k: price_type_from(r) for k, r in rows.items()}


# -------------------------------------------------------------------------------- writes
async def put_group(session: AsyncSession, g: ProductGroup, existing: Row[Any] | None) -> str:
    if existing is None:
        await session.execute(insert(orm.product_groups).values(**group_values(g)))
        return "created"
    if group_from(existing) == g:
        return "unchanged"
    t = orm.product_groups
    await session.execute(update(t).where(t.c.id == g.id).values(**group_values(g)))
    return "updated"


async def put_product(session: AsyncSession, p: Product, existing: Row[Any] | None) -> str:
    t = orm.products
    if existing is None:
        await session.execute(insert(t).values(**product_values(p)))
        return "created"
    current = product_from(existing)
    if current.same_content(p):
        return "unchanged"
    values = product_values(p)
    values["version"] = current.version + 1
    result = await session.execute(
        update(t).where(t.c.id == p.id, t.c.version == current.version).values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"product {p.id} was changed concurrently; retry")
    return "updated"


async def put_price_type(session: AsyncSession, pt: PriceType, existing: Row[Any] | None) -> str:
    t = orm.price_types
    if existing is None:
        await session.execute(insert(t).values(**price_type_values(pt)))
        return "created"
    if price_type_from(existing) == pt:
        return "unchanged"
    await session.execute(update(t).where(t.c.id == pt.id).values(**price_type_values(pt)))
    return "updated"


async def price_list_entries(session: AsyncSession, list_id: str) -> dict[str, Decimal]:
    e = orm.price_list_entries
    rows = (
        await session.execute(select(e.c.product_id, e.c.price).where(e.c.price_list_id == list_id))
    ).all()
    return {r.product_id: money_value(r.price) for r in rows}


async def put_price_list(session: AsyncSession, pl: PriceList, existing: Row[Any] | None) -> str:
    """Insert or replace a price list and its entries (the list's entries are replaced)."""
    t, e = orm.price_lists, orm.price_list_entries
    header = {
        "id": pl.id,
        "external_id": pl.external_id,
        "price_type_id": pl.price_type_id,
        "valid_from": pl.valid_from,
        "valid_to": pl.valid_to,
    }
    entries = [
        {"price_list_id": pl.id, "product_id": pid, "price": price}
        for pid, price in pl.entries.items()
    ]
    if existing is None:
        outcome = "created"
        await session.execute(insert(t).values(**header))
    else:
        current = price_list_header(existing, await price_list_entries(session, pl.id))
        if current == pl:
            return "unchanged"
        outcome = "updated"
        await session.execute(update(t).where(t.c.id == pl.id).values(**header))
        await session.execute(delete(e).where(e.c.price_list_id == pl.id))
    for chunk in chunks(entries):
        await session.execute(insert(e), list(chunk))
    return outcome


async def put_discount(session: AsyncSession, d: Discount, existing: Row[Any] | None) -> str:
    t = orm.discounts
    if existing is None:
        await session.execute(insert(t).values(**discount_values(d)))
        return "created"
    if discount_from(existing) == d:
        return "unchanged"
    await session.execute(update(t).where(t.c.id == d.id).values(**discount_values(d)))
    return "updated"


async def set_client_price_type(session: AsyncSession, client_id: str, price_type_id: str) -> None:
    t = orm.client_price_types
    result = await session.execute(
        update(t).where(t.c.client_id == client_id).values(price_type_id=price_type_id)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(insert(t).values(client_id=client_id, price_type_id=price_type_id))


async def put_client_price(session: AsyncSession, cp: ClientPrice) -> None:
    t = orm.client_prices
    key = (
        t.c.client_id == cp.client_id,
        t.c.product_id == cp.product_id,
        t.c.valid_from == cp.valid_from,
    )
    values = {"valid_to": cp.valid_to, "price": cp.price, "currency_code": cp.currency_code}
    result = await session.execute(update(t).where(*key).values(**values))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(
            insert(t).values(
                client_id=cp.client_id,
                product_id=cp.product_id,
                valid_from=cp.valid_from,
                **values,
            )
        )


async def put_stock(session: AsyncSession, s: StockLevel) -> None:
    t = orm.stock_levels
    key = (t.c.warehouse_id == s.warehouse_id, t.c.product_id == s.product_id)
    result = await session.execute(update(t).where(*key).values(quantity=s.quantity))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(
            insert(t).values(
                warehouse_id=s.warehouse_id, product_id=s.product_id, quantity=s.quantity
            )
        )


# ---------------------------------------------------------------------------- price book
async def client_price_type(session: AsyncSession, client_id: str) -> PriceType | None:
    cpt, pt = orm.client_price_types, orm.price_types
    row = (
        await session.execute(
            select(pt).join(cpt, cpt.c.price_type_id == pt.c.id).where(cpt.c.client_id == client_id)
        )
    ).first()
    return price_type_from(row) if row else None


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
DISCOUNTS = select(orm.discounts).where(
    orm.discounts.c.client_id.in_(_CLIENTS),
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
) -> PriceBook:
    """What pricing `product_ids` (None: every active product) for a client on a date needs."""
    books = await load_price_books(session, [(client_id, on)], product_ids)
    return books[(client_id, on)]


async def load_price_books(
    session: AsyncSession,
    wants: Sequence[tuple[str, date]],
    product_ids: Sequence[str] | None,
) -> dict[tuple[str, date], PriceBook]:
    """The price books of several (client, date) pairs for `product_ids` (None: all active).

    A fixed number of statements whatever the number of clients (a batch of orders pays them
    once), for up to 500 products and one date: the products; the clients' price types; the
    lists of those types valid on the date with their entries for the products; the clients'
    own prices; the discounts (the clients' and the company-wide ones); the ancestry of the
    products' groups (none when they have no group). Each further date costs four more, larger
    product sets are read in chunks. Every book shares the same `products` (those found of
    `product_ids`): pricing looks up only the products its lines name.

    A batch of SubmitOrder calls reads its price books otherwise: in one statement, with the
    catalog cache (adapters/submit_reads.py).
    """
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

    books: dict[tuple[str, date], PriceBook] = {}
    for on, clients in _clients_by_date(wants).items():
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


def _clients_by_date(wants: Sequence[tuple[str, date]]) -> dict[date, list[str]]:
    clients_on: dict[date, list[str]] = {}
    for client_id, on in wants:
        if client_id not in clients_on.setdefault(on, []):
            clients_on[on].append(client_id)
    return clients_on


async def _client_price_types(session: AsyncSession, clients: list[str]) -> dict[str, PriceType]:
    rows = await session.execute(CLIENT_PRICE_TYPES, {"clients": clients})
    return {r.client_id: price_type_from(r) for r in rows.all()}


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
    params = {"clients": [*clients, ""], "on": on}
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
