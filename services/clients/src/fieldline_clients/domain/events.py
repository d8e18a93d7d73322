"""Domain events: what happened, in the past tense. Mapped to published protos in adapters/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldline_clients.domain.calls import Call
    from fieldline_clients.domain.fieldwork import Audit, Proposal, Questionnaire, Visit
    from fieldline_clients.domain.model import (
        Client,
        Employee,
        Outlet,
        Route,
        RouteAssignment,
        Territory,
    )


class Event:
    """Marker base."""


@dataclass(frozen=True)
class ClientCreated(Event):
    client: Client


@dataclass(frozen=True)
class ClientChanged(Event):
    client: Client
    changed_fields: tuple[str, ...]


@dataclass(frozen=True)
class OutletCreated(Event):
    outlet: Outlet


@dataclass(frozen=True)
class OutletChanged(Event):
    outlet: Outlet
    changed_fields: tuple[str, ...]
    changed_by: str


@dataclass(frozen=True)
class EmployeeChanged(Event):
    employee: Employee


@dataclass(frozen=True)
class TerritoryChanged(Event):
    """A territory created (territories are never changed once made)."""

    territory: Territory


@dataclass(frozen=True)
class RouteChanged(Event):
    """A route created, or its agent handed over (`previous_agent_id`: who worked it before)."""

    route: Route
    previous_agent_id: str = ""


@dataclass(frozen=True)
class RouteAssignmentChanged(Event):
    route: Route
    assignment: RouteAssignment
    removed: bool


@dataclass(frozen=True)
class VisitStarted(Event):
    visit: Visit


@dataclass(frozen=True)
class VisitCompleted(Event):
    visit: Visit


@dataclass(frozen=True)
class VisitMissed(Event):
    visit: Visit


@dataclass(frozen=True)
class QuestionnaireChanged(Event):
    questionnaire: Questionnaire


@dataclass(frozen=True)
class AuditSubmitted(Event):
    audit: Audit


@dataclass(frozen=True)
class CensusDecided(Event):
    proposal: Proposal


@dataclass(frozen=True)
class CallRecorded(Event):
    call: Call
