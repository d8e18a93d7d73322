"""Sync items of the sections that come from clients: me, routes, routeOutlets, visitPlans,
visits, outlets, clients, questionnaires, proposals, calls, callPlans (docs/sync-protocol.md,
*Sections*).

Keys are the store's `(section, key)`, unique across every employee: `me` is keyed by the
employee's id and a plan day by `agentId/date` (a call plan's by `telesellerId/date`; the
protocol writes them `me` and `date`, one device seeing one employee).
"""

from __future__ import annotations

from typing import Any

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as tpb
from fieldline_gateway.adapters.projections import (
    CALL_PLANS,
    CALLS,
    CLIENTS,
    ME,
    OUTLETS,
    PROPOSALS,
    QUESTIONNAIRES,
    ROUTE_OUTLETS,
    ROUTES,
    VISIT_PLANS,
    VISITS,
    Item,
    Removal,
    camel_path,
    date_text,
    enum_name,
    enum_names,
    item,
    join_key,
    lat_lng,
    optional_enum,
    put,
    require,
    scope_agent,
    scope_client,
    scope_company,
    scope_outlet,
    scope_route,
    string_map,
    time_text,
)


def me_key(employee_id: str) -> str:
    return require(employee_id, "employee.id")


def me_item(employee: cpb.Employee) -> Item:
    """`me`: the employee (`EmployeeChanged`, `ListEmployees`). The body has no `deviceId`:
    the store keeps one body per employee, and the reader adds the device's
    (`projections.with_device_id`)."""
    data: dict[str, Any] = {
        "employeeId": employee.id,
        "fullName": employee.full_name,
        "roles": enum_names(cpb.Role, employee.roles),
    }
    put(data, "territoryId", employee.territory_id)
    put(data, "supervisorId", employee.supervisor_id)
    return item(ME, me_key(employee.id), scope_agent(employee.id), employee.version, data)


def route_item(route: cpb.Route) -> Item:
    """`routes` (`RouteChanged`, `ListRoutes`)."""
    data = {
        "id": route.id,
        "name": route.name,
        "territoryId": route.territory_id,
        "version": route.version,
    }
    key = require(route.id, "route.id")
    return item(ROUTES, key, scope_route(route.id), route.version, data)


def route_outlet_key(route_id: str, outlet_id: str) -> str:
    return join_key(require(route_id, "route_id"), require(outlet_id, "outlet_id"))


def route_outlet_item(assignment: cpb.RouteAssignment) -> Item:
    """`routeOutlets`, keyed `routeId/outletId`, versioned by the route's version."""
    a = assignment
    data = {
        "routeId": a.route_id,
        "outletId": a.outlet_id,
        "frequency": enum_name(cpb.VisitFrequency, a.frequency),
        "weekdays": list(a.weekdays),
        "startDate": date_text(a.start_date, "assignment.start_date"),
        "sequence": a.sequence,
    }
    key = route_outlet_key(a.route_id, a.outlet_id)
    return item(ROUTE_OUTLETS, key, scope_route(a.route_id), a.route_version, data)


def route_outlet_removal(assignment: cpb.RouteAssignment) -> Removal:
    """The tombstone of a removed assignment."""
    a = assignment
    key = route_outlet_key(a.route_id, a.outlet_id)
    return Removal(ROUTE_OUTLETS, key, scope_route(a.route_id), a.route_version)


def route_assignment_changed(event: cev.RouteAssignmentChanged) -> Item | Removal:
    """`RouteAssignmentChanged`: the assignment, or its tombstone when `removed`."""
    if event.removed:
        return route_outlet_removal(event.assignment)
    return route_outlet_item(event.assignment)


def visit_plan_key(agent_id: str, day: str) -> str:
    return join_key(require(agent_id, "agent_id"), require(day, "date"))


