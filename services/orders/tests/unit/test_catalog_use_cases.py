"""The catalog upserts and price resolution on the fake unit of work: what each batch writes,
what it refuses (then nothing at all), what it announces (only what changed, with its new
version), and that catalog changes mark cached catalogs stale."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from fieldline_orders.domain import events
from fieldline_orders.domain.catalog import (
    ClientPriceType,
    DiscountScope,
    PriceList,
    PriceListChanges,
    PriceType,
    Product,
    ProductGroup,
    StockLevel,
    VolumeBreak,
    check_removals,
)
from fieldline_orders.domain.pricing import CLIENT_PRICE
from fieldline_orders.service_layer import catalog as sl
from fieldline_orders.service_layer.catalog import BatchRefused, Outcome

from .fakes import FakeCatalog, FakeOrdersUnitOfWork
from .orders_factories import (
    ADMIN,
    DAY,
    NOW,
    client_price,
    discount,
    new_id,
    price_list,
    price_type,
)
from .orders_factories import product as new_product

T = TypeVar("T")
Records = list[tuple[str, str, Callable[[], Any]]]


def records(*entities: Any) -> Records:
    """The use case's (external id, id, parser) per record, for records parsed already."""
    return [(e.external_id, e.id, (lambda e=e: e)) for e in entities]


def group(name: str, parent_id: str = "", ext: str = "") -> ProductGroup:
    return ProductGroup.create(
        "groups[0]", id="", external_id=ext or f"G-{new_id()[:8]}", name=name, parent_id=parent_id
    )


def outcomes(results: Sequence[sl.RecordResult]) -> list[Outcome]:
    return [r.outcome for r in results]


# ------------------------------------------------------------------------------- groups
async def test_groups_are_created_then_left_alone_then_updated() -> None:
    uow = FakeOrdersUnitOfWork()
    drinks = group("Напитки")
    beer = group("Пиво", parent_id=drinks.id)
    created = await uow.run(lambda u: sl.upsert_groups(u, records(drinks, beer)))
    assert outcomes(created) == [Outcome.CREATED, Outcome.CREATED]
    assert [r.id for r in created] == [drinks.id, beer.id]
    assert {g.id: g for g in uow.groups.all()} == {drinks.id: drinks, beer.id: beer}
    assert uow.catalog.generation == 1  # the catalog caches of every replica are stale now

    again = await uow.run(lambda u: sl.upsert_groups(u, records(drinks, beer)))
    assert outcomes(again) == [Outcome.UNCHANGED, Outcome.UNCHANGED]

    renamed = replace(beer, name="Пиво и сидр")
    assert outcomes(await uow.run(lambda u: sl.upsert_groups(u, records(renamed)))) == [
        Outcome.UPDATED
    ]
    assert uow.groups.rows[(beer.id,)] == replace(renamed, version=2)
    # announced: what each upsert added or changed, as stored; the unchanged one nothing
    assert uow.events == [
        events.ProductGroupsChanged((drinks, beer)),
        events.ProductGroupsChanged((replace(renamed, version=2),)),
    ]


async def test_a_group_batch_with_a_refused_record_changes_nothing() -> None:
    uow = FakeOrdersUnitOfWork()
    fine, orphan = group("Вода"), group("Соки", parent_id=new_id())
    err = await uow.refused(BatchRefused, lambda u: sl.upsert_groups(u, records(fine, orphan)))
    assert [(r.outcome, r.error) for r in err.results] == [
        (Outcome.NOT_APPLIED, sl.NOT_APPLIED_REASON),
        (Outcome.REJECTED, f"groups[1].parent_id: product group {orphan.parent_id} not found"),
    ]
    assert uow.catalog.generation == 0


async def test_a_group_cannot_become_its_own_ancestor() -> None:
    uow = FakeOrdersUnitOfWork()
    top = group("Верх")
    below = group("Низ", parent_id=top.id)
    await uow.run(lambda u: sl.upsert_groups(u, records(top, below)))
    err = await uow.refused(
        BatchRefused, lambda u: sl.upsert_groups(u, records(replace(top, parent_id=below.id)))
    )
    assert err.results[0].error == "groups[0].parent_id: the group would be its own ancestor"


