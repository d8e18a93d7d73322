"""EventMapper: one method per domain event type, subjects from the message name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline_kit.event_mapper import EventMapper, maps
from fieldline_kit.uow import IntegrationEvent


@dataclass
class Created:
    id: str


@dataclass
class Renamed:
    id: str
    version: int


@dataclass
class Forgotten:
    id: str


class Events(EventMapper):
    subject_prefix = "things.events.v1"

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix  # what mapping needs besides the event

    @maps(Created)
    def created(self, e: Created) -> IntegrationEvent:
        return self.event("thing", e.id, 1, ev.ClientCreated(client=pb.Client(id=e.id)))

    @maps(Renamed)
    def renamed(self, e: Renamed) -> Iterator[IntegrationEvent]:
        client = pb.Client(id=e.id, name="n" + self.suffix)
        yield self.event("thing", e.id, e.version, ev.ClientChanged(client=client))
        yield self.event("thing", e.id, e.version, ev.ClientCreated(client=client))


class MoreEvents(Events):
    @maps(Forgotten)
    def forgotten(self, e: Forgotten) -> IntegrationEvent:
        return self.event("thing", e.id, 9, ev.ClientCreated())


def test_each_event_maps_through_its_method_to_subjects_named_by_the_message() -> None:
    mapper = Events("!")
    (created,) = mapper(Created("a"))
    assert created.subject == "things.events.v1.ClientCreated"
    assert (created.aggregate_type, created.aggregate_id, created.aggregate_version) == (
        "thing",
        "a",
        1,
    )
    changed, again = mapper(Renamed("a", 2))
    assert changed.subject == "things.events.v1.ClientChanged"
    assert changed.message.client.name == "n!"  # type: ignore[attr-defined]
    assert again.subject == "things.events.v1.ClientCreated"


def test_an_event_without_a_mapper_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="Events: no integration event for Forgotten"):
        list(Events("")(Forgotten("a")))


def test_a_subclass_adds_to_its_base_table_without_changing_it() -> None:
    assert Events.mapped_types() == {Created, Renamed}
    assert MoreEvents.mapped_types() == {Created, Renamed, Forgotten}
    assert [e.aggregate_version for e in MoreEvents("")(Forgotten("a"))] == [9]
