"""Catalog use cases: bulk upserts from the ERP, all or nothing, with a result per record.

A batch is validated whole before anything is written: each record on its own (parsing),
then against the batch (duplicate external ids or ids) and against the database (referenced
groups, products and price types exist; an external id keeps its id). If any record is
refused, `BatchRefused` carries every record's result (refused ones with their reason, the
others NOT_APPLIED) and the caller rolls the unit of work back.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Table

from fieldline_kit.errors import DomainError, InvalidArgument, NotFound
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters import catalog_store as store
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.catalog_cache import bump_generation
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    DiscountScope,
    PriceList,
    PriceType,
    Product,
    ProductGroup,
    StockLevel,
    on_cycle,
)
from fieldline_orders.domain.values import require_id

T = TypeVar("T")


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


async def _keep_ids(
    uow: UnitOfWork, table: Table, items: Sequence[_Item[Any]], path: str
) -> dict[str, Any]:
    """Existing rows by external id; refuses records whose id contradicts the stored one."""
    live: list[tuple[_Item[Any], Any]] = [
        (it, it.entity) for it in items if it.entity is not None and not it.error
    ]
    by_ext = await store.rows_by(
        uow.session, table, "external_id", [e.external_id for _, e in live]
    )
    by_id = await store.rows_by(uow.session, table, "id", [e.id for _, e in live])
    for it, e in live:
        row = by_ext.get(e.external_id)
        if row is not None and row.id != e.id:
            it.reject(
                f"{path}[{it.index}].id: external_id {e.external_id!r} already has id {row.id}"
            )
        elif row is None and e.id in by_id:
            it.reject(
                f"{path}[{it.index}].id: {e.id} already belongs to external_id "
                f"{by_id[e.id].external_id!r}"
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
    items: Sequence[_Item[Any]],
    existing: dict[str, Any],
    put: Callable[[Any, Any], Any],
) -> list[RecordResult]:
    results = []
    for it in items:
        e: Any = it.entity
        outcome = await put(e, existing.get(e.external_id))
        results.append(RecordResult(e.external_id, e.id, Outcome(outcome)))
    return results


def _empty(path: str, records: Sequence[Any]) -> None:
    if not records:
        raise InvalidArgument(path, "at least one record is required")


# ------------------------------------------------------------------------------- groups
async def upsert_groups(
    uow: UnitOfWork, records: Sequence[tuple[str, str, Callable[[], ProductGroup]]]
) -> list[RecordResult]:
    _empty("groups", records)
    items = _parse(records)
    _duplicates(items, "groups")
    existing = await _keep_ids(uow, orm.product_groups, items, "groups")
    parents = await store.group_parents(uow.session)
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
    await bump_generation(uow.session)
    return await _apply(items, existing, lambda g, row: store.put_group(uow.session, g, row))


# ----------------------------------------------------------------------------- products
async def upsert_products(
    uow: UnitOfWork, records: Sequence[tuple[str, str, Callable[[], Product]]]
) -> list[RecordResult]:
    _empty("products", records)
    items = _parse(records)
    _duplicates(items, "products")
    existing = await _keep_ids(uow, orm.products, items, "products")
    groups = await store.existing_ids(
        uow.session, orm.product_groups, [it.entity.group_id for it in items if it.entity]
    )
    for it in items:
        p = it.entity
        if p is not None and p.group_id and p.group_id not in groups:
            it.reject(f"products[{it.index}].group_id: product group {p.group_id} not found")
    _refuse_if_any(items)
    await bump_generation(uow.session)
    return await _apply(items, existing, lambda p, row: store.put_product(uow.session, p, row))


# --------------------------------------------------------------------------- price types
async def upsert_price_types(
    uow: UnitOfWork, records: Sequence[tuple[str, str, Callable[[], PriceType]]]
) -> list[RecordResult]:
    _empty("price_types", records)
    items = _parse(records)
    _duplicates(items, "price_types")
    existing = await _keep_ids(uow, orm.price_types, items, "price_types")
    _refuse_if_any(items)
    await bump_generation(uow.session)
    return await _apply(items, existing, lambda t, row: store.put_price_type(uow.session, t, row))


# --------------------------------------------------------------------------- price lists
async def upsert_price_lists(
    uow: UnitOfWork, records: Sequence[tuple[str, str, Callable[[], PriceList]]]
) -> list[RecordResult]:
    _empty("price_lists", records)
    items = _parse(records)
    _duplicates(items, "price_lists")
    existing = await _keep_ids(uow, orm.price_lists, items, "price_lists")
    live = [it.entity for it in items if it.entity is not None]
    types = await store.price_types_by_id(uow.session, [pl.price_type_id for pl in live])
    products = await store.existing_ids(
        uow.session, orm.products, [pid for pl in live for pid in pl.entries]
    )
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
    _refuse_if_any(items)
    await bump_generation(uow.session)
    return await _apply(items, existing, lambda pl, row: store.put_price_list(uow.session, pl, row))


# ------------------------------------------------------------------------------ discounts
async def upsert_discounts(
    uow: UnitOfWork, records: Sequence[tuple[str, str, Callable[[], Discount]]]
) -> list[RecordResult]:
    _empty("discounts", records)
    items = _parse(records)
    _duplicates(items, "discounts")
    existing = await _keep_ids(uow, orm.discounts, items, "discounts")
    live = [it.entity for it in items if it.entity is not None]
    groups = await store.existing_ids(uow.session, orm.product_groups, [d.group_id for d in live])
    products = await store.existing_ids(uow.session, orm.products, [d.product_id for d in live])
    for it in items:
        d = it.entity
        if d is None:
            continue
        path = f"discounts[{it.index}]"
        if d.scope is DiscountScope.GROUP and d.group_id not in groups:
            it.reject(f"{path}.group_id: product group {d.group_id} not found")
        if d.scope is DiscountScope.PRODUCT and d.product_id not in products:
            it.reject(f"{path}.product_id: product {d.product_id} not found")
    _refuse_if_any(items)
    return await _apply(items, existing, lambda d, row: store.put_discount(uow.session, d, row))


# ------------------------------------------------------------------- count-only batches
def _raise_all(errors: list[str]) -> None:
    if not errors:
        return
    first_field, _, first_problem = errors[0].partition(": ")
    more = f" (and {len(errors) - 1} more: {'; '.join(errors[1:6])})" if len(errors) > 1 else ""
    raise InvalidArgument(first_field, f"{first_problem}{more}; nothing was changed")


async def upsert_client_prices(
    uow: UnitOfWork, parsers: Sequence[Callable[[], ClientPrice]]
) -> int:
    _empty("prices", parsers)
    errors: list[str] = []
    prices: list[tuple[int, ClientPrice]] = []
    for i, parse in enumerate(parsers):
        try:
            prices.append((i, parse()))
        except DomainError as exc:
            errors.append(exc.message)
    products = await store.existing_ids(
        uow.session, orm.products, [p.product_id for _, p in prices]
    )
    seen: dict[tuple[str, str, Any], int] = {}
    for i, p in prices:
        if p.product_id not in products:
            errors.append(f"prices[{i}].product_id: product {p.product_id} not found")
        key = (p.client_id, p.product_id, p.valid_from)
        if key in seen:
            errors.append(
                f"prices[{i}]: the same client, product and valid_from as prices[{seen[key]}]"
            )
        seen.setdefault(key, i)
    _raise_all(errors)
    for _, p in prices:
        await store.put_client_price(uow.session, p)
    return len(prices)


async def upsert_stock(uow: UnitOfWork, parsers: Sequence[Callable[[], StockLevel]]) -> int:
    _empty("levels", parsers)
    errors: list[str] = []
    levels: list[tuple[int, StockLevel]] = []
    for i, parse in enumerate(parsers):
        try:
            levels.append((i, parse()))
        except DomainError as exc:
            errors.append(exc.message)
    products = await store.existing_ids(
        uow.session, orm.products, [s.product_id for _, s in levels]
    )
    seen: dict[tuple[str, str], int] = {}
    for i, s in levels:
        if s.product_id not in products:
            errors.append(f"levels[{i}].product_id: product {s.product_id} not found")
        key = (s.warehouse_id, s.product_id)
        if key in seen:
            errors.append(f"levels[{i}]: the same warehouse and product as levels[{seen[key]}]")
        seen.setdefault(key, i)
    _raise_all(errors)
    for _, s in levels:
        await store.put_stock(uow.session, s)
    return len(levels)


async def set_client_price_type(uow: UnitOfWork, client_id: str, price_type_id: str) -> None:
    cid = require_id("client_id", client_id)
    ptid = require_id("price_type_id", price_type_id)
    if not await store.existing_ids(uow.session, orm.price_types, [ptid]):
        raise NotFound("price type", ptid, "price_type_id")
    await store.set_client_price_type(uow.session, cid, ptid)
