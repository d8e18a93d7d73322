"""Promotions as rows of `promotions` and back (adapters/orm.py): targeting, product set and
mechanic as JSON of plain texts (decimals as their text, enums by name)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from fieldline_kit.db import utc
from fieldline_orders.domain.orders import OrderChannel, OrderKind
from fieldline_orders.domain.promotions import (
    AmountOff,
    Budget,
    BudgetKind,
    Bundle,
    Combinability,
    FreeGoods,
    Gift,
    Mechanic,
    PercentOff,
    Promotion,
    Targeting,
)
from fieldline_orders.domain.values import fmt


def promotion_values(p: Promotion) -> dict[str, Any]:
    t = p.targeting
    return {
        "id": p.id,
        "external_id": p.external_id,
        "name": p.name,
        "description": p.description,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "currency_code": p.currency_code,
        "stopped_at": p.stopped_at,
        "targeting": {
            "client_ids": sorted(t.client_ids),
            "outlet_ids": sorted(t.outlet_ids),
            "outlet_channels": sorted(t.outlet_channels),
            "territory_ids": sorted(t.territory_ids),
            "order_kinds": sorted(k.value for k in t.order_kinds),
            "order_channels": sorted(c.value for c in t.order_channels),
            "distributor_ids": sorted(t.distributor_ids),
        },
        "product_ids": sorted(p.product_ids),
        "group_ids": sorted(p.group_ids),
        "mechanic": mechanic_json(p.mechanic),
        "combinability": p.combinability.value,
        "priority": p.priority,
        "budget_kind": p.budget.kind.value,
        "budget_total": p.budget.total,
        "version": p.version,
    }


def promotion_from(row: Row[Any]) -> Promotion:
    t = row.targeting
    return Promotion(
        id=row.id,
        external_id=row.external_id,
        name=row.name,
        description=row.description,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        currency_code=row.currency_code,
        stopped_at=utc(row.stopped_at) if row.stopped_at is not None else None,
        targeting=Targeting(
            client_ids=frozenset(t["client_ids"]),
            outlet_ids=frozenset(t["outlet_ids"]),
            outlet_channels=frozenset(t["outlet_channels"]),
            territory_ids=frozenset(t["territory_ids"]),
            order_kinds=frozenset(OrderKind(k) for k in t["order_kinds"]),
            order_channels=frozenset(OrderChannel(c) for c in t["order_channels"]),
            distributor_ids=frozenset(t["distributor_ids"]),
        ),
        product_ids=frozenset(row.product_ids),
        group_ids=frozenset(row.group_ids),
        mechanic=mechanic_from(row.mechanic),
        combinability=Combinability(row.combinability),
        priority=row.priority,
        budget=Budget(BudgetKind(row.budget_kind), Decimal(row.budget_total) + 0),
        version=row.version,
    )


def mechanic_json(m: Mechanic) -> dict[str, Any]:
    if isinstance(m, PercentOff):
        return {"kind": "percent_off", "percent": fmt(m.percent)}
    if isinstance(m, AmountOff):
        return {"kind": "amount_off", "amount": fmt(m.amount)}
    if isinstance(m, FreeGoods):
        return {
            "kind": "free_goods",
            "buy_quantity": fmt(m.buy_quantity),
            "free_product_id": m.free_product_id,
            "free_quantity": fmt(m.free_quantity),
            "repeat": m.repeat,
        }
    if isinstance(m, Gift):
        return {
            "kind": "gift",
            "min_gross": fmt(m.min_gross) if m.min_gross is not None else "",
            "min_base_quantity": fmt(m.min_base_quantity)
            if m.min_base_quantity is not None
            else "",
            "gift_product_id": m.gift_product_id,
            "gift_quantity": fmt(m.gift_quantity),
        }
    return {
        "kind": "bundle_price",
        "components": [[pid, fmt(q)] for pid, q in m.components],
        "price": fmt(m.price),
    }


def mechanic_from(j: dict[str, Any]) -> Mechanic:
    kind = j["kind"]
    if kind == "percent_off":
        return PercentOff(Decimal(j["percent"]))
    if kind == "amount_off":
        return AmountOff(Decimal(j["amount"]))
    if kind == "free_goods":
        return FreeGoods(
            Decimal(j["buy_quantity"]),
            j["free_product_id"],
            Decimal(j["free_quantity"]),
            bool(j["repeat"]),
        )
    if kind == "gift":
        return Gift(
            Decimal(j["min_gross"]) if j["min_gross"] else None,
            Decimal(j["min_base_quantity"]) if j["min_base_quantity"] else None,
            j["gift_product_id"],
            Decimal(j["gift_quantity"]),
        )
    if kind == "bundle_price":
        return Bundle(tuple((pid, Decimal(q)) for pid, q in j["components"]), Decimal(j["price"]))
    raise ValueError(f"a stored promotion's mechanic of unknown kind {kind!r}")
