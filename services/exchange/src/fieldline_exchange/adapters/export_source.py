"""The export's documents as the writer takes them (docs/contexts/exchange.md, *Export*): an
order read as it is now through orders `GetOrder`, its buyer through clients `GetClient` and
its products through the catalog's `GetProduct`; a cash payment and an outlet from the content
their event carried (the journal keeps it), their client through `GetClient`; every call as
the partner. The ids the ERP gets are its own where it has them: a client's and a product's
external id, else Fieldline's id.

An order orders does not know (NOT_FOUND: a journal fed from another system's stream) is left
out; a service out of reach fails the whole read (Unavailable), so nothing is marked sent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import grpc

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as os_pb
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_exchange.adapters.peers import Peers, transient
from fieldline_exchange.domain.export import (
    ORDER,
    OUTLET,
    PAYMENT,
    PRE_SALE,
    VAN_SALE,
    AppliedPromotion,
    ExportDocument,
    OrderDocument,
    OrderLine,
    OutletDocument,
    Party,
    PaymentDocument,
    Pending,
)
from fieldline_kit.grpc.convert import from_money
from fieldline_kit.logging import get_logger

T = TypeVar("T")
log = get_logger("fieldline.exchange.export")

CONCURRENCY = 16  # calls in flight at once for one export
STATUSES = {
    opb.ORDER_STATUS_CREDIT_HOLD: "credit_hold",
    opb.ORDER_STATUS_SUBMITTED: "submitted",
    opb.ORDER_STATUS_CONFIRMED: "confirmed",
    opb.ORDER_STATUS_SHIPPED: "shipped",
    opb.ORDER_STATUS_DELIVERED: "delivered",
    opb.ORDER_STATUS_PARTIALLY_DELIVERED: "partially_delivered",
    opb.ORDER_STATUS_REJECTED: "rejected",
    opb.ORDER_STATUS_CANCELLED: "cancelled",
}
KINDS = {opb.ORDER_KIND_PRE_SALE: PRE_SALE, opb.ORDER_KIND_VAN_SALE: VAN_SALE}


class ExportSource:
    def __init__(self, peers: Peers, *, concurrency: int = CONCURRENCY) -> None:
        self._peers = peers
        self._concurrency = concurrency

    def reading(self, partner_id: str) -> Reading:
        """One export's reads, as `partner_id`, chunk after chunk."""
        return Reading(self._peers, partner_id, asyncio.Semaphore(self._concurrency))


class Reading:
    """One export's reads: each client and product read once, whatever the chunk."""

    def __init__(self, peers: Peers, partner_id: str, gate: asyncio.Semaphore) -> None:
        self._peers = peers
        self._partner_id = partner_id
        self._gate = gate
        self._clients: dict[str, asyncio.Task[Party]] = {}
        self._products: dict[str, asyncio.Task[opb.Product | None]] = {}

    async def documents(self, pending: Iterable[Pending]) -> list[ExportDocument]:
        """The pending documents, in the order given: orders as they are now (those orders
        does not know left out), payments and outlets as their events carried them."""
        readers = {ORDER: self.order, PAYMENT: self.payment, OUTLET: self.outlet}
        read = await asyncio.gather(*(readers[p.kind](p) for p in pending))
        return [d for d in read if d is not None]

    async def order(self, pending: Pending) -> OrderDocument | None:
        reply = await self._call(
            self._peers.orders.GetOrder, os_pb.GetOrderRequest(order_id=pending.document_id)
        )
        if reply is None:
            log.warning("exported order unknown to orders", order_id=pending.document_id)
            return None
        order = reply.order
        buyer = await self._once(self._clients, order.client_id, self._client)
        products = {
            line.product_id: await self._once(self._products, line.product_id, self._product)
            for line in order.lines
        }
        return _document(order, pending.number, buyer, products)

    async def payment(self, pending: Pending) -> PaymentDocument:
        payment = spb.Payment.FromString(pending.payload)
        payer = await self._once(self._clients, payment.client_id, self._client)
        return PaymentDocument(
            payment_id=payment.id,
            number=pending.number,
            version=pending.version,
            payment_date=_date(payment.date) or date.min,
            currency=payment.amount.currency_code,
            amount=_money(payment.amount),
            payer=payer,
            outlet_id=payment.outlet_id,
            receipt_number=payment.receipt_number,
            collected_by=payment.collected_by,
            allocations=tuple((a.invoice_id, _money(a.amount)) for a in payment.allocations),
            unallocated=(
                _money(payment.unallocated) if payment.HasField("unallocated") else Decimal(0)
            ),
        )

    async def outlet(self, pending: Pending) -> OutletDocument:
        outlet = cpb.Outlet.FromString(pending.payload)
        client = await self._once(self._clients, outlet.client_id, self._client)
        card = outlet.card
        located = card.HasField("location")
        return OutletDocument(
            outlet_id=outlet.id,
            number=pending.number,
            version=pending.version,
            client=client,
            name=card.name,
            address=card.address,
            status=cpb.OutletStatus.Name(outlet.status).removeprefix("OUTLET_STATUS_").lower(),
            created_on=outlet.create_time.ToDatetime(tzinfo=UTC).date(),
            channel=card.channel,
            format=card.format,
            outlet_class=card.outlet_class,
            territory_id=outlet.territory_id,
            latitude=Decimal(str(card.location.latitude)) if located else None,
            longitude=Decimal(str(card.location.longitude)) if located else None,
        )

    async def _client(self, client_id: str) -> Party:
        reply = await self._call(
            self._peers.clients.GetClient, ccs.GetClientRequest(client_id=client_id)
        )
        if reply is None:
            return Party(id=client_id, name=client_id)
        c = reply.client
        return Party(
            id=c.external_id or c.id,
            name=c.name or c.id,
            inn=c.inn,
            kpp=c.kpp,
            address=c.legal_address,
        )

    async def _product(self, product_id: str) -> opb.Product | None:
        reply = await self._call(
            self._peers.catalog.GetProduct, cs.GetProductRequest(product_id=product_id)
        )
        return None if reply is None else reply.product

    async def _once(
        self, cache: dict[str, asyncio.Task[Any]], key: str, read: Callable[[str], Awaitable[T]]
    ) -> T:
        task = cache.get(key)
        if task is None:
            task = cache[key] = asyncio.ensure_future(read(key))
        result: T = await task
        return result

    async def _call(self, rpc: Callable[..., Awaitable[T]], request: Any) -> T | None:
        """The answer, None for NOT_FOUND; Unavailable when the service is out of reach."""
        async with self._gate:
            try:
                return await rpc(
                    request,
                    metadata=self._peers.as_partner(self._partner_id),
                    timeout=self._peers.timeout,
                )
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                waiting = transient(exc)
                if waiting is not None:
                    raise waiting from exc
                raise


