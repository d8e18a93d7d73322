"""Sync items of the sections that come from orders: productGroups, products, priceTypes,
priceLists, prices, discounts, clientTerms, clientPrices, orders, vans, vanStock,
recommendedOrders, contactSales (docs/sync-protocol.md, *Sections*).

Quantities, percents and ratios are the services' decimal strings, passed on as they are;
money is `projections.money` (exact, never a float).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import orders_service_pb2 as ops
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline_gateway.adapters.projections import (
    CLIENT_PRICES,
    CLIENT_TERMS,
    CONTACT_SALES,
    DISCOUNTS,
    ORDERS,
    PRICE_LISTS,
    PRICE_TYPES,
    PRICES,
    PRODUCT_GROUPS,
    PRODUCTS,
    RECOMMENDED_ORDERS,
    VAN_STOCK,
    VANS,
    Item,
    Removal,
    date_text,
    enum_name,
    item,
    join_key,
    money,
    optional_enum,
    put,
    require,
    scope_account,
    scope_agent,
    scope_catalog,
    scope_outlet,
    scope_price_type,
    time_text,
)

# ------------------------------------------------------------------------------ catalog


def product_group_item(group: opb.ProductGroup) -> Item:
    """`productGroups` (`ProductGroupsChanged`, `ListProductGroups`)."""
    g = group
    data: dict[str, Any] = {"id": g.id, "name": g.name}
    put(data, "parentId", g.parent_id)
    key = require(g.id, "group.id")
    return item(PRODUCT_GROUPS, key, scope_catalog(), g.version, data)


def product_item(product: opb.Product) -> Item:
    """`products` (`ProductsChanged`, `ListProducts`)."""
    p = product
    data: dict[str, Any] = {
        "id": p.id,
        "sku": p.sku,
        "name": p.name,
        "groupId": p.group_id,
        "barcodes": list(p.barcodes),
        "vatRate": p.vat_rate,
        "baseUnit": p.base_unit,
        "units": [{"code": u.code, "name": u.name, "ratio": u.ratio} for u in p.units],
        "packUnit": p.pack_unit,
    }
    put(data, "containerType", p.container_type)
    put(data, "containersPerUnit", p.containers_per_unit)
    data["active"] = p.active
    data["version"] = p.version
    return item(PRODUCTS, require(p.id, "product.id"), scope_catalog(), p.version, data)


def price_type_item(price_type: opb.PriceType) -> Item:
    """`priceTypes`, under the price type's own scope (`PriceTypesChanged`,
    `ListPriceTypes`)."""
    t = price_type
    data = {
        "id": t.id,
        "name": t.name,
        "currency": t.currency_code,
        "vatIncluded": t.vat_included,
    }
    key = require(t.id, "price_type.id")
    return item(PRICE_TYPES, key, scope_price_type(t.id), t.version, data)


def price_list_item(price_list: opb.PriceList) -> Item:
    """`priceLists`: the header (its entries are `prices`), under its price type's scope."""
    pl = price_list
    data: dict[str, Any] = {
        "id": pl.id,
        "priceTypeId": pl.price_type_id,
        "validFrom": date_text(pl.valid_from, "price_list.valid_from"),
    }
    put(data, "validTo", date_text(pl.valid_to, "price_list.valid_to"))
    key = require(pl.id, "price_list.id")
    return item(PRICE_LISTS, key, scope_price_type(pl.price_type_id), pl.version, data)


def price_key(price_list_id: str, product_id: str) -> str:
    return join_key(require(price_list_id, "price_list_id"), require(product_id, "product_id"))


def price_item(
    price_list_id: str, price_type_id: str, entry: opb.PriceListEntry, *, version: int
) -> Item:
    """`prices`: one entry of a list (per base unit), keyed `priceListId/productId`, versioned
    by the list's `version` (`PriceListChanged`'s header, `ListPriceListEntries`'
    `price_list_version`)."""
    data = {
        "priceListId": price_list_id,
        "productId": entry.product_id,
        "price": money(entry.price, "entry.price"),
    }
    key = price_key(price_list_id, entry.product_id)
    return item(PRICES, key, scope_price_type(price_type_id), version, data)


def price_removals(price_list: opb.PriceList, product_ids: Iterable[str]) -> list[Removal]:
    """Tombstones of a list's entries no longer in it."""
    scope = scope_price_type(price_list.price_type_id)
    return [
        Removal(PRICES, price_key(price_list.id, p), scope, price_list.version) for p in product_ids
    ]


