"""The `gateway-orders-fanout` and `gateway-settlements-fanout` consumers: orders' and
settlements' events → the sync store (docs/contexts/device-gateway.md, *Where the data comes
from*). Each event is applied in the consumer's transaction with its inbox row; the store's
version and hash guards absorb redeliveries and late copies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from google.protobuf.message import Message

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.events.v1 import events_pb2 as sev
from fieldline_gateway.adapters import projections_orders as po
from fieldline_gateway.adapters import projections_settlements as ps
from fieldline_gateway.adapters import promotions_store, refetch_store
from fieldline_gateway.adapters.graph_store import GraphStore
from fieldline_gateway.adapters.projections import Item, ProjectionError, Removal
from fieldline_gateway.bootstrap import App
from fieldline_gateway.domain.membership import account_scope
from fieldline_gateway.domain.window import CONTACT_SALES, Dated, out_of_window
from fieldline_gateway.entrypoints.fanout_consumer import ToChange, fanout_consumer
from fieldline_gateway.service_layer.fanout import Change
from fieldline_gateway.service_layer.refetch import cash_key, reco_key, van_key, vans_key
from fieldline_gateway.topology import ORDERS_FANOUT, SETTLEMENTS_FANOUT
from fieldline_kit.grpc.convert import from_pb_date


def _items(*entries: Item | None) -> Change:
    return Change(items=[e for e in entries if e is not None])


# ------------------------------------------------------------------------------ orders
def order_seen(app: App, envelope: EventEnvelope, message: Any) -> Change:
    """The order whole: under its agent's scope, and a phone order also under its taker's."""
    return _items(*po.order_items(message.order))


def client_price_type_set(
    app: App, envelope: EventEnvelope, message: oev.ClientPriceTypeSet
) -> Change:
    terms = message.client_price_type
    version = envelope.aggregate_version

    async def graph(g: GraphStore) -> list[str]:
        await g.put_client_price_type(terms.client_id, terms.price_type_id, version)
        return []

    return Change(
        items=[po.client_terms_item(terms)],
        graph=[graph],
        touch_members_of={account_scope(terms.client_id)},
    )


def van_moved(van_id: Callable[[Any], str]) -> ToChange:
    """A van's stock changed: its seller's vans are read again (no event carries the stock)."""

    def change(app: App, envelope: EventEnvelope, message: Any) -> Change:
        van = van_id(message)

        async def graph(g: GraphStore) -> list[str]:
            seller = await refetch_store.seller_of(g.session, van)
            # A van not seen yet (made after its seller's vans were read): find it first.
            key = vans_key(seller) if seller else van_key(van)
            await refetch_store.enqueue(g.session, [key], app.clock())
            return []

        return Change(graph=[graph])

    return change


def van_sale(app: App, envelope: EventEnvelope, message: oev.VanSaleCompleted) -> Change:
    change = order_seen(app, envelope, message)
    change.refetch.update({vans_key(message.order.agent_id), reco_key(message.order.outlet_id)})
    return change


DELIVERED = frozenset({opb.ORDER_STATUS_DELIVERED, opb.ORDER_STATUS_PARTIALLY_DELIVERED})


def status_changed(app: App, envelope: EventEnvelope, message: oev.OrderStatusChanged) -> Change:
    """A delivery moves the outlet's recommended order (its sales history)."""
    change = order_seen(app, envelope, message)
    if message.order.status in DELIVERED:
        change.refetch.add(reco_key(message.order.outlet_id))
    return change


def contact_sales_changed(
    app: App, envelope: EventEnvelope, message: oev.ContactSalesChanged
) -> Change:
    """A contact's figures, versioned by the row's version. A contact dated before the
    visits' window (a late change of an old visit's order) is removed rather than written:
    the bulk build lists none of those, and the window sweep may already have taken it."""
    contact = message.contact_sales
    found = po.contact_sales_item(contact)
    day = from_pb_date("contact_sales.date", contact.date, required=False)
    today = app.clock().astimezone(app.tz).date()
    if out_of_window(CONTACT_SALES, Dated(day), today, app.windows):
        return Change(items=[Removal(found.section, found.key, found.scope, found.version)])
    return Change(items=[found])


