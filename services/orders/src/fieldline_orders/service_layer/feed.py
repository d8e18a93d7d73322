"""Handlers of the clients context's events: keep this context's read models up to date.

Each runs inside the consumer's transaction (inbox row + effects, fieldline_kit.messaging).
The inbox absorbs redeliveries; the version stored on every row absorbs reordering: an event
whose aggregate_version is not newer than the row's changes nothing. An event that can never
be applied (missing ids, a schedule without weekdays) raises PoisonMessage and is
dead-lettered, so it cannot block the feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.logging import get_logger
from fieldline_kit.messaging.consumer import Handler, PoisonMessage
from fieldline_orders.adapters import feed_store
from fieldline_orders.domain.recommendation import weekday_mask

log = get_logger("fieldline.orders.feed")

# VisitFrequency → weeks between visiting weeks.
FREQUENCY_WEEKS = {
    res.VISIT_FREQUENCY_WEEKLY: 1,
    res.VISIT_FREQUENCY_EVERY_2_WEEKS: 2,
    res.VISIT_FREQUENCY_EVERY_4_WEEKS: 4,
}
_STATUS_PREFIX = "OUTLET_STATUS_"


def _require(value: str, what: str) -> str:
    if not value:
        raise PoisonMessage(f"{what} is empty")
    return value


def _outlet_status(value: int) -> str:
    try:
        name = res.OutletStatus.Name(value)
    except ValueError:
        raise PoisonMessage(f"unknown outlet status {value}") from None
    if value == res.OUTLET_STATUS_UNSPECIFIED:
        raise PoisonMessage("outlet status is unspecified")
    return name.removeprefix(_STATUS_PREFIX)


async def _put_outlet(session: AsyncSession, envelope: EventEnvelope, outlet: res.Outlet) -> None:
    state = feed_store.OutletState(
        outlet_id=_require(outlet.id, "outlet.id"),
        client_id=outlet.client_id,
        status=_outlet_status(outlet.status),
        version=envelope.aggregate_version or outlet.version,
    )
    applied = await feed_store.put_outlet(session, state)
    if not applied:
        log.info("stale outlet event ignored", outlet_id=state.outlet_id, version=state.version)


async def outlet_created(session: AsyncSession, envelope: EventEnvelope, message: Message) -> None:
    assert isinstance(message, ev.OutletCreated)
    await _put_outlet(session, envelope, message.outlet)


async def outlet_changed(session: AsyncSession, envelope: EventEnvelope, message: Message) -> None:
    assert isinstance(message, ev.OutletChanged)
    await _put_outlet(session, envelope, message.outlet)


def _date(value: Message, what: str) -> date:
    try:
        return date(value.year, value.month, value.day)  # type: ignore[attr-defined]
    except ValueError:
        raise PoisonMessage(f"{what} is not a calendar date") from None


async def route_assignment_changed(
    session: AsyncSession, envelope: EventEnvelope, message: Message
) -> None:
    assert isinstance(message, ev.RouteAssignmentChanged)
    a = message.assignment
    route_id = _require(a.route_id, "assignment.route_id")
    outlet_id = _require(a.outlet_id, "assignment.outlet_id")
    weeks = FREQUENCY_WEEKS.get(a.frequency)
    days = set(a.weekdays)
    if not message.removed:
        # A removal only needs its key and version; a schedule must be usable.
        if weeks is None:
            raise PoisonMessage(f"assignment.frequency {a.frequency} is not a known frequency")
        if not days or not days <= set(range(1, 8)):
            raise PoisonMessage(f"assignment.weekdays {sorted(days)} must be within 1..7")
        start = _date(a.start_date, "assignment.start_date")
    else:
        days &= set(range(1, 8))
        start = _date(a.start_date, "assignment.start_date") if a.start_date.year else date.min
    state = feed_store.AssignmentState(
        route_id=route_id,
        outlet_id=outlet_id,
        agent_id=message.agent_id,
        frequency=weeks or 1,
        weekday_mask=weekday_mask(days),
        start_date=start,
        sequence=a.sequence,
        removed=message.removed,
        version=envelope.aggregate_version,
    )
    if not await feed_store.put_assignment(session, state):
        log.info(
            "stale route assignment event ignored",
            route_id=route_id,
            outlet_id=outlet_id,
            version=state.version,
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


async def audit_submitted(session: AsyncSession, envelope: EventEnvelope, message: Message) -> None:
    assert isinstance(message, ev.AuditSubmitted)
    audit = message.audit
    submitted = audit.submit_time if audit.HasField("submit_time") else envelope.occurred_at
    counts: dict[str, feed_store.ShelfCount] = {}
    for check in audit.must_stock:
        sku = _require(check.sku.strip(), "must_stock.sku")
        counts[sku] = feed_store.ShelfCount(
            sku, check.present, check.facings, _shelf_quantity(check.shelf_quantity, sku)
        )
    state = feed_store.AuditState(
        audit_id=_require(audit.id, "audit.id"),
        outlet_id=_require(audit.outlet_id, "audit.outlet_id"),
        submitted_at=submitted.ToDatetime(tzinfo=UTC) if submitted.seconds else _epoch(),
        version=envelope.aggregate_version,
        counts=list(counts.values()),
    )
    if not await feed_store.put_audit(session, state):
        log.info(
            "older audit ignored: the outlet has a later one",
            audit_id=state.audit_id,
            outlet_id=state.outlet_id,
        )


def _epoch() -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC)


HANDLERS: Mapping[str, Handler] = {
    ev.OutletCreated.DESCRIPTOR.full_name: outlet_created,
    ev.OutletChanged.DESCRIPTOR.full_name: outlet_changed,
    ev.RouteAssignmentChanged.DESCRIPTOR.full_name: route_assignment_changed,
    ev.AuditSubmitted.DESCRIPTOR.full_name: audit_submitted,
}

MESSAGE_TYPES: Mapping[str, type[Message]] = {
    ev.OutletCreated.DESCRIPTOR.full_name: ev.OutletCreated,
    ev.OutletChanged.DESCRIPTOR.full_name: ev.OutletChanged,
    ev.RouteAssignmentChanged.DESCRIPTOR.full_name: ev.RouteAssignmentChanged,
    ev.AuditSubmitted.DESCRIPTOR.full_name: ev.AuditSubmitted,
}
