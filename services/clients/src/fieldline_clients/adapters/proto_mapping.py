"""Translation between the published protos (fieldline.clients.v1) and the domain model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from google.type import latlng_pb2

from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts_pb
from fieldline_clients.domain.calls import Call, CallOutcome, CallPlan, CallState
from fieldline_clients.domain.fieldwork import (
    Answer,
    AnswerInput,
    Audit,
    CompetitorPrice,
    GeoMark,
    MustStockCheck,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Questionnaire,
    QuestionType,
    Visit,
    VisitOutcome,
    VisitStatus,
)
from fieldline_clients.domain.model import (
    CardChange,
    Client,
    ClientType,
    Contact,
    Employee,
    Outlet,
    OutletCard,
    OutletStatus,
    Role,
    Route,
    RouteAgentPeriod,
    RouteAssignment,
    RouteKind,
    Territory,
    VisitFrequency,
    WorkingHours,
)
from fieldline_clients.domain.values import MAX_LIST, Location, Money, limit_items, parse_decimal
from fieldline_kit.grpc.convert import from_enum, from_money, money, pb_date, ts

E = TypeVar("E")

# enum ↔ proto tables; the proto zero value (UNSPECIFIED) maps to None.
CLIENT_TYPES = {
    ClientType.RETAIL: pb.CLIENT_TYPE_RETAIL,
    ClientType.DISTRIBUTOR: pb.CLIENT_TYPE_DISTRIBUTOR,
    ClientType.KEY_ACCOUNT: pb.CLIENT_TYPE_KEY_ACCOUNT,
}
OUTLET_STATUSES = {
    OutletStatus.PENDING: pb.OUTLET_STATUS_PENDING,
    OutletStatus.ACTIVE: pb.OUTLET_STATUS_ACTIVE,
    OutletStatus.REJECTED: pb.OUTLET_STATUS_REJECTED,
    OutletStatus.CLOSED: pb.OUTLET_STATUS_CLOSED,
}
ROLES = {
    Role.AGENT: pb.ROLE_AGENT,
    Role.VAN_SELLER: pb.ROLE_VAN_SELLER,
    Role.MERCHANDISER: pb.ROLE_MERCHANDISER,
    Role.DISTRIBUTOR_MANAGER: pb.ROLE_DISTRIBUTOR_MANAGER,
    Role.SUPERVISOR: pb.ROLE_SUPERVISOR,
    Role.TECHNICIAN: pb.ROLE_TECHNICIAN,
    Role.TELESELLER: pb.ROLE_TELESELLER,
    Role.ADMIN: pb.ROLE_ADMIN,
}
ROUTE_KINDS = {RouteKind.FIELD: pb.ROUTE_KIND_FIELD, RouteKind.PHONE: pb.ROUTE_KIND_PHONE}
CALL_STATES = {CallState.OPEN: ts_pb.CALL_STATE_OPEN, CallState.DONE: ts_pb.CALL_STATE_DONE}
CALL_OUTCOMES = {
    CallOutcome.ORDERED: pb.CALL_OUTCOME_ORDERED,
    CallOutcome.NO_ANSWER: pb.CALL_OUTCOME_NO_ANSWER,
    CallOutcome.CALL_BACK: pb.CALL_OUTCOME_CALL_BACK,
    CallOutcome.REFUSED: pb.CALL_OUTCOME_REFUSED,
}
FREQUENCIES = {
    VisitFrequency.WEEKLY: pb.VISIT_FREQUENCY_WEEKLY,
    VisitFrequency.EVERY_2_WEEKS: pb.VISIT_FREQUENCY_EVERY_2_WEEKS,
    VisitFrequency.EVERY_4_WEEKS: pb.VISIT_FREQUENCY_EVERY_4_WEEKS,
}
VISIT_STATUSES = {
    VisitStatus.IN_PROGRESS: pb.VISIT_STATUS_IN_PROGRESS,
    VisitStatus.COMPLETED: pb.VISIT_STATUS_COMPLETED,
    VisitStatus.MISSED: pb.VISIT_STATUS_MISSED,
}
OUTCOMES = {
    VisitOutcome.ORDER_TAKEN: pb.VISIT_OUTCOME_ORDER_TAKEN,
    VisitOutcome.NO_ORDER: pb.VISIT_OUTCOME_NO_ORDER,
    VisitOutcome.AUDIT_ONLY: pb.VISIT_OUTCOME_AUDIT_ONLY,
    VisitOutcome.OUTLET_CLOSED: pb.VISIT_OUTCOME_OUTLET_CLOSED,
    VisitOutcome.REFUSED: pb.VISIT_OUTCOME_REFUSED,
}
QUESTION_TYPES = {
    QuestionType.NUMBER: pb.QUESTION_TYPE_NUMBER,
    QuestionType.MONEY: pb.QUESTION_TYPE_MONEY,
    QuestionType.YES_NO: pb.QUESTION_TYPE_YES_NO,
    QuestionType.CHOICE: pb.QUESTION_TYPE_CHOICE,
    QuestionType.PHOTO: pb.QUESTION_TYPE_PHOTO,
}
PROPOSAL_KINDS = {
    ProposalKind.NEW_OUTLET: pb.PROPOSAL_KIND_NEW_OUTLET,
    ProposalKind.CARD_CHANGE: pb.PROPOSAL_KIND_CARD_CHANGE,
}
PROPOSAL_STATUSES = {
    ProposalStatus.PENDING: pb.PROPOSAL_STATUS_PENDING,
    ProposalStatus.APPROVED: pb.PROPOSAL_STATUS_APPROVED,
    ProposalStatus.REJECTED: pb.PROPOSAL_STATUS_REJECTED,
}


# ----------------------------------------------------------------------------- to proto
def location_pb(loc: Location | None) -> latlng_pb2.LatLng | None:
    return None if loc is None else latlng_pb2.LatLng(latitude=loc.lat, longitude=loc.lon)


def client_pb(c: Client) -> pb.Client:
    return pb.Client(
        id=c.id,
        name=c.name,
        inn=c.inn,
        kpp=c.kpp,
        type=CLIENT_TYPES[c.type],
        legal_address=c.legal_address,
        version=c.version,
        create_time=ts(c.created_at),
        update_time=ts(c.updated_at),
        external_id=c.external_id,
    )


def card_pb(card: OutletCard) -> pb.OutletCard:
    return pb.OutletCard(
        name=card.name,
        address=card.address,
        location=location_pb(card.location),
        channel=card.channel,
        format=card.format,
        outlet_class=card.outlet_class,
        contacts=[
            pb.Contact(name=c.name, role=c.role, phone=c.phone, email=c.email)
            for c in card.contacts
        ],
        working_hours=[
            pb.WorkingHours(weekday=w.weekday, opens=w.opens, closes=w.closes)
            for w in card.working_hours
        ],
        custom_attributes=dict(card.custom_attributes),
    )


def outlet_pb(o: Outlet) -> pb.Outlet:
    return pb.Outlet(
        id=o.id,
        client_id=o.client_id,
        card=card_pb(o.card),
        status=OUTLET_STATUSES[o.status],
        territory_id=o.territory_id,
        version=o.version,
        create_time=ts(o.created_at),
        update_time=ts(o.updated_at),
    )


def history_pb(h: CardChange) -> pb.OutletCardChange:
    return pb.OutletCardChange(
        outlet_id=h.outlet_id,
        version=h.version,
        changed_by=h.changed_by,
        change_time=ts(h.changed_at),
        changes=[
            pb.FieldChange(field=c.field, old_value=c.old_value, new_value=c.new_value)
            for c in h.changes
        ],
        proposal_id=h.proposal_id,
    )


def employee_pb(e: Employee) -> pb.Employee:
    return pb.Employee(
        id=e.id,
        full_name=e.full_name,
        roles=sorted(ROLES[r] for r in e.roles),
        territory_id=e.territory_id,
        supervisor_id=e.supervisor_id,
        distributor_id=e.distributor_id,
        active=e.active,
        version=e.version,
        external_id=e.external_id,
        phone=e.phone,
    )


def territory_pb(t: Territory) -> pb.Territory:
    return pb.Territory(id=t.id, name=t.name, parent_id=t.parent_id)


def route_pb(r: Route) -> pb.Route:
    return pb.Route(
        id=r.id,
        name=r.name,
        territory_id=r.territory_id,
        agent_id=r.agent_id,
        version=r.version,
        external_id=r.external_id,
        kind=ROUTE_KINDS[r.kind],
    )


def period_pb(p: RouteAgentPeriod) -> pb.RouteAgentPeriod:
    return pb.RouteAgentPeriod(
        route_id=p.route_id,
        employee_id=p.employee_id,
        valid_from=pb_date(p.valid_from),
        valid_to=pb_date(p.valid_to),
    )


def assignment_pb(
    a: RouteAssignment, route_version: int, route_kind: RouteKind
) -> pb.RouteAssignment:
    """`route_version`: the version of its route as of the answer or event; `route_kind`: its
    route's kind."""
    return pb.RouteAssignment(
        route_id=a.route_id,
        outlet_id=a.outlet_id,
        frequency=FREQUENCIES[a.frequency],
        weekdays=list(a.weekdays),
        start_date=pb_date(a.start_date),
        sequence=a.sequence,
        route_version=route_version,
        route_kind=ROUTE_KINDS[route_kind],
    )


