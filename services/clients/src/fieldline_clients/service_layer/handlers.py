"""Use cases of the clients & territory context.

Each handler runs inside an open unit of work (the entrypoint owns the transaction, so the
idempotency record and the effects commit together), loads what it needs, lets the domain
decide, and saves. Handlers never build protos and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.domain.fieldwork import (
    AnswerInput,
    Audit,
    CompetitorPrice,
    MustStockCheck,
    Proposal,
    Questionnaire,
    QuestionType,
    Visit,
    VisitOutcome,
)
from fieldline_clients.domain.model import (
    Client,
    ClientType,
    Employee,
    Outlet,
    OutletCard,
    OutletStatus,
    Role,
    Route,
    RouteAssignment,
    Territory,
    VisitFrequency,
)
from fieldline_clients.domain.values import Location, optional_id, require_id, require_text
from fieldline_kit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound


# ------------------------------------------------------------------------------ clients
async def create_client(
    uow: ClientsUnitOfWork,
    now: datetime,
    *,
    id: str,
    name: str,
    inn: str,
    kpp: str,
    type_: ClientType | None,
    legal_address: str,
) -> Client:
    client = Client.create(id, name, inn, kpp, type_, legal_address, now)
    existing = await uow.clients.find(client.id)
    if existing is not None:
        return existing  # a retried create returns the original
    await uow.clients.add(client)
    return client


async def update_client(
    uow: ClientsUnitOfWork,
    now: datetime,
    client_id: str,
    changes: dict[str, Any],
    mask: Sequence[str],
    expected_version: int,
) -> Client:
    client = await uow.clients.get(require_id("client.id", client_id), "client.id")
    client.update(changes, mask, expected_version, now)
    await uow.clients.save(client)
    return client


# ------------------------------------------------------------------------------ outlets
async def _territory_id(uow: ClientsUnitOfWork, territory_id: str, field: str) -> str:
    tid = optional_id(field, territory_id)
    if tid and await uow.territories.find(tid) is None:
        raise NotFound("territory", tid, field)
    return tid


async def create_outlet(
    uow: ClientsUnitOfWork,
    now: datetime,
    *,
    id: str,
    client_id: str,
    card: OutletCard,
    territory_id: str,
    actor: str,
) -> Outlet:
    outlet_id = require_id("outlet.id", id)
    existing = await uow.outlets.find(outlet_id)
    if existing is not None:
        return existing
    await uow.clients.get(require_id("outlet.client_id", client_id), "outlet.client_id")
    tid = await _territory_id(uow, territory_id, "outlet.territory_id")
    outlet = Outlet.create(outlet_id, client_id, card, tid, actor, now)
    await uow.outlets.add(outlet)
    return outlet


async def update_outlet_card(
    uow: ClientsUnitOfWork,
    now: datetime,
    *,
    outlet_id: str,
    card: OutletCard,
    mask: Sequence[str],
    expected_version: int,
    actor: str,
) -> Outlet:
    outlet = await uow.outlets.get(require_id("outlet_id", outlet_id))
    outlet.update_card(card, mask, expected_version, actor, now)
    await uow.outlets.save(outlet)
    return outlet


async def set_outlet_status(
    uow: ClientsUnitOfWork,
    now: datetime,
    *,
    outlet_id: str,
    status: OutletStatus | None,
    expected_version: int,
    actor: str,
) -> Outlet:
    if status not in (OutletStatus.ACTIVE, OutletStatus.CLOSED):
        raise InvalidArgument("status", "must be ACTIVE or CLOSED (census decides the others)")
    outlet = await uow.outlets.get(require_id("outlet_id", outlet_id))
    outlet.change_status(status, actor, now, expected_version)
    await uow.outlets.save(outlet)
    return outlet


# ------------------------------------------------------------------------------- census
async def propose_outlet(
    uow: ClientsUnitOfWork,
    now: datetime,
    *,
    proposal_id: str,
    outlet_id: str,
    client_id: str,
    card: OutletCard,
    actor: str,
) -> Proposal:
    pid = require_id("proposal_id", proposal_id)
    existing = await uow.proposals.find(pid)
    if existing is not None:
        return existing
    proposer = await uow.employees.get(require_id("actor_id", actor), "actor_id")
    await uow.clients.get(require_id("client_id", client_id), "client_id")
    oid = require_id("outlet_id", outlet_id)
    if await uow.outlets.find(oid) is not None:
        raise AlreadyExists(f"outlet {oid} already exists")
    outlet = Outlet.create(
        oid, client_id, card, proposer.territory_id, proposer.id, now, OutletStatus.PENDING
    )
    proposal = Proposal.new_outlet(pid, proposer, outlet, now)
    await uow.outlets.add(outlet)
    await uow.proposals.add(proposal)
    return proposal


async def propose_card_change(
    uow: ClientsUnitOfWork,
    now: datetime,
    *,
    proposal_id: str,
    outlet_id: str,
    card: OutletCard,
    mask: Sequence[str],
    actor: str,
) -> Proposal:
    pid = require_id("proposal_id", proposal_id)
    existing = await uow.proposals.find(pid)
    if existing is not None:
        return existing
    proposer = await uow.employees.get(require_id("actor_id", actor), "actor_id")
    outlet = await uow.outlets.get(require_id("outlet_id", outlet_id))
    proposal = Proposal.card_change(pid, proposer, outlet, card, mask, now)
    await uow.proposals.add(proposal)
    return proposal


async def decide_proposal(
    uow: ClientsUnitOfWork,
    now: datetime,
    *,
    proposal_id: str,
    approve: bool | None,
    reason: str,
    actor: str,
) -> Proposal:
    if approve is None:
        raise InvalidArgument("decision", "must be APPROVE or REJECT")
    proposal = await uow.proposals.get(require_id("proposal_id", proposal_id))
    decider = await uow.employees.get(require_id("actor_id", actor), "actor_id")
    outlet = await uow.outlets.get(proposal.outlet_id, "proposal.outlet_id")
    proposal.decide(approve, decider, reason, outlet, now)
    await uow.outlets.save(outlet)
    await uow.proposals.save(proposal)
    return proposal


# --------------------------------------------------------------------- people, territory
async def create_employee(
    uow: ClientsUnitOfWork,
    *,
    id: str,
    full_name: str,
    roles: Sequence[Role | None],
    territory_id: str,
    supervisor_id: str,
    distributor_id: str,
) -> Employee:
    eid = require_id("employee.id", id)
    existing = await uow.employees.find(eid)
    if existing is not None:
        return existing
    employee = Employee.create(
        eid,
        full_name,
        roles,
        await _territory_id(uow, territory_id, "employee.territory_id"),
        await _supervisor(uow, supervisor_id),
        await _distributor(uow, distributor_id),
    )
    await uow.employees.add(employee)
    return employee


async def _supervisor(uow: ClientsUnitOfWork, supervisor_id: str) -> str:
    sid = optional_id("employee.supervisor_id", supervisor_id)
    if sid:
        await uow.employees.get(sid, "employee.supervisor_id")
    return sid


async def _distributor(uow: ClientsUnitOfWork, distributor_id: str) -> str:
    did = optional_id("employee.distributor_id", distributor_id)
    if did:
        client = await uow.clients.get(did, "employee.distributor_id")
        if client.type is not ClientType.DISTRIBUTOR:
            raise InvalidArgument("employee.distributor_id", f"client {did} is not a distributor")
    return did


async def update_employee(
    uow: ClientsUnitOfWork,
    *,
    id: str,
    full_name: str,
    roles: Sequence[Role | None],
    territory_id: str,
    supervisor_id: str,
    distributor_id: str,
    active: bool,
    expected_version: int,
) -> Employee:
    employee = await uow.employees.get(require_id("employee.id", id), "employee.id")
    employee.update(
        full_name,
        roles,
        await _territory_id(uow, territory_id, "employee.territory_id"),
        await _supervisor(uow, supervisor_id),
        await _distributor(uow, distributor_id),
        active,
        expected_version,
    )
    await uow.employees.save(employee)
    return employee


async def create_territory(
    uow: ClientsUnitOfWork, *, id: str, name: str, parent_id: str
) -> Territory:
    territory = Territory(
        require_id("territory.id", id),
        require_text("territory.name", name),
        await _territory_id(uow, parent_id, "territory.parent_id"),
    )
    existing = await uow.territories.find(territory.id)
    if existing is not None:
        return existing
    await uow.territories.add(territory)
    return territory


async def create_route(
    uow: ClientsUnitOfWork, *, id: str, name: str, territory_id: str, agent_id: str
) -> Route:
    rid = require_id("route.id", id)
    existing = await uow.routes.find(rid)
    if existing is not None:
        return existing
    agent = await uow.employees.get(require_id("route.agent_id", agent_id), "route.agent_id")
    route = Route.create(
        rid, name, await _territory_id(uow, territory_id, "route.territory_id"), agent
    )
    await uow.routes.add(route)
    return route


async def set_route_assignment(
    uow: ClientsUnitOfWork,
    *,
    route_id: str,
    outlet_id: str,
    frequency: VisitFrequency | None,
    weekdays: Sequence[int],
    start_date: date | None,
    sequence: int,
) -> RouteAssignment:
    assignment = RouteAssignment.of(route_id, outlet_id, frequency, weekdays, start_date, sequence)
    route = await uow.routes.get(assignment.route_id, "assignment.route_id")
    outlet = await uow.outlets.get(assignment.outlet_id, "assignment.outlet_id")
    if outlet.status is not OutletStatus.ACTIVE:
        raise FailedPrecondition(
            f"outlet {outlet.id} is {outlet.status.name}; only ACTIVE outlets go on routes"
        )
    if await uow.routes.find_assignment(route.id, outlet.id) == assignment:
        return assignment  # already so: nothing changes, no event
    await uow.routes.put_assignment(assignment)
    route.assignment_changed(assignment)
    await uow.routes.save(route)
    return assignment


async def remove_route_assignment(uow: ClientsUnitOfWork, *, route_id: str, outlet_id: str) -> None:
    route = await uow.routes.get(require_id("route_id", route_id))
    current = await uow.routes.find_assignment(route.id, require_id("outlet_id", outlet_id))
    if current is None:
        return  # removing what is not there is a no-op, so retries are harmless
    await uow.routes.remove_assignment(current)
    route.assignment_changed(current, removed=True)
    await uow.routes.save(route)


# ------------------------------------------------------------------------------ visits
async def check_in(
    uow: ClientsUnitOfWork,
    *,
    visit_id: str,
    agent_id: str,
    outlet_id: str,
    time: datetime,
    location: Location | None,
    day: date | None,
    radius_m: float,
) -> Visit:
    vid = require_id("visit_id", visit_id)
    agent = await uow.employees.get(require_id("agent_id", agent_id), "agent_id")
    outlet = await uow.outlets.get(require_id("outlet_id", outlet_id))
    existing = await uow.visits.find(vid)
    if existing is not None:
        if not existing.same_start(agent.id, outlet.id):
            raise AlreadyExists(f"visit {vid} exists for another agent or outlet")
        return existing
    visit = Visit.start(vid, agent, outlet, time, location, day, radius_m)
    await uow.visits.add(visit)
    return visit


async def check_out(
    uow: ClientsUnitOfWork,
    *,
    visit_id: str,
    time: datetime,
    location: Location | None,
    outcome: VisitOutcome | None,
    notes: str,
    radius_m: float,
) -> Visit:
    visit = await uow.visits.get(require_id("visit_id", visit_id))
    outlet = await uow.outlets.get(visit.outlet_id, "visit.outlet_id")
    visit.finish(outlet, time, location, outcome, notes, radius_m)
    await uow.visits.save(visit)
    return visit


async def record_missed_visit(
    uow: ClientsUnitOfWork,
    *,
    visit_id: str,
    agent_id: str,
    outlet_id: str,
    day: date | None,
    reason: str,
) -> Visit:
    vid = require_id("visit_id", visit_id)
    agent = await uow.employees.get(require_id("agent_id", agent_id), "agent_id")
    outlet = await uow.outlets.get(require_id("outlet_id", outlet_id))
    existing = await uow.visits.find(vid)
    if existing is not None:
        if not existing.same_start(agent.id, outlet.id):
            raise AlreadyExists(f"visit {vid} exists for another agent or outlet")
        return existing
    visit = Visit.missed(vid, agent, outlet, day, reason)
    await uow.visits.add(visit)
    return visit


# ------------------------------------------------------------------------------ audits
async def create_questionnaire(
    uow: ClientsUnitOfWork,
    *,
    id: str,
    name: str,
    questions: Sequence[tuple[str, str, QuestionType | None, Sequence[str], bool]],
    must_stock_skus: Sequence[str],
) -> Questionnaire:
    q = Questionnaire.create(id, name, questions, must_stock_skus)
    existing = await uow.questionnaires.find(q.id)
    if existing is not None:
        return existing
    await uow.questionnaires.add(q)
    return q


async def submit_audit(
    uow: ClientsUnitOfWork,
    now: datetime,
    *,
    id: str,
    visit_id: str,
    questionnaire_id: str,
    agent_id: str,
    outlet_id: str,
    answers: Sequence[AnswerInput],
    must_stock: Sequence[MustStockCheck],
    competitor_prices: Sequence[CompetitorPrice],
) -> Audit:
    aid = require_id("audit.id", id)
    existing = await uow.audits.find(aid)
    if existing is not None:
        return existing
    visit = await uow.visits.get(require_id("audit.visit_id", visit_id), "audit.visit_id")
    if agent_id and agent_id != visit.agent_id:
        raise InvalidArgument("audit.agent_id", f"visit {visit.id} belongs to another agent")
    if outlet_id and outlet_id != visit.outlet_id:
        raise InvalidArgument("audit.outlet_id", f"visit {visit.id} is at another outlet")
    questionnaire = await uow.questionnaires.get(
        require_id("audit.questionnaire_id", questionnaire_id), "audit.questionnaire_id"
    )
    audit = Audit.submit(aid, visit, questionnaire, answers, must_stock, competitor_prices, now)
    await uow.audits.add(audit)
    return audit
