"""Domain events → published integration events (fieldline.clients.events.v1), one method each."""

from __future__ import annotations

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline_clients import topology
from fieldline_clients.adapters import proto_mapping as m
from fieldline_clients.domain import events
from fieldline_kit.event_mapper import EventMapper, maps
from fieldline_kit.uow import IntegrationEvent


class ClientsEvents(EventMapper):
    subject_prefix = topology.SUBJECT_PREFIX

    @maps(events.ClientCreated)
    def client_created(self, e: events.ClientCreated) -> IntegrationEvent:
        msg = ev.ClientCreated(client=m.client_pb(e.client))
        return self.event("client", e.client.id, e.client.version, msg)

    @maps(events.ClientChanged)
    def client_changed(self, e: events.ClientChanged) -> IntegrationEvent:
        msg = ev.ClientChanged(client=m.client_pb(e.client), changed_fields=list(e.changed_fields))
        return self.event("client", e.client.id, e.client.version, msg)

    @maps(events.OutletCreated)
    def outlet_created(self, e: events.OutletCreated) -> IntegrationEvent:
        msg = ev.OutletCreated(outlet=m.outlet_pb(e.outlet))
        return self.event("outlet", e.outlet.id, e.outlet.version, msg)

    @maps(events.OutletChanged)
    def outlet_changed(self, e: events.OutletChanged) -> IntegrationEvent:
        msg = ev.OutletChanged(
            outlet=m.outlet_pb(e.outlet),
            changed_fields=list(e.changed_fields),
            changed_by=e.changed_by,
        )
        return self.event("outlet", e.outlet.id, e.outlet.version, msg)

    @maps(events.EmployeeChanged)
    def employee_changed(self, e: events.EmployeeChanged) -> IntegrationEvent:
        msg = ev.EmployeeChanged(employee=m.employee_pb(e.employee))
        return self.event("employee", e.employee.id, e.employee.version, msg)

    @maps(events.TerritoryChanged)
    def territory_changed(self, e: events.TerritoryChanged) -> IntegrationEvent:
        msg = ev.TerritoryChanged(territory=m.territory_pb(e.territory))
        return self.event("territory", e.territory.id, e.territory.version, msg)

    @maps(events.RouteChanged)
    def route_changed(self, e: events.RouteChanged) -> IntegrationEvent:
        msg = ev.RouteChanged(route=m.route_pb(e.route), previous_agent_id=e.previous_agent_id)
        return self.event("route", e.route.id, e.route.version, msg)

    @maps(events.RouteAssignmentChanged)
    def route_assignment_changed(self, e: events.RouteAssignmentChanged) -> IntegrationEvent:
        msg = ev.RouteAssignmentChanged(
            assignment=m.assignment_pb(e.assignment, e.route.version, e.route.kind),
            agent_id=e.route.agent_id,
            removed=e.removed,
        )
        return self.event("route", e.route.id, e.route.version, msg)

    @maps(events.VisitStarted)
    def visit_started(self, e: events.VisitStarted) -> IntegrationEvent:
        msg = ev.VisitStarted(visit=m.visit_pb(e.visit))
        return self.event("visit", e.visit.id, e.visit.version, msg)

    @maps(events.VisitCompleted)
    def visit_completed(self, e: events.VisitCompleted) -> IntegrationEvent:
        msg = ev.VisitCompleted(visit=m.visit_pb(e.visit))
        return self.event("visit", e.visit.id, e.visit.version, msg)

    @maps(events.VisitMissed)
    def visit_missed(self, e: events.VisitMissed) -> IntegrationEvent:
        msg = ev.VisitMissed(visit=m.visit_pb(e.visit))
        return self.event("visit", e.visit.id, e.visit.version, msg)

    @maps(events.QuestionnaireChanged)
    def questionnaire_changed(self, e: events.QuestionnaireChanged) -> IntegrationEvent:
        msg = ev.QuestionnaireChanged(questionnaire=m.questionnaire_pb(e.questionnaire))
        return self.event("questionnaire", e.questionnaire.id, e.questionnaire.version, msg)

    @maps(events.AuditSubmitted)
    def audit_submitted(self, e: events.AuditSubmitted) -> IntegrationEvent:
        msg = ev.AuditSubmitted(audit=m.audit_pb(e.audit))
        return self.event("audit", e.audit.id, e.audit.version, msg)

    @maps(events.CensusDecided)
    def census_decided(self, e: events.CensusDecided) -> IntegrationEvent:
        msg = ev.CensusDecided(proposal=m.proposal_pb(e.proposal))
        return self.event("proposal", e.proposal.id, e.proposal.version, msg)

    @maps(events.CallRecorded)
    def call_recorded(self, e: events.CallRecorded) -> IntegrationEvent:
        msg = ev.CallRecorded(call=m.call_pb(e.call))
        return self.event("call", e.call.id, e.call.version, msg)
