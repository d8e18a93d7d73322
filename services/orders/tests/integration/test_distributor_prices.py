"""A distributor's prices (issue 15, increment 7; docs/contexts/sales-gaps.md 3.3), over real
gRPC, NATS, databases and settlements.

* SetDistributorPriceType: a client's own, the distributor's default; idempotent, versioned,
  announced once; bad input named per field (unknown distributor, not a distributor, unknown
  price type) and nothing written; ListDistributorPriceTypes pages and filters;
* an order placed for the distributor prices from its price type (the client's, else the
  default) with the distributor's discounts and none of the company's client prices or
  discounts; a distributor without a price type prices as the company; the company's orders
  never get a distributor's discounts; ResolvePrices and AmendOrder alike.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.events import published
from fieldline_kit.testing.helpers import expect_error, new_id

from .orders_harness import (
    Env,
    a_client_of_type,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    new_customer,
    pb_date,
    prices_from,
    rub,
    submit,
    submit_request,
    world,
)


async def price_type_with(env: Env, water: str, beer: str) -> str:
    """A new price type listing water and beer at these prices (RUB, VAT included)."""
    w, tag = world(env), new_id()[:8]
    cat = env.orders.catalog
    types = await cat.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[
                pb.PriceType(
                    external_id=f"D-{tag}",
                    name="Дистрибьютор",
                    currency_code="RUB",
                    vat_included=True,
                )
            ],
        )
    )
    type_id = types.results[0].id
    await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id=f"DL-{tag}",
                    price_type_id=type_id,
                    valid_from=pb_date(prices_from()),
                    entries=[
                        pb.PriceListEntry(product_id=w.water.id, price=rub(water)),
                        pb.PriceListEntry(product_id=w.beer.id, price=rub(beer)),
                    ],
                )
            ],
        )
    )
    return type_id


async def set_type(
    env: Env, distributor_id: str, client_id: str, type_id: str
) -> pb.DistributorPriceType:
    reply = await env.orders.catalog.SetDistributorPriceType(
        cs.SetDistributorPriceTypeRequest(
            request_id=new_id(),
            distributor_id=distributor_id,
            client_id=client_id,
            price_type_id=type_id,
        )
    )
    return reply.distributor_price_type


async def discount(env: Env, client_id: str, percent: str, distributor_id: str = "") -> None:
    """A product discount on water (for `client_id`; "" every client), of the distributor."""
    reply = await env.orders.catalog.UpsertDiscounts(
        cs.UpsertDiscountsRequest(
            request_id=new_id(),
            discounts=[
                pb.Discount(
                    external_id=f"DISC-{new_id()[:8]}",
                    scope=pb.DISCOUNT_SCOPE_PRODUCT,
                    client_id=client_id,
                    product_id=world(env).water.id,
                    percent=percent,
                    distributor_id=distributor_id,
                )
            ],
        )
    )
    assert reply.results[0].outcome == cs.UPSERT_OUTCOME_CREATED, reply.results[0].error


def water_line(order: pb.Order) -> tuple[Decimal, str, Decimal]:
    [line] = order.lines
    return dec(line.unit_price), line.price_source, Decimal(line.rule_discount_percent or "0")


# ---------------------------------------------------------------------------- the setting
async def test_a_distributor_price_type_is_set_once_versioned_and_announced(env: Env) -> None:
    d = await a_client_of_type(env, "DISTRIBUTOR")
    first, second = (
        await price_type_with(env, "9.00", "30.00"),
        await price_type_with(env, "8", "29"),
    )
    default = await set_type(env, d, "", first)
    again = await set_type(env, d, "", first)  # the same: nothing changes
    moved = await set_type(env, d, "", second)
    assert (default.version, again.version, moved.version) == (1, 1, 2)

    def of_d(envelope: Any) -> bool:
        return envelope.aggregate_type == "distributor_price_type"

    found = await published(env.js, "ORDERS", of_d, expect=2, settle=0.5)
    mine = [
        p.message
        for p in found
        if isinstance(p.message, ev.DistributorPriceTypeSet)
        and p.message.distributor_price_type.distributor_id == d
    ]
    assert [(e.distributor_price_type.price_type_id, e.previous_price_type_id) for e in mine] == [
        (first, ""),
        (second, first),
    ]
    client = new_id()
    await set_type(env, d, client, first)
    listed = await env.orders.catalog.ListDistributorPriceTypes(
        cs.ListDistributorPriceTypesRequest(distributor_id=d, page_size=1)
    )
    assert len(listed.distributor_price_types) == 1 and listed.next_page_token
    rest = await env.orders.catalog.ListDistributorPriceTypes(
        cs.ListDistributorPriceTypesRequest(
            distributor_id=d, page_size=1, page_token=listed.next_page_token
        )
    )
    pairs = [
        (x.client_id, x.price_type_id)
        for x in [*listed.distributor_price_types, *rest.distributor_price_types]
    ]
    assert sorted(pairs) == sorted([("", second), (client, first)])


async def test_bad_settings_are_refused_per_field_and_write_nothing(env: Env) -> None:
    retail = await a_client_of_type(env, "RETAIL")
    d = await a_client_of_type(env, "DISTRIBUTOR")
    type_id = await price_type_with(env, "9.00", "30.00")
    cases = [
        ((new_id(), "", type_id), grpc.StatusCode.NOT_FOUND, "distributor_id"),
        ((retail, "", type_id), grpc.StatusCode.INVALID_ARGUMENT, "is not a distributor"),
        (("", "", type_id), grpc.StatusCode.INVALID_ARGUMENT, "distributor_id: is required"),
        ((d, "x", type_id), grpc.StatusCode.INVALID_ARGUMENT, "client_id: "),
        ((d, "", new_id()), grpc.StatusCode.NOT_FOUND, "price_type_id"),
    ]
    for (distributor, client, price_type), code, needle in cases:
        await expect_error(set_type(env, distributor, client, price_type), code, needle)
    listed = await env.orders.catalog.ListDistributorPriceTypes(
        cs.ListDistributorPriceTypesRequest(distributor_id=d)
    )
    assert list(listed.distributor_price_types) == []
    await expect_error(
        env.orders.catalog.ListDistributorPriceTypes(
            cs.ListDistributorPriceTypesRequest(page_token="bm90LWEta2V5")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "page_token",
    )


async def test_a_discount_of_a_client_that_is_not_a_distributor_is_refused(env: Env) -> None:
    retail = await a_client_of_type(env, "RETAIL")
    reply = await env.orders.catalog.UpsertDiscounts(
        cs.UpsertDiscountsRequest(
            request_id=new_id(),
            discounts=[
                pb.Discount(
                    external_id=f"DISC-{new_id()[:8]}",
                    scope=pb.DISCOUNT_SCOPE_CLIENT,
                    client_id=new_id(),
                    percent="5",
                    distributor_id=retail,
                )
            ],
        )
    )
    [result] = reply.results
    assert result.outcome == cs.UPSERT_OUTCOME_REJECTED
    assert result.error == f"discounts[0].distributor_id: client {retail} is not a distributor"


# ------------------------------------------------------------------------------- pricing
async def test_an_order_for_the_distributor_prices_from_its_list_and_discounts(
    env: Env,
) -> None:
    w = world(env)
    d = await a_client_of_type(env, "DISTRIBUTOR")
    c = await new_customer(env)
    default = await price_type_with(env, "9.00", "30.00")
    own = await price_type_with(env, "8.00", "29.00")
    await set_type(env, d, "", default)
    await discount(env, "", "5", distributor_id=d)  # the distributor's, every client
    await discount(env, c.client_id, "50")  # the company's, for this client: not for D's orders

    # The default type of the distributor, its 5 %.
    order = await submit(env, c, submit_request(c, [ln(w.water, "1")], distributor_id=d))
    assert order.distributor_id == d
    price, source, rule = water_line(order)
    assert (price, rule) == (Decimal("9.00"), Decimal(5))
    assert source
    # The company's order: its list (10.00) and its 50 %, never the distributor's 5 %.
    company = await submit(env, c, submit_request(c, [ln(w.water, "1")]))
    assert water_line(company)[0::2] == (Decimal("10.00"), Decimal(50))
    # The client's own type of the distributor wins over its default.
    await set_type(env, d, c.client_id, own)
    own_order = await submit(env, c, submit_request(c, [ln(w.water, "1")], distributor_id=d))
    assert water_line(own_order)[0::2] == (Decimal("8.00"), Decimal(5))
    # ResolvePrices for the distributor says the same.
    resolved = await env.orders.catalog.ResolvePrices(
        cs.ResolvePricesRequest(client_id=c.client_id, product_ids=[w.water.id], distributor_id=d)
    )
    [p] = resolved.prices
    assert (dec(p.unit_price), p.discount_percent) == (Decimal("8.00"), "5")
    # An amendment keeps pricing for the distributor.
    amended = await env.orders.orders_as(c.agent).AmendOrder(
        os_.AmendOrderRequest(
            request_id=new_id(),
            order_id=order.id,
            amendment_id=new_id(),
            expected_revision=1,
            lines=[ln(w.water, "2")],
        )
    )
    assert water_line(amended.order)[0::2] == (Decimal("8.00"), Decimal(5))


async def test_resolve_prices_for_a_distributor_counts_its_warehouses_stock(env: Env) -> None:
    """A distributor's prices come with its registered warehouses' stock; the company's with
    every warehouse no distributor owns (its own, and those never registered)."""
    w = world(env)
    d = await a_client_of_type(env, "DISTRIBUTOR")
    c = await new_customer(env)
    tag = new_id()[:8]
    reply = await env.orders.catalog.UpsertWarehouses(
        cs.UpsertWarehousesRequest(
            request_id=new_id(),
            warehouses=[pb.Warehouse(external_id=f"WH-{tag}", name="Склад Д", distributor_id=d)],
        )
    )
    theirs = reply.results[0].id
    unregistered = new_id()
    await env.orders.catalog.UpsertStock(
        cs.UpsertStockRequest(
            request_id=new_id(),
            levels=[
                pb.StockLevel(warehouse_id=theirs, product_id=w.chips.id, quantity="5"),
                pb.StockLevel(warehouse_id=unregistered, product_id=w.chips.id, quantity="7"),
            ],
        )
    )

    async def stock(distributor_id: str) -> str:
        resolved = await env.orders.catalog.ResolvePrices(
            cs.ResolvePricesRequest(
                client_id=c.client_id, product_ids=[w.chips.id], distributor_id=distributor_id
            )
        )
        return resolved.prices[0].stock_quantity

    assert (await stock(d), await stock("")) == ("5", "7")


async def test_a_distributor_without_a_price_type_prices_as_the_company(env: Env) -> None:
    w = world(env)
    d = await a_client_of_type(env, "DISTRIBUTOR")
    c = await new_customer(env)
    order = await submit(env, c, submit_request(c, [ln(w.water, "1")], distributor_id=d))
    assert (order.distributor_id, water_line(order)[0]) == (d, Decimal("10.00"))
