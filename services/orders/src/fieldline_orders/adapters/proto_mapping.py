"""Translation between the published protos (fieldline.orders.v1) and the domain model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from google.type import date_pb2, money_pb2

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline_kit.grpc.convert import (
    embedded,
    from_enum,
    from_money,
    from_pb_date,
    money,
    pb_date,
    set_money,
    set_ts,
)
from fieldline_orders.domain.catalog import (
    ClientPrice,
    ClientPriceType,
    Discount,
    DiscountScope,
    DistributorPriceType,
    PriceList,
    PriceType,
    Product,
    ProductGroup,
    Warehouse,
    check_removals,
)
from fieldline_orders.domain.contacts import ContactKind, ContactSales
from fieldline_orders.domain.order_promotions import (
    MAX_EXPECTED,
    AppliedPromotion,
    ExpectedInput,
    ExpectedPromotion,
    PromotionMatch,
    PromotionStatus,
)
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditOutcome,
    Order,
    OrderChannel,
    OrderKind,
    OrderLine,
    OrderStatus,
    Revision,
)
from fieldline_orders.domain.pricing import LineInput
from fieldline_orders.domain.recommendation import (
    CALL,
    VISIT,
    OutletRecommendation,
    Reason,
    RecommendedLine,
)
from fieldline_orders.domain.recommendation import fmt as figure
from fieldline_orders.domain.returns import GoodsReturn
from fieldline_orders.domain.values import (
    BEGINNING,
    MAX_LINES,
    fmt,
    limit_items,
    money_amount,
)
from fieldline_orders.domain.van import Movement, MovementKind, Unloading, Van

E = TypeVar("E")

DISCOUNT_SCOPES = {
    DiscountScope.CLIENT: pb.DISCOUNT_SCOPE_CLIENT,
    DiscountScope.GROUP: pb.DISCOUNT_SCOPE_GROUP,
    DiscountScope.PRODUCT: pb.DISCOUNT_SCOPE_PRODUCT,
}
ORDER_KINDS = {
    OrderKind.PRE_SALE: pb.ORDER_KIND_PRE_SALE,
    OrderKind.VAN_SALE: pb.ORDER_KIND_VAN_SALE,
}
ORDER_CHANNELS = {
    OrderChannel.FIELD: pb.ORDER_CHANNEL_FIELD,
    OrderChannel.PHONE: pb.ORDER_CHANNEL_PHONE,
}
ORDER_STATUSES = {
    OrderStatus.CREDIT_HOLD: pb.ORDER_STATUS_CREDIT_HOLD,
    OrderStatus.SUBMITTED: pb.ORDER_STATUS_SUBMITTED,
    OrderStatus.CONFIRMED: pb.ORDER_STATUS_CONFIRMED,
    OrderStatus.SHIPPED: pb.ORDER_STATUS_SHIPPED,
    OrderStatus.DELIVERED: pb.ORDER_STATUS_DELIVERED,
    OrderStatus.PARTIALLY_DELIVERED: pb.ORDER_STATUS_PARTIALLY_DELIVERED,
    OrderStatus.REJECTED: pb.ORDER_STATUS_REJECTED,
    OrderStatus.CANCELLED: pb.ORDER_STATUS_CANCELLED,
}
CREDIT_OUTCOMES = {
    CreditOutcome.ALLOW: pb.CREDIT_OUTCOME_ALLOW,
    CreditOutcome.WARN: pb.CREDIT_OUTCOME_WARN,
    CreditOutcome.BLOCK: pb.CREDIT_OUTCOME_BLOCK,
    CreditOutcome.OVERRIDDEN: pb.CREDIT_OUTCOME_OVERRIDDEN,
}
RECOMMENDATION_REASONS = {
    Reason.SALES_HISTORY: os_.RECOMMENDATION_REASON_SALES_HISTORY,
    Reason.MUST_STOCK: os_.RECOMMENDATION_REASON_MUST_STOCK,
}
MOVEMENT_KINDS = {
    MovementKind.LOAD: vs.MOVEMENT_KIND_LOAD,
    MovementKind.SALE: vs.MOVEMENT_KIND_SALE,
    MovementKind.RETURN: vs.MOVEMENT_KIND_RETURN,
    MovementKind.UNLOAD: vs.MOVEMENT_KIND_UNLOAD,
}


def opt_date(field: str, value: date_pb2.Date) -> date | None:
    return from_pb_date(field, value, required=False)


def req_date(field: str, value: date_pb2.Date) -> date:
    d = from_pb_date(field, value)
    assert d is not None
    return d


def money_in(
    field: str, value: money_pb2.Money, *, allow_negative: bool = False
) -> tuple[Decimal, str]:
    """google.type.Money → (amount with at most 2 decimals, currency code or "")."""
    amount, currency = from_money(field, value)
    return money_amount(field, amount, allow_negative=allow_negative), currency


def validity_out(valid_from: date) -> date_pb2.Date | None:
    return None if valid_from == BEGINNING else pb_date(valid_from)


# ------------------------------------------------------------------------------ catalog
def group_pb(g: ProductGroup) -> pb.ProductGroup:
    return pb.ProductGroup(
        id=g.id, external_id=g.external_id, name=g.name, parent_id=g.parent_id, version=g.version
    )


def product_pb(p: Product) -> pb.Product:
    return pb.Product(
        id=p.id,
        external_id=p.external_id,
        sku=p.sku,
        name=p.name,
        group_id=p.group_id,
        barcodes=list(p.barcodes),
        vat_rate=fmt(p.vat_rate),
        base_unit=p.base_unit,
        units=[pb.ProductUnit(code=u.code, name=u.name, ratio=fmt(u.ratio)) for u in p.units],
        pack_unit=p.pack_unit,
        container_type=p.container_type,
        containers_per_unit=fmt(p.containers_per_unit),
        active=p.active,
        version=p.version,
    )


def product_from_pb(path: str, p: pb.Product) -> Product:
    return Product.create(
        path,
        id=p.id,
        external_id=p.external_id,
        sku=p.sku,
        name=p.name,
        group_id=p.group_id,
        barcodes=list(p.barcodes),
        vat_rate=p.vat_rate,
        base_unit=p.base_unit,
        units=[(u.code, u.name, u.ratio) for u in p.units],
        pack_unit=p.pack_unit,
        container_type=p.container_type,
        containers_per_unit=p.containers_per_unit,
        active=p.active,
    )


def price_type_pb(t: PriceType) -> pb.PriceType:
    return pb.PriceType(
        id=t.id,
        external_id=t.external_id,
        name=t.name,
        currency_code=t.currency_code,
        vat_included=t.vat_included,
        version=t.version,
    )


def price_list_header_pb(pl: PriceList, entry_count: int) -> pb.PriceList:
    """The list without its entries (they may be 100,000): `entry_count` says how many."""
    return pb.PriceList(
        id=pl.id,
        external_id=pl.external_id,
        price_type_id=pl.price_type_id,
        valid_from=pb_date(pl.valid_from),
        valid_to=pb_date(pl.valid_to),
        version=pl.version,
        entry_count=entry_count,
    )


def price_entries_pb(
    prices: Mapping[str, Decimal] | Sequence[tuple[str, Decimal]], currency: str
) -> list[pb.PriceListEntry]:
    """Entries (product id → price of a base unit) in the price type's currency."""
    items = prices.items() if isinstance(prices, Mapping) else prices
    return [pb.PriceListEntry(product_id=pid, price=money(p, currency)) for pid, p in items]