# ----------------------------------------------------------------------------- products
async def test_a_changed_product_is_written_as_its_next_version() -> None:
    uow = FakeOrdersUnitOfWork()
    p = new_product()
    assert outcomes(await uow.run(lambda u: sl.upsert_products(u, records(p)))) == [Outcome.CREATED]
    assert uow.products.rows[(p.id,)].version == 1
    assert outcomes(await uow.run(lambda u: sl.upsert_products(u, records(p)))) == [
        Outcome.UNCHANGED
    ]
    renamed = replace(p, name="Пиво «Жигулёвское» 0,45")
    assert outcomes(await uow.run(lambda u: sl.upsert_products(u, records(renamed)))) == [
        Outcome.UPDATED
    ]
    assert uow.products.rows[(p.id,)] == replace(renamed, version=2)
    assert uow.catalog.generation == 3
    assert uow.events == [
        events.ProductsChanged((p,)),
        events.ProductsChanged((replace(renamed, version=2),)),
    ]


async def test_a_product_batch_adds_the_new_and_updates_the_changed_in_its_order() -> None:
    uow = FakeOrdersUnitOfWork()
    kept, changed = new_product(), new_product()
    await uow.run(lambda u: sl.upsert_products(u, records(kept, changed)))
    first, second = new_product(), new_product()
    renamed = replace(changed, name="Переименован")
    results = await uow.run(lambda u: sl.upsert_products(u, records(first, kept, renamed, second)))
    assert [(r.id, r.outcome) for r in results] == [
        (first.id, Outcome.CREATED),
        (kept.id, Outcome.UNCHANGED),
        (changed.id, Outcome.UPDATED),
        (second.id, Outcome.CREATED),
    ]
    stored = {p.id: p for p in uow.products.all()}
    assert stored == {
        kept.id: kept,
        changed.id: replace(renamed, version=2),
        first.id: first,
        second.id: second,
    }
    # what was written, as stored now, in the batch's order (the one as stored left out)
    assert uow.events[-1] == events.ProductsChanged((first, replace(renamed, version=2), second))


async def test_an_external_id_keeps_its_id_and_an_id_its_external_id() -> None:
    uow = FakeOrdersUnitOfWork()
    p = new_product()
    await uow.run(lambda u: sl.upsert_products(u, records(p)))
    moved = replace(p, id=new_id())  # the same external id under another id
    taken = replace(new_product(), id=p.id)  # another external id under p's id
    err = await uow.refused(BatchRefused, lambda u: sl.upsert_products(u, records(moved, taken)))
    assert [r.error for r in err.results] == [
        f"products[0].id: external_id {p.external_id!r} already has id {p.id}",
        f"products[1].id: {p.id} already belongs to external_id {p.external_id!r}",
    ]


async def test_a_product_of_an_unknown_group_is_refused() -> None:
    uow = FakeOrdersUnitOfWork()
    missing = new_id()
    err = await uow.refused(
        BatchRefused, lambda u: sl.upsert_products(u, records(new_product(group_id=missing)))
    )
    assert err.results[0].error == f"products[0].group_id: product group {missing} not found"


# ---------------------------------------------------------------------- prices and lists
async def priced_catalog(uow: FakeOrdersUnitOfWork) -> tuple[Product, PriceType, PriceList]:
    p, pt = new_product(), price_type()
    pl = price_list(pt, {p.id: "33.33"})
    await uow.run(lambda u: sl.upsert_products(u, records(p)))
    await uow.run(lambda u: sl.upsert_price_types(u, records(pt)))
    await uow.run(lambda u: sl.upsert_price_lists(u, records(pl)))
    return p, pt, pl


async def test_price_lists_are_written_with_their_entries_and_replaced_whole() -> None:
    uow = FakeOrdersUnitOfWork()
    p, _, pl = await priced_catalog(uow)
    assert uow.price_lists.rows[(pl.id,)].entries == {p.id: Decimal("33.33")}
    other = new_product()
    await uow.run(lambda u: sl.upsert_products(u, records(other)))
    repriced = replace(pl, entries={other.id: Decimal("10.00")})
    assert outcomes(await uow.run(lambda u: sl.upsert_price_lists(u, records(repriced)))) == [
        Outcome.UPDATED
    ]
    assert uow.price_lists.rows[(pl.id,)].entries == {other.id: Decimal("10.00")}
    assert uow.price_lists.rows[(pl.id,)].version == 2


