"""The credit checks' one-statement read equals what the loaded ledger and reservations give.

The read covers a batch (several clients, several orders, the figures as of any day up to the
batch's latest); a single check reads it for one client and one order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.adapters import orm
from fieldline_settlements.adapters.repository import (
    CreditPositions,
    credit_positions,
    load_ledger,
    reserved_total,
)
from fieldline_settlements.domain.account import Reservation
from fieldline_settlements.domain.credit import NO_DEBT, ReservationBook
from fieldline_settlements.service_layer import handlers

from .builders import check, record_invoice, record_payment
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


async def set_policy(h: Harness, client_id: str, mode: int, max_overdue_days: int) -> None:
    await h.settlements.SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                client_id=client_id,
                mode=mode,
                check_credit_limit=False,
                max_overdue_days=max_overdue_days,
                stages=[pb.STAGE_VAN_SALE],
                override_roles=["credit_controller", "SUPERVISOR"],
            ),
        )
    )


async def test_credit_position_reads_the_policies_in_force(svc: Harness) -> None:
    """The same read brings the batch's clients' own policies and the company's: the ones
    `effective_policy` reads."""
    own, plain, other = new_id(), new_id(), new_id()
    now, day = datetime.now(UTC), date(2024, 6, 1)
    await set_policy(svc, own, pb.DEBT_POLICY_MODE_IGNORE, 5)
    await set_policy(svc, other, pb.DEBT_POLICY_MODE_WARN, 7)
    got = await read(svc, [own, plain], [new_id()], day, now)
    async with svc.app.uow() as uow:
        expected_own, is_default = await handlers.effective_policy(uow, svc.app.config, own)
    assert not is_default and expected_own.override_roles == ("CREDIT_CONTROLLER", "SUPERVISOR")
    assert got.policies == {own: expected_own}  # not the other client's
    assert got.company_policy is None  # none stored: the configured one applies
    try:
        await set_policy(svc, "", pb.DEBT_POLICY_MODE_WARN, 60)
        got = await read(svc, [plain], [new_id()], day, now)
        async with svc.app.uow() as uow:
            company, is_default = await handlers.effective_policy(uow, svc.app.config, plain)
        assert is_default and company.max_overdue_days == 60
        assert got.policies == {} and got.company_policy == company
    finally:
        await svc.settlements.SetDebtPolicy(
            ss.SetDebtPolicyRequest(request_id=new_id(), clear=True)
        )


async def test_reservations_are_stored_as_a_plain_insert_stores_them(svc: Harness) -> None:
    """`put_many` writes all its rows in one statement from whole columns (SQLite: a JSON
    array of values in their stored form); the rows must be exactly what a plain INSERT of
    the same reservation stores, and a second put replaces an order's reservation."""
    t = orm.credit_reservations
    now = datetime.now(UTC)
    client = new_id()
    amounts = ("0.01", "12.34", "100.00", "999999999.99")
    plain = [
        Reservation.create(new_id(), client, Decimal(a), "VAN_SALE", now, 72.5) for a in amounts
    ]
    put = [Reservation.create(new_id(), client, r.amount, r.stage, now, 72.5) for r in plain]
    raw = text(
        "SELECT client_id, amount, stage, created_at, expires_at FROM credit_reservations "
        "WHERE order_id = :order_id"
    )
    async with svc.app.uow() as uow:
        for r in plain:
            await uow.session.execute(
                insert(t).values(
                    order_id=r.order_id,
                    client_id=r.client_id,
                    amount=r.amount,
                    stage=r.stage,
                    created_at=r.created_at,
                    expires_at=r.expires_at,
                )
            )
        await uow.reservations.put_many(list(reversed(put)))
        for a, b in zip(plain, put, strict=True):
            stored_plain = (await uow.session.execute(raw, {"order_id": a.order_id})).one()
            stored_put = (await uow.session.execute(raw, {"order_id": b.order_id})).one()
            assert tuple(stored_put) == tuple(stored_plain), (a.amount, stored_put, stored_plain)
        # Putting again replaces (one reservation per order), the others stay.
        later = now + timedelta(minutes=5)
        again = Reservation.create(
            put[1].order_id, client, Decimal("7.00"), "ORDER_SUBMIT", later, 1
        )
        await uow.reservations.put_many([again])
        await uow.commit()
    held = await read(svc, [client], [r.order_id for r in put], date(2024, 6, 1), now)
    by_order = {r.order_id: r for r in held.held}
    assert by_order[put[1].order_id] == again
    assert [by_order[r.order_id] for r in (put[0], put[2], put[3])] == [put[0], put[2], put[3]]
