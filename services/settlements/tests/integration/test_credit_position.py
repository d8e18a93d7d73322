"""The credit check's one-statement read equals what the loaded ledger and reservations give."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from fieldline_settlements.adapters import orm
from fieldline_settlements.adapters.repository import (
    CreditPosition,
    credit_position,
    load_ledger,
    reserved_total,
)

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


async def position(
    h: Harness, client_id: str, order_id: str, as_of: date, now: datetime
) -> tuple[object, ...]:
    async with h.app.sessions() as s, s.begin():
        p = await credit_position(s, client_id, order_id, as_of, now)
    return p.figures, p.reserved, p.expired, p.order_reserved, p.order_invoiced


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
    for client in (debtor, advance, other, clean, new_id()):
        for order in (held, invoiced_order, new_id()):
            for as_of in days:
                for at in (now, now + timedelta(hours=200)):  # the second: all expired
                    got = await position(svc, client, order, as_of, at)
                    assert got == await expected_position(svc, client, order, as_of, at), (
                        client,
                        order,
                        as_of,
                        at,
                    )
    # The cases above include non-zero figures of every kind.
    p = await credit_position_now(svc, debtor, now)
    assert p.figures.overdue > 0 and p.figures.max_overdue_days == 81
    assert p.figures.open_invoices == 3 and p.figures.balance == Decimal("360.00")
    assert (await credit_position_now(svc, advance, now)).figures.balance == Decimal("-65.50")
    assert (await credit_position_now(svc, clean, now)).reserved == Decimal("19.34")
    assert (await credit_position_now(svc, clean, now + timedelta(hours=200))).expired == 2


async def credit_position_now(h: Harness, client_id: str, now: datetime) -> CreditPosition:
    async with h.app.sessions() as s, s.begin():
        return await credit_position(s, client_id, new_id(), date(2024, 6, 30), now)
