"""Who calls and what it may see and act on: a caller's data scope, computed in one place.

The caller is the verified principal of the call (its token's subject and roles); requests
name no actor. Its scope (`access_for`):

| caller | its team (whose routes, visits, audits, proposals it sees) |
| --- | --- |
| ADMIN or SERVICE | everyone: the whole company, every outlet |
| SUPERVISOR | itself and the employees it supervises |
| anyone else (AGENT, VAN_SELLER, MERCHANDISER, TELESELLER, …) | itself |

The outlets a team sees are those on its routes (of either kind: a teleseller's call lists are
routes of kind PHONE) and those one of it proposed as new (census).

A DISTRIBUTOR_MANAGER (not ADMIN or SERVICE) also sees the audits tagged with its distributor
(`Access.distributor`: its employee record's `distributor_id`), whoever made them
(docs/contexts/sales-gaps.md 3.3); it sees nothing else of anyone's.

An employee record is in scope when it is a team member. Outside the scope a read answers
NOT_FOUND (as for what does not exist: existence is not revealed), a list leaves it out, and a
write is PERMISSION_DENIED — the same for what does not exist — and writes nothing. Visits,
audits and calls are written by their own agent (teleseller) only (`Access.acts_for`); ADMIN
and SERVICE record them for a named one (an import). Which roles may call an RPC at all is
the policy's (`entrypoints/policy.py`), checked before any of this.

Who acts — the card history's `changed_by`, a proposal's proposer and decider, a visit's
agent — is `Access.actor`: the subject, or the user a service's token acts for (`act`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.domain.calls import Call
from fieldline_clients.domain.fieldwork import Audit, Proposal, Visit
from fieldline_clients.domain.model import Employee, Outlet, Route
from fieldline_clients.domain.values import require_id
from fieldline_kit.auth import Kind, Principal
from fieldline_kit.errors import DomainError, InvalidArgument, NotFound, PermissionDenied
from fieldline_kit.roles import ADMIN, DISTRIBUTOR_MANAGER, SERVICE, SUPERVISOR

COMPANY_ROLES = frozenset({ADMIN, SERVICE})


@dataclass(frozen=True)
class Access:
    subject: str
    kind: str
    actor: str  # who is recorded as acting: the subject, or the user a service acts for
    team: frozenset[str] | None  # whose data the caller sees; None: the whole company
    distributor: str = ""  # a distributor manager's distributor: its audits are seen too

    @classmethod
    def of(
        cls, principal: Principal, reports: frozenset[str] = frozenset(), distributor: str = ""
    ) -> Access:
        """The scope of `principal`; `reports`: the employees it supervises (if a supervisor);
        `distributor`: the one it manages (if a distributor manager)."""
        actor = principal.acting_for or principal.subject
        if principal.has_any(COMPANY_ROLES):
            return cls(principal.subject, principal.kind, actor, None)
        team = {principal.subject}
        if SUPERVISOR in principal.roles:
            team |= reports
        managed = distributor if DISTRIBUTOR_MANAGER in principal.roles else ""
        return cls(principal.subject, principal.kind, actor, frozenset(team), managed)

    @property
    def company(self) -> bool:
        return self.team is None

    def sees(self, employee_id: str) -> bool:
        """Whether the employee is in the caller's team (its data in the caller's scope)."""
        return self.team is None or employee_id in self.team

    def sees_audit(self, agent_id: str, distributor_id: str) -> bool:
        """Whether an audit by `agent_id`, tagged with `distributor_id`, is in scope."""
        return self.sees(agent_id) or bool(self.distributor and distributor_id == self.distributor)

    def acts_for(self, agent_id: str) -> bool:
        """Whether the caller may record for `agent_id`: itself, or anyone for ADMIN/SERVICE."""
        return self.team is None or agent_id == self.subject

    def agent(self, named: str, field: str, what: str = "visits") -> str:
        """The agent a visit (a call: `what`) is recorded for: the caller; an ADMIN or SERVICE
        may name one (or act for one in its token). Anyone else naming another is refused."""
        if not self.company:
            if named and named != self.subject:
                raise PermissionDenied(f"{field}: an employee records its own {what} only")
            return self.subject
        if named:
            return named
        if self.kind == Kind.EMPLOYEE or self.actor != self.subject:
            return self.actor
        raise InvalidArgument(
            field, f"is required: a service records the {what} of a named employee"
        )

    def refused(self, entity: str, entity_id: str, field: str, *, write: bool) -> DomainError:
        """Out of scope (or missing): NOT_FOUND for a read, PERMISSION_DENIED for a scoped
        write, alike whether it exists or not."""
        if write and not self.company:
            return PermissionDenied(f"{field}: {entity} {entity_id!r} is outside your scope")
        return NotFound(entity, entity_id, field)


def reads_team(principal: Principal) -> bool:
    """Whether `principal`'s scope needs its reports or its distributor read from the database."""
    return bool(principal.roles & {SUPERVISOR, DISTRIBUTOR_MANAGER}) and not principal.has_any(
        COMPANY_ROLES
    )


