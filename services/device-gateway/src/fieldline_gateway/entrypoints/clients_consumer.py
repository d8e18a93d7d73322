"""The `gateway-clients-fanout` consumer: clients' events → the employee directory, the scope
graph and the sync store's clients sections (docs/contexts/device-gateway.md, *Where the data
comes from*).

Each event is applied in the consumer's transaction with its inbox row: the directory and the
graph take the newest version, the items go through the store's version and hash guards, the
agents the event touches get their memberships recomputed. The durable is declared by the
topology (fieldline_gateway.topology); events without a handler here are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from google.protobuf.message import Message

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_gateway.adapters import projections_clients as pc
from fieldline_gateway.adapters import promotions_store
from fieldline_gateway.adapters.graph_store import GraphStore
from fieldline_gateway.adapters.orm import employees
from fieldline_gateway.adapters.projections import enum_name
from fieldline_gateway.bootstrap import App
from fieldline_gateway.domain.membership import outlet_scope
from fieldline_gateway.entrypoints.fanout_consumer import fanout_consumer
from fieldline_gateway.service_layer.fanout import Change
from fieldline_gateway.service_layer.refetch import (
    CASH_HOLDERS,
    call_plan_key,
    cash_key,
    plan_key,
    plan_keys,
    reco_key,
    vans_key,
)
from fieldline_gateway.topology import CLIENTS_FANOUT
from fieldline_kit.auth.directory import Standing
from fieldline_kit.auth.directory_table import put_standing
from fieldline_kit.grpc.convert import role_names
from fieldline_kit.messaging.consumer import PoisonMessage

ToChange = Callable[[EventEnvelope, Any], Change]


def _route_plan_key(kind: int, agent_id: str) -> str:
    """The plan a change of a route of `kind` moves: a call list's call plan, else the visit
    plan."""
    return call_plan_key(agent_id) if kind == res.ROUTE_KIND_PHONE else plan_key(agent_id)


def _version(envelope: EventEnvelope, fallback: int) -> int:
    return envelope.aggregate_version or fallback


def employee_standing(employee: res.Employee) -> Standing:
    return Standing(
        active=employee.active,
        roles=role_names(employee.roles, res.Role),
        supervisor_id=employee.supervisor_id,
        territory_id=employee.territory_id,
        distributor_id=employee.distributor_id,
    )


def employee_changed(envelope: EventEnvelope, message: ev.EmployeeChanged) -> Change:
    e = message.employee
    if not e.id:
        raise PoisonMessage("employee.id is empty")
    version = _version(envelope, e.version)

    async def directory(g: GraphStore) -> Iterable[str]:
        await put_standing(g.session, employees, e.id, employee_standing(e), version)
        return []

    roles = role_names(e.roles, res.Role)
    refetch = plan_keys(e.id, roles)
    if res.ROLE_VAN_SELLER in e.roles:
        refetch.add(vans_key(e.id))
    if CASH_HOLDERS & roles:
        refetch.add(cash_key(e.id))
    return Change(items=[pc.me_item(e)], graph=[directory], touched={e.id}, refetch=refetch)


def route_changed(envelope: EventEnvelope, message: ev.RouteChanged) -> Change:
    route = message.route
    version = _version(envelope, route.version)

    async def graph(g: GraphStore) -> Iterable[str]:
        before = await g.put_route(route.id, route.agent_id, version)
        return [before] if before else []

    return Change(
        items=[pc.route_item(route)],
        graph=[graph],
        touched={route.agent_id},
        refetch={_route_plan_key(route.kind, route.agent_id)},
    )


def assignment_changed(envelope: EventEnvelope, message: ev.RouteAssignmentChanged) -> Change:
    a = message.assignment
    version = _version(envelope, a.route_version)

    async def graph(g: GraphStore) -> Iterable[str]:
        await g.put_assignment(a.route_id, a.outlet_id, message.removed, version)
        agent = await g.route_agent(a.route_id)
        return [agent] if agent else []

    return Change(
        items=[pc.route_assignment_changed(message)],
        graph=[graph],
        touched={message.agent_id},
        refetch={
            reco_key(a.outlet_id),
            *([_route_plan_key(a.route_kind, message.agent_id)] if message.agent_id else []),
        },
    )


def outlet_seen(proposed_by: str = "") -> ToChange:
    def change(envelope: EventEnvelope, message: ev.OutletCreated | ev.OutletChanged) -> Change:
        outlet = message.outlet
        version = _version(envelope, outlet.version)
        status = enum_name(res.OutletStatus, outlet.status)

        async def graph(g: GraphStore) -> Iterable[str]:
            await g.put_outlet(outlet.id, outlet.client_id, status, version, proposed_by)
            return []

        return Change(
            items=[pc.outlet_item(outlet)],
            graph=[graph],
            touch_members_of={outlet_scope(outlet.id)},
        )

    return change


def client_seen(envelope: EventEnvelope, message: ev.ClientCreated | ev.ClientChanged) -> Change:
    return Change(items=[pc.client_item(message.client)])


def visit_seen(
    envelope: EventEnvelope, message: ev.VisitStarted | ev.VisitCompleted | ev.VisitMissed
) -> Change:
    return Change(items=[pc.visit_item(message.visit)])


def audit_submitted(envelope: EventEnvelope, message: ev.AuditSubmitted) -> Change:
    """Shelf counts move the outlet's recommended order."""
    return Change(refetch={reco_key(message.audit.outlet_id)})


