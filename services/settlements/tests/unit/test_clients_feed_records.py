"""Clients' events → the records settlements' read models keep (entrypoints/clients_feed.py):
what each event reports, with which version, and which events are poison."""

from __future__ import annotations

import pytest

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.messaging.consumer import PoisonMessage
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.feed import EmployeeState, OutletState, RouteOutletState
from fieldline_settlements.entrypoints.clients_feed import RECORDS

OUTLET, CLIENT, ROUTE, AGENT, BOSS = (new_id() for _ in range(5))


def record(message: object, version: int = 3) -> object:
    return RECORDS[type(message)](EventEnvelope(aggregate_version=version), message)


def test_an_outlet_reports_its_client_at_the_events_version() -> None:
    outlet = res.Outlet(id=OUTLET, client_id=CLIENT, version=9)
    assert record(ev.OutletCreated(outlet=outlet)) == OutletState(OUTLET, CLIENT, 3)
    assert record(ev.OutletChanged(outlet=outlet)) == OutletState(OUTLET, CLIENT, 3)
    # An envelope without a version: the resource's.
    assert record(ev.OutletChanged(outlet=outlet), version=0) == OutletState(OUTLET, CLIENT, 9)


def assignment(agent: str = AGENT, removed: bool = False, **ids: str) -> ev.RouteAssignmentChanged:
    a = res.RouteAssignment(route_id=ids.get("route", ROUTE), outlet_id=ids.get("outlet", OUTLET))
    return ev.RouteAssignmentChanged(assignment=a, agent_id=agent, removed=removed)


def test_an_assignment_reports_the_outlet_on_the_route_and_its_worker() -> None:
    assert record(assignment()) == RouteOutletState(ROUTE, OUTLET, AGENT, False, 3)
    assert record(assignment(removed=True)) == RouteOutletState(ROUTE, OUTLET, AGENT, True, 3)
    # A removal needs only its key.
    assert record(assignment("", removed=True)) == RouteOutletState(ROUTE, OUTLET, "", True, 3)


def test_an_employee_reports_its_standing_and_supervisor() -> None:
    employee = res.Employee(
        id=AGENT,
        roles=[res.ROLE_AGENT, res.ROLE_VAN_SELLER, 99],  # 99: a role this build does not know
        supervisor_id=BOSS,
        active=False,
        version=4,
    )
    assert record(ev.EmployeeChanged(employee=employee)) == EmployeeState(
        AGENT, False, frozenset({"AGENT", "VAN_SELLER"}), BOSS, "", 3
    )


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (ev.OutletCreated(outlet=res.Outlet(client_id=CLIENT)), "outlet.id: is required"),
        (ev.OutletChanged(outlet=res.Outlet(id=OUTLET, client_id="acme")), "must be a UUID"),
        (assignment(""), "agent_id: is required"),
        (assignment(route="r-1"), "assignment.route_id: must be a UUID"),
        (assignment(outlet=""), "assignment.outlet_id: is required"),
        (ev.EmployeeChanged(employee=res.Employee(id="")), "employee.id: is required"),
        (
            ev.EmployeeChanged(employee=res.Employee(id=AGENT, supervisor_id="boss")),
            "employee.supervisor_id: must be a UUID",
        ),
    ],
)
def test_an_event_that_can_never_be_applied_is_poison(message: object, why: str) -> None:
    with pytest.raises(PoisonMessage, match=why):
        record(message)
