"""Fieldline's own format into settlements (docs/exchange/own-format.md): invoices to be
paid, payment registries, tare counts, credit limits and the debt policy, as the partner.
Invoice and payment ids are the file's own (settlements takes an ERP's key as a document
id: the same document sent again is the same invoice); clients are named by their external ids
(`fieldline_kit.external_ids.client_id`); an outlet or an order is Fieldline's id when the
file gives one that is (the ERP learnt it from an export), else left out.

Tare balances are the ERP's count: one `RecordTareCounts` per batch, a count per client and
container type (its rows added up; an outlet named when all its rows are one Fieldline
outlet's). The file's `DepositAmount` is not applied: settlements values a balance at its
container type's deposit (`SetContainerDeposit`).

Tare documents (1.1) go to `RecordTareDocuments`, a batch a call: the document's id is the
file's (`Id`, an ERP key settlements takes as a document's: a line its document moved before
moves nothing again, one with another client or quantity is refused, a line it did not have
moves), its lines ISSUED or RETURNED.
Settlements keeps no order on a movement, so a document's `Order` is not sent.

A record settlements refuses becomes a report line; the rest applies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import grpc

from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_exchange.adapters.peers import Peers
from fieldline_exchange.adapters.refused_items import REFUSED, send_dropping_refused
from fieldline_exchange.domain.own_records import (
    CreditLimit,
    DebtPolicy,
    Invoice,
    Payment,
    PaymentKind,
    TareBalance,
    TareDirection,
    TareDocument,
)
from fieldline_exchange.domain.reports import ReportLine
from fieldline_exchange.domain.request_ids import sub_request_id
from fieldline_kit.external_ids import client_id
from fieldline_kit.grpc.convert import money, pb_date

T = TypeVar("T")
_MODES = {
    "BLOCK": spb.DEBT_POLICY_MODE_BLOCK,
    "WARN": spb.DEBT_POLICY_MODE_WARN,
    "IGNORE": spb.DEBT_POLICY_MODE_IGNORE,
}
_STAGES = {"ORDER_SUBMIT": spb.STAGE_ORDER_SUBMIT, "VAN_SALE": spb.STAGE_VAN_SALE}
_DIRECTIONS = {
    TareDirection.ISSUED: spb.TARE_DIRECTION_ISSUED,
    TareDirection.RETURNED: spb.TARE_DIRECTION_RETURNED,
}
# A document refused: its content bad (INVALID_ARGUMENT), or its id already moved other
# containers (ALREADY_EXISTS: another document under a key the ERP reused, or one changed).
_DOCUMENT_REFUSALS = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS})


class SettlementsSink:
    def __init__(self, peers: Peers) -> None:
        self._peers = peers

    async def apply(
        self, partner_id: str, records: Sequence[Any], request_id: str
    ) -> list[ReportLine]:
        """Each record its own command (settlements has no bulk ones), in file order."""
        refused: list[ReportLine] = []
        for n, record in enumerate(records):
            rid = sub_request_id(request_id, f"record {n}")
            try:
                await self._one(partner_id, record, rid)
            except grpc.aio.AioRpcError as exc:  # a transient one came as Unavailable
                refused.append(ReportLine(None, _key(record), REFUSED, exc.details() or ""))
        return refused

    async def tare_counts(
        self,
        partner_id: str,
        document: str,
        counted_on: date,
        rows: Sequence[TareBalance],
        request_id: str,
    ) -> list[ReportLine]:
        """The rows as counts, one per client and container; a count settlements refuses
        (named `counts[i]`) reported for each of its rows, the others sent again."""
        groups: dict[tuple[str, str], list[TareBalance]] = {}
        for row in rows:
            groups.setdefault((row.client_id, row.container), []).append(row)

        async def send(counts: Sequence[list[TareBalance]], rid: str) -> object:
            request = ss.RecordTareCountsRequest(
                request_id=rid,
                document_id=document,
                count_date=pb_date(counted_on),
                counts=[_count(group) for group in counts],
            )
            return await self._peers.call(
                partner_id, self._peers.settlements.RecordTareCounts, request
            )

        return await send_dropping_refused(
            list(groups.values()),
            send,
            field="counts",
            request_id=request_id,
            lines=lambda group, details: [
                ReportLine(None, row.client_id, REFUSED, details) for row in group
            ],
        )

    async def tare_documents(
        self, partner_id: str, documents: Sequence[TareDocument], request_id: str
    ) -> list[ReportLine]:
        """The documents in one `RecordTareDocuments`; one settlements refuses (named
        `documents[i]`) is reported, the others sent again."""

        async def send(items: Sequence[TareDocument], rid: str) -> object:
            request = ss.RecordTareDocumentsRequest(
                request_id=rid, documents=[_tare_document(d) for d in items]
            )
            return await self._peers.call(
                partner_id, self._peers.settlements.RecordTareDocuments, request
            )

        return await send_dropping_refused(
            documents,
            send,
            field="documents",
            request_id=request_id,
            lines=lambda d, details: [ReportLine(None, d.external_id, REFUSED, details)],
            codes=_DOCUMENT_REFUSALS,
        )

    async def _one(self, partner_id: str, record: Any, rid: str) -> None:
        match record:
            case Invoice():
                invoice = spb.Invoice(
                    id=record.external_id,
                    number=record.number,
                    client_id=client_id(record.client_id),
                    outlet_id=_own(record.outlet_id),
                    order_id=_own(record.order_id),
                    source=spb.INVOICE_SOURCE_ERP,
                    issue_date=pb_date(record.issue_date),
                    due_date=pb_date(record.due_date),
                    amount=money(record.amount, record.currency),
                )
                await self._peers.call(
                    partner_id,
                    self._peers.settlements.RecordInvoice,
                    ss.RecordInvoiceRequest(request_id=rid, invoice=invoice),
                )
            case Payment():
                payment = spb.Payment(
                    id=record.external_id,
                    kind=spb.PAYMENT_KIND_CASH
                    if record.kind is PaymentKind.CASH
                    else spb.PAYMENT_KIND_BANK,
                    client_id=client_id(record.client_id),
                    outlet_id=_own(record.outlet_id),
                    date=pb_date(record.date),
                    amount=money(record.amount, record.currency),
                    receipt_number=record.receipt_number or "",
                    allocations=[
                        spb.Allocation(
                            invoice_id=a.invoice_id, amount=money(a.amount, record.currency)
                        )
                        for a in record.allocations
                    ],
                )
                await self._peers.call(
                    partner_id,
                    self._peers.settlements.RecordPayment,
                    ss.RecordPaymentRequest(request_id=rid, payment=payment),
                )
            case CreditLimit():
                await self._peers.call(
                    partner_id,
                    self._peers.settlements.SetCreditLimit,
                    ss.SetCreditLimitRequest(
                        request_id=rid,
                        client_id=client_id(record.client_id),
                        limit=money(record.amount, record.currency),
                    ),
                )
            case DebtPolicy():
                policy = spb.DebtPolicy(
                    client_id=client_id(record.client_id) if record.client_id else "",
                    mode=_MODES[record.mode.value],
                    check_credit_limit=record.check_credit_limit,
                    max_overdue_days=-1
                    if record.max_overdue_days is None
                    else record.max_overdue_days,
                    stages=[_STAGES[s.value] for s in record.stages],
                    override_roles=[r.value for r in record.override_roles],
                )
                await self._peers.call(
                    partner_id,
                    self._peers.settlements.SetDebtPolicy,
                    ss.SetDebtPolicyRequest(request_id=rid, policy=policy),
                )


def _tare_document(d: TareDocument) -> ss.TareDocument:
    return ss.TareDocument(
        document_id=d.external_id,
        date=pb_date(d.date),
        client_id=client_id(d.client_id),
        outlet_id=_own(d.outlet_id),
        lines=[
            ss.TareDocumentLine(
                container_type=line.container,
                direction=_DIRECTIONS[line.direction],
                quantity=str(line.quantity),
            )
            for line in d.lines
        ],
    )


def _count(rows: Sequence[TareBalance]) -> ss.TareCount:
    """One client's count of one container type: its own row and its outlets' added up."""
    outlets = {_own(row.outlet_id) for row in rows}
    total = sum((Decimal(row.quantity) for row in rows), Decimal(0))
    return ss.TareCount(
        client_id=client_id(rows[0].client_id),
        outlet_id=outlets.pop() if len(outlets) == 1 else "",
        container_type=rows[0].container,
        quantity=str(total),
    )


def _key(record: Any) -> str:
    return str(getattr(record, "external_id", None) or getattr(record, "client_id", None) or "")


def _own(value: str | None) -> str:
    """Fieldline's id when the file gives one (a UUID), else nothing."""
    if not value:
        return ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""
