"""The clients unit of work without a database: in-memory repositories with the real ones'
methods, for the use-case tests. Rows live in `uow.tables` (kept across transactions, restored
when one ends without a commit). And `FakeBulkRows`, what a bulk load hands its aggregates to.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any, TypeVar

from fieldline_clients.domain.fieldwork import Audit, Proposal, ProposalKind, Questionnaire, Visit
from fieldline_clients.domain.model import (
    CardChange,
    Client,
    Employee,
    Outlet,
    Route,
    RouteAgentPeriod,
    RouteAssignment,
    Territory,
)
from fieldline_kit.testing.fakes import FakeUnitOfWork, InMemoryRepository

E = TypeVar("E", Client, Employee, Route)


class FakeOutlets(InMemoryRepository[Outlet]):
    """Outlets, and the card history their changes add (by outlet id and version)."""

    @property
    def history(self) -> dict[tuple[str, int], CardChange]:
        return self._uow.table("outlet_card_history")

    async def add(self, aggregate: Outlet) -> None:
        await super().add(aggregate)
        self._write_history(aggregate)

    async def save(self, aggregate: Outlet) -> None:
        await super().save(aggregate)
        self._write_history(aggregate)

    def _write_history(self, outlet: Outlet) -> None:
        for change in outlet.new_history:
            self.history[(change.outlet_id, change.version)] = change
        outlet.new_history.clear()
        self.rows[self._key_of(outlet)].new_history.clear()


class FakeExternal(InMemoryRepository[E]):
    """`repository.ExternalRepository`: found many at once, by id or by the ERP's id."""

    async def by_ids(self, ids: Collection[str]) -> dict[str, E]:
        return {a.id: self.loaded(a) for a in self.all() if a.id in set(ids)}

    async def by_external_ids(self, external_ids: Collection[str]) -> dict[str, E]:
        wanted = set(external_ids) - {""}
        return {a.external_id: self.loaded(a) for a in self.all() if a.external_id in wanted}

    async def ids_taken(self, ids: Collection[str]) -> set[str]:
        return {i for i in ids if (i,) in self.rows}


class FakeClients(FakeExternal[Client]):
    """Clients, also found by the ERP's external id."""


class FakeEmployees(FakeExternal[Employee]):
    """Employees, also found by the ERP's external id."""


class FakeTerritories(InMemoryRepository[Territory]):
    """Territories: no versions; a new one's TerritoryChanged is committed."""


class FakeRoutes(FakeExternal[Route]):
    """Routes, their assignments by (route id, outlet id), their agent periods by (route id,
    start day)."""

    @property
    def periods(self) -> dict[tuple[str, date], RouteAgentPeriod]:
        return self._uow.table("route_agent_periods")

    async def periods_starting(
        self, keys: Collection[tuple[str, date]]
    ) -> dict[tuple[str, date], RouteAgentPeriod]:
        return {k: self.periods[k] for k in keys if k in self.periods}

    async def put_period(self, p: RouteAgentPeriod) -> None:
        self.periods[p.key] = p

    async def periods_covering(
        self, route_ids: Collection[str], day: date
    ) -> dict[str, list[RouteAgentPeriod]]:
        out: dict[str, list[RouteAgentPeriod]] = {}
        for p in self.periods.values():
            if p.route_id in set(route_ids) and p.covers(day):
                out.setdefault(p.route_id, []).append(p)
        return out

    async def handover_candidates(self, day: date, after: str, limit: int) -> list[str]:
        agents = {r.id: r.agent_id for r in self.all()}
        ids = {
            p.route_id
            for p in self.periods.values()
            if p.covers(day) and p.employee_id != agents[p.route_id] and p.route_id > after
        }
        return sorted(ids)[:limit]

    @property
    def assignments(self) -> dict[tuple[str, str], RouteAssignment]:
        return self._uow.table("route_assignments")

    async def find_assignment(self, route_id: str, outlet_id: str) -> RouteAssignment | None:
        return self.assignments.get((route_id, outlet_id))

    async def put_assignment(self, a: RouteAssignment) -> None:
        self.assignments[(a.route_id, a.outlet_id)] = a

    async def remove_assignment(self, a: RouteAssignment) -> None:
        del self.assignments[(a.route_id, a.outlet_id)]


class FakeAccessQueries:
    """`repository.AccessQueries` over the fake tables: what a caller's scope is read from."""

    def __init__(self, uow: FakeClientsUnitOfWork) -> None:
        self._uow = uow

    async def reports(self, supervisor_id: str) -> frozenset[str]:
        return frozenset(
            e.id for e in self._uow.employees.all() if e.supervisor_id == supervisor_id
        )

    async def distributor_of(self, employee_id: str) -> str:
        employee = await self._uow.employees.find(employee_id)
        return employee.distributor_id if employee else ""

    async def sees_outlet(self, team: Collection[str], outlet_id: str) -> bool:
        routes = {r.id for r in self._uow.routes.all() if r.agent_id in team}
        on_routes = any(
            a.outlet_id == outlet_id and a.route_id in routes
            for a in self._uow.routes.assignments.values()
        )
        return on_routes or any(
            p.outlet_id == outlet_id and p.kind is ProposalKind.NEW_OUTLET and p.proposed_by in team
            for p in self._uow.proposals.all()
        )


class FakeClientsUnitOfWork(FakeUnitOfWork):
    def _attach(self) -> None:
        self.clients = FakeClients(self, "client")
        self.outlets = FakeOutlets(self, "outlet")
        self.employees = FakeEmployees(self, "employee")
        self.territories = FakeTerritories(self, "territory")
        self.routes = FakeRoutes(self, "route")
        self.visits = InMemoryRepository[Visit](self, "visit")
        self.questionnaires = InMemoryRepository[Questionnaire](self, "questionnaire")
        self.audits = InMemoryRepository[Audit](self, "audit")
        self.proposals = InMemoryRepository[Proposal](self, "proposal")
        self.access = FakeAccessQueries(self)


class FakeBulkRows:
    """`adapters.bulk.BulkRows` in memory: what was flushed is `written`, in order."""

    def __init__(self) -> None:
        self.pending: list[Any] = []
        self.written: list[Any] = []
        self.flushes = 0

    @property
    def buffered(self) -> int:
        return len(self.pending)

    def add(self, aggregate: Any) -> None:
        self.pending.append(aggregate)

    async def flush(self) -> None:
        self.written.extend(self.pending)
        self.pending.clear()
        self.flushes += 1

    async def finish(self, *, analyze: bool = True) -> None:
        await self.flush()

    def of(self, kind: type) -> list[Any]:
        return [a for a in self.written if isinstance(a, kind)]
