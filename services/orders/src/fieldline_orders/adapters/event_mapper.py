"""Domain events of orders, van sales and returns → fieldline.orders.events.v1.

The order events take their `order` field from the order's wire bytes (`order_bytes`, which
a submission's response shares) or fill it in place (`fill_order`), never copying a built
order into it.

Aggregates on the envelope: `order` (id, version) for order events and van sales, so a
consumer can tell newer from older per order; `van_load`, `van_unloading` and `goods_return`
(version 1: those documents never change) for the others; `contact_sales` (the contact id,
its version); `price_list` and
`client_price_type` (the client's id) with their versions. The catalog events about many
records name the collection (`catalog`, e.g. `products`, version 0: each record carries its
own version) and are cut into events of at most `BATCH_EVENT_BYTES` of records, so a large
upsert never makes a message JetStream refuses (its default limit is 1 MiB; a refused row
would hold back every event behind it in the outbox).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from google.protobuf.message import Message

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline_kit.event_mapper import EventMapper, maps
from fieldline_kit.grpc.convert import money
from fieldline_kit.uow import IntegrationEvent
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.promotion_mapping import promotion_pb
from fieldline_orders.domain import events
from fieldline_orders.domain.values import fmt
from fieldline_orders.topology import SUBJECT_PREFIX

M = TypeVar("M", bound=Message)

# The records of one catalog event about many records, at most (serialized).
BATCH_EVENT_BYTES = 512 * 1024
# The envelope's aggregate of a catalog event about many records.
CATALOG = "catalog"


def batches(records: Sequence[M], budget: int = BATCH_EVENT_BYTES) -> Iterator[list[M]]:
    """`records` in order, cut into runs of at most `budget` bytes on the wire (a record
    larger than that alone)."""
    run: list[M] = []
    size = 0
    for r in records:
        n = r.ByteSize() + 8  # the field's tag and length
        if run and size + n > budget:
            yield run
            run, size = [], 0
        run.append(r)
        size += n
    if run:
        yield run


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

    @maps(events.OrderAmended)
    def order_amended(self, e: events.OrderAmended) -> IntegrationEvent:
        msg = ev.OrderAmended(previous_revision=e.previous_revision)
        m.fill_order(msg.order, e.order)
        return self.event("order", e.order.id, e.order.version, msg)

    @maps(events.OrderStatusChanged)
    def order_status_changed(self, e: events.OrderStatusChanged) -> IntegrationEvent:
        msg = ev.OrderStatusChanged(
            previous_status=m.ORDER_STATUSES[e.previous],
            delivered_containers=m.containers_pb(e.delivered_containers),
        )
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

    @maps(events.ContactSalesChanged)
    def contact_sales_changed(self, e: events.ContactSalesChanged) -> IntegrationEvent:
        c = e.contact_sales
        msg = ev.ContactSalesChanged(contact_sales=m.contact_sales_pb(c))
        return self.event("contact_sales", c.contact_id, c.version, msg)

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

    # -- catalog -------------------------------------------------------------------------
    def _about_many(
        self, kind: str, records: Sequence[M], message: Callable[[list[M]], Message]
    ) -> list[IntegrationEvent]:
        return [self.event(CATALOG, kind, 0, message(run)) for run in batches(records)]

    @maps(events.ProductGroupsChanged)
    def product_groups_changed(self, e: events.ProductGroupsChanged) -> list[IntegrationEvent]:
        groups = [m.group_pb(g) for g in e.groups]
        return self._about_many(
            "product_groups", groups, lambda run: ev.ProductGroupsChanged(groups=run)
        )

    @maps(events.ProductsChanged)
    def products_changed(self, e: events.ProductsChanged) -> list[IntegrationEvent]:
        products = [m.product_pb(p) for p in e.products]
        return self._about_many("products", products, lambda run: ev.ProductsChanged(products=run))

    @maps(events.PriceTypesChanged)
    def price_types_changed(self, e: events.PriceTypesChanged) -> list[IntegrationEvent]:
        types = [m.price_type_pb(t) for t in e.price_types]
        return self._about_many(
            "price_types", types, lambda run: ev.PriceTypesChanged(price_types=run)
        )

    @maps(events.PriceListChanged)
    def price_list_changed(self, e: events.PriceListChanged) -> IntegrationEvent:
        pl = e.price_list
        msg = ev.PriceListChanged(price_list=m.price_list_header_pb(pl, e.entry_count))
        if e.changes is not None:
            msg.entries_included = True
            msg.changed_entries.extend(m.price_entries_pb(e.changes.changed, e.currency_code))
            msg.removed_product_ids.extend(e.changes.removed)
        return self.event("price_list", pl.id, pl.version, msg)

    @maps(events.ClientPriceTypeSet)
    def client_price_type_set(self, e: events.ClientPriceTypeSet) -> IntegrationEvent:
        c = e.client_price_type
        msg = ev.ClientPriceTypeSet(
            client_price_type=m.client_price_type_pb(c),
            previous_price_type_id=e.previous_price_type_id,
        )
        return self.event("client_price_type", c.client_id, c.version, msg)

    @maps(events.PromotionChanged)
    def promotion_changed(self, e: events.PromotionChanged) -> IntegrationEvent:
        p = e.promotion
        msg = ev.PromotionChanged(promotion=promotion_pb(p, e.consumed))
        return self.event("promotion", p.id, p.version, msg)

    @maps(events.DistributorPriceTypeSet)
    def distributor_price_type_set(self, e: events.DistributorPriceTypeSet) -> IntegrationEvent:
        d = e.distributor_price_type
        msg = ev.DistributorPriceTypeSet(
            distributor_price_type=m.distributor_price_type_pb(d),
            previous_price_type_id=e.previous_price_type_id,
        )
        # One aggregate per distributor × client ("" client: its default), its id derived from
        # both (an aggregate id is at most 64 characters: two UUIDs side by side are not).
        key = str(
            uuid.uuid5(
                uuid.NAMESPACE_URL, f"distributor-price-type:{d.distributor_id}:{d.client_id}"
            )
        )
        return self.event("distributor_price_type", key, d.version, msg)

    @maps(events.ClientPricesChanged)
    def client_prices_changed(self, e: events.ClientPricesChanged) -> list[IntegrationEvent]:
        prices = [m.client_price_pb(p) for p in e.prices]
        return self._about_many(
            "client_prices", prices, lambda run: ev.ClientPricesChanged(prices=run)
        )

    @maps(events.DiscountsChanged)
    def discounts_changed(self, e: events.DiscountsChanged) -> list[IntegrationEvent]:
        discounts = [m.discount_pb(d) for d in e.discounts]
        return self._about_many(
            "discounts", discounts, lambda run: ev.DiscountsChanged(discounts=run)
        )

    @maps(events.WarehousesChanged)
    def warehouses_changed(self, e: events.WarehousesChanged) -> list[IntegrationEvent]:
        warehouses = [m.warehouse_pb(w) for w in e.warehouses]
        return self._about_many(
            "warehouses", warehouses, lambda run: ev.WarehousesChanged(warehouses=run)
        )
