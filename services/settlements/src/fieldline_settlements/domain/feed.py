"""What settlements knows of the clients context: its employees, outlets and routes (read
models fed by the `settlements-clients-feed` consumer).

Each record is the state one clients event reports, with the aggregate version that orders
it (the outlet's, the route's, the employee's). A record not newer than the one held changes
nothing: events of one aggregate may arrive late or twice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutletState:
    """An outlet of the clients context and the client it belongs to."""

    outlet_id: str
    client_id: str
    version: int


@dataclass(frozen=True)
class RouteOutletState:
    """An outlet on a route, and the employee who works the route; a removal is kept as a
    tombstone (`removed`), so a late, older "put on the route" cannot bring it back."""

    route_id: str
    outlet_id: str
    agent_id: str
    removed: bool
    version: int


@dataclass(frozen=True)
class EmployeeState:
    """An employee's standing (checked on every call of its token) and its supervisor (whose
    team, and so whose scope, it is in)."""

    employee_id: str
    active: bool
    roles: frozenset[str]  # AGENT, SUPERVISOR, … (the clients context's Role names)
    supervisor_id: str
    territory_id: str
    version: int


# What one handled clients event reports.
FeedRecord = OutletState | RouteOutletState | EmployeeState
