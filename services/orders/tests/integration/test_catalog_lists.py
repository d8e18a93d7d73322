"""Every catalog record page by page, with its version (what a consumer of the catalog events
builds its copy from): key order, whole pages, filters, bad input named per field, and access
(ADMIN and SERVICE only)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.type import date_pb2

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import catalog_service_pb2_grpc as cs_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.grpc.convert import encode_token
from fieldline_kit.testing.auth import service_caller
from fieldline_kit.testing.helpers import expect_error, new_id

from .identity import agent
from .orders_harness import (
    Env,
    announced,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    pb_date,
    prices_from,
    rub,
    world,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def tag() -> str:
    return uuid.uuid4().hex[:8]


async def every_page(
    rpc: Callable[[Any], Awaitable[Any]], request: Any, field: str, *, size: int
) -> tuple[list[Any], int]:
    """Every record `rpc` lists (its response's `field`), page by page; and the pages."""
    records: list[Any] = []
    pages, token = 0, ""
    while True:
        request.page_size, request.page_token = size, token
        reply = await rpc(request)
        page = list(getattr(reply, field))
        assert len(page) <= size
        records += page
        pages += 1
        token = reply.next_page_token
        if not token:
            return records, pages
        assert len(page) == size  # only the last page is short


def day(d: date_pb2.Date) -> date:
    return date(d.year, d.month, d.day)


def product(ext: str) -> pb.Product:
    return pb.Product(
        external_id=ext, sku=ext, name=f"Товар {ext}", vat_rate="20", base_unit="pcs", active=True
    )


# ------------------------------------------------------------------ groups, types, discounts
async def test_groups_price_types_and_discounts_are_listed_by_id_with_their_versions(
    env: Env,
) -> None:
    t, cat = tag(), env.orders.catalog
    groups = await cat.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[
                pb.ProductGroup(external_id=f"G-{t}-{n}", name=f"Группа {n}") for n in range(3)
            ],
        )
    )
    await cat.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[pb.ProductGroup(external_id=f"G-{t}-0", name="Переименована")],
        )
    )
    listed, pages = await every_page(
        cat.ListProductGroups, cs.ListProductGroupsRequest(), "groups", size=2
    )
    ids = [g.id for g in listed]
    assert ids == sorted(set(ids)) and pages == (len(ids) + 1) // 2
    mine = {g.id: (g.name, g.version) for g in listed if g.external_id.startswith(f"G-{t}")}
    made = [r.id for r in groups.results]
    assert mine == {
        made[0]: ("Переименована", 2),
        made[1]: ("Группа 1", 1),
        made[2]: ("Группа 2", 1),
    }

    types = await cat.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[
                pb.PriceType(external_id=f"PT-{t}", name="Опт", currency_code="RUB"),
            ],
        )
    )
    listed, _ = await every_page(
        cat.ListPriceTypes, cs.ListPriceTypesRequest(), "price_types", size=1
    )
    assert [t.id for t in listed] == sorted(t.id for t in listed)
    (shown,) = [x for x in listed if x.id == types.results[0].id]
    assert (shown.external_id, shown.name, shown.currency_code, shown.version) == (
        f"PT-{t}",
        "Опт",
        "RUB",
        1,
    )

    w = world(env)
    until = prices_from() + timedelta(days=90)
    given = pb.Discount(
        external_id=f"D-{t}",
        scope=pb.DISCOUNT_SCOPE_GROUP,
        client_id=new_id(),
        group_id=w.group_id,
        percent="1.5",
        volume_breaks=[pb.VolumeBreak(min_quantity="100", percent="4")],
        valid_from=pb_date(prices_from()),
        valid_to=pb_date(until),
    )
    made_discount = await cat.UpsertDiscounts(
        cs.UpsertDiscountsRequest(request_id=new_id(), discounts=[given])
    )
    listed, _ = await every_page(cat.ListDiscounts, cs.ListDiscountsRequest(), "discounts", size=1)
    assert [d.id for d in listed] == sorted(d.id for d in listed)
    (shown_discount,) = [d for d in listed if d.external_id == f"D-{t}"]
    given.id, given.version = made_discount.results[0].id, 1
    assert shown_discount == given  # as upserted, with its id and version


