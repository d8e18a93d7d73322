"""Trade promotions' use cases (docs/contexts/sales-gaps.md 3.7): the upsert from the ERP or a
trade-promotion system, reads, and which promotions an outlet's order may get on a day.

The upsert is the catalog's (service_layer/catalog.py): keyed by external id, a batch with any
refused record changes nothing, each record's result reported; a changed promotion is
announced (`PromotionChanged`), an unchanged one is not. Beyond each record's own rules
(`Promotion.create`), the products and groups it names must exist, and the distributors its
targeting names must be distributors ("" is the company's own orders).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal

from fieldline_kit.errors import NotFound
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain import events
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.budgets import BudgetState
from fieldline_orders.domain.promotions import OutletFacts, Promotion, offered
from fieldline_orders.domain.values import ZERO, fmt, require_id
from fieldline_orders.service_layer.catalog import (
    RecordResult,
    _apply,
    _client_types,
    _duplicates,
    _empty,
    _Item,
    _judge_distributor,
    _keep_ids,
    _parse,
    _refuse_if_any,
    _stored,
)
from fieldline_orders.service_layer.scope import check_outlet_scope


async def upsert_promotions(
    uow: OrdersUnitOfWork,
    records: Sequence[tuple[str, str, Callable[[], Promotion]]],
    stops: Sequence[bool],
    now: datetime,
) -> list[RecordResult]:
    """`records` as the catalog's upserts take them; `stops`: each record's `stopped`."""
    _empty("promotions", records)
    items = _parse(records)
    _duplicates(items, "promotions")
    existing = await _keep_ids(uow.promotions, items, "promotions")
    for it in items:
        if it.entity is not None:
            stored = existing.get(it.entity.external_id)
            it.entity = it.entity.with_stop(stops[it.index], now, stored)
    live = [it.entity for it in items if it.entity is not None]
    products = await uow.products.existing(
        {ref for p in live for _, kind, ref in p.references() if kind == "product"}
    )
    groups = await uow.groups.existing({g for p in live for g in p.group_ids})
    types = await _client_types(uow, (d for p in live for d in p.targeting.distributor_ids))
    budgets = await uow.budgets.states(p.id for p in live)
    for it in items:
        p = it.entity
        if p is None:
            continue
        path = f"promotions[{it.index}]"
        _judge_budget(it, path, existing.get(p.external_id), budgets.get(p.id))
        for field, kind, ref in p.references():
            if ref not in (products if kind == "product" else groups):
                it.reject(f"{path}.{field}: {kind} {ref} not found")
        for d in sorted(p.targeting.distributor_ids - {""}):
            _judge_distributor(it, f"{path}.targeting.distributor_ids", d, types)
    _refuse_if_any(items)
    results, written = await _apply(uow.promotions, items, existing)
    await uow.budgets.put_totals(
        {p.id: p.budget.total for p in _stored(written) if p.budget.limited}
    )
    if written:
        # Submissions cache the promotions in force with the catalog (adapters/catalog_cache).
        await uow.catalog.bump_generation()
        uow.catalog.announce(
            *(events.PromotionChanged(p, _consumed(p, budgets.get(p.id))) for p in _stored(written))
        )
    return results


def _consumed(p: Promotion, budget: BudgetState | None) -> Decimal | None:
    """What its budget has consumed, as an event shows it (none without a budget)."""
    if not p.budget.limited:
        return None
    return budget.consumed if budget is not None else ZERO


def _judge_budget(
    it: _Item[Promotion], path: str, stored: Promotion | None, budget: BudgetState | None
) -> None:
    """A budget orders consumed already keeps its kind and never goes below what they took."""
    p = it.entity
    if p is None or budget is None or budget.consumed == 0 or not p.budget.limited:
        return
    if stored is not None and stored.budget.kind is not p.budget.kind:
        it.reject(
            f"{path}.budget.kind: orders consumed {fmt(budget.consumed)} of it in "
            f"{stored.budget.kind.value}; it cannot become {p.budget.kind.value}"
        )
    elif p.budget.total < budget.consumed:
        it.reject(
            f"{path}.budget.total: {fmt(p.budget.total)} is below the {fmt(budget.consumed)} "
            "orders consumed already"
        )


async def get_promotion(uow: OrdersUnitOfWork, promotion_id: str) -> Promotion:
    pid = require_id("promotion_id", promotion_id)
    found = await uow.promotions.find(pid)
    if found is None:
        raise NotFound("promotion", pid, "promotion_id")
    return found


async def outlet_promotions(
    uow: OrdersUnitOfWork, actor: Actor, outlet_id: str, day: date
) -> list[Promotion]:
    """The promotions an order of the outlet (of the caller's scope, else NOT_FOUND) may get
    on `day`, as far as the outlet tells: period, stop and outlet-side targeting."""
    oid = require_id("outlet_id", outlet_id)
    await check_outlet_scope(uow, actor, oid, write=False)
    found = await uow.feed_reads.outlet_targeting(oid)
    if found is None:
        raise NotFound("outlet", oid, "outlet_id")
    outlet = OutletFacts(*found)
    parents = await uow.feed_reads.territory_parents()
    return offered(await uow.promotions.active_on(day), outlet, day, parents)
