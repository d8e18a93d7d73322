"""The write commands of the clients & territory context: what a caller asks, in domain terms.

Entrypoints map a request (a gRPC call, a record of a bulk load) to one of these; the use
cases in `handlers` take it with the unit of work. Values are as the caller gave them (ids
not yet checked, enums None when unspecified): the use case and the domain judge them. Who
asks is not a command's field: it is the verified caller (`access.Access`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fieldline_clients.domain.calls import CallOutcome
from fieldline_clients.domain.fieldwork import (
    AnswerInput,
    CompetitorPrice,
    MustStockCheck,
    QuestionType,
    VisitOutcome,
)
from fieldline_clients.domain.model import (
    ClientType,
    OutletCard,
    OutletStatus,
    Role,
    RouteKind,
    VisitFrequency,
)
from fieldline_clients.domain.values import Location


# ------------------------------------------------------------------------------ clients
@dataclass(frozen=True)
class CreateClient:
    id: str
    name: str
    inn: str
    kpp: str
    type: ClientType | None
    legal_address: str


@dataclass(frozen=True)
class UpdateClient:
    id: str
    changes: Mapping[str, Any]  # field → new value, for the fields named in `mask`
    mask: Sequence[str]  # empty: every field
    expected_version: int


@dataclass(frozen=True)
class ClientUpsert:
    """One counterparty of the ERP: a client's fields, keyed by the ERP's id."""

    external_id: str
    name: str
    inn: str
    kpp: str
    type: ClientType | None
    legal_address: str


@dataclass(frozen=True)
class UpsertClients:
    clients: Sequence[ClientUpsert]


# ------------------------------------------------------------------------------ outlets
@dataclass(frozen=True)
class CreateOutlet:
    id: str
    client_id: str
    card: OutletCard
    territory_id: str


@dataclass(frozen=True)
class UpdateOutletCard:
    outlet_id: str
    card: OutletCard
    mask: Sequence[str]
    expected_version: int


@dataclass(frozen=True)
class SetOutletStatus:
    outlet_id: str
    status: OutletStatus | None
    expected_version: int


# ------------------------------------------------------------------------------- census
@dataclass(frozen=True)
class ProposeOutlet:
    proposal_id: str
    outlet_id: str
    client_id: str
    card: OutletCard


@dataclass(frozen=True)
class ProposeCardChange:
    proposal_id: str
    outlet_id: str
    card: OutletCard
    mask: Sequence[str]


@dataclass(frozen=True)
class DecideProposal:
    proposal_id: str
    approve: bool | None  # None: no decision given
    reason: str


# --------------------------------------------------------------------- people, territory
@dataclass(frozen=True)
class CreateEmployee:
    id: str
    full_name: str
    roles: Sequence[Role | None]
    territory_id: str
    supervisor_id: str
    distributor_id: str
    phone: str = ""


@dataclass(frozen=True)
class UpdateEmployee:
    id: str
    full_name: str
    roles: Sequence[Role | None]
    territory_id: str
    supervisor_id: str
    distributor_id: str
    active: bool
    expected_version: int
    phone: str = ""


@dataclass(frozen=True)
class EmployeeUpsert:
    """One employee of the ERP, keyed by the ERP's id; its supervisor by the ERP's id too."""

    external_id: str
    full_name: str
    roles: Sequence[Role | None]
    active: bool
    phone: str
    supervisor_external_id: str  # "": none
    territory_id: str  # "": the stored employee's (none for a new one)


@dataclass(frozen=True)
class UpsertEmployees:
    employees: Sequence[EmployeeUpsert]


@dataclass(frozen=True)
class CreateTerritory:
    id: str
    name: str
    parent_id: str


@dataclass(frozen=True)
class CreateRoute:
    id: str
    name: str
    territory_id: str
    agent_id: str
    external_id: str = ""  # the ERP's id: the route's id is then derived from it
    kind: RouteKind | None = None  # None: FIELD


@dataclass(frozen=True)
class RouteAgentPeriodInput:
    """Who works a route from a day to a day: the route and the employee each named by an id
    or by the ERP's id (exactly one of each pair, judged by the use case)."""

    route_id: str
    route_external_id: str
    employee_id: str
    employee_external_id: str
    valid_from: date | None  # None: not given
    valid_to: date | None  # None: open-ended


@dataclass(frozen=True)
class ScheduleRouteAgents:
    periods: Sequence[RouteAgentPeriodInput]


@dataclass(frozen=True)
class SetRouteAssignment:
    route_id: str
    outlet_id: str
    frequency: VisitFrequency | None
    weekdays: Sequence[int]
    start_date: date | None
    sequence: int


@dataclass(frozen=True)
class RemoveRouteAssignment:
    route_id: str
    outlet_id: str


# ------------------------------------------------------------------------------ visits
@dataclass(frozen=True)
class CheckIn:
    visit_id: str
    for_agent_id: str  # the agent an ADMIN or SERVICE records it for; "": the caller
    outlet_id: str
    time: datetime
    location: Location | None
    day: date | None  # None: the date of `time`


@dataclass(frozen=True)
class CheckOut:
    visit_id: str
    time: datetime
    location: Location | None
    outcome: VisitOutcome | None
    notes: str


@dataclass(frozen=True)
class RecordMissedVisit:
    visit_id: str
    for_agent_id: str  # as in CheckIn
    outlet_id: str
    day: date | None
    reason: str


# ------------------------------------------------------------------------------- calls
@dataclass(frozen=True)
class RecordCall:
    id: str
    for_teleseller_id: str  # the teleseller an ADMIN or SERVICE records it for; "": the caller
    outlet_id: str
    day: date | None  # None: the company's date of `started_at`
    started_at: datetime | None
    ended_at: datetime | None
    outcome: CallOutcome | None
    call_back_at: datetime | None
    reason: str
    notes: str


# ------------------------------------------------------------------------------ audits
# A question as asked: (id, text, type, options, required).
Question = tuple[str, str, QuestionType | None, Sequence[str], bool]


@dataclass(frozen=True)
class CreateQuestionnaire:
    id: str
    name: str
    questions: Sequence[Question]
    must_stock_skus: Sequence[str]
    distributor_id: str = ""  # '' the company's


@dataclass(frozen=True)
class UpdateQuestionnaire:
    id: str
    name: str
    questions: Sequence[Question]
    must_stock_skus: Sequence[str]
    expected_version: int
    distributor_id: str = ""  # replaced as the rest: '' untags it


@dataclass(frozen=True)
class SubmitAudit:
    id: str
    visit_id: str
    questionnaire_id: str
    agent_id: str
    outlet_id: str
    answers: Sequence[AnswerInput] = field(default_factory=tuple)
    must_stock: Sequence[MustStockCheck] = field(default_factory=tuple)
    competitor_prices: Sequence[CompetitorPrice] = field(default_factory=tuple)
    performed_at: datetime | None = None  # the device's time of the audit; None: not given
    distributor_id: str = ""  # '' none named: the questionnaire's, if it has one