def client_price_pb(cp: ClientPrice) -> pb.ClientPrice:
    return pb.ClientPrice(
        client_id=cp.client_id,
        product_id=cp.product_id,
        price=money(cp.price, cp.currency_code),
        valid_from=pb_date(cp.valid_from),
        valid_to=pb_date(cp.valid_to),
        version=cp.version,
    )


def client_price_type_pb(c: ClientPriceType) -> pb.ClientPriceType:
    return pb.ClientPriceType(
        client_id=c.client_id, price_type_id=c.price_type_id, version=c.version
    )


def discount_pb(d: Discount) -> pb.Discount:
    return pb.Discount(
        id=d.id,
        external_id=d.external_id,
        scope=DISCOUNT_SCOPES[d.scope],
        client_id=d.client_id,
        group_id=d.group_id,
        product_id=d.product_id,
        percent=fmt(d.percent),
        volume_breaks=[
            pb.VolumeBreak(min_quantity=fmt(b.min_quantity), percent=fmt(b.percent))
            for b in d.volume_breaks
        ],
        valid_from=validity_out(d.valid_from),
        valid_to=pb_date(d.valid_to),
        version=d.version,
        distributor_id=d.distributor_id,
    )


def price_list_from_pb(path: str, pl: pb.PriceList) -> PriceList:
    entries = []
    for i, e in enumerate(pl.entries):
        amount, cur = money_in(f"{path}.entries[{i}].price", e.price)
        entries.append((e.product_id, amount, cur))
    return PriceList.create(
        path,
        id=pl.id,
        external_id=pl.external_id,
        price_type_id=pl.price_type_id,
        valid_from=opt_date(f"{path}.valid_from", pl.valid_from),
        valid_to=opt_date(f"{path}.valid_to", pl.valid_to),
        entries=entries,
        removed_product_ids=pl.removed_product_ids,
    )


