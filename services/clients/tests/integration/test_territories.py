"""Territories over gRPC: a territory created is announced once, whole (TerritoryChanged)."""

from __future__ import annotations

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import new_id

from .conftest import Harness


async def test_a_created_territory_is_published_once_with_the_territory(svc: Harness) -> None:
    region = pb.Territory(id=new_id(), name="Поволжье")
    await svc.territory.CreateTerritory(
        ts.CreateTerritoryRequest(request_id=new_id(), territory=region)
    )
    city = pb.Territory(id=new_id(), name="Казань", parent_id=region.id)
    request = ts.CreateTerritoryRequest(request_id=new_id(), territory=city)
    first = await svc.territory.CreateTerritory(request)
    assert first.territory == city
    # Retried: under the same request id (the stored answer), and under another one (the
    # territory is there already: answered as it is, the name sent now not taken).
    assert await svc.territory.CreateTerritory(request) == first
    renamed = pb.Territory(id=city.id, name="Другое имя", parent_id=region.id)
    again = await svc.territory.CreateTerritory(
        ts.CreateTerritoryRequest(request_id=new_id(), territory=renamed)
    )
    assert again.territory == city

    events = await published(svc.js, "CLIENTS", about(city.id), expect=1, settle=1.0)
    assert [e.name for e in events] == ["TerritoryChanged"]  # once, whatever the retries
    [event] = events
    assert isinstance(event.message, ev.TerritoryChanged)
    assert event.message.territory == city
    assert (event.envelope.aggregate_type, event.envelope.aggregate_version) == ("territory", 1)
    [root] = await published(svc.js, "CLIENTS", about(region.id), expect=1)
    assert isinstance(root.message, ev.TerritoryChanged)
    assert root.message.territory == region  # a root: no parent
