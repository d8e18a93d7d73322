"""SQL of the scope graph: its upkeep (newest version wins) and the reads that give an
agent's scope inputs and the agents an event touches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_gateway.adapters.graph_tables import (
    graph_assignments,
    graph_clients,
    graph_outlets,
    graph_routes,
)
from fieldline_gateway.adapters.orm import employees
from fieldline_kit.auth.directory_table import standing_of
from fieldline_kit.repository import put_if


@dataclass(frozen=True)
class ScopeInputs:
    """What `domain.membership.scopes_of` needs of one employee."""

    roles: frozenset[str]
    routes: frozenset[str] = frozenset()
    route_outlets: frozenset[str] = frozenset()
    proposed_outlets: frozenset[str] = frozenset()
    outlet_clients: dict[str, str] = field(default_factory=dict)
    client_price_types: dict[str, str] = field(default_factory=dict)


class GraphStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put_route(self, route_id: str, agent_id: str, version: int) -> str | None:
        """Record the route's agent; the agent it had before (None if new or unchanged)."""
        before = await self.session.scalar(
            select(graph_routes.c.agent_id).where(graph_routes.c.route_id == route_id)
        )
        written = await put_if(
            self.session,
            graph_routes,
            {"route_id": route_id, "agent_id": agent_id, "version": version},
        )
        return before if written and before not in (None, agent_id) else None

    async def route_agent(self, route_id: str) -> str | None:
        query = select(graph_routes.c.agent_id).where(graph_routes.c.route_id == route_id)
        agent: str | None = await self.session.scalar(query)
        return agent

    async def put_assignment(
        self, route_id: str, outlet_id: str, removed: bool, version: int
    ) -> bool:
        values = {"route_id": route_id, "outlet_id": outlet_id, "removed": removed}
        return await put_if(self.session, graph_assignments, {**values, "version": version})

    async def put_outlet(
        self, outlet_id: str, client_id: str, status: str, version: int, proposed_by: str = ""
    ) -> bool:
        if not proposed_by:  # an update keeps who proposed it
            proposed_by = (
                await self.session.scalar(
                    select(graph_outlets.c.proposed_by).where(
                        graph_outlets.c.outlet_id == outlet_id
                    )
                )
                or ""
            )
        values = {
            "outlet_id": outlet_id,
            "client_id": client_id,
            "status": status,
            "proposed_by": proposed_by,
            "version": version,
        }
        return await put_if(self.session, graph_outlets, values)

    async def mark_proposed(self, outlet_id: str, proposed_by: str) -> None:
        """Record who proposed the outlet (a census decision names them); an outlet no event
        has reported yet gets a row of version 0, which its own event then overwrites."""
        found = await self.session.execute(
            update(graph_outlets)
            .where(graph_outlets.c.outlet_id == outlet_id)
            .values(proposed_by=proposed_by)
            .returning(graph_outlets.c.outlet_id)
        )
        if found.first() is None:
            values = {"client_id": "", "status": "pending", "proposed_by": proposed_by}
            await put_if(
                self.session, graph_outlets, {"outlet_id": outlet_id, **values, "version": 0}
            )

    async def put_client_price_type(self, client_id: str, price_type_id: str, version: int) -> bool:
        values = {"client_id": client_id, "price_type_id": price_type_id, "version": version}
        return await put_if(self.session, graph_clients, values)

    async def inputs(self, employee_id: str) -> ScopeInputs | None:
        """The employee's scope inputs; None for an employee no event has reported."""
        query = select(employees).where(employees.c.employee_id == employee_id)
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        routes = set(
            await self.session.scalars(
                select(graph_routes.c.route_id).where(graph_routes.c.agent_id == employee_id)
            )
        )
        on_routes: set[str] = set()
        if routes:
            on_routes = set(
                await self.session.scalars(
                    select(graph_assignments.c.outlet_id).where(
                        graph_assignments.c.route_id.in_(routes),
                        graph_assignments.c.removed.is_(False),
                    )
                )
            )
        proposed = set(
            await self.session.scalars(
                select(graph_outlets.c.outlet_id).where(graph_outlets.c.proposed_by == employee_id)
            )
        )
        outlets = on_routes | proposed
        outlet_clients = await self.clients_of(outlets)
        price_types = await self._price_types_of(set(outlet_clients.values()))
        return ScopeInputs(
            roles=standing_of(row).roles,
            routes=frozenset(routes),
            route_outlets=frozenset(on_routes),
            proposed_outlets=frozenset(proposed),
            outlet_clients=outlet_clients,
            client_price_types=price_types,
        )

    async def clients_of(self, outlets: Iterable[str]) -> dict[str, str]:
        """outlet → its client, of the known outlets of `outlets`."""
        return await self._pairs(graph_outlets.c.outlet_id, graph_outlets.c.client_id, outlets)

    async def _price_types_of(self, clients: Iterable[str]) -> dict[str, str]:
        return await self._pairs(graph_clients.c.client_id, graph_clients.c.price_type_id, clients)

    async def _pairs(self, key: Any, value: Any, ids: Iterable[str]) -> dict[str, str]:
        """`key` → `value` of the rows whose key is one of `ids` (empty values left out), read
        500 ids at a time."""
        found: dict[str, str] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), 500):
            query = select(key, value).where(key.in_(wanted[start : start + 500]))
            found.update({k: v for k, v in await self.session.execute(query) if v})
        return found
