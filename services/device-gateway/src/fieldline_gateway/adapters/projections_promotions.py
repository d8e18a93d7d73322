"""The `promotions` section: orders' trade promotions as devices receive them
(docs/sync-protocol.md, *Sections*; docs/contexts/sales-gaps.md 3.7, *The device's copy*).

A promotion goes whole, targeting included, so the device judges its own expectation. Two
things are the gateway's own, read from its tables by adapters/promotions_store.py:

* **scopes**: `catalog` when the targeting names no client and no outlet; else the `account:`
  scope of each named client and of each named outlet's client (an outlet the gateway has not
  been told of yet gives none until its event arrives). An object lives in one scope, so the
  promotion is one object per scope: key `<promotionId>` under `catalog`,
  `<promotionId>/<clientId>` under `account:<clientId>` (the device finds it by its `id`);
* **territories**: `targeting.territoryIds` expanded to the named ones and every descendant
  the gateway knows, so the device matches an outlet's `territoryId` as it is.

Figures are orders' decimal texts in the promotion's currency, passed on as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fieldline.orders.v1 import resources_pb2 as opb
from fieldline_gateway.adapters.projections import (
    PROMOTIONS,
    Item,
    date_text,
    enum_name,
    enum_names,
    item,
    join_key,
    put,
    require,
    scope_account,
    scope_catalog,
    time_text,
)
from fieldline_gateway.domain.membership import CATALOG


def promotion_key(promotion_id: str, scope: str) -> str:
    """`<promotionId>` under `catalog`, `<promotionId>/<clientId>` under `account:<clientId>`."""
    if scope == CATALOG:
        return promotion_id
    return join_key(promotion_id, scope.removeprefix("account:"))


def is_catalog_wide(promotion: opb.Promotion) -> bool:
    """The targeting names no client and no outlet: every device gets it."""
    t = promotion.targeting
    return not t.client_ids and not t.outlet_ids


def promotion_scopes(promotion: opb.Promotion, outlet_clients: Mapping[str, str]) -> list[str]:
    """The scopes the promotion is written under (sorted): `catalog`, or the accounts of the
    named clients and of the named outlets' clients (`outlet_clients`: those the gateway
    knows)."""
    if is_catalog_wide(promotion):
        return [scope_catalog()]
    t = promotion.targeting
    clients = {c for c in t.client_ids if c}
    clients.update(outlet_clients[o] for o in t.outlet_ids if outlet_clients.get(o))
    return sorted(scope_account(c) for c in clients)


def expand_territories(named: Iterable[str], parents: Mapping[str, str]) -> list[str]:
    """The named territories and every descendant of theirs in the tree `parents` (territory →
    parent, "" for a root), sorted; a named territory the tree does not hold stays itself."""
    children: dict[str, list[str]] = {}
    for territory, parent in parents.items():
        if parent:
            children.setdefault(parent, []).append(territory)
    found: set[str] = set()
    stack = [t for t in named if t]
    while stack:
        territory = stack.pop()
        if territory in found:
            continue  # a cycle (never written by clients) ends here
        found.add(territory)
        stack.extend(children.get(territory, ()))
    return sorted(found)


def _targeting(t: opb.PromotionTargeting, territories: list[str]) -> dict[str, Any]:
    return {
        "clientIds": list(t.client_ids),
        "outletIds": list(t.outlet_ids),
        "outletChannels": list(t.outlet_channels),
        "territoryIds": territories,
        "orderKinds": enum_names(opb.OrderKind, t.order_kinds),
        "orderChannels": enum_names(opb.OrderChannel, t.order_channels),
        # "" among them: the company's own orders (kept: the device matches it as it is).
        "distributorIds": list(t.distributor_ids),
    }


def mechanic(promotion: opb.Promotion) -> dict[str, Any]:
    """`{kind: percentOff|amountOff|freeGoods|gift|bundlePrice, …its figures}`; `unknown` for
    a mechanic this build does not know (a newer orders), which a device does not offer."""
    p = promotion
    which = p.WhichOneof("mechanic")
    if which == "percent_off":
        return {"kind": "percentOff", "percent": p.percent_off.percent}
    if which == "amount_off":
        return {"kind": "amountOff", "amount": p.amount_off.amount}
    if which == "free_goods":
        f = p.free_goods
        return {
            "kind": "freeGoods",
            "buyQuantity": f.buy_quantity,
            "freeProductId": f.free_product_id,
            "freeQuantity": f.free_quantity,
            "repeat": f.repeat,
        }
    if which == "gift":
        g = p.gift
        data: dict[str, Any] = {"kind": "gift"}
        put(data, "minGross", g.min_gross)
        put(data, "minBaseQuantity", g.min_base_quantity)
        data["giftProductId"] = g.gift_product_id
        data["giftQuantity"] = g.gift_quantity
        return data
    if which == "bundle_price":
        b = p.bundle_price
        return {
            "kind": "bundlePrice",
            "components": [
                {"productId": c.product_id, "baseQuantity": c.base_quantity} for c in b.components
            ],
            "price": b.price,
        }
    return {"kind": "unknown"}


def _budget(b: opb.PromotionBudget) -> dict[str, Any]:
    """`{kind: none|money|units, total?, consumed?}` (none: unlimited)."""
    kind = enum_name(opb.PromotionBudgetKind, b.kind) if b.kind else "none"
    data: dict[str, Any] = {"kind": kind}
    if b.kind:
        put(data, "total", b.total)
        put(data, "consumed", b.consumed or "0")
    return data


def promotion_body(promotion: opb.Promotion, territories: list[str]) -> dict[str, Any]:
    """The item's data (`territories`: the targeting's, expanded)."""
    p = promotion
    data: dict[str, Any] = {"id": p.id}
    put(data, "externalId", p.external_id)
    data["name"] = p.name
    put(data, "description", p.description)
    data["validFrom"] = date_text(p.valid_from, "promotion.valid_from")
    data["validTo"] = date_text(p.valid_to, "promotion.valid_to")
    data["currency"] = p.currency_code
    # A stopped promotion stays until it ends, marked: the device stops offering it.
    data["stopped"] = p.stopped
    put(data, "stopTime", time_text(p.stop_time, "promotion.stop_time"))
    data["targeting"] = _targeting(p.targeting, territories)
    data["productIds"] = list(p.product_ids)
    data["groupIds"] = list(p.group_ids)
    data["mechanic"] = mechanic(p)
    data["combinability"] = enum_name(opb.PromotionCombinability, p.combinability)
    data["priority"] = p.priority
    data["budget"] = _budget(p.budget)
    data["version"] = p.version
    return data


def promotion_items(
    promotion: opb.Promotion,
    *,
    version: int,
    outlet_clients: Mapping[str, str],
    territory_parents: Mapping[str, str],
) -> list[Item]:
    """The promotion's objects, one per scope (`promotion_scopes`), the same body in each."""
    promotion_id = require(promotion.id, "promotion.id")
    territories = expand_territories(promotion.targeting.territory_ids, territory_parents)
    body = item(PROMOTIONS, promotion_id, CATALOG, version, promotion_body(promotion, territories))
    return [
        Item(PROMOTIONS, promotion_key(promotion_id, scope), scope, version, body.body)
        for scope in promotion_scopes(promotion, outlet_clients)
    ]
