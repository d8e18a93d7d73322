"""Recommended orders: gather the inputs in bulk, then run the pure algorithm per outlet.

Queries per call, whatever the number of outlets:
- one outlet:  outlet, its schedules, history, shelf checks, products        (5)
- an agent:    outlets + schedules, history, shelf checks, products          (4)
History is aggregated in SQL (GROUP BY outlet, product over the window), so rows fetched grow
with distinct (outlet, product) pairs, not with orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.errors import NotFound
from fieldline_orders.adapters import feed_queries
from fieldline_orders.domain.recommendation import (
    Catalog,
    Policy,
    RecommendedLine,
    ShelfCheck,
    VisitSchedule,
    recommend,
)
from fieldline_orders.settings import OrdersSettings


@dataclass(frozen=True)
class OutletRecommendation:
    outlet_id: str
    day: date
    lines: list[RecommendedLine]


def policy_of(settings: OrdersSettings) -> Policy:
    # safety_days is a float setting; via str() so 2.0 stays exactly 2.0.
    return Policy(settings.recommendation_window_days, Decimal(str(settings.safety_days)))


async def for_outlet(
    session: AsyncSession, policy: Policy, outlet_id: str, day: date
) -> OutletRecommendation:
    outlet = await feed_queries.get_outlet(session, outlet_id)
    if outlet is None:
        raise NotFound("outlet", outlet_id, "outlet_id")
    schedules = await feed_queries.outlet_schedules(session, outlet_id)
    [result] = await _compute(session, policy, [outlet_id], {outlet_id: schedules}, day)
    return result


async def for_agent(
    session: AsyncSession, policy: Policy, agent_id: str, day: date
) -> list[OutletRecommendation]:
    """Every active outlet on the agent's routes, in visiting order (sequence, then id)."""
    route = await feed_queries.agent_outlets(session, agent_id)
    return await _compute(session, policy, route.outlet_ids, route.schedules, day)


async def _compute(
    session: AsyncSession,
    policy: Policy,
    outlet_ids: Sequence[str],
    schedules: Mapping[str, list[VisitSchedule]],
    day: date,
) -> list[OutletRecommendation]:
    history = await feed_queries.sales_history(session, outlet_ids, day, policy.window_days)
    checks = await feed_queries.shelf_checks(session, outlet_ids)
    product_ids = {pid for sold in history.values() for pid in sold}
    absent_skus = {c.sku for cs in checks.values() for c in cs if not c.present}
    # Products of history lines need their SKU matched against the audit, so products are
    # loaded for what was sold (by id) and for what is missing on a shelf (by SKU).
    catalog = Catalog.of(await feed_queries.packs(session, product_ids, absent_skus))
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
            ),
        )
        for outlet_id in outlet_ids
    ]
