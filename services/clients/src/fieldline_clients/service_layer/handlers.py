"""Use cases of the clients & territory context.

Each one runs inside an open unit of work (the entrypoint owns the transaction, so the
idempotency record and the effects commit together): it loads what it needs through
`uow.<repository>`, lets the domain decide, and saves. Use cases never build protos, never see
a database session and never commit. A create whose id exists already returns what exists (a
retried request changes nothing). Use cases that act on scoped data or record who acted take
the caller's `access.Access`: they load through `access` (out of scope: PERMISSION_DENIED for
a write, nothing written) and record `access.actor`.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

from fieldline_clients.adapters.repository import ClientsUnitOfWork, ExternalRepository
from fieldline_clients.domain.calls import Call
from fieldline_clients.domain.fieldwork import Audit, Proposal, Questionnaire, Visit
from fieldline_clients.domain.model import (
    Client,
    Employee,
    Outlet,
    OutletStatus,
    Route,
    RouteAgentPeriod,
    RouteAssignment,
    Territory,
    client_id_for,
    employee_id_for,
    external_key,
    optional_external_key,
    period_in_force,
    require_distributor_client,
)
from fieldline_clients.domain.values import optional_id, require_id
from fieldline_clients.service_layer import access as scope
from fieldline_clients.service_layer import commands as c
from fieldline_clients.service_layer.access import Access
from fieldline_kit.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)

T = TypeVar("T", Employee, Route)


# ------------------------------------------------------------------------------ clients
async def create_client(uow: ClientsUnitOfWork, now: datetime, cmd: c.CreateClient) -> Client:
    client = Client.create(cmd.id, cmd.name, cmd.inn, cmd.kpp, cmd.type, cmd.legal_address, now)
    existing = await uow.clients.find(client.id)
    if existing is not None:
        return existing
    await uow.clients.add(client)
    return client


async def update_client(uow: ClientsUnitOfWork, now: datetime, cmd: c.UpdateClient) -> Client:
    client = await uow.clients.get(require_id("client.id", cmd.id), field="client.id")
    client.update(cmd.changes, cmd.mask, cmd.expected_version, now)
    await uow.clients.save(client)
    return client


class UpsertOutcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ClientUpserted:
    client: Client  # as stored after the call
    outcome: UpsertOutcome


# Refused items listed in an error after the first (the rest only counted): a gRPC status
# message travels in a header, which must stay small.
LISTED_REFUSALS = 9


async def upsert_clients(
    uow: ClientsUnitOfWork, now: datetime, cmd: c.UpsertClients
) -> list[ClientUpserted]:
    """The ERP's counterparties as clients, keyed by external id, one result per item in order.

    Every item is judged before anything is written: its external id (required, at most once in
    the batch), its fields as CreateClient judges a client's (errors name `clients[<i>].<field>`)
    and its derived id (not another client's). Any item refused: InvalidArgument naming them
    all (the first, then up to LISTED_REFUSALS more), nothing written. Then a new external id
    makes a client (id `client_id_for(external_id)`, ClientCreated); a known one takes the
    item's fields, moving its version with ClientChanged only if one of them differs.
    """
    if not cmd.clients:
        raise InvalidArgument("clients", "at least one client is required")
    refused: list[tuple[int, str]] = []
    wanted: list[tuple[int, str, dict[str, Any]]] = []
    first: dict[str, int] = {}  # external id → the first item with it
    for i, item in enumerate(cmd.clients):
        path = f"clients[{i}]"
        try:
            key = Client.external_key(f"{path}.external_id", item.external_id)
            if key in first:
                raise InvalidArgument(
                    f"{path}.external_id", f"{key!r} is also clients[{first[key]}]"
                )
            first[key] = i
            fields = Client.validated(
                item.name, item.inn, item.kpp, item.type, item.legal_address, path
            )
        except DomainError as exc:
            refused.append((i, exc.message))
            continue
        wanted.append((i, key, fields))
    stored = await uow.clients.by_external_ids([key for _, key, _ in wanted])
    new = {client_id_for(key): (i, key) for i, key, _ in wanted if key not in stored}
    for i, key in await _derived_ids_taken(uow.clients, new, stored):
        client_id = client_id_for(key)
        problem = f"the id derived from {key!r}, {client_id}, is another client's"
        refused.append((i, f"clients[{i}].external_id: {problem}"))
    if refused:
        raise _refusal(sorted(refused))
    results = []
    for _, key, fields in wanted:
        current = stored.get(key)
        if current is None:
            client = Client.of_external(key, fields, now)
            await uow.clients.add(client)
            results.append(ClientUpserted(client, UpsertOutcome.CREATED))
        elif current.revise(fields, now):
            await uow.clients.save(current)
            results.append(ClientUpserted(current, UpsertOutcome.UPDATED))
        else:
            results.append(ClientUpserted(current, UpsertOutcome.UNCHANGED))
    return results


async def _derived_ids_taken(
    repository: Any, new: dict[str, tuple[int, str]], stored: dict[str, Any]
) -> list[tuple[int, str]]:
    """The new items (derived id → (index, external id)) whose derived id another aggregate
    holds: one made under that very id (CreateClient, CreateEmployee). A concurrent upsert of
    the same external id may also have committed since `stored` was read (these reads are not
    one snapshot): its aggregate is the item's own, and goes into `stored`."""
    taken = [new[taken_id] for taken_id in await repository.ids_taken(new)]
    if taken:
        stored.update(await repository.by_external_ids([key for _, key in taken]))
    return [(i, key) for i, key in taken if key not in stored]


class ItemsNotFound(NotFound):
    """A batch refused because every item it refused names something that does not exist
    (NOT_FOUND); the message is `_refusal`'s."""

    def __init__(self, message: str) -> None:
        DomainError.__init__(self, message)
        self.entity = self.entity_id = ""
        self.field = None


def _refusal(refused: list[tuple[int, str]], *, missing: bool = False) -> DomainError:
    """One error for the refused items (by index): the first's field and problem, then how
    many others, the first LISTED_REFUSALS of them listed. InvalidArgument, or (`missing`:
    every refused item names what does not exist) ItemsNotFound."""
    field, _, problem = refused[0][1].partition(": ")
    others = [message for _, message in refused[1:]]
    listed = "; ".join(others[:LISTED_REFUSALS]) + ("; …" if len(others) > LISTED_REFUSALS else "")
    more = f" (and {len(others)} more: {listed})" if others else ""
    if missing:
        return ItemsNotFound(f"{field}: {problem}{more}; nothing was changed")
    return InvalidArgument(field, f"{problem}{more}; nothing was changed")


# ------------------------------------------------------------------------------ outlets
async def _territory_id(uow: ClientsUnitOfWork, territory_id: str, field: str) -> str:
    tid = optional_id(field, territory_id)
    if tid and await uow.territories.find(tid) is None:
        raise NotFound("territory", tid, field)
    return tid


async def create_outlet(
    uow: ClientsUnitOfWork, now: datetime, cmd: c.CreateOutlet, access: Access
) -> Outlet:
    outlet_id = require_id("outlet.id", cmd.id)
    existing = await uow.outlets.find(outlet_id)
    if existing is not None:
        return existing
    client_id = require_id("outlet.client_id", cmd.client_id)
    await uow.clients.get(client_id, field="outlet.client_id")
    tid = await _territory_id(uow, cmd.territory_id, "outlet.territory_id")
    outlet = Outlet.create(outlet_id, client_id, cmd.card, tid, access.actor, now)
    await uow.outlets.add(outlet)
    return outlet


async def update_outlet_card(
    uow: ClientsUnitOfWork, now: datetime, cmd: c.UpdateOutletCard, access: Access
) -> Outlet:
    outlet = await scope.outlet(uow, access, cmd.outlet_id, write=True)
    outlet.update_card(cmd.card, cmd.mask, cmd.expected_version, access.actor, now)
    await uow.outlets.save(outlet)
    return outlet


async def set_outlet_status(
    uow: ClientsUnitOfWork, now: datetime, cmd: c.SetOutletStatus, access: Access
) -> Outlet:
    status = settable_status(cmd.status)
    outlet = await scope.outlet(uow, access, cmd.outlet_id, write=True)
    outlet.change_status(status, access.actor, now, cmd.expected_version)
    await uow.outlets.save(outlet)
    return outlet


def settable_status(status: OutletStatus | None) -> OutletStatus:
    """The statuses a caller may set; PENDING and REJECTED come from census decisions only."""
    if status not in (OutletStatus.ACTIVE, OutletStatus.CLOSED):
        raise InvalidArgument("status", "must be ACTIVE or CLOSED (census decides the others)")
    return status


# ------------------------------------------------------------------------------- census
async def propose_outlet(
    uow: ClientsUnitOfWork, now: datetime, cmd: c.ProposeOutlet, access: Access
) -> Proposal:
    pid = require_id("proposal_id", cmd.proposal_id)
    existing = await uow.proposals.find(pid)
    if existing is not None:
        if not access.sees(existing.proposed_by):
            raise access.refused("proposal", pid, "proposal_id", write=True)
        return existing
    proposer = await scope.caller(uow, access)
    client_id = require_id("client_id", cmd.client_id)
    await uow.clients.get(client_id, field="client_id")
    oid = require_id("outlet_id", cmd.outlet_id)
    if await uow.outlets.find(oid) is not None:
        raise AlreadyExists(f"outlet {oid} already exists")
    outlet = Outlet.create(
        oid, client_id, cmd.card, proposer.territory_id, proposer.id, now, OutletStatus.PENDING
    )
    proposal = Proposal.new_outlet(pid, proposer, outlet, now)
    await uow.outlets.add(outlet)
    await uow.proposals.add(proposal)
    return proposal


async def propose_card_change(
    uow: ClientsUnitOfWork, now: datetime, cmd: c.ProposeCardChange, access: Access
) -> Proposal:
    pid = require_id("proposal_id", cmd.proposal_id)
    existing = await uow.proposals.find(pid)
    if existing is not None:
        if not access.sees(existing.proposed_by):
            raise access.refused("proposal", pid, "proposal_id", write=True)
        return existing
    proposer = await scope.caller(uow, access)
    outlet = await scope.outlet(uow, access, cmd.outlet_id, write=True)
    proposal = Proposal.card_change(pid, proposer, outlet, cmd.card, cmd.mask, now)
    await uow.proposals.add(proposal)
    return proposal


async def decide_proposal(
    uow: ClientsUnitOfWork, now: datetime, cmd: c.DecideProposal, access: Access
) -> Proposal:
    if cmd.approve is None:
        raise InvalidArgument("decision", "must be APPROVE or REJECT")
    proposal = await scope.proposal(uow, access, cmd.proposal_id, write=True)
    decider = await scope.caller(uow, access)
    outlet = await uow.outlets.get(proposal.outlet_id, field="proposal.outlet_id")
    proposal.decide(cmd.approve, decider, cmd.reason, outlet, now)
    await uow.outlets.save(outlet)
    await uow.proposals.save(proposal)
    return proposal


# --------------------------------------------------------------------- people, territory
async def create_employee(uow: ClientsUnitOfWork, cmd: c.CreateEmployee) -> Employee:
    eid = require_id("employee.id", cmd.id)
    existing = await uow.employees.find(eid)
    if existing is not None:
        return existing
    employee = Employee.create(
        eid,
        cmd.full_name,
        cmd.roles,
        await _territory_id(uow, cmd.territory_id, "employee.territory_id"),
        await _supervisor(uow, cmd.supervisor_id),
        await _distributor(uow, cmd.distributor_id),
        cmd.phone,
    )
    await uow.employees.add(employee)
    return employee


async def _supervisor(uow: ClientsUnitOfWork, supervisor_id: str) -> str:
    sid = optional_id("employee.supervisor_id", supervisor_id)
    if sid:
        await uow.employees.get(sid, field="employee.supervisor_id")
    return sid


async def _distributor(
    uow: ClientsUnitOfWork, distributor_id: str, field: str = "employee.distributor_id"
) -> str:
    """An optional distributor named in `field`: '' or a client of type DISTRIBUTOR."""
    did = optional_id(field, distributor_id)
    if did:
        client = await uow.clients.find(did)
        require_distributor_client(field, did, client.type if client else None)
    return did


async def update_employee(uow: ClientsUnitOfWork, cmd: c.UpdateEmployee) -> Employee:
    employee = await uow.employees.get(require_id("employee.id", cmd.id), field="employee.id")
    employee.update(
        cmd.full_name,
        cmd.roles,
        await _territory_id(uow, cmd.territory_id, "employee.territory_id"),
        await _supervisor(uow, cmd.supervisor_id),
        await _distributor(uow, cmd.distributor_id),
        cmd.active,
        cmd.expected_version,
        cmd.phone,
    )
    await uow.employees.save(employee)
    return employee


@dataclass(frozen=True)
class EmployeeUpserted:
    employee: Employee  # as stored after the call
    outcome: UpsertOutcome


# Why an import cannot make a distributor manager: it does not name the distributor.
NO_DISTRIBUTOR = (
    "ROLE_DISTRIBUTOR_MANAGER needs the distributor the employee works for, which an import "
    "does not set: import the employee without it, then give the role and the distributor "
    "with UpdateEmployee (later imports keep the distributor)"
)


async def upsert_employees(
    uow: ClientsUnitOfWork, cmd: c.UpsertEmployees
) -> list[EmployeeUpserted]:
    """The ERP's employees, keyed by external id, one result per item in order.

    Every item is judged before anything is written (errors name `employees[<i>].<field>`):
    its external id (required, at most once in the batch), its own fields
    (`Employee.imported_fields`: no ADMIN, an E.164 phone), its supervisor (an item of the
    batch or an employee upserted before, not itself), its territory (exists, if given), a
    distributor manager's distributor (only a stored employee can have one) and its derived
    id (not another employee's). Any item refused: InvalidArgument naming them all, nothing
    written. Then a new external id makes an employee (id `employee_id_for(external_id)`,
    EmployeeChanged); a known one takes the item's fields (`Employee.imported`: an empty
    territory and its ADMIN role stay), with EmployeeChanged only if one of them differs.
    """
    if not cmd.employees:
        raise InvalidArgument("employees", "at least one employee is required")
    refused: list[tuple[int, str]] = []
    wanted: list[tuple[int, str, dict[str, Any], str]] = []  # index, key, fields, supervisor
    first: dict[str, int] = {}  # external id → the first item with it
    for i, item in enumerate(cmd.employees):
        path = f"employees[{i}]"
        try:
            key = external_key(f"{path}.external_id", item.external_id)
            if key in first:
                raise InvalidArgument(
                    f"{path}.external_id", f"{key!r} is also employees[{first[key]}]"
                )
            first[key] = i
            fields = Employee.imported_fields(
                item.full_name, item.roles, item.active, item.phone, path
            )
            boss = optional_external_key(
                f"{path}.supervisor_external_id", item.supervisor_external_id
            )
            if boss == key:
                raise InvalidArgument(
                    f"{path}.supervisor_external_id", "an employee cannot supervise themselves"
                )
            fields["territory_id"] = optional_id(f"{path}.territory_id", item.territory_id)
        except DomainError as exc:
            refused.append((i, exc.message))
            continue
        wanted.append((i, key, fields, boss))
    stored = await uow.employees.by_external_ids(
        {key for _, key, _, _ in wanted} | {boss for *_, boss in wanted if boss}
    )
    territories = await _existing_territories(uow, {f["territory_id"] for _, _, f, _ in wanted})
    new = {employee_id_for(key): (i, key) for i, key, _, _ in wanted if key not in stored}
    for i, key in await _derived_ids_taken(uow.employees, new, stored):
        employee_id = employee_id_for(key)
        problem = f"the id derived from {key!r}, {employee_id}, is another employee's"
        refused.append((i, f"employees[{i}].external_id: {problem}"))
    for i, key, fields, boss in wanted:
        path = f"employees[{i}]"
        if boss and boss not in first and boss not in stored:
            problem = f"no employee has the external id {boss!r} (in this request or before)"
            refused.append((i, f"{path}.supervisor_external_id: {problem}"))
        territory = fields["territory_id"]
        if territory and territory not in territories:
            refused.append((i, f"{path}.territory_id: territory {territory!r} not found"))
        current = stored.get(key)
        try:
            distributor = current.distributor_id if current else ""
            Employee.require_distributor(
                fields["roles"], distributor, f"{path}.roles", NO_DISTRIBUTOR
            )
        except DomainError as exc:
            refused.append((i, exc.message))
    if refused:
        raise _refusal(sorted(refused))
    results = []
    for _, key, fields, boss in wanted:
        boss_employee = stored.get(boss) if boss else None
        fields["supervisor_id"] = (
            boss_employee.id if boss_employee else employee_id_for(boss) if boss else ""
        )
        current = stored.get(key)
        if current is None:
            employee = Employee.of_external(key, fields)
            await uow.employees.add(employee)
            results.append(EmployeeUpserted(employee, UpsertOutcome.CREATED))
        elif current.revise(current.imported(fields)):
            await uow.employees.save(current)
            results.append(EmployeeUpserted(current, UpsertOutcome.UPDATED))
        else:
            results.append(EmployeeUpserted(current, UpsertOutcome.UNCHANGED))
    return results


async def _existing_territories(uow: ClientsUnitOfWork, ids: Collection[str]) -> set[str]:
    """Those of `ids` (ignoring "") that are a territory's (an import names few)."""
    return {t for t in ids if t and await uow.territories.find(t) is not None}


async def create_territory(uow: ClientsUnitOfWork, cmd: c.CreateTerritory) -> Territory:
    parent_id = await _territory_id(uow, cmd.parent_id, "territory.parent_id")
    territory = Territory.create(cmd.id, cmd.name, parent_id)
    existing = await uow.territories.find(territory.id)
    if existing is not None:
        return existing
    await uow.territories.add(territory)
    return territory


async def create_route(uow: ClientsUnitOfWork, cmd: c.CreateRoute, access: Access) -> Route:
    """A route worked by an employee the caller sees; one made with the ERP's id has the id
    derived from it (`Route.identity`): made again, it is found, not made twice."""
    rid, external_id = Route.identity(cmd.id, cmd.external_id)
    existing = await uow.routes.find(rid)
    if existing is not None:
        if not access.sees(existing.agent_id):
            raise access.refused("route", rid, "route.id", write=True)
        return existing
    agent_id = require_id("route.agent_id", cmd.agent_id)
    if not access.sees(agent_id):  # a supervisor makes routes for its team only
        raise access.refused("employee", agent_id, "route.agent_id", write=True)
    agent = await uow.employees.get(agent_id, field="route.agent_id")
    tid = await _territory_id(uow, cmd.territory_id, "route.territory_id")
    route = Route.create(rid, cmd.name, tid, agent, external_id, cmd.kind)
    await uow.routes.add(route)
    return route


@dataclass(frozen=True)
class AgentsScheduled:
    periods: list[tuple[RouteAgentPeriod, UpsertOutcome]]  # one per period asked, in order
    routes: list[Route]  # each route named, once, as it is after the call


async def schedule_route_agents(
    uow: ClientsUnitOfWork, today: date, cmd: c.ScheduleRouteAgents
) -> AgentsScheduled:
    """Store who works which route from a day to a day, and move each route named to the
    employee of its period in force `today` (the service's current date).

    Every period is judged before anything is written (errors name `periods[<i>].<field>`):
    exactly one of route_id / route_external_id and of employee_id / employee_external_id,
    naming a route and an employee that exist; the dates (`RouteAgentPeriod.of`); the employee
    an AGENT or VAN_SELLER, a TELESELLER for a PHONE route (`Employee.require_route_agent`;
    active, unless the period is over before `today`); each route and start day once in the
    batch. Any period refused: nothing written, ItemsNotFound when each refused period names
    something missing, else InvalidArgument. Then each period is stored (a stored one with its
    route and start day is replaced) and each route named follows its period in force
    (`_follow_periods`).
    """
    if not cmd.periods:
        raise InvalidArgument("periods", "at least one period is required")
    refused: list[tuple[int, str]] = []
    missing: set[int] = set()  # refused for naming a route or employee that does not exist
    named: list[tuple[int, _Ref, _Ref, c.RouteAgentPeriodInput]] = []
    for i, item in enumerate(cmd.periods):
        path = f"periods[{i}]"
        try:
            route_ref = _Ref.of(path, "route", item.route_id, item.route_external_id)
            employee_ref = _Ref.of(path, "employee", item.employee_id, item.employee_external_id)
            RouteAgentPeriod.of(
                route_ref.key, employee_ref.key, item.valid_from, item.valid_to, path
            )
        except DomainError as exc:
            refused.append((i, exc.message))
            continue
        named.append((i, route_ref, employee_ref, item))
    routes = await _by_refs(uow.routes, [r for _, r, _, _ in named])
    employees = await _by_refs(uow.employees, [e for _, _, e, _ in named])
    periods: list[RouteAgentPeriod] = []
    touched: dict[str, Route] = {}  # the routes named, in order
    starts: dict[tuple[str, date], int] = {}  # (route, start day) → the first period with it
    for i, route_ref, employee_ref, item in named:
        path = f"periods[{i}]"
        route, employee = routes.get(route_ref), employees.get(employee_ref)
        for ref, found, entity in (
            (route_ref, route, "route"),
            (employee_ref, employee, "employee"),
        ):
            if found is None:
                refused.append((i, NotFound(entity, ref.key, ref.field).message))
                missing.add(i)
        if route is None or employee is None:
            continue
        period = RouteAgentPeriod.of(route.id, employee.id, item.valid_from, item.valid_to, path)
        try:
            employee.require_route_agent(
                employee_ref.field, active=not period.over_before(today), kind=route.kind
            )
            if period.key in starts:
                raise InvalidArgument(
                    f"{path}.valid_from",
                    f"route {route.id} has another period starting {period.valid_from} "
                    f"at periods[{starts[period.key]}]",
                )
        except DomainError as exc:
            refused.append((i, exc.message))
            continue
        starts[period.key] = i
        periods.append(period)
        touched.setdefault(route.id, route)
    if refused:
        by_index = sorted(refused, key=lambda r: r[0])  # an item's fields in the order judged
        raise _refusal(by_index, missing={i for i, _ in refused} <= missing)
    stored = await uow.routes.periods_starting([p.key for p in periods])
    done = []
    for period in periods:
        before = stored.get(period.key)
        if before == period:
            done.append((period, UpsertOutcome.UNCHANGED))
            continue
        await uow.routes.put_period(period)
        done.append((period, UpsertOutcome.UPDATED if before else UpsertOutcome.CREATED))
    await _follow_periods(uow, list(touched.values()), today)
    return AgentsScheduled(done, list(touched.values()))


@dataclass(frozen=True)
class _Ref:
    """A route or an employee as a request names it: by its id or by the ERP's id."""

    field: str  # the request's field naming it
    key: str  # the id or the external id, as stored
    external: bool

    @classmethod
    def of(cls, path: str, what: str, id_: str, external_id: str) -> _Ref:
        """Exactly one of `<path>.<what>_id` and `<path>.<what>_external_id`."""
        id_field, external_field = f"{path}.{what}_id", f"{path}.{what}_external_id"
        given = bool((external_id or "").strip())
        if id_ and given:
            raise InvalidArgument(external_field, f"give {what}_id or {what}_external_id, not both")
        if id_:
            return cls(id_field, require_id(id_field, id_), False)
        if given:
            return cls(external_field, external_key(external_field, external_id), True)
        raise InvalidArgument(id_field, f"is required: give {what}_id or {what}_external_id")


async def _by_refs(repository: ExternalRepository[T], refs: Sequence[_Ref]) -> dict[_Ref, T]:
    """What each of `refs` names and exists, loaded once however often and however named."""
    by_id = await repository.by_ids({r.key for r in refs if not r.external})
    by_external = await repository.by_external_ids({r.key for r in refs if r.external})
    for key, aggregate in by_external.items():
        by_external[key] = by_id.setdefault(aggregate.id, aggregate)
    out = {}
    for ref in refs:
        found = (by_external if ref.external else by_id).get(ref.key)
        if found is not None:
            out[ref] = found
    return out


async def _follow_periods(uow: ClientsUnitOfWork, routes: Sequence[Route], today: date) -> int:
    """Each route to the employee of its period in force `today` (`period_in_force`; with none
    in force it keeps its agent); how many moved (each with RouteChanged)."""
    covering = await uow.routes.periods_covering([r.id for r in routes], today)
    moved = 0
    for route in routes:
        in_force = period_in_force(covering.get(route.id, ()), today)
        if in_force is not None and route.hand_over(in_force.employee_id):
            await uow.routes.save(route)
            moved += 1
    return moved


# How many routes one step of the roll-over judges (one transaction).
ROLL_OVER_STEP = 200


async def roll_route_agents(
    uow: ClientsUnitOfWork, today: date, after: str = "", limit: int = ROLL_OVER_STEP
) -> tuple[int, str]:
    """One step of the daily roll-over: the next `limit` routes (by id, after `after`) a period
    covering `today` names another employee for, each following its period in force.
    (Routes moved, the last route id judged: "" when there was none left — done.)"""
    ids = await uow.routes.handover_candidates(today, after, limit)
    if not ids:
        return 0, ""
    routes = await uow.routes.by_ids(ids)
    moved = await _follow_periods(uow, [routes[i] for i in ids if i in routes], today)
    return moved, ids[-1]


def assignment_of(cmd: c.SetRouteAssignment) -> RouteAssignment:
    return RouteAssignment.of(
        cmd.route_id, cmd.outlet_id, cmd.frequency, cmd.weekdays, cmd.start_date, cmd.sequence
    )


def require_routable(outlet_id: str, status: OutletStatus) -> None:
    if status is not OutletStatus.ACTIVE:
        raise FailedPrecondition(
            f"outlet {outlet_id} is {status.name}; only ACTIVE outlets go on routes"
        )


async def set_route_assignment(
    uow: ClientsUnitOfWork, cmd: c.SetRouteAssignment, access: Access
) -> tuple[RouteAssignment, Route]:
    """Put an outlet on a route: for a supervisor, a route of its team and an outlet it sees
    (new outlets come onto routes through census or an ADMIN). The assignment, and its route
    (whose version every change of an assignment moves)."""
    assignment = assignment_of(cmd)
    route = await scope.route(uow, access, assignment.route_id, "assignment.route_id", write=True)
    outlet = await scope.outlet(
        uow, access, assignment.outlet_id, "assignment.outlet_id", write=True
    )
    require_routable(outlet.id, outlet.status)
    if await uow.routes.find_assignment(route.id, outlet.id) == assignment:
        return assignment, route  # already so: nothing changes, no event
    await uow.routes.put_assignment(assignment)
    route.assignment_changed(assignment)
    await uow.routes.save(route)
    return assignment, route


async def remove_route_assignment(
    uow: ClientsUnitOfWork, cmd: c.RemoveRouteAssignment, access: Access
) -> None:
    route = await scope.route(uow, access, cmd.route_id, write=True)
    current = await uow.routes.find_assignment(route.id, require_id("outlet_id", cmd.outlet_id))
    if current is None:
        return  # removing what is not there is a no-op, so retries are harmless
    await uow.routes.remove_assignment(current)
    route.assignment_changed(current, removed=True)
    await uow.routes.save(route)


# ------------------------------------------------------------------------------ visits
async def check_in(
    uow: ClientsUnitOfWork, cmd: c.CheckIn, access: Access, *, radius_m: float
) -> Visit:
    """Start a visit of the caller (or, by ADMIN/SERVICE, of a named agent) at an outlet the
    caller sees."""
    vid = require_id("visit_id", cmd.visit_id)
    agent = await _visiting_agent(uow, access, cmd.for_agent_id)
    outlet = await scope.outlet(uow, access, cmd.outlet_id, write=True)
    existing = await _same_visit(uow, vid, agent, outlet)
    if existing is not None:
        return existing
    visit = Visit.start(vid, agent, outlet, cmd.time, cmd.location, cmd.day, radius_m)
    await uow.visits.add(visit)
    return visit


async def _visiting_agent(uow: ClientsUnitOfWork, access: Access, named: str) -> Employee:
    """The agent of a visit being recorded: the caller, or the one an ADMIN/SERVICE names."""
    agent_id = access.agent(named, "for_agent_id")
    if agent_id == access.actor:
        return await scope.caller(uow, access)
    return await uow.employees.get(require_id("for_agent_id", agent_id), field="for_agent_id")


async def _same_visit(
    uow: ClientsUnitOfWork, visit_id: str, agent: Employee, outlet: Outlet
) -> Visit | None:
    """The visit already recorded under `visit_id` (a retry), or None; another agent's or
    outlet's visit under that id is refused."""
    existing = await uow.visits.find(visit_id)
    if existing is not None and not existing.same_start(agent.id, outlet.id):
        raise AlreadyExists(f"visit {visit_id} exists for another agent or outlet")
    return existing


async def check_out(
    uow: ClientsUnitOfWork, cmd: c.CheckOut, access: Access, *, radius_m: float
) -> Visit:
    visit = await scope.visit(uow, access, cmd.visit_id, write=True)
    outlet = await uow.outlets.get(visit.outlet_id, field="visit.outlet_id")
    visit.finish(outlet, cmd.time, cmd.location, cmd.outcome, cmd.notes, radius_m)
    await uow.visits.save(visit)
    return visit


async def record_missed_visit(
    uow: ClientsUnitOfWork, cmd: c.RecordMissedVisit, access: Access
) -> Visit:
    vid = require_id("visit_id", cmd.visit_id)
    agent = await _visiting_agent(uow, access, cmd.for_agent_id)
    outlet = await scope.outlet(uow, access, cmd.outlet_id, write=True)
    existing = await _same_visit(uow, vid, agent, outlet)
    if existing is not None:
        return existing
    visit = Visit.missed(vid, agent, outlet, cmd.day, cmd.reason)
    await uow.visits.add(visit)
    return visit


# ------------------------------------------------------------------------------- calls
async def record_call(
    uow: ClientsUnitOfWork, now: datetime, zone: tzinfo, cmd: c.RecordCall, access: Access
) -> Call:
    """Record a call of the caller (or, by ADMIN/SERVICE, of a named teleseller) to an outlet
    of its call lists. The call's form is judged first (`Call.drafted`); a call recorded under
    its id already is answered when it is the same call (a retry), else ALREADY_EXISTS; then
    the teleseller and the outlet (`Call.record`). `zone`: the company's (the day of the call
    when not given)."""
    teleseller_id = access.agent(cmd.for_teleseller_id, "for_teleseller_id", "calls")
    draft = Call.drafted(
        cmd.id,
        teleseller_id,
        cmd.outlet_id,
        cmd.day,
        cmd.started_at,
        cmd.ended_at,
        cmd.outcome,
        cmd.call_back_at,
        cmd.reason,
        cmd.notes,
        now,
        zone,
    )
    existing = await uow.calls.find(draft.id)
    if existing is not None:
        if not access.acts_for(existing.teleseller_id):
            raise access.refused("call", draft.id, "call.id", write=True)
        if not existing.same_call(draft):
            raise AlreadyExists(f"call {draft.id} exists with other content")
        return existing
    if teleseller_id == access.actor:
        teleseller = await scope.caller(uow, access)
    else:
        teleseller = await uow.employees.get(
            require_id("for_teleseller_id", teleseller_id), field="for_teleseller_id"
        )
    on_route = await uow.routes.on_phone_route(teleseller.id, draft.outlet_id)
    outlet = await uow.outlets.find(draft.outlet_id) if on_route else None
    draft.record(teleseller, outlet, on_route)
    await uow.calls.add(draft)
    return draft


# ------------------------------------------------------------------------------ audits
QUESTIONNAIRE_DISTRIBUTOR = "questionnaire.distributor_id"


async def create_questionnaire(uow: ClientsUnitOfWork, cmd: c.CreateQuestionnaire) -> Questionnaire:
    q = Questionnaire.create(
        cmd.id, cmd.name, cmd.questions, cmd.must_stock_skus, cmd.distributor_id
    )
    existing = await uow.questionnaires.find(q.id)
    if existing is not None:
        return existing
    await _distributor(uow, q.distributor_id, QUESTIONNAIRE_DISTRIBUTOR)
    await uow.questionnaires.add(q)
    return q


async def update_questionnaire(uow: ClientsUnitOfWork, cmd: c.UpdateQuestionnaire) -> Questionnaire:
    q = await uow.questionnaires.get(
        require_id("questionnaire.id", cmd.id), field="questionnaire.id"
    )
    tagged = q.distributor_id
    q.update(cmd.name, cmd.questions, cmd.must_stock_skus, cmd.expected_version, cmd.distributor_id)
    if q.distributor_id != tagged:  # a new tag; the one it has is not judged again
        await _distributor(uow, q.distributor_id, QUESTIONNAIRE_DISTRIBUTOR)
    await uow.questionnaires.save(q)
    return q


async def submit_audit(
    uow: ClientsUnitOfWork, now: datetime, cmd: c.SubmitAudit, access: Access
) -> Audit:
    """An audit of a visit of the caller's own (any visit, for ADMIN/SERVICE)."""
    aid = require_id("audit.id", cmd.id)
    existing = await uow.audits.find(aid)
    if existing is not None:
        if not access.acts_for(existing.agent_id):
            raise access.refused("audit", aid, "audit.id", write=True)
        return existing
    visit = await scope.visit(uow, access, cmd.visit_id, "audit.visit_id", write=True)
    if cmd.agent_id and cmd.agent_id != visit.agent_id:
        raise InvalidArgument("audit.agent_id", f"visit {visit.id} belongs to another agent")
    if cmd.outlet_id and cmd.outlet_id != visit.outlet_id:
        raise InvalidArgument("audit.outlet_id", f"visit {visit.id} is at another outlet")
    questionnaire = await uow.questionnaires.get(
        require_id("audit.questionnaire_id", cmd.questionnaire_id), field="audit.questionnaire_id"
    )
    distributor_id = Audit.distributor_for(questionnaire, cmd.distributor_id)
    if distributor_id != questionnaire.distributor_id:  # named for an untagged questionnaire
        await _distributor(uow, distributor_id, "audit.distributor_id")
    audit = Audit.submit(
        aid,
        visit,
        questionnaire,
        cmd.answers,
        cmd.must_stock,
        cmd.competitor_prices,
        now,
        cmd.performed_at,
        distributor_id,
    )
    await uow.audits.add(audit)
    return audit
