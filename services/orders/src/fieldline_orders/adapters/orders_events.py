"""Mappers of the orders, van and return domain events to fieldline.orders.events.v1.

The order events fill their `order` field in place (`proto_mapping.fill_order`) instead of
copying a built order into it.

Registered on `event_mapper.map_event`; `bootstrap` imports this module.

Aggregates on the envelope: `order` (id, version) for order events and van sales, so a
consumer can tell newer from older per order; `van_load`, `van_unloading` and `goods_return`
(version 1: those documents never change) for the others.
"""

from __future__ import annotations

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline_kit.grpc.convert import money
from fieldline_kit.uow import IntegrationEvent
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.event_mapper import integration_event, map_event
from fieldline_orders.domain import events
from fieldline_orders.domain.values import fmt


@map_event.register
def _(e: events.OrderSubmitted) -> IntegrationEvent:
    msg = ev.OrderSubmitted()
    m.fill_order(msg.order, e.order)
    return integration_event("order", e.order.id, e.order.version, msg)


@map_event.register
def _(e: events.OrderHeld) -> IntegrationEvent:
    msg = ev.OrderHeld()
    m.fill_order(msg.order, e.order)
    return integration_event("order", e.order.id, e.order.version, msg)


@map_event.register
def _(e: events.OrderConfirmed) -> IntegrationEvent:
    msg = ev.OrderConfirmed()
    m.fill_order(msg.order, e.order)
    return integration_event("order", e.order.id, e.order.version, msg)


@map_event.register
def _(e: events.OrderStatusChanged) -> IntegrationEvent:
    msg = ev.OrderStatusChanged(previous_status=m.ORDER_STATUSES[e.previous])
    m.fill_order(msg.order, e.order)
    return integration_event("order", e.order.id, e.order.version, msg)


@map_event.register
def _(e: events.VanSaleCompleted) -> IntegrationEvent:
    msg = ev.VanSaleCompleted(
        order=m.order_pb(e.order),
        van_id=e.van_id,
        cash_collected=money(e.cash_collected, e.order.currency_code),
        receipt_number=e.receipt_number,
        containers=m.containers_pb(e.containers),
    )
    return integration_event("order", e.order.id, e.order.version, msg)


@map_event.register
def _(e: events.ReturnAccepted) -> IntegrationEvent:
    r = e.goods_return
    msg = ev.ReturnAccepted(goods_return=m.goods_return_pb(r), currency_code=r.currency_code)
    return integration_event("goods_return", r.id, r.version, msg)


@map_event.register
def _(e: events.VanLoaded) -> IntegrationEvent:
    load = e.load
    msg = ev.VanLoaded(
        van_id=load.van_id,
        load_id=load.id,
        lines=[vs.VanStockLine(product_id=pid, quantity=fmt(q)) for pid, q in load.lines],
    )
    return integration_event("van_load", load.id, load.version, msg)


@map_event.register
def _(e: events.VanUnloaded) -> IntegrationEvent:
    u = e.unloading
    msg = ev.VanUnloaded(unloading=m.unloading_pb(u))
    return integration_event("van_unloading", u.id, u.version, msg)