def check_price_list_request(price_lists: Sequence[pb.PriceList], merge: bool) -> None:
    """UpsertPriceLists' lists as sent: `removed_product_ids` only with merge, none of them also
    among the same list's entries (InvalidArgument: the whole request is refused)."""
    for i, pl in enumerate(price_lists):
        if pl.removed_product_ids:
            check_removals(
                f"price_lists[{i}]",
                merge,
                [e.product_id for e in pl.entries],
                pl.removed_product_ids,
            )


def discount_from_pb(path: str, d: pb.Discount) -> Discount:
    return Discount.create(
        path,
        id=d.id,
        external_id=d.external_id,
        scope=from_enum(DISCOUNT_SCOPES, d.scope, f"{path}.scope"),
        client_id=d.client_id,
        group_id=d.group_id,
        product_id=d.product_id,
        percent_=d.percent,
        volume_breaks=[(b.min_quantity, b.percent) for b in d.volume_breaks],
        valid_from=opt_date(f"{path}.valid_from", d.valid_from),
        valid_to=opt_date(f"{path}.valid_to", d.valid_to),
        distributor_id=d.distributor_id,
    )


def distributor_price_type_pb(d: DistributorPriceType) -> pb.DistributorPriceType:
    return pb.DistributorPriceType(
        distributor_id=d.distributor_id,
        client_id=d.client_id,
        price_type_id=d.price_type_id,
        version=d.version,
    )


def warehouse_pb(w: Warehouse) -> pb.Warehouse:
    return pb.Warehouse(
        id=w.id,
        external_id=w.external_id,
        name=w.name,
        distributor_id=w.distributor_id,
        version=w.version,
    )


def warehouse_from_pb(path: str, w: pb.Warehouse) -> Warehouse:
    return Warehouse.create(
        path, id=w.id, external_id=w.external_id, name=w.name, distributor_id=w.distributor_id
    )


# ------------------------------------------------------------------------------- orders
def line_inputs(lines: Sequence[os_.OrderLineInput]) -> list[LineInput]:
    of = LineInput.of
    return [
        of(ln.product_id, ln.unit, ln.quantity, ln.manual_discount_percent)
        for ln in limit_items("lines", lines, MAX_LINES)
    ]


