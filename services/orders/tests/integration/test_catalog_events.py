"""The catalog's events on the ORDERS stream (real NATS, through the outbox): each upsert
announces the records it added or changed, with their new state and version; an upsert of the
same values announces nothing (no outbox row, nothing on the stream)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from google.protobuf.message import Message

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.helpers import new_id
from fieldline_orders.adapters.schema import kit

from .orders_harness import (
    Env,
    announced,
    count,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    pb_date,
    prices_from,
    rub,
    world,
)

CREATED, UPDATED, UNCHANGED = (
    cs.UPSERT_OUTCOME_CREATED,
    cs.UPSERT_OUTCOME_UPDATED,
    cs.UPSERT_OUTCOME_UNCHANGED,
)


def tag() -> str:
    return uuid.uuid4().hex[:8]


def naming(field: str, ids: set[str], key: str = "id") -> Callable[[Message], bool]:
    """A match for batch events: one of the message's `field` records has one of `ids`."""
    return lambda message: any(getattr(r, key) in ids for r in getattr(message, field))


async def all_published(env: Env) -> None:
    """Every event committed so far is on the stream: a fence's (a new group's), written
    after them, has arrived (the relay publishes the outbox in order)."""
    reply = await env.orders.catalog.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(), groups=[pb.ProductGroup(external_id=f"F-{tag()}", name="fence")]
        )
    )
    await announced(env, "ProductGroupsChanged", naming("groups", {reply.results[0].id}))


async def nothing_announced(
    env: Env, call: Callable[[], Awaitable[Any]], name: str, match: Callable[[Any], bool]
) -> None:
    """`call()` (an upsert of what is stored already) writes no outbox row and publishes
    nothing: the events matching stay as they were."""
    before = len(await announced(env, name, match, expect=0))
    outbox = await count(env, kit.outbox)
    reply = await call()
    if hasattr(reply, "results"):
        assert {r.outcome for r in reply.results} == {UNCHANGED}
    assert await count(env, kit.outbox) == outbox
    await all_published(env)
    assert len(await announced(env, name, match, expect=0)) == before


# ------------------------------------------------------------------------------- groups
async def test_groups_are_announced_when_they_change(env: Env) -> None:
    t, cat = tag(), env.orders.catalog
    top = pb.ProductGroup(external_id=f"G-{t}", name="Напитки")

    def upsert(*groups: pb.ProductGroup) -> Any:
        return cat.UpsertProductGroups(
            cs.UpsertProductGroupsRequest(request_id=new_id(), groups=list(groups))
        )

    created = await upsert(top)
    top_id = created.results[0].id
    child = pb.ProductGroup(external_id=f"G-{t}-1", name="Соки", parent_id=top_id)
    child_id = (await upsert(child)).results[0].id
    mine = naming("groups", {top_id, child_id})
    first, second = await announced(env, "ProductGroupsChanged", mine, expect=2)
    assert [(g.id, g.name, g.parent_id, g.version) for g in first.message.groups] == [
        (top_id, "Напитки", "", 1)
    ]
    assert [(g.id, g.parent_id, g.version) for g in second.message.groups] == [
        (child_id, top_id, 1)
    ]
    envelope = first.envelope
    assert (envelope.aggregate_type, envelope.aggregate_id, envelope.aggregate_version) == (
        "catalog",
        "product_groups",
        0,
    )

    await nothing_announced(env, lambda: upsert(top, child), "ProductGroupsChanged", mine)

    renamed = await upsert(top, pb.ProductGroup(external_id=f"G-{t}-1", name="Соки и нектары"))
    assert [r.outcome for r in renamed.results] == [UNCHANGED, UPDATED]
    found = await announced(env, "ProductGroupsChanged", mine, expect=3)
    assert len(found) == 3
    # only the changed group, as stored now (moved to the top: parent_id left empty)
    assert [(g.id, g.name, g.parent_id, g.version) for g in found[2].message.groups] == [
        (child_id, "Соки и нектары", "", 2)
    ]


# ----------------------------------------------------------------------------- products
async def test_products_are_announced_with_their_full_state(env: Env) -> None:
    t, cat = tag(), env.orders.catalog
    beer = pb.Product(
        external_id=f"P-{t}",
        sku=f"P-{t}",
        name="Пиво",
        vat_rate="20",
        base_unit="pcs",
        units=[pb.ProductUnit(code="box", name="Коробка", ratio="12")],
        barcodes=["4600000000001"],
        active=True,
    )

    def upsert(*products: pb.Product) -> Any:
        return cat.UpsertProducts(
            cs.UpsertProductsRequest(request_id=new_id(), products=list(products))
        )

    product_id = (await upsert(beer)).results[0].id
    mine = naming("products", {product_id})
    (created,) = await announced(env, "ProductsChanged", mine)
    (p,) = created.message.products
    shown = (await cat.GetProduct(cs.GetProductRequest(product_id=product_id))).product
    assert p == shown  # the whole product, as GetProduct shows it
    assert (p.version, list(p.barcodes), [u.code for u in p.units]) == (
        1,
        ["4600000000001"],
        ["pcs", "box"],
    )

    await nothing_announced(env, lambda: upsert(beer), "ProductsChanged", mine)

    beer.active = False
    assert [r.outcome for r in (await upsert(beer)).results] == [UPDATED]
    found = await announced(env, "ProductsChanged", mine, expect=2)
    assert len(found) == 2
    assert [(p.id, p.active, p.version) for p in found[1].message.products] == [
        (product_id, False, 2)
    ]


