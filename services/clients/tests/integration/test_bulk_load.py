"""`python -m fieldline_clients bulk-load`: a company written as public requests, loaded in bulk
into an empty database, then served by the service as if it had been created one call at a time.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path

import pytest
from google.protobuf.message import Message
from google.type import latlng_pb2
from sqlalchemy import func, select

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import territory_service_pb2_grpc as ts_grpc
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_clients.adapters import orm
from fieldline_clients.entrypoints.bulk_load import bulk_load
from fieldline_clients.entrypoints.main import MIGRATIONS, SPEC
from fieldline_kit.bulk import BulkLoadError, write_messages
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import service_running

from .builders import pb_date, random_inn
from .conftest import ready

MONDAY = date(2026, 11, 2)


class Company:
    """A small company as the requests that create it: a city, a supervisor and an agent with
    one route of `outlets` outlets (the last one closed, so not on the route)."""

    def __init__(self, outlets: int = 5) -> None:
        self.territory = new_id()
        self.client = new_id()
        self.supervisor = new_id()
        self.agent = new_id()
        self.route = new_id()
        self.outlets = [new_id() for _ in range(outlets)]
        self.questionnaire = new_id()

    def requests(self) -> list[Message]:
        client = pb.Client(
            id=self.client,
            name="ООО «Ромашка»",
            inn=random_inn(),
            kpp="770101001",
            type=pb.CLIENT_TYPE_RETAIL,
        )
        out: list[Message] = [
            ts.CreateTerritoryRequest(territory=pb.Territory(id=self.territory, name="Москва")),
            vs.CreateQuestionnaireRequest(
                questionnaire=pb.Questionnaire(
                    id=self.questionnaire, name="Аудит", must_stock_skus=["KDR-0500-PET"]
                )
            ),
            cs.CreateClientRequest(client=client),
            ts.CreateEmployeeRequest(
                employee=pb.Employee(
                    id=self.supervisor, full_name="Пётр Сидоров", roles=[pb.ROLE_SUPERVISOR]
                )
            ),
            ts.CreateEmployeeRequest(
                employee=pb.Employee(
                    id=self.agent,
                    full_name="Иван Петров",
                    roles=[pb.ROLE_AGENT],
                    territory_id=self.territory,
                    supervisor_id=self.supervisor,
                )
            ),
        ]
        for n, outlet_id in enumerate(self.outlets, start=1):
            card = pb.OutletCard(
                name=f"Магазин №{n}",
                location=latlng_pb2.LatLng(latitude=55.75, longitude=37.62),
                working_hours=[pb.WorkingHours(weekday=1, opens="08:00", closes="22:00")],
            )
            out.append(
                cs.CreateOutletRequest(
                    outlet=pb.Outlet(
                        id=outlet_id, client_id=self.client, card=card, territory_id=self.territory
                    ),
                )
            )
        out.append(
            cs.SetOutletStatusRequest(
                outlet_id=self.outlets[-1],
                expected_version=1,
                status=pb.OUTLET_STATUS_CLOSED,
            )
        )
        out.append(
            ts.CreateRouteRequest(
                route=pb.Route(id=self.route, name="Маршрут 1", agent_id=self.agent)
            )
        )
        for n, outlet_id in enumerate(self.outlets[:-1], start=1):
            out.append(self.assignment(outlet_id, n))
        return out

    def assignment(self, outlet_id: str, sequence: int) -> ts.SetRouteAssignmentRequest:
        return ts.SetRouteAssignmentRequest(
            assignment=pb.RouteAssignment(
                route_id=self.route,
                outlet_id=outlet_id,
                frequency=pb.VISIT_FREQUENCY_WEEKLY,
                weekdays=[1],
                start_date=pb_date(MONDAY),
                sequence=sequence,
            )
        )


async def test_the_command_loads_a_company_the_service_then_serves(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    company = Company()
    path = tmp_path / "company.requests"
    with path.open("wb") as out:
        assert write_messages(out, company.requests()) == len(company.requests())
    url = await db_factory.create()

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fieldline_clients", "bulk-load",
        "--database-url", url, "--migrate", "--chunk-size", "3", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    counts = json.loads(stdout)
    assert counts == {
        "territories": 1,
        "questionnaires": 1,
        "clients": 1,
        "employees": 2,
        "outlets": 5,
        "outlet_card_history": 5,
        "routes": 1,
        "route_assignments": 4,
    }

    async with service_running(
        SPEC, db_factory, nats_server.url, database_url=url, ready=ready
    ) as running:
        async with running.app.read_uow() as uow:  # no events, no stored answers: on purpose
            for kit_table in (orm.kit.outbox, orm.kit.idempotency):
                assert await uow.session.scalar(select(func.count()).select_from(kit_table)) == 0
        territory = running.stub(ts_grpc.TerritoryServiceStub)
        clients = running.stub(cs_grpc.ClientsServiceStub)
        route = (await territory.GetRoute(ts.GetRouteRequest(route_id=company.route))).route
        assert route.version == 1 + 4  # one version per assignment, as over gRPC
        plan = await territory.GetVisitPlan(
            ts.GetVisitPlanRequest(agent_id=company.agent, date=pb_date(MONDAY))
        )
        assert [v.outlet.id for v in plan.visits] == company.outlets[:-1]
        assert [v.sequence for v in plan.visits] == [1, 2, 3, 4]
        closed = await clients.GetOutlet(cs.GetOutletRequest(outlet_id=company.outlets[-1]))
        assert (closed.outlet.status, closed.outlet.version) == (pb.OUTLET_STATUS_CLOSED, 2)
        assert closed.outlet.card.name == "Магазин №5"
        # The load ran with no token (not over gRPC); what it loaded is served to its agent.
        agent = running.stub(ts_grpc.TerritoryServiceStub, as_=Caller(company.agent, {"AGENT"}))
        own = await agent.GetVisitPlan(ts.GetVisitPlanRequest(date=pb_date(MONDAY)))
        assert own == plan


async def _migrated(db_factory: DatabaseFactory) -> str:
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS)
    return url


async def test_only_an_empty_database_is_loaded(db_factory: DatabaseFactory) -> None:
    url = await _migrated(db_factory)
    await bulk_load(url, Company().requests(), analyze=False)
    with pytest.raises(BulkLoadError, match="empty"):
        await bulk_load(url, Company().requests(), analyze=False)


async def test_a_refused_request_is_named_by_its_place_in_the_file(
    db_factory: DatabaseFactory,
) -> None:
    company = Company()
    requests = company.requests()
    requests.append(company.assignment(company.outlets[-1], 9))  # the closed outlet
    with pytest.raises(BulkLoadError, match=rf"message {len(requests)} .*CLOSED"):
        await bulk_load(await _migrated(db_factory), requests, analyze=False)


async def test_repeated_creates_change_nothing_and_a_late_status_is_refused(
    db_factory: DatabaseFactory,
) -> None:
    company = Company(outlets=3)
    requests = company.requests()
    url = await _migrated(db_factory)
    counts = await bulk_load(url, requests + requests[:6], analyze=False)  # creates again
    assert (counts["clients"], counts["employees"], counts["outlets"]) == (1, 2, 3)

    late = Company(outlets=3)
    requests = late.requests()
    status = next(r for r in requests if isinstance(r, cs.SetOutletStatusRequest))
    requests.remove(status)
    requests.append(status)  # no longer right after its outlet: written already
    with pytest.raises(BulkLoadError, match="written already"):
        await bulk_load(await _migrated(db_factory), requests, chunk_size=2, analyze=False)
