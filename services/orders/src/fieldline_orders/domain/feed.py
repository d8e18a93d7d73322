"""What this context knows of the clients context's clients, outlets, territories, routes,
audits, employees and visits (its read models).

Each record is the state one clients event reports, with the version that orders them: the
aggregate's version for clients, outlets, territories, route assignments, employees and visits,
the device's time of the audit, else its submit time (then the audit id, then the version) for
audits. A record older than the one held changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class ClientState:
    """A client's type (clients' ClientType name without its prefix: RETAIL, DISTRIBUTOR,
    KEY_ACCOUNT): whether a distributor id names a distributor."""

    client_id: str
    type: str
    version: int


# The client type a distributor id must name (service_layer/distributors.py).
DISTRIBUTOR = "DISTRIBUTOR"


@dataclass(frozen=True)
class OutletState:
    outlet_id: str
    client_id: str
    status: str  # ACTIVE, PENDING, CLOSED, … (the clients context's OutletStatus names)
    version: int
    # What promotions target: the card's channel string as written ("" none) and the outlet's
    # territory ("" none; also for rows kept before they were, until the outlet's next event).
    channel: str = ""
    territory_id: str = ""


@dataclass(frozen=True)
class TerritoryState:
    """A territory under its parent ("" for a root): the tree promotions' territory targeting
    expands. Territories are never changed once made (their one event is at version 1)."""

    territory_id: str
    parent_id: str
    version: int


# The kinds of route (clients' RouteKind): a visiting route, a teleseller's call list.
FIELD_ROUTE = "FIELD"
PHONE_ROUTE = "PHONE"


@dataclass(frozen=True)
class AssignmentState:
    """A route × outlet assignment; a removal is kept as a tombstone (`removed`)."""

    route_id: str
    outlet_id: str
    agent_id: str
    frequency: int  # weeks between visiting weeks: 1, 2 or 4
    weekday_mask: int  # bit d set: visited on ISO weekday d
    start_date: date
    sequence: int
    removed: bool
    version: int
    # FIELD: a visiting schedule; PHONE: a teleseller's call list (its schedule is of calls).
    route_kind: str = FIELD_ROUTE


@dataclass(frozen=True)
class ShelfCount:
    sku: str
    present: bool
    facings: int
    shelf_quantity: Decimal | None  # None: not counted


@dataclass(frozen=True)
class AuditState:
    """An outlet's audit: the latest one's must-stock counts are the outlet's shelf."""

    audit_id: str
    outlet_id: str
    submitted_at: datetime
    version: int
    counts: Sequence[ShelfCount]
    # The device's time of the audit (clients' Audit.performed_at), None when not given. The
    # latest audit is the one of the latest `performed_at` (else `submitted_at`), then id.
    performed_at: datetime | None = None


@dataclass(frozen=True)
class EmployeeState:
    """An employee's standing, checked on every call of its token (fieldline_kit.auth.directory)
    and the team a supervisor's scope covers."""

    employee_id: str
    active: bool
    roles: frozenset[str]  # AGENT, SUPERVISOR, … (the clients context's Role names)
    supervisor_id: str
    territory_id: str
    version: int
    distributor_id: str = ""  # a distributor manager's distributor (a client id)


@dataclass(frozen=True)
class VisitState:
    """A visit (clients' check-in) as its latest event reported it: who, where, which day, and
    whether it is IN_PROGRESS, COMPLETED or MISSED (the clients context's VisitStatus names)."""

    visit_id: str
    agent_id: str
    outlet_id: str
    day: date
    status: str
    version: int

    @property
    def missed(self) -> bool:
        return self.status == VISIT_MISSED


VISIT_MISSED = "MISSED"

# What one handled clients event reports.
FeedRecord = (
    ClientState
    | OutletState
    | TerritoryState
    | AssignmentState
    | AuditState
    | EmployeeState
    | VisitState
)