# -------------------------------------------------------------------------- price types
async def test_price_types_are_announced_when_they_change(env: Env) -> None:
    t, cat = tag(), env.orders.catalog
    retail = pb.PriceType(external_id=f"PT-{t}", name="Розница", currency_code="RUB")

    def upsert(*types: pb.PriceType) -> Any:
        return cat.UpsertPriceTypes(
            cs.UpsertPriceTypesRequest(request_id=new_id(), price_types=list(types))
        )

    type_id = (await upsert(retail)).results[0].id
    mine = naming("price_types", {type_id})
    (created,) = await announced(env, "PriceTypesChanged", mine)
    (shown,) = created.message.price_types
    assert (shown.id, shown.name, shown.currency_code, shown.vat_included, shown.version) == (
        type_id,
        "Розница",
        "RUB",
        False,
        1,
    )
    await nothing_announced(env, lambda: upsert(retail), "PriceTypesChanged", mine)
    retail.vat_included = True
    await upsert(retail)
    found = await announced(env, "PriceTypesChanged", mine, expect=2)
    assert [(x.vat_included, x.version) for x in found[1].message.price_types] == [(True, 2)]


# --------------------------------------------------------------------------- price lists
async def test_a_price_list_is_announced_with_what_changed(env: Env) -> None:
    w, t, cat = world(env), tag(), env.orders.catalog
    beer, water, chips = w.beer.id, w.water.id, w.chips.id

    def price_list(*entries: tuple[str, str], valid_to: Any = None) -> pb.PriceList:
        return pb.PriceList(
            external_id=f"PL-{t}",
            price_type_id=w.price_type_id,
            valid_from=pb_date(prices_from()),
            valid_to=valid_to,
            entries=[pb.PriceListEntry(product_id=p, price=rub(a)) for p, a in entries],
        )

    def upsert(pl: pb.PriceList) -> Any:
        return cat.UpsertPriceLists(
            cs.UpsertPriceListsRequest(request_id=new_id(), price_lists=[pl])
        )

    first = price_list((beer, "40.00"), (water, "12.00"), (chips, "60.00"))
    list_id = (await upsert(first)).results[0].id

    def mine(message: ev.PriceListChanged) -> bool:
        return message.price_list.id == list_id

    (created,) = await announced(env, "PriceListChanged", mine)
    header = created.message.price_list
    assert (header.price_type_id, header.version, header.entry_count, len(header.entries)) == (
        w.price_type_id,
        1,
        3,
        0,
    )
    assert created.message.entries_included
    changed = {
        e.product_id: (dec(e.price), e.price.currency_code) for e in created.message.changed_entries
    }
    assert changed == {
        beer: (Decimal("40.00"), "RUB"),
        water: (Decimal("12.00"), "RUB"),
        chips: (Decimal("60.00"), "RUB"),
    }
    assert list(created.message.removed_product_ids) == []
    envelope = created.envelope
    assert (envelope.aggregate_type, envelope.aggregate_id, envelope.aggregate_version) == (
        "price_list",
        list_id,
        1,
    )

    await nothing_announced(env, lambda: upsert(first), "PriceListChanged", mine)

    # beer repriced, water as it was, chips dropped
    second = price_list((beer, "41.50"), (water, "12.00"))
    assert [r.outcome for r in (await upsert(second)).results] == [UPDATED]
    found = await announced(env, "PriceListChanged", mine, expect=2)
    assert len(found) == 2
    message = found[1].message
    assert (message.price_list.version, message.price_list.entry_count) == (2, 2)
    assert message.entries_included
    assert [(e.product_id, dec(e.price)) for e in message.changed_entries] == [
        (beer, Decimal("41.50"))
    ]
    assert list(message.removed_product_ids) == [chips]
    assert found[1].envelope.aggregate_version == 2

    # a header change alone: a new version, no entry changed
    until = pb_date(prices_from() + timedelta(days=365))
    await upsert(price_list((beer, "41.50"), (water, "12.00"), valid_to=until))
    found = await announced(env, "PriceListChanged", mine, expect=3)
    message = found[2].message
    assert message.price_list.version == 3 and message.price_list.HasField("valid_to")
    assert message.entries_included
    assert (list(message.changed_entries), list(message.removed_product_ids)) == ([], [])


