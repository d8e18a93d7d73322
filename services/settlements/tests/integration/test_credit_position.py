"""The credit checks' one-statement read equals what the loaded ledger and reservations give.

The read covers a batch (several clients, several orders, the figures as of any day up to the
batch's latest); a single check reads it for one client and one order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from fieldline_settlements.adapters import orm
from fieldline_settlements.adapters.repository import (
    CreditPositions,
    credit_positions,
    load_ledger,
    reserved_total,
)
from fieldline_settlements.domain.credit import NO_DEBT, ReservationBook

from .builders import check, new_id, record_invoice, record_payment
from .conftest import Harness


async def expected_position(
    h: Harness, client_id: str, order_id: str, as_of: date, now: datetime
) -> tuple[object, ...]:
    """The figures as the ledger computes them from the loaded documents, and the reservations
    as the repository's separate queries see them."""
    r, i = orm.credit_reservations, orm.invoices
    async with h.app.sessions() as s, s.begin():
        figures = (await load_ledger(s, client_id)).figures(as_of)
        reserved = await reserved_total(s, client_id, now, exclude_order=order_id)
        expired = await s.scalar(
            select(func.count()).where(r.c.client_id == client_id, r.c.expires_at <= now)
        )
        order_reserved = await s.scalar(select(func.count()).where(r.c.order_id == order_id))
        invoiced = await s.scalar(
            select(func.count()).where((i.c.order_id == order_id) | (i.c.id == order_id))
        )
    return figures, reserved, expired, bool(order_reserved), bool(invoiced)


async def read(
    h: Harness, clients: list[str], orders: list[str], latest: date, now: datetime
) -> CreditPositions:
    async with h.app.sessions() as s, s.begin():
        return await credit_positions(s, clients, orders, latest, now)


def position(
    read: CreditPositions, client_id: str, order_id: str, as_of: date, now: datetime
) -> tuple[object, ...]:
    """What a check of the order reads, as the batch's judging sees it before any check."""
    book = ReservationBook(now, read.held, read.others, read.invoiced)
    return (
        read.debts.get(client_id, NO_DEBT).figures(as_of),
        book.reserved(client_id, order_id),
        book.expired(client_id),
        book.holds(order_id),
        book.invoiced(order_id),
    )


async def test_credit_position_matches_the_ledger_and_the_reservations(svc: Harness) -> None:
    debtor, advance, other, clean = new_id(), new_id(), new_id(), new_id()
    outlet = new_id()
    # Debtor: invoices overdue, partly paid, not yet due; a credit note; another client's
    # documents next to them.
    oldest = await record_invoice(
        svc, debtor, "80.00", issued=date(2024, 4, 1), due=date(2024, 4, 10), outlet_id=outlet
    )
    await record_payment(svc, debtor, "30.00", on=date(2024, 4, 5), named=((oldest.id, ""),))
    await record_invoice(svc, debtor, "250.00", issued=date(2024, 5, 1), due=date(2024, 5, 20))
    await record_invoice(svc, debtor, "100.00", issued=date(2024, 6, 1), due=date(2024, 7, 15))
    invoiced_order = new_id()
    await record_invoice(
        svc,
        debtor,
        "-40.00",
        issued=date(2024, 6, 2),
        due=date(2024, 6, 2),
        order_id=invoiced_order,
    )
    await record_invoice(svc, other, "999.00", issued=date(2024, 1, 1), due=date(2024, 1, 2))
    # Advance: paid more than it owes, so an unallocated payment and no open invoice.
    await record_invoice(svc, advance, "10.00", issued=date(2024, 6, 1), due=date(2024, 6, 5))
    await record_payment(svc, advance, "75.50", on=date(2024, 6, 3))
    # Reservations: two orders of a client without debt, one of the advance client; the
    # debtor's check is blocked (overdue) and reserves nothing.
    held = new_id()
    await check(svc, clean, "12.34", order_id=held)
    await check(svc, clean, "7.00")
    await check(svc, advance, "5.00")
    await check(svc, debtor, "3.00")

    now = datetime.now(UTC)
    days = (date(2024, 4, 10), date(2024, 5, 21), date(2024, 6, 30), date(2025, 1, 1))
    clients = [debtor, advance, other, clean, new_id()]
    orders = [held, invoiced_order, new_id()]
    for at in (now, now + timedelta(hours=200)):  # the second: all expired
        expected = {
            (client, order, as_of): await expected_position(svc, client, order, as_of, at)
            for client in clients
            for order in orders
            for as_of in days
        }
        # A single check: one client, one order, one day.
        for (client, order, as_of), want in expected.items():
            one = await read(svc, [client], [order], as_of, at)
            got = position(one, client, order, as_of, at)
            assert got == want, (client, order, as_of, at)
        # A batch: every client and order at once, judged as of any day up to the latest.
        for latest in days:
            batch = await read(svc, clients, orders, latest, at)
            for (client, order, as_of), want in expected.items():
                if as_of <= latest:
                    got = position(batch, client, order, as_of, at)
                    assert got == want, (client, order, as_of, latest, at)
        # Only the clients and orders asked about are read.
        some = await read(svc, [debtor, clean], [held, new_id()], days[-1], at)
        assert some.debts.keys() == {debtor}
        assert [r.order_id for r in some.held] == [held] and not some.invoiced
    # The cases above include non-zero figures of every kind.
    as_of = date(2024, 6, 30)
    figures = (await position_now(svc, debtor, as_of, now))[0]
    assert figures.overdue > 0 and figures.max_overdue_days == 81
    assert figures.open_invoices == 3 and figures.balance == Decimal("360.00")
    assert (await position_now(svc, advance, as_of, now))[0].balance == Decimal("-65.50")
    assert (await position_now(svc, clean, as_of, now))[1] == Decimal("19.34")
    assert (await position_now(svc, clean, as_of, now + timedelta(hours=200)))[2] == 2


async def position_now(h: Harness, client_id: str, as_of: date, now: datetime) -> tuple[Any, ...]:
    order = new_id()
    return position(await read(h, [client_id], [order], as_of, now), client_id, order, as_of, now)