async def test_a_price_list_change_is_announced_with_what_changed_when_it_is_small() -> None:
    uow = FakeOrdersUnitOfWork()
    p, _, pl = await priced_catalog(uow)
    (created,) = [e for e in uow.events if isinstance(e, events.PriceListChanged)]
    assert created == events.PriceListChanged(
        pl, "RUB", PriceListChanges({p.id: Decimal("33.33")}, ()), 1
    )
    others = [new_product() for _ in range(2)]
    await uow.run(lambda u: sl.upsert_products(u, records(*others)))
    prices = {p.id: Decimal("33.33"), others[0].id: Decimal("5.00")}
    uow.events.clear()
    await uow.run(lambda u: sl.upsert_price_lists(u, records(replace(pl, entries=prices))))
    assert uow.events == [
        events.PriceListChanged(
            replace(pl, entries=prices, version=2),
            "RUB",
            PriceListChanges({others[0].id: Decimal("5.00")}, ()),
            2,
        )
    ]
    uow.events.clear()  # the same list again: unchanged, nothing announced
    assert outcomes(
        await uow.run(lambda u: sl.upsert_price_lists(u, records(replace(pl, entries=prices))))
    ) == [Outcome.UNCHANGED]
    assert uow.events == []
    repriced = {others[0].id: Decimal("5.50"), others[1].id: Decimal("7.00")}
    await uow.run(lambda u: sl.upsert_price_lists(u, records(replace(pl, entries=repriced))))
    (event,) = uow.events
    assert isinstance(event, events.PriceListChanged) and event.price_list.version == 3
    assert event.changes == PriceListChanges(repriced, (p.id,))


def test_a_large_price_list_change_is_announced_without_its_entries() -> None:
    pt = price_type()
    ids = sorted(new_id() for _ in range(events.PRICE_LIST_EVENT_ENTRIES + 1))
    small = price_list(pt, dict.fromkeys(ids[:-1], "1.00"))
    assert events.PriceListChanged.of(small, "RUB", None).changes is not None
    large = replace(small, entries=dict.fromkeys(ids, Decimal("1.00")))
    assert events.PriceListChanged.of(large, "RUB", None).changes is None
    # what counts is the change, not the list: one more entry in a large list is small
    assert events.PriceListChanged.of(large, "RUB", small).changes == PriceListChanges(
        {ids[-1]: Decimal("1.00")}, ()
    )
    # entries dropped count too
    emptied = replace(large, entries={})
    assert events.PriceListChanged.of(emptied, "RUB", large).changes is None


async def test_a_price_list_is_refused_for_what_it_names_that_does_not_fit() -> None:
    uow = FakeOrdersUnitOfWork()
    p, pt, pl = await priced_catalog(uow)
    unknown_product = new_id()
    dollars = PriceList.create(
        "price_lists[0]",
        id="",
        external_id="PL-USD",
        price_type_id=pt.id,
        valid_from=date(2024, 1, 1),
        valid_to=None,
        entries=[(p.id, Decimal(1), "USD"), (unknown_product, Decimal(2), "")],
    )
    other_type = price_type()
    await uow.run(lambda u: sl.upsert_price_types(u, records(other_type)))
    moved = replace(pl, price_type_id=other_type.id)
    err = await uow.refused(
        BatchRefused, lambda u: sl.upsert_price_lists(u, records(dollars, moved))
    )
    assert [r.error for r in err.results] == [
        "price_lists[0].entries: prices must be in the price type's currency RUB, got USD",
        f"price_lists[1].price_type_id: the list belongs to price type {pt.id}; "
        "a list cannot move to another type",
    ]
    no_type = price_list(price_type(), {p.id: "1.00"})
    err = await uow.refused(BatchRefused, lambda u: sl.upsert_price_lists(u, records(no_type)))
    assert err.results[0].error.endswith(f"price type {no_type.price_type_id} not found")


# --------------------------------------------------------------------- price list merges
def merged(pl: PriceList, prices: dict[str, str], removed: Sequence[str] = ()) -> PriceList:
    """`pl`'s header with these entries and removals, as a merge sends them."""
    return PriceList.create(
        "price_lists[0]",
        id="",
        external_id=pl.external_id,
        price_type_id=pl.price_type_id,
        valid_from=pl.valid_from,
        valid_to=pl.valid_to,
        entries=[(pid, Decimal(p), "") for pid, p in prices.items()],
        removed_product_ids=removed,
    )