async def access_for(uow: ClientsUnitOfWork, principal: Principal) -> Access:
    """The scope of `principal`: the one place it is computed."""
    if not reads_team(principal):
        return Access.of(principal)
    reports = frozenset[str]()
    if SUPERVISOR in principal.roles:
        reports = await uow.access.reports(principal.subject)
    distributor = ""
    if DISTRIBUTOR_MANAGER in principal.roles:
        distributor = await uow.access.distributor_of(principal.subject)
    return Access.of(principal, reports, distributor)


async def access_outside(
    principal: Principal, read: Callable[[], AbstractAsyncContextManager[ClientsUnitOfWork]]
) -> Access:
    """`access_for` on a path that avoids the database when it can (the cached visit plan):
    a read unit of work is opened only for a caller whose team must be read."""
    if not reads_team(principal):
        return Access.of(principal)
    async with read() as uow:
        return await access_for(uow, principal)


# ------------------------------------------------------- objects, loaded within the scope
async def outlet(
    uow: ClientsUnitOfWork, access: Access, outlet_id: str, field: str = "outlet_id", *, write: bool
) -> Outlet:
    oid = require_id(field, outlet_id)
    if access.team is not None and not await uow.access.sees_outlet(access.team, oid):
        raise access.refused("outlet", oid, field, write=write)
    return await uow.outlets.get(oid, field=field)


async def route(
    uow: ClientsUnitOfWork, access: Access, route_id: str, field: str = "route_id", *, write: bool
) -> Route:
    rid = require_id(field, route_id)
    found = await uow.routes.find(rid)
    if found is None or not access.sees(found.agent_id):
        raise access.refused("route", rid, field, write=write)
    return found


async def visit(
    uow: ClientsUnitOfWork, access: Access, visit_id: str, field: str = "visit_id", *, write: bool
) -> Visit:
    """A visit: seen by its agent's team, written by its agent (or ADMIN/SERVICE) only."""
    vid = require_id(field, visit_id)
    found = await uow.visits.find(vid)
    allowed = access.acts_for if write else access.sees
    if found is None or not allowed(found.agent_id):
        raise access.refused("visit", vid, field, write=write)
    return found


async def call(uow: ClientsUnitOfWork, access: Access, call_id: str) -> Call:
    """A call: seen by its teleseller's team (ADMIN and SERVICE: every call)."""
    cid = require_id("call_id", call_id)
    found = await uow.calls.find(cid)
    if found is None or not access.sees(found.teleseller_id):
        raise access.refused("call", cid, "call_id", write=False)
    return found


async def audit(uow: ClientsUnitOfWork, access: Access, audit_id: str) -> Audit:
    aid = require_id("audit_id", audit_id)
    found = await uow.audits.find(aid)
    if found is None or not access.sees_audit(found.agent_id, found.distributor_id):
        raise access.refused("audit", aid, "audit_id", write=False)
    return found


async def proposal(
    uow: ClientsUnitOfWork, access: Access, proposal_id: str, *, write: bool
) -> Proposal:
    pid = require_id("proposal_id", proposal_id)
    found = await uow.proposals.find(pid)
    if found is None or not access.sees(found.proposed_by):
        raise access.refused("proposal", pid, "proposal_id", write=write)
    return found


async def employee(uow: ClientsUnitOfWork, access: Access, employee_id: str) -> Employee:
    eid = require_id("employee_id", employee_id)
    found = await uow.employees.find(eid) if access.sees(eid) else None
    if found is None:
        raise access.refused("employee", eid, "employee_id", write=False)
    return found


async def caller(uow: ClientsUnitOfWork, access: Access) -> Employee:
    """The employee who calls (a proposer, a decider): one of this company's."""
    found = await uow.employees.find(access.actor)
    if found is None:
        raise PermissionDenied(f"the caller {access.actor!r} is not an employee of the company")
    return found
