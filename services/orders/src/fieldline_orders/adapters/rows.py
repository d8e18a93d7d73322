"""Rows ↔ domain objects: the conversions every repository and read of this service shares.

Numeric columns are `ExactDecimal`s (fieldline_kit.db_types): they read back as Decimals of the
column's scale, which these functions normalise (quantities and percents without trailing
zeros, money at two places). SQLite hands back naive datetimes; everything stored is UTC.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.db import utc
from fieldline_orders.adapters import orm
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    DiscountScope,
    DistributorPriceType,
    PriceList,
    PriceType,
    Product,
    ProductGroup,
    ProductUnit,
    VolumeBreak,
    Warehouse,
)
from fieldline_orders.domain.order_promotions import (
    AppliedPromotion,
    ExpectedFreeLine,
    ExpectedPromotion,
    PromotionMatch,
    PromotionStatus,
)
from fieldline_orders.domain.orders import (
    Amendment,
    CreditDecision,
    CreditOutcome,
    Order,
    OrderChannel,
    OrderKind,
    OrderLine,
    OrderStatus,
    Revision,
)
from fieldline_orders.domain.promotion_pricing import LinePromotion
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
# The catalog records' `version` is read where it matters (the upserts, the lists, the events)
# and given to these as `version`; pricing reads leave that column out and keep the default.
def group_from(row: Row[Any]) -> ProductGroup:
    return ProductGroup(row.id, row.external_id, row.name, row.parent_id, row.version)


def group_values(g: ProductGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "external_id": g.external_id,
        "name": g.name,
        "parent_id": g.parent_id,
        "version": g.version,
    }


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


def price_type_from(row: Row[Any], version: int = 1) -> PriceType:
    return PriceType(
        row.id, row.external_id, row.name, row.currency_code, bool(row.vat_included), version
    )


def price_type_values(t: PriceType) -> dict[str, Any]:
    return {
        "id": t.id,
        "external_id": t.external_id,
        "name": t.name,
        "currency_code": t.currency_code,
        "vat_included": t.vat_included,
        "version": t.version,
    }


def discount_from(row: Row[Any], version: int = 1) -> Discount:
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
        version=version,
        distributor_id=row.distributor_id,
    )


def distributor_price_type_from(row: Row[Any]) -> DistributorPriceType:
    return DistributorPriceType(row.distributor_id, row.client_id, row.price_type_id, row.version)


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
        "version": d.version,
        "distributor_id": d.distributor_id,
    }


def warehouse_from(row: Row[Any]) -> Warehouse:
    return Warehouse(row.id, row.external_id, row.name, row.distributor_id, row.version)


def warehouse_values(w: Warehouse) -> dict[str, Any]:
    return {
        "id": w.id,
        "external_id": w.external_id,
        "name": w.name,
        "distributor_id": w.distributor_id,
        "version": w.version,
    }


def client_price_from(row: Row[Any], version: int = 1) -> ClientPrice:
    return ClientPrice(
        row.client_id,
        row.product_id,
        money_value(row.price),
        row.currency_code,
        row.valid_from,
        row.valid_to,
        version,
    )


def client_price_values(cp: ClientPrice) -> dict[str, Any]:
    return {
        "client_id": cp.client_id,
        "product_id": cp.product_id,
        "valid_from": cp.valid_from,
        "valid_to": cp.valid_to,
        "price": cp.price,
        "currency_code": cp.currency_code,
        "version": cp.version,
    }


def price_list_header(row: Row[Any], entries: dict[str, Decimal]) -> PriceList:
    """A stored list (`row`: its `price_lists` row) with `entries`."""
    return PriceList(
        row.id,
        row.external_id,
        row.price_type_id,
        row.valid_from,
        row.valid_to,
        entries,
        version=row.version,
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
        promotion_discount=money_value(row.promotion_discount),
        promotions=line_promotions_from(row.promotions),
        free_of_charge=bool(row.free_of_charge),
        promotion_id=row.promotion_id,
    )


# ------------------------------------------------------------------------- promotions
def line_promotions_json(items: Sequence[LinePromotion]) -> list[dict[str, str]] | None:
    """A line's promotions as `order_lines.promotions` keeps them (None: none)."""
    if not items:
        return None
    return [
        {"promotion_id": p.promotion_id, "benefit": str(p.benefit), "formula": p.formula}
        for p in items
    ]


def line_promotions_from(value: Any) -> tuple[LinePromotion, ...]:
    if not value:
        return ()
    return tuple(
        LinePromotion(d["promotion_id"], Decimal(d["benefit"]), d["formula"]) for d in value
    )


def _opt_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _opt_decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def applied_json(items: Sequence[AppliedPromotion]) -> list[dict[str, Any]] | None:
    """An order's promotions as `orders.promotions` keeps them (None: none)."""
    if not items:
        return None
    return [
        {
            "promotion_id": a.promotion_id,
            "name": a.name,
            "status": a.status.value,
            "benefit": str(a.benefit),
            "budget_consumed": _opt_text(a.budget_consumed),
            "explanation": a.explanation,
            "match": a.match.value,
            "expected_benefit": _opt_text(a.expected_benefit),
        }
        for a in items
    ]