# --------------------------------------------------------------------------- price lists
async def test_price_lists_are_listed_as_headers_with_their_entry_counts(env: Env) -> None:
    w, t, cat = world(env), tag(), env.orders.catalog
    pt = await cat.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[pb.PriceType(external_id=f"PT-{t}", name="Акция", currency_code="RUB")],
        )
    )
    type_id = pt.results[0].id
    since = pb_date(prices_from())
    lists = await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id=f"PL-{t}-a",
                    price_type_id=type_id,
                    valid_from=since,
                    entries=[
                        pb.PriceListEntry(product_id=w.beer.id, price=rub("39.90")),
                        pb.PriceListEntry(product_id=w.water.id, price=rub("11.90")),
                    ],
                ),
                pb.PriceList(external_id=f"PL-{t}-b", price_type_id=type_id, valid_from=since),
            ],
        )
    )
    a, b = (r.id for r in lists.results)
    listed, _ = await every_page(
        cat.ListPriceLists, cs.ListPriceListsRequest(price_type_id=type_id), "price_lists", size=1
    )
    assert [(pl.id, pl.entry_count, pl.version, len(pl.entries)) for pl in listed] == sorted(
        [(a, 2, 1, 0), (b, 0, 1, 0)]
    )
    assert all(pl.price_type_id == type_id and pl.valid_from == since for pl in listed)
    everything, _ = await every_page(
        cat.ListPriceLists, cs.ListPriceListsRequest(), "price_lists", size=1000
    )
    assert {a, b, w.price_list_id} <= {pl.id for pl in everything}

    page = await cat.ListPriceListEntries(cs.ListPriceListEntriesRequest(price_list_id=a))
    assert [(e.product_id, dec(e.price), e.price.currency_code) for e in page.entries] == sorted(
        [(w.beer.id, Decimal("39.90"), "RUB"), (w.water.id, Decimal("11.90"), "RUB")]
    )
    assert (page.price_list_version, page.next_page_token) == (1, "")
    empty = await cat.ListPriceListEntries(cs.ListPriceListEntriesRequest(price_list_id=b))
    assert (list(empty.entries), empty.price_list_version) == ([], 1)


async def test_a_large_price_list_is_announced_without_entries_and_read_page_by_page(
    env: Env,
) -> None:
    """A change of more than 5,000 entries leaves them out of its event: the consumer reads
    them, 1,000 a page, by product id; a small change later carries its entries again."""
    w, t, cat = world(env), tag(), env.orders.catalog
    many = 5001
    ids: list[str] = []
    for first in range(0, many, 1000):
        reply = await cat.UpsertProducts(
            cs.UpsertProductsRequest(
                request_id=new_id(),
                products=[product(f"L-{t}-{n}") for n in range(first, min(first + 1000, many))],
            )
        )
        ids += [r.id for r in reply.results]

    def price(n: int) -> str:
        return f"{10 + n % 90}.{n % 100:02d}"

    made = await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id=f"PL-{t}",
                    price_type_id=w.price_type_id,
                    valid_from=pb_date(prices_from()),
                    entries=[
                        pb.PriceListEntry(product_id=pid, price=rub(price(n)))
                        for n, pid in enumerate(ids)
                    ],
                )
            ],
        )
    )
    list_id = made.results[0].id

    def mine(message: ev.PriceListChanged) -> bool:
        return message.price_list.id == list_id

    (created,) = await announced(env, "PriceListChanged", mine)
    assert not created.message.entries_included
    assert (created.message.price_list.entry_count, created.message.price_list.version) == (
        many,
        1,
    )
    assert (list(created.message.changed_entries), list(created.message.removed_product_ids)) == (
        [],
        [],
    )

    request = cs.ListPriceListEntriesRequest(price_list_id=list_id)
    entries, pages = await every_page(cat.ListPriceListEntries, request, "entries", size=1000)
    assert pages == 6
    expected = sorted((pid, Decimal(price(n))) for n, pid in enumerate(ids))
    assert [(e.product_id, dec(e.price)) for e in entries] == expected

    # one price changed: a small change, announced with its entry
    entries_in = [
        pb.PriceListEntry(product_id=pid, price=rub(price(n))) for n, pid in enumerate(ids)
    ]
    entries_in[7].price.CopyFrom(rub("999.99"))
    await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id=f"PL-{t}",
                    price_type_id=w.price_type_id,
                    valid_from=pb_date(prices_from()),
                    entries=entries_in,
                )
            ],
        )
    )
    found = await announced(env, "PriceListChanged", mine, expect=2)
    changed = found[1].message
    assert changed.entries_included and changed.price_list.version == 2
    assert [(e.product_id, dec(e.price)) for e in changed.changed_entries] == [
        (ids[7], Decimal("999.99"))
    ]
    page = await cat.ListPriceListEntries(
        cs.ListPriceListEntriesRequest(price_list_id=list_id, page_size=1)
    )
    assert page.price_list_version == 2


