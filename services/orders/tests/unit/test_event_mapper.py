"""Every domain event of the orders context is published: `OrdersEvents` maps each one; the
catalog's events about many records fit a message, a price list's carries its change."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.event_mapper import BATCH_EVENT_BYTES, OrdersEvents, batches
from fieldline_orders.domain import events
from fieldline_orders.domain.catalog import PriceListChanges, PriceListMerge
from fieldline_orders.domain.orders import OrderStatus
from fieldline_orders.topology import SUBJECT_PREFIX

from .orders_factories import new_id, price_list, price_type, priced_order, product


def domain_events() -> set[type]:
    found: set[type] = set()
    todo = list(events.Event.__subclasses__())
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_domain_event_has_a_mapper() -> None:
    assert domain_events() == OrdersEvents.mapped_types()


def test_an_order_event_is_published_under_the_stream_subjects_with_the_whole_order() -> None:
    order = priced_order()
    order.change_status(OrderStatus.CONFIRMED, now=order.updated_at)
    (confirmed,) = [e for e in order.events if isinstance(e, events.OrderConfirmed)]
    (published,) = OrdersEvents()(confirmed)
    assert published.subject == f"{SUBJECT_PREFIX}.OrderConfirmed"
    assert (published.aggregate_type, published.aggregate_id, published.aggregate_version) == (
        "order",
        order.id,
        2,
    )
    assert isinstance(published.message, ev.OrderConfirmed)
    assert published.message.order.id == order.id
    assert published.message.order.status


def test_a_catalog_event_about_many_records_is_cut_to_fit_a_message() -> None:
    """A large upsert's records go out in several events, each under BATCH_EVENT_BYTES (so
    JetStream never refuses one), in their order, none lost."""
    barcodes = tuple(f"46{n:011d}" for n in range(50))
    products = tuple(
        replace(product(), name="Товар " + "я" * 250, barcodes=barcodes) for _ in range(400)
    )
    published = list(OrdersEvents()(events.ProductsChanged(products)))
    assert len(published) > 1
    shown = [p for e in published for p in e.message.products]
    assert [p.id for p in shown] == [p.id for p in products]
    for e in published:
        assert e.subject == f"{SUBJECT_PREFIX}.ProductsChanged"
        assert (e.aggregate_type, e.aggregate_id, e.aggregate_version) == ("catalog", "products", 0)
        assert e.message.ByteSize() <= BATCH_EVENT_BYTES
    (one,) = OrdersEvents()(events.ProductsChanged(products[:1]))
    assert list(one.message.products) == [m.product_pb(products[0])]


def test_batches_keep_the_order_and_put_a_record_larger_than_the_budget_alone() -> None:
    small, large = pb.ProductGroup(id="a"), pb.ProductGroup(id="b", name="x" * 100)
    assert list(batches([small, large, small], budget=60)) == [[small], [large], [small]]
    # each costs its 3 bytes and 8 for its tag and length: 2 fit in 25
    assert list(batches([small] * 4, budget=25)) == [[small, small], [small, small]]
    assert list(batches([])) == []


def test_a_price_list_event_carries_the_header_and_its_change_when_small() -> None:
    pt = price_type()
    ids = sorted(new_id() for _ in range(3))
    before = price_list(pt, {ids[0]: "10.00", ids[1]: "20.00"})
    after = replace(before, entries={ids[1]: Decimal("21.00"), ids[2]: Decimal("5.00")}, version=2)
    (published,) = OrdersEvents()(events.PriceListChanged.of(after, "RUB", before))
    assert (published.aggregate_type, published.aggregate_id, published.aggregate_version) == (
        "price_list",
        before.id,
        2,
    )
    message = published.message
    assert isinstance(message, ev.PriceListChanged)
    header = message.price_list
    assert (header.id, header.version, header.entry_count, list(header.entries)) == (
        before.id,
        2,
        2,
        [],
    )
    assert message.entries_included
    assert [
        (e.product_id, e.price.units, e.price.currency_code) for e in message.changed_entries
    ] == [
        (ids[1], 21, "RUB"),
        (ids[2], 5, "RUB"),
    ]
    assert list(message.removed_product_ids) == [ids[0]]

    (large,) = OrdersEvents()(events.PriceListChanged(after, "RUB", None, 2))
    assert not large.message.entries_included
    assert (list(large.message.changed_entries), large.message.price_list.entry_count) == ([], 2)

    # a merge's: the header (no entries loaded), the list's count, exactly what it changed
    merged = PriceListMerge(
        replace(after, entries={}, version=3),
        PriceListChanges({ids[0]: Decimal("9.99")}, (ids[2],)),
        40_000,
    )
    (published,) = OrdersEvents()(events.PriceListChanged.merged(merged, "RUB"))
    message = published.message
    assert isinstance(message, ev.PriceListChanged)
    assert (published.aggregate_version, message.price_list.version) == (3, 3)
    assert message.price_list.entry_count == 40_000 and message.entries_included
    assert [(e.product_id, e.price.units, e.price.nanos) for e in message.changed_entries] == [
        (ids[0], 9, 990_000_000)
    ]
    assert list(message.removed_product_ids) == [ids[2]]
