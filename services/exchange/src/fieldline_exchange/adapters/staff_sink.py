"""Fieldline's own format into the clients service (docs/exchange/own-format.md, *Employees*,
*RouteAssignments*), as the partner: employees upserted by their ERP ids (`UpsertEmployees`:
a supervisor named by its ERP id, in the same batch or an earlier one), and who works which
route from which day (`ScheduleRouteAgents`, routes and employees by their ERP ids: a route
must exist in Fieldline). A record clients refuses becomes a report line; the rest applies."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline_exchange.adapters.peers import Peers
from fieldline_exchange.adapters.refused_items import REFUSED, send_dropping_refused
from fieldline_exchange.domain.own_records import Employee, RouteAssignment
from fieldline_exchange.domain.reports import ReportLine
from fieldline_kit.grpc.convert import pb_date


class StaffSink:
    def __init__(self, peers: Peers) -> None:
        self._peers = peers

    async def employees(
        self, partner_id: str, records: Sequence[Employee], request_id: str
    ) -> list[ReportLine]:
        async def send(items: Sequence[Employee], rid: str) -> object:
            request = ts.UpsertEmployeesRequest(
                request_id=rid, employees=[_employee(e) for e in items]
            )
            return await self._peers.call(
                partner_id, self._peers.territory.UpsertEmployees, request
            )

        return await send_dropping_refused(
            records,
            send,
            field="employees",
            request_id=request_id,
            lines=lambda e, details: [ReportLine(None, e.external_id, REFUSED, details)],
        )

    async def route_agents(
        self, partner_id: str, records: Sequence[RouteAssignment], request_id: str
    ) -> list[ReportLine]:
        async def send(items: Sequence[RouteAssignment], rid: str) -> object:
            request = ts.ScheduleRouteAgentsRequest(
                request_id=rid, periods=[_period(a) for a in items]
            )
            return await self._peers.call(
                partner_id, self._peers.territory.ScheduleRouteAgents, request
            )

        return await send_dropping_refused(
            records,
            send,
            field="periods",
            request_id=request_id,
            lines=lambda a, details: [ReportLine(None, a.route_id, REFUSED, details)],
            codes=frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}),
        )


def _employee(e: Employee) -> ts.EmployeeUpsert:
    return ts.EmployeeUpsert(
        external_id=e.external_id,
        full_name=e.name,
        roles=[cpb.Role.Value(f"ROLE_{r.value}") for r in e.roles],
        active=e.active,
        phone=e.phone or "",
        supervisor_external_id=e.supervisor_id or "",
    )


def _period(a: RouteAssignment) -> cpb.RouteAgentPeriod:
    period = cpb.RouteAgentPeriod(
        route_external_id=a.route_id,
        employee_external_id=a.employee_id,
        valid_from=pb_date(a.valid_from),
    )
    if a.valid_to is not None:
        period.valid_to.CopyFrom(pb_date(a.valid_to))
    return period
