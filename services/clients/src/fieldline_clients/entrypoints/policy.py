"""Who may call which clients RPC: one rule per RPC (listed in docs/contexts/clients.md).

* reference data read company-wide — clients, territories, questionnaires: every field role,
  SUPERVISOR, ADMIN, SERVICE (clients and questionnaires also DISTRIBUTOR_MANAGER);
* reads of outlets, routes, plans, visits, audits, proposals: the field roles (AGENT,
  VAN_SELLER, MERCHANDISER) in their own scope (route: the outlets of their routes; own: their
  visits, audits, proposals), SUPERVISOR in its territory, ADMIN and SERVICE company-wide;
* an employee's record: every employee its own, SUPERVISOR its team's, ADMIN, SERVICE all; the
  list of employees: SUPERVISOR (its team), ADMIN, SERVICE;
* creating and changing clients (also the ERP's counterparties, `UpsertClients`), employees
  (also the ERP's, `UpsertEmployees`), territories, questionnaires and creating outlets: ADMIN,
  SERVICE (ERP and HR imports) — audited;
* routes, their assignments, outlet cards and statuses: SUPERVISOR for its team, ADMIN,
  SERVICE — audited; field staff change cards through census;
* who works a route by date (`ScheduleRouteAgents`, the ERP's plan): ADMIN, SERVICE —
  audited; its periods are read by SUPERVISOR (its team's routes), ADMIN, SERVICE;
* census: the field roles and SUPERVISOR propose (as themselves, for what they see); only
  SUPERVISOR decides, for its team — audited;
* check-in/out, missed visits, audits: the field roles and SUPERVISOR for themselves, ADMIN and
  SERVICE for a named agent (an import);
* audits and questionnaires (docs/contexts/sales-gaps.md 3.3): DISTRIBUTOR_MANAGER also reads
  the questionnaires (reference data) and the audits tagged with its distributor;
* telesales (docs/contexts/sales-gaps.md 3.2): TELESELLER reads its call lists (routes of kind
  PHONE), their assignments and outlets (route scope), the clients (as the field roles: it
  quotes and orders for them) and its own employee record, and records its own calls (ADMIN
  and SERVICE for a named teleseller); calls and call plans are read by their teleseller, its
  SUPERVISOR, ADMIN and SERVICE. It is admitted to no visit, census, route-changing or other
  reference-data RPC.

Role names are the `fieldline.clients.v1.Role` names without `ROLE_`; service principals have
SERVICE. The kit's interceptor enforces the roles; the scope each rule declares is that of
its narrowest role, enforced by the use cases (`service_layer/access.py`: supervisors widen it
to their team, ADMIN and SERVICE to the company); `audit` calls are logged with their caller.
"""

from __future__ import annotations

from fieldline_kit.auth import Rule, Scope
from fieldline_kit.roles import (
    ADMIN,
    AGENT,
    DISTRIBUTOR_MANAGER,
    MERCHANDISER,
    SERVICE,
    SUPERVISOR,
    TECHNICIAN,
    TELESELLER,
    VAN_SELLER,
)

FIELD = {AGENT, VAN_SELLER, MERCHANDISER}
MANAGERS = {ADMIN, SERVICE}
SEERS = FIELD | {SUPERVISOR} | MANAGERS  # who reads outlets and fieldwork, each in its scope
OUTLET_SEERS = SEERS | {TELESELLER}  # a teleseller: the outlets of its call lists
EMPLOYEES = FIELD | {DISTRIBUTOR_MANAGER, SUPERVISOR, TECHNICIAN, TELESELLER, ADMIN}
TERRITORY_MANAGERS = {SUPERVISOR} | MANAGERS
VISITORS = FIELD | {SUPERVISOR} | MANAGERS  # ADMIN and SERVICE name the agent
CALLERS = {TELESELLER} | MANAGERS  # ADMIN and SERVICE name the teleseller
CALL_SEERS = {TELESELLER, SUPERVISOR} | MANAGERS
AUDIT_SEERS = SEERS | {DISTRIBUTOR_MANAGER}  # a manager: its distributor's audits

