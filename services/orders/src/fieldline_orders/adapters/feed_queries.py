"""Reads of the clients feed's read models and of the sales history behind recommendations.

Every read is one statement. The bulk ones take a collection of outlets, so a recommendation
for an agent's whole route costs the same number of queries for 3 outlets as for 300 (see
service_layer/recommendation.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fieldline_kit.auth.directory_table import standing_of, supervised_by
from fieldline_kit.repository import Repository
from fieldline_orders.adapters.orm import order_lines, orders, products
from fieldline_orders.adapters.orm_feed import (
    feed_assignments,
    feed_clients,
    feed_employees,
    feed_outlet_audits,
    feed_outlets,
    feed_shelf_counts,
    feed_territories,
)
from fieldline_orders.adapters.rows import chunks, utc
from fieldline_orders.domain.feed import FIELD_ROUTE, PHONE_ROUTE, OutletState
from fieldline_orders.domain.recommendation import (
    CALL,
    VISIT,
    Pack,
    ShelfCheck,
    VisitSchedule,
    pack_of,
)

ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class LatestAudit:
    audit_id: str
    submitted_at: datetime
    performed_at: datetime | None  # the device's time, when given


@dataclass(frozen=True)
class AgentOutlets:
    """The outlets on an agent's routes (in visiting order) and all their schedules."""

    outlet_ids: list[str]
    schedules: dict[str, list[VisitSchedule]]


class RouteRow(Protocol):
    """An assignment of one of the agent's outlets, with the outlet's status (None: unknown)."""

    @property
    def outlet_id(self) -> str: ...
    @property
    def agent_id(self) -> str: ...
    @property
    def frequency(self) -> int: ...
    @property
    def weekday_mask(self) -> int: ...
    @property
    def start_date(self) -> date: ...
    @property
    def sequence(self) -> int: ...
    @property
    def route_kind(self) -> str: ...
    @property
    def status(self) -> str | None: ...


def schedule_of(
    frequency: int, weekday_mask: int, start_date: date, route_kind: str
) -> VisitSchedule:
    """An assignment's schedule: of visits on a FIELD route, of calls on a PHONE one."""
    contact = CALL if route_kind == PHONE_ROUTE else VISIT
    return VisitSchedule.from_mask(frequency, weekday_mask, start_date, contact)


def route_of(agent_id: str, rows: Iterable[RouteRow]) -> AgentOutlets:
    """The agent's outlets in visiting (or calling) order (their lowest sequence on its routes,
    then id), each with all its schedules, from the live assignments of those outlets; an
    outlet known not to be active is left out."""
    schedules: dict[str, list[VisitSchedule]] = defaultdict(list)
    order: dict[str, int] = {}
    for r in rows:
        if r.status is not None and r.status != ACTIVE:
            continue
        schedules[r.outlet_id].append(
            schedule_of(r.frequency, r.weekday_mask, r.start_date, r.route_kind)
        )
        if r.agent_id == agent_id:
            order[r.outlet_id] = min(order.get(r.outlet_id, r.sequence), r.sequence)
    outlet_ids = sorted(order, key=lambda oid: (order[oid], oid))
    return AgentOutlets(outlet_ids, {oid: schedules[oid] for oid in outlet_ids})


async def outlet_client(session: AsyncSession, outlet_id: str) -> str | None:
    """The client of a known outlet; None for an outlet the clients feed has not told us of."""
    client_id = await session.scalar(
        select(feed_outlets.c.client_id).where(feed_outlets.c.outlet_id == outlet_id)
    )
    return client_id or None


async def known_clients(
    session: AsyncSession | AsyncConnection, client_ids: Collection[str]
) -> set[str]:
    """Those of `client_ids` the clients feed has told us of (an outlet of theirs)."""
    t = feed_outlets
    out: set[str] = set()
    for chunk in chunks(sorted(set(client_ids))):
        rows = await session.execute(
            select(t.c.client_id).where(t.c.client_id.in_(chunk)).distinct()
        )
        out.update(r.client_id for r in rows)
    return out


async def client_types(
    session: AsyncSession | AsyncConnection, client_ids: Collection[str]
) -> dict[str, str]:
    """The type (RETAIL, DISTRIBUTOR, …) of those of `client_ids` the clients feed told of."""
    t = feed_clients
    out: dict[str, str] = {}
    for chunk in chunks(sorted(set(client_ids))):
        rows = await session.execute(
            select(t.c.client_id, t.c.type).where(t.c.client_id.in_(chunk))
        )
        out.update({r.client_id: r.type for r in rows})
    return out


async def field_agents(
    session: AsyncSession | AsyncConnection, outlet_ids: Collection[str]
) -> dict[str, set[str]]:
    """Per outlet of `outlet_ids`, the agents working a live FIELD route of it (whom a phone
    order of the outlet may be credited to)."""
    a = feed_assignments
    out: dict[str, set[str]] = {oid: set() for oid in outlet_ids}
    for chunk in chunks(sorted(set(outlet_ids))):
        rows = await session.execute(
            select(a.c.outlet_id, a.c.agent_id).where(
                a.c.outlet_id.in_(chunk), a.c.removed.is_(False), a.c.route_kind == FIELD_ROUTE
            )
        )
        for r in rows:
            out[r.outlet_id].add(r.agent_id)
    return out


