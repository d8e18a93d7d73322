"""CommerceML's counterparties and the documents an ERP sends back, into their owning
services (docs/contexts/exchange.md, *Import jobs*, the table of commands), as the partner:

    counterparties          clients UpsertClients (by external id)
    an order's document     orders UpdateOrderStatus: Отменен → CANCELLED, Отгружен (or a
                            shipping date) → SHIPPED, Проведен → CONFIRMED; the order is the
                            one Fieldline exported (its Ид is Fieldline's order id); of
                            the revision its `Ревизия Fieldline` names (none: any), another
                            reported `old-revision`, not applied
    a shipment's document   settlements RecordInvoice (invoice id = the document's Ид)
    a payment's document    settlements RecordPayment, kind BANK (payment id = the Ид); one
                            whose Ид is a cash payment Fieldline exported is recorded already
                            (reported `fieldline-payment`, not sent)

A record a service refuses becomes a report line; the rest applies."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import grpc

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import orders_service_pb2 as os_pb
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_exchange.adapters.commerceml.writer import REVISION
from fieldline_exchange.adapters.peers import Peers
from fieldline_exchange.adapters.refused_items import REFUSED, send_dropping_refused
from fieldline_exchange.domain.records import (
    OPERATION_INVOICE,
    OPERATION_ORDER,
    OPERATION_PAYMENT,
    Counterparty,
    Document,
)
from fieldline_exchange.domain.reports import ReportLine
from fieldline_exchange.domain.request_ids import sub_request_id
from fieldline_kit.external_ids import client_id
from fieldline_kit.grpc.convert import money, pb_date

T = TypeVar("T")
UNKNOWN_ORDER = "unknown-order"
NO_STATUS = "no-status"
NO_CLIENT = "no-client"
FIELDLINE_PAYMENT = "fieldline-payment"
OLD_REVISION = "old-revision"
_TRUE = {"true", "да", "1", "yes"}


def order_status(requisites: Sequence[tuple[str, str]]) -> int | None:
    """The status an ERP's order document says the order is in (None: it says none)."""
    said = {name.strip().lower(): value.strip() for name, value in requisites}

    def yes(name: str) -> bool:
        return said.get(name, "").lower() in _TRUE

    if yes("отменен"):
        return opb.ORDER_STATUS_CANCELLED
    shipped_on = said.get("дата отгрузки", "")
    if yes("отгружен") or (shipped_on and not shipped_on.startswith("0001-01-01")):
        return opb.ORDER_STATUS_SHIPPED
    if yes("проведен"):
        return opb.ORDER_STATUS_CONFIRMED
    return None


def confirmed_revision(requisites: Sequence[tuple[str, str]]) -> int:
    """The order's revision an ERP's document answers (the `Ревизия Fieldline` the export
    wrote, echoed back); 0 when it names none (or nothing readable): any revision."""
    wanted = REVISION.lower()
    for name, value in requisites:
        if name.strip().lower() == wanted:
            text = value.strip()
            return int(text) if text.isdecimal() and len(text) <= 18 else 0
    return 0


