"""Catalog use cases: bulk upserts from the ERP, all or nothing, with a result per record.

A batch is validated whole before anything is written: each record on its own (parsing),
then against the batch (duplicate external ids or ids) and against the database (referenced
groups, products and price types exist; an external id keeps its id). If any record is
refused, `BatchRefused` carries every record's result (refused ones with their reason, the
others NOT_APPLIED) and the caller rolls the unit of work back. Otherwise each record is
added (version 1), left as it is (UNCHANGED: the same content) or updated to its next version,
and the records added or updated are announced in the same transaction (`ProductsChanged`, …;
`uow.catalog.announce`): an upsert that changes nothing publishes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar, cast

from fieldline_kit.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain import events
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.catalog import (
    ClientPrice,
    ClientPriceType,
    Discount,
    DiscountScope,
    DistributorPriceType,
    PriceList,
    PriceListMerge,
    PriceType,
    Product,
    ProductGroup,
    StockLevel,
    Versioned,
    VolumeBreak,
    Warehouse,
    check_removals,
    on_cycle,
)
from fieldline_orders.domain.values import MAX_ENTRIES, optional_id, require_id
from fieldline_orders.service_layer.distributors import check_distributor, require_distributor
from fieldline_orders.service_layer.scope import check_client_scope

T = TypeVar("T")
R = TypeVar("R", bound=Versioned)


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    # Valid, but its batch was refused because of other records.
    NOT_APPLIED = "not_applied"


NOT_APPLIED_REASON = "not applied: the batch has refused records and changed nothing"


@dataclass
class RecordResult:
    external_id: str
    id: str
    outcome: Outcome
    error: str = ""


class BatchRefused(Exception):
    def __init__(self, results: list[RecordResult]) -> None:
        super().__init__("batch refused")
        self.results = results


@dataclass
class _Item(Generic[T]):
    index: int
    external_id: str
    given_id: str
    entity: T | None = None
    error: str = ""

    def reject(self, message: str) -> None:
        if not self.error:
            self.error = message


def _parse(records: Sequence[tuple[str, str, Callable[[], T]]]) -> list[_Item[T]]:
    """`records`: (external id, id as given, parser) per record."""
    items: list[_Item[T]] = []
    for i, (ext, given, parse) in enumerate(records):
        item: _Item[T] = _Item(i, ext, given)
        try:
            item.entity = parse()
        except DomainError as exc:
            item.error = exc.message
        items.append(item)
    return items


def _duplicates(items: Sequence[_Item[Any]], path: str) -> None:
    seen_ext: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    for it in items:
        e = it.entity
        if e is None:
            continue
        if e.external_id in seen_ext:
            it.reject(
                f"{path}[{it.index}].external_id: {e.external_id!r} is also "
                f"{path}[{seen_ext[e.external_id]}]"
            )
        elif e.id in seen_id:
            it.reject(f"{path}[{it.index}].id: {e.id} is also {path}[{seen_id[e.id]}]")
        seen_ext.setdefault(e.external_id, it.index)
        seen_id.setdefault(e.id, it.index)


class Records(Protocol[R]):
    """What an upsert needs of the repository of its kind of record (`uow.groups`, …)."""

    async def by_external_id(self, external_ids: Iterable[str]) -> dict[str, R]: ...

    async def ids_taken(self, ids: Iterable[str]) -> dict[str, str]: ...

    async def add_many(self, records: Sequence[R]) -> None: ...

    async def update(self, record: R) -> None: ...


async def _keep_ids(
    records: Records[R],
    items: Sequence[_Item[R]],
    path: str,
    load: Callable[[list[str]], Awaitable[dict[str, R]]] | None = None,
) -> dict[str, R]:
    """Stored records by external id (`load`: how to read them, by default
    `records.by_external_id`); refuses records whose id contradicts the stored one."""
    live: list[tuple[_Item[R], Any]] = [
        (it, it.entity) for it in items if it.entity is not None and not it.error
    ]
    by_ext = await (load or records.by_external_id)([e.external_id for _, e in live])
    taken = await records.ids_taken([e.id for _, e in live])
    for it, e in live:
        stored: Any = by_ext.get(e.external_id)
        if stored is not None and stored.id != e.id:
            it.reject(
                f"{path}[{it.index}].id: external_id {e.external_id!r} already has id {stored.id}"
            )
        elif stored is None and e.id in taken:
            it.reject(
                f"{path}[{it.index}].id: {e.id} already belongs to external_id {taken[e.id]!r}"
            )
    return by_ext


def _refuse_if_any(items: Sequence[_Item[Any]]) -> None:
    if not any(it.error for it in items):
        return
    results = []
    for it in items:
        entity: Any = it.entity
        ident = entity.id if entity is not None else it.given_id
        ext = entity.external_id if entity is not None else it.external_id
        if it.error:
            results.append(RecordResult(ext, ident, Outcome.REJECTED, it.error))
        else:
            results.append(RecordResult(ext, ident, Outcome.NOT_APPLIED, NOT_APPLIED_REASON))
    raise BatchRefused(results)


async def _apply(
    records: Records[R], items: Sequence[_Item[R]], existing: dict[str, R]
) -> tuple[list[RecordResult], list[tuple[R, R | None]]]:
    """Add the new records, update the changed ones to their next version; the result of each
    record, and what was written: (the record as stored now, as it was before or None), both
    in the batch's order.

    The new records are added first, all in one statement (`add_many`); the changed ones are
    then updated one by one, each `WHERE version = <loaded>` (a row count per record tells a
    concurrent writer: no executemany gives it reliably)."""
    results = []
    written: list[tuple[R, R | None]] = []
    new: list[R] = []
    revisions: list[R] = []
    for it in items:
        e: Any = it.entity
        current = existing.get(e.external_id)
        if current is None:
            new.append(e)
            written.append((e, None))
            outcome = Outcome.CREATED
        elif current.same_content(e):
            outcome = Outcome.UNCHANGED
        else:
            revised = e.next_version_of(current)
            revisions.append(revised)
            written.append((revised, current))
            outcome = Outcome.UPDATED
        results.append(RecordResult(e.external_id, e.id, outcome))
    await records.add_many(new)
    for revised in revisions:
        await records.update(revised)
    return results, written


def _stored(written: Sequence[tuple[R, R | None]]) -> tuple[R, ...]:
    return tuple(record for record, _ in written)


def _empty(path: str, records: Sequence[Any]) -> None:
    if not records:
        raise InvalidArgument(path, "at least one record is required")


# ------------------------------------------------------------------------------- groups
async def upsert_groups(
    uow: OrdersUnitOfWork, records: Sequence[tuple[str, str, Callable[[], ProductGroup]]]
) -> list[RecordResult]:
    _empty("groups", records)
    items = _parse(records)
    _duplicates(items, "groups")
    existing = await _keep_ids(uow.groups, items, "groups")
    parents = await uow.groups.parents()
    batch = {it.entity.id for it in items if it.entity is not None}
    for it in items:
        g = it.entity
        if (
            g is not None
            and g.parent_id
            and g.parent_id not in parents
            and g.parent_id not in batch
        ):
            it.reject(f"groups[{it.index}].parent_id: product group {g.parent_id} not found")
    for it in items:
        if it.entity is not None and not it.error:
            parents[it.entity.id] = it.entity.parent_id
    for it in items:
        if it.entity is not None and not it.error and on_cycle(it.entity.id, parents):
            it.reject(f"groups[{it.index}].parent_id: the group would be its own ancestor")
    _refuse_if_any(items)
    await uow.catalog.bump_generation()
    results, written = await _apply(uow.groups, items, existing)
    if written:
        uow.catalog.announce(events.ProductGroupsChanged(_stored(written)))
    return results


# ----------------------------------------------------------------------------- products
async def upsert_products(
    uow: OrdersUnitOfWork, records: Sequence[tuple[str, str, Callable[[], Product]]]
) -> list[RecordResult]:
    _empty("products", records)
    items = _parse(records)
    _duplicates(items, "products")
    existing = await _keep_ids(uow.products, items, "products")
    groups = await uow.groups.existing([it.entity.group_id for it in items if it.entity])
    for it in items:
        p = it.entity
        if p is not None and p.group_id and p.group_id not in groups:
            it.reject(f"products[{it.index}].group_id: product group {p.group_id} not found")
    _refuse_if_any(items)
    await uow.catalog.bump_generation()
    results, written = await _apply(uow.products, items, existing)
    if written:
        uow.catalog.announce(events.ProductsChanged(_stored(written)))
    return results


# --------------------------------------------------------------------------- price types
async def upsert_price_types(
    uow: OrdersUnitOfWork, records: Sequence[tuple[str, str, Callable[[], PriceType]]]
) -> list[RecordResult]:
    _empty("price_types", records)
    items = _parse(records)
    _duplicates(items, "price_types")
    existing = await _keep_ids(uow.price_types, items, "price_types")
    _refuse_if_any(items)
    await uow.catalog.bump_generation()
    results, written = await _apply(uow.price_types, items, existing)
    if written:
        uow.catalog.announce(events.PriceTypesChanged(_stored(written)))
    return results


# --------------------------------------------------------------------------- price lists
async def upsert_price_lists(
    uow: OrdersUnitOfWork,
    records: Sequence[tuple[str, str, Callable[[], PriceList]]],
    *,
    merge: bool = False,
) -> list[RecordResult]:
    """Each list replaces the stored list of its external id (`merge` false), or is merged into
    it (`merge` true: its entries added or repriced, its `removed_product_ids` dropped, the
    other entries kept; only the rows of the products it names are read and written). Either
    way the header is the one sent, a list not stored yet is created, and a list whose header
    and entries come out as stored stays UNCHANGED (no version, no event)."""
    _empty("price_lists", records)
    items = _parse(records)
    for it in items:  # (the servicer checks the request as sent first: check_removals)
        if it.entity is not None:
            check_removals(f"price_lists[{it.index}]", merge, (), it.entity.removed_product_ids)
    _duplicates(items, "price_lists")
    load = uow.price_lists.headers_by_external_id if merge else None
    existing = await _keep_ids(uow.price_lists, items, "price_lists", load)
    live = [it.entity for it in items if it.entity is not None]
    types = await uow.price_types.by_id([pl.price_type_id for pl in live])
    products = await uow.products.existing([pid for pl in live for pid in pl.entries])
    for it in items:
        pl = it.entity
        if pl is None:
            continue
        path = f"price_lists[{it.index}]"
        pt = types.get(pl.price_type_id)
        if pt is None:
            it.reject(f"{path}.price_type_id: price type {pl.price_type_id} not found")
            continue
        try:
            pl.check_currency(path, pt.currency_code)
        except DomainError as exc:
            it.reject(exc.message)
        if existing.get(pl.external_id) is not None:
            stored_type = existing[pl.external_id].price_type_id
            if stored_type != pl.price_type_id:
                it.reject(
                    f"{path}.price_type_id: the list belongs to price type {stored_type}; "
                    "a list cannot move to another type"
                )
        for j, pid in enumerate(pl.entries):
            if pid not in products:
                it.reject(f"{path}.entries[{j}].product_id: product {pid} not found")
    merges = await _merges(uow, items, existing) if merge else {}
    _refuse_if_any(items)
    if not merge:
        await uow.catalog.bump_generation()
        results, written = await _apply(uow.price_lists, items, existing)
        uow.catalog.announce(
            *(
                events.PriceListChanged.of(pl, types[pl.price_type_id].currency_code, previous)
                for pl, previous in written
            )
        )
        return results
    if merges or any(
        it.entity is not None and it.entity.external_id not in existing for it in items
    ):
        await uow.catalog.bump_generation()  # (a merge that changes nothing leaves caches be)
    results = []
    for it in items:
        pl = cast(PriceList, it.entity)
        currency = types[pl.price_type_id].currency_code
        if pl.external_id not in existing:
            await uow.price_lists.add(pl)
            uow.catalog.announce(events.PriceListChanged.of(pl, currency, None))
            outcome = Outcome.CREATED
        elif (done := merges.get(it.index)) is None:
            outcome = Outcome.UNCHANGED
        else:
            await uow.price_lists.merge(done)
            uow.catalog.announce(events.PriceListChanged.merged(done, currency))
            outcome = Outcome.UPDATED
        results.append(RecordResult(pl.external_id, pl.id, outcome))
    return results


async def _merges(
    uow: OrdersUnitOfWork, items: Sequence[_Item[PriceList]], existing: dict[str, PriceList]
) -> dict[int, PriceListMerge]:
    """What merging each valid list into its stored list changes, by the list's index in the
    batch (none for a list that changes nothing or is new), reading only the stored entries of
    the products the list names; a list that would hold more than MAX_ENTRIES is refused."""
    counts = await uow.price_lists.entry_counts([pl.id for pl in existing.values()])
    out: dict[int, PriceListMerge] = {}
    for it in items:
        pl = it.entity
        if pl is None or it.error or (current := existing.get(pl.external_id)) is None:
            continue
        stored = await uow.price_lists.entries_of(current.id, pl.named_products)
        done = pl.merged_into(current, stored, counts.get(current.id, 0))
        if done is None:
            continue
        if done.entry_count > MAX_ENTRIES:
            it.reject(
                f"price_lists[{it.index}].entries: the list would hold {done.entry_count} "
                f"entries, more than {MAX_ENTRIES}"
            )
        out[it.index] = done
    return out


# ------------------------------------------------------------------------------ discounts
async def _client_types(uow: OrdersUnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    """The types of the clients `ids` name ("" left out), read at once for a batch."""
    return await uow.feed_reads.client_types(set(ids) - {""})


def _judge_distributor(
    item: _Item[Any], field: str, distributor_id: str, types: Mapping[str, str]
) -> None:
    """The record's distributor (not "") must be a distributor: else it is rejected naming
    `field` (`check_distributor`'s wording)."""
    try:
        check_distributor(field, distributor_id, types.get(distributor_id))
    except DomainError as exc:
        item.reject(exc.message)


async def upsert_discounts(
    uow: OrdersUnitOfWork, records: Sequence[tuple[str, str, Callable[[], Discount]]]
) -> list[RecordResult]:
    _empty("discounts", records)
    items = _parse(records)
    _duplicates(items, "discounts")
    existing = await _keep_ids(uow.discounts, items, "discounts")
    live = [it.entity for it in items if it.entity is not None]
    groups = await uow.groups.existing([d.group_id for d in live])
    products = await uow.products.existing([d.product_id for d in live])
    for it in items:
        d = it.entity
        if d is None:
            continue
        path = f"discounts[{it.index}]"
        if d.scope is DiscountScope.GROUP and d.group_id not in groups:
            it.reject(f"{path}.group_id: product group {d.group_id} not found")
        if d.scope is DiscountScope.PRODUCT and d.product_id not in products:
            it.reject(f"{path}.product_id: product {d.product_id} not found")
    types = await _client_types(uow, (d.distributor_id for d in live))
    for it in items:
        if it.entity is not None and it.entity.distributor_id:
            field = f"discounts[{it.index}].distributor_id"
            _judge_distributor(it, field, it.entity.distributor_id, types)
    _refuse_if_any(items)
    results, written = await _apply(uow.discounts, items, existing)
    if written:
        uow.catalog.announce(events.DiscountsChanged(_stored(written)))
    return results


# ----------------------------------------------------------------------------- warehouses
async def upsert_warehouses(
    uow: OrdersUnitOfWork, records: Sequence[tuple[str, str, Callable[[], Warehouse]]]
) -> list[RecordResult]:
    """Warehouses by external id, as the other catalog records. A warehouse's distributor must
    be a distributor (the clients feed's client of type DISTRIBUTOR: REJECTED naming
    `warehouses[i].distributor_id` otherwise) when the warehouse is new or moves to it; one it
    keeps is not judged again (a warehouse is not refused because its owner's type changed
    since). Warehouses are not in the catalog cache: no generation is bumped."""
    _empty("warehouses", records)
    items = _parse(records)
    _duplicates(items, "warehouses")
    existing = await _keep_ids(uow.warehouses, items, "warehouses")
    judged = [
        (it, w)
        for it in items
        if (w := it.entity) is not None and _takes_owner(w, existing.get(w.external_id))
    ]
    types = await _client_types(uow, (w.distributor_id for _, w in judged))
    for it, w in judged:
        _judge_distributor(it, f"warehouses[{it.index}].distributor_id", w.distributor_id, types)
    _refuse_if_any(items)
    results, written = await _apply(uow.warehouses, items, existing)
    if written:
        uow.catalog.announce(events.WarehousesChanged(_stored(written)))
    return results


def _takes_owner(warehouse: Warehouse, stored: Warehouse | None) -> bool:
    """Whether the warehouse names a distributor it did not have (it is new, or moves)."""
    owner = warehouse.distributor_id
    return bool(owner) and (stored is None or stored.distributor_id != owner)


# ------------------------------------------------------------------- count-only batches
def _raise_all(errors: list[str]) -> None:
    if not errors:
        return
    first_field, _, first_problem = errors[0].partition(": ")
    more = f" (and {len(errors) - 1} more: {'; '.join(errors[1:6])})" if len(errors) > 1 else ""
    raise InvalidArgument(first_field, f"{first_problem}{more}; nothing was changed")


async def upsert_client_prices(
    uow: OrdersUnitOfWork, parsers: Sequence[Callable[[], ClientPrice]]
) -> int:
    """Every price given (how many), each added, left as it is or updated to its next version;
    the ones added or updated announced (`ClientPricesChanged`)."""
    _empty("prices", parsers)
    errors: list[str] = []
    prices: list[tuple[int, ClientPrice]] = []
    for i, parse in enumerate(parsers):
        try:
            prices.append((i, parse()))
        except DomainError as exc:
            errors.append(exc.message)
    products = await uow.products.existing([p.product_id for _, p in prices])
    seen: dict[tuple[str, str, Any], int] = {}
    for i, p in prices:
        if p.product_id not in products:
            errors.append(f"prices[{i}].product_id: product {p.product_id} not found")
        if p.key in seen:
            errors.append(
                f"prices[{i}]: the same client, product and valid_from as prices[{seen[p.key]}]"
            )
        seen.setdefault(p.key, i)
    _raise_all(errors)
    stored = await uow.catalog.client_prices_at([p.key for _, p in prices])
    changed: list[ClientPrice] = []
    for _, p in prices:
        current = stored.get(p.key)
        if current is not None and current.same_content(p):
            continue
        price = p.next_version_of(current) if current is not None else p
        await uow.catalog.put_client_price(price, current)
        changed.append(price)
    if changed:
        uow.catalog.announce(events.ClientPricesChanged(tuple(changed)))
    return len(prices)


async def upsert_stock(uow: OrdersUnitOfWork, parsers: Sequence[Callable[[], StockLevel]]) -> int:
    """Every level given (how many): the stored quantities of their keys read at once, then
    the new levels inserted and the changed ones updated, each kind in one statement; a level
    as stored is not written. Stock is announced to no one."""
    _empty("levels", parsers)
    errors: list[str] = []
    levels: list[tuple[int, StockLevel]] = []
    for i, parse in enumerate(parsers):
        try:
            levels.append((i, parse()))
        except DomainError as exc:
            errors.append(exc.message)
    products = await uow.products.existing([s.product_id for _, s in levels])
    seen: dict[tuple[str, str], int] = {}
    for i, s in levels:
        if s.product_id not in products:
            errors.append(f"levels[{i}].product_id: product {s.product_id} not found")
        key = (s.warehouse_id, s.product_id)
        if key in seen:
            errors.append(f"levels[{i}]: the same warehouse and product as levels[{seen[key]}]")
        seen.setdefault(key, i)
    _raise_all(errors)
    stored = await uow.catalog.stock_at(seen)
    added: list[StockLevel] = []
    changed: list[StockLevel] = []
    for _, s in levels:
        current = stored.get((s.warehouse_id, s.product_id))
        if current is None:
            added.append(s)
        elif current != s.quantity:
            changed.append(s)
    await uow.catalog.put_stock_levels(added, changed)  # (a level as stored: not written)
    return len(levels)


async def set_client_price_type(uow: OrdersUnitOfWork, client_id: str, price_type_id: str) -> None:
    """The client buys at this price type from now on; announced (`ClientPriceTypeSet`)
    unless it did already."""
    cid = require_id("client_id", client_id)
    ptid = require_id("price_type_id", price_type_id)
    if not await uow.price_types.existing([ptid]):
        raise NotFound("price type", ptid, "price_type_id")
    current = await uow.catalog.client_price_type(cid)
    wanted = ClientPriceType(cid, ptid)
    if current is not None and current.same_content(wanted):
        return
    setting = wanted.next_version_of(current) if current is not None else wanted
    await uow.catalog.put_client_price_type(setting, current)
    previous = current.price_type_id if current is not None else ""
    uow.catalog.announce(events.ClientPriceTypeSet(setting, previous))


async def set_distributor_price_type(
    uow: OrdersUnitOfWork, distributor_id: str, client_id: str, price_type_id: str
) -> DistributorPriceType:
    """The distributor sells to the client (`client_id` "": to every client without one of
    its own) at this price type from now on; announced (`DistributorPriceTypeSet`) unless it
    did already."""
    did = await require_distributor(uow, distributor_id)
    if not did:
        raise InvalidArgument("distributor_id", "is required")
    cid = optional_id("client_id", client_id)
    ptid = require_id("price_type_id", price_type_id)
    if not await uow.price_types.existing([ptid]):
        raise NotFound("price type", ptid, "price_type_id")
    current = await uow.catalog.distributor_price_type(did, cid)
    wanted = DistributorPriceType(did, cid, ptid)
    if current is not None and current.same_content(wanted):
        return current
    setting = wanted.next_version_of(current) if current is not None else wanted
    await uow.catalog.put_distributor_price_type(setting, current)
    previous = current.price_type_id if current is not None else ""
    uow.catalog.announce(events.DistributorPriceTypeSet(setting, previous))
    return setting


# -------------------------------------------------------------------------------- prices
@dataclass(frozen=True)
class ProductPrice:
    """A product's price and discounts as an order on the date would get them."""

    product_id: str
    unit_price: Decimal
    price_source: str
    # What a line of any size gets, and the base quantities from which the best applicable
    # discount grows (with the percent from there).
    discount_percent: Decimal
    volume_breaks: tuple[VolumeBreak, ...]
    stock_quantity: Decimal  # base units over all warehouses: a hint


async def resolve_prices(
    uow: OrdersUnitOfWork,
    actor: Actor,
    client_id: str,
    on: date,
    product_ids: Sequence[str],
    distributor_id: str = "",
) -> tuple[str, list[ProductPrice]]:
    """The currency and prices of the named products (each must have a price: else
    FAILED_PRECONDITION), or, with none named, of every active product that has a price; for
    a client of the caller's scope (else NOT_FOUND), as an order placed for `distributor_id`
    ("": the company) gets them."""
    cid = require_id("client_id", client_id)
    await check_client_scope(uow, actor, cid)
    did = await require_distributor(uow, distributor_id)
    named = [require_id(f"product_ids[{i}]", p) for i, p in enumerate(product_ids)]
    book = await uow.catalog.price_book(cid, on, named or None, did)
    for i, pid in enumerate(named):
        if pid not in book.products:
            raise NotFound("product", pid, f"product_ids[{i}]")
    currency = book.currency
    stock = await uow.catalog.stock_totals(book.products, did)
    thresholds = sorted(
        {b.min_quantity for d in book.discounts for b in d.volume_breaks if d.valid_on(on)}
    )
    out: list[ProductPrice] = []
    for i, pid in enumerate(named or sorted(book.products)):
        product = book.products[pid]
        try:
            price = book.unit_price(f"product_ids[{i}]", product)
        except FailedPrecondition:
            if named:
                raise
            continue
        base = book.discount(product, Decimal(0))
        breaks: list[VolumeBreak] = []
        last = base.percent
        for t in thresholds:
            pct = book.discount(product, t).percent
            if pct > last:
                breaks.append(VolumeBreak(t, pct))
                last = pct
        out.append(
            ProductPrice(
                pid,
                price.unit_price,
                price.source,
                base.percent,
                tuple(breaks),
                stock.get(pid, Decimal(0)),
            )
        )
    return currency, out