CLIENTS = {
    "CreateClient": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "GetClient": Rule(OUTLET_SEERS | {DISTRIBUTOR_MANAGER}, scope=Scope.COMPANY),
    "UpdateClient": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "ListClients": Rule(OUTLET_SEERS | {DISTRIBUTOR_MANAGER}, scope=Scope.COMPANY),
    # The ERP's counterparties (the exchange service), as orders' catalog upserts.
    "UpsertClients": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "CreateOutlet": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "GetOutlet": Rule(OUTLET_SEERS, scope=Scope.ROUTE),
    "UpdateOutletCard": Rule(TERRITORY_MANAGERS, scope=Scope.TERRITORY, audit=True),
    "SetOutletStatus": Rule(TERRITORY_MANAGERS, scope=Scope.TERRITORY, audit=True),
    "ListOutlets": Rule(OUTLET_SEERS, scope=Scope.ROUTE),
    "SearchOutlets": Rule(OUTLET_SEERS, scope=Scope.ROUTE),
    "ListOutletCardHistory": Rule(OUTLET_SEERS, scope=Scope.ROUTE),
    "ProposeOutlet": Rule(FIELD | {SUPERVISOR}, scope=Scope.OWN),
    "ProposeCardChange": Rule(FIELD | {SUPERVISOR}, scope=Scope.ROUTE),
    "DecideProposal": Rule({SUPERVISOR}, scope=Scope.TERRITORY, audit=True),
    "GetProposal": Rule(SEERS, scope=Scope.OWN),
    "ListProposals": Rule(SEERS, scope=Scope.OWN),
}

TERRITORY = {
    "CreateEmployee": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "GetEmployee": Rule(EMPLOYEES | MANAGERS, scope=Scope.OWN),
    "UpdateEmployee": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "ListEmployees": Rule(TERRITORY_MANAGERS, scope=Scope.TERRITORY),
    # The ERP's employees (the exchange service), as UpsertClients.
    "UpsertEmployees": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "CreateTerritory": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "ListTerritories": Rule(SEERS, scope=Scope.COMPANY),
    "CreateRoute": Rule(TERRITORY_MANAGERS, scope=Scope.TERRITORY, audit=True),
    "GetRoute": Rule(OUTLET_SEERS, scope=Scope.ROUTE),
    "ListRoutes": Rule(OUTLET_SEERS, scope=Scope.ROUTE),
    "SetRouteAssignment": Rule(TERRITORY_MANAGERS, scope=Scope.TERRITORY, audit=True),
    "RemoveRouteAssignment": Rule(TERRITORY_MANAGERS, scope=Scope.TERRITORY, audit=True),
    "ListRouteAssignments": Rule(OUTLET_SEERS, scope=Scope.ROUTE),
    # The ERP's plan of who works which route by date (the exchange service).
    "ScheduleRouteAgents": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "ListRouteAgentPeriods": Rule(TERRITORY_MANAGERS, scope=Scope.TERRITORY),
    "GetVisitPlan": Rule(SEERS, scope=Scope.ROUTE),
    "GetCallPlan": Rule(CALL_SEERS, scope=Scope.OWN),
}

VISITS = {
    "CheckIn": Rule(VISITORS, scope=Scope.OWN),
    "CheckOut": Rule(VISITORS, scope=Scope.OWN),
    "RecordMissedVisit": Rule(VISITORS, scope=Scope.OWN),
    "GetVisit": Rule(SEERS, scope=Scope.OWN),
    "ListVisits": Rule(SEERS, scope=Scope.OWN),
    "CreateQuestionnaire": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "UpdateQuestionnaire": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "GetQuestionnaire": Rule(AUDIT_SEERS, scope=Scope.COMPANY),
    "ListQuestionnaires": Rule(AUDIT_SEERS, scope=Scope.COMPANY),
    "SubmitAudit": Rule(VISITORS, scope=Scope.OWN),
    "GetAudit": Rule(AUDIT_SEERS, scope=Scope.OWN),
    "ListAudits": Rule(AUDIT_SEERS, scope=Scope.OWN),
    "RecordCall": Rule(CALLERS, scope=Scope.OWN),
    "GetCall": Rule(CALL_SEERS, scope=Scope.OWN),
    "ListCalls": Rule(CALL_SEERS, scope=Scope.OWN),
}

# Keyed by full path: the three services' RPC names are distinct today, but a bare name would
# silently cover a same-named RPC added to another of them.
POLICY = {
    **{f"/fieldline.clients.v1.ClientsService/{name}": r for name, r in CLIENTS.items()},
    **{f"/fieldline.clients.v1.TerritoryService/{name}": r for name, r in TERRITORY.items()},
    **{f"/fieldline.clients.v1.VisitsService/{name}": r for name, r in VISITS.items()},
}
