"""Who acts, and what they may see and act on: the caller's scope in the orders context.

The caller is the principal its verified token names (`Actor`), never a request body. Its
scope is the union of its roles' scopes:

    role                              orders       outlets (+ their clients)   vans
    ADMIN, SERVICE                    all          all                         all
    SUPERVISOR                        its team's   on its team's routes        its team's
    AGENT, VAN_SELLER, MERCHANDISER,  its own      on its routes (a            its own
    TELESELLER                                     teleseller's: call lists)
    DISTRIBUTOR_MANAGER               its          none                        its
                                      distributor's                            distributor's
                                                                               (to read)
    TECHNICIAN                        none         none                        none

"Its own" order: `agent_id` (the credited agent; a van sale's van seller) or `taken_by` (who
took it: a phone order's teleseller) is the caller; its own van:
`van_seller_id` is the caller; "on its routes": a live assignment of the clients feed
(`feed_assignments`) puts the outlet on a route the caller works. A supervisor's team is
itself and the employees whose supervisor it is (`feed_employees`, from clients'
EmployeeChanged): their orders, vans and routes. A distributor manager's distributor is the
`distributor_id` clients gives the employee (`feed_employees`): the orders placed for that
distributor (`orders.distributor_id`), their fulfilment and their status (it reports it), and
the vans selling for it (`vans.distributor_id`: their stock and ledger); without one,
nothing. Outside the scope a read answers NOT_FOUND (`hidden`), a list leaves the object
out, a write is PERMISSION_DENIED (`denied`), and nothing is written.

Role names as tokens carry them (the clients context's `Role` without its prefix).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fieldline_kit.errors import NotFound, PermissionDenied
from fieldline_kit.roles import (  # noqa: F401 - the vocabulary, re-exported to orders
    ADMIN,
    AGENT,
    DISTRIBUTOR_MANAGER,
    EMPLOYEE_ROLES,
    MERCHANDISER,
    SERVICE,
    SUPERVISOR,
    TECHNICIAN,
    TELESELLER,
    VAN_SELLER,
)

# Roles whose scope is the whole company.
COMPANY_WIDE = frozenset({ADMIN, SERVICE})
# Roles whose scope is the caller's own (and, for a supervisor, its team's) orders and routes.
OWN_SCOPED = frozenset({AGENT, VAN_SELLER, MERCHANDISER, TELESELLER, SUPERVISOR})

EMPLOYEE = "employee"  # the token's `kind` of a person


@dataclass(frozen=True)
class Actor:
    """The verified caller: `id` its subject (an employee id, `svc:<name>`), its roles, its
    kind (`employee`, `service`, `partner`), the user a service acts for (`act`), if any, and
    for a supervisor its team (the employees it supervises)."""

    id: str
    roles: frozenset[str]
    kind: str = EMPLOYEE
    acting_for: str = ""
    team: frozenset[str] = frozenset()
    distributor_id: str = ""  # a distributor manager's (loaded with the caller)

    @classmethod
    def of(
        cls,
        subject: str,
        roles: Iterable[str],
        kind: str = EMPLOYEE,
        acting_for: str = "",
        team: Iterable[str] = (),
        distributor_id: str = "",
    ) -> Actor:
        return cls(
            subject, frozenset(roles), kind, acting_for or "", frozenset(team), distributor_id
        )

    @property
    def employee(self) -> bool:
        return self.kind == EMPLOYEE

    @property
    def company_wide(self) -> bool:
        """Sees and acts on everything of the company (ADMIN, SERVICE)."""
        return not self.roles.isdisjoint(COMPANY_WIDE)

    @property
    def leads_team(self) -> bool:
        """A supervisor who is not company-wide: its scope is its team's (`team` to load)."""
        return SUPERVISOR in self.roles and not self.company_wide

    @property
    def manages_distributor(self) -> bool:
        """A distributor manager who is not company-wide: its scope is its distributor's."""
        return DISTRIBUTOR_MANAGER in self.roles and not self.company_wide

    @property
    def agents(self) -> frozenset[str]:
        """The employees whose orders, vans and routes are in scope (not company-wide)."""
        return self.team | {self.id}

    @property
    def role_names(self) -> tuple[str, ...]:
        """The roles, sorted (what bounds a manual discount)."""
        return tuple(sorted(self.roles))

    def agent_of_new_order(self) -> str:
        """Whose order a new order of this caller is: an employee's own; a service's only on
        behalf of the employee its token names (`act`)."""
        return self.acting_employee("submits orders")

    def acting_employee(self, doing: str) -> str:
        """The employee who acts: the caller itself, or the one a service's token names
        (`act`); a service naming none may not be `doing` it."""
        if self.employee:
            return self.id
        if self.acting_for:
            return self.acting_for
        raise PermissionDenied(
            f"{self.kind} {self.id!r} {doing} only for an employee its token names (act)"
        )

    # -- the scope -------------------------------------------------------------------------
    def sees_order(self, agent_id: str, distributor_id: str = "", taken_by: str = "") -> bool:
        """An order of `agent_id` (placed for `distributor_id`, taken by `taken_by`) is in
        scope: company-wide, the caller's own or its team's (credited or taken), or placed for
        the distributor the caller manages."""
        return (
            self.company_wide
            or agent_id in self.agents
            or taken_by in self.agents
            or bool(self.distributor_id and distributor_id == self.distributor_id)
        )

    def sees_van(self, van_seller_id: str, distributor_id: str = "") -> bool:
        """A van of `van_seller_id` (selling for `distributor_id`) is in scope: company-wide,
        the caller's own or its team's, or a van of the distributor the caller manages (to
        read: a manager acts on no van)."""
        return (
            self.company_wide
            or van_seller_id in self.agents
            or bool(self.distributor_id and distributor_id == self.distributor_id)
        )

    def reports_fulfilment_of(self, distributor_id: str) -> bool:
        """May report the fulfilment status of an order placed for `distributor_id`:
        company-wide (the ERP, the warehouse), or the manager of that distributor (not of the
        company's orders, nor of another distributor's)."""
        mine = bool(self.distributor_id and distributor_id == self.distributor_id)
        return self.company_wide or (self.manages_distributor and mine)

    def sees_agent(self, agent_id: str) -> bool:
        """The agent's routes (and what is on them) are in scope."""
        return self.company_wide or agent_id in self.agents

    @property
    def route_scoped(self) -> bool:
        """Outlets (and their clients) must be on the routes of `agents` to be in scope."""
        return not self.company_wide

    def orders_filter(self, agent: str, distributor: str) -> tuple[tuple[str, ...], str] | None:
        """The (agents, distributor) filter of an orders list or report within the scope, from
        the agent and distributor asked for ("": any); None: nothing to list. A distributor
        manager lists its distributor's orders (any agent's); others as `narrowed`."""
        if self.manages_distributor and self.roles.isdisjoint(OWN_SCOPED):
            if not self.distributor_id or distributor not in ("", self.distributor_id):
                return None
            return ((agent,) if agent else ()), self.distributor_id
        agents = self.narrowed(agent)
        return None if agents is None else (agents, distributor)

    def vans_filter(self, van_seller: str) -> tuple[tuple[str, ...], str] | None:
        """The (van sellers, distributor) filter of a vans list within the scope, from the van
        seller asked for ("": any); None: nothing to list. A distributor manager lists its
        distributor's vans (any van seller's); others as `narrowed`, any distributor's."""
        return self.orders_filter(van_seller, "")

    def narrowed(self, asked: str) -> tuple[str, ...] | None:
        """The owner filter (agent, van seller) of a list within the scope: () for no filter
        (a company-wide caller who asked for none), the one asked for if in scope, else the
        caller's `agents`; None (nothing to list) when it asked for someone out of scope."""
        if self.company_wide:
            return (asked,) if asked else ()
        if asked:
            return (asked,) if asked in self.agents else None
        return tuple(sorted(self.agents))


def hidden(entity: str, entity_id: str, field: str) -> NotFound:
    """A read outside the caller's scope: as if the object did not exist."""
    return NotFound(entity, entity_id, field)


def denied(field: str, what: str) -> PermissionDenied:
    """A write outside the caller's scope."""
    return PermissionDenied(f"{field}: {what} is outside your scope")
