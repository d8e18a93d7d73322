"""Catalog over gRPC: idempotent bulk upserts, all or nothing, per-record errors, prices."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import grpc

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.adapters import orm
from fieldline_orders.domain.values import NAMESPACE

from .orders_harness import (
    Env,
    count,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    new_customer,
    pb_date,
    rub,
    today,
    world,
)

U = cs


def tag() -> str:
    return uuid.uuid4().hex[:8]


def product(ext: str, **kw: object) -> pb.Product:
    values: dict[str, object] = {
        "external_id": ext,
        "sku": ext,
        "name": f"Товар {ext}",
        "vat_rate": "20",
        "base_unit": "pcs",
        "units": [pb.ProductUnit(code="box", name="Коробка", ratio="6")],
        "active": True,
    }
    values.update(kw)
    return pb.Product(**values)  # type: ignore[arg-type]


async def upsert(e: Env, *products: pb.Product) -> cs.UpsertProductsResponse:
    return await e.orders.catalog.UpsertProducts(
        cs.UpsertProductsRequest(request_id=new_id(), products=list(products))
    )


async def test_product_upserts_are_idempotent_and_versioned(env: Env) -> None:
    t = tag()
    first = await upsert(env, product(f"A-{t}"), product(f"B-{t}"))
    assert [r.outcome for r in first.results] == [U.UPSERT_OUTCOME_CREATED] * 2
    assert first.results[0].id == str(uuid.uuid5(NAMESPACE, f"product:A-{t}"))
    again = await upsert(env, product(f"A-{t}"), product(f"B-{t}"))
    assert [r.outcome for r in again.results] == [U.UPSERT_OUTCOME_UNCHANGED] * 2
    assert [r.id for r in again.results] == [r.id for r in first.results]
    changed = await upsert(env, product(f"A-{t}", name="Новое имя"), product(f"B-{t}"))
    assert [r.outcome for r in changed.results] == [
        U.UPSERT_OUTCOME_UPDATED,
        U.UPSERT_OUTCOME_UNCHANGED,
    ]
    got = (
        await env.orders.catalog.GetProduct(cs.GetProductRequest(product_id=first.results[0].id))
    ).product
    assert (got.name, got.version) == ("Новое имя", 2)
    assert [(u.code, u.ratio) for u in got.units] == [("pcs", "1"), ("box", "6")]
    assert got.pack_unit == "pcs" and got.vat_rate == "20"
    # the same request again (same request_id) answers the stored response
    request = cs.UpsertProductsRequest(request_id=new_id(), products=[product(f"C-{t}")])
    r1 = await env.orders.catalog.UpsertProducts(request)
    r2 = await env.orders.catalog.UpsertProducts(request)
    assert r1 == r2 and r1.results[0].outcome == U.UPSERT_OUTCOME_CREATED


async def test_a_batch_with_a_bad_record_changes_nothing(env: Env) -> None:
    t = tag()
    before = await count(env, orm.products)
    reply = await upsert(
        env,
        product(f"OK-{t}"),
        product(f"BAD-{t}", vat_rate="18"),
        product(f"OK2-{t}", group_id=new_id()),
        product(f"OK-{t}"),
        product(f"U-{t}", units=[pb.ProductUnit(code="box", ratio="0")]),
    )
    outcomes = [(r.external_id, r.outcome, r.error) for r in reply.results]
    assert outcomes[0][1] == U.UPSERT_OUTCOME_UNSPECIFIED
    assert "not applied" in outcomes[0][2]
    assert outcomes[1][1] == U.UPSERT_OUTCOME_REJECTED
    assert outcomes[1][2].startswith("products[1].vat_rate: must be one of 0, 10, 20, 22")
    assert outcomes[2][1] == U.UPSERT_OUTCOME_REJECTED
    assert outcomes[2][2].startswith("products[2].group_id: product group")
    assert outcomes[3][2] == f"products[3].external_id: 'OK-{t}' is also products[0]"
    assert outcomes[4][2].startswith("products[4].units[0].ratio: must be positive")
    assert await count(env, orm.products) == before
    # nothing recorded either: the corrected batch goes through
    fixed = await upsert(env, product(f"OK-{t}"))
    assert fixed.results[0].outcome == U.UPSERT_OUTCOME_CREATED


async def test_an_external_id_keeps_its_id(env: Env) -> None:
    t = tag()
    created = await upsert(env, product(f"K-{t}"))
    reply = await upsert(env, product(f"K-{t}", id=new_id()))
    assert reply.results[0].outcome == U.UPSERT_OUTCOME_REJECTED
    assert f"external_id 'K-{t}' already has id {created.results[0].id}" in reply.results[0].error
    reply = await upsert(env, product(f"L-{t}", id=created.results[0].id))
    assert "already belongs to external_id" in reply.results[0].error


async def test_group_hierarchy_and_cycles(env: Env) -> None:
    t = tag()
    cat = env.orders.catalog
    root_id = str(uuid.uuid5(NAMESPACE, f"product_group:R-{t}"))
    reply = await cat.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[
                pb.ProductGroup(external_id=f"C-{t}", name="Дочерняя", parent_id=root_id),
                pb.ProductGroup(external_id=f"R-{t}", name="Корень"),
            ],
        )
    )
    assert [r.outcome for r in reply.results] == [U.UPSERT_OUTCOME_CREATED] * 2
    child_id = reply.results[0].id
    cycle = await cat.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[pb.ProductGroup(external_id=f"R-{t}", name="Корень", parent_id=child_id)],
        )
    )
    assert cycle.results[0].outcome == U.UPSERT_OUTCOME_REJECTED
    assert "own ancestor" in cycle.results[0].error
    unknown = await cat.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[pb.ProductGroup(external_id=f"X-{t}", name="x", parent_id=new_id())],
        )
    )
    assert unknown.results[0].error.startswith("groups[0].parent_id: product group")
    # products of the child are listed under the root
    made = await upsert(env, product(f"P-{t}", group_id=child_id))
    listed = await cat.ListProducts(cs.ListProductsRequest(group_id=root_id))
    assert [p.id for p in listed.products] == [made.results[0].id]


async def test_list_products_search_and_pages(env: Env) -> None:
    t = tag()
    await upsert(
        env,
        product(f"S1-{t}", name=f"Квас ЁЛКА {t}"),
        product(f"S2-{t}", name=f"квас елка {t}"),
        product(f"S3-{t}", name="Другое"),
    )
    found = await env.orders.catalog.ListProducts(cs.ListProductsRequest(query=f"квас ёлка {t}"))
    assert len(found.products) == 2
    by_sku = await env.orders.catalog.ListProducts(cs.ListProductsRequest(query=f"s3-{t}"))
    assert [p.sku for p in by_sku.products] == [f"S3-{t}"]
    seen, token = [], ""
    while True:
        page = await env.orders.catalog.ListProducts(
            cs.ListProductsRequest(query=t, page_size=1, page_token=token)
        )
        seen += [p.id for p in page.products]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == 3 == len(set(seen))


async def test_price_lists_and_resolve_prices(env: Env) -> None:
    w = world(env)
    cat = env.orders.catalog
    t = tag()
    pt = await cat.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[pb.PriceType(external_id=f"PT-{t}", name="Розница", currency_code="RUB")],
        )
    )
    pt_id = pt.results[0].id
    later = today() - timedelta(days=1)
    lists = await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id=f"PL1-{t}",
                    price_type_id=pt_id,
                    valid_from=pb_date(date(2024, 1, 1)),
                    entries=[
                        pb.PriceListEntry(product_id=w.beer.id, price=rub("40.00")),
                        pb.PriceListEntry(product_id=w.water.id, price=rub("12.00")),
                    ],
                ),
                pb.PriceList(
                    external_id=f"PL2-{t}",
                    price_type_id=pt_id,
                    valid_from=pb_date(later),
                    entries=[pb.PriceListEntry(product_id=w.beer.id, price=rub("42.00"))],
                ),
            ],
        )
    )
    assert [r.outcome for r in lists.results] == [U.UPSERT_OUTCOME_CREATED] * 2
    c = await new_customer(env, price_type_id=pt_id)
    await cat.UpsertDiscounts(
        cs.UpsertDiscountsRequest(
            request_id=new_id(),
            discounts=[
                pb.Discount(
                    external_id=f"D1-{t}",
                    scope=pb.DISCOUNT_SCOPE_GROUP,
                    group_id=w.group_id,
                    percent="2",
                ),
                pb.Discount(
                    external_id=f"D2-{t}",
                    scope=pb.DISCOUNT_SCOPE_PRODUCT,
                    product_id=w.beer.id,
                    client_id=c.client_id,
                    volume_breaks=[
                        pb.VolumeBreak(min_quantity="24", percent="5"),
                        pb.VolumeBreak(min_quantity="120", percent="8"),
                    ],
                ),
            ],
        )
    )
    await cat.UpsertClientPrices(
        cs.UpsertClientPricesRequest(
            request_id=new_id(),
            prices=[
                pb.ClientPrice(
                    client_id=c.client_id,
                    product_id=w.water.id,
                    price=rub("11.50"),
                    valid_from=pb_date(date(2024, 1, 1)),
                )
            ],
        )
    )
    warehouse = new_id()
    stock = await cat.UpsertStock(
        cs.UpsertStockRequest(
            request_id=new_id(),
            levels=[pb.StockLevel(warehouse_id=warehouse, product_id=w.beer.id, quantity="100")],
        )
    )
    assert stock.count == 1
    resolved = await cat.ResolvePrices(
        cs.ResolvePricesRequest(client_id=c.client_id, product_ids=[w.beer.id, w.water.id])
    )
    assert resolved.currency_code == "RUB"
    beer, water = resolved.prices
    assert (dec(beer.unit_price), beer.price_source) == (
        dec(rub("42.00")),
        f"price_list:{lists.results[1].id}",
    )
    assert beer.discount_percent == "2"  # the group's (beer is in a subgroup)
    assert [(b.min_quantity, b.percent) for b in beer.volume_breaks] == [("24", "5"), ("120", "8")]
    assert beer.stock_quantity == "100"
    assert (dec(water.unit_price), water.price_source) == (dec(rub("11.50")), "client_price")
    # before the second list, the first one's price
    before = await cat.ResolvePrices(
        cs.ResolvePricesRequest(
            client_id=c.client_id,
            date=pb_date(later - timedelta(days=1)),
            product_ids=[w.beer.id],
        )
    )
    assert dec(before.prices[0].unit_price) == dec(rub("40.00"))
    every = await cat.ResolvePrices(cs.ResolvePricesRequest(client_id=c.client_id))
    assert {p.product_id for p in every.prices} >= {w.beer.id, w.water.id}
    assert w.chips.id not in {p.product_id for p in every.prices}  # no price in this type
    await expect_error(
        cat.ResolvePrices(cs.ResolvePricesRequest(client_id=c.client_id, product_ids=[w.chips.id])),
        grpc.StatusCode.FAILED_PRECONDITION,
        "product_ids[0]: no price",
    )
    await expect_error(
        cat.ResolvePrices(cs.ResolvePricesRequest(client_id=c.client_id, product_ids=[new_id()])),
        grpc.StatusCode.NOT_FOUND,
        "product_ids[0]",
    )


async def test_price_list_errors_per_record(env: Env) -> None:
    w = world(env)
    t = tag()
    reply = await env.orders.catalog.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id=f"E1-{t}",
                    price_type_id=new_id(),
                    valid_from=pb_date(date(2024, 1, 1)),
                ),
                pb.PriceList(
                    external_id=f"E2-{t}",
                    price_type_id=w.price_type_id,
                    valid_from=pb_date(date(2024, 1, 1)),
                    entries=[
                        pb.PriceListEntry(product_id=w.beer.id, price=rub("1")),
                        pb.PriceListEntry(product_id=new_id(), price=rub("1")),
                    ],
                ),
                pb.PriceList(
                    external_id=f"E3-{t}",
                    price_type_id=w.price_type_id,
                    valid_from=pb_date(date(2024, 1, 1)),
                    entries=[
                        pb.PriceListEntry(
                            product_id=w.beer.id,
                            price=pb.PriceListEntry().price.__class__(
                                currency_code="RUB", units=1, nanos=-5
                            ),
                        )
                    ],
                ),
                pb.PriceList(
                    external_id=f"E4-{t}",
                    price_type_id=w.price_type_id,
                    valid_from=pb_date(date(2024, 1, 1)),
                    entries=[
                        pb.PriceListEntry(
                            product_id=w.beer.id,
                            price=pb.PriceListEntry().price.__class__(currency_code="USD", units=1),
                        )
                    ],
                ),
                pb.PriceList(external_id=f"E5-{t}", price_type_id=w.price_type_id),
            ],
        )
    )
    errors = [r.error for r in reply.results]
    assert errors[0].startswith("price_lists[0].price_type_id: price type")
    assert errors[1].startswith("price_lists[1].entries[1].product_id: product")
    assert errors[2] == "price_lists[2].entries[0].price.nanos: must have the same sign as units"
    assert "USD" in errors[3]
    assert errors[4] == "price_lists[4].valid_from: is required"
    assert all(r.outcome == U.UPSERT_OUTCOME_REJECTED for r in reply.results)


async def test_count_only_upserts_are_all_or_nothing(env: Env) -> None:
    w = world(env)
    client = new_id()
    before = await count(env, orm.client_prices)
    await expect_error(
        env.orders.catalog.UpsertClientPrices(
            cs.UpsertClientPricesRequest(
                request_id=new_id(),
                prices=[
                    pb.ClientPrice(
                        client_id=client,
                        product_id=w.beer.id,
                        price=rub("1"),
                        valid_from=pb_date(date(2024, 1, 1)),
                    ),
                    pb.ClientPrice(
                        client_id=client,
                        product_id=new_id(),
                        price=rub("1"),
                        valid_from=pb_date(date(2024, 1, 1)),
                    ),
                    pb.ClientPrice(client_id=client, product_id=w.beer.id, price=rub("1")),
                ],
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "prices[1].product_id: product",
        "prices[2].valid_from: is required",
        "nothing was changed",
    )
    assert await count(env, orm.client_prices) == before
    await expect_error(
        env.orders.catalog.UpsertStock(
            cs.UpsertStockRequest(
                request_id=new_id(),
                levels=[pb.StockLevel(warehouse_id=new_id(), product_id=w.beer.id, quantity="-1")],
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "levels[0].quantity: must not be negative",
    )
    await expect_error(
        env.orders.catalog.SetClientPriceType(
            cs.SetClientPriceTypeRequest(
                request_id=new_id(), client_id=client, price_type_id=new_id()
            )
        ),
        grpc.StatusCode.NOT_FOUND,
        "price_type_id",
    )


async def test_discount_errors(env: Env) -> None:
    t = tag()
    reply = await env.orders.catalog.UpsertDiscounts(
        cs.UpsertDiscountsRequest(
            request_id=new_id(),
            discounts=[
                pb.Discount(
                    external_id=f"X1-{t}", scope=pb.DISCOUNT_SCOPE_GROUP, group_id=new_id()
                ),
                pb.Discount(external_id=f"X2-{t}", scope=pb.DISCOUNT_SCOPE_CLIENT, percent="3"),
                pb.Discount(external_id=f"X3-{t}", percent="3"),
            ],
        )
    )
    errors = [r.error for r in reply.results]
    assert errors[0].startswith("discounts[0].group_id: product group")
    assert errors[1] == "discounts[1].client_id: is required for a client discount"
    assert errors[2] == "discounts[2].scope: is required"


async def test_get_product_errors(env: Env) -> None:
    await expect_error(
        env.orders.catalog.GetProduct(cs.GetProductRequest(product_id=new_id())),
        grpc.StatusCode.NOT_FOUND,
        "product_id",
    )
    await expect_error(
        env.orders.catalog.GetProduct(cs.GetProductRequest(product_id="x")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "product_id: must be a UUID",
    )