def credit_pb(c: CreditDecision) -> pb.CreditDecision:
    out = pb.CreditDecision()
    _fill_credit(out, c)
    return out


def _fill_credit(out: pb.CreditDecision, c: CreditDecision) -> None:
    out.outcome = CREDIT_OUTCOMES[c.outcome]
    out.reasons.extend(c.reasons)
    out.fallback = c.fallback
    out.override_by = c.override_by
    out.override_reason = c.override_reason
    if c.decided_at is not None:
        set_ts(out.decide_time, c.decided_at)


def line_pb(ln: OrderLine, currency: str) -> pb.OrderLine:
    out = pb.OrderLine()
    _fill_line(out, ln, currency)
    return out


def _fill_line(out: pb.OrderLine, ln: OrderLine, currency: str) -> None:
    out.product_id = ln.product_id
    out.unit = ln.unit
    out.quantity = fmt(ln.quantity)
    out.base_quantity = fmt(ln.base_quantity)
    set_money(out.unit_price, ln.unit_price, currency)
    out.price_source = ln.price_source
    out.rule_discount_percent = fmt(ln.rule_discount_percent)
    out.manual_discount_percent = fmt(ln.manual_discount_percent)
    set_money(out.net_amount, ln.net_amount, currency)
    out.vat_rate = fmt(ln.vat_rate)
    set_money(out.vat_amount, ln.vat_amount, currency)
    set_money(out.gross_amount, ln.gross_amount, currency)
    out.delivered_base_quantity = fmt(ln.delivered_base_quantity)
    out.container_type = ln.container_type
    out.container_quantity = fmt(ln.container_quantity)
    if ln.promotions or ln.free_of_charge:  # most lines have none: nothing to set
        set_money(out.promotion_discount, ln.promotion_discount, currency)
        for lp in ln.promotions:
            item = out.promotions.add(promotion_id=lp.promotion_id, formula=lp.formula)
            set_money(item.benefit, lp.benefit, currency)
        out.free_of_charge = ln.free_of_charge
        out.promotion_id = ln.promotion_id


PROMOTION_STATUSES = {
    PromotionStatus.APPLIED: pb.APPLIED_PROMOTION_STATUS_APPLIED,
    PromotionStatus.NOT_ELIGIBLE: pb.APPLIED_PROMOTION_STATUS_NOT_ELIGIBLE,
    PromotionStatus.ENDED: pb.APPLIED_PROMOTION_STATUS_ENDED,
    PromotionStatus.STOPPED: pb.APPLIED_PROMOTION_STATUS_STOPPED,
    PromotionStatus.BUDGET_EXHAUSTED: pb.APPLIED_PROMOTION_STATUS_BUDGET_EXHAUSTED,
    PromotionStatus.NOT_CHOSEN: pb.APPLIED_PROMOTION_STATUS_NOT_CHOSEN,
}
PROMOTION_MATCHES = {
    PromotionMatch.MATCH: pb.PROMOTION_MATCH_MATCH,
    PromotionMatch.DIFFERENT: pb.PROMOTION_MATCH_DIFFERENT,
    PromotionMatch.MISSING: pb.PROMOTION_MATCH_MISSING,
    PromotionMatch.UNEXPECTED: pb.PROMOTION_MATCH_UNEXPECTED,
}


def _fill_applied(out: Any, items: Sequence[AppliedPromotion], currency: str) -> None:
    """`out`: a repeated AppliedPromotion field."""
    for a in items:
        item = out.add(
            promotion_id=a.promotion_id,
            name=a.name,
            status=PROMOTION_STATUSES[a.status],
            explanation=a.explanation,
            match=PROMOTION_MATCHES[a.match],
        )
        set_money(item.benefit, a.benefit, currency)
        if a.budget_consumed is not None:
            item.budget_consumed = fmt(a.budget_consumed)
        if a.expected_benefit is not None:
            set_money(item.expected_benefit, a.expected_benefit, currency)


