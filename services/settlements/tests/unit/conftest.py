"""Builders for the unit tests: invoices, payments, ledgers, the use cases' configuration.
No I/O anywhere."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.ledger import (
    ClientLedger,
    Invoice,
    InvoiceSource,
    Payment,
    PaymentKind,
    PaymentSource,
)
from fieldline_settlements.domain.policy import DebtPolicy, PolicyMode, Stage
from fieldline_settlements.service_layer.handlers import Config

NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)
TODAY = date(2024, 5, 15)
CLIENT = "5b1e9a52-0f0e-4f5e-9d7e-2a0c1c3f9a01"
OTHER_CLIENT = "5b1e9a52-0f0e-4f5e-9d7e-2a0c1c3f9a02"
OUTLET_A = "0a0a0a0a-0000-4000-8000-00000000000a"
OUTLET_B = "0b0b0b0b-0000-4000-8000-00000000000b"
_numbers = itertools.count(1)
D = TypeVar("D", Invoice, Payment)


def d(value: str) -> Decimal:
    return Decimal(value)


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
        source=PaymentSource.FIELD if kind is PaymentKind.CASH else PaymentSource.ERP,
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


ACTOR = "6a0e3f9c-1d2b-4c5e-8f7a-9b0c1d2e3f40"
COMPANY_POLICY = DebtPolicy.create(
    client_id="",
    mode=PolicyMode.BLOCK,
    check_credit_limit=True,
    max_overdue_days=30,
    stages=(Stage.ORDER_SUBMIT, Stage.VAN_SALE),
    override_roles=("SUPERVISOR",),
)
# The use cases' configuration: what the service's settings give by default.
CFG = Config(
    currency="RUB", reservation_hours=72.0, default_terms_days=0, default_policy=COMPANY_POLICY
)


def already_booked(doc: D) -> D:
    """`doc` as the client already had it, its creation published: what a load gives."""
    doc.events.clear()
    return doc