def price_list_changed(event: oev.PriceListChanged) -> list[Item | Removal]:
    """`PriceListChanged`: the header; with `entries_included`, the changed entries and the
    removed ones' tombstones too (else the entries are the caller's to read,
    `ListPriceListEntries`)."""
    pl = event.price_list
    out: list[Item | Removal] = [price_list_item(pl)]
    if event.entries_included:
        out.extend(
            price_item(pl.id, pl.price_type_id, e, version=pl.version)
            for e in event.changed_entries
        )
        out.extend(price_removals(pl, event.removed_product_ids))
    return out


def discount_item(discount: opb.Discount) -> Item:
    """`discounts`: under `catalog` when for every client, else the client's `account`
    (`DiscountsChanged`, `ListDiscounts`); a distributor's names it (`distributorId`)."""
    d = discount
    data: dict[str, Any] = {"id": d.id, "scope": enum_name(opb.DiscountScope, d.scope)}
    put(data, "clientId", d.client_id)
    put(data, "groupId", d.group_id)
    put(data, "productId", d.product_id)
    put(data, "percent", d.percent)
    data["volumeBreaks"] = [
        {"minQuantity": b.min_quantity, "percent": b.percent} for b in d.volume_breaks
    ]
    put(data, "validFrom", date_text(d.valid_from, "discount.valid_from"))
    put(data, "validTo", date_text(d.valid_to, "discount.valid_to"))
    # A distributor's discount applies to orders placed for it only (absent: the company's).
    put(data, "distributorId", d.distributor_id)
    scope = scope_account(d.client_id) if d.client_id else scope_catalog()
    return item(DISCOUNTS, require(d.id, "discount.id"), scope, d.version, data)


def client_terms_item(client_price_type: opb.ClientPriceType) -> Item:
    """`clientTerms`: the client's price type (`ClientPriceTypeSet`,
    `ListClientPriceTypes`), keyed by the client."""
    c = client_price_type
    data = {"clientId": c.client_id, "priceTypeId": c.price_type_id}
    key = require(c.client_id, "client_price_type.client_id")
    return item(CLIENT_TERMS, key, scope_account(c.client_id), c.version, data)


def client_price_key(client_id: str, product_id: str, valid_from: str) -> str:
    """`clientId/productId/validFrom` (`validFrom` a Date, empty when open)."""
    return join_key(require(client_id, "client_id"), require(product_id, "product_id"), valid_from)


def client_price_item(client_price: opb.ClientPrice) -> Item:
    """`clientPrices` (`ClientPricesChanged`, `ListClientPrices`)."""
    c = client_price
    valid_from = date_text(c.valid_from, "client_price.valid_from")
    data: dict[str, Any] = {
        "clientId": c.client_id,
        "productId": c.product_id,
        "price": money(c.price, "client_price.price"),
    }
    put(data, "validFrom", valid_from)
    put(data, "validTo", date_text(c.valid_to, "client_price.valid_to"))
    key = client_price_key(c.client_id, c.product_id, valid_from or "")
    return item(CLIENT_PRICES, key, scope_account(c.client_id), c.version, data)


# ------------------------------------------------------------------------------- orders


def _order_line(line: opb.OrderLine) -> dict[str, Any]:
    data: dict[str, Any] = {
        "productId": line.product_id,
        "unit": line.unit,
        "quantity": line.quantity,
        "baseQuantity": line.base_quantity,
        "unitPrice": money(line.unit_price, "line.unit_price"),
        "priceSource": line.price_source,
        "ruleDiscountPercent": line.rule_discount_percent,
        "manualDiscountPercent": line.manual_discount_percent,
        "netAmount": money(line.net_amount, "line.net_amount"),
        "vatRate": line.vat_rate,
        "vatAmount": money(line.vat_amount, "line.vat_amount"),
        "grossAmount": money(line.gross_amount, "line.gross_amount"),
    }
    put(data, "deliveredBaseQuantity", line.delivered_base_quantity)
    put(data, "containerType", line.container_type)
    put(data, "containerQuantity", line.container_quantity)
    data.update(line_promotion_members(line))
    return data


