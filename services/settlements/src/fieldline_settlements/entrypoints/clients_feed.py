"""The `settlements-clients-feed` consumer: clients' events → settlements' read models.

* EmployeeChanged → `feed_employees` (active, roles, supervisor, territory): the directory the
  auth check admits every employee's token through, and a supervisor's team;
* OutletCreated, OutletChanged → `feed_outlets` (the outlet's client);
* RouteAssignmentChanged → `feed_route_outlets` (the outlet on the route, who works it; a
  removal is kept as a tombstone).

Each event is mapped to the record it reports and applied by the feed use cases
(service_layer/feed.py) on a unit of work adopted on the consumer's transaction
(`App.consumer_handler`): the inbox row and the effects commit together, a redelivered event
is absorbed by the inbox, an older one arriving late changes nothing. An event that can never be
applied (an id that is no UUID, a missing one) raises PoisonMessage here and is dead-lettered,
so it cannot block the feed.

The durable is declared by the topology (fieldline_settlements.topology: stream CLIENTS, the
four subjects above only); this only binds to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf.message import Message
from nats.aio.client import Client

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.app import ApplyEvent
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import role_names
from fieldline_kit.messaging.consumer import EventConsumer, Handler, PoisonMessage
from fieldline_settlements.adapters.repository import SettlementsUnitOfWork
from fieldline_settlements.bootstrap import App
from fieldline_settlements.domain.feed import (
    EmployeeState,
    FeedRecord,
    OutletState,
    RouteOutletState,
)
from fieldline_settlements.domain.values import optional_id, require_id
from fieldline_settlements.service_layer import feed
from fieldline_settlements.topology import CLIENTS_FEED

CONSUMER = CLIENTS_FEED.durable
STREAM = CLIENTS_FEED.stream


# ------------------------------------------------------------------------ event → record
def _id(field: str, value: str, *, required: bool = True) -> str:
    try:
        return require_id(field, value) if required else optional_id(field, value)
    except InvalidArgument as exc:
        raise PoisonMessage(exc.message) from None


def outlet_state(envelope: EventEnvelope, outlet: res.Outlet) -> OutletState:
    return OutletState(
        outlet_id=_id("outlet.id", outlet.id),
        client_id=_id("outlet.client_id", outlet.client_id),
        version=envelope.aggregate_version or outlet.version,
    )


def route_outlet_state(
    envelope: EventEnvelope, message: ev.RouteAssignmentChanged
) -> RouteOutletState:
    a = message.assignment
    return RouteOutletState(
        route_id=_id("assignment.route_id", a.route_id),
        outlet_id=_id("assignment.outlet_id", a.outlet_id),
        # A removal needs only its key and version; a live assignment must say who works it.
        agent_id=_id("agent_id", message.agent_id, required=not message.removed),
        removed=message.removed,
        version=envelope.aggregate_version,
    )


def employee_state(envelope: EventEnvelope, message: ev.EmployeeChanged) -> EmployeeState:
    e = message.employee
    return EmployeeState(
        employee_id=_id("employee.id", e.id),
        active=e.active,
        roles=role_names(e.roles, res.Role),
        supervisor_id=_id("employee.supervisor_id", e.supervisor_id, required=False),
        territory_id=_id("employee.territory_id", e.territory_id, required=False),
        version=envelope.aggregate_version or e.version,
    )


# ------------------------------------------------------------------------------ handlers
# Each handled event type, and the record it reports.
RECORDS: Mapping[type[Message], Callable[[EventEnvelope, Any], FeedRecord]] = {
    ev.EmployeeChanged: employee_state,
    ev.OutletCreated: lambda envelope, message: outlet_state(envelope, message.outlet),
    ev.OutletChanged: lambda envelope, message: outlet_state(envelope, message.outlet),
    ev.RouteAssignmentChanged: route_outlet_state,
}


async def _apply(uow: SettlementsUnitOfWork, envelope: EventEnvelope, message: Message) -> None:
    record = RECORDS[type(message)](envelope, message)
    if isinstance(record, OutletState):
        await feed.outlet_seen(uow, record)
    elif isinstance(record, RouteOutletState):
        await feed.route_outlet_seen(uow, record)
    else:
        await feed.employee_seen(uow, record)


WORK: Mapping[type[Message], ApplyEvent[SettlementsUnitOfWork]] = {t: _apply for t in RECORDS}

MESSAGE_TYPES: Mapping[str, type[Message]] = {t.DESCRIPTOR.full_name: t for t in WORK}


def handlers(app: App) -> dict[str, Handler]:
    """The consumer's handler per event type (full proto name), on the app's units of work."""
    return {t.DESCRIPTOR.full_name: app.consumer_handler(work) for t, work in WORK.items()}


def build_clients_feed_consumer(app: App, nc: Client) -> EventConsumer:
    return EventConsumer(
        CONSUMER,
        STREAM,
        app.sessions,
        app.tables,
        handlers(app),
        MESSAGE_TYPES,
        connection=nc,
        clock=app.clock,
    )
