"""Invoices, payments, balances, statements, aging and tare over gRPC (real DB and NATS)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import grpc
from google.type import money_pb2

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import published
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_settlements.adapters import orm

from .builders import (
    balance,
    count,
    dec,
    payment_request,
    pb_date,
    record_invoice,
    record_payment,
    rub,
    set_limit,
)
from .conftest import Harness

D = date(2024, 5, 1)


def invoice_request(
    client_id: str, amount: money_pb2.Money, **kw: object
) -> ss.RecordInvoiceRequest:
    return ss.RecordInvoiceRequest(
        request_id=new_id(),
        invoice=pb.Invoice(
            id=str(kw.pop("id", new_id())),
            client_id=client_id,
            issue_date=pb_date(D),
            amount=amount,
            **kw,  # type: ignore[arg-type]
        ),
    )


async def test_record_invoice_publishes_events_and_retries_return_the_original(
    svc: Harness,
) -> None:
    client, outlet = new_id(), new_id()
    await set_limit(svc, client, "10000.00", terms=10)
    request = invoice_request(client, rub("1500.50"), outlet_id=outlet, number="ERP-77")
    first = await svc.settlements.RecordInvoice(request)
    again = await svc.settlements.RecordInvoice(request)
    assert again == first
    inv = first.invoice
    assert (inv.number, dec(inv.amount), dec(inv.open_amount)) == (
        "ERP-77",
        Decimal("1500.50"),
        Decimal("1500.50"),
    )
    assert inv.source == pb.INVOICE_SOURCE_ERP
    assert inv.due_date == pb_date(D + timedelta(days=10))  # the client's payment terms
    # The same invoice under a new request id (the ERP re-sent it) returns the original.
    resent = ss.RecordInvoiceRequest(request_id=new_id(), invoice=request.invoice)
    assert (await svc.settlements.RecordInvoice(resent)).invoice == inv
    assert await count(svc, orm.invoices, orm.invoices.c.client_id == client) == 1
    # The same id with other data is refused.
    changed = ss.RecordInvoiceRequest(request_id=new_id(), invoice=request.invoice)
    changed.invoice.amount.CopyFrom(rub("1.00"))
    await expect_error(
        svc.settlements.RecordInvoice(changed), grpc.StatusCode.ALREADY_EXISTS, "invoice.id"
    )

    # SetCreditLimit: the client's DebtChanged; the invoice: InvoiceIssued and DebtChanged of
    # the client and of the outlet; the retries: nothing. (Its credit standings: their tests.)
    events = await published(
        svc.js,
        "SETTLEMENTS",
        lambda e: (
            e.aggregate_id in (inv.id, client, outlet) and e.aggregate_type != "credit_standing"
        ),
        expect=4,
    )
    names = sorted(name for name, _, _ in events)
    assert names == ["DebtChanged", "DebtChanged", "DebtChanged", "InvoiceIssued"]
    issued = [p for name, p, _ in events if name == "InvoiceIssued"]
    assert len(issued) == 1 and issued[0].invoice.id == inv.id  # type: ignore[attr-defined]
    debt = [(e.aggregate_type, p) for name, p, e in events if name == "DebtChanged"]
    client_debt = [p for t, p in debt if t == "client_balance"][-1]
    assert dec(client_debt.balance.balance) == Decimal("1500.50")  # type: ignore[attr-defined]
    assert dec(client_debt.balance.credit_limit) == 10000  # type: ignore[attr-defined]
    assert any(t == "outlet_balance" for t, _ in debt)


async def test_request_id_reused_for_another_request_is_refused(svc: Harness) -> None:
    client = new_id()
    request = invoice_request(client, rub("10.00"))
    await svc.settlements.RecordInvoice(request)
    other = invoice_request(client, rub("20.00"))
    other.request_id = request.request_id
    await expect_error(
        svc.settlements.RecordInvoice(other), grpc.StatusCode.INVALID_ARGUMENT, "request_id"
    )


async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(svc: Harness) -> None:
    client = new_id()
    tables = (orm.invoices, orm.payments, orm.allocations, orm.kit.outbox, orm.kit.idempotency)
    before = [await count(svc, t) for t in tables]
    bad_nanos = money_pb2.Money(currency_code="RUB", units=5, nanos=-10)
    cases = [
        (invoice_request(client, bad_nanos), "invoice.amount.nanos: must have the same sign"),
        (
            invoice_request(client, money_pb2.Money(currency_code="USD", units=5)),
            "invoice.amount.currency_code: must be RUB",
        ),
        (
            invoice_request(client, money_pb2.Money(currency_code="RUB", units=5, nanos=1000)),
            "invoice.amount: must have at most 2 decimal places",
        ),
        (invoice_request("acme", rub("5.00")), "invoice.client_id: must be a UUID"),
        (invoice_request(client, rub("0.00")), "invoice.amount: must not be zero"),
        (
            invoice_request(client, rub("-5.00"), source=pb.INVOICE_SOURCE_VAN_SALE),
            "invoice.amount: a van-sale invoice must be positive",
        ),
        (
            invoice_request(client, rub("5.00"), due_date=pb_date(D - timedelta(days=1))),
            "invoice.due_date: must not be before the issue date",
        ),
        (ss.RecordInvoiceRequest(request_id=new_id()), "invoice: is required"),
    ]
    for request, message in cases:
        await expect_error(
            svc.settlements.RecordInvoice(request), grpc.StatusCode.INVALID_ARGUMENT, message
        )
    payment = pb.Payment(
        id=new_id(),
        kind=pb.PAYMENT_KIND_BANK,
        client_id=client,
        date=pb_date(D),
        amount=rub("10.00"),
        allocations=[pb.Allocation(invoice_id="no-such-invoice")],
    )
    await expect_error(
        svc.settlements.RecordPayment(
            ss.RecordPaymentRequest(request_id=new_id(), payment=payment)
        ),
        grpc.StatusCode.NOT_FOUND,
        "payment.allocations[0].invoice_id",
    )
    payment.ClearField("allocations")
    payment.kind = pb.PAYMENT_KIND_CASH
    await expect_error(
        svc.settlements.RecordPayment(
            ss.RecordPaymentRequest(request_id=new_id(), payment=payment)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "payment.receipt_number: is required for cash",
    )
    payment.kind = pb.PAYMENT_KIND_BANK
    payment.amount.CopyFrom(rub("-1.00"))
    await expect_error(
        svc.settlements.RecordPayment(
            ss.RecordPaymentRequest(request_id=new_id(), payment=payment)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "payment.amount: must be positive, got -1.00",
    )
    assert [await count(svc, t) for t in tables] == before


async def test_payments_allocate_oldest_first_and_advances_go_to_later_invoices(
    svc: Harness,
) -> None:
    client = new_id()
    newer = await record_invoice(svc, client, "100.00", issued=D, due=D + timedelta(days=30))
    older = await record_invoice(svc, client, "60.00", issued=D, due=D + timedelta(days=10))
    pay = await record_payment(svc, client, "200.00", on=D + timedelta(days=2))
    assert [(a.invoice_id, dec(a.amount)) for a in pay.allocations] == [
        (older.id, 60),
        (newer.id, 100),
    ]
    assert dec(pay.unallocated) == 40
    assert dec((await balance(svc, client)).balance) == -40
    later = await record_invoice(svc, client, "25.00", issued=D + timedelta(days=5))
    assert dec(later.open_amount) == 0  # paid from the advance at once
    assert dec((await balance(svc, client)).balance) == -15
    # Retrying the payment under a new request id returns it as recorded, allocations included.
    again = await record_payment(svc, client, "200.00", on=D + timedelta(days=2), payment_id=pay.id)
    assert [a.invoice_id for a in again.allocations] == [older.id, newer.id, later.id]
    assert dec(again.unallocated) == 15


async def test_named_invoices_are_paid_first(svc: Harness) -> None:
    client = new_id()
    old = await record_invoice(svc, client, "100.00", issued=D, due=D)
    named = await record_invoice(svc, client, "80.00", issued=D, due=D + timedelta(days=20))
    pay = await record_payment(
        svc, client, "100.00", on=D, named=((named.id, ""),)
    )  # amount 0: as much as open
    assert [(a.invoice_id, dec(a.amount)) for a in pay.allocations] == [
        (named.id, 80),
        (old.id, 20),
    ]
    partial = await record_payment(svc, client, "30.00", on=D, named=((old.id, "10.00"),))
    assert [(a.invoice_id, dec(a.amount)) for a in partial.allocations] == [
        (old.id, 10),
        (old.id, 20),
    ]
    await expect_error(
        svc.settlements.RecordPayment(
            payment_request(client, "5.00", on=D, named=((named.id, ""),))
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "is already paid",
    )
    foreign = await record_invoice(svc, new_id(), "10.00", issued=D)
    await expect_error(
        svc.settlements.RecordPayment(
            payment_request(client, "5.00", on=D, named=((foreign.id, ""),))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "belongs to another client",
    )


async def test_balance_per_client_and_outlet_with_overdue_as_of_a_date(svc: Harness) -> None:
    client, a, b = new_id(), new_id(), new_id()
    await set_limit(svc, client, "500.00")
    await record_invoice(svc, client, "100.00", issued=D, due=D, outlet_id=a)
    await record_invoice(svc, client, "40.00", issued=D, due=D + timedelta(days=40), outlet_id=b)
    as_of = D + timedelta(days=35)
    whole = await balance(svc, client, as_of=as_of)
    assert (dec(whole.balance), dec(whole.overdue), whole.max_overdue_days) == (140, 100, 35)
    assert whole.open_invoices == 2
    assert whole.has_credit_limit and dec(whole.credit_limit) == 500
    outlet_b = await balance(svc, client, b, as_of=as_of)
    assert (dec(outlet_b.balance), dec(outlet_b.overdue), outlet_b.outlet_id) == (40, 0, b)
    unknown = await balance(svc, new_id())
    assert dec(unknown.balance) == 0 and not unknown.has_credit_limit


async def test_statement_has_opening_running_and_closing_balances(svc: Harness) -> None:
    client = new_id()
    await record_invoice(svc, client, "100.00", issued=D - timedelta(days=10), number="A-1")
    await record_payment(svc, client, "30.00", on=D - timedelta(days=5))
    await record_invoice(svc, client, "50.00", issued=D, number="A-2")
    await record_invoice(svc, client, "-20.00", issued=D + timedelta(days=1), number="CN-9")
    await record_payment(svc, client, "40.00", on=D + timedelta(days=1))
    await record_invoice(svc, client, "999.00", issued=D + timedelta(days=30), number="A-3")
    response = await svc.settlements.GetStatement(
        ss.GetStatementRequest(
            client_id=client, from_date=pb_date(D), to_date=pb_date(D + timedelta(days=2))
        )
    )
    assert dec(response.opening_balance) == 70
    assert [
        (line.kind, line.number, dec(line.amount), dec(line.running_balance))
        for line in response.lines
    ] == [
        ("invoice", "A-2", 50, 120),
        ("credit_note", "CN-9", -20, 100),
        ("payment", "", -40, 60),
    ]
    assert dec(response.closing_balance) == 60
    everything = await svc.settlements.GetStatement(ss.GetStatementRequest(client_id=client))
    assert dec(everything.opening_balance) == 0
    assert dec(everything.closing_balance) == dec((await balance(svc, client)).balance) == 1059
    await expect_error(
        svc.settlements.GetStatement(
            ss.GetStatementRequest(
                client_id=client, from_date=pb_date(D), to_date=pb_date(D - timedelta(days=1))
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "to_date: must not be before from_date",
    )


async def test_aging_report_buckets_pages_and_totals(svc: Harness) -> None:
    as_of = date(2024, 9, 1)
    client = new_id()
    for days, amount in (
        (-5, "10.00"),
        (10, "20.00"),
        (45, "30.00"),
        (75, "40.00"),
        (120, "50.00"),
    ):
        due = as_of - timedelta(days=days)
        await record_invoice(svc, client, amount, issued=due - timedelta(days=1), due=due)
    await record_invoice(svc, client, "-5.00", issued=as_of - timedelta(days=3))
    own = await svc.settlements.GetAgingReport(
        ss.GetAgingReportRequest(as_of=pb_date(as_of), client_id=client)
    )
    (row,) = own.rows
    figures = [
        dec(x)
        for x in (
            row.current,
            row.overdue_1_30,
            row.overdue_31_60,
            row.overdue_61_90,
            row.overdue_over_90,
            row.total,
        )
    ]
    # The credit note paid 5.00 of the oldest invoice (over 90 days).
    assert figures == [10, 20, 30, 40, 45, 145]
    assert own.totals.total == row.total
    # All clients, one per page: the pages add up to the totals.
    seen: list[ss.AgingRow] = []
    token = ""
    while True:
        page = await svc.settlements.GetAgingReport(
            ss.GetAgingReportRequest(as_of=pb_date(as_of), page_size=2, page_token=token)
        )
        assert len(page.rows) <= 2
        seen += page.rows
        token = page.next_page_token
        if not token:
            break
    assert client in [r.client_id for r in seen]
    assert len({r.client_id for r in seen}) == len(seen)
    assert sum(dec(r.total) for r in seen) == dec(page.totals.total)
    assert sum(dec(r.overdue_over_90) for r in seen) == dec(page.totals.overdue_over_90)
    await expect_error(
        svc.settlements.GetAgingReport(ss.GetAgingReportRequest(page_token="???")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "page_token",
    )


async def test_list_invoices_pages_and_filters(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    ids = []
    for i in range(5):
        inv = await record_invoice(
            svc,
            client,
            "10.00",
            issued=D + timedelta(days=i % 3),
            outlet_id=outlet if i % 2 else "",
        )
        ids.append(inv.id)
    await record_payment(svc, client, "15.00", on=D)
    listed: list[pb.Invoice] = []
    token = ""
    while True:
        page = await svc.settlements.ListInvoices(
            ss.ListInvoicesRequest(client_id=client, page_size=2, page_token=token)
        )
        listed += page.invoices
        token = page.next_page_token
        if not token:
            break
    assert sorted(i.id for i in listed) == sorted(ids)
    keys = [(i.issue_date.day, i.id) for i in listed]
    assert keys == sorted(keys)
    open_only = await svc.settlements.ListInvoices(
        ss.ListInvoicesRequest(client_id=client, open_only=True)
    )
    assert len(open_only.invoices) == 4  # 15.00 paid the first and half of the second
    by_outlet = await svc.settlements.ListInvoices(
        ss.ListInvoicesRequest(client_id=client, outlet_id=outlet)
    )
    assert len(by_outlet.invoices) == 2
    await expect_error(
        svc.settlements.ListInvoices(ss.ListInvoicesRequest(client_id="x")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "client_id: must be a UUID",
    )


async def test_credit_limit_set_and_cleared(svc: Harness) -> None:
    client = new_id()
    await record_invoice(svc, client, "70.00", issued=D)
    first = await set_limit(svc, client, "100.00", terms=14)
    assert first.has_credit_limit and dec(first.credit_limit) == 100 and dec(first.balance) == 70
    cleared = await set_limit(svc, client, None)
    assert not cleared.has_credit_limit
    await expect_error(
        svc.settlements.SetCreditLimit(
            ss.SetCreditLimitRequest(request_id=new_id(), client_id=client, limit=rub("-1.00"))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "limit: must not be negative",
    )
    await expect_error(
        svc.settlements.SetCreditLimit(
            ss.SetCreditLimitRequest(request_id=new_id(), client_id=client)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "limit: is required",
    )
    await expect_error(
        svc.settlements.SetCreditLimit(
            ss.SetCreditLimitRequest(
                request_id=new_id(), client_id=client, limit=rub("1.00"), payment_terms_days=-3
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "payment_terms_days",
    )


async def test_container_deposit_is_validated(svc: Harness) -> None:
    await expect_error(
        svc.settlements.SetContainerDeposit(
            ss.SetContainerDepositRequest(
                request_id=new_id(), container_type="", deposit=rub("1.00")
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "container_type: must not be empty",
    )
    await expect_error(
        svc.settlements.SetContainerDeposit(
            ss.SetContainerDepositRequest(request_id=new_id(), container_type="keg-50")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "deposit: is required",
    )
    empty = await svc.settlements.GetTareBalance(ss.GetTareBalanceRequest(client_id=new_id()))
    assert list(empty.balances) == []
