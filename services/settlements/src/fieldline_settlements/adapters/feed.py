"""The clients feed's read models: writes (newest version wins) and the reads behind scopes.

Each write is one `INSERT … ON CONFLICT DO UPDATE … WHERE <stored row is older>`
(`fieldline_kit.repository.upsert_if`), so the database row decides which of two events of
one aggregate wins, also when two replicas apply them concurrently; `RETURNING` tells whether
the event was applied. The reads answer the questions the scope rule (domain/access.py) asks:
who is in a supervisor's team, who works the routes of a client's outlets; `reached_clients`
is the same rule as a subquery, for lists and reports narrowed to a caller's clients.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, Table, select

from fieldline_kit.auth.directory import Standing
from fieldline_kit.auth.directory_table import put_standing, supervised_by
from fieldline_kit.repository import Repository, put_if
from fieldline_settlements.adapters.orm import feed_employees, feed_outlets, feed_route_outlets
from fieldline_settlements.domain.feed import EmployeeState, OutletState, RouteOutletState


async def _put(repository: Repository, table: Table, record: Any) -> bool:
    """The record's row (each column its field of that name), if newer; True if written."""
    row = {c.name: getattr(record, c.name) for c in table.columns}
    return await put_if(repository.session, table, row)


class FeedStore(Repository):
    """Writes of the read models; each put is applied only if the record is newer (True)."""

    async def put_outlet(self, state: OutletState) -> bool:
        return await _put(self, feed_outlets, state)

    async def put_route_outlet(self, state: RouteOutletState) -> bool:
        """Put the route × outlet row (a removal keeps it as a tombstone) if newer."""
        return await _put(self, feed_route_outlets, state)

    async def put_employee(self, state: EmployeeState) -> bool:
        standing = Standing(state.active, state.roles, state.supervisor_id, state.territory_id)
        return await put_standing(
            self.session, feed_employees, state.employee_id, standing, state.version
        )


def reached_clients(agents: Collection[str]) -> Select[Any]:
    """The clients with an outlet on a live route worked by one of `agents` (a subquery)."""
    a, o = feed_route_outlets, feed_outlets
    return (
        select(o.c.client_id)
        .select_from(a.join(o, o.c.outlet_id == a.c.outlet_id))
        .where(a.c.agent_id.in_(sorted(agents)), a.c.removed.is_(False))
    )


class FeedReads(Repository):
    """What the scope checks read of the read models (one statement each)."""

    async def team(self, supervisor_id: str) -> frozenset[str]:
        """The employees whose supervisor is `supervisor_id`, as the feed last reported them."""
        return await supervised_by(self.session, feed_employees, supervisor_id)

    async def route_agents(self, client_ids: Collection[str]) -> dict[str, frozenset[str]]:
        """Per client, who works the live routes its outlets are on (none: left out)."""
        if not client_ids:
            return {}
        a, o = feed_route_outlets, feed_outlets
        rows = await self.session.execute(
            select(o.c.client_id, a.c.agent_id)
            .select_from(o.join(a, a.c.outlet_id == o.c.outlet_id))
            .where(o.c.client_id.in_(sorted(set(client_ids))), a.c.removed.is_(False))
            .distinct()
        )
        agents: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            agents[r.client_id].add(r.agent_id)
        return {c: frozenset(v) for c, v in agents.items()}
