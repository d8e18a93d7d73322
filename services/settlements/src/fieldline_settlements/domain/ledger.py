"""Receivables of one client: invoices, credit notes, payments and how credits meet debts.

* An **invoice** is a debt (positive amount); a **credit note** is an invoice with a negative
  amount (goods returned). `open_amount` is what is still to be paid; for a credit note it is
  the part of the credit not used yet (negative, moving towards zero).
* A **payment** is a credit of `amount`; what is not allocated yet is `unallocated` (an
  advance).
* **Allocation** of a credit (payment or credit note): first to the invoices it names, in the
  order named (an amount, or as much as is open), then to the other open invoices, oldest due
  date first (then issue date, then number, then id). What is left stays unallocated and goes
  to invoices that arrive later: a new invoice takes the open credits, oldest first (by date,
  then id). So a client never has an open invoice and an unused credit at the same time.
* **Balance** = open invoice amounts + open credit-note amounts − unallocated payments;
  **overdue** = open amounts of invoices past their due date; the oldest decides
  `max_overdue_days`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from fieldline_settlements.domain.events import (
    Event,
    InvoiceChanged,
    InvoiceIssued,
    PaymentRecorded,
)
from fieldline_settlements.domain.values import (
    ZERO,
    amount,
    days_after,
    document_id,
    fmt,
    limit_text,
    optional_id,
    require_id,
)

MAX_NUMBER = 60


class InvoiceSource(Enum):
    VAN_SALE = "van_sale"
    ERP = "erp"
    RETURN = "return"


class PaymentKind(Enum):
    CASH = "cash"
    BANK = "bank"


class PaymentSource(Enum):
    """Where a payment comes from: an employee in the field (cash only), a van sale's cash
    (orders' event), or ADMIN and SERVICE (the ERP, a bank feed, the back office)."""

    FIELD = "field"
    VAN_SALE = "van_sale"
    ERP = "erp"


class CreditKind(Enum):
    PAYMENT = "payment"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class Allocation:
    """`amount` of the credit `source_id` (a payment or a credit note) paid on `invoice_id`."""

    source_kind: CreditKind
    source_id: str
    invoice_id: str
    amount: Decimal


@dataclass(eq=False)
class Invoice:
    """An invoice or a credit note. Only a `ClientLedger` booking changes one, and it steps
    the version (once per booking)."""

    id: str
    number: str
    client_id: str
    outlet_id: str
    order_id: str
    source: InvoiceSource
    issue_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    created_at: datetime
    version: int = 1
    # The distributor a sale was made for ("" the company's): recorded, one ledger for both.
    distributor_id: str = ""
    events: list[Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        *,
        id: str,
        number: str,
        client_id: str,
        outlet_id: str,
        order_id: str,
        source: InvoiceSource,
        issue_date: date,
        due_date: date,
        amount_: Decimal,
        now: datetime,
        field_: str = "invoice",
        distributor_id: str = "",
    ) -> Invoice:
        value = amount(f"{field_}.amount", amount_, allow_negative=True, allow_zero=False)
        if source is InvoiceSource.RETURN and value > 0:
            raise InvalidArgument(f"{field_}.amount", "a credit note (source RETURN) is negative")
        if source is InvoiceSource.VAN_SALE and value < 0:
            raise InvalidArgument(f"{field_}.amount", "a van-sale invoice must be positive")
        if due_date < issue_date:
            raise InvalidArgument(
                f"{field_}.due_date", f"must not be before the issue date {issue_date.isoformat()}"
            )
        invoice = cls(
            id=document_id(f"{field_}.id", id),
            number=limit_text(f"{field_}.number", number, MAX_NUMBER),
            client_id=require_id(f"{field_}.client_id", client_id),
            outlet_id=optional_id(f"{field_}.outlet_id", outlet_id),
            order_id=optional_id(f"{field_}.order_id", order_id),
            source=source,
            issue_date=issue_date,
            due_date=due_date,
            amount=value,
            open_amount=value,
            created_at=now,
            distributor_id=optional_id(f"{field_}.distributor_id", distributor_id),
        )
        if not invoice.number:
            raise InvalidArgument(f"{field_}.number", "must not be empty")
        invoice.events.append(InvoiceIssued(invoice))
        return invoice

    @property
    def is_credit_note(self) -> bool:
        return self.amount < 0

    @property
    def kind(self) -> str:
        return "credit_note" if self.is_credit_note else "invoice"

    @property
    def credit_date(self) -> date:
        return self.issue_date

    @property
    def credit_available(self) -> Decimal:
        return -self.open_amount if self.is_credit_note else ZERO

    def settle(self, value: Decimal) -> None:
        """Pay `value` of this (positive) invoice."""
        if self.is_credit_note or not ZERO < value <= self.open_amount:
            raise ValueError(f"cannot settle {value} of invoice {self.id} open {self.open_amount}")
        self.open_amount -= value

    def use_credit(self, value: Decimal) -> None:
        """Use `value` of this credit note's remaining credit."""
        if not self.is_credit_note or not ZERO < value <= self.credit_available:
            raise ValueError(f"cannot use {value} of credit note {self.id}")
        self.open_amount += value

    def days_past_due(self, as_of: date) -> int:
        return days_past_due(self.due_date, as_of)

    def same_document(self, other: Invoice) -> bool:
        """True when `other` (a re-sent create) describes this very invoice."""
        return (
            self.client_id == other.client_id
            and self.outlet_id == other.outlet_id
            and self.order_id == other.order_id
            and self.source is other.source
            and self.issue_date == other.issue_date
            and self.amount == other.amount
        )


@dataclass(eq=False)
class Payment:
    """A payment. Only a `ClientLedger` booking allocates it, and it steps the version (once
    per booking)."""

    id: str
    kind: PaymentKind
    client_id: str
    outlet_id: str
    date: date
    amount: Decimal
    receipt_number: str
    collected_by: str
    unallocated: Decimal
    created_at: datetime
    # Who recorded it (the caller's verified subject; empty when unknown: a van sale's cash,
    # booked from orders' event, or a call made with auth off).
    recorded_by: str = ""
    source: PaymentSource = PaymentSource.FIELD
    # The visit it was taken on ('' none): a link, checked for form only.
    visit_id: str = ""
    # The cash handover covering it ('' still on hand); set by the handover alone.
    handover_id: str = ""
    allocations: list[Allocation] = field(default_factory=list)
    version: int = 1
    events: list[Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        *,
        id: str,
        kind: PaymentKind,
        client_id: str,
        outlet_id: str,
        date_: dt.date,
        amount_: Decimal,
        receipt_number: str,
        collected_by: str,
        now: datetime,
        recorded_by: str = "",
        source: PaymentSource = PaymentSource.FIELD,
        visit_id: str = "",
        field_: str = "payment",
    ) -> Payment:
        if source is PaymentSource.FIELD and kind is not PaymentKind.CASH:
            raise PermissionDenied(f"{field_}.kind: bank payments come from the ERP")
        value = amount(f"{field_}.amount", amount_, positive=True)
        receipt = limit_text(f"{field_}.receipt_number", receipt_number, MAX_NUMBER)
        collector = limit_text(f"{field_}.collected_by", collected_by, 64)
        if kind is PaymentKind.CASH:
            if not receipt:
                raise InvalidArgument(f"{field_}.receipt_number", "is required for cash")
            if not collector:
                raise InvalidArgument(
                    f"{field_}.collected_by", "is required for cash (the employee who took it)"
                )
        payment = cls(
            id=document_id(f"{field_}.id", id),
            kind=kind,
            client_id=require_id(f"{field_}.client_id", client_id),
            outlet_id=optional_id(f"{field_}.outlet_id", outlet_id),
            date=date_,
            amount=value,
            receipt_number=receipt,
            collected_by=collector,
            unallocated=value,
            created_at=now,
            recorded_by=recorded_by,
            source=source,
            visit_id=optional_id(f"{field_}.visit_id", visit_id),
        )
        payment.events.append(PaymentRecorded(payment))
        return payment

    @property
    def credit_date(self) -> dt.date:
        return self.date

    @property
    def credit_available(self) -> Decimal:
        return self.unallocated

    def use_credit(self, value: Decimal) -> None:
        if not ZERO < value <= self.unallocated:
            raise ValueError(f"cannot use {value} of payment {self.id}")
        self.unallocated -= value

    @property
    def on_hand(self) -> bool:
        """Cash its collector still holds: no handover covers it."""
        return self.kind is PaymentKind.CASH and bool(self.collected_by) and not self.handover_id

    def same_document(self, other: Payment) -> bool:
        """True when `other` (a re-sent create) describes this very payment. The visit is a
        link, not the payment's content: a copy sent again with or without it is the same."""
        return (
            self.kind is other.kind
            and self.client_id == other.client_id
            and self.outlet_id == other.outlet_id
            and self.date == other.date
            and self.amount == other.amount
            and self.receipt_number == other.receipt_number
        )


Credit = Invoice | Payment


def payment_source(for_others: bool) -> PaymentSource:
    """The source of a payment recorded through the API: ERP when who records it may record
    for others (ADMIN, SERVICE; or auth off), else FIELD (an employee, who records cash
    only: `Payment.create`)."""
    return PaymentSource.ERP if for_others else PaymentSource.FIELD


def collector(named: str, recorder: str, for_others: bool) -> str:
    """Who collected a payment: `named`, checked against who records it. An employee records
    only what they collected themselves (nothing named: them); someone who may record for
    others (an administrator, a system, or an unknown recorder when auth is off) names anyone,
    or no one (a bank payment)."""
    named = named.strip()
    if for_others or not recorder:
        return named
    if named and named != recorder:
        raise PermissionDenied(
            f"payment.collected_by: {recorder!r} may record only payments they collected "
            f"themselves, not {named[:64]!r}'s"
        )
    return recorder


@dataclass(frozen=True)
class NamedAllocation:
    """An invoice a payment names; `amount` None means "as much as is open"."""

    invoice_id: str
    amount: Decimal | None
    field: str


@dataclass(frozen=True)
class LedgerFigures:
    balance: Decimal
    overdue: Decimal
    max_overdue_days: int
    open_invoices: int


def days_past_due(due_date: date, as_of: date) -> int:
    return max(0, (as_of - due_date).days)


def figures(
    items: Iterable[tuple[date, Decimal]], unallocated: Decimal, as_of: date
) -> LedgerFigures:
    """Balance figures from open (due date, open amount) items and unallocated payments.

    Credit notes come in as negative open amounts: they count in the balance but are never
    overdue.
    """
    balance = -unallocated
    overdue = ZERO
    max_days = 0
    count = 0
    for due, open_amount in items:
        balance += open_amount
        if open_amount > 0:
            count += 1
            days = days_past_due(due, as_of)
            if days > 0:
                overdue += open_amount
                max_days = max(max_days, days)
    return LedgerFigures(balance, overdue, max_days, count)


def _invoice_order(invoice: Invoice) -> tuple[date, date, str, str]:
    return (invoice.due_date, invoice.issue_date, invoice.number, invoice.id)


def _credit_order(credit: Credit) -> tuple[date, str]:
    return (credit.credit_date, credit.id)


@dataclass
class ClientLedger:
    """The open documents of one client, loaded whole for one booking, and what the booking
    did to them: the allocations it made, the outlets it touched, the documents it revised.

    A booking is one revision of each document: the first allocation on a document the client
    already had steps its version (and, for an invoice or credit note, records that its open
    amount changed), later ones in the same booking do not, and a document the booking itself
    books stays at its first version (its InvoiceIssued carries its open amount).
    """

    client_id: str
    documents: dict[str, Invoice] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    new_allocations: list[Allocation] = field(default_factory=list)
    touched_outlets: set[str] = field(default_factory=set)
    revised: set[Invoice | Payment] = field(default_factory=set, repr=False, compare=False)

    # -- reading -----------------------------------------------------------------------------
    def open_invoices(self) -> list[Invoice]:
        found = [d for d in self.documents.values() if not d.is_credit_note and d.open_amount > 0]
        return sorted(found, key=_invoice_order)

    def credits(self) -> list[Credit]:
        found: list[Credit] = [
            d for d in self.documents.values() if d.is_credit_note and d.open_amount < 0
        ]
        found += [p for p in self.payments.values() if p.unallocated > 0]
        return sorted(found, key=_credit_order)

    def figures(self, as_of: date, outlet_id: str = "") -> LedgerFigures:
        items = [
            (d.due_date, d.open_amount)
            for d in self.documents.values()
            if d.open_amount != 0 and (not outlet_id or d.outlet_id == outlet_id)
        ]
        unallocated = sum(
            (
                p.unallocated
                for p in self.payments.values()
                if not outlet_id or p.outlet_id == outlet_id
            ),
            ZERO,
        )
        return figures(items, unallocated, as_of)

    # -- booking -----------------------------------------------------------------------------
    def include(self, document: Invoice | Payment) -> None:
        """Make a document the client already had known (e.g. a named invoice that is already
        paid)."""
        if isinstance(document, Payment):
            self.payments.setdefault(document.id, document)
        else:
            self.documents.setdefault(document.id, document)

    def book_invoice(
        self, invoice: Invoice, *, apply_credits: bool = True, pay_first: Sequence[str] = ()
    ) -> None:
        """Book a new invoice or credit note.

        An invoice takes the client's open credits (oldest first) unless `apply_credits` is
        False (the caller pays it first, e.g. with a van sale's cash). A credit note pays the
        invoices in `pay_first` (the sale it reverses), then the oldest due.
        """
        if invoice.client_id != self.client_id:
            raise ValueError("invoice of another client booked on this ledger")
        self.documents[invoice.id] = invoice
        self.revised.add(invoice)
        self.touched_outlets.add(invoice.outlet_id)
        if invoice.is_credit_note:
            named = [
                NamedAllocation(i, None, "")
                for i in pay_first
                if i in self.documents and self.documents[i].open_amount > 0
            ]
            self._spend(invoice, named)
        elif apply_credits:
            self.apply_credits(invoice)

    def apply_credits(self, invoice: Invoice) -> None:
        """Pay an open invoice from the client's unused credits, oldest first."""
        for credit in self.credits():
            if invoice.open_amount <= 0:
                break
            self._allocate(credit, invoice, min(credit.credit_available, invoice.open_amount))

    def record_payment(self, payment: Payment, named: Sequence[NamedAllocation] = ()) -> None:
        """Book a new payment and allocate it: the invoices it names first, then oldest due."""
        if payment.client_id != self.client_id:
            raise ValueError("payment of another client booked on this ledger")
        self._check_named(payment, named)
        self.payments[payment.id] = payment
        self.revised.add(payment)
        self.touched_outlets.add(payment.outlet_id)
        self._spend(payment, named)

    def _check_named(self, payment: Payment, named: Sequence[NamedAllocation]) -> None:
        seen: set[str] = set()
        explicit = ZERO
        for n in named:
            target = self.documents.get(n.invoice_id)
            if target is None:
                raise NotFound("invoice", n.invoice_id, f"{n.field}.invoice_id")
            if n.invoice_id in seen:
                raise InvalidArgument(f"{n.field}.invoice_id", f"names {n.invoice_id!r} twice")
            seen.add(n.invoice_id)
            if target.client_id != payment.client_id:
                raise InvalidArgument(
                    f"{n.field}.invoice_id",
                    f"invoice {target.number} belongs to another client",
                )
            if target.is_credit_note:
                raise InvalidArgument(
                    f"{n.field}.invoice_id", f"{target.number} is a credit note, not an invoice"
                )
            if target.open_amount <= 0:
                raise FailedPrecondition(
                    f"{n.field}.invoice_id: invoice {target.number} is already paid"
                )
            if n.amount is not None:
                if n.amount > target.open_amount:
                    raise InvalidArgument(
                        f"{n.field}.amount",
                        f"{fmt(n.amount)} exceeds the open amount {fmt(target.open_amount)} "
                        f"of invoice {target.number}",
                    )
                explicit += n.amount
        if explicit > payment.amount:
            raise InvalidArgument(
                "payment.allocations",
                f"name {fmt(explicit)} in total, more than the payment {fmt(payment.amount)}",
            )

    def _spend(self, credit: Credit, named: Sequence[NamedAllocation]) -> None:
        for n in named:
            target = self.documents[n.invoice_id]
            want = target.open_amount if n.amount is None else n.amount
            self._allocate(credit, target, min(want, credit.credit_available, target.open_amount))
        for invoice in self.open_invoices():
            if credit.credit_available <= 0:
                break
            self._allocate(credit, invoice, min(credit.credit_available, invoice.open_amount))

    def _allocate(self, credit: Credit, invoice: Invoice, value: Decimal) -> None:
        if value <= 0:
            return
        credit.use_credit(value)
        invoice.settle(value)
        for document in (credit, invoice):
            if document not in self.revised:
                self.revised.add(document)
                document.version += 1
                if isinstance(document, Invoice):
                    document.events.append(InvoiceChanged(document))
        kind = CreditKind.PAYMENT if isinstance(credit, Payment) else CreditKind.CREDIT_NOTE
        allocation = Allocation(kind, credit.id, invoice.id, value)
        self.new_allocations.append(allocation)
        if isinstance(credit, Payment):
            credit.allocations.append(allocation)
        self.touched_outlets.update((invoice.outlet_id, credit.outlet_id))


def due_date(issue_date: date, terms_days: int) -> date:
    return days_after(issue_date, terms_days)


# ------------------------------------------------------------------------------- statement
STATEMENT_KINDS = ("invoice", "credit_note", "payment")


@dataclass(frozen=True)
class StatementEntry:
    """A document on a statement; `amount` is signed: + debit (invoice), − credit."""

    date: date
    kind: str
    document_id: str
    number: str
    amount: Decimal


@dataclass(frozen=True)
class StatementLine:
    entry: StatementEntry
    running_balance: Decimal


@dataclass(frozen=True)
class Statement:
    opening_balance: Decimal
    lines: tuple[StatementLine, ...]
    closing_balance: Decimal


def statement(opening_balance: Decimal, entries: Iterable[StatementEntry]) -> Statement:
    """Documents by date (invoices, then credit notes, then payments on a day), running sum."""
    ordered = sorted(
        entries,
        key=lambda e: (e.date, STATEMENT_KINDS.index(e.kind), e.number, e.document_id),
    )
    running = opening_balance
    lines = []
    for entry in ordered:
        running += entry.amount
        lines.append(StatementLine(entry, running))
    return Statement(opening_balance, tuple(lines), running)


# ----------------------------------------------------------------------------------- aging
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "over 90")