# ------------------------------------------------------------------------ client prices
async def test_client_price_types_and_client_prices_are_listed_with_their_versions(
    env: Env,
) -> None:
    w, cat = world(env), env.orders.catalog
    clients = [new_id(), new_id()]
    for client in clients:
        await cat.SetClientPriceType(
            cs.SetClientPriceTypeRequest(
                request_id=new_id(), client_id=client, price_type_id=w.price_type_id
            )
        )
    listed, _ = await every_page(
        cat.ListClientPriceTypes, cs.ListClientPriceTypesRequest(), "client_price_types", size=1
    )
    assert [c.client_id for c in listed] == sorted(c.client_id for c in listed)
    assert [
        (c.client_id, c.price_type_id, c.version) for c in listed if c.client_id in clients
    ] == (sorted((c, w.price_type_id, 1) for c in clients))

    client, since = clients[0], prices_from()
    later = since + timedelta(days=10)
    prices = [
        pb.ClientPrice(
            client_id=client, product_id=w.beer.id, price=rub("30.00"), valid_from=pb_date(since)
        ),
        pb.ClientPrice(
            client_id=client, product_id=w.beer.id, price=rub("29.00"), valid_from=pb_date(later)
        ),
        pb.ClientPrice(
            client_id=client,
            product_id=w.water.id,
            price=rub("9.00"),
            valid_from=pb_date(since),
            valid_to=pb_date(later),
        ),
        pb.ClientPrice(
            client_id=clients[1],
            product_id=w.beer.id,
            price=rub("31.00"),
            valid_from=pb_date(since),
        ),
    ]
    await cat.UpsertClientPrices(cs.UpsertClientPricesRequest(request_id=new_id(), prices=prices))
    prices[0].price.CopyFrom(rub("28.00"))
    await cat.UpsertClientPrices(
        cs.UpsertClientPricesRequest(request_id=new_id(), prices=prices[:1])
    )
    listed, pages = await every_page(
        cat.ListClientPrices, cs.ListClientPricesRequest(client_id=client), "prices", size=1
    )
    assert pages == 3
    assert [(p.product_id, day(p.valid_from), dec(p.price), p.version) for p in listed] == sorted(
        [
            (w.beer.id, since, Decimal("28.00"), 2),
            (w.beer.id, later, Decimal("29.00"), 1),
            (w.water.id, since, Decimal("9.00"), 1),
        ]
    )
    (water,) = [p for p in listed if p.product_id == w.water.id]
    assert (day(water.valid_to), water.price.currency_code) == (later, "RUB")
    everyone, _ = await every_page(
        cat.ListClientPrices, cs.ListClientPricesRequest(), "prices", size=2
    )
    keys = [(p.client_id, p.product_id, day(p.valid_from)) for p in everyone]
    assert keys == sorted(set(keys))
    assert sum(1 for p in everyone if p.client_id in clients) == 4


# ---------------------------------------------------------------------------- bad input
LISTS: dict[str, Callable[[Env], Any]] = {
    "ListProductGroups": lambda e: cs.ListProductGroupsRequest(),
    "ListPriceTypes": lambda e: cs.ListPriceTypesRequest(),
    "ListPriceLists": lambda e: cs.ListPriceListsRequest(),
    "ListPriceListEntries": lambda e: cs.ListPriceListEntriesRequest(
        price_list_id=world(e).price_list_id
    ),
    "ListClientPriceTypes": lambda e: cs.ListClientPriceTypesRequest(),
    "ListClientPrices": lambda e: cs.ListClientPricesRequest(),
    "ListDiscounts": lambda e: cs.ListDiscountsRequest(),
}


def rpc_of(stub: cs_grpc.CatalogServiceStub, name: str) -> Callable[[Any], Awaitable[Any]]:
    method: Callable[[Any], Awaitable[Any]] = getattr(stub, name)
    return method


@pytest.mark.parametrize("name", list(LISTS))
async def test_a_bad_page_size_or_token_is_refused_naming_it(env: Env, name: str) -> None:
    rpc = rpc_of(env.orders.catalog, name)
    request = LISTS[name](env)
    request.page_size = -1
    await expect_error(rpc(request), INVALID, "page_size", "must not be negative")
    request = LISTS[name](env)
    request.page_token = "not a token!"
    await expect_error(rpc(request), INVALID, "page_token")


async def test_ids_and_tokens_are_checked_naming_the_field(env: Env) -> None:
    cat = env.orders.catalog
    await expect_error(
        cat.ListPriceListEntries(cs.ListPriceListEntriesRequest()),
        INVALID,
        "price_list_id",
    )
    await expect_error(
        cat.ListPriceListEntries(cs.ListPriceListEntriesRequest(price_list_id="PL-1")),
        INVALID,
        "price_list_id",
    )
    unknown = new_id()
    await expect_error(
        cat.ListPriceListEntries(cs.ListPriceListEntriesRequest(price_list_id=unknown)),
        grpc.StatusCode.NOT_FOUND,
        "price_list_id",
        unknown,
    )
    await expect_error(
        cat.ListPriceLists(cs.ListPriceListsRequest(price_type_id="retail")),
        INVALID,
        "price_type_id",
    )
    await expect_error(
        cat.ListClientPrices(cs.ListClientPricesRequest(client_id="client-1")),
        INVALID,
        "client_id",
    )
    for token in (encode_token("a|b"), encode_token(f"{new_id()}|{new_id()}|2024-13-01")):
        await expect_error(
            cat.ListClientPrices(cs.ListClientPricesRequest(page_token=token)),
            INVALID,
            "page_token",
        )


# ------------------------------------------------------------------------------- access
@pytest.mark.parametrize("name", list(LISTS))
async def test_only_services_and_administrators_list_the_catalog_records(
    env: Env, name: str
) -> None:
    request = LISTS[name](env)
    await expect_error(
        rpc_of(env.orders.catalog_as(agent()), name)(request),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    gateway = rpc_of(env.orders.catalog_as(service_caller("gateway")), name)
    assert (await gateway(request)) == (await rpc_of(env.orders.catalog, name)(request))