def visit_plan_item(plan: tpb.GetVisitPlanResponse) -> Item:
    """`visitPlans`: one day of an agent's plan (`GetVisitPlan`), unversioned."""
    day = date_text(plan.date, "plan.date") or ""
    data = {
        "date": day,
        "visits": [
            {"outletId": v.outlet.id, "routeId": v.route_id, "sequence": v.sequence}
            for v in plan.visits
        ],
    }
    key = visit_plan_key(plan.agent_id, day)
    return item(VISIT_PLANS, key, scope_agent(plan.agent_id), 0, data)


def _check(time: Any, location: Any, distance_m: int, far: bool, field: str) -> dict[str, Any]:
    return {
        "time": time_text(time, field),
        "location": lat_lng(location),
        "distanceM": distance_m,
        "far": far,
    }


def visit_item(visit: cpb.Visit) -> Item:
    """`visits` (`VisitStarted`, `VisitCompleted`, `VisitMissed`, `ListVisits`); a visit has
    no version (the envelope's, if any, is the caller's to set)."""
    v = visit
    data: dict[str, Any] = {
        "id": v.id,
        "outletId": v.outlet_id,
        "date": date_text(v.date, "visit.date"),
        "status": enum_name(cpb.VisitStatus, v.status),
    }
    if v.HasField("check_in_time"):
        data["checkIn"] = _check(
            v.check_in_time,
            v.check_in_location,
            v.check_in_distance_m,
            v.check_in_far,
            "visit.check_in_time",
        )
    if v.HasField("check_out_time"):
        data["checkOut"] = _check(
            v.check_out_time,
            v.check_out_location,
            v.check_out_distance_m,
            v.check_out_far,
            "visit.check_out_time",
        )
    put(data, "outcome", optional_enum(cpb.VisitOutcome, v.outcome))
    put(data, "missedReason", v.missed_reason)
    put(data, "notes", v.notes)
    return item(VISITS, require(v.id, "visit.id"), scope_agent(v.agent_id), 0, data)


def card_data(card: cpb.OutletCard) -> dict[str, Any]:
    """An outlet card (outlets, proposals)."""
    data: dict[str, Any] = {"name": card.name, "address": card.address}
    if card.HasField("location"):
        data["location"] = lat_lng(card.location)
    data.update(
        {
            "channel": card.channel,
            "format": card.format,
            "outletClass": card.outlet_class,
            "contacts": [
                {"name": c.name, "role": c.role, "phone": c.phone, "email": c.email}
                for c in card.contacts
            ],
            "workingHours": [
                {"weekday": w.weekday, "opens": w.opens, "closes": w.closes}
                for w in card.working_hours
            ],
            "customAttributes": string_map(card.custom_attributes),
        }
    )
    return data


def outlet_item(outlet: cpb.Outlet) -> Item:
    """`outlets`, with the card (`OutletCreated`, `OutletChanged`, `ListOutlets`)."""
    o = outlet
    data = {
        "id": o.id,
        "clientId": o.client_id,
        "status": enum_name(cpb.OutletStatus, o.status),
        "territoryId": o.territory_id,
        "version": o.version,
        "card": card_data(o.card),
    }
    return item(OUTLETS, require(o.id, "outlet.id"), scope_outlet(o.id), o.version, data)


def client_item(client: cpb.Client) -> Item:
    """`clients` (`ClientCreated`, `ClientChanged`, `ListClients`)."""
    c = client
    data: dict[str, Any] = {"id": c.id, "name": c.name, "inn": c.inn}
    put(data, "kpp", c.kpp)
    data["type"] = enum_name(cpb.ClientType, c.type)
    data["legalAddress"] = c.legal_address
    data["version"] = c.version
    return item(CLIENTS, require(c.id, "client.id"), scope_client(c.id), c.version, data)


