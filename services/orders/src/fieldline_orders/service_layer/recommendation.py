"""Recommended orders: gather the inputs in bulk, then run the pure algorithm per outlet.

Queries per call, whatever the number of outlets:
- one outlet:  outlet, its schedules, history, audits, shelf checks, products     (6)
- an agent:    outlets + schedules, history, audits, shelf checks, products       (5)

Each outlet's latest audit is judged for the date (`Policy.judge_audit`): a stale one, or one
made after the date, stands for nothing (domain/recommendation.py).
History is aggregated in SQL (GROUP BY outlet, product over the window), so rows fetched grow
with distinct (outlet, product) pairs, not with orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from fieldline_kit.errors import NotFound
from fieldline_orders.adapters.feed_queries import FeedQueries
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.recommendation import (
    Catalog,
    OutletRecommendation,
    Policy,
    ShelfCheck,
    VisitSchedule,
    recommend,
)
from fieldline_orders.service_layer.scope import check_outlet_scope


async def for_outlet(
    uow: OrdersUnitOfWork, actor: Actor, policy: Policy, outlet_id: str, day: date
) -> OutletRecommendation:
    """An outlet of the caller's scope (else NOT_FOUND)."""
    reads = uow.feed_reads
    await check_outlet_scope(uow, actor, outlet_id, write=False)
    if await reads.get_outlet(outlet_id) is None:
        raise NotFound("outlet", outlet_id, "outlet_id")
    schedules = await reads.outlet_schedules(outlet_id)
    [result] = await _compute(reads, policy, [outlet_id], {outlet_id: schedules}, day)
    return result


async def for_agent(
    uow: OrdersUnitOfWork, actor: Actor, policy: Policy, agent_id: str, day: date
) -> list[OutletRecommendation]:
    """Every active outlet on the agent's routes, in visiting order (sequence, then id); the
    caller's own routes when `agent_id` is empty; none of another agent's unless the caller
    sees the whole company."""
    if actor.narrowed(agent_id or actor.id) is None:
        return []
    route = await uow.feed_reads.agent_outlets(agent_id or actor.id)
    return await _compute(uow.feed_reads, policy, route.outlet_ids, route.schedules, day)


async def _compute(
    reads: FeedQueries,
    policy: Policy,
    outlet_ids: Sequence[str],
    schedules: Mapping[str, list[VisitSchedule]],
    day: date,
) -> list[OutletRecommendation]:
    history = await reads.sales_history(outlet_ids, day, policy.window_days)
    audits = {
        outlet_id: policy.judge_audit(
            a.audit_id, policy.audit_day(a.performed_at, a.submitted_at), day
        )
        for outlet_id, a in (await reads.latest_audits(outlet_ids)).items()
    }
    checks = await reads.shelf_checks(outlet_ids)
    product_ids = {pid for sold in history.values() for pid in sold}
    absent_skus = {
        c.sku
        for outlet_id, cs in checks.items()
        if (audit := audits.get(outlet_id)) is None or audit.used
        for c in cs
        if not c.present
    }
    # Products of history lines need their SKU matched against the audit, so products are
    # loaded for what was sold (by id) and for what is missing on a shelf (by SKU).
    catalog = Catalog.of(await reads.packs(product_ids, absent_skus))
    empty: list[ShelfCheck] = []
    return [
        OutletRecommendation(
            outlet_id,
            day,
            recommend(
                day,
                policy,
                sold=history.get(outlet_id, {}),
                catalog=catalog,
                shelf=checks.get(outlet_id, empty),
                schedules=schedules.get(outlet_id, []),
                audit=audits.get(outlet_id),
            ),
            audits.get(outlet_id),
        )
        for outlet_id in outlet_ids
    ]
