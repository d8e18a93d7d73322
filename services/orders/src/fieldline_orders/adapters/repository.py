"""Repositories of orders, vans and returns: rows ↔ aggregates, inside a unit of work.

Orders use optimistic concurrency like the clients service: `get` remembers the loaded
version, `save` writes `WHERE id = … AND version = <loaded>` and a miss is ABORTED.

Van stock is never read-modify-written: loads and returns add with `quantity = quantity + q`,
a sale takes with `UPDATE … SET quantity = quantity − q WHERE … AND quantity >= q`, so of two
concurrent sales of the last units one updates a row and the other none (PostgreSQL re-checks
the row after the first commits; SQLite serialises writers with BEGIN IMMEDIATE).
Quantities are rounded to 3 places in SQL so that SQLite (REAL storage) never accumulates
binary fractions that would make `quantity >= q` refuse an exact amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.bulk_insert import RowsInsert
from fieldline_kit.errors import Conflict, NotFound
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters import orm, orm_van
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    DiscountScope,
    PriceList,
    PriceType,
    Product,
    ProductGroup,
    ProductUnit,
    StockLevel,
    VolumeBreak,
)
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditOutcome,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
)
from fieldline_orders.domain.returns import GoodsReturn, ReturnedLine
from fieldline_orders.domain.values import ZERO, fmt
from fieldline_orders.domain.van import (
    Movement,
    MovementKind,
    StockDiscrepancy,
    Unloading,
    Van,
    VanLoad,
)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def utc(value: datetime) -> datetime:
    result = aware(value)
    assert result is not None
    return result


def dec(value: Any) -> Decimal:
    """A Numeric column value as a Decimal (ExactDecimal columns give one already)."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def qty(value: Any) -> Decimal:
    return dec(value).quantize(Decimal("0.001")).normalize() + 0


def money_value(value: Any) -> Decimal:
    return dec(value).quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------ catalog
def group_from(row: Row[Any]) -> ProductGroup:
    return ProductGroup(row.id, row.external_id, row.name, row.parent_id)


def group_values(g: ProductGroup) -> dict[str, Any]:
    return {"id": g.id, "external_id": g.external_id, "name": g.name, "parent_id": g.parent_id}


def product_from(row: Row[Any]) -> Product:
    return Product(
        id=row.id,
        external_id=row.external_id,
        sku=row.sku,
        name=row.name,
        group_id=row.group_id,
        barcodes=tuple(row.barcodes),
        vat_rate=dec(row.vat_rate).normalize() + 0,
        base_unit=row.base_unit,
        units=tuple(ProductUnit(u["code"], u["name"], Decimal(u["ratio"])) for u in row.units),
        pack_unit=row.pack_unit,
        container_type=row.container_type,
        containers_per_unit=qty(row.containers_per_unit),
        active=bool(row.active),
        version=row.version,
    )


def product_values(p: Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "external_id": p.external_id,
        "sku": p.sku,
        "name": p.name,
        "name_search": search_key(p.name),
        "group_id": p.group_id,
        "barcodes": list(p.barcodes),
        "vat_rate": p.vat_rate,
        "base_unit": p.base_unit,
        "units": [{"code": u.code, "name": u.name, "ratio": fmt(u.ratio)} for u in p.units],
        "pack_unit": p.pack_unit,
        "container_type": p.container_type,
        "containers_per_unit": p.containers_per_unit,
        "active": p.active,
        "version": p.version,
    }


def search_key(text: str) -> str:
    """Case- and ё-insensitive form used for name search (SQLite's lower() is ASCII-only)."""
    return text.casefold().replace("ё", "е")


def price_type_from(row: Row[Any]) -> PriceType:
    return PriceType(row.id, row.external_id, row.name, row.currency_code, bool(row.vat_included))


def price_type_values(t: PriceType) -> dict[str, Any]:
    return {
        "id": t.id,
        "external_id": t.external_id,
        "name": t.name,
        "currency_code": t.currency_code,
        "vat_included": t.vat_included,
    }


def discount_from(row: Row[Any]) -> Discount:
    return Discount(
        id=row.id,
        external_id=row.external_id,
        scope=DiscountScope(row.scope),
        client_id=row.client_id,
        group_id=row.group_id,
        product_id=row.product_id,
        percent=dec(row.percent).normalize() + 0,
        volume_breaks=tuple(
            VolumeBreak(Decimal(b["min_quantity"]), Decimal(b["percent"]))
            for b in row.volume_breaks
        ),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )


def discount_values(d: Discount) -> dict[str, Any]:
    return {
        "id": d.id,
        "external_id": d.external_id,
        "scope": d.scope.value,
        "client_id": d.client_id,
        "group_id": d.group_id,
        "product_id": d.product_id,
        "percent": d.percent,
        "volume_breaks": [
            {"min_quantity": fmt(b.min_quantity), "percent": fmt(b.percent)}
            for b in d.volume_breaks
        ],
        "valid_from": d.valid_from,
        "valid_to": d.valid_to,
    }


def client_price_from(row: Row[Any]) -> ClientPrice:
    return ClientPrice(
        row.client_id,
        row.product_id,
        money_value(row.price),
        row.currency_code,
        row.valid_from,
        row.valid_to,
    )


def stock_level_from(row: Row[Any]) -> StockLevel:
    return StockLevel(row.warehouse_id, row.product_id, qty(row.quantity))


def price_list_header(row: Row[Any], entries: dict[str, Decimal]) -> PriceList:
    return PriceList(
        row.id, row.external_id, row.price_type_id, row.valid_from, row.valid_to, entries
    )


# ------------------------------------------------------------------------------- orders
def credit_json(c: CreditDecision) -> dict[str, Any]:
    return {
        "outcome": c.outcome.value,
        "reasons": list(c.reasons),
        "fallback": c.fallback,
        "override_by": c.override_by,
        "override_reason": c.override_reason,
        "decided_at": c.decided_at.isoformat() if c.decided_at else None,
    }


def credit_from(d: dict[str, Any]) -> CreditDecision:
    decided = d.get("decided_at")
    return CreditDecision(
        outcome=CreditOutcome(d["outcome"]),
        reasons=tuple(d.get("reasons", ())),
        fallback=bool(d.get("fallback", False)),
        override_by=d.get("override_by", ""),
        override_reason=d.get("override_reason", ""),
        decided_at=datetime.fromisoformat(decided) if decided else None,
    )


def line_from(row: Row[Any]) -> OrderLine:
    return OrderLine(
        line_no=row.line_no,
        product_id=row.product_id,
        unit=row.unit,
        quantity=qty(row.quantity),
        base_quantity=qty(row.base_quantity),
        unit_price=money_value(row.unit_price),
        price_source=row.price_source,
        rule_discount_percent=dec(row.rule_discount_percent).normalize() + 0,
        manual_discount_percent=dec(row.manual_discount_percent).normalize() + 0,
        net_amount=money_value(row.net_amount),
        vat_rate=dec(row.vat_rate).normalize() + 0,
        vat_amount=money_value(row.vat_amount),
        gross_amount=money_value(row.gross_amount),
        delivered_base_quantity=qty(row.delivered_base_quantity),
        container_type=row.container_type,
        container_quantity=qty(row.container_quantity),
    )


# Rows of the order tables as tuples in the column order of their `RowsInsert` (below): the
# batched write binds them without a parameter dict per row.
LINE_COLUMNS = tuple(c.key for c in orm.order_lines.c)


def line_row(order_id: str, ln: OrderLine) -> tuple[Any, ...]:
    return (
        order_id,
        ln.line_no,
        ln.product_id,
        ln.unit,
        ln.quantity,
        ln.base_quantity,
        ln.unit_price,
        ln.price_source,
        ln.rule_discount_percent,
        ln.manual_discount_percent,
        ln.net_amount,
        ln.vat_rate,
        ln.vat_amount,
        ln.gross_amount,
        ln.delivered_base_quantity,
        ln.container_type,
        ln.container_quantity,
    )


