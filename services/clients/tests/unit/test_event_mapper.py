"""Domain events → integration events: every domain event is published, under its subject."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime

import pytest

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline_clients.adapters.event_mapper import ClientsEvents
from fieldline_clients.domain import events
from fieldline_clients.domain.fieldwork import Questionnaire, QuestionType
from fieldline_clients.domain.model import (
    Client,
    ClientType,
    Employee,
    Role,
    Route,
    RouteAssignment,
    Territory,
    VisitFrequency,
)
from fieldline_kit.testing.helpers import new_id

NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)


def test_every_domain_event_has_a_mapper() -> None:
    domain_events = {
        cls
        for _, cls in inspect.getmembers(events, inspect.isclass)
        if issubclass(cls, events.Event) and cls is not events.Event
    }
    assert domain_events
    assert domain_events == ClientsEvents.mapped_types()


def test_an_event_is_published_under_its_name_about_its_aggregate() -> None:
    client = Client.create(new_id(), "ООО «Ромашка»", "7707083893", "773601001",
                           ClientType.RETAIL, "Москва", NOW)  # fmt: skip
    [published] = ClientsEvents()(client.events[0])
    assert published.subject == "clients.events.v1.ClientCreated"
    assert (published.aggregate_type, published.aggregate_id) == ("client", client.id)
    assert published.aggregate_version == 1
    assert isinstance(published.message, ev.ClientCreated)
    assert published.message.client.inn == "7707083893"


def test_an_assignment_change_names_the_routes_agent() -> None:
    agent = Employee.create(new_id(), "Иван Петров", [Role.AGENT], "", "", "")
    route = Route.create(new_id(), "Маршрут 1", "", agent)
    assignment = RouteAssignment.of(
        route.id, new_id(), VisitFrequency.WEEKLY, [1], date(2024, 5, 13), 1
    )
    route.assignment_changed(assignment, removed=True)
    [published] = ClientsEvents()(route.events[-1])
    assert published.subject == "clients.events.v1.RouteAssignmentChanged"
    assert (published.aggregate_type, published.aggregate_version) == ("route", 2)
    message = published.message
    assert isinstance(message, ev.RouteAssignmentChanged)
    assert message.agent_id == agent.id and message.removed
    assert message.assignment.outlet_id == assignment.outlet_id
    # The route's version rides on the assignment too, as ListRouteAssignments gives it.
    assert message.assignment.route_version == published.aggregate_version == 2


def test_a_questionnaire_is_published_whole_at_each_version() -> None:
    questions = [("facings", "Фейсинги", QuestionType.NUMBER, (), True)]
    q = Questionnaire.create(new_id(), "Полка", questions, ["SKU-1"])
    q.update("Полка v2", questions, ["SKU-1", "SKU-2"], 1)
    [first], [second] = (list(ClientsEvents()(e)) for e in q.events)
    for published, version in ((first, 1), (second, 2)):
        assert published.subject == "clients.events.v1.QuestionnaireChanged"
        assert (published.aggregate_type, published.aggregate_id) == ("questionnaire", q.id)
        assert published.aggregate_version == version
        assert isinstance(published.message, ev.QuestionnaireChanged)
        assert published.message.questionnaire.version == version
    assert isinstance(second.message, ev.QuestionnaireChanged)
    assert second.message.questionnaire.name == "Полка v2"
    assert list(second.message.questionnaire.must_stock_skus) == ["SKU-1", "SKU-2"]
    assert [x.id for x in second.message.questionnaire.questions] == ["facings"]


def test_a_territory_is_published_whole_at_version_1() -> None:
    parent_id = new_id()
    territory = Territory.create(new_id(), "Казань", parent_id)
    [published] = ClientsEvents()(territory.events[0])
    assert published.subject == "clients.events.v1.TerritoryChanged"
    assert (published.aggregate_type, published.aggregate_id) == ("territory", territory.id)
    assert published.aggregate_version == 1  # territories are never changed once made
    assert isinstance(published.message, ev.TerritoryChanged)
    t = published.message.territory
    assert (t.id, t.name, t.parent_id) == (territory.id, "Казань", parent_id)


def test_an_event_without_a_mapper_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="no integration event for Event"):
        ClientsEvents()(events.Event())
