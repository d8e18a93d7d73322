"""The `settlements-clients-feed` consumer over real NATS: clients' events published on the
CLIENTS stream as clients' relay publishes them become settlements' read models (employees,
outlets, route outlets); an older event arriving late changes nothing, a removal is kept as a
tombstone, a bad event goes to the dead letters without stopping the feed."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from sqlalchemy import select

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cres
from fieldline_kit.auth.directory import Standing
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.adapters import orm
from fieldline_settlements.entrypoints.clients_feed import CONSUMER

from .conftest import Harness


async def row(h: Harness, table: Any, *where: Any) -> Any:
    async with h.app.sessions() as s:
        return (await s.execute(select(table).where(*where))).first()


async def route_agents(h: Harness, client_id: str) -> frozenset[str]:
    async with h.app.read_uow() as uow:
        return (await uow.feed_reads.route_agents([client_id])).get(client_id, frozenset())


async def test_outlets_and_assignments_put_a_client_on_its_agents_routes(svc: Harness) -> None:
    client, outlet, route, agent = new_id(), new_id(), new_id(), new_id()
    await svc.wait_fed(
        await svc.outlet(outlet, client, 1), await svc.assignment(route, outlet, agent, 1)
    )
    assert await route_agents(svc, client) == {agent}
    r = await row(svc, orm.feed_outlets, orm.feed_outlets.c.outlet_id == outlet)
    assert (r.client_id, r.version) == (client, 1)

    # The outlet moves to another client (OutletChanged): the route follows the outlet.
    other = new_id()
    await svc.wait_fed(await svc.outlet(outlet, other, 2))
    assert await route_agents(svc, client) == frozenset()
    assert await route_agents(svc, other) == {agent}


async def test_an_older_event_arriving_late_changes_nothing(svc: Harness) -> None:
    client, outlet, route, agent = new_id(), new_id(), new_id(), new_id()
    # Outlet v3 (another client) overtakes v2; the route's v2 removal overtakes its v1.
    ids = [
        await svc.outlet(outlet, client, 1),
        await svc.outlet(outlet, client, 3),
        await svc.outlet(outlet, new_id(), 2),
        await svc.assignment(route, outlet, agent, 2, removed=True),
        await svc.assignment(route, outlet, agent, 1),
    ]
    await svc.wait_fed(*ids)
    r = await row(svc, orm.feed_outlets, orm.feed_outlets.c.outlet_id == outlet)
    assert (r.client_id, r.version) == (client, 3)
    t = orm.feed_route_outlets
    r = await row(svc, t, t.c.route_id == route, t.c.outlet_id == outlet)
    assert (r.agent_id, r.removed, r.version) == (agent, True, 2)
    assert await route_agents(svc, client) == frozenset()  # the late v1 did not bring it back


async def test_a_removal_is_a_tombstone_and_a_newer_assignment_revives_it(svc: Harness) -> None:
    client, outlet, route, agent = new_id(), new_id(), new_id(), new_id()
    await svc.wait_fed(
        await svc.outlet(outlet, client, 1), await svc.assignment(route, outlet, agent, 1)
    )
    await svc.wait_fed(await svc.assignment(route, outlet, agent, 2, removed=True))
    assert await route_agents(svc, client) == frozenset()
    t = orm.feed_route_outlets
    assert (await row(svc, t, t.c.route_id == route)).removed is True
    await svc.wait_fed(await svc.assignment(route, outlet, agent, 3))
    assert await route_agents(svc, client) == {agent}


async def test_employees_feed_the_directory_and_the_teams(svc: Harness) -> None:
    boss, agent = new_id(), new_id()
    await svc.wait_fed(
        await svc.employee(boss, [cres.ROLE_SUPERVISOR], 1),
        await svc.employee(agent, [cres.ROLE_AGENT, cres.ROLE_VAN_SELLER], 2, supervisor_id=boss),
        await svc.employee(agent, [cres.ROLE_AGENT], 1, supervisor_id=new_id()),  # older
    )
    await svc.app.directory.refresh()  # what its loop does every second
    assert await svc.app.directory.standing(agent) == Standing(
        True, frozenset({"AGENT", "VAN_SELLER"}), boss, ""
    )
    async with svc.app.read_uow() as uow:
        assert await uow.feed_reads.team(boss) == {agent}
    await svc.wait_fed(await svc.employee(agent, [cres.ROLE_AGENT], 3, active=False))
    t = orm.feed_employees
    r = await row(svc, t, t.c.employee_id == agent)
    assert (r.active, r.roles, r.supervisor_id, r.version) == (False, "AGENT", "", 3)


async def test_a_bad_event_is_dead_lettered_and_the_feed_goes_on(svc: Harness) -> None:
    bad: list[tuple[Message, str]] = [
        (cev.OutletCreated(outlet=cres.Outlet(id=new_id(), client_id="acme")), "outlet"),
        (
            cev.RouteAssignmentChanged(
                assignment=cres.RouteAssignment(route_id=new_id(), outlet_id=new_id())
            ),
            "route",
        ),
        (cev.EmployeeChanged(employee=cres.Employee(id="", active=True)), "employee"),
    ]
    dead = [
        await svc.publish_clients(m, aggregate_type=kind, aggregate_id=new_id(), version=1)
        for m, kind in bad
    ]
    client, outlet, route, agent = new_id(), new_id(), new_id(), new_id()
    good = [await svc.outlet(outlet, client, 1), await svc.assignment(route, outlet, agent, 1)]
    await svc.wait_fed(*dead, *good)
    dl = orm.kit.dead_letter
    reasons = {}
    for event_id in dead:
        r = await row(svc, dl, dl.c.consumer == CONSUMER, dl.c.event_id == event_id)
        assert r is not None, event_id
        reasons[event_id] = r.error
    assert "outlet.client_id: must be a UUID" in reasons[dead[0]]
    assert "agent_id: is required" in reasons[dead[1]]
    assert "employee.id: is required" in reasons[dead[2]]
    assert await route_agents(svc, client) == {agent}