def _fill_expected(out: Any, items: Sequence[ExpectedPromotion], currency: str) -> None:
    for e in items:
        item = out.add(promotion_id=e.promotion_id)
        set_money(item.benefit, e.benefit, currency)
        for f in e.free_lines:
            item.free_lines.add(product_id=f.product_id, base_quantity=fmt(f.base_quantity))


def expected_inputs(items: Sequence[pb.ExpectedPromotion]) -> list[ExpectedInput]:
    """The device's expected promotions as sent (their form is judged by the domain)."""
    out = []
    for i, e in enumerate(limit_items("expected_promotions", items, MAX_EXPECTED)):
        amount, currency = from_money(f"expected_promotions[{i}].benefit", e.benefit)
        out.append(
            ExpectedInput(
                e.promotion_id,
                amount,
                currency,
                [(f.product_id, f.base_quantity) for f in e.free_lines],
            )
        )
    return out


def order_pb(o: Order) -> pb.Order:
    """The order as the API and the events show it.

    Built in place (fields of the message set one by one, lines added to it) rather than from
    keyword arguments: a sub-message given as an argument is built and then copied, and an
    order has dozens (money, dates, lines). tests/unit/test_proto_mapping.py holds it to the
    keyword form, byte for byte.
    """
    out = pb.Order()
    fill_order(out, o)
    return out


# The wire bytes of the orders shown last (those of the batches in flight). A submitted order is
# shown twice, by its response and by its event, which carries a snapshot of it: another object
# holding the same line objects. So an order's bytes are kept under its id and version with its
# first line, the time of its last change and its status, and found again only for an order
# holding that very line object in that state: the same order, or a snapshot of it.
_SHOWN: dict[tuple[str, int], tuple[OrderLine, datetime, OrderStatus, bytes]] = {}
_SHOWN_MAX = 1024
SUBMIT_ORDER_FIELD = os_.SubmitOrderResponse.DESCRIPTOR.fields_by_name["order"].number


def order_bytes(o: Order) -> bytes:
    """`order_pb(o)`'s wire bytes, made once for an order and its snapshots."""
    if not o.lines:
        return order_pb(o).SerializeToString()
    key = (o.id, o.version)
    shown = _SHOWN.get(key)
    if (
        shown is not None
        and shown[0] is o.lines[0]
        and shown[1] == o.updated_at
        and shown[2] is o.status
    ):
        return shown[3]
    data = order_pb(o).SerializeToString()
    _SHOWN.pop(key, None)
    if len(_SHOWN) >= _SHOWN_MAX:
        del _SHOWN[next(iter(_SHOWN))]  # the oldest
    _SHOWN[key] = (o.lines[0], o.updated_at, o.status, data)
    return data


def submit_response(o: Order) -> bytes:
    """A SubmitOrderResponse's wire bytes, made from the order's (sent and stored as they are)."""
    return embedded(SUBMIT_ORDER_FIELD, order_bytes(o))


def fill_order(out: pb.Order, o: Order) -> None:
    """`order_pb` into an empty message in place (e.g. an event's `order` field: no copy)."""
    c = o.currency_code
    out.id = o.id
    out.kind = ORDER_KINDS[o.kind]
    out.status = ORDER_STATUSES[o.status]
    out.client_id = o.client_id
    out.outlet_id = o.outlet_id
    out.agent_id = o.agent_id
    out.distributor_id = o.distributor_id
    out.warehouse_id = o.warehouse_id
    out.currency_code = c
    out.comment = o.comment
    out.status_reason = o.status_reason
    out.version = o.version
    _set_date(out.order_date, o.order_date)
    if o.delivery_date is not None:
        _set_date(out.delivery_date, o.delivery_date)
    add_line = out.lines.add
    for ln in o.lines:
        _fill_line(add_line(), ln, c)
    set_money(out.net_total, o.net_total, c)
    set_money(out.vat_total, o.vat_total, c)
    set_money(out.gross_total, o.gross_total, c)
    _fill_credit(out.credit, o.credit)
    set_ts(out.create_time, o.created_at)
    set_ts(out.update_time, o.updated_at)
    out.visit_id = o.visit_id
    out.revision = o.revision
    out.channel = ORDER_CHANNELS[o.channel]
    out.taken_by = o.taken_by
    out.call_id = o.call_id
    if o.promotions:
        _fill_applied(out.promotions, o.promotions, c)
    if o.expected_promotions:
        _fill_expected(out.expected_promotions, o.expected_promotions, c)


