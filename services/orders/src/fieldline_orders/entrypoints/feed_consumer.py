"""The `orders-clients-feed` consumer: clients' events → this context's read models.

Each event is mapped to the record it reports (a client, an outlet, a territory, a route
assignment, an audit, an employee, a visit) and applied by the feed use cases
(service_layer/feed.py) in the consumer's transaction. An event that can never be applied
(missing ids, a schedule without weekdays, a client of no known type, a value too long for its
column) raises PoisonMessage here and is dead-lettered, so it cannot block the feed.

The durable is declared by the topology (fieldline_orders.topology, stream CLIENTS, subjects
`clients.events.v1.>`); this only binds to it. Events without a handler here (CensusDecided,
QuestionnaireChanged, …) are recorded in the inbox and acked as skipped. The bulk load
(entrypoints/bulk_load.py) reads the same events with `feed_record`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.app import ApplyEvent
from fieldline_kit.grpc.convert import role_names
from fieldline_kit.messaging.consumer import EventConsumer, Handler, PoisonMessage
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.adapters.schema import kit
from fieldline_orders.bootstrap import App
from fieldline_orders.domain.feed import (
    FIELD_ROUTE,
    PHONE_ROUTE,
    AssignmentState,
    AuditState,
    ClientState,
    EmployeeState,
    FeedRecord,
    OutletState,
    ShelfCount,
    TerritoryState,
    VisitState,
)
from fieldline_orders.domain.recommendation import weekday_mask
from fieldline_orders.service_layer import feed
from fieldline_orders.topology import CLIENTS_FEED

CONSUMER = CLIENTS_FEED.durable
STREAM = CLIENTS_FEED.stream

# VisitFrequency → weeks between visiting weeks.
FREQUENCY_WEEKS = {
    res.VISIT_FREQUENCY_WEEKLY: 1,
    res.VISIT_FREQUENCY_EVERY_2_WEEKS: 2,
    res.VISIT_FREQUENCY_EVERY_4_WEEKS: 4,
}
_VISIT_STATUS_PREFIX = "VISIT_STATUS_"
# RouteKind → the kind stored; UNSPECIFIED is FIELD (routes from before kinds existed).
ROUTE_KINDS = {
    res.ROUTE_KIND_UNSPECIFIED: FIELD_ROUTE,
    res.ROUTE_KIND_FIELD: FIELD_ROUTE,
    res.ROUTE_KIND_PHONE: PHONE_ROUTE,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The widths of the read models' columns (orm_feed): an id, an outlet card's channel.
_ID = 36
_CHANNEL = 100


# ------------------------------------------------------------------------ event → record
def _require(value: str, what: str) -> str:
    if not value:
        raise PoisonMessage(f"{what} is empty")
    return value


def _fitting(value: str, limit: int, what: str) -> str:
    """`value` if its column holds it (clients never sends a longer one); else it cannot be
    applied."""
    if len(value) > limit:
        raise PoisonMessage(f"{what} is longer than {limit} characters")
    return value


def _name(enum: Any, value: int, what: str) -> str:
    """The name of a clients enum's value without the enum's prefix (`OUTLET_STATUS_`, …); an
    unspecified or unknown value cannot be applied."""
    try:
        name: str = enum.Name(value)
    except ValueError:
        raise PoisonMessage(f"unknown {what} {value}") from None
    if value == 0:  # every clients enum's UNSPECIFIED
        raise PoisonMessage(f"{what} is unspecified")
    return name.removeprefix(enum.Name(0).removesuffix("UNSPECIFIED"))


def _outlet_status(value: int) -> str:
    return _name(res.OutletStatus, value, "outlet status")


def _date(value: Message, what: str) -> date:
    try:
        return date(value.year, value.month, value.day)  # type: ignore[attr-defined]
    except ValueError:
        raise PoisonMessage(f"{what} is not a calendar date") from None


def client_state(envelope: EventEnvelope, client: res.Client) -> ClientState:
    return ClientState(
        client_id=_require(client.id, "client.id"),
        type=_name(res.ClientType, client.type, "client type"),
        version=envelope.aggregate_version or client.version,
    )


def outlet_state(envelope: EventEnvelope, outlet: res.Outlet) -> OutletState:
    return OutletState(
        outlet_id=_require(outlet.id, "outlet.id"),
        client_id=outlet.client_id,
        status=_outlet_status(outlet.status),
        version=envelope.aggregate_version or outlet.version,
        channel=_fitting(outlet.card.channel, _CHANNEL, "outlet.card.channel"),
        territory_id=_fitting(outlet.territory_id, _ID, "outlet.territory_id"),
    )


def territory_state(envelope: EventEnvelope, message: ev.TerritoryChanged) -> TerritoryState:
    t = message.territory
    return TerritoryState(
        territory_id=_fitting(_require(t.id, "territory.id"), _ID, "territory.id"),
        parent_id=_fitting(t.parent_id, _ID, "territory.parent_id"),
        version=envelope.aggregate_version or 1,  # never changed once made: its one version
    )


def assignment_state(
    envelope: EventEnvelope, message: ev.RouteAssignmentChanged
) -> AssignmentState:
    a = message.assignment
    route_id = _require(a.route_id, "assignment.route_id")
    outlet_id = _require(a.outlet_id, "assignment.outlet_id")
    weeks = FREQUENCY_WEEKS.get(a.frequency)
    kind = ROUTE_KINDS.get(a.route_kind)
    days = set(a.weekdays)
    if not message.removed:
        # A removal only needs its key and version; a schedule must be usable.
        if weeks is None:
            raise PoisonMessage(f"assignment.frequency {a.frequency} is not a known frequency")
        if kind is None:  # whether its schedule is one of visits is unknown
            raise PoisonMessage(f"assignment.route_kind {a.route_kind} is not a known kind")
        if not days or not days <= set(range(1, 8)):
            raise PoisonMessage(f"assignment.weekdays {sorted(days)} must be within 1..7")
        start = _date(a.start_date, "assignment.start_date")
    else:
        days &= set(range(1, 8))
        start = _date(a.start_date, "assignment.start_date") if a.start_date.year else date.min
    return AssignmentState(
        route_id=route_id,
        outlet_id=outlet_id,
        agent_id=message.agent_id,
        frequency=weeks or 1,
        weekday_mask=weekday_mask(days),
        start_date=start,
        sequence=a.sequence,
        removed=message.removed,
        version=envelope.aggregate_version,
        route_kind=kind or FIELD_ROUTE,  # a tombstone's kind is never read
    )


def _shelf_quantity(raw: str, sku: str) -> Decimal | None:
    if not raw.strip():
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise PoisonMessage(
            f"must_stock[{sku}].shelf_quantity {raw[:40]!r} is not a number"
        ) from None
    if not value.is_finite() or value < 0:
        raise PoisonMessage(f"must_stock[{sku}].shelf_quantity {raw[:40]!r} is not a count")
    return value


def audit_state(envelope: EventEnvelope, message: ev.AuditSubmitted) -> AuditState:
    audit = message.audit
    submitted = audit.submit_time if audit.HasField("submit_time") else envelope.occurred_at
    counts: dict[str, ShelfCount] = {}
    for check in audit.must_stock:
        sku = _require(check.sku.strip(), "must_stock.sku")
        counts[sku] = ShelfCount(
            sku, check.present, check.facings, _shelf_quantity(check.shelf_quantity, sku)
        )
    performed = audit.performed_at if audit.HasField("performed_at") else None
    return AuditState(
        audit_id=_require(audit.id, "audit.id"),
        outlet_id=_require(audit.outlet_id, "audit.outlet_id"),
        submitted_at=submitted.ToDatetime(tzinfo=UTC) if submitted.seconds else _EPOCH,
        version=envelope.aggregate_version,
        counts=list(counts.values()),
        performed_at=performed.ToDatetime(tzinfo=UTC) if performed is not None else None,
    )


def employee_state(envelope: EventEnvelope, message: ev.EmployeeChanged) -> EmployeeState:
    e = message.employee
    return EmployeeState(
        employee_id=_require(e.id, "employee.id"),
        active=e.active,
        roles=role_names(e.roles, res.Role),
        supervisor_id=e.supervisor_id,
        territory_id=e.territory_id,
        version=envelope.aggregate_version or e.version,
        distributor_id=e.distributor_id,
    )


def visit_state(envelope: EventEnvelope, visit: res.Visit) -> VisitState:
    if visit.status == res.VISIT_STATUS_UNSPECIFIED:
        raise PoisonMessage("visit.status is unspecified")
    try:
        status = res.VisitStatus.Name(visit.status).removeprefix(_VISIT_STATUS_PREFIX)
    except ValueError:
        raise PoisonMessage(f"unknown visit status {visit.status}") from None
    return VisitState(
        visit_id=_require(visit.id, "visit.id"),
        agent_id=_require(visit.agent_id, "visit.agent_id"),
        outlet_id=_require(visit.outlet_id, "visit.outlet_id"),
        day=_date(visit.date, "visit.date"),
        status=status,
        version=envelope.aggregate_version,
    )


# ------------------------------------------------------------------------------ handlers
# Each handled event type, and the record it reports.
RECORDS: Mapping[type[Message], Callable[[EventEnvelope, Any], FeedRecord]] = {
    ev.ClientCreated: lambda envelope, message: client_state(envelope, message.client),
    ev.ClientChanged: lambda envelope, message: client_state(envelope, message.client),
    ev.OutletCreated: lambda envelope, message: outlet_state(envelope, message.outlet),
    ev.OutletChanged: lambda envelope, message: outlet_state(envelope, message.outlet),
    ev.TerritoryChanged: territory_state,
    ev.RouteAssignmentChanged: assignment_state,
    ev.AuditSubmitted: audit_state,
    ev.EmployeeChanged: employee_state,
    ev.VisitStarted: lambda envelope, message: visit_state(envelope, message.visit),
    ev.VisitCompleted: lambda envelope, message: visit_state(envelope, message.visit),
    ev.VisitMissed: lambda envelope, message: visit_state(envelope, message.visit),
}


async def _apply(uow: OrdersUnitOfWork, envelope: EventEnvelope, message: Message) -> None:
    record = RECORDS[type(message)](envelope, message)
    if isinstance(record, ClientState):
        await feed.client_seen(uow, record)
    elif isinstance(record, OutletState):
        await feed.outlet_seen(uow, record)
    elif isinstance(record, TerritoryState):
        await feed.territory_seen(uow, record)
    elif isinstance(record, AssignmentState):
        await feed.assignment_seen(uow, record)
    elif isinstance(record, EmployeeState):
        await feed.employee_seen(uow, record)
    elif isinstance(record, VisitState):
        await feed.visit_seen(uow, record)
    else:
        await feed.audit_seen(uow, record)


WORK: Mapping[type[Message], ApplyEvent[OrdersUnitOfWork]] = {t: _apply for t in RECORDS}

MESSAGE_TYPES: Mapping[str, type[Message]] = {t.DESCRIPTOR.full_name: t for t in WORK}


def feed_record(envelope: EventEnvelope) -> FeedRecord | None:
    """The record an event reports, as the consumer would apply it; None for an event it skips
    (no handler). PoisonMessage for one it would dead-letter."""
    if not envelope.event_id:
        raise PoisonMessage("the envelope has no event_id")
    cls = MESSAGE_TYPES.get(envelope.payload.TypeName())
    if cls is None:
        return None
    message = cls()
    try:
        unpacked = envelope.payload.Unpack(message)
    except DecodeError as exc:
        raise PoisonMessage(f"undecodable payload: {exc}") from None
    if not unpacked:
        raise PoisonMessage(f"the payload is not a {cls.DESCRIPTOR.full_name}")
    return RECORDS[cls](envelope, message)


def handlers(app: App) -> dict[str, Handler]:
    """The consumer's handler per event type (full proto name), on the app's units of work."""
    return {t.DESCRIPTOR.full_name: app.consumer_handler(work) for t, work in WORK.items()}


def build_feed_consumer(app: App, nc: Client | JetStreamContext) -> EventConsumer:
    return EventConsumer(
        CONSUMER,
        STREAM,
        app.sessions,
        kit,
        handlers(app),
        MESSAGE_TYPES,
        connection=nc,
        clock=app.clock,
    )
