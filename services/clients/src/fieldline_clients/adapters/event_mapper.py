"""Domain events → published integration events (fieldline.clients.events.v1)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import singledispatch

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline_clients.adapters import proto_mapping as m
from fieldline_clients.domain import events
from fieldline_kit.uow import IntegrationEvent

SUBJECT_PREFIX = "clients.events.v1"
STREAM = "CLIENTS"


def _event(kind: str, aggregate_id: str, version: int, message: object) -> IntegrationEvent:
    name = type(message).__name__
    return IntegrationEvent(f"{SUBJECT_PREFIX}.{name}", message, kind, aggregate_id, version)  # type: ignore[arg-type]


@singledispatch
def _map(event: events.Event) -> IntegrationEvent:
    raise TypeError(f"no integration event for {type(event).__name__}")


@_map.register
def _(e: events.ClientCreated) -> IntegrationEvent:
    return _event(
        "client", e.client.id, e.client.version, ev.ClientCreated(client=m.client_pb(e.client))
    )


@_map.register
def _(e: events.ClientChanged) -> IntegrationEvent:
    msg = ev.ClientChanged(client=m.client_pb(e.client), changed_fields=list(e.changed_fields))
    return _event("client", e.client.id, e.client.version, msg)


@_map.register
def _(e: events.OutletCreated) -> IntegrationEvent:
    return _event(
        "outlet", e.outlet.id, e.outlet.version, ev.OutletCreated(outlet=m.outlet_pb(e.outlet))
    )


@_map.register
def _(e: events.OutletChanged) -> IntegrationEvent:
    msg = ev.OutletChanged(
        outlet=m.outlet_pb(e.outlet), changed_fields=list(e.changed_fields), changed_by=e.changed_by
    )
    return _event("outlet", e.outlet.id, e.outlet.version, msg)


@_map.register
def _(e: events.EmployeeChanged) -> IntegrationEvent:
    msg = ev.EmployeeChanged(employee=m.employee_pb(e.employee))
    return _event("employee", e.employee.id, e.employee.version, msg)


@_map.register
def _(e: events.RouteChanged) -> IntegrationEvent:
    return _event("route", e.route.id, e.route.version, ev.RouteChanged(route=m.route_pb(e.route)))


@_map.register
def _(e: events.RouteAssignmentChanged) -> IntegrationEvent:
    msg = ev.RouteAssignmentChanged(
        assignment=m.assignment_pb(e.assignment), agent_id=e.route.agent_id, removed=e.removed
    )
    return _event("route", e.route.id, e.route.version, msg)


@_map.register
def _(e: events.VisitStarted) -> IntegrationEvent:
    return _event("visit", e.visit.id, e.visit.version, ev.VisitStarted(visit=m.visit_pb(e.visit)))


@_map.register
def _(e: events.VisitCompleted) -> IntegrationEvent:
    return _event(
        "visit", e.visit.id, e.visit.version, ev.VisitCompleted(visit=m.visit_pb(e.visit))
    )


@_map.register
def _(e: events.VisitMissed) -> IntegrationEvent:
    return _event("visit", e.visit.id, e.visit.version, ev.VisitMissed(visit=m.visit_pb(e.visit)))


@_map.register
def _(e: events.AuditSubmitted) -> IntegrationEvent:
    return _event(
        "audit", e.audit.id, e.audit.version, ev.AuditSubmitted(audit=m.audit_pb(e.audit))
    )


@_map.register
def _(e: events.CensusDecided) -> IntegrationEvent:
    msg = ev.CensusDecided(proposal=m.proposal_pb(e.proposal))
    return _event("proposal", e.proposal.id, e.proposal.version, msg)


def to_integration(event: events.Event) -> Iterator[IntegrationEvent]:
    yield _map(event)
