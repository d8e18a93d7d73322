"""The ContactSales projection's rows (`contact_sales`): recomputed in the transaction that
changes a document naming a contact, and read by GetContactSales / ListContactSales.

`ContactStore.refresh(visit_ids)` is what the unit of work runs before it writes its events
(adapters/repository.py, `OrdersUnitOfWork.flush_events`) for every visit a document written in
the transaction names, and for a visit whose feed row the transaction changed. It

1. makes sure each contact has a row and locks the rows, in id order (`INSERT … ON CONFLICT
   DO NOTHING` of a placeholder at version 0, then `SELECT … FOR UPDATE` on PostgreSQL;
   SQLite runs one writer at a time anyway): of two transactions recomputing one contact, the
   second waits for the first to commit and then reads what it wrote;
2. reads every document naming the contacts and their visits (`feed_visits`) — statements
   run after the lock, so under READ COMMITTED they see the other transaction's documents;
3. judges each contact (domain/contacts.py `judge`) and writes the rows whose figures changed,
   as their next version, with a `ContactSalesChanged` each; a placeholder nothing names is
   deleted again (a visit no document names has no row).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, bindparam, delete, func, or_, select, update

from fieldline_kit.db import utc
from fieldline_kit.repository import Repository, dialect_insert
from fieldline_orders.adapters import orm, orm_van
from fieldline_orders.adapters.orm_feed import feed_visits
from fieldline_orders.adapters.queries import after_day_token, day_token
from fieldline_orders.adapters.rows import chunks, money_value
from fieldline_orders.domain import events
from fieldline_orders.domain.contacts import (
    ContactDocument,
    ContactKind,
    ContactSales,
    DocumentKind,
    changed,
    judge,
)
from fieldline_orders.domain.feed import VisitState
from fieldline_orders.domain.orders import OrderKind, OrderStatus

NOT_COUNTED = (OrderStatus.CANCELLED.value, OrderStatus.CREDIT_HOLD.value)


def visit_from(row: Row[Any]) -> VisitState:
    return VisitState(row.visit_id, row.agent_id, row.outlet_id, row.day, row.status, row.version)


def contact_from(row: Row[Any]) -> ContactSales:
    return ContactSales(
        contact_id=row.contact_id,
        kind=ContactKind(row.kind),
        employee_id=row.employee_id,
        outlet_id=row.outlet_id,
        day=row.day,
        orders=row.orders,
        van_sales=row.van_sales,
        returns=row.returns,
        lines=row.lines,
        gross_total=money_value(row.gross_total),
        currency=row.currency_code,
        mismatched=bool(row.mismatched),
        productive=bool(row.productive),
        minimum=money_value(row.productive_minimum),
        order_ids=tuple(row.order_ids),
        return_ids=tuple(row.return_ids),
        version=row.version,
        updated_at=utc(row.updated_at),
    )


def _values(c: ContactSales) -> dict[str, Any]:
    return {
        "contact_id": c.contact_id,
        "kind": c.kind.value,
        "employee_id": c.employee_id,
        "outlet_id": c.outlet_id,
        "day": c.day,
        "orders": c.orders,
        "van_sales": c.van_sales,
        "returns": c.returns,
        "lines": c.lines,
        "gross_total": c.gross_total,
        "currency_code": c.currency,
        "mismatched": c.mismatched,
        "productive": c.productive,
        "productive_minimum": c.minimum,
        "order_ids": list(c.order_ids),
        "return_ids": list(c.return_ids),
        "version": c.version,
        "updated_at": c.updated_at,
    }


def _placeholder(contact_id: str, now: datetime) -> dict[str, Any]:
    """The row a contact holds until it is judged (version 0: never published)."""
    nothing = ContactSales(
        contact_id=contact_id,
        kind=ContactKind.VISIT,
        employee_id="",
        outlet_id="",
        day=date.min,
        orders=0,
        van_sales=0,
        returns=0,
        lines=0,
        gross_total=Decimal(0),
        currency="",
        mismatched=False,
        productive=False,
        minimum=Decimal(0),
        order_ids=(),
        return_ids=(),
        version=0,
        updated_at=now,
    )
    return _values(nothing)


_t = orm.contact_sales
UPDATE_CONTACT = (
    update(_t)
    .where(_t.c.contact_id == bindparam("key"))
    .values({c.name: bindparam(c.name) for c in _t.columns if c.name != "contact_id"})
)


class ContactStore(Repository):
    """The contacts' rows, and the documents and visits they are judged from."""

    async def refresh(self, visit_ids: Collection[str], minimum: Decimal, now: datetime) -> None:
        """Recompute the contacts of `visit_ids` (see the module's docstring)."""
        ids = sorted(set(visit_ids) - {""})
        if not ids:
            return
        session, t = self.session, orm.contact_sales
        insert = dialect_insert(session, t).on_conflict_do_nothing(index_elements=["contact_id"])
        await session.execute(insert, [_placeholder(i, now) for i in ids])
        stored: dict[str, ContactSales] = {}
        for part in chunks(ids):
            stmt = select(t).where(t.c.contact_id.in_(list(part))).order_by(t.c.contact_id)
            if session.get_bind().dialect.name != "sqlite":
                stmt = stmt.with_for_update()
            for r in (await session.execute(stmt)).all():
                stored[r.contact_id] = contact_from(r)
        visits = await self.visits(ids)
        documents = await self.documents(ids)
        rows: list[dict[str, Any]] = []
        gone: list[str] = []
        for contact_id in ids:
            held = stored.get(contact_id)
            previous = held if held is not None and held.version > 0 else None
            new = judge(contact_id, visits.get(contact_id), documents.get(contact_id, []), minimum)
            if new is None:
                if previous is None:
                    gone.append(contact_id)
                continue
            row = changed(previous, new, now)
            if row is None:
                continue
            values = _values(row)
            values["key"] = values.pop("contact_id")
            rows.append(values)
            self._uow.track(events.Announcement([events.ContactSalesChanged(row)]))
        if rows:
            await session.execute(UPDATE_CONTACT, rows)
        for part in chunks(gone):
            await session.execute(delete(t).where(t.c.contact_id.in_(list(part)), t.c.version == 0))

    async def visits(self, visit_ids: Collection[str]) -> dict[str, VisitState]:
        """The feed's visits of these ids (those it knows)."""
        v = feed_visits
        out: dict[str, VisitState] = {}
        for part in chunks(sorted(set(visit_ids))):
            rows = await self.session.execute(select(v).where(v.c.visit_id.in_(list(part))))
            out.update({r.visit_id: visit_from(r) for r in rows})
        return out

    async def visit(self, visit_id: str) -> VisitState | None:
        return (await self.visits([visit_id])).get(visit_id)

    async def documents(self, visit_ids: Sequence[str]) -> dict[str, list[ContactDocument]]:
        """The orders, van sales and returns naming each visit (two statements a chunk)."""
        o, ln, r = orm.orders, orm.order_lines, orm_van.goods_returns
        lines = select(func.count()).where(ln.c.order_id == o.c.id).scalar_subquery().label("lines")
        out: dict[str, list[ContactDocument]] = {}
        for part in chunks(list(visit_ids)):
            found = await self.session.execute(
                select(
                    o.c.id,
                    o.c.kind,
                    o.c.status,
                    o.c.agent_id,
                    o.c.outlet_id,
                    o.c.order_date,
                    o.c.gross_total,
                    o.c.currency_code,
                    o.c.visit_id,
                    lines,
                ).where(o.c.visit_id.in_(list(part)))
            )
            for row in found:
                sale = row.kind == OrderKind.VAN_SALE.value
                out.setdefault(row.visit_id, []).append(
                    ContactDocument(
                        kind=DocumentKind.VAN_SALE if sale else DocumentKind.ORDER,
                        id=row.id,
                        employee_id=row.agent_id,
                        outlet_id=row.outlet_id,
                        day=row.order_date,
                        counted=sale or row.status not in NOT_COUNTED,
                        lines=int(row.lines),
                        gross=money_value(row.gross_total),
                        currency=row.currency_code,
                    )
                )
            returned = await self.session.execute(
                select(
                    r.c.id,
                    r.c.actor_id,
                    r.c.outlet_id,
                    r.c.date,
                    r.c.gross_total,
                    r.c.currency_code,
                    r.c.visit_id,
                ).where(r.c.visit_id.in_(list(part)))
            )
            for back in returned:
                out.setdefault(back.visit_id, []).append(
                    ContactDocument(
                        kind=DocumentKind.RETURN,
                        id=back.id,
                        employee_id=back.actor_id,
                        outlet_id=back.outlet_id,
                        day=back.date,
                        counted=True,
                        lines=0,
                        gross=money_value(back.gross_total),
                        currency=back.currency_code,
                    )
                )
        return out

    # -- reads ---------------------------------------------------------------------------
    async def find(self, contact_id: str) -> ContactSales | None:
        t = orm.contact_sales
        row = (
            await self.session.execute(
                select(t).where(t.c.contact_id == contact_id, t.c.version > 0)
            )
        ).first()
        return contact_from(row) if row is not None else None

    async def list(
        self,
        *,
        size: int,
        token: str,
        employee_ids: Sequence[str],
        from_date: date | None,
        to_date: date | None,
    ) -> tuple[list[ContactSales], str]:
        """Contacts by day, then id (`employee_ids` empty: everyone's)."""
        t = orm.contact_sales
        after = after_day_token(token)
        conds = [t.c.version > 0]
        if after:
            conds.append(
                or_(t.c.day > after[0], and_(t.c.day == after[0], t.c.contact_id > after[1]))
            )
        if employee_ids:
            conds.append(t.c.employee_id.in_(list(employee_ids)))
        if from_date:
            conds.append(t.c.day >= from_date)
        if to_date:
            conds.append(t.c.day <= to_date)
        stmt = select(t).where(*conds).order_by(t.c.day, t.c.contact_id).limit(size + 1)
        rows = (await self.session.execute(stmt)).all()
        more = len(rows) > size
        rows = rows[:size]
        token_out = day_token(rows[-1].day, rows[-1].contact_id) if more and rows else ""
        return [contact_from(r) for r in rows], token_out
