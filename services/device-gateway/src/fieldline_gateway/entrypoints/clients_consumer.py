"""The `gateway-clients-fanout` consumer: clients' events → the employee directory (and the
sync store's sections that come from clients).

The durable is declared by the topology (fieldline_gateway.topology); this binds to it. Events
without a handler here are recorded in the inbox and acked as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fieldline_gateway.adapters.orm import employees, kit
from fieldline_gateway.bootstrap import App
from fieldline_gateway.topology import CLIENTS_FANOUT
from google.protobuf.message import Message
from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.auth.directory import Standing
from fieldline_kit.auth.directory_table import put_standing
from fieldline_kit.grpc.convert import role_names
from fieldline_kit.messaging.consumer import EventConsumer, PoisonMessage
from fieldline_kit.uow import UnitOfWork

Apply = Callable[[UnitOfWork, EventEnvelope, Any], Any]


async def employee_changed(
    uow: UnitOfWork, envelope: EventEnvelope, message: ev.EmployeeChanged
) -> None:
    e = message.employee
    if not e.id:
        raise PoisonMessage("employee.id is empty")
    standing = Standing(
        active=e.active,
        roles=role_names(e.roles, res.Role),
        supervisor_id=e.supervisor_id,
        territory_id=e.territory_id,
        distributor_id=e.distributor_id,
    )
    await put_standing(
        uow.session, employees, e.id, standing, envelope.aggregate_version or e.version
    )


# Each handled event type → what applies it (the sync store adds its sections here).
WORK: dict[type[Message], Apply] = {ev.EmployeeChanged: employee_changed}


def build_clients_consumer(app: App, nc: Client | JetStreamContext) -> EventConsumer:
    types: Mapping[str, type[Message]] = {t.DESCRIPTOR.full_name: t for t in WORK}
    return EventConsumer(
        CLIENTS_FANOUT.durable,
        CLIENTS_FANOUT.stream,
        app.sessions,
        kit,
        {name: app.consumer_handler(WORK[t]) for name, t in types.items()},
        types,
        connection=nc,
        clock=app.clock,
    )