def applied_from(value: Any) -> tuple[AppliedPromotion, ...]:
    if not value:
        return ()
    return tuple(
        AppliedPromotion(
            d["promotion_id"],
            d["name"],
            PromotionStatus(d["status"]),
            Decimal(d["benefit"]),
            _opt_decimal(d["budget_consumed"]),
            d["explanation"],
            PromotionMatch(d["match"]),
            _opt_decimal(d["expected_benefit"]),
        )
        for d in value
    )


def expected_json(items: Sequence[ExpectedPromotion]) -> list[dict[str, Any]] | None:
    if not items:
        return None
    return [
        {
            "promotion_id": e.promotion_id,
            "benefit": str(e.benefit),
            "free_lines": [[f.product_id, str(f.base_quantity)] for f in e.free_lines],
        }
        for e in items
    ]


def expected_from(value: Any) -> tuple[ExpectedPromotion, ...]:
    if not value:
        return ()
    return tuple(
        ExpectedPromotion(
            d["promotion_id"],
            Decimal(d["benefit"]),
            tuple(ExpectedFreeLine(pid, Decimal(q)) for pid, q in d["free_lines"]),
        )
        for d in value
    )


def line_json(ln: OrderLine) -> dict[str, Any]:
    """A line as `order_revisions.lines` keeps it: figures as decimal strings."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(OrderLine):
        v = getattr(ln, f.name)
        if f.name == "promotions":
            v = line_promotions_json(v)
        elif isinstance(v, Decimal):
            v = str(v)
        out[f.name] = v
    return out


# The fields of a line that are not figures.
_LINE_TEXT = frozenset(
    {"line_no", "product_id", "unit", "price_source", "container_type", "promotion_id"}
)


def line_from_json(d: dict[str, Any]) -> OrderLine:
    """`line_json`'s line back (a revision kept before migration 0020 has no promotions)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(OrderLine):
        if f.name == "promotions":
            values[f.name] = line_promotions_from(d.get(f.name))
        elif f.name == "free_of_charge":
            values[f.name] = bool(d.get(f.name, False))
        elif f.name in _LINE_TEXT:
            values[f.name] = d.get(f.name, "")
        else:
            values[f.name] = Decimal(d.get(f.name, "0"))
    return OrderLine(**values)


def revision_row(order_id: str, r: Revision, replaced_at: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "revision": r.revision,
        "lines": [line_json(ln) for ln in r.lines],
        "delivery_date": r.delivery_date,
        "warehouse_id": r.warehouse_id,
        "comment": r.comment,
        "currency_code": r.currency_code,
        "net_total": r.net_total,
        "vat_total": r.vat_total,
        "gross_total": r.gross_total,
        "credit": credit_json(r.credit),
        "replaced_at": replaced_at,
        "promotions": applied_json(r.promotions),
    }


def revision_from(row: Row[Any]) -> Revision:
    return Revision(
        row.revision,
        tuple(line_from_json(d) for d in row.lines),
        row.delivery_date,
        row.warehouse_id,
        row.comment,
        row.currency_code,
        money_value(row.net_total),
        money_value(row.vat_total),
        money_value(row.gross_total),
        credit_from(row.credit),
        applied_from(row.promotions),
    )


def amendment_from(row: Row[Any]) -> Amendment:
    return Amendment(
        row.amendment_id, row.revision, row.digest, row.amended_by, utc(row.amended_at)
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
        ln.promotion_discount,
        ln.free_of_charge,
        ln.promotion_id,
        line_promotions_json(ln.promotions),
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
        visit_id=row.visit_id,
        revision=row.revision,
        channel=OrderChannel(row.channel),
        taken_by=row.taken_by,
        call_id=row.call_id,
        promotions=applied_from(row.promotions),
        expected_promotions=expected_from(row.expected_promotions),
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
        o.visit_id,
        o.revision,
        o.channel.value,
        o.taken_by,
        o.call_id,
        applied_json(o.promotions),
        expected_json(o.expected_promotions),
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


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ---------------------------------------------------------------------------------- van
def van_from(row: Row[Any]) -> Van:
    return Van(
        row.id,
        row.name,
        row.van_seller_id,
        row.currency_code,
        row.version,
        utc(row.created_at),
        row.distributor_id,
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
        visit_id=row.visit_id,
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


ORDER_BY_ID = select(orm.orders).where(orm.orders.c.id == bindparam("id"))


async def order_by_id(
    session: AsyncSession, order_id: str, *, for_update: bool = False
) -> Order | None:
    """The order with its lines (two statements), or None."""
    statement = ORDER_BY_ID.with_for_update() if for_update else ORDER_BY_ID
    row = (await session.execute(statement, {"id": order_id})).first()
    if row is None:
        return None
    (order,) = await load_orders(session, [row])
    return order