async def merge(uow: FakeOrdersUnitOfWork, *lists: PriceList) -> list[Outcome]:
    return outcomes(await uow.run(lambda u: sl.upsert_price_lists(u, records(*lists), merge=True)))


def list_events(uow: FakeOrdersUnitOfWork) -> list[events.PriceListChanged]:
    return [e for e in uow.events if isinstance(e, events.PriceListChanged)]


async def test_batches_merged_into_a_list_build_it_one_version_each() -> None:
    uow = FakeOrdersUnitOfWork()
    pt = price_type()
    ps = [new_product() for _ in range(6)]
    await uow.run(lambda u: sl.upsert_products(u, records(*ps)))
    await uow.run(lambda u: sl.upsert_price_types(u, records(pt)))
    header = price_list(pt, {})
    batches = [{p.id: f"{n}.50" for n, p in enumerate(ps[i : i + 2], i)} for i in (0, 2, 4)]
    assert await merge(uow, merged(header, batches[0])) == [Outcome.CREATED]
    assert await merge(uow, merged(header, batches[1])) == [Outcome.UPDATED]
    assert await merge(uow, merged(header, batches[2])) == [Outcome.UPDATED]
    stored = uow.price_lists.rows[(header.id,)]
    assert stored.entries == {p.id: Decimal(f"{n}.50") for n, p in enumerate(ps)}
    assert stored.version == 3  # one version per request
    # each event: exactly that batch, the list's size after it
    assert [(e.price_list.version, e.entry_count, e.changes) for e in list_events(uow)] == [
        (n + 1, 2 * (n + 1), PriceListChanges(dict(sorted(to_decimals(b).items())), ()))
        for n, b in enumerate(batches)
    ]


def to_decimals(prices: dict[str, str]) -> dict[str, Decimal]:
    return {pid: Decimal(p) for pid, p in prices.items()}


async def test_a_merge_reprices_and_removes_only_what_it_names() -> None:
    uow = FakeOrdersUnitOfWork()
    pt = price_type()
    ps = sorted((new_product() for _ in range(5)), key=lambda p: p.id)
    await uow.run(lambda u: sl.upsert_products(u, records(*ps)))
    await uow.run(lambda u: sl.upsert_price_types(u, records(pt)))
    pl = price_list(pt, {p.id: "10.00" for p in ps[:4]})
    await uow.run(lambda u: sl.upsert_price_lists(u, records(pl)))
    uow.events.clear()
    # ps[0] repriced, ps[1] sent as stored, ps[4] added; ps[2] dropped, and a product the list
    # does not hold (nor the catalog) "dropped": nothing happens to it
    nowhere = new_id()
    change = merged(
        pl,
        {ps[0].id: "11.00", ps[1].id: "10.00", ps[4].id: "4.00"},
        removed=[ps[2].id, nowhere, ps[2].id],
    )
    assert await merge(uow, change) == [Outcome.UPDATED]
    assert uow.price_lists.rows[(pl.id,)].entries == {
        ps[0].id: Decimal("11.00"),
        ps[1].id: Decimal("10.00"),
        ps[3].id: Decimal("10.00"),
        ps[4].id: Decimal("4.00"),
    }
    (event,) = list_events(uow)
    assert (event.price_list.version, event.entry_count) == (2, 4)
    assert event.changes == PriceListChanges(
        {ps[0].id: Decimal("11.00"), ps[4].id: Decimal("4.00")}, (ps[2].id,)
    )
    assert event.price_list.entries == {}  # a merge never loads the whole list

    # removals alone
    uow.events.clear()
    assert await merge(uow, merged(pl, {}, removed=[ps[3].id, ps[4].id])) == [Outcome.UPDATED]
    assert set(uow.price_lists.rows[(pl.id,)].entries) == {ps[0].id, ps[1].id}
    (event,) = list_events(uow)
    assert event.changes == PriceListChanges({}, tuple(sorted([ps[3].id, ps[4].id])))
    assert (event.price_list.version, event.entry_count) == (3, 2)