def call_recorded(envelope: EventEnvelope, message: ev.CallRecorded) -> Change:
    """The call, and its teleseller's call plan again (its states and completion moved)."""
    call = message.call
    return Change(items=[pc.call_item(call)], refetch={call_plan_key(call.teleseller_id)})


def questionnaire_changed(envelope: EventEnvelope, message: ev.QuestionnaireChanged) -> Change:
    return Change(items=[pc.questionnaire_item(message.questionnaire)])


def census_decided(envelope: EventEnvelope, message: ev.CensusDecided) -> Change:
    proposal = message.proposal

    async def graph(g: GraphStore) -> Iterable[str]:
        if proposal.outlet_id and proposal.proposed_by:
            await g.mark_proposed(proposal.outlet_id, proposal.proposed_by)
        return [proposal.proposed_by]

    return Change(items=[pc.proposal_item(proposal)], graph=[graph])


# Each handled event type → the change it makes.
CHANGES: Mapping[type[Message], ToChange] = {
    ev.EmployeeChanged: employee_changed,
    ev.RouteChanged: route_changed,
    ev.RouteAssignmentChanged: assignment_changed,
    ev.OutletCreated: outlet_seen(),
    ev.OutletChanged: outlet_seen(),
    ev.ClientCreated: client_seen,
    ev.ClientChanged: client_seen,
    ev.VisitStarted: visit_seen,
    ev.VisitCompleted: visit_seen,
    ev.VisitMissed: visit_seen,
    ev.QuestionnaireChanged: questionnaire_changed,
    ev.AuditSubmitted: audit_submitted,
    ev.CensusDecided: census_decided,
    ev.CallRecorded: call_recorded,
}


def _today(app: App) -> date:
    return app.clock().astimezone(app.tz).date()


def territory_changed(app: App, envelope: EventEnvelope, message: ev.TerritoryChanged) -> Change:
    """A territory into the gateway's tree; every promotion targeting territories projected
    again (one may name an ancestor of it: its expansion grows)."""
    t = message.territory
    if not t.id:
        raise PoisonMessage("territory.id is empty")
    version = _version(envelope, 1)

    async def graph(g: GraphStore) -> Iterable[str]:
        await promotions_store.put_territory(g.session, t.id, t.parent_id, version)
        return []

    return Change(graph=[graph], derived=[promotions_store.territories_moved(_today(app))])


def outlet_with_promotions(app: App, envelope: EventEnvelope, message: Any) -> Change:
    """An outlet's change, and the promotions naming it projected again (its client decides
    their `account:` scope)."""
    change = outlet_seen()(envelope, message)
    change.derived.append(promotions_store.outlet_moved(message.outlet.id, _today(app)))
    return change


def _with_app(to_change: ToChange) -> Callable[[Any, EventEnvelope, Any], Change]:
    """A clients change needs no app: the signature the fan-out consumer calls."""
    return lambda _app, envelope, message: to_change(envelope, message)


# The changes that need the app (the business day: a promotion's end).
APP_CHANGES: Mapping[type[Message], Callable[[App, EventEnvelope, Any], Change]] = {
    ev.OutletCreated: outlet_with_promotions,
    ev.OutletChanged: outlet_with_promotions,
    ev.TerritoryChanged: territory_changed,
}

build_clients_consumer = fanout_consumer(
    CLIENTS_FANOUT, {**{t: _with_app(f) for t, f in CHANGES.items()}, **APP_CHANGES}
)
