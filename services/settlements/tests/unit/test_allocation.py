"""Allocation of payments and credit notes to invoices; advances allocated later."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from fieldline_settlements.domain.events import InvoiceChanged, InvoiceIssued, PaymentRecorded
from fieldline_settlements.domain.ledger import (
    ClientLedger,
    CreditKind,
    InvoiceSource,
    NamedAllocation,
    PaymentKind,
)

from .conftest import (
    CLIENT,
    OTHER_CLIENT,
    OUTLET_B,
    already_booked,
    d,
    invoice,
    ledger,
    payment,
)


def opens(*invoices: object) -> list[Decimal]:
    return [i.open_amount for i in invoices]  # type: ignore[attr-defined]


def test_payment_goes_to_the_oldest_due_date_first() -> None:
    late = invoice("100.00", due=date(2024, 5, 10))
    early = invoice("50.00", due=date(2024, 4, 1))
    middle = invoice("70.00", due=date(2024, 4, 20))
    led = ledger(late, early, middle)
    pay = payment("130.00")
    led.record_payment(pay)
    assert opens(early, middle, late) == [d("0.00"), d("0.00"), d("90.00")]
    assert [(a.invoice_id, a.amount) for a in pay.allocations] == [
        (early.id, d("50.00")),
        (middle.id, d("70.00")),
        (late.id, d("10.00")),
    ]
    assert pay.unallocated == d("0.00")


def test_same_due_date_breaks_ties_by_issue_date_then_number() -> None:
    due = date(2024, 5, 1)
    b_late_issue = invoice("10.00", due=due, issued=date(2024, 4, 20), number="A-1")
    a_early_issue = invoice("10.00", due=due, issued=date(2024, 4, 10), number="Z-9")
    c_same_issue_higher_number = invoice("10.00", due=due, issued=date(2024, 4, 20), number="B-1")
    led = ledger(b_late_issue, a_early_issue, c_same_issue_higher_number)
    pay = payment("25.00")
    led.record_payment(pay)
    assert [a.invoice_id for a in pay.allocations] == [
        a_early_issue.id,
        b_late_issue.id,
        c_same_issue_higher_number.id,
    ]
    assert c_same_issue_higher_number.open_amount == d("5.00")


def test_partial_payment_leaves_the_rest_open() -> None:
    inv = invoice("1000.00", due=date(2024, 5, 1))
    led = ledger(inv)
    led.record_payment(payment("250.50"))
    assert inv.open_amount == d("749.50")
    led.record_payment(payment("749.50"))
    assert inv.open_amount == d("0.00")
    assert led.open_invoices() == []


def test_named_invoices_are_paid_first_then_the_oldest() -> None:
    old = invoice("100.00", due=date(2024, 3, 1))
    named = invoice("80.00", due=date(2024, 5, 1))
    led = ledger(old, named)
    pay = payment("120.00")
    led.record_payment(pay, [NamedAllocation(named.id, None, "payment.allocations[0]")])
    assert named.open_amount == d("0.00")
    assert old.open_amount == d("60.00")
    assert [a.invoice_id for a in pay.allocations] == [named.id, old.id]


def test_named_amount_is_respected_and_the_remainder_follows_the_oldest_rule() -> None:
    old = invoice("100.00", due=date(2024, 3, 1))
    named = invoice("80.00", due=date(2024, 5, 1))
    led = ledger(old, named)
    pay = payment("50.00")
    led.record_payment(pay, [NamedAllocation(named.id, d("30.00"), "payment.allocations[0]")])
    assert named.open_amount == d("50.00")
    assert old.open_amount == d("80.00")


def test_overpayment_stays_unallocated_as_an_advance() -> None:
    inv = invoice("100.00")
    led = ledger(inv)
    pay = payment("150.00")
    led.record_payment(pay)
    assert inv.open_amount == d("0.00")
    assert pay.unallocated == d("50.00")
    assert led.figures(date(2024, 5, 15)).balance == d("-50.00")


def test_advance_is_allocated_to_invoices_that_arrive_later_oldest_credit_first() -> None:
    led = ClientLedger(CLIENT)
    first = payment("30.00", on=date(2024, 5, 1))
    second = payment("50.00", on=date(2024, 5, 2))
    led.record_payment(second)
    led.record_payment(first)
    assert first.unallocated == d("30.00") and second.unallocated == d("50.00")
    inv = invoice("60.00")
    led.book_invoice(inv)
    assert inv.open_amount == d("0.00")
    assert first.unallocated == d("0.00")
    assert second.unallocated == d("20.00")
    kinds = [(a.source_kind, a.source_id, a.amount) for a in led.new_allocations]
    assert kinds == [
        (CreditKind.PAYMENT, first.id, d("30.00")),
        (CreditKind.PAYMENT, second.id, d("30.00")),
    ]


def test_invoice_booked_without_credits_can_be_paid_first_then_credited() -> None:
    led = ClientLedger(CLIENT)
    advance = payment("40.00", on=date(2024, 5, 1))
    led.record_payment(advance)
    sale = invoice("100.00", source=InvoiceSource.VAN_SALE)
    led.book_invoice(sale, apply_credits=False)
    assert sale.open_amount == d("100.00")
    cash = payment("70.00", kind=PaymentKind.CASH)
    led.record_payment(cash, [NamedAllocation(sale.id, None, "order")])
    led.apply_credits(sale)
    assert cash.unallocated == d("0.00")
    assert sale.open_amount == d("0.00")
    assert advance.unallocated == d("10.00")


def test_credit_note_pays_the_sale_it_names_first_then_the_oldest() -> None:
    old = invoice("100.00", due=date(2024, 3, 1))
    sale = invoice("200.00", due=date(2024, 5, 10))
    led = ledger(old, sale)
    note = invoice("-250.00")
    led.book_invoice(note, pay_first=[sale.id])
    assert sale.open_amount == d("0.00")
    assert old.open_amount == d("50.00")
    assert note.open_amount == d("0.00")
    assert all(a.source_kind is CreditKind.CREDIT_NOTE for a in led.new_allocations)


def test_unused_credit_note_is_an_open_credit_for_later_invoices() -> None:
    led = ClientLedger(CLIENT)
    note = invoice("-40.00")
    led.book_invoice(note)
    assert note.open_amount == d("-40.00")
    assert led.figures(date(2024, 5, 15)).balance == d("-40.00")
    later = invoice("100.00")
    led.book_invoice(later)
    assert note.open_amount == d("0.00")
    assert later.open_amount == d("60.00")


def test_credits_never_stay_unused_while_an_invoice_is_open() -> None:
    led = ledger(
        invoice("10.00", due=date(2024, 1, 1)),
        payment("25.00"),
        invoice("30.00", due=date(2024, 2, 1)),
        invoice("-5.00"),
        payment("3.00"),
        invoice("7.00"),
    )
    has_open = bool(led.open_invoices())
    has_credit = bool(led.credits())
    assert not (has_open and has_credit)
    assert led.figures(date(2024, 5, 15)).balance == d("14.00")


def test_new_documents_record_their_events() -> None:
    inv = invoice("10.00")
    pay = payment("5.00")
    assert [type(e) for e in inv.events] == [InvoiceIssued]
    assert [type(e) for e in pay.events] == [PaymentRecorded]


def test_a_booking_steps_each_document_it_changes_once() -> None:
    inv = already_booked(invoice("100.00"))
    advance = already_booked(payment("30.00"))
    led = ClientLedger(CLIENT)
    led.include(inv)
    led.include(advance)
    new = invoice("50.00")
    led.book_invoice(new)  # paid by the advance
    led.record_payment(payment("10.00"))
    led.record_payment(payment("10.00"))
    assert (inv.version, advance.version) == (2, 2)  # paid twice, changed once
    assert (new.version, new.open_amount) == (1, d("20.00"))  # booked here: first version
    # The invoice it had records one change (the event holds it: its state when published);
    # the one booked here only its issue.
    assert [type(e) for e in inv.events] == [InvoiceChanged]
    assert inv.events[0].invoice is inv
    assert [type(e) for e in new.events] == [InvoiceIssued]
    assert led.revised == {inv, advance, new, *led.payments.values()}


class TestNamedAllocationErrors:
    def test_unknown_invoice(self) -> None:
        led = ClientLedger(CLIENT)
        with pytest.raises(NotFound) as info:
            led.record_payment(
                payment("1.00"), [NamedAllocation("nope", None, "payment.allocations[0]")]
            )
        assert info.value.message.startswith("payment.allocations[0].invoice_id:")

    def test_named_twice(self) -> None:
        inv = invoice("10.00")
        led = ledger(inv)
        named = [NamedAllocation(inv.id, None, f"payment.allocations[{i}]") for i in range(2)]
        with pytest.raises(InvalidArgument, match=r"allocations\[1\].invoice_id: names"):
            led.record_payment(payment("1.00"), named)

    def test_amount_over_the_open_amount(self) -> None:
        inv = invoice("10.00", number="INV-7")
        led = ledger(inv)
        with pytest.raises(
            InvalidArgument,
            match=r"allocations\[0\].amount: 11.00 exceeds the open amount 10.00 of invoice INV-7",
        ):
            led.record_payment(
                payment("20.00"), [NamedAllocation(inv.id, d("11.00"), "payment.allocations[0]")]
            )

    def test_named_amounts_over_the_payment(self) -> None:
        a, b = invoice("10.00"), invoice("10.00")
        led = ledger(a, b)
        named = [
            NamedAllocation(a.id, d("6.00"), "payment.allocations[0]"),
            NamedAllocation(b.id, d("6.00"), "payment.allocations[1]"),
        ]
        with pytest.raises(
            InvalidArgument,
            match=r"payment.allocations: name 12.00 in total, more than the payment 10.00",
        ):
            led.record_payment(payment("10.00"), named)

    def test_paid_invoice(self) -> None:
        inv = invoice("10.00", number="INV-8")
        led = ledger(inv, payment("10.00"))
        with pytest.raises(FailedPrecondition, match=r"invoice INV-8 is already paid"):
            led.record_payment(
                payment("1.00"), [NamedAllocation(inv.id, None, "payment.allocations[0]")]
            )

    def test_credit_note(self) -> None:
        note = invoice("-10.00", number="CN-1")
        led = ledger(note)
        with pytest.raises(InvalidArgument, match=r"CN-1 is a credit note"):
            led.record_payment(
                payment("1.00"), [NamedAllocation(note.id, None, "payment.allocations[0]")]
            )

    def test_invoice_of_another_client(self) -> None:
        foreign = invoice("10.00", client_id=OTHER_CLIENT)
        led = ClientLedger(CLIENT)
        led.include(foreign)
        with pytest.raises(InvalidArgument, match=r"belongs to another client"):
            led.record_payment(
                payment("1.00"), [NamedAllocation(foreign.id, None, "payment.allocations[0]")]
            )


class TestDocumentValidation:
    def test_amount_with_more_than_two_decimals(self) -> None:
        with pytest.raises(
            InvalidArgument, match=r"invoice.amount: must have at most 2 decimal places"
        ):
            invoice("10.001")

    def test_zero_invoice(self) -> None:
        with pytest.raises(InvalidArgument, match=r"invoice.amount: must not be zero"):
            invoice("0")

    def test_credit_note_must_be_negative(self) -> None:
        with pytest.raises(InvalidArgument, match=r"credit note"):
            invoice("10.00", source=InvoiceSource.RETURN)

    def test_van_sale_must_be_positive(self) -> None:
        with pytest.raises(InvalidArgument, match=r"van-sale invoice must be positive"):
            invoice("-10.00", source=InvoiceSource.VAN_SALE)

    def test_due_before_issue(self) -> None:
        with pytest.raises(
            InvalidArgument, match=r"invoice.due_date: must not be before the issue date 2024-05-10"
        ):
            invoice("1.00", issued=date(2024, 5, 10), due=date(2024, 5, 9))

    def test_payment_must_be_positive(self) -> None:
        with pytest.raises(InvalidArgument, match=r"payment.amount: must be positive"):
            payment("0.00")

    def test_cash_needs_a_receipt_and_a_collector(self) -> None:
        from fieldline_settlements.domain.ledger import Payment

        from .conftest import NOW, TODAY

        with pytest.raises(InvalidArgument, match=r"payment.receipt_number: is required for cash"):
            Payment.create(
                id="p-1",
                kind=PaymentKind.CASH,
                client_id=CLIENT,
                outlet_id="",
                date_=TODAY,
                amount_=d("1.00"),
                receipt_number="",
                collected_by="x",
                now=NOW,
            )
        with pytest.raises(InvalidArgument, match=r"payment.collected_by: is required for cash"):
            Payment.create(
                id="p-1",
                kind=PaymentKind.CASH,
                client_id=CLIENT,
                outlet_id="",
                date_=TODAY,
                amount_=d("1.00"),
                receipt_number="R-1",
                collected_by="",
                now=NOW,
            )

    def test_client_id_must_be_a_uuid(self) -> None:
        with pytest.raises(InvalidArgument, match=r"invoice.client_id: must be a UUID"):
            invoice("1.00", client_id="acme")

    def test_outlet_figures_only_count_the_outlet(self) -> None:
        led = ledger(invoice("10.00"), invoice("5.00", outlet_id=OUTLET_B))
        assert led.figures(date(2024, 5, 15), OUTLET_B).balance == d("5.00")
        assert led.figures(date(2024, 5, 15)).balance == d("15.00")
