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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.domain.fieldwork import Audit, Proposal, Questionnaire, Visit
from fieldline_clients.domain.model import (
    Client,
    ClientType,
    Employee,
    Outlet,
    OutletStatus,
    Route,
    RouteAssignment,
    Territory,
    client_id_for,
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
    # Only a client made under that very id (CreateClient) can hold a derived id already.
    for client_id in await uow.clients.ids_taken(new):
        i, key = new[client_id]
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


def _refusal(refused: list[tuple[int, str]]) -> InvalidArgument:
    """One InvalidArgument for the refused items (by index): the first's field and problem,
    then how many others, the first LISTED_REFUSALS of them listed."""
    field, _, problem = refused[0][1].partition(": ")
    others = [message for _, message in refused[1:]]
    listed = "; ".join(others[:LISTED_REFUSALS]) + ("; …" if len(others) > LISTED_REFUSALS else "")
    more = f" (and {len(others)} more: {listed})" if others else ""
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
    )
    await uow.employees.add(employee)
    return employee


async def _supervisor(uow: ClientsUnitOfWork, supervisor_id: str) -> str:
    sid = optional_id("employee.supervisor_id", supervisor_id)
    if sid:
        await uow.employees.get(sid, field="employee.supervisor_id")
    return sid


async def _distributor(uow: ClientsUnitOfWork, distributor_id: str) -> str:
    did = optional_id("employee.distributor_id", distributor_id)
    if did:
        client = await uow.clients.get(did, field="employee.distributor_id")
        if client.type is not ClientType.DISTRIBUTOR:
            raise InvalidArgument("employee.distributor_id", f"client {did} is not a distributor")
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
    )
    await uow.employees.save(employee)
    return employee


async def create_territory(uow: ClientsUnitOfWork, cmd: c.CreateTerritory) -> Territory:
    parent_id = await _territory_id(uow, cmd.parent_id, "territory.parent_id")
    territory = Territory.create(cmd.id, cmd.name, parent_id)
    existing = await uow.territories.find(territory.id)
    if existing is not None:
        return existing
    await uow.territories.add(territory)
    return territory


async def create_route(uow: ClientsUnitOfWork, cmd: c.CreateRoute, access: Access) -> Route:
    rid = require_id("route.id", cmd.id)
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
    route = Route.create(rid, cmd.name, tid, agent)
    await uow.routes.add(route)
    return route


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


# ------------------------------------------------------------------------------ audits
async def create_questionnaire(uow: ClientsUnitOfWork, cmd: c.CreateQuestionnaire) -> Questionnaire:
    q = Questionnaire.create(cmd.id, cmd.name, cmd.questions, cmd.must_stock_skus)
    existing = await uow.questionnaires.find(q.id)
    if existing is not None:
        return existing
    await uow.questionnaires.add(q)
    return q


async def update_questionnaire(uow: ClientsUnitOfWork, cmd: c.UpdateQuestionnaire) -> Questionnaire:
    q = await uow.questionnaires.get(
        require_id("questionnaire.id", cmd.id), field="questionnaire.id"
    )
    q.update(cmd.name, cmd.questions, cmd.must_stock_skus, cmd.expected_version)
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
    audit = Audit.submit(
        aid,
        visit,
        questionnaire,
        cmd.answers,
        cmd.must_stock,
        cmd.competitor_prices,
        now,
        cmd.performed_at,
    )
    await uow.audits.add(audit)
    return audit