def _mark(v: pb.Visit, prefix: str, mark: GeoMark | None) -> None:
    if mark is None:
        return
    getattr(v, f"{prefix}_time").CopyFrom(ts(mark.time))
    if mark.location is not None:
        getattr(v, f"{prefix}_location").CopyFrom(location_pb(mark.location))
    setattr(v, f"{prefix}_distance_m", mark.distance_m or 0)
    setattr(v, f"{prefix}_far", mark.far)


def visit_pb(visit: Visit) -> pb.Visit:
    out = pb.Visit(
        id=visit.id,
        agent_id=visit.agent_id,
        outlet_id=visit.outlet_id,
        date=pb_date(visit.day),
        status=VISIT_STATUSES[visit.status],
        outcome=OUTCOMES[visit.outcome] if visit.outcome else 0,
        missed_reason=visit.missed_reason,
        notes=visit.notes,
    )
    _mark(out, "check_in", visit.check_in)
    _mark(out, "check_out", visit.check_out)
    return out


def call_pb(c: Call) -> pb.Call:
    return pb.Call(
        id=c.id,
        teleseller_id=c.teleseller_id,
        outlet_id=c.outlet_id,
        date=pb_date(c.day),
        started_at=ts(c.started_at),
        ended_at=ts(c.ended_at),
        outcome=CALL_OUTCOMES[c.outcome],
        call_back_at=ts(c.call_back_at),
        reason=c.reason,
        notes=c.notes,
        record_time=ts(c.recorded_at),
    )