async def test_a_merge_that_changes_nothing_writes_and_announces_nothing() -> None:
    uow = FakeOrdersUnitOfWork()
    p, _, pl = await priced_catalog(uow)
    uow.events.clear()
    before, generation = uow.state()["price_list"], uow.catalog.generation
    same = merged(pl, {p.id: "33.33"}, removed=[new_id()])
    assert await merge(uow, same) == [Outcome.UNCHANGED]
    assert await merge(uow, merged(pl, {})) == [Outcome.UNCHANGED]
    assert uow.state()["price_list"] == before
    assert uow.events == []
    assert uow.catalog.generation == generation  # no cached catalog made stale either
    assert await merge(uow, merged(pl, {p.id: "33.34"})) == [Outcome.UPDATED]
    assert uow.catalog.generation == generation + 1


async def test_a_merge_changes_the_header_as_a_replace_does() -> None:
    uow = FakeOrdersUnitOfWork()
    p, _, pl = await priced_catalog(uow)
    uow.events.clear()
    until = replace(merged(pl, {}), valid_to=date(2030, 1, 1))
    assert await merge(uow, until) == [Outcome.UPDATED]
    stored = uow.price_lists.rows[(pl.id,)]
    assert (stored.valid_to, stored.version, stored.entries) == (
        date(2030, 1, 1),
        2,
        {p.id: Decimal("33.33")},
    )
    (event,) = list_events(uow)
    assert (event.changes, event.entry_count) == (PriceListChanges({}, ()), 1)
    moved = replace(merged(pl, {}), price_type_id=(other := price_type()).id)
    await uow.run(lambda u: sl.upsert_price_types(u, records(other)))
    err = await uow.refused(
        BatchRefused, lambda u: sl.upsert_price_lists(u, records(moved), merge=True)
    )
    assert err.results[0].error.startswith("price_lists[0].price_type_id: the list belongs to")


async def test_a_merge_is_refused_for_unknown_products_and_beyond_the_largest_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uow = FakeOrdersUnitOfWork()
    p, _, pl = await priced_catalog(uow)
    unknown = new_id()
    err = await uow.refused(
        BatchRefused,
        lambda u: sl.upsert_price_lists(
            u, records(merged(pl, {p.id: "1.00", unknown: "2.00"})), merge=True
        ),
    )
    assert [(r.outcome, r.error) for r in err.results] == [
        (Outcome.REJECTED, f"price_lists[0].entries[1].product_id: product {unknown} not found")
    ]
    others = [new_product() for _ in range(2)]
    await uow.run(lambda u: sl.upsert_products(u, records(*others)))
    monkeypatch.setattr(sl, "MAX_ENTRIES", 2)
    too_many = merged(pl, {o.id: "1.00" for o in others})
    err = await uow.refused(
        BatchRefused, lambda u: sl.upsert_price_lists(u, records(too_many), merge=True)
    )
    assert err.results[0].error == (
        "price_lists[0].entries: the list would hold 3 entries, more than 2"
    )
    # dropping one as it adds two keeps it within
    within = merged(pl, {o.id: "1.00" for o in others}, removed=[p.id])
    assert await merge(uow, within) == [Outcome.UPDATED]


async def test_removals_are_taken_only_with_merge_and_never_of_a_priced_product() -> None:
    uow = FakeOrdersUnitOfWork()
    p, _, pl = await priced_catalog(uow)
    dropping = merged(pl, {}, removed=[p.id])
    await uow.refused(
        InvalidArgument,
        lambda u: sl.upsert_price_lists(u, records(dropping)),
        match=r"^price_lists\[0\]\.removed_product_ids: is taken only with merge = true",
    )
    with pytest.raises(InvalidArgument, match="is taken only with merge = true"):
        check_removals("price_lists[3]", False, [], [p.id])
    check_removals("price_lists[3]", True, [], [p.id])
    # the request as sent (ids in any case): the first removal also priced, named
    other = new_id()
    with pytest.raises(InvalidArgument) as raised:
        check_removals("price_lists[3]", True, ["not-an-id", other, p.id], [p.id.upper()])
    assert raised.value.field == "price_lists[3].removed_product_ids[0]"
    assert raised.value.problem == (
        f"product {p.id} is also price_lists[3].entries[2]: a list cannot both price and drop "
        "a product"
    )
    # and the record, should it get that far, is refused as well
    with pytest.raises(InvalidArgument, match=r"removed_product_ids\[0\]: product"):
        merged(pl, {p.id: "1.00"}, removed=[p.id])


