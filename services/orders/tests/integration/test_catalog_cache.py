"""The catalog cache never prices with stale data: changes by this process or another replica
are seen by the very next order (catalog_state.generation is checked in every read)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import grpc

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.bootstrap import bootstrap
from fieldline_orders.entrypoints.catalog_api import CatalogServicer

from .orders_harness import (
    Customer,
    Env,
    World,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    new_customer,
    pb_date,
    rub,
    submit_request,
    world,
)


def price_list_request(w: World, type_id: str, tag: str, beer: str) -> cs.UpsertPriceListsRequest:
    return cs.UpsertPriceListsRequest(
        request_id=new_id(),
        price_lists=[
            pb.PriceList(
                external_id=f"PL-cache-{tag}",
                price_type_id=type_id,
                valid_from=pb_date(date(2024, 1, 1)),
                entries=[pb.PriceListEntry(product_id=w.beer.id, price=rub(beer))],
            )
        ],
    )


async def own_price_type(env: Env) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    reply = await env.orders.catalog.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[
                pb.PriceType(
                    external_id=f"PT-cache-{tag}",
                    name="Кэш",
                    currency_code="RUB",
                    vat_included=True,
                )
            ],
        )
    )
    return reply.results[0].id, tag


async def beer_price(env: Env, client: Customer) -> Decimal:
    w = world(env)
    reply = await env.orders.orders_as(client.agent).SubmitOrder(
        submit_request(client, [ln(w.beer, "1")])
    )
    return dec(reply.order.lines[0].unit_price)


async def test_a_price_change_reaches_the_next_order(env: Env) -> None:
    w = world(env)
    type_id, tag = await own_price_type(env)
    await env.orders.catalog.UpsertPriceLists(price_list_request(w, type_id, tag, "20.00"))
    c = await new_customer(env, price_type_id=type_id)
    cache = env.app.catalog_cache
    assert await beer_price(env, c) == Decimal("20.00")
    hits = cache.hits
    assert await beer_price(env, c) == Decimal("20.00")
    assert cache.hits > hits  # the second order was priced from the cache
    await env.orders.catalog.UpsertPriceLists(price_list_request(w, type_id, tag, "25.00"))
    assert await beer_price(env, c) == Decimal("25.00")


async def test_a_change_made_by_another_replica_is_seen(env: Env) -> None:
    """Another process on the same database changes the list: this one's cache is stale."""
    w = world(env)
    type_id, tag = await own_price_type(env)
    await env.orders.catalog.UpsertPriceLists(price_list_request(w, type_id, tag, "30.00"))
    c = await new_customer(env, price_type_id=type_id)
    assert await beer_price(env, c) == Decimal("30.00")  # cached here now
    other = bootstrap(env.app.settings)  # a second replica: own engine, own (empty) cache
    try:
        reply = await CatalogServicer(other).UpsertPriceLists(
            price_list_request(w, type_id, tag, "31.50"),
            None,  # type: ignore[arg-type]
        )
        assert reply.results[0].outcome == cs.UPSERT_OUTCOME_UPDATED
    finally:
        await other.close()
    assert await beer_price(env, c) == Decimal("31.50")


def kvas_request(tag: str, *, active: bool) -> cs.UpsertProductsRequest:
    product = pb.Product(
        external_id=f"KVAS-{tag}",
        sku=f"KVAS-{tag}",
        name="Квас",
        vat_rate="20",
        base_unit="pcs",
        active=active,
    )
    return cs.UpsertProductsRequest(request_id=new_id(), products=[product])


async def test_products_deactivated_elsewhere_are_not_sold_from_the_cache(env: Env) -> None:
    w = world(env)
    tag = uuid.uuid4().hex[:8]
    created = await env.orders.catalog.UpsertProducts(kvas_request(tag, active=True))
    kvas_id = created.results[0].id
    await env.orders.catalog.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id=f"PL-kvas-{tag}",
                    price_type_id=w.price_type_id,
                    valid_from=pb_date(date(2024, 1, 1)),
                    entries=[pb.PriceListEntry(product_id=kvas_id, price=rub("50.00"))],
                )
            ],
        )
    )
    c = await new_customer(env)
    kvas = ln(w.beer, "1")
    kvas.product_id = kvas_id
    first = await env.orders.orders_as(c.agent).SubmitOrder(submit_request(c, [kvas]))
    assert first.order.lines[0].product_id == kvas_id
    other = bootstrap(env.app.settings)
    try:
        await CatalogServicer(other).UpsertProducts(kvas_request(tag, active=False), None)  # type: ignore[arg-type]
    finally:
        await other.close()
    await expect_error(
        env.orders.orders_as(c.agent).SubmitOrder(submit_request(c, [kvas])),
        grpc.StatusCode.FAILED_PRECONDITION,
        "lines[0].product_id",
        "not active",
    )