def call_plan_pb(
    teleseller_id: str, plan: CallPlan, outlets: dict[str, bytes]
) -> ts_pb.GetCallPlanResponse:
    """`outlets`: the stored protos (outlets.outlet_pb) of the planned outlets, by id."""
    by_outcome = plan.completion.by_outcome
    out = ts_pb.GetCallPlanResponse(
        teleseller_id=teleseller_id,
        date=pb_date(plan.day),
        completion=ts_pb.CallPlanCompletion(
            listed=plan.completion.listed,
            done=plan.completion.done,
            not_called=by_outcome.get(None, 0),
            ordered=by_outcome.get(CallOutcome.ORDERED, 0),
            no_answer=by_outcome.get(CallOutcome.NO_ANSWER, 0),
            call_back=by_outcome.get(CallOutcome.CALL_BACK, 0),
            refused=by_outcome.get(CallOutcome.REFUSED, 0),
        ),
        unplanned_calls=[call_pb(c) for c in plan.unplanned],
    )
    for p in plan.planned:
        planned = out.calls.add(
            route_id=p.route_id,
            sequence=p.sequence,
            scheduled=p.scheduled,
            state=CALL_STATES[p.state],
            calls=[call_pb(c) for c in p.calls],
        )
        if p.call_back_of is not None:
            planned.call_back_of.CopyFrom(call_pb(p.call_back_of))
        planned.outlet.MergeFromString(outlets.get(p.outlet_id, b""))
    return out


def questionnaire_pb(q: Questionnaire) -> pb.Questionnaire:
    return pb.Questionnaire(
        id=q.id,
        name=q.name,
        questions=[
            pb.Question(
                id=x.id,
                text=x.text,
                type=QUESTION_TYPES[x.type],
                options=list(x.options),
                required=x.required,
            )
            for x in q.questions
        ],
        must_stock_skus=list(q.must_stock_skus),
        version=q.version,
        distributor_id=q.distributor_id,
    )


