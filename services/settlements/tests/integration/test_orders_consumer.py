"""The settlements-orders consumer: real orders events on the ORDERS stream."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import published
from fieldline_kit.testing.helpers import eventually, new_id
from fieldline_settlements.adapters import orm
from fieldline_settlements.service_layer.handlers import van_sale_payment_id

from .builders import (
    balance,
    check,
    count,
    dec,
    envelope,
    goods_return,
    pb_date,
    publish,
    record_payment,
    rub,
    set_limit,
    status_changed,
    van_sale,
)
from .conftest import Harness

SALE_DAY = date(2024, 5, 10)


async def inbox_has(h: Harness, event_id: str) -> bool:
    t = orm.kit.inbox
    return await count(h, t, t.c.event_id == event_id) == 1


async def processed(h: Harness, *event_ids: str) -> None:
    async def done() -> bool:
        return all([await inbox_has(h, e) for e in event_ids])

    await eventually(done, within=15, what=f"events {event_ids} in the inbox")


async def tare(h: Harness, client_id: str) -> dict[str, pb.TareBalance]:
    response = await h.settlements.GetTareBalance(ss.GetTareBalanceRequest(client_id=client_id))
    return {b.container_type: b for b in response.balances}


async def test_van_sale_books_invoice_cash_payment_tare_and_releases_the_reservation(
    svc: Harness,
) -> None:
    client, outlet = new_id(), new_id()
    await set_limit(svc, client, "100000.00", terms=7)
    await svc.settlements.SetContainerDeposit(
        ss.SetContainerDepositRequest(
            request_id=new_id(), container_type="keg-50", deposit=rub("1500.00")
        )
    )
    sale = van_sale(
        client,
        outlet,
        "12345.60",
        cash="10000.00",
        on=SALE_DAY,
        containers=(("keg-50", "3"), ("crate-20", "2"), ("keg-50", "1")),
        receipt="КО-000123",
    )
    order_id = sale.order.id
    checked = await check(svc, client, "12345.60", order_id=order_id, stage=pb.STAGE_VAN_SALE)
    assert checked.outcome == ss.CREDIT_OUTCOME_ALLOW
    assert dec((await balance(svc, client)).reserved) == Decimal("12345.60")

    env = envelope(sale, order_id)
    await publish(svc.js, env)
    await processed(svc, env.event_id)

    invoices = (
        await svc.settlements.ListInvoices(ss.ListInvoicesRequest(client_id=client))
    ).invoices
    (inv,) = invoices
    assert (inv.id, inv.order_id, inv.source) == (order_id, order_id, pb.INVOICE_SOURCE_VAN_SALE)
    assert inv.number.startswith("VS-") and inv.outlet_id == outlet
    assert (inv.issue_date, inv.due_date) == (
        pb_date(SALE_DAY),
        pb_date(SALE_DAY + timedelta(days=7)),
    )
    assert (dec(inv.amount), dec(inv.open_amount)) == (Decimal("12345.60"), Decimal("2345.60"))

    async with svc.app.sessions() as s:
        pay = (
            await s.execute(select(orm.payments).where(orm.payments.c.client_id == client))
        ).one()
        allocs = (
            await s.execute(select(orm.allocations).where(orm.allocations.c.source_id == pay.id))
        ).all()
    assert (pay.id, pay.kind, pay.amount, pay.unallocated) == (
        van_sale_payment_id(order_id),
        "cash",
        Decimal("10000.00"),
        Decimal("0.00"),
    )
    assert (pay.receipt_number, pay.collected_by) == ("КО-000123", sale.order.agent_id)
    assert [(a.invoice_id, a.amount) for a in allocs] == [(order_id, Decimal("10000.00"))]

    bal = await balance(svc, client)
    assert (dec(bal.balance), dec(bal.reserved), bal.open_invoices) == (Decimal("2345.60"), 0, 1)
    by_type = await tare(svc, client)
    assert (by_type["keg-50"].issued, by_type["keg-50"].balance) == ("4", "4")
    assert dec(by_type["keg-50"].deposit_value) == 6000
    assert (by_type["crate-20"].balance, dec(by_type["crate-20"].deposit_per_unit)) == ("2", 0)

    events = await published(
        svc.js, "SETTLEMENTS", lambda e: e.causation_id == env.event_id, expect=8
    )
    names = sorted(name for name, _, _ in events)
    assert names == [
        "CashOnHandChanged",
        "CreditStandingChanged",
        "DebtChanged",
        "DebtChanged",
        "InvoiceIssued",
        "PaymentRecorded",
        "TareBalanceChanged",
        "TareBalanceChanged",
    ]
    # What is left of the sale is long overdue (due 2024-05-17): the company's policy now
    # blocks the client's orders at both stages (it allowed them when the sale was checked).
    standing = next(p for n, p, _ in events if n == "CreditStandingChanged").standing  # type: ignore[attr-defined]
    assert [(s.outcome, [r.code for r in s.reasons]) for s in standing.stages] == [
        (ss.CREDIT_OUTCOME_BLOCK, [ss.CREDIT_REASON_CODE_OVERDUE])
    ] * 2
    assert (dec(standing.figures.balance), dec(standing.figures.reserved)) == (
        Decimal("2345.60"),
        0,
    )
    assert (
        standing
        == (
            await svc.settlements.GetCreditStanding(ss.GetCreditStandingRequest(client_id=client))
        ).standing
    )
    issued = next(p for n, p, _ in events if n == "InvoiceIssued")
    assert dec(issued.invoice.open_amount) == Decimal("2345.60")  # type: ignore[attr-defined]
    recorded = next(p for n, p, _ in events if n == "PaymentRecorded")
    assert [a.invoice_id for a in recorded.payment.allocations] == [order_id]  # type: ignore[attr-defined]
    assert recorded.payment.source == pb.PAYMENT_SOURCE_VAN_SALE  # type: ignore[attr-defined]
    held = next(p for n, p, _ in events if n == "CashOnHandChanged")
    assert (held.employee_id, dec(held.total)) == (sale.order.agent_id, 10000)  # type: ignore[attr-defined]
    keg = next(
        p
        for n, p, _ in events
        if n == "TareBalanceChanged" and p.balance.container_type == "keg-50"  # type: ignore[attr-defined]
    )
    assert keg.document_id == order_id  # type: ignore[attr-defined]


async def test_the_same_sale_delivered_twice_books_once(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    sale = van_sale(
        client, outlet, "500.00", cash="200.00", on=SALE_DAY, containers=(("bottle-0.5", "24"),)
    )
    env = envelope(sale, sale.order.id)
    # Two copies of one event (outside the duplicate window: different Nats-Msg-Id) ...
    await publish(svc.js, env, msg_id=f"{env.event_id}-copy-1")
    await publish(svc.js, env, msg_id=f"{env.event_id}-copy-2")
    # ... and the sale re-emitted by orders as a new event.
    again = envelope(sale, sale.order.id)
    await publish(svc.js, again)
    await processed(svc, env.event_id, again.event_id)
    # Give the second copy of the first event time to be seen (and skipped) too.
    info_ok = False
    for _ in range(50):
        info = await svc.js.consumer_info("ORDERS", "settlements-orders")
        if info.num_pending == 0 and info.num_ack_pending == 0:
            info_ok = True
            break
        await asyncio.sleep(0.1)
    assert info_ok
    assert await count(svc, orm.invoices, orm.invoices.c.client_id == client) == 1
    assert await count(svc, orm.payments, orm.payments.c.client_id == client) == 1
    assert await count(svc, orm.tare_movements, orm.tare_movements.c.client_id == client) == 1
    assert await count(svc, orm.allocations, orm.allocations.c.invoice_id == sale.order.id) == 1
    assert dec((await balance(svc, client)).balance) == 300
    assert (await tare(svc, client))["bottle-0.5"].balance == "24"
    # The re-emitted copy published nothing.
    events = await published(
        svc.js, "SETTLEMENTS", lambda e: e.causation_id == again.event_id, expect=0, timeout=1
    )
    assert events == []


async def test_advance_pays_a_later_van_sale(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    await record_payment(svc, client, "1000.00", on=SALE_DAY - timedelta(days=3))
    sale = van_sale(client, outlet, "700.00", on=SALE_DAY)
    env = envelope(sale, sale.order.id)
    await publish(svc.js, env)
    await processed(svc, env.event_id)
    (inv,) = (await svc.settlements.ListInvoices(ss.ListInvoicesRequest(client_id=client))).invoices
    assert dec(inv.open_amount) == 0
    assert dec((await balance(svc, client)).balance) == -300


async def test_a_sale_from_a_distributor_s_van_is_invoiced_as_the_distributor_s(
    svc: Harness,
) -> None:
    """One ledger: the invoice is booked like any other, and names the distributor."""
    client, outlet, distributor = new_id(), new_id(), new_id()
    sale = van_sale(client, outlet, "250.00", on=SALE_DAY)
    sale.order.distributor_id = distributor
    env = envelope(sale, sale.order.id)
    await publish(svc.js, env)
    await processed(svc, env.event_id)
    (inv,) = (await svc.settlements.ListInvoices(ss.ListInvoicesRequest(client_id=client))).invoices
    assert (inv.distributor_id, dec(inv.amount)) == (distributor, 250)
    assert dec((await balance(svc, client)).balance) == 250


async def test_return_books_a_credit_note_on_the_sale_and_takes_tare_back(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    older = van_sale(client, outlet, "300.00", on=SALE_DAY - timedelta(days=20))
    sale = van_sale(client, outlet, "1000.00", on=SALE_DAY, containers=(("keg-50", "5"),))
    for s in (older, sale):
        await publish(svc.js, envelope(s, s.order.id))
    ret = goods_return(
        client,
        outlet,
        "400.00",
        on=SALE_DAY + timedelta(days=1),
        order_id=sale.order.id,
        containers=(("keg-50", "3"),),
    )
    env = envelope(ret, ret.goods_return.id)
    await publish(svc.js, env)
    await processed(svc, env.event_id)
    invoices = {
        i.id: i
        for i in (
            await svc.settlements.ListInvoices(ss.ListInvoicesRequest(client_id=client))
        ).invoices
    }
    note = invoices[ret.goods_return.id]
    assert (note.source, dec(note.amount), dec(note.open_amount)) == (
        pb.INVOICE_SOURCE_RETURN,
        -400,
        0,
    )
    assert note.number.startswith("CN-") and note.order_id == sale.order.id
    # The credit note paid the sale it came from, not the older invoice.
    assert dec(invoices[sale.order.id].open_amount) == 600
    assert dec(invoices[older.order.id].open_amount) == 300
    assert dec((await balance(svc, client)).balance) == 900
    keg = (await tare(svc, client))["keg-50"]
    assert (keg.issued, keg.returned, keg.balance) == ("5", "3", "2")
    statement = await svc.settlements.GetStatement(ss.GetStatementRequest(client_id=client))
    assert [line.kind for line in statement.lines] == ["invoice", "invoice", "credit_note"]
    assert dec(statement.closing_balance) == 900


async def test_cancelled_or_rejected_orders_release_their_reservation(svc: Harness) -> None:
    client = new_id()
    cancelled, rejected, shipped = new_id(), new_id(), new_id()
    for order_id in (cancelled, rejected, shipped):
        await check(svc, client, "100.00", order_id=order_id)
    assert dec((await balance(svc, client)).reserved) == 300
    envs = [
        envelope(status_changed(cancelled, client, opb.ORDER_STATUS_CANCELLED), cancelled),
        envelope(status_changed(rejected, client, opb.ORDER_STATUS_REJECTED), rejected),
        envelope(status_changed(shipped, client, opb.ORDER_STATUS_SHIPPED), shipped),
    ]
    for env in envs:
        await publish(svc.js, env)
    await processed(svc, *(e.event_id for e in envs))
    assert dec((await balance(svc, client)).reserved) == 100


async def test_foreign_currency_sale_is_dead_lettered_and_the_next_one_still_applies(
    svc: Harness,
) -> None:
    client, outlet = new_id(), new_id()
    bad = van_sale(client, outlet, "10.00", on=SALE_DAY, currency="USD")
    good = van_sale(client, outlet, "20.00", on=SALE_DAY)
    bad_env, good_env = envelope(bad, bad.order.id), envelope(good, good.order.id)
    await publish(svc.js, bad_env)
    await publish(svc.js, good_env)
    await processed(svc, good_env.event_id)
    dl = orm.kit.dead_letter

    async def dead_lettered() -> bool:
        return await count(svc, dl, dl.c.event_id == bad_env.event_id) == 1

    await eventually(dead_lettered, within=15, what="the dead letter")
    async with svc.app.sessions() as s:
        error = (
            await s.execute(select(dl.c.error).where(dl.c.event_id == bad_env.event_id))
        ).scalar_one()
    assert "order.currency_code: must be RUB" in error
    assert dec((await balance(svc, client)).balance) == 20
    assert await count(svc, orm.invoices, orm.invoices.c.client_id == client) == 1