def questionnaire_item(questionnaire: cpb.Questionnaire) -> Item:
    """`questionnaires`, with the must-stock SKUs (`QuestionnaireChanged`,
    `ListQuestionnaires`)."""
    q = questionnaire
    data = {
        "id": q.id,
        "name": q.name,
        "version": q.version,
        "questions": [
            {
                "id": x.id,
                "text": x.text,
                "type": enum_name(cpb.QuestionType, x.type),
                "options": list(x.options),
                "required": x.required,
            }
            for x in q.questions
        ],
        "mustStockSkus": list(q.must_stock_skus),
    }
    key = require(q.id, "questionnaire.id")
    return item(QUESTIONNAIRES, key, scope_company(), q.version, data)


def proposal_item(proposal: cpb.Proposal) -> Item:
    """`proposals`: a census proposal, under its proposer's agent scope (`CensusDecided`,
    `ListProposals`); unversioned. `fields` are card paths as the protocol names them
    (`outletClass`, `customAttributes.fridge`)."""
    p = proposal
    data: dict[str, Any] = {
        "id": p.id,
        "kind": enum_name(cpb.ProposalKind, p.kind),
        "status": enum_name(cpb.ProposalStatus, p.status),
        "outletId": p.outlet_id,
        "clientId": p.client_id,
        "card": card_data(p.card),
        "fields": [camel_path(f) for f in p.fields],
    }
    put(data, "decidedBy", p.decided_by)
    put(data, "decisionReason", p.decision_reason)
    data["createTime"] = time_text(p.create_time, "proposal.create_time")
    put(data, "decideTime", time_text(p.decide_time, "proposal.decide_time"))
    key = require(p.id, "proposal.id")
    return item(PROPOSALS, key, scope_agent(p.proposed_by), 0, data)


def call_item(call: cpb.Call) -> Item:
    """`calls`: a teleseller's call, under its agent scope (`CallRecorded`, `ListCalls`);
    calls never change, so unversioned."""
    c = call
    data: dict[str, Any] = {
        "id": c.id,
        "outletId": c.outlet_id,
        "date": date_text(c.date, "call.date"),
        "startedAt": time_text(c.started_at, "call.started_at"),
    }
    put(data, "endedAt", time_text(c.ended_at, "call.ended_at"))
    data["outcome"] = enum_name(cpb.CallOutcome, c.outcome)
    put(data, "callBackAt", time_text(c.call_back_at, "call.call_back_at"))
    put(data, "reason", c.reason)
    put(data, "notes", c.notes)
    put(data, "recordTime", time_text(c.record_time, "call.record_time"))
    return item(CALLS, require(c.id, "call.id"), scope_agent(c.teleseller_id), 0, data)


def call_plan_key(teleseller_id: str, day: str) -> str:
    return join_key(require(teleseller_id, "teleseller_id"), require(day, "date"))


def call_plan_item(plan: tpb.GetCallPlanResponse) -> Item:
    """`callPlans`: one day of a teleseller's call plan (`GetCallPlan`), unversioned. The
    calls themselves are in `calls`: a planned outlet names its calls of the day by id."""
    day = date_text(plan.date, "plan.date") or ""
    calls = []
    for planned in plan.calls:
        entry: dict[str, Any] = {
            "outletId": planned.outlet.id,
            "routeId": planned.route_id,
            "sequence": planned.sequence,
            "scheduled": planned.scheduled,
            "state": enum_name(tpb.CallState, planned.state),
        }
        if planned.HasField("call_back_of"):
            entry["callBackOf"] = planned.call_back_of.id
        entry["callIds"] = [c.id for c in planned.calls]
        calls.append(entry)
    done = plan.completion
    data = {
        "date": day,
        "calls": calls,
        "completion": {
            "listed": done.listed,
            "done": done.done,
            "notCalled": done.not_called,
            "ordered": done.ordered,
            "noAnswer": done.no_answer,
            "callBack": done.call_back,
            "refused": done.refused,
        },
        "unplannedCallIds": [c.id for c in plan.unplanned_calls],
    }
    key = call_plan_key(plan.teleseller_id, day)
    return item(CALL_PLANS, key, scope_agent(plan.teleseller_id), 0, data)
