"""Domain events of orders, van sales and returns → fieldline.orders.events.v1.

The order events take their `order` field from the order's wire bytes (`order_bytes`, which
a submission's response shares) or fill it in place (`fill_order`), never copying a built
order into it.

Aggregates on the envelope: `order` (id, version) for order events and van sales, so a
consumer can tell newer from older per order; `van_load`, `van_unloading` and `goods_return`
(version 1: those documents never change) for the others.
"""

from __future__ import annotations

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline_kit.event_mapper import EventMapper, maps
from fieldline_kit.grpc.convert import money
from fieldline_kit.uow import IntegrationEvent
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.domain import events
from fieldline_orders.domain.values import fmt
from fieldline_orders.topology import SUBJECT_PREFIX


class OrdersEvents(EventMapper):
    subject_prefix = SUBJECT_PREFIX

    @maps(events.OrderSubmitted)
    def order_submitted(self, e: events.OrderSubmitted) -> IntegrationEvent:
        msg = ev.OrderSubmitted()
        msg.order.MergeFromString(m.order_bytes(e.order))
        return self.event("order", e.order.id, e.order.version, msg)

    @maps(events.OrderHeld)
    def order_held(self, e: events.OrderHeld) -> IntegrationEvent:
        msg = ev.OrderHeld()
        msg.order.MergeFromString(m.order_bytes(e.order))
        return self.event("order", e.order.id, e.order.version, msg)

    @maps(events.OrderConfirmed)
    def order_confirmed(self, e: events.OrderConfirmed) -> IntegrationEvent:
        msg = ev.OrderConfirmed()
        m.fill_order(msg.order, e.order)
        return self.event("order", e.order.id, e.order.version, msg)

    @maps(events.OrderStatusChanged)
    def order_status_changed(self, e: events.OrderStatusChanged) -> IntegrationEvent:
        msg = ev.OrderStatusChanged(previous_status=m.ORDER_STATUSES[e.previous])
        m.fill_order(msg.order, e.order)
        return self.event("order", e.order.id, e.order.version, msg)

    @maps(events.VanSaleCompleted)
    def van_sale_completed(self, e: events.VanSaleCompleted) -> IntegrationEvent:
        msg = ev.VanSaleCompleted(
            order=m.order_pb(e.order),
            van_id=e.van_id,
            cash_collected=money(e.cash_collected, e.order.currency_code),
            receipt_number=e.receipt_number,
            containers=m.containers_pb(e.containers),
        )
        return self.event("order", e.order.id, e.order.version, msg)

    @maps(events.ReturnAccepted)
    def return_accepted(self, e: events.ReturnAccepted) -> IntegrationEvent:
        r = e.goods_return
        msg = ev.ReturnAccepted(goods_return=m.goods_return_pb(r), currency_code=r.currency_code)
        return self.event("goods_return", r.id, r.version, msg)

    @maps(events.VanLoaded)
    def van_loaded(self, e: events.VanLoaded) -> IntegrationEvent:
        load = e.load
        msg = ev.VanLoaded(
            van_id=load.van_id,
            load_id=load.id,
            lines=[vs.VanStockLine(product_id=pid, quantity=fmt(q)) for pid, q in load.lines],
        )
        return self.event("van_load", load.id, load.version, msg)

    @maps(events.VanUnloaded)
    def van_unloaded(self, e: events.VanUnloaded) -> IntegrationEvent:
        u = e.unloading
        msg = ev.VanUnloaded(unloading=m.unloading_pb(u))
        return self.event("van_unloading", u.id, u.version, msg)