def _document(
    order: opb.Order, number: int, buyer: Party, products: Mapping[str, opb.Product | None]
) -> OrderDocument:
    currency = order.currency_code
    return OrderDocument(
        order_id=order.id,
        number=number,
        version=order.version,
        kind=KINDS.get(order.kind, PRE_SALE),
        status=STATUSES.get(order.status, "submitted"),
        order_date=_date(order.order_date) or order.create_time.ToDatetime(tzinfo=UTC).date(),
        created_at=_moment(order, "create_time"),
        updated_at=_moment(order, "update_time"),
        delivery_date=_date(order.delivery_date),
        currency=currency,
        amount=_money(order.gross_total),
        vat_amount=_money(order.vat_total),
        buyer=buyer,
        lines=tuple(_line(line, products.get(line.product_id)) for line in order.lines),
        comment=order.comment,
        revision=order.revision,
        promotions=tuple(
            AppliedPromotion(p.promotion_id, p.name, _money(p.benefit))
            for p in order.promotions
            if p.status == opb.APPLIED_PROMOTION_STATUS_APPLIED and p.promotion_id
        ),
    )


def _line(line: opb.OrderLine, product: opb.Product | None) -> OrderLine:
    unit = product.base_unit if product is not None else ""
    unit_name = ""
    if product is not None:
        unit_name = next((u.name for u in product.units if u.code == unit), "")
    return OrderLine(
        product_id=(product.external_id or product.id) if product is not None else line.product_id,
        name=(product.name if product is not None else "") or line.product_id,
        unit=unit,
        unit_name=unit_name,
        quantity=_decimal(line.base_quantity or line.quantity),
        price=_money(line.unit_price),
        amount=_money(line.gross_amount),
        vat_rate=line.vat_rate,
        vat_amount=_money(line.vat_amount),
        rule_discount_percent=_decimal(line.rule_discount_percent),
        manual_discount_percent=_decimal(line.manual_discount_percent),
        promotion_discount=Decimal(0) if line.free_of_charge else _money(line.promotion_discount),
        promotion_ids=_promotion_ids(line),
        free_of_charge=line.free_of_charge,
    )


def _promotion_ids(line: opb.OrderLine) -> tuple[str, ...]:
    """The promotions that priced a line (a free line: the one that gave it), each once."""
    named = [line.promotion_id] if line.free_of_charge else []
    named += [p.promotion_id for p in line.promotions]
    return tuple(dict.fromkeys(i for i in named if i))


def _money(value: Any) -> Decimal:
    return from_money("money", value)[0]


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _date(value: Any) -> date | None:
    if not (value.year and value.month and value.day):
        return None
    return date(value.year, value.month, value.day)


def _moment(order: opb.Order, name: str) -> datetime | None:
    return getattr(order, name).ToDatetime(tzinfo=UTC) if order.HasField(name) else None