async def test_discounts_need_their_group_or_product() -> None:
    uow = FakeOrdersUnitOfWork()
    g = group("Пиво")
    await uow.run(lambda u: sl.upsert_groups(u, records(g)))
    on_group = discount(DiscountScope.GROUP, "3", group_id=g.id)
    assert outcomes(await uow.run(lambda u: sl.upsert_discounts(u, records(on_group)))) == [
        Outcome.CREATED
    ]
    generation = uow.catalog.generation  # discounts are per client: never cached
    assert uow.events[-1] == events.DiscountsChanged((on_group,))
    raised = replace(on_group, percent=Decimal(4))
    await uow.run(lambda u: sl.upsert_discounts(u, records(raised)))
    assert uow.events[-1] == events.DiscountsChanged((replace(raised, version=2),))
    count = len(uow.events)
    assert outcomes(await uow.run(lambda u: sl.upsert_discounts(u, records(raised)))) == [
        Outcome.UNCHANGED
    ]
    assert len(uow.events) == count
    missing = discount(DiscountScope.PRODUCT, "5", product_id=new_id())
    err = await uow.refused(BatchRefused, lambda u: sl.upsert_discounts(u, records(missing)))
    assert err.results[0].error == (
        f"discounts[0].product_id: product {missing.product_id} not found"
    )
    assert uow.catalog.generation == generation


# ------------------------------------------------------------------- count-only batches
def parsers(*items: T) -> list[Callable[[], T]]:
    return [(lambda x=x: x) for x in items]


async def test_client_prices_are_all_or_nothing() -> None:
    uow = FakeOrdersUnitOfWork()
    p = new_product()
    await uow.run(lambda u: sl.upsert_products(u, records(p)))
    prices = [client_price(p.id, "30.00"), client_price(p.id, "29.00", valid_from=DAY)]
    assert await uow.run(lambda u: sl.upsert_client_prices(u, parsers(*prices))) == 2
    assert sorted(uow.catalog.client_prices.values(), key=lambda c: c.valid_from) == prices
    assert uow.events[-1] == events.ClientPricesChanged(tuple(prices))
    count = len(uow.events)
    assert await uow.run(lambda u: sl.upsert_client_prices(u, parsers(*prices))) == 2
    assert len(uow.events) == count  # the same prices: nothing changed, nothing announced
    cheaper = replace(prices[1], price=Decimal("28.50"))
    assert await uow.run(lambda u: sl.upsert_client_prices(u, parsers(prices[0], cheaper))) == 2
    stored = replace(cheaper, version=2)
    assert uow.catalog.client_prices[cheaper.key] == stored
    assert uow.events[count:] == [events.ClientPricesChanged((stored,))]
    unknown = new_id()
    bad = [client_price(p.id, "28.00"), client_price(unknown, "1.00"), client_price(p.id, "27")]
    err = await uow.refused(InvalidArgument, lambda u: sl.upsert_client_prices(u, parsers(*bad)))
    assert err.field == "prices[1].product_id"
    assert f"product {unknown} not found" in err.message
    assert "prices[2]: the same client, product and valid_from as prices[0]" in err.message


async def test_stock_levels_are_all_or_nothing() -> None:
    uow = FakeOrdersUnitOfWork()
    p, warehouse = new_product(), new_id()
    await uow.run(lambda u: sl.upsert_products(u, records(p)))
    level = StockLevel(warehouse, p.id, Decimal(12))
    assert await uow.run(lambda u: sl.upsert_stock(u, parsers(level))) == 1
    assert await uow.run(lambda u: sl.upsert_stock(u, parsers(replace(level, quantity=7)))) == 1
    assert list(uow.catalog.stock_levels.values()) == [replace(level, quantity=Decimal(7))]
    err = await uow.refused(InvalidArgument, lambda u: sl.upsert_stock(u, parsers(level, level)))
    assert "levels[1]: the same warehouse and product as levels[0]" in str(err)
    with pytest.raises(InvalidArgument, match="at least one record"):
        await uow.run(lambda u: sl.upsert_stock(u, []))


