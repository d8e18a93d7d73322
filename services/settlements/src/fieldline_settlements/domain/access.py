"""Whose debts the caller sees and acts on: the caller's scope in the settlements context.

The caller is the principal its verified token names (`Caller`), never a request body. Its
scope is a set of clients, the union of its roles' scopes:

    role                    clients in scope
    ADMIN, SERVICE          all (company-wide)
    SUPERVISOR              those on its own routes and on the routes of its team: the
                            employees whose supervisor it is (the clients feed's employees)
    AGENT, VAN_SELLER       those with an outlet on one of its own routes
    TELESELLER              those with an outlet on one of its own routes: its call lists
                            (clients' routes of kind PHONE; the feed treats every route alike)
    DISTRIBUTOR_MANAGER     none (1)
    MERCHANDISER, TECHNICIAN none (they handle no money)

Cash on hand and handovers are an employee's, so their scope is a set of employees (`Staff`):

    role                    reads (GetCashOnHand,       receives (RecordCashHandover)
                            ListCashHandovers)
    ADMIN, SERVICE          every employee              every employee
    SUPERVISOR              itself and its team         its team (never itself)
    AGENT, VAN_SELLER       itself                      no one
    TELESELLER (and others) no one                      no one (it takes no cash)

"On a route": a live assignment of the clients feed (`feed_route_outlets`, not removed) puts
an outlet of the client (`feed_outlets`) on a route the employee works. So the scope is a set
of route workers (`Reach.agents`) and a client is in it when one of them works a route with an
outlet of the client (`Reach.covers`).

Outside the scope a read answers NOT_FOUND exactly as for an unknown client (`hidden`: its
existence is not revealed), a list leaves the client out, a write is PERMISSION_DENIED
(`denied`), and nothing is written.

(1) A distributor manager's scope would be its distributor's clients; settlements has no model
    of which clients a distributor serves, so it sees none (fail closed), and the access policy
    admits it to no RPC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fieldline_kit.errors import NotFound, PermissionDenied
from fieldline_kit.roles import ADMIN, AGENT, SERVICE, SUPERVISOR, TELESELLER, VAN_SELLER

# Roles whose scope is the whole company.
COMPANY_WIDE = frozenset({ADMIN, SERVICE})
# Roles that see the clients of their own routes (a teleseller's are its call lists).
ROUTE_WORKERS = frozenset({AGENT, VAN_SELLER, SUPERVISOR, TELESELLER})
# Roles that hold cash they collected (a teleseller collects none): whose own cash they read.
CASH_HOLDERS = frozenset({AGENT, VAN_SELLER, SUPERVISOR})
# Roles that also see the clients of their team's routes.
TEAM_LEADERS = frozenset({SUPERVISOR})


@dataclass(frozen=True)
class Reach:
    """The clients a caller may see: every client (`company_wide`), or those with an outlet on
    a live route of one of `agents`."""

    company_wide: bool
    agents: frozenset[str] = frozenset()

    def covers(self, route_agents: Iterable[str]) -> bool:
        """A client whose outlets are on routes worked by `route_agents` is in reach."""
        return self.company_wide or not self.agents.isdisjoint(route_agents)


# The reach of a company-wide caller, and of the consumers' own work (no caller).
EVERYTHING = Reach(company_wide=True)


@dataclass(frozen=True)
class Caller:
    """The verified caller: `id` its subject (an employee id, `svc:<name>`) and its roles."""

    id: str
    roles: frozenset[str]

    @classmethod
    def of(cls, subject: str, roles: Iterable[str]) -> Caller:
        return cls(subject, frozenset(roles))

    @property
    def company_wide(self) -> bool:
        return not self.roles.isdisjoint(COMPANY_WIDE)

    @property
    def leads_team(self) -> bool:
        """Its team's routes are in its scope (so its team must be looked up)."""
        return not self.company_wide and not self.roles.isdisjoint(TEAM_LEADERS)

    def reach(self, team: Iterable[str] = ()) -> Reach:
        """Its scope, `team` being the employees whose supervisor it is."""
        if self.company_wide:
            return EVERYTHING
        agents: set[str] = set()
        if not self.roles.isdisjoint(ROUTE_WORKERS):
            agents.add(self.id)
        if self.leads_team:
            agents.update(team)
        return Reach(company_wide=False, agents=frozenset(agents))


@dataclass(frozen=True)
class Staff:
    """The employees whose cash a caller may read or receive: every one (`company_wide`), or
    `employees`."""

    company_wide: bool
    employees: frozenset[str] = frozenset()

    def holds(self, employee_id: str) -> bool:
        return self.company_wide or employee_id in self.employees


def staff_read(caller: Caller, team: Iterable[str] = ()) -> Staff:
    """Whose cash `caller` may read: its own, its team's (`team`: those it supervises)."""
    if caller.company_wide:
        return Staff(company_wide=True)
    employees: set[str] = set()
    if not caller.roles.isdisjoint(CASH_HOLDERS):
        employees.add(caller.id)
    if caller.leads_team:
        employees.update(team)
    return Staff(company_wide=False, employees=frozenset(employees))


def staff_received(caller: Caller, team: Iterable[str] = ()) -> Staff:
    """Whose cash `caller` may receive: its team's (a supervisor never its own)."""
    if caller.company_wide:
        return Staff(company_wide=True)
    employees = frozenset(team) - {caller.id} if caller.leads_team else frozenset()
    return Staff(company_wide=False, employees=employees)


def hidden(client_id: str, field: str = "client_id") -> NotFound:
    """A read outside the caller's scope: as if the client did not exist."""
    return NotFound("client", client_id, field)


def denied(field: str, what: str) -> PermissionDenied:
    """A write outside the caller's scope."""
    return PermissionDenied(f"{field}: {what} is outside your scope")
