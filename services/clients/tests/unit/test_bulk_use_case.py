"""The bulk load's use case (service_layer/bulk.py): the aggregates the use cases would build,
references checked against what the load created before, a repeated create ignored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from fieldline_clients.domain.fieldwork import Questionnaire
from fieldline_clients.domain.model import (
    Client,
    ClientType,
    Employee,
    Outlet,
    OutletCard,
    OutletStatus,
    Role,
    Route,
    RouteAssignment,
    Territory,
    VisitFrequency,
)
from fieldline_clients.service_layer import commands as c
from fieldline_clients.service_layer.bulk import BULK_ACTOR, BulkLoad
from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from fieldline_kit.testing.helpers import new_id

from .fakes import FakeBulkRows

NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)
MONDAY = date(2024, 5, 13)
INN, KPP = "7707083893", "773601001"


class Company:
    """Ids of a small company, and the commands that load it."""

    def __init__(self) -> None:
        self.city, self.client, self.boss, self.agent = new_id(), new_id(), new_id(), new_id()
        self.route, self.outlets = new_id(), [new_id(), new_id()]

    async def load(self, bulk: BulkLoad) -> None:
        await self.create(bulk, close_the_last=True)
        await bulk.set_route_assignment(assignment(self.route, self.outlets[0]))

    async def create(self, bulk: BulkLoad, *, close_the_last: bool = False) -> None:
        await bulk.create_territory(c.CreateTerritory(self.city, "Казань", ""))
        await bulk.create_client(
            c.CreateClient(self.client, "ООО «Ромашка»", INN, KPP, ClientType.RETAIL, "")
        )
        await bulk.create_employee(employee(self.boss, Role.SUPERVISOR))
        await bulk.create_employee(employee(self.agent, supervisor_id=self.boss))
        for outlet_id in self.outlets:
            await bulk.create_outlet(outlet(outlet_id, self.client, self.city))
        if close_the_last:  # right after its creation
            await bulk.set_outlet_status(
                c.SetOutletStatus(self.outlets[-1], OutletStatus.CLOSED, 1)
            )
        await bulk.create_route(c.CreateRoute(self.route, "Маршрут 1", self.city, self.agent))


def employee(eid: str, *roles: Role, **kw: Any) -> c.CreateEmployee:
    values: dict[str, Any] = {"territory_id": "", "supervisor_id": "", "distributor_id": ""}
    return c.CreateEmployee(eid, "Иван Петров", list(roles or [Role.AGENT]), **{**values, **kw})


def questionnaire(distributor_id: str) -> c.CreateQuestionnaire:
    return c.CreateQuestionnaire(new_id(), "Полка", [], ["SKU-1"], distributor_id)


def outlet(outlet_id: str, client_id: str, territory_id: str = "") -> c.CreateOutlet:
    return c.CreateOutlet(outlet_id, client_id, OutletCard(name="Магазин"), territory_id)


def assignment(route_id: str, outlet_id: str) -> c.SetRouteAssignment:
    return c.SetRouteAssignment(route_id, outlet_id, VisitFrequency.WEEKLY, [3, 1], MONDAY, 1)


@pytest.fixture
def rows() -> FakeBulkRows:
    return FakeBulkRows()


async def test_builds_what_the_use_cases_build_and_publishes_nothing(rows: FakeBulkRows) -> None:
    company = Company()
    bulk = BulkLoad(rows, NOW)
    await company.load(bulk)
    await bulk.finish()

    [territory] = rows.of(Territory)
    assert territory == Territory(company.city, "Казань", "")
    [client] = rows.of(Client)
    assert (client.id, client.version, client.created_at) == (company.client, 1, NOW)
    boss, agent = rows.of(Employee)
    assert agent.supervisor_id == boss.id and boss.roles == {Role.SUPERVISOR}
    active, closed = rows.of(Outlet)
    assert (active.status, active.version) == (OutletStatus.ACTIVE, 1)
    assert (closed.status, closed.version) == (OutletStatus.CLOSED, 2)
    assert [len(o.new_history) for o in (active, closed)] == [1, 1]  # the card, as created
    # No caller at a terminal: the history names the load itself.
    assert {h.changed_by for o in (active, closed) for h in o.new_history} == {BULK_ACTOR}
    [route] = rows.of(Route)
    assert route.version == 2  # one more per assignment, as SetRouteAssignment does
    [put] = rows.of(RouteAssignment)
    assert put == RouteAssignment(
        company.route, company.outlets[0], VisitFrequency.WEEKLY, (1, 3), MONDAY, 1
    )
    assert all(not getattr(a, "events", []) for a in rows.written)


async def test_a_repeated_create_changes_nothing(rows: FakeBulkRows) -> None:
    company = Company()
    bulk = BulkLoad(rows, NOW)
    await company.load(bulk)
    await company.create(bulk)  # every create again, as a retried request
    await bulk.finish()
    kinds = (Territory, Client, Employee, Outlet, Route, RouteAssignment)
    assert [len(rows.of(kind)) for kind in kinds] == [1, 1, 2, 2, 1, 1]
    assert rows.of(Outlet)[1].status is OutletStatus.CLOSED and rows.of(Route)[0].version == 2


async def test_references_must_have_been_loaded(rows: FakeBulkRows) -> None:
    bulk = BulkLoad(rows, NOW)
    with pytest.raises(NotFound, match=r"outlet\.client_id"):
        await bulk.create_outlet(outlet(new_id(), new_id()))
    with pytest.raises(NotFound, match=r"employee\.supervisor_id"):
        await bulk.create_employee(employee(new_id(), supervisor_id=new_id()))
    with pytest.raises(NotFound, match=r"employee\.territory_id"):
        await bulk.create_employee(employee(new_id(), territory_id=new_id()))
    with pytest.raises(NotFound, match=r"route\.agent_id"):
        await bulk.create_route(c.CreateRoute(new_id(), "Маршрут", "", new_id()))
    with pytest.raises(NotFound, match=r"assignment\.route_id"):
        await bulk.set_route_assignment(assignment(new_id(), new_id()))
    with pytest.raises(NotFound, match=r"questionnaire\.distributor_id"):
        await bulk.create_questionnaire(questionnaire(new_id()))
    assert rows.pending == rows.written == []


async def test_the_use_cases_rules_apply(rows: FakeBulkRows) -> None:
    company = Company()
    bulk = BulkLoad(rows, NOW)
    await company.load(bulk)
    with pytest.raises(FailedPrecondition, match="only ACTIVE outlets go on routes"):
        await bulk.set_route_assignment(assignment(company.route, company.outlets[1]))
    retail = c.CreateEmployee(
        new_id(), "Пётр", [Role.DISTRIBUTOR_MANAGER], "", "", distributor_id=company.client
    )
    with pytest.raises(InvalidArgument, match="not a distributor"):
        await bulk.create_employee(retail)
    with pytest.raises(InvalidArgument, match=r"^questionnaire\.distributor_id: .* not a distrib"):
        await bulk.create_questionnaire(questionnaire(company.client))
    technician = new_id()
    await bulk.create_employee(employee(technician, Role.TECHNICIAN))
    with pytest.raises(FailedPrecondition):
        await bulk.create_route(c.CreateRoute(new_id(), "Маршрут 2", "", technician))
    with pytest.raises(InvalidArgument, match="status"):
        await bulk.set_outlet_status(c.SetOutletStatus(company.outlets[0], OutletStatus.PENDING, 1))
    distributor = new_id()
    await bulk.create_client(
        c.CreateClient(distributor, "ООО «Дистрибьютор»", INN, KPP, ClientType.DISTRIBUTOR, "")
    )
    await bulk.create_questionnaire(questionnaire(distributor))
    await bulk.finish()
    [tagged] = rows.of(Questionnaire)
    assert tagged.distributor_id == distributor


async def test_a_status_is_set_only_before_its_outlet_is_written(rows: FakeBulkRows) -> None:
    company = Company()
    bulk = BulkLoad(rows, NOW, chunk_size=1)  # every add flushes what came before
    await company.load(bulk)
    assert rows.of(Outlet)[1].status is OutletStatus.CLOSED  # right after its creation: fine
    late = c.SetOutletStatus(company.outlets[0], OutletStatus.CLOSED, 1)
    with pytest.raises(FailedPrecondition, match="written already"):
        await bulk.set_outlet_status(late)
    with pytest.raises(NotFound, match="outlet_id"):
        await bulk.set_outlet_status(c.SetOutletStatus(new_id(), OutletStatus.CLOSED, 1))