def revision_pb(r: Revision, amended_by: str, at: datetime, amendment_id: str) -> pb.OrderRevision:
    """A revision of an order (ListOrderRevisions), with who made it and when."""
    c = r.currency_code
    out = pb.OrderRevision(
        revision=r.revision,
        warehouse_id=r.warehouse_id,
        comment=r.comment,
        currency_code=c,
        amended_by=amended_by,
        amendment_id=amendment_id,
    )
    for ln in r.lines:
        _fill_line(out.lines.add(), ln, c)
    if r.delivery_date is not None:
        _set_date(out.delivery_date, r.delivery_date)
    set_money(out.net_total, r.net_total, c)
    set_money(out.vat_total, r.vat_total, c)
    set_money(out.gross_total, r.gross_total, c)
    _fill_credit(out.credit, r.credit)
    set_ts(out.amend_time, at)
    _fill_applied(out.promotions, r.promotions, c)
    return out


def _set_date(out: date_pb2.Date, value: date) -> None:
    out.year = value.year
    out.month = value.month
    out.day = value.day


# ---------------------------------------------------------------------------------- van
def van_pb(v: Van) -> vs.Van:
    return vs.Van(
        id=v.id,
        name=v.name,
        van_seller_id=v.van_seller_id,
        currency_code=v.currency_code,
        distributor_id=v.distributor_id,
    )


def stock_pb(van_id: str, stock: Mapping[str, Decimal]) -> vs.GetVanStockResponse:
    return vs.GetVanStockResponse(
        van_id=van_id,
        lines=[
            vs.VanStockLine(product_id=pid, quantity=fmt(q))
            for pid, q in sorted(stock.items())
            if q != 0
        ],
    )


def movement_pb(m: Movement) -> vs.VanMovement:
    return vs.VanMovement(
        van_id=m.van_id,
        document_id=m.document_id,
        kind=MOVEMENT_KINDS[m.kind],
        product_id=m.product_id,
        quantity=fmt(m.quantity),
        date=pb_date(m.on),
    )


def containers_pb(items: tuple[tuple[str, Decimal], ...]) -> list[vs.ContainerLine]:
    return [vs.ContainerLine(container_type=t, quantity=fmt(q)) for t, q in items]


def goods_return_pb(r: GoodsReturn) -> vs.GoodsReturn:
    c = r.currency_code
    return vs.GoodsReturn(
        id=r.id,
        van_id=r.van_id,
        client_id=r.client_id,
        outlet_id=r.outlet_id,
        order_id=r.order_id,
        date=pb_date(r.on),
        lines=[
            vs.ReturnedLine(
                product_id=ln.product_id,
                base_quantity=fmt(ln.base_quantity),
                unit_price=money(ln.unit_price, c),
                gross_amount=money(ln.gross_amount, c),
                reason=ln.reason,
            )
            for ln in r.lines
        ],
        containers=containers_pb(r.containers),
        gross_total=money(r.gross_total, c),
        visit_id=r.visit_id,
    )