def line_promotion_members(line: opb.OrderLine) -> dict[str, Any]:
    """What trade promotions did to a line (sales-gaps.md 3.7), the members of an order's line
    in `orders` and in an upload's answer alike: `promotionDiscount` (left out when unset or
    zero), each promotion's part in it (`promotions`: id, benefit, formula), and for a line a
    promotion gives, `freeOfCharge` and its `promotionId`. Empty for a line no promotion
    touched, and for an order from before promotions: absent is none."""
    data: dict[str, Any] = {}
    discount = line.promotion_discount
    if discount.units or discount.nanos:
        data["promotionDiscount"] = money(discount, "line.promotion_discount")
    if line.promotions:
        data["promotions"] = [
            {
                "promotionId": lp.promotion_id,
                "benefit": money(lp.benefit, "line.promotions.benefit"),
                "formula": lp.formula,
            }
            for lp in line.promotions
        ]
    if line.free_of_charge:
        data["freeOfCharge"] = True
    put(data, "promotionId", line.promotion_id)
    return data


def applied_promotions(promotions: Iterable[opb.AppliedPromotion]) -> list[dict[str, Any]]:
    """An order's `promotions`: those it got (`applied`) and those the device expected and it
    did not get, with the reason (`status`), what each gave (`benefit`, `budgetConsumed`), why
    (`explanation`), and how that compares with the device's expectation (`match`;
    `expectedBenefit` when it expected one). Optional members left out when orders left them
    empty."""
    out = []
    for a in promotions:
        data: dict[str, Any] = {"promotionId": a.promotion_id}
        put(data, "name", a.name)
        data["status"] = enum_name(opb.AppliedPromotionStatus, a.status)
        if a.HasField("benefit"):
            data["benefit"] = money(a.benefit, "promotion.benefit")
        put(data, "budgetConsumed", a.budget_consumed)
        put(data, "explanation", a.explanation)
        put(data, "match", optional_enum(opb.PromotionMatch, a.match))
        if a.HasField("expected_benefit"):
            data["expectedBenefit"] = money(a.expected_benefit, "promotion.expected_benefit")
        out.append(data)
    return out


def _credit(credit: opb.CreditDecision) -> dict[str, Any]:
    data: dict[str, Any] = {
        "outcome": enum_name(opb.CreditOutcome, credit.outcome),
        "reasons": list(credit.reasons),
        "fallback": credit.fallback,
    }
    put(data, "overrideBy", credit.override_by)
    put(data, "overrideReason", credit.override_reason)
    data["decideTime"] = time_text(credit.decide_time, "order.credit.decide_time")
    return data


# The key of a phone order's copy under its taker's scope (`taken:<orderId>`).
TAKEN_PREFIX = "taken:"


def taken_key(order_id: str) -> str:
    return TAKEN_PREFIX + order_id


def order_items(order: opb.Order) -> list[Item]:
    """`orders` (`OrderSubmitted`, `OrderHeld`, `OrderConfirmed`, `OrderAmended`,
    `OrderStatusChanged`, `VanSaleCompleted`, `ListOrders`), versioned by the order's
    `version` (every change steps it); `revision` counts its amendments. The order is under
    its agent's scope, keyed by its id; a phone order taken by another employee than the agent
    credited with it (a teleseller's) is also under the taker's, keyed `taken:<orderId>`, with
    the same body — an object lives in one scope, and both see the order (orders' "own":
    `agent_id` or `taken_by`). Every event of the order carries it whole, so both copies move
    together."""
    o = order
    data: dict[str, Any] = {
        "id": o.id,
        "kind": enum_name(opb.OrderKind, o.kind),
        "status": enum_name(opb.OrderStatus, o.status),
        "clientId": o.client_id,
        "outletId": o.outlet_id,
    }
    put(data, "distributorId", o.distributor_id)
    put(data, "warehouseId", o.warehouse_id)
    # UNSPECIFIED: an order from before channels, taken in the field by its agent.
    data["channel"] = enum_name(opb.OrderChannel, o.channel or opb.ORDER_CHANNEL_FIELD)
    taker = o.taken_by or o.agent_id
    put(data, "agentId", o.agent_id)
    put(data, "takenBy", taker)
    put(data, "callId", o.call_id)
    data["orderDate"] = date_text(o.order_date, "order.order_date")
    put(data, "deliveryDate", date_text(o.delivery_date, "order.delivery_date"))
    data["currency"] = o.currency_code
    data["lines"] = [_order_line(line) for line in o.lines]
    data["netTotal"] = money(o.net_total, "order.net_total")
    data["vatTotal"] = money(o.vat_total, "order.vat_total")
    data["grossTotal"] = money(o.gross_total, "order.gross_total")
    if o.promotions:
        data["promotions"] = applied_promotions(o.promotions)
    if o.HasField("credit"):
        data["credit"] = _credit(o.credit)
    put(data, "comment", o.comment)
    put(data, "statusReason", o.status_reason)
    put(data, "revision", o.revision or None)
    data["version"] = o.version
    data["createTime"] = time_text(o.create_time, "order.create_time")
    data["updateTime"] = time_text(o.update_time, "order.update_time")
    key = require(o.id, "order.id")
    credited = item(ORDERS, key, scope_agent(o.agent_id), o.version, data)
    if taker == o.agent_id:
        return [credited]
    taken = Item(ORDERS, taken_key(key), scope_agent(taker), o.version, credited.body)
    return [credited, taken]