def order_from(row: Row[Any], lines: Iterable[OrderLine]) -> Order:
    return Order(
        id=row.id,
        kind=OrderKind(row.kind),
        status=OrderStatus(row.status),
        client_id=row.client_id,
        outlet_id=row.outlet_id,
        agent_id=row.agent_id,
        distributor_id=row.distributor_id,
        warehouse_id=row.warehouse_id,
        order_date=row.order_date,
        delivery_date=row.delivery_date,
        lines=sorted(lines, key=lambda ln: ln.line_no),
        currency_code=row.currency_code,
        net_total=money_value(row.net_total),
        vat_total=money_value(row.vat_total),
        gross_total=money_value(row.gross_total),
        credit=credit_from(row.credit),
        comment=row.comment,
        status_reason=row.status_reason,
        cash_collected=money_value(row.cash_collected),
        receipt_number=row.receipt_number,
        version=row.version,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


ORDER_COLUMNS = tuple(c.key for c in orm.orders.c)


def order_row(o: Order) -> tuple[Any, ...]:
    return (
        o.id,
        o.kind.value,
        o.status.value,
        o.client_id,
        o.outlet_id,
        o.agent_id,
        o.distributor_id,
        o.warehouse_id,
        o.order_date,
        o.delivery_date,
        o.currency_code,
        o.net_total,
        o.vat_total,
        o.gross_total,
        credit_json(o.credit),
        o.comment,
        o.status_reason,
        o.cash_collected,
        o.receipt_number,
        o.version,
        o.created_at,
        o.updated_at,
    )


def order_values(o: Order) -> dict[str, Any]:
    return dict(zip(ORDER_COLUMNS, order_row(o), strict=True))


HISTORY_COLUMNS = ("order_id", "status", "reason", "reported_by", "changed_at")


async def load_orders(session: AsyncSession, rows: Sequence[Row[Any]]) -> list[Order]:
    """Orders with their lines, in the order of `rows` (one query for all the lines)."""
    if not rows:
        return []
    t = orm.order_lines
    by_order: dict[str, list[OrderLine]] = {r.id: [] for r in rows}
    ids = list(by_order)
    for chunk in chunks(ids):
        for ln in (await session.execute(select(t).where(t.c.order_id.in_(chunk)))).all():
            by_order[ln.order_id].append(line_from(ln))
    return [order_from(r, by_order[r.id]) for r in rows]


# The INSERTs of a new order (compiled once per dialect, rows bound as tuples; see
# fieldline_kit.bulk_insert): the orders one is INSERT … ON CONFLICT (id) DO NOTHING RETURNING
# id, so a write of many orders tells which were inserted (an id that exists is skipped).
INSERT_ORDERS_IF_ABSENT = RowsInsert(
    orm.orders, ORDER_COLUMNS, on_conflict_do_nothing=("id",), returning=("id",)
)
INSERT_LINES = RowsInsert(orm.order_lines, LINE_COLUMNS)
INSERT_HISTORY = RowsInsert(orm.order_status_history, HISTORY_COLUMNS)
ORDER_BY_ID = select(orm.orders).where(orm.orders.c.id == bindparam("id"))


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class OrderRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: dict[str, int] = {}

    @property
    def session(self) -> AsyncSession:
        return self._uow.session

    async def find(self, order_id: str) -> Order | None:
        row = (await self.session.execute(ORDER_BY_ID, {"id": order_id})).first()
        if row is None:
            return None
        (order,) = await load_orders(self.session, [row])
        self._loaded[order.id] = order.version
        self._uow.track(order)
        return order

    async def get(self, order_id: str, field: str = "order_id") -> Order:
        found = await self.find(order_id)
        if found is None:
            raise NotFound("order", order_id, field)
        return found

    async def add(self, o: Order) -> None:
        await self.session.execute(insert(orm.orders).values(**order_values(o)))
        await self._write_new([o])

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
        return inserted

    async def _write_new(self, orders: Sequence[Order]) -> None:
        """The lines and status history of orders just inserted; tracked from now on."""
        if not orders:
            return
        await INSERT_LINES.execute(
            self.session, [line_row(o.id, ln) for o in orders for ln in o.lines]
        )
        await INSERT_HISTORY.execute(self.session, [h for o in orders for h in _history_rows(o)])
        for o in orders:
            self._loaded[o.id] = o.version
            self._uow.track(o)

    async def save(self, o: Order) -> None:
        loaded = self._loaded.get(o.id)
        if loaded is None:
            raise RuntimeError(f"order {o.id} saved without being loaded")
        if loaded == o.version:
            return
        values = order_values(o)
        del values["id"], values["created_at"]
        result = await self.session.execute(
            update(orm.orders)
            .where(orm.orders.c.id == o.id, orm.orders.c.version == loaded)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"order {o.id} was changed concurrently; reload and retry")
        t = orm.order_lines
        for ln in o.lines:
            await self.session.execute(
                update(t)
                .where(t.c.order_id == o.id, t.c.line_no == ln.line_no)
                .values(delivered_base_quantity=ln.delivered_base_quantity)
            )
        await self._history(o)
        self._loaded[o.id] = o.version

    async def _history(self, o: Order) -> None:
        await INSERT_HISTORY.execute(self.session, _history_rows(o))


def _history_rows(o: Order) -> list[tuple[Any, ...]]:
    """The rows of the order's new status history (taken: written once)."""
    rows = [(o.id, h.status.value, h.reason, h.reported_by, h.at) for h in o.new_history]
    o.new_history.clear()
    return rows


# ---------------------------------------------------------------------------------- van
def van_from(row: Row[Any]) -> Van:
    return Van(
        row.id, row.name, row.van_seller_id, row.currency_code, row.version, utc(row.created_at)
    )


def movement_from(row: Row[Any]) -> Movement:
    return Movement(
        row.van_id,
        row.document_id,
        MovementKind(row.kind),
        row.product_id,
        qty(row.quantity),
        row.date,
        bool(row.discrepancy),
    )


def load_from(row: Row[Any]) -> VanLoad:
    return VanLoad(
        row.id,
        row.van_id,
        row.date,
        tuple((pid, Decimal(q)) for pid, q in row.lines),
        utc(row.created_at),
    )


def goods_return_from(row: Row[Any], lines: Iterable[Row[Any]]) -> GoodsReturn:
    return GoodsReturn(
        id=row.id,
        van_id=row.van_id,
        client_id=row.client_id,
        outlet_id=row.outlet_id,
        order_id=row.order_id,
        on=row.date,
        lines=tuple(
            ReturnedLine(
                ln.line_no,
                ln.product_id,
                ln.unit,
                qty(ln.quantity),
                qty(ln.base_quantity),
                money_value(ln.unit_price),
                money_value(ln.gross_amount),
                ln.reason,
            )
            for ln in sorted(lines, key=lambda x: x.line_no)
        ),
        containers=tuple((c["container_type"], Decimal(c["quantity"])) for c in row.containers),
        currency_code=row.currency_code,
        actor_id=row.actor_id,
        created_at=utc(row.created_at),
    )


def unloading_from(row: Row[Any], lines: Iterable[Row[Any]]) -> Unloading:
    return Unloading(
        id=row.id,
        van_id=row.van_id,
        on=row.date,
        currency_code=row.currency_code,
        lines=tuple(
            StockDiscrepancy(ln.product_id, qty(ln.expected), qty(ln.counted)) for ln in lines
        ),
        cash_expected=money_value(row.cash_expected),
        cash_handed_over=money_value(row.cash_handed_over),
        created_at=utc(row.created_at),
    )


class VanRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def session(self) -> AsyncSession:
        return self._uow.session

    # -- vans ---------------------------------------------------------------------------
    async def find(self, van_id: str) -> Van | None:
        t = orm_van.vans
        row = (await self.session.execute(select(t).where(t.c.id == van_id))).first()
        return van_from(row) if row else None

    async def get(self, van_id: str, field: str = "van_id") -> Van:
        van = await self.find(van_id)
        if van is None:
            raise NotFound("van", van_id, field)
        return van

    async def add(self, v: Van) -> None:
        await self.session.execute(
            insert(orm_van.vans).values(
                id=v.id,
                name=v.name,
                van_seller_id=v.van_seller_id,
                currency_code=v.currency_code,
                version=v.version,
                created_at=v.created_at,
            )
        )

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
            # run_idempotent retries the whole unit of work, which then takes the UPDATE path.
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
        self._uow.track(load)

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
        self._uow.track(u)

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

    # -- returns -------------------------------------------------------------------------
    async def find_return(self, return_id: str) -> GoodsReturn | None:
        t, lt = orm_van.goods_returns, orm_van.goods_return_lines
        row = (await self.session.execute(select(t).where(t.c.id == return_id))).first()
        if row is None:
            return None
        lines = (await self.session.execute(select(lt).where(lt.c.return_id == return_id))).all()
        return goods_return_from(row, lines)

    async def returned_against(self, order_id: str) -> dict[str, Decimal]:
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

    async def add_return(self, r: GoodsReturn) -> None:
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
        self._uow.track(r)