async def employee_roles(
    session: AsyncSession | AsyncConnection, employee_ids: Collection[str]
) -> dict[str, frozenset[str]]:
    """The roles of those of `employee_ids` the clients feed told of (active or not: a role
    of an inactive employee is no role)."""
    t = feed_employees
    out: dict[str, frozenset[str]] = {}
    for chunk in chunks(sorted(set(employee_ids))):
        rows = await session.execute(select(t).where(t.c.employee_id.in_(chunk)))
        for r in rows.mappings():
            standing = standing_of(r)
            out[str(r["employee_id"])] = standing.roles if standing.active else frozenset()
    return out


class FeedQueries(Repository):
    """What recommendations and outlet checks read of the feed's read models and the orders."""

    async def outlet_client(self, outlet_id: str) -> str | None:
        """The client of a known outlet; None for an outlet the clients feed has not told us of."""
        return await outlet_client(self.session, outlet_id)

    async def known_clients(self, client_ids: Collection[str]) -> set[str]:
        """Those of `client_ids` the clients feed has told us of (an outlet of theirs)."""
        return await known_clients(self.session, client_ids)

    async def client_types(self, client_ids: Collection[str]) -> dict[str, str]:
        """The type (RETAIL, DISTRIBUTOR, …) of those of `client_ids` the clients feed told of."""
        return await client_types(self.session, client_ids)

    async def outlet_clients(self, outlet_ids: Collection[str]) -> dict[str, str]:
        """`outlet_client` of many outlets: the known ones' clients, by outlet."""
        t = feed_outlets
        out: dict[str, str] = {}
        for chunk in chunks(sorted(set(outlet_ids))):
            rows = await self.session.execute(
                select(t.c.outlet_id, t.c.client_id).where(t.c.outlet_id.in_(chunk))
            )
            out.update({r.outlet_id: r.client_id for r in rows if r.client_id})
        return out

    async def on_routes(self, agent_ids: Collection[str], outlet_id: str) -> bool:
        """The outlet is on a route one of `agent_ids` works (a live assignment)."""
        a = feed_assignments
        found = await self.session.scalar(
            select(a.c.outlet_id)
            .where(
                a.c.agent_id.in_(sorted(agent_ids)),
                a.c.outlet_id == outlet_id,
                a.c.removed.is_(False),
            )
            .limit(1)
        )
        return found is not None

    async def client_on_routes(self, agent_ids: Collection[str], client_id: str) -> bool:
        """An outlet of the client is on a route one of `agent_ids` works."""
        a, o = feed_assignments, feed_outlets
        found = await self.session.scalar(
            select(a.c.outlet_id)
            .select_from(a.join(o, o.c.outlet_id == a.c.outlet_id))
            .where(
                a.c.agent_id.in_(sorted(agent_ids)),
                o.c.client_id == client_id,
                a.c.removed.is_(False),
            )
            .limit(1)
        )
        return found is not None

    async def distributor_of(self, manager_id: str) -> str:
        """The distributor a distributor manager works for ("" if none is known)."""
        e = feed_employees
        found = await self.session.scalar(
            select(e.c.distributor_id).where(e.c.employee_id == manager_id)
        )
        return str(found or "")

    async def team_of(self, supervisor_id: str) -> frozenset[str]:
        """The employees `supervisor_id` supervises (as the clients feed last reported)."""
        return await supervised_by(self.session, feed_employees, supervisor_id)

    async def get_outlet(self, outlet_id: str) -> OutletState | None:
        t = feed_outlets
        row = (await self.session.execute(select(t).where(t.c.outlet_id == outlet_id))).first()
        if row is None:
            return None
        return OutletState(
            row.outlet_id, row.client_id, row.status, row.version, row.channel, row.territory_id
        )

    async def outlet_targeting(self, outlet_id: str) -> tuple[str, str, str, str] | None:
        """What promotions target of a known outlet: (outlet id, client id, the card's channel
        as written, territory id), "" where the clients feed has not told (yet); None for an
        outlet it has not told us of."""
        t = feed_outlets
        row = (
            await self.session.execute(
                select(t.c.outlet_id, t.c.client_id, t.c.channel, t.c.territory_id).where(
                    t.c.outlet_id == outlet_id
                )
            )
        ).first()
        if row is None:
            return None
        return (row.outlet_id, row.client_id, row.channel, row.territory_id)

    async def territory_parents(self) -> dict[str, str]:
        """The territory tree the clients feed told of: territory id → its parent's ("" for a
        root). The whole table: territories are few."""
        return await territory_tree(self.session)

    async def outlet_schedules(self, outlet_id: str) -> list[VisitSchedule]:
        """The outlet's schedules: its live assignments, of visits (FIELD routes) and of calls
        (PHONE routes, teleseller's call lists): either is a chance to order."""
        a = feed_assignments
        rows = await self.session.execute(
            select(a.c.frequency, a.c.weekday_mask, a.c.start_date, a.c.route_kind).where(
                a.c.outlet_id == outlet_id, a.c.removed.is_(False)
            )
        )
        return [schedule_of(r.frequency, r.weekday_mask, r.start_date, r.route_kind) for r in rows]

    async def agent_outlets(self, agent_id: str) -> AgentOutlets:
        """Outlets on the agent's routes (a teleseller's: its call lists), except those known
        not to be active, with every schedule of theirs, of visits and of calls (other
        employees' routes included: any visit or call is a chance to order)."""
        a, o = feed_assignments, feed_outlets
        live = a.c.removed.is_(False)
        mine = select(a.c.outlet_id).where(a.c.agent_id == agent_id, live)
        rows = await self.session.execute(
            select(
                a.c.outlet_id,
                a.c.agent_id,
                a.c.frequency,
                a.c.weekday_mask,
                a.c.start_date,
                a.c.sequence,
                a.c.route_kind,
                o.c.status,
            )
            .select_from(a.outerjoin(o, o.c.outlet_id == a.c.outlet_id))
            .where(a.c.outlet_id.in_(mine), live)
        )
        return route_of(agent_id, rows)

    async def sales_history(
        self, outlet_ids: Collection[str], day: date, window_days: int
    ) -> dict[str, dict[str, Decimal]]:
        """Base units delivered per outlet and product in the `window_days` days before `day`."""
        if not outlet_ids:
            return {}
        o, ln = orders, order_lines
        sold = func.sum(ln.c.delivered_base_quantity)
        rows = await self.session.execute(
            select(o.c.outlet_id, ln.c.product_id, sold.label("sold"))
            .select_from(o.join(ln, ln.c.order_id == o.c.id))
            .where(
                o.c.outlet_id.in_(list(outlet_ids)),
                # The window's first day, not before the calendar's (a day near 0001-01-01).
                o.c.order_date >= date.fromordinal(max(1, day.toordinal() - window_days)),
                o.c.order_date < day,
            )
            .group_by(o.c.outlet_id, ln.c.product_id)
            .having(sold > 0)
        )
        history: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for r in rows:
            history[r.outlet_id][r.product_id] = Decimal(r.sold)
        return dict(history)

    async def shelf_checks(self, outlet_ids: Collection[str]) -> dict[str, list[ShelfCheck]]:
        """Must-stock checks of each outlet's latest audit."""
        if not outlet_ids:
            return {}
        s = feed_shelf_counts
        rows = await self.session.execute(
            select(s.c.outlet_id, s.c.sku, s.c.present, s.c.shelf_quantity).where(
                s.c.outlet_id.in_(list(outlet_ids))
            )
        )
        checks: dict[str, list[ShelfCheck]] = defaultdict(list)
        for r in rows:
            quantity = Decimal(r.shelf_quantity) if r.shelf_quantity is not None else None
            checks[r.outlet_id].append(ShelfCheck(r.sku, r.present, quantity))
        return dict(checks)

    async def latest_audits(self, outlet_ids: Collection[str]) -> dict[str, LatestAudit]:
        """Each outlet's latest audit (the one whose checks `shelf_checks` gives): its id and
        times, to judge its age by."""
        if not outlet_ids:
            return {}
        a = feed_outlet_audits
        rows = await self.session.execute(
            select(a.c.outlet_id, a.c.audit_id, a.c.submitted_at, a.c.performed_at).where(
                a.c.outlet_id.in_(list(outlet_ids))
            )
        )
        return {
            r.outlet_id: LatestAudit(
                r.audit_id,
                utc(r.submitted_at),
                utc(r.performed_at) if r.performed_at is not None else None,
            )
            for r in rows
        }

    async def packs(self, product_ids: Collection[str], skus: Collection[str]) -> list[Pack]:
        """Active products by id, among those sold and those whose SKU was audited."""
        if not product_ids and not skus:
            return []
        p = products
        rows = await self.session.execute(
            select(p.c.id, p.c.sku, p.c.units, p.c.pack_unit, p.c.base_unit).where(
                and_(
                    p.c.active.is_(True),
                    or_(p.c.id.in_(list(product_ids)), p.c.sku.in_(list(skus))),
                )
            )
        )
        return [pack_of(r.id, r.sku, r.units or [], r.pack_unit, r.base_unit) for r in rows]


async def territory_tree(session: AsyncSession | AsyncConnection) -> dict[str, str]:
    """Territory id → its parent's ("" for a root), as the clients feed told."""
    t = feed_territories
    rows = await session.execute(select(t.c.territory_id, t.c.parent_id))
    return {r.territory_id: r.parent_id for r in rows}
