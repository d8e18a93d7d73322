"""Catalog persistence: bulk upserts keyed by external id, and the price book of an order.

Every function takes the session of the caller's unit of work (writes) or of a read
transaction (the price book), so a batch upsert is one transaction: all of it or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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


def _valid(table: Table, on: date) -> Any:
    return (table.c.valid_from <= on) & (or_(table.c.valid_to.is_(None), table.c.valid_to >= on))


async def load_price_book(
    session: AsyncSession,
    client_id: str,
    on: date,
    product_ids: Sequence[str] | None,
) -> PriceBook:
    """What pricing `product_ids` (None: every active product) for a client on a date needs.

    A constant number of queries for any number of products (plus one per group level).
    """
    if product_ids is None:
        p = orm.products
        rows = (await session.execute(select(p).where(p.c.active.is_(True)))).all()
        products = {r.id: product_from(r) for r in rows}
    else:
        products = await products_by_id(session, product_ids)
    ids = list(products)
    price_type = await client_price_type(session, client_id)

    cp = orm.client_prices
    client_prices: list[ClientPrice] = []
    for chunk in chunks(ids):
        stmt = select(cp).where(
            cp.c.client_id == client_id, cp.c.product_id.in_(chunk), _valid(cp, on)
        )
        client_prices.extend(client_price_from(r) for r in (await session.execute(stmt)).all())

    price_lists: list[PriceList] = []
    if price_type is not None:
        pl, e = orm.price_lists, orm.price_list_entries
        headers = (
            await session.execute(
                select(pl).where(pl.c.price_type_id == price_type.id, _valid(pl, on))
            )
        ).all()
        entries: dict[str, dict[str, Decimal]] = {h.id: {} for h in headers}
        if headers:
            for chunk in chunks(ids):
                stmt = select(e.c.price_list_id, e.c.product_id, e.c.price).where(
                    e.c.price_list_id.in_(list(entries)), e.c.product_id.in_(chunk)
                )
                for r in (await session.execute(stmt)).all():
                    entries[r.price_list_id][r.product_id] = money_value(r.price)
        price_lists = [price_list_header(h, entries[h.id]) for h in headers]

    d = orm.discounts
    discounts = [
        discount_from(r)
        for r in (
            await session.execute(
                select(d).where(d.c.client_id.in_([client_id, ""]), _valid(d, on))
            )
        ).all()
    ]

    parents: dict[str, str] = {}
    frontier = {prod.group_id for prod in products.values() if prod.group_id}
    g = orm.product_groups
    depth = 0
    while frontier and depth < 50:
        depth += 1
        found: dict[str, str] = {}
        for chunk in chunks(sorted(frontier)):
            rows = (
                await session.execute(select(g.c.id, g.c.parent_id).where(g.c.id.in_(chunk)))
            ).all()
            found.update({r.id: r.parent_id for r in rows})
        parents.update(found)
        frontier = {pid for pid in found.values() if pid and pid not in parents}

    return PriceBook(
        client_id=client_id,
        on=on,
        price_type=price_type,
        products=products,
        client_prices=client_prices,
        price_lists=price_lists,
        discounts=discounts,
        group_parents=parents,
    )
