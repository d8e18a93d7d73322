"""Read side: product lists, orders, van movements and ledger, fulfilment figures.

Queries never go through aggregates and never take write locks. Lists page by keyset (the
last key seen, in an opaque token), so a page costs the same wherever it is in the list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Table, and_, func, or_, select, tuple_

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import decode_number_token, decode_token, encode_token
from fieldline_kit.repository import Repository
from fieldline_orders.adapters import orm, orm_van
from fieldline_orders.adapters.rows import (
    chunks,
    client_price_from,
    discount_from,
    distributor_price_type_from,
    group_from,
    load_orders,
    money_value,
    movement_from,
    price_list_header,
    price_type_from,
    product_from,
    qty,
    search_key,
    utc,
    van_from,
    warehouse_from,
)
from fieldline_orders.domain.catalog import (
    ClientPrice,
    ClientPriceType,
    Discount,
    DistributorPriceType,
    PriceList,
    PriceType,
    Product,
    ProductGroup,
    Warehouse,
)
from fieldline_orders.domain.fulfilment import FulfilmentFacts
from fieldline_orders.domain.orders import Order, OrderChannel, OrderKind, OrderStatus
from fieldline_orders.domain.van import Movement, Van


def _where(*conds: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [c for c in conds if c is not None]


def day_token(d: date, key: str) -> str:
    """The page token of a list keyed by (day, id): orders, contacts."""
    return encode_token(f"{d.isoformat()}|{key}")


def after_day_token(token: str) -> tuple[date, str] | None:
    """The (day, id) a `day_token` holds; None for the first page."""
    raw = decode_token(token)
    if not raw:
        return None
    try:
        day, key = raw.split("|", 1)
        return date.fromisoformat(day), key
    except ValueError:
        raise InvalidArgument("page_token", "is not a token this service issued") from None


def _client_price_token(r: Row[Any]) -> str:
    return encode_token(f"{r.client_id}|{r.product_id}|{r.valid_from.isoformat()}")


def _client_price_after(token: str) -> tuple[str, str, date] | None:
    """The key (client id, product id, valid_from) a `_client_price_token` holds."""
    raw = decode_token(token)
    if not raw:
        return None
    try:
        client_id, product_id, day = raw.split("|")
        return client_id, product_id, date.fromisoformat(day)
    except ValueError:
        raise InvalidArgument("page_token", "is not a token this service issued") from None


async def _page(
    session: Any, stmt: Select[Any], size: int, token_of: Callable[[Row[Any]], str]
) -> tuple[Sequence[Row[Any]], str]:
    """Up to `size` rows of `stmt` (ordered by its key, past the token's), and the token of
    the next page ("" at the end)."""
    rows = (await session.execute(stmt.limit(size + 1))).all()
    more = len(rows) > size
    rows = rows[:size]
    return rows, (token_of(rows[-1]) if more and rows else "")


async def _page_by_id(
    session: Any, table: Table, size: int, token: str, **equal: str
) -> tuple[Sequence[Row[Any]], str]:
    """A page of `table`'s rows by id, past the token's (`_page`), of those whose columns
    hold the values `equal` names (an empty value: that column is not filtered)."""
    t, after = table, decode_token(token)
    filters = [t.c[column] == value for column, value in equal.items() if value]
    stmt = select(t).where(*_where(t.c.id > after if after else None, *filters)).order_by(t.c.id)
    return await _page(session, stmt, size, lambda r: encode_token(r.id))


@dataclass(frozen=True)
class EntriesPage:
    """A page of a price list's entries (product id → price), in its price type's currency."""

    entries: list[tuple[str, Decimal]]
    currency_code: str
    version: int  # the list's, read before the entries: they are of it or newer
    next_token: str


class OrdersQueries(Repository):
    """The read side: lists, searches and reports (no aggregates, no locks)."""

    async def group_with_descendants(self, group_id: str) -> set[str]:
        t = orm.product_groups
        children: dict[str, list[str]] = {}
        for r in (await self.session.execute(select(t.c.id, t.c.parent_id))).all():
            children.setdefault(r.parent_id, []).append(r.id)
        out: set[str] = set()
        todo = [group_id]
        while todo:
            g = todo.pop()
            if g in out:
                continue
            out.add(g)
            todo.extend(children.get(g, []))
        return out

    async def list_products(
        self, *, size: int, token: str, group_ids: set[str] | None, query: str
    ) -> tuple[list[Product], str]:
        t = orm.products
        after = decode_token(token)
        conds = _where(
            t.c.id > after if after else None,
            t.c.group_id.in_(sorted(group_ids)) if group_ids is not None else None,
            or_(
                t.c.name_search.contains(search_key(query), autoescape=True),
                func.lower(t.c.sku).contains(query.lower(), autoescape=True),
            )
            if query
            else None,
        )
        rows = (
            await self.session.execute(select(t).where(*conds).order_by(t.c.id).limit(size + 1))
        ).all()
        more = len(rows) > size
        rows = rows[:size]
        return [product_from(r) for r in rows], (encode_token(rows[-1].id) if more and rows else "")

    # -- the catalog, for consumers building their copy (in key order, with versions) ----------
    async def list_groups(self, *, size: int, token: str) -> tuple[list[ProductGroup], str]:
        t = orm.product_groups
        after = decode_token(token)
        stmt = select(t).where(*_where(t.c.id > after if after else None)).order_by(t.c.id)
        rows, next_token = await _page(self.session, stmt, size, lambda r: encode_token(r.id))
        return [group_from(r) for r in rows], next_token

    async def list_price_types(self, *, size: int, token: str) -> tuple[list[PriceType], str]:
        t = orm.price_types
        after = decode_token(token)
        stmt = select(t).where(*_where(t.c.id > after if after else None)).order_by(t.c.id)
        rows, next_token = await _page(self.session, stmt, size, lambda r: encode_token(r.id))
        return [price_type_from(r, r.version) for r in rows], next_token

    async def list_price_lists(
        self, *, size: int, token: str, price_type_id: str
    ) -> tuple[list[tuple[PriceList, int]], str]:
        """Price lists without their entries, each with how many it has (`entry_count`, kept
        with the entries: no list is counted)."""
        rows, next_token = await _page_by_id(
            self.session, orm.price_lists, size, token, price_type_id=price_type_id
        )
        return [(price_list_header(r, {}), int(r.entry_count)) for r in rows], next_token

    async def price_list_entries(
        self, price_list_id: str, *, size: int, token: str
    ) -> EntriesPage | None:
        """A page of the list's entries by product id (the primary key's order); None for a
        list that does not exist."""
        pl, pt, e = orm.price_lists, orm.price_types, orm.price_list_entries
        header = (
            await self.session.execute(
                select(pl.c.version, pt.c.currency_code)
                .join(pt, pt.c.id == pl.c.price_type_id)
                .where(pl.c.id == price_list_id)
            )
        ).first()
        if header is None:
            return None
        after = decode_token(token)
        stmt = (
            select(e.c.product_id, e.c.price)
            .where(
                *_where(
                    e.c.price_list_id == price_list_id,
                    e.c.product_id > after if after else None,
                )
            )
            .order_by(e.c.product_id)
        )
        rows, next_token = await _page(
            self.session, stmt, size, lambda r: encode_token(r.product_id)
        )
        entries = [(r.product_id, money_value(r.price)) for r in rows]
        return EntriesPage(entries, header.currency_code, header.version, next_token)

    async def list_client_price_types(
        self, *, size: int, token: str
    ) -> tuple[list[ClientPriceType], str]:
        t = orm.client_price_types
        after = decode_token(token)
        stmt = (
            select(t)
            .where(*_where(t.c.client_id > after if after else None))
            .order_by(t.c.client_id)
        )
        rows, next_token = await _page(
            self.session, stmt, size, lambda r: encode_token(r.client_id)
        )
        return [ClientPriceType(r.client_id, r.price_type_id, r.version) for r in rows], next_token

    async def list_distributor_price_types(
        self, *, size: int, token: str, distributor_id: str
    ) -> tuple[list[DistributorPriceType], str]:
        """By (distributor id, client id): the primary key's order."""
        t = orm.distributor_price_types
        after = decode_token(token)
        key = tuple_(t.c.distributor_id, t.c.client_id)
        if after and "|" not in after:
            raise InvalidArgument("page_token", "is not a token this service issued")
        last = tuple(after.split("|", 1)) if after else None
        stmt = (
            select(t)
            .where(
                *_where(
                    key > tuple_(*last) if last else None,
                    t.c.distributor_id == distributor_id if distributor_id else None,
                )
            )
            .order_by(t.c.distributor_id, t.c.client_id)
        )
        rows, next_token = await _page(
            self.session, stmt, size, lambda r: encode_token(f"{r.distributor_id}|{r.client_id}")
        )
        return [distributor_price_type_from(r) for r in rows], next_token

    async def list_client_prices(
        self, *, size: int, token: str, client_id: str
    ) -> tuple[list[ClientPrice], str]:
        """By (client id, product id, valid_from): the primary key's order."""
        t = orm.client_prices
        key = (t.c.client_id, t.c.product_id, t.c.valid_from)
        after = _client_price_after(token)
        stmt = (
            select(t)
            .where(
                *_where(
                    tuple_(*key) > tuple_(*after) if after is not None else None,
                    t.c.client_id == client_id if client_id else None,
                )
            )
            .order_by(*key)
        )
        rows, next_token = await _page(self.session, stmt, size, _client_price_token)
        return [client_price_from(r, r.version) for r in rows], next_token

    async def list_discounts(self, *, size: int, token: str) -> tuple[list[Discount], str]:
        t = orm.discounts
        after = decode_token(token)
        stmt = select(t).where(*_where(t.c.id > after if after else None)).order_by(t.c.id)
        rows, next_token = await _page(self.session, stmt, size, lambda r: encode_token(r.id))
        return [discount_from(r, r.version) for r in rows], next_token

    async def list_warehouses(
        self, *, size: int, token: str, distributor_id: str
    ) -> tuple[list[Warehouse], str]:
        """By id (a distributor's: through `ix_warehouses_distributor_id`)."""
        rows, next_token = await _page_by_id(
            self.session, orm.warehouses, size, token, distributor_id=distributor_id
        )
        return [warehouse_from(r) for r in rows], next_token

    async def list_vans(
        self, *, size: int, token: str, van_seller_ids: Sequence[str] = (), distributor_id: str = ""
    ) -> tuple[list[Van], str]:
        """Vans by id (`van_seller_ids`: those van sellers' only; `distributor_id`: the vans
        selling for that distributor only)."""
        t = orm_van.vans
        after = decode_token(token)
        conds = _where(
            t.c.id > after if after else None,
            t.c.van_seller_id.in_(van_seller_ids) if van_seller_ids else None,
            t.c.distributor_id == distributor_id if distributor_id else None,
        )
        rows = (
            await self.session.execute(select(t).where(*conds).order_by(t.c.id).limit(size + 1))
        ).all()
        more = len(rows) > size
        rows = rows[:size]
        return [van_from(r) for r in rows], (encode_token(rows[-1].id) if more and rows else "")

    async def list_orders(
        self,
        *,
        size: int,
        token: str,
        agent_ids: Sequence[str] = (),
        client_id: str = "",
        outlet_id: str = "",
        distributor_id: str = "",
        status: OrderStatus | None = None,
        from_date: date | None = None,
        to_date: date | None = None,
        visit_id: str = "",
        channel: OrderChannel | None = None,
        taken_by: str = "",
    ) -> tuple[list[Order], str]:
        """Orders by order date, then id; `agent_ids`: those credited to or taken by them."""
        t = orm.orders
        after = after_day_token(token)
        conds = _where(
            or_(t.c.order_date > after[0], and_(t.c.order_date == after[0], t.c.id > after[1]))
            if after
            else None,
            or_(t.c.agent_id.in_(agent_ids), t.c.taken_by.in_(agent_ids)) if agent_ids else None,
            t.c.client_id == client_id if client_id else None,
            t.c.outlet_id == outlet_id if outlet_id else None,
            t.c.distributor_id == distributor_id if distributor_id else None,
            t.c.status == status.value if status else None,
            t.c.order_date >= from_date if from_date else None,
            t.c.order_date <= to_date if to_date else None,
            t.c.visit_id == visit_id if visit_id else None,
            t.c.channel == channel.value if channel else None,
            t.c.taken_by == taken_by if taken_by else None,
        )
        stmt = select(t).where(*conds).order_by(t.c.order_date, t.c.id).limit(size + 1)
        rows = (await self.session.execute(stmt)).all()
        more = len(rows) > size
        rows = rows[:size]
        orders = await load_orders(self.session, rows)
        next_token = day_token(rows[-1].order_date, rows[-1].id) if more and rows else ""
        return orders, next_token

    async def fulfilment_facts(
        self,
        *,
        from_date: date | None,
        to_date: date | None,
        distributor_id: str,
        agent_ids: Sequence[str],
        tz: tzinfo,
    ) -> list[FulfilmentFacts]:
        """Pre-sale orders past credit hold in the period, with their line sums (3 queries)."""
        o, ln, h = orm.orders, orm.order_lines, orm.order_status_history
        conds = _where(
            o.c.kind == OrderKind.PRE_SALE.value,
            o.c.status != OrderStatus.CREDIT_HOLD.value,
            o.c.order_date >= from_date if from_date else None,
            o.c.order_date <= to_date if to_date else None,
            o.c.distributor_id == distributor_id if distributor_id else None,
            o.c.agent_id.in_(agent_ids) if agent_ids else None,
        )
        sums = (
            select(
                ln.c.order_id,
                func.sum(ln.c.base_quantity).label("ordered"),
                func.sum(ln.c.delivered_base_quantity).label("delivered"),
            )
            .group_by(ln.c.order_id)
            .subquery()
        )
        rows = (
            await self.session.execute(
                select(
                    o.c.id,
                    o.c.agent_id,
                    o.c.distributor_id,
                    o.c.status,
                    o.c.order_date,
                    o.c.delivery_date,
                    sums.c.ordered,
                    sums.c.delivered,
                )
                .select_from(o.join(sums, sums.c.order_id == o.c.id))
                .where(*conds)
                .order_by(o.c.id)
            )
        ).all()
        delivered_statuses = [OrderStatus.DELIVERED.value, OrderStatus.PARTIALLY_DELIVERED.value]
        delivered_at: dict[str, datetime] = {}
        ids = [r.id for r in rows if r.status in delivered_statuses]
        for chunk in chunks(ids):
            stmt = (
                select(h.c.order_id, func.min(h.c.changed_at).label("at"))
                .where(h.c.order_id.in_(chunk), h.c.status.in_(delivered_statuses))
                .group_by(h.c.order_id)
            )
            for r in (await self.session.execute(stmt)).all():
                delivered_at[r.order_id] = utc(r.at)
        return [
            FulfilmentFacts(
                r.id,
                r.agent_id,
                r.distributor_id,
                OrderStatus(r.status),
                r.order_date,
                r.delivery_date,
                qty(r.ordered),
                qty(r.delivered),
                delivered_at[r.id].astimezone(tz).date() if r.id in delivered_at else None,
            )
            for r in rows
        ]

    async def list_movements(
        self, *, van_id: str, on: date | None, size: int, token: str
    ) -> tuple[list[Movement], str]:
        t = orm_van.van_movements
        after = decode_number_token(token)
        conds = _where(
            t.c.van_id == van_id,
            t.c.date == on if on else None,
            t.c.id > after if after else None,
        )
        rows = (
            await self.session.execute(select(t).where(*conds).order_by(t.c.id).limit(size + 1))
        ).all()
        more = len(rows) > size
        rows = rows[:size]
        return [movement_from(r) for r in rows], (
            encode_token(str(rows[-1].id)) if more and rows else ""
        )

    async def ledger_balances(self, van_id: str) -> dict[str, Decimal]:
        """Σ movements per product (what the stock rows must equal)."""
        t = orm_van.van_movements
        rows = (
            await self.session.execute(
                select(t.c.product_id, func.sum(t.c.quantity).label("q"))
                .where(t.c.van_id == van_id)
                .group_by(t.c.product_id)
            )
        ).all()
        return {r.product_id: qty(r.q) for r in rows}