def unloading_pb(u: Unloading) -> vs.Unloading:
    c = u.currency_code
    return vs.Unloading(
        id=u.id,
        van_id=u.van_id,
        date=pb_date(u.on),
        discrepancies=[
            vs.StockDiscrepancy(
                product_id=d.product_id,
                expected=fmt(d.expected),
                counted=fmt(d.counted),
                difference=fmt(d.difference),
            )
            for d in u.discrepancies
        ],
        cash_expected=money(u.cash_expected, c),
        cash_handed_over=money(u.cash_handed_over, c),
        cash_difference=money(u.cash_difference, c),
    )


# ------------------------------------------------------------------------------ contacts
CONTACT_KINDS = {ContactKind.VISIT: pb.CONTACT_KIND_VISIT}


def contact_sales_pb(c: ContactSales) -> pb.ContactSales:
    out = pb.ContactSales(
        contact_id=c.contact_id,
        kind=CONTACT_KINDS[c.kind],
        employee_id=c.employee_id,
        outlet_id=c.outlet_id,
        date=pb_date(c.day),
        orders=c.orders,
        van_sales=c.van_sales,
        returns=c.returns,
        lines=c.lines,
        mismatched=c.mismatched,
        productive=c.productive,
        order_ids=c.order_ids,
        return_ids=c.return_ids,
        version=c.version,
    )
    set_money(out.gross_total, c.gross_total, c.currency)
    set_money(out.productive_minimum, c.minimum, c.currency)
    if c.updated_at is not None:
        set_ts(out.update_time, c.updated_at)
    return out


# -------------------------------------------------------------------------- recommendation
NEXT_CONTACT_KINDS = {
    "": pb.CONTACT_KIND_UNSPECIFIED,
    VISIT: pb.CONTACT_KIND_VISIT,
    CALL: pb.CONTACT_KIND_CALL,
}


def recommended_line_pb(line: RecommendedLine) -> os_.RecommendedLine:
    e = line.explanation
    return os_.RecommendedLine(
        product_id=line.product_id,
        quantity=figure(line.quantity),
        unit=line.unit,
        base_quantity=figure(line.base_quantity),
        reason=RECOMMENDATION_REASONS[line.reason],
        explanation=os_.RecommendationExplanation(
            sold_quantity=figure(e.sold_quantity),
            window_days=e.window_days,
            average_daily_sales=figure(e.average_daily_sales),
            days_until_next_visit=e.days_until_next_visit,
            safety_stock=figure(e.safety_stock),
            shelf_quantity=figure(e.shelf_quantity) if e.shelf_quantity is not None else "",
            pack_size=figure(e.pack_size),
            formula=e.formula,
            shelf_count_date=pb_date(e.shelf_count_date) if e.shelf_count_date else None,
            shelf_ignored_reason=e.shelf_ignored_reason,
            next_contact_kind=NEXT_CONTACT_KINDS[e.next_contact_kind],
        ),
    )


def recommendation_pb(rec: OutletRecommendation) -> os_.RecommendedOrder:
    a = rec.shelf_audit
    return os_.RecommendedOrder(
        outlet_id=rec.outlet_id,
        date=pb_date(rec.day),
        lines=[recommended_line_pb(line) for line in rec.lines],
        shelf_audit=os_.ShelfAudit(
            audit_id=a.audit_id, date=pb_date(a.day), used=a.used, reason=a.reason
        )
        if a is not None
        else None,
    )


def preview_pb(
    lines: Sequence[OrderLine],
    promotions: Sequence[AppliedPromotion],
    currency: str,
    totals: tuple[Decimal, Decimal, Decimal],
) -> os_.PreviewOrderResponse:
    """PreviewOrder's answer: the lines, the promotions, the totals (net, VAT, gross)."""
    out = os_.PreviewOrderResponse(currency_code=currency)
    for ln in lines:
        _fill_line(out.lines.add(), ln, currency)
    _fill_applied(out.promotions, promotions, currency)
    for target, value in zip((out.net_total, out.vat_total, out.gross_total), totals, strict=True):
        set_money(target, value, currency)
    return out
