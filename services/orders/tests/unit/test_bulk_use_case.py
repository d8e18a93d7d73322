"""The bulk load's use cases (service_layer/bulk.py) on the fake unit of work, and the domain's
imported orders: what the feed consumer, SetClientPriceType and the orders would leave, with
nothing announced."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from fieldline_kit.errors import InvalidArgument, NotFound
from fieldline_orders.domain.catalog import ClientPriceType
from fieldline_orders.domain.feed import (
    AssignmentState,
    AuditState,
    FeedRecord,
    OutletState,
    ShelfCount,
    TerritoryState,
)
from fieldline_orders.domain.orders import (
    IMPORTED_BY,
    CreditDecision,
    CreditOutcome,
    Order,
    OrderLine,
    OrderStatus,
)
from fieldline_orders.domain.recommendation import weekday_mask
from fieldline_orders.service_layer import bulk, feed
from fieldline_orders.service_layer.bulk import BulkLoad, Chunk

from .fakes import FakeOrdersUnitOfWork
from .orders_factories import DAY, NOW, new_id, price_type, product

S = OrderStatus
AT = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)


def line(product_id: str, quantity: str = "3", delivered: str = "3", **kw: Any) -> OrderLine:
    values: dict[str, Any] = {
        "product_id": product_id,
        "unit": "pcs",
        "quantity": quantity,
        "base_quantity": quantity,
        "unit_price": Decimal("10.00"),
        "price_source": "erp",
        "rule_discount_percent": "",
        "manual_discount_percent": "",
        "net_amount": Decimal("25.00"),
        "vat_rate": "20",
        "vat_amount": Decimal("5.00"),
        "gross_amount": Decimal("30.00"),
        "delivered_base_quantity": delivered,
        "container_type": "",
        "container_quantity": "",
    }
    values.update(kw)
    return OrderLine.imported("lines[0]", 1, **values)


def imported(
    client_id: str,
    outlet_id: str,
    *lines: OrderLine,
    status: OrderStatus | None = S.DELIVERED,
    **kw: Any,
) -> Order:
    values: dict[str, Any] = {
        "order_id": new_id(),
        "status": status,
        "client_id": client_id,
        "outlet_id": outlet_id,
        "agent_id": new_id(),
        "distributor_id": "",
        "warehouse_id": "",
        "order_date": DAY,
        "delivery_date": None,
        "lines": lines,
        "currency": "RUB",
        "credit": CreditDecision(CreditOutcome.ALLOW),
        "comment": "",
        "status_reason": "",
        "created_at": AT,
        "updated_at": NOW,
    }
    values.update(kw)
    return Order.imported(**values)


class Shop:
    """A catalog of one product and one price type, and an outlet of a client."""

    def __init__(self, uow: FakeOrdersUnitOfWork) -> None:
        self.product, self.price_type = product(), price_type()
        uow.products.put(self.product)
        uow.price_types.put(self.price_type)
        self.client, self.outlet, self.route = new_id(), new_id(), new_id()

    def feed(self) -> list[FeedRecord]:
        return [
            OutletState(self.outlet, self.client, "ACTIVE", 1),
            AssignmentState(
                self.route, self.outlet, new_id(), 1, weekday_mask({1}), DAY, 1, False, 1
            ),
            AuditState(new_id(), self.outlet, AT, 1, [ShelfCount("SKU-1", True, 2, Decimal(5))]),
        ]

    def order(self, **kw: Any) -> Order:
        return imported(self.client, self.outlet, line(self.product.id), **kw)


# ------------------------------------------------------------------------------ a chunk
async def test_a_chunk_is_written_as_the_use_cases_write_it_and_announces_nothing() -> None:
    uow = FakeOrdersUnitOfWork(clock=lambda: NOW)
    shop = Shop(uow)
    order = shop.order()
    chunk = Chunk(
        feed=shop.feed(),
        price_types={shop.client: shop.price_type.id},
        orders={order.id: order},
    )
    await uow.run(bulk.apply_chunk, chunk)

    outlet, assignment, audit = shop.feed()[0], uow.feed.assignments, uow.feed.audits
    assert uow.feed.outlets == {shop.outlet: outlet}
    assert list(assignment) == [(shop.route, shop.outlet)]
    assert [c.sku for c in audit[shop.outlet].counts] == ["SKU-1"]
    assert uow.catalog.client_price_types == {
        shop.client: ClientPriceType(shop.client, shop.price_type.id)
    }
    assert uow.orders.rows == {(order.id,): order}
    [history] = uow.orders.history[order.id]
    assert (history.status, history.reported_by, history.at) == (S.DELIVERED, IMPORTED_BY, NOW)
    assert uow.events == [] and uow.responses == {}  # no outbox rows, no stored answers


async def test_feed_records_end_as_the_consumer_leaves_them() -> None:
    outlet, client, route, agent = new_id(), new_id(), new_id(), new_id()
    later = datetime(2024, 5, 11, tzinfo=UTC)
    region, city = new_id(), new_id()
    records: list[FeedRecord] = [
        OutletState(outlet, client, "CLOSED", 3, "HoReCa", city),
        OutletState(outlet, client, "ACTIVE", 2, "Retail", region),  # older: ignored
        TerritoryState(region, "", 1),
        TerritoryState(city, region, 1),
        TerritoryState(city, new_id(), 1),  # the same version again: ignored
        AssignmentState(route, outlet, agent, 1, weekday_mask({2}), DAY, 1, False, 1),
        AssignmentState(route, outlet, agent, 1, weekday_mask({2}), DAY, 1, True, 2),
        AuditState(new_id(), outlet, later, 1, [ShelfCount("SKU-2", False, 0, None)]),
        AuditState(new_id(), outlet, AT, 1, [ShelfCount("SKU-1", True, 1, Decimal(1))]),
    ]
    consumed = FakeOrdersUnitOfWork()
    for record in records:  # the consumer: one event per transaction
        if isinstance(record, OutletState):
            await consumed.run(feed.outlet_seen, record)
        elif isinstance(record, TerritoryState):
            await consumed.run(feed.territory_seen, record)
        elif isinstance(record, AssignmentState):
            await consumed.run(feed.assignment_seen, record)
        else:
            await consumed.run(feed.audit_seen, record)
    loaded = FakeOrdersUnitOfWork()
    await loaded.run(bulk.apply_feed, records)
    # The catalog generation counts changes (one per territory event, one per bulk load): both
    # moved it, which is what the caches need; the figure itself is no state.
    assert loaded.catalog.generation >= 1 and consumed.catalog.generation > 1
    assert _without_generation(loaded.state()) == _without_generation(consumed.state())
    assert loaded.feed.outlets[outlet] == records[0]  # its channel and territory too
    assert loaded.feed.territories[city].parent_id == region
    assert loaded.feed.audits[outlet].submitted_at == later


async def test_a_client_price_type_must_exist() -> None:
    uow = FakeOrdersUnitOfWork()
    Shop(uow)
    missing = new_id()
    await uow.refused(
        NotFound, bulk.set_client_price_types, {new_id(): missing}, match="price_type_id"
    )
    await uow.refused(InvalidArgument, bulk.set_client_price_types, {"": missing})


async def test_an_order_needs_its_client_outlet_and_catalog_products() -> None:
    uow = FakeOrdersUnitOfWork()
    shop = Shop(uow)
    await uow.run(bulk.apply_feed, shop.feed())
    unknown = imported(shop.client, new_id(), line(shop.product.id))
    await uow.refused(NotFound, bulk.import_orders, [unknown], match=rf"order {unknown.id}: outlet")
    theirs = imported(new_id(), shop.outlet, line(shop.product.id))
    await uow.refused(InvalidArgument, bulk.import_orders, [theirs], match="another client")
    gone = shop.order(lines=[line(shop.product.id), line(new_id())])
    await uow.refused(NotFound, bulk.import_orders, [gone], match=r"lines\[1\]\.product_id")


async def test_an_order_stored_already_is_left_as_it_is() -> None:
    uow = FakeOrdersUnitOfWork()
    shop = Shop(uow)
    await uow.run(bulk.apply_feed, shop.feed())
    order = shop.order()
    assert await uow.run(bulk.import_orders, [order]) == 1
    cancelled = line(shop.product.id, delivered="")
    again = imported(shop.client, shop.outlet, cancelled, order_id=order.id, status=S.CANCELLED)
    assert await uow.run(bulk.import_orders, [again]) == 0
    assert uow.orders.rows[(order.id,)].status is S.DELIVERED


async def test_a_load_writes_its_chunks_in_turn() -> None:
    uow = FakeOrdersUnitOfWork()
    shop = Shop(uow)
    load = BulkLoad(lambda: uow, chunk_size=4)
    for record in shop.feed():
        load.feed(record)
    load.set_client_price_type(shop.client, new_id())
    load.set_client_price_type(shop.client, shop.price_type.id)  # the last one set wins
    assert load.full
    await load.flush()
    first, second = shop.order(), shop.order()
    load.import_order(first)
    load.import_order(shop.order(order_id=first.id, comment="a second one: ignored"))
    load.import_order(second)
    await load.flush()
    await load.flush()  # nothing gathered: no transaction
    assert uow.commits == 2
    assert uow.catalog.client_price_types == {
        shop.client: ClientPriceType(shop.client, shop.price_type.id)
    }
    assert [o.comment for o in uow.orders.rows.values()] == ["", ""]
    with pytest.raises(InvalidArgument, match="client_id"):
        load.set_client_price_type("", shop.price_type.id)


# ------------------------------------------------------------------ an imported order
def test_an_imported_order_keeps_its_figures_and_the_status_says_what_was_delivered() -> None:
    pid = new_id()
    order = imported(new_id(), new_id(), line(pid), line(pid, "2", "2"))
    assert (order.version, order.status, order.created_at) == (1, S.DELIVERED, AT)
    assert [ln.line_no for ln in order.lines] == [1, 1]  # as the caller numbered them
    assert (order.net_total, order.vat_total, order.gross_total) == (
        Decimal("50.00"),
        Decimal("10.00"),
        Decimal("60.00"),
    )
    assert order.events == []
    partly = imported(new_id(), new_id(), line(pid, "5", "2"), status=S.PARTIALLY_DELIVERED)
    assert partly.lines[0].delivered_base_quantity == Decimal(2)
    with pytest.raises(InvalidArgument, match="every line delivered in full"):
        imported(new_id(), new_id(), line(pid, "5", "2"))
    with pytest.raises(InvalidArgument, match="nothing delivered yet"):
        imported(new_id(), new_id(), line(pid), status=S.SUBMITTED)
    submitted = imported(new_id(), new_id(), line(pid, delivered=""), status=S.SUBMITTED)
    assert submitted.lines[0].delivered_base_quantity == 0


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"status": None}, "status: is required"),
        ({"lines": []}, "at least one line"),
        ({"currency": "rub"}, "currency_code"),
        ({"delivery_date": date(2024, 5, 1)}, "delivery_date"),
        ({"totals": (Decimal(1), Decimal(0), Decimal(1))}, "sums of the lines: 25, 5, 30"),
        ({"agent_id": ""}, "agent_id"),
    ],
)
def test_an_imported_order_is_refused_when(change: dict[str, Any], error: str) -> None:
    values: dict[str, Any] = {"lines": [line(new_id())], **change}
    lines = values.pop("lines")
    with pytest.raises(InvalidArgument, match=error):
        imported(new_id(), new_id(), *lines, **values)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"gross_amount": Decimal("31.00")}, r"gross_amount: 31 is not net 25 \+ VAT 5"),
        ({"delivered_base_quantity": "4"}, "more than the 3 ordered"),
        ({"quantity": "0"}, "quantity: must be positive"),
        ({"vat_rate": "18"}, "vat_rate"),
        ({"unit_price": Decimal("0.001")}, "unit_price"),
        ({"product_id": "x"}, "product_id"),
    ],
)
def test_an_imported_line_is_refused_when(change: dict[str, Any], error: str) -> None:
    with pytest.raises(InvalidArgument, match=error):
        line(**{"product_id": new_id(), **change})


def _without_generation(state: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in state.items() if k != "catalog_state"}