def aging_bucket(days: int) -> int:
    """Index into AGING_BUCKETS for an amount `days` past due (0 or less: current)."""
    if days <= 0:
        return 0
    if days <= 30:
        return 1
    if days <= 60:
        return 2
    if days <= 90:
        return 3
    return 4


def aging_cutoffs(as_of: date) -> tuple[date, date, date, date]:
    """Due dates from which an open amount falls in current, 1–30, 31–60, 61–90 (else >90)."""
    return (
        as_of,
        days_after(as_of, -30),
        days_after(as_of, -60),
        days_after(as_of, -90),
    )


@dataclass(frozen=True)
class AgingRow:
    client_id: str
    buckets: tuple[Decimal, Decimal, Decimal, Decimal, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO)

    def __add__(self, other: AgingRow) -> AgingRow:
        a, b = self.buckets, other.buckets
        return AgingRow(
            self.client_id, (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4])
        )


EMPTY_BUCKETS = (ZERO, ZERO, ZERO, ZERO, ZERO)


def aging_row(
    client_id: str, items: Iterable[tuple[date, Decimal]], unallocated: Decimal, as_of: date
) -> AgingRow:
    """Open amounts by how far past due; unused credits (credit notes, advances) are current."""
    buckets = list(EMPTY_BUCKETS)
    buckets[0] -= unallocated
    for due, open_amount in items:
        index = aging_bucket(days_past_due(due, as_of)) if open_amount > 0 else 0
        buckets[index] += open_amount
    return AgingRow(client_id, (buckets[0], buckets[1], buckets[2], buckets[3], buckets[4]))
