"""Builders for the pure domain tests: invoices, payments and ledgers. No I/O anywhere."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fieldline_settlements.domain.ledger import (
    ClientLedger,
    Invoice,
    InvoiceSource,
    Payment,
    PaymentKind,
)

NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)
TODAY = date(2024, 5, 15)
CLIENT = "5b1e9a52-0f0e-4f5e-9d7e-2a0c1c3f9a01"
OTHER_CLIENT = "5b1e9a52-0f0e-4f5e-9d7e-2a0c1c3f9a02"
OUTLET_A = "0a0a0a0a-0000-4000-8000-00000000000a"
OUTLET_B = "0b0b0b0b-0000-4000-8000-00000000000b"
_numbers = itertools.count(1)


def d(value: str) -> Decimal:
    return Decimal(value)


def new_id() -> str:
    return str(uuid.uuid4())


def invoice(
    amount: str,
    *,
    due: date | None = None,
    issued: date | None = None,
    number: str = "",
    client_id: str = CLIENT,
    outlet_id: str = OUTLET_A,
    order_id: str = "",
    source: InvoiceSource | None = None,
    id: str = "",
) -> Invoice:
    issued = issued or (due - timedelta(days=14) if due else TODAY)
    value = d(amount)
    return Invoice.create(
        id=id or new_id(),
        number=number or f"INV-{next(_numbers):06d}",
        client_id=client_id,
        outlet_id=outlet_id,
        order_id=order_id,
        source=source or (InvoiceSource.RETURN if value < 0 else InvoiceSource.ERP),
        issue_date=issued,
        due_date=due or issued,
        amount_=value,
        now=NOW,
    )


def payment(
    amount: str,
    *,
    on: date = TODAY,
    kind: PaymentKind = PaymentKind.BANK,
    client_id: str = CLIENT,
    outlet_id: str = OUTLET_A,
    id: str = "",
) -> Payment:
    return Payment.create(
        id=id or new_id(),
        kind=kind,
        client_id=client_id,
        outlet_id=outlet_id,
        date_=on,
        amount_=d(amount),
        receipt_number="R-1" if kind is PaymentKind.CASH else "",
        collected_by=new_id() if kind is PaymentKind.CASH else "",
        now=NOW,
    )


def ledger(*docs: Invoice | Payment) -> ClientLedger:
    """A ledger with documents booked in the given order."""
    result = ClientLedger(CLIENT)
    for doc in docs:
        if isinstance(doc, Invoice):
            result.book_invoice(doc)
        else:
            result.record_payment(doc)
    return result
