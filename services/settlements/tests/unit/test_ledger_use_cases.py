"""The ledger's use cases on a fake unit of work: invoices, payments, balances, the credit
limit, container deposits and the bookings of orders' events.

Per use case: the rule, what it saves, the domain events it commits, and that a refused
command changes nothing. The allocation and balance rules themselves are the domain tests'.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fieldline_kit.errors import AlreadyExists, InvalidArgument, NotFound
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.account import ClientAccount, Reservation
from fieldline_settlements.domain.events import (
    CashOnHandChanged,
    CreditStandingChanged,
    DebtChanged,
    InvoiceChanged,
    InvoiceIssued,
    PaymentRecorded,
    TareBalanceChanged,
)
from fieldline_settlements.domain.ledger import (
    Allocation,
    CreditKind,
    InvoiceSource,
    NamedAllocation,
    PaymentKind,
    PaymentSource,
)
from fieldline_settlements.domain.tare import Direction
from fieldline_settlements.service_layer import handlers

from .conftest import (
    CFG,
    CLIENT,
    NOW,
    OTHER_CLIENT,
    OUTLET_A,
    OUTLET_B,
    TODAY,
    already_booked,
    d,
    payment,
)
from .fakes import FakeSettlementsUnitOfWork


def invoice_input(
    amount: str,
    *,
    id: str = "",
    number: str = "",
    client_id: str = CLIENT,
    outlet_id: str = OUTLET_A,
    order_id: str = "",
    source: InvoiceSource | None = None,
    due: int | None = None,  # days after today
    issued: int = 0,
) -> handlers.InvoiceInput:
    return handlers.InvoiceInput(
        id=id or new_id(),
        number=number,
        client_id=client_id,
        outlet_id=outlet_id,
        order_id=order_id,
        source=source,
        issue_date=TODAY + timedelta(days=issued),
        due_date=TODAY + timedelta(days=due) if due is not None else None,
        amount=d(amount),
    )


def payment_input(
    amount: str, *, id: str = "", named: tuple[tuple[str, str | None], ...] = ()
) -> handlers.PaymentInput:
    return handlers.PaymentInput(
        id=id or new_id(),
        kind=PaymentKind.BANK,
        client_id=CLIENT,
        outlet_id=OUTLET_A,
        date=TODAY,
        amount=d(amount),
        receipt_number="",
        collected_by="",
        named=tuple(
            NamedAllocation(i, d(a) if a else None, f"payment.allocations[{n}]")
            for n, (i, a) in enumerate(named)
        ),
    )


def types(events: list[object]) -> list[type]:
    return [type(e) for e in events]


def debts(events: list[object]) -> dict[str, tuple[Decimal, int]]:
    """The DebtChanged events: per outlet ('' for the client) its balance and version."""
    return {
        e.balance.outlet_id: (e.balance.balance, e.version)
        for e in events
        if isinstance(e, DebtChanged)
    }


async def book(uow: FakeSettlementsUnitOfWork, amount: str, **kw: Any) -> Any:
    """RecordInvoice of `invoice_input(amount, **kw)`, committed."""
    inp = invoice_input(amount, **kw)
    return await uow.run(handlers.record_invoice, CFG, NOW, TODAY, inp)


# ------------------------------------------------------------------------------- invoices
async def test_an_invoice_is_due_by_the_clients_terms_numbered_and_changes_its_debt() -> None:
    uow = FakeSettlementsUnitOfWork()
    uow.accounts.put(ClientAccount(CLIENT, d("5000.00"), 10, 3, NOW))
    invoice = await book(uow, "150.00")
    assert (invoice.number, invoice.due_date, invoice.version) == (
        "INV-000001",
        TODAY + timedelta(days=10),
        1,
    )
    (stored,) = uow.invoices.all()
    assert (stored.id, stored.open_amount, stored.version) == (invoice.id, d("150.00"), 1)
    assert types(uow.events) == [InvoiceIssued, DebtChanged, DebtChanged, CreditStandingChanged]
    assert debts(uow.events) == {"": (d("150.00"), 4), OUTLET_A: (d("150.00"), 4)}
    assert uow.events[1].balance.credit_limit == d("5000.00")
    (account,) = uow.accounts.all()
    assert account.version == 4
    # A number given is kept; the sequence goes on where it was.
    assert (await book(uow, "1.00", number="ERP-7")).number == "ERP-7"
    assert (await book(uow, "1.00")).number == "INV-000002"


async def test_a_new_invoice_takes_the_clients_advance() -> None:
    uow = FakeSettlementsUnitOfWork()
    advance = uow.payments.put(already_booked(payment("40.00")))
    invoice = await book(uow, "100.00")
    assert invoice.open_amount == d("60.00")
    (paid,) = uow.payments.all()
    assert (paid.unallocated, paid.version) == (d("0.00"), 2)
    assert list(uow.ledgers.allocations.values()) == [
        Allocation(CreditKind.PAYMENT, advance.id, invoice.id, d("40.00"))
    ]
    assert debts(uow.events)[""] == (d("60.00"), 1)  # the account's first version


async def test_a_resent_invoice_returns_the_original_and_other_data_is_refused() -> None:
    uow = FakeSettlementsUnitOfWork()
    sent = invoice_input("10.00", number="ERP-1", due=5)
    first = await uow.run(handlers.record_invoice, CFG, NOW, TODAY, sent)
    before, published = uow.state(), len(uow.events)
    again = await uow.run(handlers.record_invoice, CFG, NOW, TODAY, sent)
    assert again.id == first.id and again.number == "ERP-1"
    assert uow.state() == before and len(uow.events) == published
    other = dataclasses.replace(sent, amount=d("11.00"))
    await uow.refused(
        AlreadyExists, handlers.record_invoice, CFG, NOW, TODAY, other, match="already exists"
    )


async def test_a_credit_note_pays_the_invoice_of_its_order_first() -> None:
    uow = FakeSettlementsUnitOfWork()
    order = new_id()
    older = await book(uow, "50.00", due=-5, issued=-10)
    sale = await book(uow, "100.00", order_id=order, due=30)
    note = await book(uow, "-30.00", order_id=order, source=InvoiceSource.RETURN)
    assert (note.number, note.open_amount) == ("CN-000001", d("0.00"))
    opens = {i.id: (i.open_amount, i.version) for i in uow.invoices.all()}
    assert opens[sale.id] == (d("70.00"), 2)
    assert opens[older.id] == (d("50.00"), 1)


async def test_the_invoice_of_an_order_ends_its_credit_reservation() -> None:
    uow = FakeSettlementsUnitOfWork()
    order = new_id()
    uow.reservations.rows[order] = Reservation.create(
        order, CLIENT, d("100.00"), "ORDER_SUBMIT", NOW, 72
    )
    await book(uow, "100.00", order_id=order)
    assert uow.reservations.rows == {}
    assert uow.events[1].balance.reserved == 0


async def test_a_bad_invoice_is_refused() -> None:
    uow = FakeSettlementsUnitOfWork()
    for bad, message in (
        (invoice_input("1.00", client_id="acme"), "invoice.client_id: must be a UUID"),
        (invoice_input("0.00"), "invoice.amount: must not be zero"),
        (invoice_input("5.00", due=-1), "invoice.due_date: must not be before"),
    ):
        await uow.refused(
            InvalidArgument, handlers.record_invoice, CFG, NOW, TODAY, bad, match=message
        )


# ------------------------------------------------------------------------------- payments
async def test_a_payment_pays_the_named_invoices_first_then_the_oldest_due() -> None:
    uow = FakeSettlementsUnitOfWork()
    old = await book(uow, "100.00", due=-20, issued=-30)
    named = await book(uow, "80.00", due=10)
    published = len(uow.events)
    pay = await uow.run(
        handlers.record_payment, CFG, NOW, TODAY, payment_input("150.00", named=((named.id, None),))
    )
    assert [(a.invoice_id, a.amount) for a in pay.allocations] == [
        (named.id, d("80.00")),
        (old.id, d("70.00")),
    ]
    opens = {i.id: (i.open_amount, i.version) for i in uow.invoices.all()}
    assert opens == {old.id: (d("30.00"), 2), named.id: (d("0.00"), 2)}
    async with uow:
        stored = await uow.payments.get(pay.id)
    assert (stored.unallocated, stored.allocations) == (d("0.00"), pay.allocations)
    # Each invoice it paid changed once (its open amount after the allocations), then the
    # payment and the debts.
    changed = [e for e in uow.events[published:] if isinstance(e, InvoiceChanged)]
    assert sorted((e.invoice.id, e.invoice.open_amount, e.invoice.version) for e in changed) == (
        sorted([(old.id, d("30.00"), 2), (named.id, d("0.00"), 2)])
    )
    assert types(uow.events[published:])[len(changed) :] == [
        PaymentRecorded,
        DebtChanged,
        DebtChanged,
    ]
    assert debts(uow.events[published:])[""] == (d("30.00"), 3)


async def test_a_resent_payment_returns_the_original_and_other_data_is_refused() -> None:
    uow = FakeSettlementsUnitOfWork()
    await book(uow, "20.00")
    sent = payment_input("50.00")
    first = await uow.run(handlers.record_payment, CFG, NOW, TODAY, sent)
    before, published = uow.state(), len(uow.events)
    again = await uow.run(handlers.record_payment, CFG, NOW, TODAY, sent)
    assert (again.id, again.unallocated, again.allocations) == (
        first.id,
        d("30.00"),
        first.allocations,
    )
    assert uow.state() == before and len(uow.events) == published
    other = dataclasses.replace(sent, amount=d("51.00"))
    await uow.refused(
        AlreadyExists, handlers.record_payment, CFG, NOW, TODAY, other, match="already exists"
    )


async def test_a_bad_payment_is_refused() -> None:
    uow = FakeSettlementsUnitOfWork()
    foreign = await book(uow, "10.00", client_id=OTHER_CLIENT)
    for bad, error, message in (
        (dataclasses.replace(payment_input("5.00"), kind=None), InvalidArgument, "payment.kind"),
        (
            payment_input("5.00", named=((foreign.id, None),)),
            InvalidArgument,
            "belongs to another client",
        ),
        (
            payment_input("5.00", named=(("nope", None),)),
            NotFound,
            r"payment.allocations\[0\].invoice_id: invoice 'nope' not found",
        ),
    ):
        await uow.refused(error, handlers.record_payment, CFG, NOW, TODAY, bad, match=message)


# ------------------------------------------------------------------------------- balances
async def test_balance_of_the_client_and_of_an_outlet() -> None:
    uow = FakeSettlementsUnitOfWork()
    uow.accounts.put(ClientAccount(CLIENT, d("500.00"), 0, 1, NOW))
    await book(uow, "100.00", due=-35, issued=-40)
    await book(uow, "40.00", due=5, outlet_id=OUTLET_B)
    uow.reservations.rows["a"] = Reservation.create(
        new_id(), CLIENT, d("25.00"), "ORDER_SUBMIT", NOW, 72
    )
    uow.reservations.rows["b"] = Reservation.create(
        new_id(), CLIENT, d("10.00"), "ORDER_SUBMIT", NOW - timedelta(hours=80), 72
    )
    uow.read_only = True  # a query: it commits nothing
    async with uow:
        whole = await handlers.balance(uow, NOW, CLIENT, "", TODAY)
        outlet = await handlers.balance(uow, NOW, CLIENT, OUTLET_B, TODAY)
        unknown = await handlers.balance(uow, NOW, new_id(), "", TODAY)
    assert (whole.balance, whole.overdue, whole.max_overdue_days, whole.open_invoices) == (
        d("140.00"),
        d("100.00"),
        35,
        2,
    )
    assert (whole.credit_limit, whole.reserved) == (d("500.00"), d("25.00"))
    assert (outlet.balance, outlet.overdue, outlet.reserved) == (d("40.00"), 0, 0)
    assert (unknown.balance, unknown.credit_limit, unknown.reserved) == (0, None, 0)


# -------------------------------------------------------------------------- credit limit
async def test_a_new_credit_limit_is_published_with_the_clients_figures_once() -> None:
    uow = FakeSettlementsUnitOfWork()
    await book(uow, "70.00", outlet_id="")
    published = len(uow.events)

    async def set_limit(limit: str | None, terms: int) -> object:
        return await uow.run(
            handlers.set_credit_limit,
            CFG,
            NOW,
            TODAY,
            client_id=CLIENT,
            limit=d(limit) if limit else None,
            clear=limit is None,
            terms_days=terms,
        )

    snapshot = await set_limit("100.00", 14)
    assert (snapshot.credit_limit, snapshot.balance) == (d("100.00"), d("70.00"))
    (account,) = uow.accounts.all()
    assert (account.credit_limit, account.payment_terms_days, account.version) == (
        d("100.00"),
        14,
        2,
    )
    assert types(uow.events[published:]) == [DebtChanged]
    assert uow.events[-1].version == 2
    # The same terms again: nothing changes, nothing is published.
    before, published = uow.state(), len(uow.events)
    again = await set_limit("100.00", 14)
    assert again == snapshot and uow.state() == before and len(uow.events) == published
    cleared = await set_limit(None, 14)
    assert cleared.credit_limit is None and uow.events[-1].version == 3
    for limit, clear, terms, message in (
        (d("-1.00"), False, 0, "limit: must not be negative"),
        (None, False, 0, "limit: is required"),
        (d("1.00"), False, -3, "payment_terms_days"),
    ):
        await uow.refused(
            InvalidArgument,
            handlers.set_credit_limit,
            CFG,
            NOW,
            TODAY,
            client_id=CLIENT,
            limit=limit,
            clear=clear,
            terms_days=terms,
            match=message,
        )


# ------------------------------------------------------------------------------------ tare
async def test_a_container_deposit_is_set_and_a_bad_type_refused() -> None:
    uow = FakeSettlementsUnitOfWork()
    await uow.run(handlers.set_container_deposit, NOW, " keg-50 ", d("1500.00"))
    await uow.run(handlers.set_container_deposit, NOW, "keg-50", d("1600.00"))
    assert uow.deposits.rows == {"keg-50": d("1600.00")}
    await uow.refused(
        InvalidArgument,
        handlers.set_container_deposit,
        NOW,
        " ",
        d("1.00"),
        match="container_type: must not be empty",
    )


# ------------------------------------------------------------------------ orders' events
ORDER = "9f6c1f1e-4a8e-4b8e-9a3c-7c1e2f3a4b5c"
AGENT = "7e57a9e1-0000-4000-8000-000000000001"


def sale(
    gross: str,
    *,
    cash: str = "0",
    order_id: str = ORDER,
    day: int = 0,
    containers: tuple[tuple[str, str], ...] = (),
) -> handlers.VanSaleInput:
    return handlers.VanSaleInput(
        order_id=order_id,
        client_id=CLIENT,
        outlet_id=OUTLET_A,
        agent_id=AGENT,
        van_id=new_id(),
        order_date=TODAY + timedelta(days=day),
        gross_total=d(gross),
        cash_collected=d(cash),
        receipt_number="R-1",
        containers=tuple(handlers.ContainerLine(t, q) for t, q in containers),
    )


async def test_a_van_sale_books_its_invoice_cash_and_tare_and_ends_its_reservation() -> None:
    uow = FakeSettlementsUnitOfWork()
    uow.accounts.put(ClientAccount(CLIENT, None, 7, 2, NOW))
    uow.deposits.rows["keg-50"] = d("1500.00")
    uow.reservations.rows[ORDER] = Reservation.create(
        ORDER, CLIENT, d("1000.00"), "VAN_SALE", NOW, 72
    )
    sold = sale(
        "1000.00", cash="600.00", containers=(("keg-50", "3"), ("crate", "2"), ("keg-50", "1"))
    )
    booking = await uow.run(handlers.van_sale_completed, CFG, NOW, TODAY, sold)
    assert booking.released and booking.tare_moved == ["crate", "keg-50"]
    (invoice,) = uow.invoices.all()
    assert (invoice.id, invoice.number, invoice.source, invoice.due_date) == (
        ORDER,
        "VS-000001",
        InvoiceSource.VAN_SALE,
        TODAY + timedelta(days=7),
    )
    assert (invoice.amount, invoice.open_amount, invoice.version) == (
        d("1000.00"),
        d("400.00"),
        1,
    )
    async with uow:
        cash = await uow.payments.get(handlers.van_sale_payment_id(ORDER))
    assert (cash.kind, cash.amount, cash.unallocated, cash.collected_by, cash.source) == (
        PaymentKind.CASH,
        d("600.00"),
        d("0.00"),
        AGENT,
        PaymentSource.VAN_SALE,
    )
    assert [(a.invoice_id, a.amount) for a in cash.allocations] == [(ORDER, d("600.00"))]
    tare = {b.container_type: (b.issued, b.version) for b in uow.tare.all()}
    assert tare == {"keg-50": (d("4"), 1), "crate": (d("2"), 1)}
    assert [(m.container_type, m.direction) for m in uow.tare.movements.values()] == [
        ("crate", Direction.ISSUED),
        ("keg-50", Direction.ISSUED),
    ]
    assert uow.reservations.rows == {}
    assert types(uow.events) == [
        InvoiceIssued,
        PaymentRecorded,
        TareBalanceChanged,
        TareBalanceChanged,
        DebtChanged,
        DebtChanged,
        CreditStandingChanged,
        CashOnHandChanged,  # the van seller holds the sale's cash
    ]
    assert (uow.events[-1].employee_id, uow.events[-1].total) == (AGENT, d("600.00"))
    assert debts(uow.events) == {"": (d("400.00"), 3), OUTLET_A: (d("400.00"), 3)}
    keg = uow.events[3]
    assert (keg.balance.version, keg.deposit_per_unit, keg.document_id) == (1, d("1500.00"), ORDER)
    # The same sale delivered again books nothing.
    before, published = uow.state(), len(uow.events)
    again = await uow.run(handlers.van_sale_completed, CFG, NOW, TODAY, sold)
    assert (again.invoice, again.payment, again.tare_moved, again.released) == (
        None,
        None,
        [],
        False,
    )
    assert uow.state() == before and len(uow.events) == published


async def test_a_bad_van_sale_is_refused() -> None:
    uow = FakeSettlementsUnitOfWork()
    for bad, message in (
        (sale("10.00", order_id="order-1"), "order.id: must be a UUID"),
        (sale("-1.00"), "order.gross_total: must not be negative"),
        (sale("10.00", containers=(("keg", "x"),)), r"containers\[0\].quantity"),
    ):
        await uow.refused(
            InvalidArgument, handlers.van_sale_completed, CFG, NOW, TODAY, bad, match=message
        )


async def test_a_return_books_a_credit_note_on_its_sale_and_takes_the_tare_back() -> None:
    uow = FakeSettlementsUnitOfWork()
    older = new_id()
    await uow.run(
        handlers.van_sale_completed, CFG, NOW, TODAY, sale("300.00", order_id=older, day=-20)
    )
    await uow.run(
        handlers.van_sale_completed, CFG, NOW, TODAY, sale("1000.00", containers=(("keg-50", "5"),))
    )
    published = len(uow.events)
    ret = handlers.ReturnInput(
        return_id=new_id(),
        client_id=CLIENT,
        outlet_id=OUTLET_A,
        order_id=ORDER,
        date=TODAY + timedelta(days=1),
        gross_total=d("400.00"),
        containers=(handlers.ContainerLine("keg-50", "3"),),
    )
    booking = await uow.run(handlers.return_accepted, CFG, NOW, TODAY, ret)
    assert booking.invoice is not None and booking.tare_moved == ["keg-50"]
    opens = {i.id: (i.number[:3], i.open_amount, i.version) for i in uow.invoices.all()}
    assert opens == {
        older: ("VS-", d("300.00"), 1),
        ORDER: ("VS-", d("600.00"), 2),
        ret.return_id: ("CN-", d("0.00"), 1),
    }
    (keg,) = uow.tare.all()
    assert (keg.issued, keg.returned, keg.version) == (d("5"), d("3"), 2)
    assert types(uow.events[published:]) == [
        InvoiceChanged,  # the sale the credit note paid first
        InvoiceIssued,
        TareBalanceChanged,
        DebtChanged,
        DebtChanged,
    ]
    paid = uow.events[published]
    assert (paid.invoice.id, paid.invoice.open_amount, paid.invoice.version) == (
        ORDER,
        d("600.00"),
        2,
    )
    assert debts(uow.events[published:])[""] == (d("900.00"), 3)
    before, published = uow.state(), len(uow.events)
    await uow.run(handlers.return_accepted, CFG, NOW, TODAY, ret)
    assert uow.state() == before and len(uow.events) == published
    await uow.refused(
        InvalidArgument,
        handlers.return_accepted,
        CFG,
        NOW,
        TODAY,
        dataclasses.replace(ret, return_id=new_id(), client_id="acme"),
        match="goods_return.client_id",
    )


async def test_a_closed_order_gives_its_credit_back_once() -> None:
    uow = FakeSettlementsUnitOfWork()
    uow.reservations.rows[ORDER] = Reservation.create(
        ORDER, CLIENT, d("10.00"), "ORDER_SUBMIT", NOW, 72
    )
    assert await uow.run(handlers.order_closed, CFG, NOW, TODAY, ORDER) is True
    assert uow.reservations.rows == {}
    assert await uow.run(handlers.order_closed, CFG, NOW, TODAY, ORDER) is False
    await uow.refused(
        InvalidArgument,
        handlers.order_closed,
        CFG,
        NOW,
        TODAY,
        "x",
        match="order.id: must be a UUID",
    )
    # The client's standing judged again once, its credit given back (its first here).
    assert [(type(e), e.version) for e in uow.events] == [(CreditStandingChanged, 1)]