# ------------------------------------------------------------------ client price types
async def test_a_client_price_type_is_announced_when_it_changes(env: Env) -> None:
    w, cat, client = world(env), env.orders.catalog, new_id()

    def set_type(price_type_id: str) -> Any:
        return cat.SetClientPriceType(
            cs.SetClientPriceTypeRequest(
                request_id=new_id(), client_id=client, price_type_id=price_type_id
            )
        )

    def mine(message: ev.ClientPriceTypeSet) -> bool:
        return message.client_price_type.client_id == client

    await set_type(w.price_type_id)
    (first,) = await announced(env, "ClientPriceTypeSet", mine)
    setting = first.message.client_price_type
    assert (setting.price_type_id, setting.version) == (w.price_type_id, 1)
    assert first.message.previous_price_type_id == ""
    envelope = first.envelope
    assert (envelope.aggregate_type, envelope.aggregate_id, envelope.aggregate_version) == (
        "client_price_type",
        client,
        1,
    )

    await nothing_announced(env, lambda: set_type(w.price_type_id), "ClientPriceTypeSet", mine)

    other = await cat.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[pb.PriceType(external_id=f"PT-{tag()}", name="VIP", currency_code="RUB")],
        )
    )
    other_id = other.results[0].id
    await set_type(other_id)
    found = await announced(env, "ClientPriceTypeSet", mine, expect=2)
    message = found[1].message
    assert (message.client_price_type.price_type_id, message.client_price_type.version) == (
        other_id,
        2,
    )
    assert message.previous_price_type_id == w.price_type_id
    assert found[1].envelope.aggregate_version == 2


# ----------------------------------------------------------------------- client prices
async def test_client_prices_are_announced_when_they_change(env: Env) -> None:
    w, cat, client = world(env), env.orders.catalog, new_id()
    since = prices_from()

    def price(product: pb.Product, amount: str) -> pb.ClientPrice:
        return pb.ClientPrice(
            client_id=client, product_id=product.id, price=rub(amount), valid_from=pb_date(since)
        )

    def upsert(*prices: pb.ClientPrice) -> Any:
        return cat.UpsertClientPrices(
            cs.UpsertClientPricesRequest(request_id=new_id(), prices=list(prices))
        )

    mine = naming("prices", {client}, key="client_id")
    assert (await upsert(price(w.beer, "30.00"), price(w.water, "9.00"))).count == 2
    (created,) = await announced(env, "ClientPricesChanged", mine)
    shown = {
        (p.product_id, dec(p.price), p.price.currency_code, p.version)
        for p in created.message.prices
    }
    assert shown == {
        (w.beer.id, Decimal("30.00"), "RUB", 1),
        (w.water.id, Decimal("9.00"), "RUB", 1),
    }
    assert all(p.valid_from == pb_date(since) for p in created.message.prices)
    envelope = created.envelope
    assert (envelope.aggregate_type, envelope.aggregate_id) == ("catalog", "client_prices")

    await nothing_announced(
        env,
        lambda: upsert(price(w.beer, "30.00"), price(w.water, "9.00")),
        "ClientPricesChanged",
        mine,
    )

    assert (await upsert(price(w.beer, "30.00"), price(w.water, "8.50"))).count == 2
    found = await announced(env, "ClientPricesChanged", mine, expect=2)
    assert [(p.product_id, dec(p.price), p.version) for p in found[1].message.prices] == [
        (w.water.id, Decimal("8.50"), 2)
    ]


# ---------------------------------------------------------------------------- discounts
async def test_discounts_are_announced_when_they_change(env: Env) -> None:
    w, t, cat = world(env), tag(), env.orders.catalog
    volume = pb.Discount(
        external_id=f"D-{t}",
        scope=pb.DISCOUNT_SCOPE_PRODUCT,
        product_id=w.beer.id,
        percent="2",
        volume_breaks=[pb.VolumeBreak(min_quantity="24", percent="5")],
    )

    def upsert(*discounts: pb.Discount) -> Any:
        return cat.UpsertDiscounts(
            cs.UpsertDiscountsRequest(request_id=new_id(), discounts=list(discounts))
        )

    discount_id = (await upsert(volume)).results[0].id
    mine = naming("discounts", {discount_id})
    (created,) = await announced(env, "DiscountsChanged", mine)
    (d,) = created.message.discounts
    assert (d.scope, d.product_id, d.client_id, d.percent, d.version) == (
        pb.DISCOUNT_SCOPE_PRODUCT,
        w.beer.id,
        "",
        "2",
        1,
    )
    assert [(b.min_quantity, b.percent) for b in d.volume_breaks] == [("24", "5")]
    assert not d.HasField("valid_from") and not d.HasField("valid_to")  # open on both ends

    await nothing_announced(env, lambda: upsert(volume), "DiscountsChanged", mine)

    volume.percent = "3"
    await upsert(volume)
    found = await announced(env, "DiscountsChanged", mine, expect=2)
    assert [(d.percent, d.version) for d in found[1].message.discounts] == [("3", 2)]