def promotion_changed(app: App, envelope: EventEnvelope, message: oev.PromotionChanged) -> Change:
    """The promotion whole: its objects under the scopes its targeting names now, tombstones
    under those it left (adapters/promotions_store.py), versioned by the promotion's version;
    none once it has ended (as the window sweep)."""
    promotion = message.promotion
    if not promotion.id:
        raise ProjectionError("promotion.id is empty")
    version = envelope.aggregate_version or promotion.version
    today = app.clock().astimezone(app.tz).date()
    return Change(derived=[promotions_store.promotion_changed(promotion, version, today)])


ORDERS: Mapping[type[Message], ToChange] = {
    oev.OrderSubmitted: order_seen,
    oev.OrderHeld: order_seen,
    oev.OrderConfirmed: order_seen,
    # A pre-sale order's new revision (its lines, totals, status): versioned as the others.
    oev.OrderAmended: order_seen,
    oev.OrderStatusChanged: status_changed,
    oev.VanSaleCompleted: van_sale,
    oev.VanLoaded: van_moved(lambda m: m.van_id),
    oev.VanUnloaded: van_moved(lambda m: m.unloading.van_id),
    oev.ReturnAccepted: van_moved(lambda m: m.goods_return.van_id),
    oev.ProductGroupsChanged: lambda _a, _e, m: _items(*map(po.product_group_item, m.groups)),
    oev.ProductsChanged: lambda _a, _e, m: _items(*map(po.product_item, m.products)),
    oev.PriceTypesChanged: lambda _a, _e, m: _items(*map(po.price_type_item, m.price_types)),
    oev.PriceListChanged: lambda _a, _e, m: Change(items=po.price_list_changed(m)),
    oev.ClientPriceTypeSet: client_price_type_set,
    oev.ClientPricesChanged: lambda _a, _e, m: _items(*map(po.client_price_item, m.prices)),
    oev.DiscountsChanged: lambda _a, _e, m: _items(*map(po.discount_item, m.discounts)),
    oev.ContactSalesChanged: contact_sales_changed,
    oev.PromotionChanged: promotion_changed,
}


# ------------------------------------------------------------------------------ settlements
def debt_changed(app: App, envelope: EventEnvelope, message: sev.DebtChanged) -> Change:
    # The business day the figures are of: when the change happened, in the company's zone.
    moment = (
        envelope.occurred_at.ToDatetime(tzinfo=UTC) if envelope.HasField("occurred_at") else None
    )
    day = (moment or app.clock()).astimezone(app.tz).date()
    return _items(ps.balance_item(message.balance, as_of=day))


def cash_moved(employee_id: str) -> Change:
    """An employee's cash on hand changed: settlements is asked again (GetCashOnHand), since
    no event carries the payments on hand."""
    return Change(refetch={cash_key(employee_id)} if employee_id else set())


SETTLEMENTS: Mapping[type[Message], ToChange] = {
    sev.DebtChanged: debt_changed,
    sev.InvoiceIssued: lambda _a, _e, m: Change(items=[ps.invoice_change(m.invoice)]),
    sev.InvoiceChanged: lambda _a, _e, m: Change(items=[ps.invoice_change(m.invoice)]),
    sev.TareBalanceChanged: lambda _a, _e, m: _items(ps.tare_balance_item(m.balance)),
    sev.CreditStandingChanged: lambda _a, _e, m: _items(ps.credit_standing_item(m.standing)),
    sev.PaymentRecorded: lambda _a, _e, m: _items(ps.collection_item(m.payment)),
    sev.CashOnHandChanged: lambda _a, _e, m: cash_moved(m.employee_id),
    sev.CashHandedOver: lambda _a, _e, m: cash_moved(m.handover.employee_id),
}


build_orders_consumer = fanout_consumer(ORDERS_FANOUT, ORDERS)
build_settlements_consumer = fanout_consumer(SETTLEMENTS_FANOUT, SETTLEMENTS)
