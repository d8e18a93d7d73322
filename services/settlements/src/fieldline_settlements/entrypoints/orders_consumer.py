"""The `settlements-orders` consumer: orders' facts become invoices, payments, tare, releases.

* VanSaleCompleted → an invoice (id = the order id, due = order date + the client's payment
  terms), a cash payment of `cash_collected` paid on it, tare issued per container type, and
  the order's credit reservation released;
* ReturnAccepted → a credit note (id = the return id, −gross total, paying the sale it names
  first) and the tare returned;
* OrderStatusChanged to CANCELLED or REJECTED → the order's reservation released;
* OrderStatusChanged to DELIVERED or PARTIALLY_DELIVERED of an order the company fulfilled
  itself (no `distributor_id`) → its `delivered_containers` issued to its client and outlet
  (kind DELIVERY, dated the day of the status change), unless SETTLEMENTS_DELIVERY_TARE is
  `erp`.

Each handler maps the event's proto to a use case's input and runs the use case on a unit of
work adopted on the consumer's transaction (`App.consumer_handler`), which writes its outbox
rows before returning: the inbox row, the effects and the events commit in one transaction.
Data that can never be booked (a foreign currency, a malformed amount or id) is a
`PoisonMessage` and goes to the dead letters; anything else (a conflict, the database) is
retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf.message import Message
from nats.aio.client import Client

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as vpb
from fieldline_kit.app import ApplyEvent
from fieldline_kit.errors import Conflict, DomainError, InvalidArgument
from fieldline_kit.grpc.convert import from_money, from_pb_date
from fieldline_kit.logging import get_logger
from fieldline_kit.messaging.consumer import EventConsumer, PoisonMessage
from fieldline_settlements.adapters import proto_mapping as m
from fieldline_settlements.adapters.repository import SettlementsUnitOfWork
from fieldline_settlements.bootstrap import App
from fieldline_settlements.domain.values import ZERO
from fieldline_settlements.service_layer import handlers
from fieldline_settlements.topology import ORDERS_FEED

log = get_logger("fieldline.settlements.orders")

CONSUMER = ORDERS_FEED.durable
STREAM = ORDERS_FEED.stream
VAN_SALE_COMPLETED = oev.VanSaleCompleted.DESCRIPTOR.full_name
RETURN_ACCEPTED = oev.ReturnAccepted.DESCRIPTOR.full_name
ORDER_STATUS_CHANGED = oev.OrderStatusChanged.DESCRIPTOR.full_name
CLOSED_STATUSES = (opb.ORDER_STATUS_CANCELLED, opb.ORDER_STATUS_REJECTED)
DELIVERED_STATUSES = (opb.ORDER_STATUS_DELIVERED, opb.ORDER_STATUS_PARTIALLY_DELIVERED)


def _event_date(envelope: EventEnvelope, zone: ZoneInfo) -> date:
    """The business day the event happened, for documents that carry no date."""
    return envelope.occurred_at.ToDatetime(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()


def _optional_cash(parent: Message, name: str, field: str, currency: str) -> Any:
    if not parent.HasField(name):
        return ZERO
    value = getattr(parent, name)
    if not value.units and not value.nanos:
        from_money(field, value)  # still refuses malformed nanos
        return ZERO
    return m.parse_money(field, value, currency)


def van_sale_input(
    message: oev.VanSaleCompleted, envelope: EventEnvelope, currency: str, zone: ZoneInfo
) -> handlers.VanSaleInput:
    order = message.order
    if order.currency_code and order.currency_code != currency:
        raise InvalidArgument(
            "order.currency_code", f"must be {currency}, got {order.currency_code!r}"
        )
    gross = m.money_field(order, "gross_total", "order.gross_total", currency)
    on = from_pb_date("order.order_date", order.order_date, required=False)
    return handlers.VanSaleInput(
        order_id=order.id,
        client_id=order.client_id,
        outlet_id=order.outlet_id,
        agent_id=order.agent_id,
        van_id=message.van_id,
        order_date=on or _event_date(envelope, zone),
        gross_total=gross,
        cash_collected=_optional_cash(message, "cash_collected", "cash_collected", currency),
        receipt_number=message.receipt_number,
        containers=_container_lines(message.containers),
        distributor_id=order.distributor_id,
    )


def return_input(
    message: oev.ReturnAccepted, envelope: EventEnvelope, currency: str, zone: ZoneInfo
) -> handlers.ReturnInput:
    r = message.goods_return
    if message.currency_code and message.currency_code != currency:
        raise InvalidArgument("currency_code", f"must be {currency}, got {message.currency_code!r}")
    gross = _optional_cash(r, "gross_total", "goods_return.gross_total", currency)
    on = from_pb_date("goods_return.date", r.date, required=False)
    return handlers.ReturnInput(
        return_id=r.id,
        client_id=r.client_id,
        outlet_id=r.outlet_id,
        order_id=r.order_id,
        date=on or _event_date(envelope, zone),
        gross_total=gross,
        containers=_container_lines(r.containers),
    )


def delivery_input(
    message: oev.OrderStatusChanged, envelope: EventEnvelope, zone: ZoneInfo
) -> handlers.DeliveryInput:
    order = message.order
    return handlers.DeliveryInput(
        order_id=order.id,
        client_id=order.client_id,
        outlet_id=order.outlet_id,
        distributor_id=order.distributor_id,
        date=_event_date(envelope, zone),
        containers=_container_lines(message.delivered_containers),
    )


def _container_lines(lines: Iterable[vpb.ContainerLine]) -> tuple[handlers.ContainerLine, ...]:
    return tuple(handlers.ContainerLine(c.container_type, c.quantity) for c in lines)


class OrdersHandlers:
    """What each orders event does, on a unit of work: event type → handler."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.zone = ZoneInfo(app.settings.timezone)

    def as_mapping(self) -> dict[str, ApplyEvent[SettlementsUnitOfWork]]:
        return {
            VAN_SALE_COMPLETED: self.van_sale_completed,
            RETURN_ACCEPTED: self.return_accepted,
            ORDER_STATUS_CHANGED: self.order_status_changed,
        }

    async def _apply(self, envelope: EventEnvelope, booking: Awaitable[object]) -> None:
        """Await the use case: a conflict is retried, any other refusal is poison."""
        try:
            result = await booking
        except Conflict:
            raise  # transient: retried with backoff
        except DomainError as exc:
            raise PoisonMessage(exc.message) from exc
        log.info(
            "orders event applied",
            event_id=envelope.event_id,
            event_type=envelope.payload.TypeName(),
            result=repr(result),
        )

    async def van_sale_completed(
        self, uow: SettlementsUnitOfWork, envelope: EventEnvelope, message: Message
    ) -> None:
        assert isinstance(message, oev.VanSaleCompleted)
        try:
            sale = van_sale_input(message, envelope, self.app.currency, self.zone)
        except InvalidArgument as exc:
            raise PoisonMessage(exc.message) from exc
        app = self.app
        await self._apply(
            envelope,
            handlers.van_sale_completed(uow, app.config, app.clock(), app.today(), sale),
        )

    async def return_accepted(
        self, uow: SettlementsUnitOfWork, envelope: EventEnvelope, message: Message
    ) -> None:
        assert isinstance(message, oev.ReturnAccepted)
        try:
            ret = return_input(message, envelope, self.app.currency, self.zone)
        except InvalidArgument as exc:
            raise PoisonMessage(exc.message) from exc
        app = self.app
        await self._apply(
            envelope, handlers.return_accepted(uow, app.config, app.clock(), app.today(), ret)
        )

    async def order_status_changed(
        self, uow: SettlementsUnitOfWork, envelope: EventEnvelope, message: Message
    ) -> None:
        assert isinstance(message, oev.OrderStatusChanged)
        app = self.app
        if message.order.status in CLOSED_STATUSES:
            closed = handlers.order_closed(
                uow, app.config, app.clock(), app.today(), message.order.id
            )
            await self._apply(envelope, closed)
        elif message.order.status in DELIVERED_STATUSES:
            delivery = delivery_input(message, envelope, self.zone)
            delivered = handlers.order_delivered(uow, app.config, app.clock(), delivery)
            await self._apply(envelope, delivered)


def build_orders_consumer(app: App, nc: Client) -> EventConsumer:
    apply = OrdersHandlers(app).as_mapping()
    return EventConsumer(
        CONSUMER,
        STREAM,
        app.sessions,
        app.tables,
        {name: app.consumer_handler(fn) for name, fn in apply.items()},
        connection=nc,
    )