async def test_a_stock_batch_writes_only_the_levels_new_or_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uow = FakeOrdersUnitOfWork()
    p, q = new_product(), new_product()
    north, south = new_id(), new_id()
    await uow.run(lambda u: sl.upsert_products(u, records(p, q)))
    same, moved = StockLevel(north, p.id, Decimal(12)), StockLevel(north, q.id, Decimal(5))
    assert await uow.run(lambda u: sl.upsert_stock(u, parsers(same, moved))) == 2
    written: list[tuple[list[StockLevel], list[StockLevel]]] = []
    put = FakeCatalog.put_stock_levels

    async def noted(catalog: FakeCatalog, added: Any, changed: Any) -> None:
        written.append((list(added), list(changed)))
        await put(catalog, added, changed)

    monkeypatch.setattr(FakeCatalog, "put_stock_levels", noted)
    new = StockLevel(south, p.id, Decimal(0))
    batch = parsers(new, replace(same, quantity=Decimal("12.000")), replace(moved, quantity=6))
    assert await uow.run(lambda u: sl.upsert_stock(u, batch)) == 3
    assert written == [([new], [replace(moved, quantity=Decimal(6))])]
    assert uow.catalog.stock_levels == {
        (north, p.id): same,
        (north, q.id): replace(moved, quantity=Decimal(6)),
        (south, p.id): new,
    }
    assert uow.events[-1] == events.ProductsChanged((p, q))  # stock announces nothing


async def test_a_client_gets_a_price_type_that_exists() -> None:
    uow = FakeOrdersUnitOfWork()
    pt, client = price_type(), new_id()
    await uow.refused(NotFound, lambda u: sl.set_client_price_type(u, client, pt.id))
    await uow.run(lambda u: sl.upsert_price_types(u, records(pt)))
    assert uow.events == [events.PriceTypesChanged((pt,))]
    await uow.run(lambda u: sl.set_client_price_type(u, client, pt.id))
    first = ClientPriceType(client, pt.id)
    assert uow.catalog.client_price_types == {client: first}
    assert uow.events[1:] == [events.ClientPriceTypeSet(first, "")]
    await uow.run(lambda u: sl.set_client_price_type(u, client, pt.id))
    assert len(uow.events) == 2  # the one it has: nothing changed, nothing announced
    other = price_type()
    await uow.run(lambda u: sl.upsert_price_types(u, records(other)))
    await uow.run(lambda u: sl.set_client_price_type(u, client, other.id))
    second = ClientPriceType(client, other.id, version=2)
    assert uow.catalog.client_price_types == {client: second}
    assert uow.events[-1] == events.ClientPriceTypeSet(second, pt.id)


# -------------------------------------------------------------------------------- prices
async def test_prices_resolved_as_an_order_would_get_them() -> None:
    uow = FakeOrdersUnitOfWork(clock=lambda: NOW)
    p, pt, _ = await priced_catalog(uow)
    unpriced = new_product()
    client = new_id()
    await uow.run(lambda u: sl.upsert_products(u, records(unpriced)))
    await uow.run(lambda u: sl.set_client_price_type(u, client, pt.id))
    breaks = discount(DiscountScope.PRODUCT, product_id=p.id, breaks=[("12", "3"), ("48", "5")])
    await uow.run(lambda u: sl.upsert_discounts(u, records(breaks)))
    own = client_price(p.id, "30.00", client_id=client)
    await uow.run(lambda u: sl.upsert_client_prices(u, parsers(own)))
    await uow.run(lambda u: sl.upsert_stock(u, parsers(StockLevel(new_id(), p.id, Decimal(5)))))
    announced = list(uow.events)

    async with uow:
        currency, everything = await sl.resolve_prices(uow, ADMIN, client, DAY, [])
        _, named = await sl.resolve_prices(uow, ADMIN, client, DAY, [p.id])
        with pytest.raises(FailedPrecondition):
            await sl.resolve_prices(uow, ADMIN, client, DAY, [unpriced.id])
        with pytest.raises(NotFound, match="product_ids\\[0\\]"):
            await sl.resolve_prices(uow, ADMIN, client, DAY, [new_id()])
    assert currency == "RUB"
    assert everything == named  # the product without a price is left out of "everything"
    assert named == [
        sl.ProductPrice(
            p.id,
            Decimal("30.00"),
            CLIENT_PRICE,
            Decimal(0),
            (
                VolumeBreak(Decimal(12), Decimal(3)),
                VolumeBreak(Decimal(48), Decimal(5)),
            ),
            Decimal(5),
        )
    ]
    assert uow.events == announced  # reading announces nothing
