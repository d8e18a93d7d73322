"""Every use case of service_layer/handlers.py on a fake unit of work: the rule it applies, what
it saves, the domain events its commit carries, and that a refused command changes nothing.

The domain rules themselves (validation, state moves, versions) are tested with the aggregates
(test_clients_outlets, test_territory, test_fieldwork, test_census); here, what the use case
adds: the references it checks, the retries it answers, what it loads and saves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from fieldline_clients.domain import events
from fieldline_clients.domain.fieldwork import (
    AnswerInput,
    Proposal,
    ProposalStatus,
    Questionnaire,
    QuestionType,
    Visit,
    VisitOutcome,
    VisitStatus,
)
from fieldline_clients.domain.model import (
    Client,
    ClientType,
    Employee,
    Outlet,
    OutletCard,
    OutletStatus,
    Role,
    Route,
    RouteAgentPeriod,
    RouteAssignment,
    Territory,
    VisitFrequency,
    client_id_for,
    employee_id_for,
    route_id_for,
)
from fieldline_clients.domain.values import Location
from fieldline_clients.service_layer import commands as c
from fieldline_clients.service_layer import handlers
from fieldline_clients.service_layer.access import Access, access_for
from fieldline_kit.auth import Kind, Principal
from fieldline_kit.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from fieldline_kit.testing.helpers import new_id

from .fakes import FakeClientsUnitOfWork

NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)
SHOP = Location(55.7558, 37.6173)
RADIUS_M = 200.0
INN, KPP = "7707083893", "773601001"
MONDAY = date(2024, 5, 13)
T = TypeVar("T")
# The callers: an administrator (the whole company in scope), and any employee as itself.
ADMIN = Access.of(Principal(Kind.EMPLOYEE, "admin-1", frozenset({"ADMIN"})))


async def as_(uow: FakeClientsUnitOfWork, employee: Employee) -> Access:
    """`employee` calling with the roles it holds, its scope as `access_for` reads it."""
    roles = frozenset(r.name for r in employee.roles)
    return await access_for(uow, Principal(Kind.EMPLOYEE, employee.id, roles))


@pytest.fixture
def uow() -> FakeClientsUnitOfWork:
    return FakeClientsUnitOfWork(clock=lambda: NOW)


def event_types(uow: FakeClientsUnitOfWork) -> list[type]:
    return [type(e) for e in uow.events]


def sorted_types(uow: FakeClientsUnitOfWork) -> list[str]:
    """The names of the events committed, sorted (one commit's aggregates come in any order)."""
    return sorted(type(e).__name__ for e in uow.events)


# -------------------------------------------------------------------------- stored data
def stored(aggregate: T) -> T:
    """As loaded from a row: no pending events or history."""
    for name in ("events", "new_history"):
        pending = getattr(aggregate, name, None)
        if pending:
            pending.clear()
    return aggregate


def a_client(uow: FakeClientsUnitOfWork, type_: ClientType = ClientType.RETAIL) -> Client:
    client = Client.create(new_id(), "ООО «Ромашка»", INN, KPP, type_, "Москва", NOW)
    return uow.clients.put(stored(client))


def an_employee(
    uow: FakeClientsUnitOfWork,
    *roles: Role,
    territory_id: str = "",
    distributor_id: str = "",
    supervisor_id: str = "",
) -> Employee:
    employee = Employee.create(
        new_id(), "Иван Петров", roles or (Role.AGENT,), territory_id, supervisor_id, distributor_id
    )
    return uow.employees.put(stored(employee))


def a_territory(uow: FakeClientsUnitOfWork, parent_id: str = "") -> Territory:
    return uow.territories.put(Territory(new_id(), "Москва", parent_id))


def an_outlet(
    uow: FakeClientsUnitOfWork, status: OutletStatus = OutletStatus.ACTIVE, client_id: str = ""
) -> Outlet:
    card = OutletCard(name="Магазин «Ромашка»", address="Тверская, 1", location=SHOP)
    outlet = Outlet.create(new_id(), client_id or new_id(), card, "", new_id(), NOW, status)
    return uow.outlets.put(stored(outlet))


def a_route(uow: FakeClientsUnitOfWork, agent: Employee) -> Route:
    return uow.routes.put(stored(Route.create(new_id(), "Маршрут 1", "", agent)))


def a_visit(uow: FakeClientsUnitOfWork, agent: Employee, outlet: Outlet) -> Visit:
    visit = Visit.start(new_id(), agent, outlet, NOW, SHOP, None, RADIUS_M)
    return uow.visits.put(stored(visit))


def a_questionnaire(uow: FakeClientsUnitOfWork, distributor_id: str = "") -> Questionnaire:
    questions = [("facings", "Фейсы на полке", QuestionType.NUMBER, [], True)]
    return uow.questionnaires.put(
        Questionnaire.create(new_id(), "Аудит полки", questions, ["KDR-0500-PET"], distributor_id)
    )


def a_proposal(uow: FakeClientsUnitOfWork, proposal: Proposal) -> Proposal:
    return uow.proposals.put(stored(proposal))


# ------------------------------------------------------------------------------ clients
def create_client(
    client_id: str = "", inn: str = INN, name: str = "ООО «Ромашка»"
) -> c.CreateClient:
    return c.CreateClient(client_id or new_id(), name, inn, KPP, ClientType.RETAIL, "Москва")


class TestCreateClient:
    async def test_saves_the_client_and_publishes_its_creation(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        client = await uow.run(handlers.create_client, NOW, create_client())
        assert uow.clients.all() == [client]
        assert (client.version, client.created_at, client.inn) == (1, NOW, INN)
        assert event_types(uow) == [events.ClientCreated] and uow.commits == 1

    async def test_a_retry_returns_the_client_as_created(self, uow: FakeClientsUnitOfWork) -> None:
        first = await uow.run(handlers.create_client, NOW, create_client())
        again = await uow.run(handlers.create_client, NOW, create_client(first.id, name="Другое"))
        assert again == first and again.name == "ООО «Ромашка»"
        assert uow.clients.all() == [first]
        assert event_types(uow) == [events.ClientCreated]

    async def test_a_bad_inn_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        await uow.refused(
            InvalidArgument,
            handlers.create_client,
            NOW,
            create_client(inn="7707083890"),
            match="client.inn",
        )


class TestUpdateClient:
    async def test_changes_the_masked_fields_and_publishes_them(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        client = a_client(uow)
        later = NOW + timedelta(hours=1)
        cmd = c.UpdateClient(
            client.id, {"name": "x", "legal_address": "Казань"}, ["legal_address"], 1
        )
        updated = await uow.run(handlers.update_client, later, cmd)
        [saved] = uow.clients.all()
        assert saved == updated
        assert (saved.name, saved.legal_address) == (client.name, "Казань")
        assert (saved.version, saved.updated_at) == (2, later)
        [event] = uow.events
        assert isinstance(event, events.ClientChanged)
        assert event.changed_fields == ("legal_address",)

    async def test_a_stale_version_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        client = a_client(uow)
        cmd = c.UpdateClient(client.id, {"legal_address": "Казань"}, ["legal_address"], 2)
        await uow.refused(Conflict, handlers.update_client, NOW, cmd)

    async def test_an_unknown_client_is_named_by_its_field(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        cmd = c.UpdateClient(new_id(), {"legal_address": "Казань"}, ["legal_address"], 1)
        await uow.refused(NotFound, handlers.update_client, NOW, cmd, match="client.id")


class TestUpsertClients:
    @staticmethod
    def item(external_id: str, name: str = "ООО «Ромашка»", **kw: Any) -> c.ClientUpsert:
        fields: dict[str, Any] = {
            "inn": INN,
            "kpp": KPP,
            "type": ClientType.RETAIL,
            "legal_address": "Москва",
            **kw,
        }
        return c.ClientUpsert(external_id=external_id, name=name, **fields)

    async def upsert(
        self, uow: FakeClientsUnitOfWork, *items: c.ClientUpsert
    ) -> list[handlers.ClientUpserted]:
        return await uow.run(handlers.upsert_clients, NOW, c.UpsertClients(items))

    async def test_new_external_ids_make_clients_with_ids_derived_from_them(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        results = await self.upsert(uow, self.item("ERP-1"), self.item(" ERP-2 ", kpp="773601002"))
        assert [r.outcome for r in results] == [handlers.UpsertOutcome.CREATED] * 2
        one, two = (r.client for r in results)
        assert (one.id, one.external_id, one.version) == (client_id_for("ERP-1"), "ERP-1", 1)
        assert (two.id, two.external_id, two.kpp) == (client_id_for("ERP-2"), "ERP-2", "773601002")
        assert sorted(cl.id for cl in uow.clients.all()) == sorted([one.id, two.id])
        assert event_types(uow) == [events.ClientCreated, events.ClientCreated]

    async def test_the_same_content_again_changes_nothing(self, uow: FakeClientsUnitOfWork) -> None:
        [first] = await self.upsert(uow, self.item("ERP-1"))
        [again] = await self.upsert(uow, self.item("ERP-1", name=" ООО «Ромашка» "))
        assert again.outcome is handlers.UpsertOutcome.UNCHANGED
        assert again.client == first.client and again.client.version == 1
        assert event_types(uow) == [events.ClientCreated]

    async def test_a_changed_item_moves_the_version_and_publishes_the_change(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        await self.upsert(uow, self.item("ERP-1"))
        [changed] = await self.upsert(uow, self.item("ERP-1", legal_address="Казань"))
        assert changed.outcome is handlers.UpsertOutcome.UPDATED
        assert (changed.client.version, changed.client.legal_address) == (2, "Казань")
        assert changed.client.external_id == "ERP-1"
        [stored_client] = uow.clients.all()
        assert stored_client == changed.client
        assert event_types(uow) == [events.ClientCreated, events.ClientChanged]
        assert uow.events[-1].changed_fields == ("legal_address",)

    async def test_every_invalid_item_is_named_and_nothing_is_written(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        await self.upsert(uow, self.item("ERP-0"))
        error = await uow.refused(
            InvalidArgument,
            handlers.upsert_clients,
            NOW,
            c.UpsertClients(
                (
                    self.item("ERP-0", legal_address="Казань"),
                    self.item("ERP-1", inn="7707083890"),
                    self.item("ERP-2"),
                    self.item("", name="без ключа"),
                    self.item("ERP-2", name="дубль"),
                    self.item("X" * 65),
                    self.item("ERP-6", type=None),
                )
            ),
        )
        assert error.field == "clients[1].inn"
        assert error.message.startswith("clients[1].inn: checksum does not match")
        for named in (
            "clients[3].external_id: must not be empty",
            "clients[4].external_id: 'ERP-2' is also clients[2]",
            "clients[5].external_id: must be at most 64 characters",
            "clients[6].type: is required",
        ):
            assert named in error.message
        assert "(and 4 more: " in error.message and error.message.endswith("nothing was changed")
        assert "clients[0]" not in error.message and "clients[2]." not in error.message

    async def test_an_error_lists_ten_refused_items_and_counts_the_rest(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        items = tuple(self.item(f"ERP-{i}", kpp="1") for i in range(15))
        error = await uow.refused(
            InvalidArgument, handlers.upsert_clients, NOW, c.UpsertClients(items)
        )
        assert error.message.startswith("clients[0].kpp: must be 9 characters")
        assert "(and 14 more: clients[1].kpp" in error.message
        assert "clients[9].kpp" in error.message and "clients[10]." not in error.message

    async def test_a_derived_id_another_client_holds_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        await uow.run(handlers.create_client, NOW, create_client(client_id_for("ERP-1")))
        await uow.refused(
            InvalidArgument,
            handlers.upsert_clients,
            NOW,
            c.UpsertClients((self.item("ERP-1"),)),
            match=r"clients\[0\]\.external_id: the id derived from 'ERP-1'",
        )

    async def test_an_empty_batch_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        await uow.refused(
            InvalidArgument, handlers.upsert_clients, NOW, c.UpsertClients(()), match="clients"
        )


# ------------------------------------------------------------------------------ outlets
def create_outlet(client_id: str, territory_id: str = "", outlet_id: str = "") -> c.CreateOutlet:
    card = OutletCard(name="Магазин «Берёзка»", address="Арбат, 5", location=SHOP)
    return c.CreateOutlet(outlet_id or new_id(), client_id, card, territory_id)


class TestCreateOutlet:
    async def test_saves_the_outlet_its_first_history_entry_and_its_creation(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        client, territory = a_client(uow), a_territory(uow)
        cmd = create_outlet(client.id, territory.id)
        outlet = await uow.run(handlers.create_outlet, NOW, cmd, ADMIN)
        assert uow.outlets.all() == [outlet]
        assert (outlet.client_id, outlet.territory_id) == (client.id, territory.id)
        assert outlet.status is OutletStatus.ACTIVE
        [first] = uow.outlets.history.values()
        assert (first.outlet_id, first.version, first.changed_by) == (outlet.id, 1, "admin-1")
        assert {change.field for change in first.changes} >= {"name", "address", "location"}
        assert event_types(uow) == [events.OutletCreated]

    async def test_its_client_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = create_outlet(new_id())
        await uow.refused(
            NotFound, handlers.create_outlet, NOW, cmd, ADMIN, match="outlet.client_id"
        )

    async def test_its_territory_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = create_outlet(a_client(uow).id, territory_id=new_id())
        await uow.refused(
            NotFound, handlers.create_outlet, NOW, cmd, ADMIN, match="outlet.territory_id"
        )

    async def test_a_retry_returns_the_outlet_as_created(self, uow: FakeClientsUnitOfWork) -> None:
        existing = an_outlet(uow)
        cmd = create_outlet(new_id(), "", existing.id)
        again = await uow.run(handlers.create_outlet, NOW, cmd, ADMIN)
        assert again == existing
        assert uow.outlets.all() == [existing] and uow.events == []


class TestUpdateOutletCard:
    async def test_changes_the_card_and_records_the_change(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        outlet = an_outlet(uow)
        cmd = c.UpdateOutletCard(outlet.id, OutletCard(name="Новое имя"), ["name"], 1)
        updated = await uow.run(handlers.update_outlet_card, NOW, cmd, ADMIN)
        [saved] = uow.outlets.all()
        assert saved == updated and saved.card.name == "Новое имя" and saved.version == 2
        assert saved.card.address == outlet.card.address
        [entry] = uow.outlets.history.values()
        assert (entry.version, entry.changed_by) == (2, "admin-1")
        assert [change.field for change in entry.changes] == ["name"]
        [event] = uow.events
        assert isinstance(event, events.OutletChanged) and event.changed_fields == ("name",)

    async def test_a_stale_version_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        outlet = an_outlet(uow)
        cmd = c.UpdateOutletCard(outlet.id, OutletCard(name="Новое имя"), ["name"], 3)
        await uow.refused(Conflict, handlers.update_outlet_card, NOW, cmd, ADMIN)


class TestSetOutletStatus:
    async def test_closes_and_reopens(self, uow: FakeClientsUnitOfWork) -> None:
        outlet = an_outlet(uow)
        closed = c.SetOutletStatus(outlet.id, OutletStatus.CLOSED, 1)
        await uow.run(handlers.set_outlet_status, NOW, closed, ADMIN)
        assert [(o.status, o.version) for o in uow.outlets.all()] == [(OutletStatus.CLOSED, 2)]
        reopened = c.SetOutletStatus(outlet.id, OutletStatus.ACTIVE, 2)
        await uow.run(handlers.set_outlet_status, NOW, reopened, ADMIN)
        assert [(o.status, o.version) for o in uow.outlets.all()] == [(OutletStatus.ACTIVE, 3)]
        assert event_types(uow) == [events.OutletChanged] * 2
        assert all(e.changed_fields == ("status",) for e in uow.events)
        assert uow.outlets.history == {}  # a status is not part of the card

    @pytest.mark.parametrize("status", [None, OutletStatus.PENDING, OutletStatus.REJECTED])
    async def test_only_active_or_closed_may_be_set(
        self, uow: FakeClientsUnitOfWork, status: OutletStatus | None
    ) -> None:
        cmd = c.SetOutletStatus(an_outlet(uow).id, status, 1)
        await uow.refused(
            InvalidArgument, handlers.set_outlet_status, NOW, cmd, ADMIN, match="status"
        )

    async def test_a_stale_version_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = c.SetOutletStatus(an_outlet(uow).id, OutletStatus.CLOSED, 5)
        await uow.refused(Conflict, handlers.set_outlet_status, NOW, cmd, ADMIN)


# ------------------------------------------------------------------------------- census
def propose_outlet(uow: FakeClientsUnitOfWork, **kw: str) -> c.ProposeOutlet:
    values = {"proposal_id": new_id(), "outlet_id": new_id(), "client_id": a_client(uow).id}
    values.update(kw)
    return c.ProposeOutlet(card=OutletCard(name="Киоск у остановки"), **values)


def on_a_route(uow: FakeClientsUnitOfWork, agent: Employee, *outlets: Outlet) -> Route:
    """A route of `agent` with `outlets` on it (so they are in the agent's scope)."""
    route = a_route(uow, agent)
    for o in outlets:
        a = RouteAssignment(route.id, o.id, VisitFrequency.WEEKLY, (1,), MONDAY)
        uow.routes.assignments[(route.id, o.id)] = a
    return route


class TestProposeOutlet:
    async def test_saves_a_pending_outlet_in_the_proposers_territory_and_the_proposal(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        territory = a_territory(uow)
        agent = an_employee(uow, Role.AGENT, territory_id=territory.id)
        cmd = propose_outlet(uow)
        proposal = await uow.run(handlers.propose_outlet, NOW, cmd, await as_(uow, agent))
        assert uow.proposals.all() == [proposal]
        assert proposal.status is ProposalStatus.PENDING and proposal.proposed_by == agent.id
        [outlet] = uow.outlets.all()
        assert (outlet.id, outlet.status) == (cmd.outlet_id, OutletStatus.PENDING)
        assert outlet.territory_id == territory.id and outlet.client_id == cmd.client_id
        [first] = uow.outlets.history.values()
        assert first.changed_by == agent.id
        assert event_types(uow) == [events.OutletCreated]  # the proposal publishes its decision

    async def test_a_retry_returns_the_proposal(self, uow: FakeClientsUnitOfWork) -> None:
        cmd, agent = propose_outlet(uow), an_employee(uow)
        first = await uow.run(handlers.propose_outlet, NOW, cmd, await as_(uow, agent))
        assert await uow.run(handlers.propose_outlet, NOW, cmd, await as_(uow, agent)) == first
        assert len(uow.proposals.all()) == len(uow.outlets.all()) == 1
        assert event_types(uow) == [events.OutletCreated]
        # Another agent's retry under that id gets nothing.
        other = await as_(uow, an_employee(uow))
        await uow.refused(PermissionDenied, handlers.propose_outlet, NOW, cmd, other)

    async def test_the_outlet_must_be_new(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = propose_outlet(uow, outlet_id=an_outlet(uow).id)
        caller = await as_(uow, an_employee(uow))
        await uow.refused(AlreadyExists, handlers.propose_outlet, NOW, cmd, caller)

    async def test_the_client_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = propose_outlet(uow, client_id=new_id())
        caller = await as_(uow, an_employee(uow))
        await uow.refused(NotFound, handlers.propose_outlet, NOW, cmd, caller, match="client_id")

    async def test_the_proposer_is_an_employee(self, uow: FakeClientsUnitOfWork) -> None:
        stranger = Access.of(Principal(Kind.EMPLOYEE, new_id(), frozenset({"AGENT"})))
        await uow.refused(
            PermissionDenied,
            handlers.propose_outlet,
            NOW,
            propose_outlet(uow),
            stranger,
            match="not an employee",
        )

    async def test_a_technician_cannot_propose(self, uow: FakeClientsUnitOfWork) -> None:
        caller = await as_(uow, an_employee(uow, Role.TECHNICIAN))
        await uow.refused(
            PermissionDenied, handlers.propose_outlet, NOW, propose_outlet(uow), caller
        )


class TestProposeCardChange:
    async def test_saves_the_proposal_and_leaves_the_outlet_alone(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        outlet, agent = an_outlet(uow), an_employee(uow)
        on_a_route(uow, agent, outlet)
        card = OutletCard(name=outlet.card.name, address="Новый адрес")
        cmd = c.ProposeCardChange(new_id(), outlet.id, card, ["address"])
        caller = await as_(uow, agent)
        proposal = await uow.run(handlers.propose_card_change, NOW, cmd, caller)
        assert uow.proposals.all() == [proposal]
        assert proposal.fields == ("address",) and proposal.outlet_id == outlet.id
        assert proposal.proposed_by == agent.id
        assert uow.outlets.all() == [outlet] and uow.outlets.history == {}
        assert uow.events == []
        assert await uow.run(handlers.propose_card_change, NOW, cmd, caller) == proposal  # retry

    async def test_an_outlet_outside_the_proposers_routes_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        agent = an_employee(uow)
        caller = await as_(uow, agent)
        for outlet_id in (an_outlet(uow).id, new_id()):  # elsewhere, or nowhere: alike
            cmd = c.ProposeCardChange(new_id(), outlet_id, OutletCard(name="x"), ["name"])
            await uow.refused(
                PermissionDenied, handlers.propose_card_change, NOW, cmd, caller, match="outlet_id"
            )

    async def test_a_change_that_changes_nothing_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        outlet, agent = an_outlet(uow), an_employee(uow)
        on_a_route(uow, agent, outlet)
        cmd = c.ProposeCardChange(new_id(), outlet.id, outlet.card, [])
        caller = await as_(uow, agent)
        await uow.refused(InvalidArgument, handlers.propose_card_change, NOW, cmd, caller)


class TestDecideProposal:
    def _new_outlet(self, uow: FakeClientsUnitOfWork) -> tuple[Proposal, Employee, Employee]:
        """A new outlet proposed by an agent, and the agent's supervisor."""
        boss = an_employee(uow, Role.SUPERVISOR)
        agent = an_employee(uow, supervisor_id=boss.id)
        outlet = an_outlet(uow, OutletStatus.PENDING)
        return a_proposal(uow, Proposal.new_outlet(new_id(), agent, outlet, NOW)), agent, boss

    async def test_approving_a_new_outlet_activates_it(self, uow: FakeClientsUnitOfWork) -> None:
        proposal, _, boss = self._new_outlet(uow)
        cmd = c.DecideProposal(proposal.id, True, "")
        decided = await uow.run(handlers.decide_proposal, NOW, cmd, await as_(uow, boss))
        assert uow.proposals.all() == [decided]
        assert (decided.status, decided.decided_by) == (ProposalStatus.APPROVED, boss.id)
        assert [(o.status, o.version) for o in uow.outlets.all()] == [(OutletStatus.ACTIVE, 2)]
        assert sorted_types(uow) == ["CensusDecided", "OutletChanged"]

    async def test_approving_a_card_change_changes_the_card_under_the_proposal(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        boss = an_employee(uow, Role.SUPERVISOR)
        outlet, agent = an_outlet(uow), an_employee(uow, supervisor_id=boss.id)
        card = OutletCard(name=outlet.card.name, address="Новый адрес")
        proposal = a_proposal(
            uow, Proposal.card_change(new_id(), agent, outlet, card, ["address"], NOW)
        )
        cmd = c.DecideProposal(proposal.id, True, "")
        await uow.run(handlers.decide_proposal, NOW, cmd, await as_(uow, boss))
        [saved] = uow.outlets.all()
        assert saved.card.address == "Новый адрес" and saved.version == 2
        [entry] = uow.outlets.history.values()
        assert (entry.proposal_id, entry.changed_by) == (proposal.id, agent.id)
        assert sorted_types(uow) == ["CensusDecided", "OutletChanged"]

    async def test_a_decision_must_be_given(self, uow: FakeClientsUnitOfWork) -> None:
        proposal, _, boss = self._new_outlet(uow)
        cmd = c.DecideProposal(proposal.id, None, "")
        caller = await as_(uow, boss)
        await uow.refused(
            InvalidArgument, handlers.decide_proposal, NOW, cmd, caller, match="decision"
        )

    async def test_only_a_supervisor_decides(self, uow: FakeClientsUnitOfWork) -> None:
        proposal, agent, _ = self._new_outlet(uow)
        cmd = c.DecideProposal(proposal.id, True, "")
        caller = await as_(uow, agent)  # its own proposal is in its scope, yet it may not decide
        await uow.refused(PermissionDenied, handlers.decide_proposal, NOW, cmd, caller)

    async def test_another_teams_proposal_or_none_is_refused_alike(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        proposal, _, _ = self._new_outlet(uow)
        stranger = await as_(uow, an_employee(uow, Role.SUPERVISOR))
        for proposal_id in (proposal.id, new_id()):
            cmd = c.DecideProposal(proposal_id, True, "")
            await uow.refused(
                PermissionDenied, handlers.decide_proposal, NOW, cmd, stranger, match="proposal_id"
            )


# --------------------------------------------------------------------- people, territory
def create_employee(**kw: Any) -> c.CreateEmployee:
    values: dict[str, Any] = {
        "id": new_id(),
        "full_name": "Мария Иванова",
        "roles": [Role.AGENT],
        "territory_id": "",
        "supervisor_id": "",
        "distributor_id": "",
    }
    return c.CreateEmployee(**{**values, **kw})


class TestCreateEmployee:
    async def test_saves_the_employee_with_checked_references(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        territory, boss = a_territory(uow), an_employee(uow, Role.SUPERVISOR)
        cmd = create_employee(territory_id=territory.id, supervisor_id=boss.id)
        employee = await uow.run(handlers.create_employee, cmd)
        assert {e.id for e in uow.employees.all()} == {boss.id, employee.id}
        assert (employee.territory_id, employee.supervisor_id) == (territory.id, boss.id)
        assert employee.active and employee.version == 1
        assert event_types(uow) == [events.EmployeeChanged]

    async def test_a_distributor_manager_works_for_a_distributor(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        distributor = a_client(uow, ClientType.DISTRIBUTOR)
        cmd = create_employee(roles=[Role.DISTRIBUTOR_MANAGER], distributor_id=distributor.id)
        employee = await uow.run(handlers.create_employee, cmd)
        assert employee.distributor_id == distributor.id
        retail = a_client(uow, ClientType.RETAIL)
        cmd = create_employee(roles=[Role.DISTRIBUTOR_MANAGER], distributor_id=retail.id)
        await uow.refused(InvalidArgument, handlers.create_employee, cmd, match="not a distributor")

    @pytest.mark.parametrize("field", ["territory_id", "supervisor_id", "distributor_id"])
    async def test_references_must_exist(self, uow: FakeClientsUnitOfWork, field: str) -> None:
        cmd = create_employee(**{field: new_id()})
        await uow.refused(NotFound, handlers.create_employee, cmd, match=f"employee.{field}")

    async def test_a_retry_returns_the_employee(self, uow: FakeClientsUnitOfWork) -> None:
        existing = an_employee(uow)
        again = await uow.run(handlers.create_employee, create_employee(id=existing.id))
        assert again == existing and uow.events == []


class TestUpdateEmployee:
    def _update(self, e: Employee, **kw: Any) -> c.UpdateEmployee:
        values: dict[str, Any] = {
            "id": e.id,
            "full_name": e.full_name,
            "roles": list(e.roles),
            "territory_id": e.territory_id,
            "supervisor_id": e.supervisor_id,
            "distributor_id": e.distributor_id,
            "active": e.active,
            "expected_version": e.version,
        }
        return c.UpdateEmployee(**{**values, **kw})

    async def test_saves_the_change(self, uow: FakeClientsUnitOfWork) -> None:
        employee, boss = an_employee(uow), an_employee(uow, Role.SUPERVISOR)
        cmd = self._update(employee, supervisor_id=boss.id, active=False)
        await uow.run(handlers.update_employee, cmd)
        saved = await uow.employees.get(employee.id)
        assert (saved.supervisor_id, saved.active, saved.version) == (boss.id, False, 2)
        assert event_types(uow) == [events.EmployeeChanged]

    async def test_a_stale_version_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        employee = an_employee(uow)
        cmd = self._update(employee, full_name="Пётр", expected_version=7)
        await uow.refused(Conflict, handlers.update_employee, cmd)

    async def test_the_supervisor_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = self._update(an_employee(uow), supervisor_id=new_id())
        await uow.refused(NotFound, handlers.update_employee, cmd, match="employee.supervisor_id")


class TestUpsertEmployees:
    @staticmethod
    def item(external_id: str, name: str = "Иван Петров", **kw: Any) -> c.EmployeeUpsert:
        fields: dict[str, Any] = {
            "roles": (Role.AGENT,),
            "active": True,
            "phone": "+79161234567",
            "supervisor_external_id": "",
            "territory_id": "",
            **kw,
        }
        return c.EmployeeUpsert(external_id=external_id, full_name=name, **fields)

    async def upsert(
        self, uow: FakeClientsUnitOfWork, *items: c.EmployeeUpsert
    ) -> list[handlers.EmployeeUpserted]:
        return await uow.run(handlers.upsert_employees, c.UpsertEmployees(items))

    async def test_new_external_ids_make_employees_with_ids_derived_from_them(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        territory = a_territory(uow)
        results = await self.upsert(
            uow,
            self.item("EMP-42", supervisor_external_id="EMP-7", territory_id=territory.id),
            self.item(" EMP-7 ", "Ольга Миронова", roles=(Role.SUPERVISOR,), phone=""),
        )
        assert [r.outcome for r in results] == [handlers.UpsertOutcome.CREATED] * 2
        agent, boss = (r.employee for r in results)
        assert (agent.id, agent.external_id, agent.version) == (
            employee_id_for("EMP-42"),
            "EMP-42",
            1,
        )
        assert (boss.id, boss.external_id, boss.phone) == (employee_id_for("EMP-7"), "EMP-7", "")
        assert (agent.supervisor_id, agent.territory_id) == (boss.id, territory.id)
        assert (agent.phone, agent.roles, agent.active) == ("+79161234567", {Role.AGENT}, True)
        assert sorted(e.id for e in uow.employees.all()) == sorted([agent.id, boss.id])
        assert event_types(uow) == [events.EmployeeChanged] * 2

    async def test_the_same_content_again_changes_nothing(self, uow: FakeClientsUnitOfWork) -> None:
        [first] = await self.upsert(uow, self.item("EMP-1"))
        [again] = await self.upsert(uow, self.item("EMP-1", name=" Иван Петров "))
        assert again.outcome is handlers.UpsertOutcome.UNCHANGED
        assert again.employee == first.employee and again.employee.version == 1
        assert event_types(uow) == [events.EmployeeChanged]

    async def test_a_changed_item_moves_the_version_and_publishes_the_change(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        await self.upsert(uow, self.item("EMP-0", roles=(Role.SUPERVISOR,)), self.item("EMP-1"))
        [changed] = await self.upsert(
            uow, self.item("EMP-1", active=False, supervisor_external_id="EMP-0", phone="")
        )
        assert changed.outcome is handlers.UpsertOutcome.UPDATED
        employee = changed.employee
        assert (employee.version, employee.active, employee.phone) == (2, False, "")
        assert employee.supervisor_id == employee_id_for("EMP-0")
        assert await uow.employees.get(employee.id) == employee
        assert event_types(uow)[-1] is events.EmployeeChanged and len(uow.events) == 3

    async def test_fieldlines_own_territory_distributor_and_admin_role_stay(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        """An empty territory keeps the stored one; the distributor and ADMIN are Fieldline's."""
        territory, distributor = a_territory(uow), a_client(uow, ClientType.DISTRIBUTOR)
        [made] = await self.upsert(uow, self.item("EMP-1"))
        employee = made.employee
        update = c.UpdateEmployee(
            employee.id,
            employee.full_name,
            [Role.AGENT, Role.DISTRIBUTOR_MANAGER, Role.ADMIN],
            territory.id,
            "",
            distributor.id,
            True,
            employee.version,
            employee.phone,
        )
        await uow.run(handlers.update_employee, update)
        roles = (Role.AGENT, Role.DISTRIBUTOR_MANAGER)
        [again] = await self.upsert(uow, self.item("EMP-1", roles=roles))
        assert again.outcome is handlers.UpsertOutcome.UNCHANGED
        assert again.employee.roles == {Role.AGENT, Role.DISTRIBUTOR_MANAGER, Role.ADMIN}
        assert (again.employee.territory_id, again.employee.distributor_id) == (
            territory.id,
            distributor.id,
        )
        [dropped] = await self.upsert(uow, self.item("EMP-1", roles=(Role.VAN_SELLER,)))
        assert dropped.employee.roles == {Role.VAN_SELLER, Role.ADMIN}

    async def test_every_invalid_item_is_named_and_nothing_is_written(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        await self.upsert(uow, self.item("EMP-0"))
        error = await uow.refused(
            InvalidArgument,
            handlers.upsert_employees,
            c.UpsertEmployees(
                (
                    self.item("EMP-0", active=False),
                    self.item("EMP-1", roles=(Role.AGENT, Role.ADMIN)),
                    self.item("EMP-2", phone="8 916 123-45-67"),
                    self.item("EMP-3", supervisor_external_id="EMP-404"),
                    self.item("EMP-4", supervisor_external_id="EMP-4"),
                    self.item("EMP-2", "дубль"),
                    self.item("", "без ключа"),
                    self.item("EMP-7", ""),
                    self.item("EMP-8", roles=()),
                    self.item("EMP-9", territory_id=new_id()),
                    self.item("EMP-10", roles=(Role.DISTRIBUTOR_MANAGER,)),
                )
            ),
        )
        assert error.field == "employees[1].roles"
        assert error.message.startswith("employees[1].roles: ROLE_ADMIN is granted in Fieldline")
        for named in (
            "employees[2].phone: must be E.164",
            "employees[3].supervisor_external_id: no employee has the external id 'EMP-404'",
            "employees[4].supervisor_external_id: an employee cannot supervise themselves",
            "employees[5].external_id: 'EMP-2' is also employees[2]",
            "employees[6].external_id: must not be empty",
            "employees[7].full_name: must not be empty",
            "employees[8].roles: at least one role is required",
            "employees[9].territory_id: territory",
            "employees[10].roles: ROLE_DISTRIBUTOR_MANAGER needs the distributor",
        ):
            assert named in error.message
        assert "(and 9 more: " in error.message and error.message.endswith("nothing was changed")
        assert "employees[0]" not in error.message

    async def test_a_derived_id_another_employee_holds_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        await uow.run(handlers.create_employee, create_employee(id=employee_id_for("EMP-1")))
        await uow.refused(
            InvalidArgument,
            handlers.upsert_employees,
            c.UpsertEmployees((self.item("EMP-1"),)),
            match=r"employees\[0\]\.external_id: the id derived from 'EMP-1'",
        )

    async def test_an_empty_batch_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        await uow.refused(
            InvalidArgument, handlers.upsert_employees, c.UpsertEmployees(()), match="employees"
        )


class TestCreateTerritory:
    async def test_saves_the_territory_under_its_parent(self, uow: FakeClientsUnitOfWork) -> None:
        region = a_territory(uow)
        city = await uow.run(
            handlers.create_territory, c.CreateTerritory(new_id(), " Казань ", region.id)
        )
        assert city == Territory(city.id, "Казань", region.id)
        assert set(uow.territories.all()) == {region, city}
        assert uow.events == [events.TerritoryChanged(city)]  # the whole territory
        again = c.CreateTerritory(city.id, "Другое имя", "")
        assert await uow.run(handlers.create_territory, again) == city  # a retry
        assert len(uow.events) == 1  # … publishes nothing new

    async def test_the_parent_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = c.CreateTerritory(new_id(), "Казань", new_id())
        await uow.refused(NotFound, handlers.create_territory, cmd, match="territory.parent_id")


class TestCreateRoute:
    async def test_saves_the_agents_route(self, uow: FakeClientsUnitOfWork) -> None:
        agent, territory = an_employee(uow), a_territory(uow)
        cmd = c.CreateRoute(new_id(), "Маршрут 7", territory.id, agent.id)
        route = await uow.run(handlers.create_route, cmd, ADMIN)
        assert uow.routes.all() == [route]
        assert (route.agent_id, route.territory_id, route.version) == (agent.id, territory.id, 1)
        assert event_types(uow) == [events.RouteChanged]
        assert await uow.run(handlers.create_route, cmd, ADMIN) == route  # a retry
        assert event_types(uow) == [events.RouteChanged]

    async def test_the_agent_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = c.CreateRoute(new_id(), "Маршрут 7", "", new_id())
        await uow.refused(NotFound, handlers.create_route, cmd, ADMIN, match="route.agent_id")

    async def test_the_agent_must_work_in_the_field(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = c.CreateRoute(new_id(), "Маршрут 7", "", an_employee(uow, Role.TECHNICIAN).id)
        await uow.refused(FailedPrecondition, handlers.create_route, cmd, ADMIN)

    async def test_a_supervisor_makes_routes_for_its_team_only(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        boss = an_employee(uow, Role.SUPERVISOR)
        mine, other = an_employee(uow, supervisor_id=boss.id), an_employee(uow)
        caller = await as_(uow, boss)
        route = await uow.run(
            handlers.create_route, c.CreateRoute(new_id(), "М1", "", mine.id), caller
        )
        assert route.agent_id == mine.id
        cmd = c.CreateRoute(new_id(), "М2", "", other.id)
        await uow.refused(
            PermissionDenied, handlers.create_route, cmd, caller, match="route.agent_id"
        )

    async def test_a_route_with_an_external_id_has_the_id_derived_from_it(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        agent = an_employee(uow)
        cmd = c.CreateRoute("", "Север-3", "", agent.id, external_id=" MSK-NORTH-03 ")
        route = await uow.run(handlers.create_route, cmd, ADMIN)
        assert (route.id, route.external_id) == (route_id_for("MSK-NORTH-03"), "MSK-NORTH-03")
        same = c.CreateRoute(route.id, "Север-3", "", agent.id, external_id="MSK-NORTH-03")
        assert await uow.run(handlers.create_route, same, ADMIN) == route  # a retry
        other = c.CreateRoute(new_id(), "Север-3", "", agent.id, external_id="MSK-NORTH-03")
        await uow.refused(
            InvalidArgument, handlers.create_route, other, ADMIN, match="route.id: a route with"
        )


def assignment(
    route: Route, outlet: Outlet, *weekdays: int, sequence: int = 1
) -> c.SetRouteAssignment:
    return c.SetRouteAssignment(
        route.id, outlet.id, VisitFrequency.WEEKLY, weekdays or (1,), MONDAY, sequence
    )


class TestSetRouteAssignment:
    async def test_puts_the_outlet_on_the_route_and_moves_the_routes_version(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        route, outlet = a_route(uow, an_employee(uow)), an_outlet(uow)
        put, on = await uow.run(
            handlers.set_route_assignment, assignment(route, outlet, 1, 4), ADMIN
        )
        assert put == RouteAssignment(route.id, outlet.id, VisitFrequency.WEEKLY, (1, 4), MONDAY, 1)
        assert uow.routes.assignments == {(route.id, outlet.id): put}
        assert [r.version for r in uow.routes.all()] == [2]
        assert (on.id, on.version) == (route.id, 2)  # the route as it now is
        [event] = uow.events
        assert isinstance(event, events.RouteAssignmentChanged)
        assert event.assignment == put and not event.removed

    async def test_the_same_assignment_again_changes_nothing(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        route, outlet = a_route(uow, an_employee(uow)), an_outlet(uow)
        await uow.run(handlers.set_route_assignment, assignment(route, outlet, 1), ADMIN)
        _, again = await uow.run(handlers.set_route_assignment, assignment(route, outlet, 1), ADMIN)
        assert [r.version for r in uow.routes.all()] == [2]
        assert again.version == 2  # the route's current version, unchanged
        assert len(uow.events) == 1

    async def test_a_new_schedule_replaces_the_old_one(self, uow: FakeClientsUnitOfWork) -> None:
        route, outlet = a_route(uow, an_employee(uow)), an_outlet(uow)
        await uow.run(handlers.set_route_assignment, assignment(route, outlet, 1), ADMIN)
        later, _ = await uow.run(
            handlers.set_route_assignment, assignment(route, outlet, 3, sequence=9), ADMIN
        )
        assert uow.routes.assignments == {(route.id, outlet.id): later}
        assert [r.version for r in uow.routes.all()] == [3]
        assert event_types(uow) == [events.RouteAssignmentChanged] * 2

    async def test_only_active_outlets_go_on_routes(self, uow: FakeClientsUnitOfWork) -> None:
        route, closed = a_route(uow, an_employee(uow)), an_outlet(uow, OutletStatus.CLOSED)
        cmd = assignment(route, closed)
        await uow.refused(
            FailedPrecondition, handlers.set_route_assignment, cmd, ADMIN, match="CLOSED"
        )

    async def test_the_route_and_the_outlet_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        route, outlet = a_route(uow, an_employee(uow)), an_outlet(uow)
        cmd = c.SetRouteAssignment(new_id(), outlet.id, VisitFrequency.WEEKLY, [1], MONDAY, 1)
        await uow.refused(NotFound, handlers.set_route_assignment, cmd, ADMIN, match="route_id")
        cmd = c.SetRouteAssignment(route.id, new_id(), VisitFrequency.WEEKLY, [1], MONDAY, 1)
        await uow.refused(NotFound, handlers.set_route_assignment, cmd, ADMIN, match="outlet_id")

    async def test_a_supervisor_assigns_its_teams_routes_and_outlets_only(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        boss = an_employee(uow, Role.SUPERVISOR)
        mine, theirs = an_employee(uow, supervisor_id=boss.id), an_employee(uow)
        known, unknown = an_outlet(uow), an_outlet(uow)
        my_route = on_a_route(uow, mine, known)
        their_route = on_a_route(uow, theirs, unknown)
        caller = await as_(uow, boss)
        cmd = assignment(my_route, known, 3)
        await uow.run(handlers.set_route_assignment, cmd, caller)  # rescheduled
        for cmd, field in (
            (assignment(their_route, known), "route_id"),
            (assignment(my_route, unknown), "outlet_id"),
        ):
            await uow.refused(
                PermissionDenied, handlers.set_route_assignment, cmd, caller, match=field
            )


class TestRemoveRouteAssignment:
    async def test_takes_the_outlet_off_the_route(self, uow: FakeClientsUnitOfWork) -> None:
        route, outlet = a_route(uow, an_employee(uow)), an_outlet(uow)
        put, _ = await uow.run(handlers.set_route_assignment, assignment(route, outlet), ADMIN)
        cmd = c.RemoveRouteAssignment(route.id, outlet.id)
        await uow.run(handlers.remove_route_assignment, cmd, ADMIN)
        assert uow.routes.assignments == {}
        assert [r.version for r in uow.routes.all()] == [3]
        removed = uow.events[-1]
        assert isinstance(removed, events.RouteAssignmentChanged)
        assert removed.removed and removed.assignment == put

    async def test_removing_what_is_not_there_changes_nothing(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        route = a_route(uow, an_employee(uow))
        cmd = c.RemoveRouteAssignment(route.id, new_id())
        await uow.run(handlers.remove_route_assignment, cmd, ADMIN)
        assert uow.routes.all() == [route] and uow.events == []

    async def test_the_route_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = c.RemoveRouteAssignment(new_id(), new_id())
        await uow.refused(NotFound, handlers.remove_route_assignment, cmd, ADMIN, match="route_id")
        agent = an_employee(uow)
        route = on_a_route(uow, an_employee(uow))  # another's
        cmd = c.RemoveRouteAssignment(route.id, new_id())
        caller = await as_(uow, agent)
        await uow.refused(
            PermissionDenied, handlers.remove_route_assignment, cmd, caller, match="route_id"
        )


# ------------------------------------------------------------------------ route agents
def period(
    route: Route | str,
    employee: Employee | str,
    start: date | None,
    end: date | None = None,
    by_external: bool = False,
) -> c.RouteAgentPeriodInput:
    """A period naming the route and employee by id (or, `by_external`, by external id; a str
    is given as it is)."""

    def pair(x: Route | Employee | str) -> tuple[str, str]:
        if isinstance(x, str):
            return ("", x) if by_external else (x, "")
        return ("", x.external_id) if by_external else (x.id, "")

    route_id, route_external_id = pair(route)
    employee_id, employee_external_id = pair(employee)
    return c.RouteAgentPeriodInput(
        route_id, route_external_id, employee_id, employee_external_id, start, end
    )


DAY = MONDAY  # "today" for the schedule


class TestScheduleRouteAgents:
    async def schedule(
        self, uow: FakeClientsUnitOfWork, *periods: c.RouteAgentPeriodInput, today: date = DAY
    ) -> handlers.AgentsScheduled:
        return await uow.run(handlers.schedule_route_agents, today, c.ScheduleRouteAgents(periods))

    async def test_a_period_in_force_today_moves_the_route_and_a_later_one_waits(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        a, b, c_ = an_employee(uow), an_employee(uow, Role.VAN_SELLER), an_employee(uow)
        route = a_route(uow, a)
        done = await self.schedule(
            uow,
            period(route, b, DAY - timedelta(days=3), DAY + timedelta(days=6)),
            period(route, c_, DAY + timedelta(days=7)),
        )
        assert [o for _, o in done.periods] == [handlers.UpsertOutcome.CREATED] * 2
        [moved] = done.routes
        assert (moved.id, moved.agent_id, moved.version) == (route.id, b.id, 2)
        assert (await uow.routes.get(route.id)).agent_id == b.id
        [event] = uow.events
        assert isinstance(event, events.RouteChanged)
        assert (event.route.agent_id, event.previous_agent_id) == (b.id, a.id)
        assert len(uow.routes.periods) == 2

    async def test_the_same_periods_again_change_nothing_and_a_new_end_replaces(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        a, b = an_employee(uow), an_employee(uow)
        route = a_route(uow, a)
        first = period(route, b, DAY, DAY + timedelta(days=30))
        await self.schedule(uow, first)
        again = await self.schedule(uow, first)
        assert [o for _, o in again.periods] == [handlers.UpsertOutcome.UNCHANGED]
        assert again.routes[0].version == 2 and len(uow.events) == 1
        longer = await self.schedule(uow, period(route, b, DAY, None))
        assert [o for _, o in longer.periods] == [handlers.UpsertOutcome.UPDATED]
        assert uow.routes.periods[(route.id, DAY)].valid_to is None
        assert len(uow.events) == 1  # the agent did not change

    async def test_routes_and_employees_by_external_id(self, uow: FakeClientsUnitOfWork) -> None:
        a = an_employee(uow)
        route = uow.routes.put(stored(Route.create(route_id_for("R-1"), "Север", "", a, "R-1")))
        [made] = await uow.run(
            handlers.upsert_employees,
            c.UpsertEmployees(
                (c.EmployeeUpsert("EMP-1", "Иван", (Role.AGENT,), True, "", "", ""),)
            ),
        )
        done = await self.schedule(uow, period("R-1", "EMP-1", DAY, by_external=True))
        [(stored_period, _)] = done.periods
        assert stored_period == RouteAgentPeriod(route.id, made.employee.id, DAY, None)
        assert done.routes[0].agent_id == made.employee.id

    async def test_a_later_start_wins_until_it_ends(self, uow: FakeClientsUnitOfWork) -> None:
        a, b, c_ = an_employee(uow), an_employee(uow), an_employee(uow)
        route = a_route(uow, a)
        await self.schedule(
            uow,
            period(route, b, DAY - timedelta(days=10)),
            period(route, c_, DAY - timedelta(days=2), DAY + timedelta(days=2)),  # a holiday
        )
        assert (await uow.routes.get(route.id)).agent_id == c_.id
        for day, agent in ((DAY + timedelta(days=2), c_), (DAY + timedelta(days=3), b)):
            await uow.run(handlers.roll_route_agents, day)
            assert (await uow.routes.get(route.id)).agent_id == agent.id, day

    async def test_with_no_period_in_force_the_route_keeps_its_agent(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        a, b = an_employee(uow), an_employee(uow)
        route = a_route(uow, a)
        await self.schedule(uow, period(route, b, DAY - timedelta(days=9), DAY - timedelta(days=1)))
        assert (await uow.routes.get(route.id)).agent_id == a.id and uow.events == []

    async def test_every_refused_period_is_named_and_nothing_is_written(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        a, tech = an_employee(uow), an_employee(uow, Role.TECHNICIAN, Role.MERCHANDISER)
        gone = uow.employees.put(stored(an_employee(uow)))
        gone.active = False
        uow.employees.put(gone)
        route = a_route(uow, a)
        error = await uow.refused(
            InvalidArgument,
            handlers.schedule_route_agents,
            DAY,
            c.ScheduleRouteAgents(
                (
                    period(route, a, DAY),
                    period(route, a, DAY + timedelta(days=5), DAY + timedelta(days=4)),
                    period(route, tech, DAY + timedelta(days=9)),
                    period(route, gone, DAY + timedelta(days=10)),
                    period(route, a, DAY),
                    c.RouteAgentPeriodInput(route.id, "R-1", a.id, "", DAY, None),
                    c.RouteAgentPeriodInput("", "", a.id, "", DAY, None),
                    period(route, a, None),
                    period(new_id(), a, DAY),
                )
            ),
        )
        assert error.message.startswith(
            "periods[1].valid_to: " + f"{DAY + timedelta(days=4)} is before valid_from"
        )
        for named in (
            f"periods[2].employee_id: employee {tech.id} holds neither ROLE_AGENT",
            f"periods[3].employee_id: employee {gone.id} is not active",
            f"periods[4].valid_from: route {route.id} has another period starting {DAY} "
            "at periods[0]",
            "periods[5].route_external_id: give route_id or route_external_id, not both",
            "periods[6].route_id: is required: give route_id or route_external_id",
            "periods[7].valid_from: is required",
            "periods[8].route_id: route",
        ):
            assert named in error.message
        assert "periods[0]" not in error.message.split("(")[0]

    async def test_an_inactive_employees_past_period_is_history_and_accepted(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        a, gone = an_employee(uow), an_employee(uow)
        gone.active = False
        uow.employees.put(gone)
        route = a_route(uow, a)
        done = await self.schedule(
            uow, period(route, gone, DAY - timedelta(days=30), DAY - timedelta(days=1))
        )
        assert done.routes[0].agent_id == a.id

    async def test_only_missing_routes_and_employees_are_not_found(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        a = an_employee(uow)
        route = a_route(uow, a)
        error = await uow.refused(
            NotFound,
            handlers.schedule_route_agents,
            DAY,
            c.ScheduleRouteAgents(
                (
                    period(route, a, DAY),
                    period("R-404", "EMP-404", DAY, by_external=True),
                    period(route, new_id(), DAY + timedelta(days=1)),
                )
            ),
        )
        assert error.message.startswith("periods[1].route_external_id: route 'R-404' not found")
        assert "periods[1].employee_external_id: employee 'EMP-404' not found" in error.message
        assert "periods[2].employee_id: employee" in error.message

    async def test_an_empty_batch_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        await uow.refused(
            InvalidArgument,
            handlers.schedule_route_agents,
            DAY,
            c.ScheduleRouteAgents(()),
            match="periods",
        )


class TestRollRouteAgents:
    async def test_each_route_follows_its_period_on_the_day_it_starts(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        a, b = an_employee(uow), an_employee(uow)
        routes = [a_route(uow, a) for _ in range(5)]
        for route in routes:
            uow.routes.periods[(route.id, DAY)] = RouteAgentPeriod(route.id, b.id, DAY)
        assert await uow.run(handlers.roll_route_agents, DAY - timedelta(days=1)) == (0, "")
        assert uow.events == []
        moved, last = await uow.run(handlers.roll_route_agents, DAY, "", 3)
        assert (moved, last) == (3, sorted(r.id for r in routes)[2])
        assert await uow.run(handlers.roll_route_agents, DAY, last, 3) == (
            2,
            max(r.id for r in routes),
        )
        assert await uow.run(handlers.roll_route_agents, DAY) == (0, "")
        assert {r.agent_id for r in uow.routes.all()} == {b.id}
        assert [type(e) for e in uow.events] == [events.RouteChanged] * 5


# ------------------------------------------------------------------------------ visits
def check_in(agent: Employee, outlet: Outlet, visit_id: str = "", **kw: Any) -> c.CheckIn:
    """A check-in an ADMIN records for `agent` (the import path)."""
    values: dict[str, Any] = {"time": NOW, "location": SHOP, "day": None}
    return c.CheckIn(visit_id or new_id(), agent.id, outlet.id, **{**values, **kw})


class TestCheckIn:
    async def test_starts_the_visit_measuring_the_distance(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        agent, outlet = an_employee(uow), an_outlet(uow)
        far = Location(SHOP.lat + 0.01, SHOP.lon)  # about 1.1 km north
        visit = await uow.run(
            handlers.check_in, check_in(agent, outlet, location=far), ADMIN, radius_m=RADIUS_M
        )
        assert uow.visits.all() == [visit] and visit.agent_id == agent.id
        assert visit.status is VisitStatus.IN_PROGRESS and visit.day == NOW.date()
        assert visit.check_in is not None and visit.check_in.far
        assert event_types(uow) == [events.VisitStarted]

    async def test_an_agent_checks_in_as_itself_at_the_outlets_of_its_routes(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        agent, mine, elsewhere = an_employee(uow), an_outlet(uow), an_outlet(uow)
        on_a_route(uow, agent, mine)
        caller = await as_(uow, agent)
        cmd = c.CheckIn(new_id(), "", mine.id, NOW, SHOP, None)
        visit = await uow.run(handlers.check_in, cmd, caller, radius_m=RADIUS_M)
        assert visit.agent_id == agent.id
        cmd = c.CheckIn(new_id(), "", elsewhere.id, NOW, SHOP, None)
        await uow.refused(
            PermissionDenied, handlers.check_in, cmd, caller, match="outlet_id", radius_m=RADIUS_M
        )

    async def test_an_agent_naming_another_agent_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        agent, other, outlet = an_employee(uow), an_employee(uow), an_outlet(uow)
        on_a_route(uow, agent, outlet)
        cmd = c.CheckIn(new_id(), other.id, outlet.id, NOW, SHOP, None)
        caller = await as_(uow, agent)
        await uow.refused(
            PermissionDenied,
            handlers.check_in,
            cmd,
            caller,
            match="for_agent_id",
            radius_m=RADIUS_M,
        )

    async def test_a_service_names_the_agent(self, uow: FakeClientsUnitOfWork) -> None:
        service = Access.of(Principal(Kind.SERVICE, "svc:erp", frozenset({"SERVICE"})))
        cmd = c.CheckIn(new_id(), "", an_outlet(uow).id, NOW, SHOP, None)
        await uow.refused(
            InvalidArgument,
            handlers.check_in,
            cmd,
            service,
            match="for_agent_id",
            radius_m=RADIUS_M,
        )

    async def test_a_retry_returns_the_visit_and_another_start_under_its_id_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        agent, outlet = an_employee(uow), an_outlet(uow)
        cmd = check_in(agent, outlet)
        first = await uow.run(handlers.check_in, cmd, ADMIN, radius_m=RADIUS_M)
        assert await uow.run(handlers.check_in, cmd, ADMIN, radius_m=RADIUS_M) == first
        assert event_types(uow) == [events.VisitStarted]
        elsewhere = check_in(agent, an_outlet(uow), cmd.visit_id)
        await uow.refused(AlreadyExists, handlers.check_in, elsewhere, ADMIN, radius_m=RADIUS_M)

    async def test_a_closed_outlet_is_not_visited(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = check_in(an_employee(uow), an_outlet(uow, OutletStatus.CLOSED))
        await uow.refused(FailedPrecondition, handlers.check_in, cmd, ADMIN, radius_m=RADIUS_M)

    async def test_the_agent_and_the_outlet_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        agent, outlet = an_employee(uow), an_outlet(uow)
        cmd = c.CheckIn(new_id(), new_id(), outlet.id, NOW, None, None)
        await uow.refused(
            NotFound, handlers.check_in, cmd, ADMIN, match="for_agent_id", radius_m=RADIUS_M
        )
        cmd = c.CheckIn(new_id(), agent.id, new_id(), NOW, None, None)
        await uow.refused(
            NotFound, handlers.check_in, cmd, ADMIN, match="outlet_id", radius_m=RADIUS_M
        )


class TestCheckOut:
    async def test_completes_the_visit(self, uow: FakeClientsUnitOfWork) -> None:
        outlet = an_outlet(uow)
        visit = a_visit(uow, an_employee(uow), outlet)
        cmd = c.CheckOut(visit.id, NOW + timedelta(minutes=20), SHOP, VisitOutcome.NO_ORDER, "x")
        done = await uow.run(handlers.check_out, cmd, ADMIN, radius_m=RADIUS_M)
        assert uow.visits.all() == [done] and done.outlet_id == outlet.id
        assert (done.status, done.outcome, done.version) == (
            VisitStatus.COMPLETED,
            VisitOutcome.NO_ORDER,
            2,
        )
        assert event_types(uow) == [events.VisitCompleted]

    async def test_the_visit_must_exist(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = c.CheckOut(new_id(), NOW, None, VisitOutcome.NO_ORDER, "")
        await uow.refused(
            NotFound, handlers.check_out, cmd, ADMIN, match="visit_id", radius_m=RADIUS_M
        )

    async def test_only_its_own_agent_checks_out_even_its_supervisor_not(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        boss = an_employee(uow, Role.SUPERVISOR)
        agent = an_employee(uow, supervisor_id=boss.id)
        visit = a_visit(uow, agent, an_outlet(uow))
        cmd = c.CheckOut(visit.id, NOW, None, VisitOutcome.NO_ORDER, "")
        for caller in (await as_(uow, an_employee(uow)), await as_(uow, boss)):
            await uow.refused(PermissionDenied, handlers.check_out, cmd, caller, radius_m=RADIUS_M)
        done = await uow.run(handlers.check_out, cmd, await as_(uow, agent), radius_m=RADIUS_M)
        assert done.status is VisitStatus.COMPLETED

    async def test_a_check_out_before_the_check_in_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        visit = a_visit(uow, an_employee(uow), an_outlet(uow))
        cmd = c.CheckOut(visit.id, NOW - timedelta(hours=1), None, VisitOutcome.NO_ORDER, "")
        await uow.refused(
            InvalidArgument, handlers.check_out, cmd, ADMIN, match="time", radius_m=RADIUS_M
        )


class TestRecordMissedVisit:
    async def test_records_the_missed_visit(self, uow: FakeClientsUnitOfWork) -> None:
        agent, outlet = an_employee(uow), an_outlet(uow)
        on_a_route(uow, agent, outlet)
        cmd = c.RecordMissedVisit(new_id(), "", outlet.id, MONDAY, "закрыто на учёт")
        caller = await as_(uow, agent)
        visit = await uow.run(handlers.record_missed_visit, cmd, caller)
        assert uow.visits.all() == [visit] and visit.agent_id == agent.id
        assert (visit.status, visit.day, visit.missed_reason) == (
            VisitStatus.MISSED,
            MONDAY,
            "закрыто на учёт",
        )
        assert event_types(uow) == [events.VisitMissed]
        assert await uow.run(handlers.record_missed_visit, cmd, caller) == visit  # a retry
        assert event_types(uow) == [events.VisitMissed]

    async def test_another_agents_visit_under_its_id_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        outlet = an_outlet(uow)
        visit = a_visit(uow, an_employee(uow), outlet)
        cmd = c.RecordMissedVisit(visit.id, an_employee(uow).id, outlet.id, MONDAY, "закрыто")
        await uow.refused(AlreadyExists, handlers.record_missed_visit, cmd, ADMIN)


# ------------------------------------------------------------------------------ audits
class TestCreateQuestionnaire:
    async def test_saves_the_questionnaire(self, uow: FakeClientsUnitOfWork) -> None:
        questions = [("placement", "Где выкладка?", QuestionType.CHOICE, ["Вход", "Касса"], True)]
        cmd = c.CreateQuestionnaire(new_id(), "Выкладка", questions, ["KDR-0500-PET"])
        q = await uow.run(handlers.create_questionnaire, cmd)
        assert uow.questionnaires.all() == [q]
        assert [x.options for x in q.questions] == [("Вход", "Касса")]
        [event] = uow.events
        assert isinstance(event, events.QuestionnaireChanged) and event.questionnaire == q
        retry = c.CreateQuestionnaire(q.id, "Другое", questions, [])
        assert await uow.run(handlers.create_questionnaire, retry) == q
        assert len(uow.events) == 1  # a retry (the id exists) publishes nothing

    async def test_an_empty_questionnaire_is_refused(self, uow: FakeClientsUnitOfWork) -> None:
        cmd = c.CreateQuestionnaire(new_id(), "Пусто", [], [])
        await uow.refused(InvalidArgument, handlers.create_questionnaire, cmd)

    async def test_a_distributor_is_a_client_of_type_distributor(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        distributor = a_client(uow, ClientType.DISTRIBUTOR)
        cmd = c.CreateQuestionnaire(new_id(), "Полка", [], ["SKU-1"], distributor.id)
        q = await uow.run(handlers.create_questionnaire, cmd)
        assert q.distributor_id == distributor.id
        assert uow.questionnaires.all() == [q]
        [event] = uow.events
        assert isinstance(event, events.QuestionnaireChanged)
        assert event.questionnaire.distributor_id == distributor.id

    @pytest.mark.parametrize("kind", ["unknown", "retail"])
    async def test_an_unknown_or_other_client_is_refused_naming_the_field(
        self, uow: FakeClientsUnitOfWork, kind: str
    ) -> None:
        named = new_id() if kind == "unknown" else a_client(uow, ClientType.RETAIL).id
        cmd = c.CreateQuestionnaire(new_id(), "Полка", [], ["SKU-1"], named)
        error = NotFound if kind == "unknown" else InvalidArgument
        await uow.refused(
            error, handlers.create_questionnaire, cmd, match=r"^questionnaire\.distributor_id: "
        )
        assert uow.questionnaires.all() == []


def update_questionnaire(q: Questionnaire, **kw: Any) -> c.UpdateQuestionnaire:
    values: dict[str, Any] = {
        "id": q.id,
        "name": q.name,
        "questions": [(x.id, x.text, x.type, x.options, x.required) for x in q.questions],
        "must_stock_skus": q.must_stock_skus,
        "expected_version": q.version,
        "distributor_id": q.distributor_id,
    }
    return c.UpdateQuestionnaire(**{**values, **kw})


class TestUpdateQuestionnaire:
    async def test_saves_the_new_content(self, uow: FakeClientsUnitOfWork) -> None:
        q = a_questionnaire(uow)
        cmd = update_questionnaire(q, name="Аудит v2", must_stock_skus=["KDR-1000-PET"])
        updated = await uow.run(handlers.update_questionnaire, cmd)
        assert uow.questionnaires.all() == [updated]
        assert (updated.name, updated.must_stock_skus, updated.version) == (
            "Аудит v2",
            ("KDR-1000-PET",),
            2,
        )
        [event] = uow.events
        assert isinstance(event, events.QuestionnaireChanged) and event.questionnaire == updated

    async def test_the_same_content_changes_nothing(self, uow: FakeClientsUnitOfWork) -> None:
        q = a_questionnaire(uow)
        same = await uow.run(handlers.update_questionnaire, update_questionnaire(q))
        assert same == q and same.version == 1
        assert uow.events == []

    async def test_a_stale_version_is_a_conflict(self, uow: FakeClientsUnitOfWork) -> None:
        q = a_questionnaire(uow)
        await uow.run(handlers.update_questionnaire, update_questionnaire(q, name="v2"))
        cmd = update_questionnaire(q, name="v3")  # made from version 1
        await uow.refused(Conflict, handlers.update_questionnaire, cmd)

    async def test_tags_and_untags_a_distributor(self, uow: FakeClientsUnitOfWork) -> None:
        q, distributor = a_questionnaire(uow), a_client(uow, ClientType.DISTRIBUTOR)
        tagged = await uow.run(
            handlers.update_questionnaire, update_questionnaire(q, distributor_id=distributor.id)
        )
        assert (tagged.distributor_id, tagged.version) == (distributor.id, 2)
        untagged = await uow.run(
            handlers.update_questionnaire, update_questionnaire(tagged, distributor_id="")
        )
        assert (untagged.distributor_id, untagged.version) == ("", 3)

    async def test_the_tag_it_has_is_not_judged_again(self, uow: FakeClientsUnitOfWork) -> None:
        """A distributor that became another type since: the questionnaire still changes."""
        q = a_questionnaire(uow, a_client(uow, ClientType.RETAIL).id)
        renamed = await uow.run(handlers.update_questionnaire, update_questionnaire(q, name="v2"))
        assert (renamed.name, renamed.distributor_id) == ("v2", q.distributor_id)

    @pytest.mark.parametrize(
        ("change", "error", "field"),
        [
            ({"distributor_id": new_id()}, NotFound, "questionnaire.distributor_id"),
            ({"distributor_id": "d-1"}, InvalidArgument, "questionnaire.distributor_id"),
            ({"id": new_id()}, NotFound, "questionnaire.id"),
            ({"id": "q-1"}, InvalidArgument, "questionnaire.id"),
            ({"expected_version": 0}, InvalidArgument, "questionnaire.version"),
            ({"name": ""}, InvalidArgument, "questionnaire.name"),
            ({"questions": [], "must_stock_skus": []}, InvalidArgument, "questionnaire.questions"),
        ],
    )
    async def test_bad_input_is_refused_naming_the_field(
        self, uow: FakeClientsUnitOfWork, change: dict[str, Any], error: type[Exception], field: str
    ) -> None:
        q = a_questionnaire(uow)
        await uow.refused(
            error, handlers.update_questionnaire, update_questionnaire(q, **change), match=field
        )


class TestSubmitAudit:
    def _audit(
        self, uow: FakeClientsUnitOfWork, tagged: str = "", **kw: Any
    ) -> tuple[c.SubmitAudit, Visit, Questionnaire]:
        """A SubmitAudit (`kw`: its fields) of a new visit and questionnaire (`tagged`: its
        distributor)."""
        visit = a_visit(uow, an_employee(uow), an_outlet(uow))
        questionnaire = a_questionnaire(uow, tagged)
        values: dict[str, Any] = {
            "id": new_id(),
            "visit_id": visit.id,
            "questionnaire_id": questionnaire.id,
            "agent_id": visit.agent_id,
            "outlet_id": visit.outlet_id,
            "answers": [AnswerInput("facings", "number", "12")],
        }
        return c.SubmitAudit(**{**values, **kw}), visit, questionnaire

    async def test_saves_the_audit_of_the_visit(self, uow: FakeClientsUnitOfWork) -> None:
        cmd, visit, questionnaire = self._audit(uow)
        audit = await uow.run(handlers.submit_audit, NOW, cmd, ADMIN)
        assert uow.audits.all() == [audit]
        assert (audit.visit_id, audit.questionnaire_id) == (visit.id, questionnaire.id)
        assert (audit.agent_id, audit.outlet_id) == (visit.agent_id, visit.outlet_id)
        assert [a.value for a in audit.answers] == [Decimal("12")]
        assert event_types(uow) == [events.AuditSubmitted]
        assert await uow.run(handlers.submit_audit, NOW, cmd, ADMIN) == audit  # a retry
        assert event_types(uow) == [events.AuditSubmitted]
        assert (audit.submitted_at, audit.performed_at) == (NOW, None)

    async def test_keeps_the_devices_time_beside_the_servers(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        made = NOW - timedelta(hours=3)
        cmd, _, _ = self._audit(uow, performed_at=made)
        audit = await uow.run(handlers.submit_audit, NOW, cmd, ADMIN)
        assert (audit.submitted_at, audit.performed_at) == (NOW, made)
        assert uow.audits.all()[0].performed_at == made

    async def test_a_device_time_over_an_hour_ahead_is_refused(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        cmd, _, _ = self._audit(uow, performed_at=NOW + timedelta(minutes=61))
        await uow.refused(
            InvalidArgument, handlers.submit_audit, NOW, cmd, ADMIN, match="audit.performed_at"
        )

    @pytest.mark.parametrize("field", ["agent_id", "outlet_id"])
    async def test_the_visit_must_be_the_agents_at_the_outlet(
        self, uow: FakeClientsUnitOfWork, field: str
    ) -> None:
        cmd, _, _ = self._audit(uow, **{field: new_id()})
        await uow.refused(
            InvalidArgument, handlers.submit_audit, NOW, cmd, ADMIN, match=f"audit.{field}"
        )

    @pytest.mark.parametrize("field", ["visit_id", "questionnaire_id"])
    async def test_the_visit_and_the_questionnaire_must_exist(
        self, uow: FakeClientsUnitOfWork, field: str
    ) -> None:
        cmd, _, _ = self._audit(uow, **{field: new_id()})
        await uow.refused(NotFound, handlers.submit_audit, NOW, cmd, ADMIN, match=f"audit.{field}")

    async def test_a_distributors_questionnaire_tags_its_audits(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        distributor = a_client(uow, ClientType.DISTRIBUTOR)
        for named in ("", distributor.id):  # omitted by the device, or the same
            cmd, _, _ = self._audit(uow, distributor.id, distributor_id=named)
            audit = await uow.run(handlers.submit_audit, NOW, cmd, ADMIN)
            assert audit.distributor_id == distributor.id
            assert uow.audits.all()[-1].distributor_id == distributor.id
        other = a_client(uow, ClientType.DISTRIBUTOR)
        cmd, _, _ = self._audit(uow, distributor.id, distributor_id=other.id)
        await uow.refused(
            InvalidArgument, handlers.submit_audit, NOW, cmd, ADMIN, match="audit.distributor_id"
        )

    async def test_an_untagged_questionnaires_audit_may_name_a_distributor(
        self, uow: FakeClientsUnitOfWork
    ) -> None:
        distributor = a_client(uow, ClientType.DISTRIBUTOR)
        cmd, _, _ = self._audit(uow, distributor_id=distributor.id)
        audit = await uow.run(handlers.submit_audit, NOW, cmd, ADMIN)
        assert audit.distributor_id == distributor.id
        [event] = [e for e in uow.events if isinstance(e, events.AuditSubmitted)]
        assert event.audit.distributor_id == distributor.id

    @pytest.mark.parametrize("kind", ["unknown", "retail"])
    async def test_a_named_distributor_must_be_one(
        self, uow: FakeClientsUnitOfWork, kind: str
    ) -> None:
        named = new_id() if kind == "unknown" else a_client(uow, ClientType.RETAIL).id
        cmd, _, _ = self._audit(uow, distributor_id=named)
        error = NotFound if kind == "unknown" else InvalidArgument
        await uow.refused(
            error, handlers.submit_audit, NOW, cmd, ADMIN, match=r"^audit\.distributor_id: "
        )
        assert uow.audits.all() == []

    async def test_a_missed_visit_is_not_audited(self, uow: FakeClientsUnitOfWork) -> None:
        agent, outlet = an_employee(uow), an_outlet(uow)
        missed = uow.visits.put(stored(Visit.missed(new_id(), agent, outlet, MONDAY, "закрыто")))
        cmd, _, _ = self._audit(uow, visit_id=missed.id, agent_id="", outlet_id="")
        await uow.refused(
            FailedPrecondition, handlers.submit_audit, NOW, cmd, ADMIN, match="MISSED"
        )

    async def test_an_agent_audits_its_own_visits_only(self, uow: FakeClientsUnitOfWork) -> None:
        cmd, visit, _ = self._audit(uow)
        stranger = await as_(uow, an_employee(uow))
        await uow.refused(
            PermissionDenied, handlers.submit_audit, NOW, cmd, stranger, match="audit.visit_id"
        )
        agent = await uow.employees.get(visit.agent_id)
        audit = await uow.run(handlers.submit_audit, NOW, cmd, await as_(uow, agent))
        assert audit.agent_id == agent.id
        # Another agent's retry under the audit's id gets nothing either.
        await uow.refused(PermissionDenied, handlers.submit_audit, NOW, cmd, stranger)