def _answer_pb(a: Answer) -> pb.Answer:
    out = pb.Answer(question_id=a.question_id)
    value = a.value
    if isinstance(value, Money):
        out.money.CopyFrom(money(value.amount, value.currency))
    elif a.type is QuestionType.NUMBER:
        out.number = str(value)
    elif a.type is QuestionType.YES_NO:
        out.yes_no = bool(value)
    elif a.type is QuestionType.CHOICE:
        out.choice = str(value)
    else:
        out.photo_ref = str(value)
    return out


def audit_pb(a: Audit) -> pb.Audit:
    return pb.Audit(
        id=a.id,
        visit_id=a.visit_id,
        questionnaire_id=a.questionnaire_id,
        agent_id=a.agent_id,
        outlet_id=a.outlet_id,
        answers=[_answer_pb(x) for x in a.answers],
        must_stock=[
            pb.MustStockCheck(
                sku=m.sku,
                present=m.present,
                facings=m.facings,
                shelf_quantity="" if m.shelf_quantity is None else str(m.shelf_quantity),
            )
            for m in a.must_stock
        ],
        competitor_prices=[
            pb.CompetitorPrice(
                product=c.product,
                competitor=c.competitor,
                price=money(c.price.amount, c.price.currency),
            )
            for c in a.competitor_prices
        ],
        submit_time=ts(a.submitted_at),
        performed_at=ts(a.performed_at),
        distributor_id=a.distributor_id,
    )


def proposal_pb(p: Proposal) -> pb.Proposal:
    return pb.Proposal(
        id=p.id,
        kind=PROPOSAL_KINDS[p.kind],
        status=PROPOSAL_STATUSES[p.status],
        proposed_by=p.proposed_by,
        outlet_id=p.outlet_id,
        client_id=p.client_id,
        card=card_pb(p.card),
        fields=list(p.fields),
        decided_by=p.decided_by,
        decision_reason=p.decision_reason,
        create_time=ts(p.created_at),
        decide_time=ts(p.decided_at),
    )


# --------------------------------------------------------------------------- from proto
def mask_paths(request: Any) -> list[str]:
    """The paths of a request's `update_mask`; none (every field) when it has no mask."""
    if not request.HasField("update_mask"):
        return []
    return list(limit_items("update_mask.paths", request.update_mask.paths, MAX_LIST))


def location_from(field: str, msg: latlng_pb2.LatLng, present: bool) -> Location | None:
    if not present:
        return None
    return Location.of(field, msg.latitude, msg.longitude)


def card_from_pb(card: pb.OutletCard, field: str = "card") -> OutletCard:
    return OutletCard(
        name=card.name,
        address=card.address,
        location=location_from(f"{field}.location", card.location, card.HasField("location")),
        channel=card.channel,
        format=card.format,
        outlet_class=card.outlet_class,
        contacts=tuple(Contact(c.name, c.role, c.phone, c.email) for c in card.contacts),
        working_hours=tuple(WorkingHours(w.weekday, w.opens, w.closes) for w in card.working_hours),
        custom_attributes=dict(card.custom_attributes),
    )


def roles_from(values: Iterable[int], field: str = "employee.roles") -> list[Role | None]:
    return [from_enum(ROLES, v, field) for v in values]


_ANSWER_KINDS = ("number", "money", "yes_no", "choice", "photo_ref")


def answer_from(a: pb.Answer, where: str) -> AnswerInput:
    kind = a.WhichOneof("value") or ""
    if kind == "money":
        amount, currency = from_money(f"{where}.money", a.money)
        return AnswerInput(a.question_id, kind, Money.of(f"{where}.money", amount, currency))
    if kind in _ANSWER_KINDS:
        return AnswerInput(a.question_id, kind, getattr(a, kind))
    return AnswerInput(a.question_id, "", None)


def must_stock_from(m: pb.MustStockCheck, where: str) -> MustStockCheck:
    qty = parse_decimal(f"{where}.shelf_quantity", m.shelf_quantity) if m.shelf_quantity else None
    return MustStockCheck(m.sku, m.present, m.facings, qty)


def competitor_price_from(c: pb.CompetitorPrice, where: str) -> CompetitorPrice:
    amount, currency = from_money(f"{where}.price", c.price)
    return CompetitorPrice(c.product, c.competitor, Money.of(f"{where}.price", amount, currency))
