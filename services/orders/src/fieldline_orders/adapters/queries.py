"""Read side: product lists, orders, van movements and ledger, fulfilment figures.

Queries never go through aggregates and never take write locks. Lists page by keyset (the
last key seen, in an opaque token), so a page costs the same wherever it is in the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import decode_number_token, decode_token, encode_token
from fieldline_kit.repository import Repository
from fieldline_orders.adapters import orm, orm_van
from fieldline_orders.adapters.rows import (
    chunks,
    load_orders,
    movement_from,
    product_from,
    qty,
    search_key,
    utc,
    van_from,
)
from fieldline_orders.domain.catalog import Product
from fieldline_orders.domain.fulfilment import FulfilmentFacts
from fieldline_orders.domain.orders import Order, OrderKind, OrderStatus
from fieldline_orders.domain.van import Movement, Van


def _where(*conds: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [c for c in conds if c is not None]


def _order_token(d: date, order_id: str) -> str:
    return encode_token(f"{d.isoformat()}|{order_id}")


def _order_after(token: str) -> tuple[date, str] | None:
    raw = decode_token(token)
    if not raw:
        return None
    try:
        day, order_id = raw.split("|", 1)
        return date.fromisoformat(day), order_id
    except ValueError:
        raise InvalidArgument("page_token", "is not a token this service issued") from None


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

    async def list_vans(
        self, *, size: int, token: str, van_seller_ids: Sequence[str] = ()
    ) -> tuple[list[Van], str]:
        """Vans by id (`van_seller_ids`: those van sellers' only)."""
        t = orm_van.vans
        after = decode_token(token)
        conds = _where(
            t.c.id > after if after else None,
            t.c.van_seller_id.in_(van_seller_ids) if van_seller_ids else None,
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
    ) -> tuple[list[Order], str]:
        """Orders by order date, then id."""
        t = orm.orders
        after = _order_after(token)
        conds = _where(
            or_(t.c.order_date > after[0], and_(t.c.order_date == after[0], t.c.id > after[1]))
            if after
            else None,
            t.c.agent_id.in_(agent_ids) if agent_ids else None,
            t.c.client_id == client_id if client_id else None,
            t.c.outlet_id == outlet_id if outlet_id else None,
            t.c.distributor_id == distributor_id if distributor_id else None,
            t.c.status == status.value if status else None,
            t.c.order_date >= from_date if from_date else None,
            t.c.order_date <= to_date if to_date else None,
        )
        stmt = select(t).where(*conds).order_by(t.c.order_date, t.c.id).limit(size + 1)
        rows = (await self.session.execute(stmt)).all()
        more = len(rows) > size
        rows = rows[:size]
        orders = await load_orders(self.session, rows)
        next_token = _order_token(rows[-1].order_date, rows[-1].id) if more and rows else ""
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