# --------------------------------------------------------------------------------- vans


def van_item(v: van.Van) -> Item:
    """`vans`, under the van seller's scope (`ListVans`); unversioned."""
    data = {"id": v.id, "name": v.name, "currency": v.currency_code}
    return item(VANS, require(v.id, "van.id"), scope_agent(v.van_seller_id), 0, data)


def van_stock_item(stock: van.GetVanStockResponse, van_seller_id: str) -> Item:
    """`vanStock` (base units), keyed by the van, under its van seller's scope (the answer
    does not name them: the caller's graph does); unversioned."""
    data = {
        "vanId": stock.van_id,
        "lines": [{"productId": s.product_id, "quantity": s.quantity} for s in stock.lines],
    }
    key = require(stock.van_id, "van_id")
    return item(VAN_STOCK, key, scope_agent(van_seller_id), 0, data)


# -------------------------------------------------------------------- recommended orders


def _explanation(e: ops.RecommendationExplanation) -> dict[str, Any]:
    data: dict[str, Any] = {
        "soldQuantity": e.sold_quantity,
        "windowDays": e.window_days,
        "averageDailySales": e.average_daily_sales,
        "daysUntilNextVisit": e.days_until_next_visit,
        "safetyStock": e.safety_stock,
    }
    put(data, "shelfQuantity", e.shelf_quantity)
    data["packSize"] = e.pack_size
    data["formula"] = e.formula
    # What `daysUntilNextVisit` counts to: a visit or a call (left out when none is planned).
    put(data, "nextContactKind", optional_enum(opb.ContactKind, e.next_contact_kind))
    return data


def recommended_order_item(recommendation: ops.RecommendedOrder) -> Item:
    """`recommendedOrders`, keyed by the outlet, under its scope (`GetRecommendedOrder`,
    `ListRecommendedOrders`); unversioned."""
    r = recommendation
    data = {
        "outletId": r.outlet_id,
        "date": date_text(r.date, "recommendation.date"),
        "lines": [
            {
                "productId": line.product_id,
                "quantity": line.quantity,
                "unit": line.unit,
                "baseQuantity": line.base_quantity,
                "reason": enum_name(ops.RecommendationReason, line.reason),
                "explanation": _explanation(line.explanation),
            }
            for line in r.lines
        ],
    }
    key = require(r.outlet_id, "recommendation.outlet_id")
    return item(RECOMMENDED_ORDERS, key, scope_outlet(r.outlet_id), 0, data)


# ---------------------------------------------------------------------- contact sales


def contact_sales_item(contact: opb.ContactSales) -> Item:
    """`contactSales`: a contact's figures (a visit's orders, van sales, returns) and whether
    it was productive, as orders judged it (`ContactSalesChanged`, `ListContactSales`); keyed
    by the contact (the visit's id), under its employee's scope, versioned by the row's
    version (one more with every change: an older copy never replaces a newer)."""
    c = contact
    data: dict[str, Any] = {
        "contactId": c.contact_id,
        "kind": enum_name(opb.ContactKind, c.kind),
        "outletId": c.outlet_id,
        "date": date_text(c.date, "contact_sales.date"),
        "orders": c.orders,
        "vanSales": c.van_sales,
        "returns": c.returns,
        "lines": c.lines,
        "grossTotal": money(c.gross_total, "contact_sales.gross_total"),
        "productive": c.productive,
        "productiveMinimum": money(c.productive_minimum, "contact_sales.productive_minimum"),
        "mismatched": c.mismatched,
        "orderIds": list(c.order_ids),
        "returnIds": list(c.return_ids),
        "version": c.version,
    }
    put(data, "updateTime", time_text(c.update_time, "contact_sales.update_time"))
    key = require(c.contact_id, "contact_sales.contact_id")
    return item(CONTACT_SALES, key, scope_agent(c.employee_id), c.version, data)