class DocumentsSink:
    def __init__(
        self,
        peers: Peers,
        *,
        exported_payments: Callable[[Sequence[str]], Awaitable[set[str]]] | None = None,
    ) -> None:
        self._peers = peers
        self._exported_payments = exported_payments

    # ------------------------------------------------------------------ counterparties
    async def counterparties(
        self, partner_id: str, records: Sequence[Counterparty], request_id: str
    ) -> list[ReportLine]:
        # A counterparty whose Ид is one of Fieldline's clients is the client an export
        # named (by its id: it had no external id): it is there, nothing to upsert.
        ours = await self._fieldline_clients(partner_id, [c.id for c in records])

        async def send(items: Sequence[Counterparty], rid: str) -> object:
            upserts = [
                ccs.ClientUpsert(
                    external_id=c.id,
                    name=(c.full_name or c.name)[:200],
                    inn=c.inn,
                    kpp=c.kpp if len(c.inn) == 10 else "",
                    type=cpb.CLIENT_TYPE_RETAIL,
                    legal_address=c.address[:500],
                )
                for c in items
            ]
            return await self._peers.call(
                partner_id,
                self._peers.clients.UpsertClients,
                ccs.UpsertClientsRequest(request_id=rid, clients=upserts),
            )

        return await send_dropping_refused(
            [c for c in records if c.id not in ours],
            send,
            field="clients",
            request_id=request_id,
            lines=lambda c, details: [ReportLine(c.line or None, c.id, REFUSED, details)],
        )

    async def _fieldline_clients(self, partner_id: str, ids: Sequence[str]) -> set[str]:
        found = set()
        for cid in ids:
            if not _is_uuid(cid):
                continue
            try:
                await self._peers.call(
                    partner_id, self._peers.clients.GetClient, ccs.GetClientRequest(client_id=cid)
                )
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                continue
            found.add(cid)
        return found

    # ------------------------------------------------------------------ documents
    async def documents(
        self, partner_id: str, records: Sequence[Document], request_id: str
    ) -> list[ReportLine]:
        refused: list[ReportLine] = []
        # The client each document names: Fieldline's own (an exported one) or the ERP's.
        named = [cid for doc in records for cid in doc.counterparty_ids[:1]]
        ours = await self._fieldline_clients(partner_id, named)
        payments = [doc.id for doc in records if doc.operation == OPERATION_PAYMENT]
        echoed = await self._exported_payments(payments) if self._exported_payments else set()
        for n, doc in enumerate(records):
            if doc.operation == OPERATION_PAYMENT and doc.id in echoed:
                refused.append(
                    ReportLine(
                        doc.line or None,
                        doc.id,
                        FIELDLINE_PAYMENT,
                        "the cash payment Fieldline exported: recorded already",
                    )
                )
                continue
            rid = sub_request_id(request_id, f"document {n}")
            apply = {
                OPERATION_ORDER: self._order,
                OPERATION_INVOICE: self._invoice,
                OPERATION_PAYMENT: self._payment,
            }[doc.operation]
            try:
                line = await apply(partner_id, doc, rid, ours)
            except grpc.aio.AioRpcError as exc:  # a transient one came as Unavailable
                line = ReportLine(doc.line or None, doc.id, REFUSED, exc.details() or "")
            if line is not None:
                refused.append(line)
        return refused

    async def _order(
        self, partner_id: str, doc: Document, rid: str, ours: set[str]
    ) -> ReportLine | None:
        status = order_status(doc.requisites)
        if status is None:
            return None  # the ERP says nothing of its state: nothing to do
        if not _is_uuid(doc.id):
            return ReportLine(
                doc.line or None, doc.id, UNKNOWN_ORDER, "not an order Fieldline sent"
            )
        try:
            await self._peers.call(
                partner_id,
                self._peers.orders.UpdateOrderStatus,
                os_pb.UpdateOrderStatusRequest(
                    request_id=rid,
                    order_id=doc.id,
                    status=status,
                    expected_revision=confirmed_revision(doc.requisites),
                ),
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return ReportLine(doc.line or None, doc.id, UNKNOWN_ORDER, exc.details() or "")
            details = exc.details() or ""
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION and details.startswith(
                "expected_revision"
            ):
                # The ERP answers a revision the order has moved past (amended since it was
                # exported): not applied; the new revision goes out in the next export.
                return ReportLine(doc.line or None, doc.id, OLD_REVISION, details)
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                # The order is past what the document says (an older document): nothing to do.
                return ReportLine(doc.line or None, doc.id, NO_STATUS, exc.details() or "")
            raise
        return None

    async def _invoice(
        self, partner_id: str, doc: Document, rid: str, ours: set[str]
    ) -> ReportLine | None:
        client = _client_of(doc)
        if client is None or doc.amount is None or doc.date is None:
            return ReportLine(doc.line or None, doc.id, NO_CLIENT, "a buyer, an amount and a date")
        invoice = spb.Invoice(
            id=doc.id,
            number=doc.number[:64],
            client_id=client if client in ours else client_id(client),
            source=spb.INVOICE_SOURCE_ERP,
            issue_date=pb_date(doc.date),
            amount=money(doc.amount, doc.currency or "RUB"),
        )
        await self._peers.call(
            partner_id,
            self._peers.settlements.RecordInvoice,
            ss.RecordInvoiceRequest(request_id=rid, invoice=invoice),
        )
        return None

    async def _payment(
        self, partner_id: str, doc: Document, rid: str, ours: set[str]
    ) -> ReportLine | None:
        client = _client_of(doc)
        if client is None or doc.amount is None or doc.date is None:
            return ReportLine(doc.line or None, doc.id, NO_CLIENT, "a payer, an amount and a date")
        payment = spb.Payment(
            id=doc.id,
            kind=spb.PAYMENT_KIND_BANK,
            client_id=client if client in ours else client_id(client),
            date=pb_date(doc.date),
            amount=money(doc.amount, doc.currency or "RUB"),
        )
        await self._peers.call(
            partner_id,
            self._peers.settlements.RecordPayment,
            ss.RecordPaymentRequest(request_id=rid, payment=payment),
        )
        return None


def _client_of(doc: Document) -> str | None:
    """The client a document from the ERP is about: its counterparty (the ERP writes the
    other side of the deal; the first when it writes several)."""
    return doc.counterparty_ids[0] if doc.counterparty_ids else None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
