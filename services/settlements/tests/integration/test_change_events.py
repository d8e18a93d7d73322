"""What the device gateway keeps its copies by, over gRPC and the SETTLEMENTS stream (real DB
and NATS): InvoiceChanged for every booked invoice a later booking changes, DebtPolicyChanged
for every change of a policy (and nothing when nothing changed), and the `version` of a listed
balance, invoice or tare balance being its events' aggregate version."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import Published, published
from fieldline_kit.testing.helpers import eventually, new_id
from fieldline_settlements.adapters import orm
from fieldline_settlements.adapters.event_mapper import tare_aggregate_id

from .builders import (
    dec,
    envelope,
    payment_request,
    publish,
    record_invoice,
    record_payment,
    set_limit,
    van_sale,
)
from .conftest import Harness

TODAY = date.today()
STREAM = "SETTLEMENTS"


def named(events: list[Published], name: str) -> list[Published]:
    return [e for e in events if e.name == name]


async def outbox_rows(h: Harness, subject: str, *aggregate_ids: str) -> list[tuple[str, int]]:
    """(aggregate id, version) of the outbox rows of `subject` about these aggregates."""
    t = orm.kit.outbox
    async with h.app.read_sessions() as s:
        rows = await s.execute(
            select(t.c.aggregate_id, t.c.aggregate_version).where(
                t.c.subject == f"settlements.events.v1.{subject}",
                t.c.aggregate_id.in_(aggregate_ids),
            )
        )
        return sorted((r.aggregate_id, r.aggregate_version) for r in rows)


# ------------------------------------------------------------------------- InvoiceChanged
async def test_a_payment_publishes_each_invoice_it_pays_in_its_own_transaction(
    svc: Harness,
) -> None:
    client = new_id()
    old = await record_invoice(
        svc, client, "100.00", issued=TODAY - timedelta(days=30), due=TODAY - timedelta(days=20)
    )
    chosen = await record_invoice(
        svc, client, "80.00", issued=TODAY, due=TODAY + timedelta(days=10)
    )
    untouched = await record_invoice(
        svc, client, "40.00", issued=TODAY, due=TODAY + timedelta(days=20)
    )
    request = payment_request(client, "150.00", on=TODAY, named=((chosen.id, ""),))
    await svc.settlements.RecordPayment(request)
    # Written with the payment, in its transaction: there when the call has answered.
    assert await outbox_rows(svc, "InvoiceChanged", old.id, chosen.id, untouched.id) == sorted(
        [(old.id, 2), (chosen.id, 2)]
    )
    events = await published(
        svc.js,
        STREAM,
        lambda e: e.aggregate_id in (old.id, chosen.id, untouched.id),
        expect=5,
        settle=0.5,
    )
    changed = {e.message.invoice.id: e for e in named(events, "InvoiceChanged")}  # type: ignore[attr-defined]
    assert set(changed) == {old.id, chosen.id}
    assert dec(changed[chosen.id].message.invoice.open_amount) == 0  # type: ignore[attr-defined]
    assert dec(changed[old.id].message.invoice.open_amount) == 30  # type: ignore[attr-defined]
    # The event is the invoice as listed, at the version its envelope names.
    listed = await all_invoices(svc, client)
    for invoice_id, e in changed.items():
        assert e.message.invoice == listed[invoice_id]  # type: ignore[attr-defined]
        assert e.envelope.aggregate_version == listed[invoice_id].version == 2
    assert listed[untouched.id].version == 1
    # A retry of the payment changes nothing and publishes nothing more.
    await svc.settlements.RecordPayment(request)
    again = await published(
        svc.js,
        STREAM,
        lambda e: e.aggregate_id in (old.id, chosen.id, untouched.id),
        expect=6,
        timeout=1.0,
    )
    assert len(again) == len(events) == 5  # 3 × InvoiceIssued, 2 × InvoiceChanged


async def all_invoices(h: Harness, client: str) -> dict[str, pb.Invoice]:
    page = await h.settlements.ListInvoices(ss.ListInvoicesRequest(client_id=client, page_size=100))
    return {i.id: i for i in page.invoices}


async def test_credit_notes_and_advances_change_the_invoices_they_meet(svc: Harness) -> None:
    client, order = new_id(), new_id()
    sale = await record_invoice(svc, client, "300.00", issued=TODAY, order_id=order)
    # A credit note for the order pays its sale first.
    note = await record_invoice(
        svc, client, "-100.00", issued=TODAY, order_id=order, source=pb.INVOICE_SOURCE_RETURN
    )
    assert dec(note.open_amount) == 0
    # An advance (nothing open to pay once the sale is paid): no invoice changes.
    await record_payment(svc, client, "200.00", on=TODAY)
    advance = await record_payment(svc, client, "50.00", on=TODAY)
    assert dec(advance.unallocated) == 50
    # A new invoice takes the advance in its own booking: its InvoiceIssued carries that.
    later = await record_invoice(svc, client, "80.00", issued=TODAY)
    assert dec(later.open_amount) == 30
    # An unused credit note's credit, then used by a new invoice: the note changes.
    spare = await record_invoice(
        svc, client, "-20.00", issued=TODAY, source=pb.INVOICE_SOURCE_RETURN
    )
    assert dec(spare.open_amount) == 0  # it paid 20 of `later`
    last = await record_invoice(
        svc, client, "-40.00", issued=TODAY, source=pb.INVOICE_SOURCE_RETURN
    )
    assert dec(last.open_amount) == -30  # 10 left open of `later`: paid; 30 unused
    closing = await record_invoice(svc, client, "100.00", issued=TODAY)
    ids = (sale.id, note.id, later.id, spare.id, last.id, closing.id)
    events = await published(svc.js, STREAM, lambda e: e.aggregate_id in ids, expect=11, settle=0.5)
    changes = [
        (e.message.invoice.id, dec(e.message.invoice.open_amount), e.envelope.aggregate_version)  # type: ignore[attr-defined]
        for e in named(events, "InvoiceChanged")
    ]
    assert sorted(changes) == sorted(
        [
            (sale.id, Decimal("200.00"), 2),  # the credit note
            (sale.id, Decimal("0.00"), 3),  # the first payment
            (later.id, Decimal("10.00"), 2),  # the spare credit note
            (later.id, Decimal("0.00"), 3),  # the last one
            (last.id, Decimal("0.00"), 2),  # its credit taken by the closing invoice
        ]
    )
    assert len(named(events, "InvoiceIssued")) == 6
    assert {e.message.invoice.id for e in named(events, "InvoiceIssued")} == set(ids)  # type: ignore[attr-defined]


async def test_a_van_sale_changes_the_credit_notes_it_takes(svc: Harness) -> None:
    """Through orders' events: the sale's own invoice is only issued (paid by its cash in the
    same booking); an older unused credit note it takes changes."""
    client, outlet = new_id(), new_id()
    note = await record_invoice(
        svc, client, "-30.00", issued=TODAY, outlet_id=outlet, source=pb.INVOICE_SOURCE_RETURN
    )
    sale = van_sale(client, outlet, "100.00", cash="50.00", on=TODAY)
    await publish(svc.js, envelope(sale, sale.order.id))
    events = await published(
        svc.js, STREAM, lambda e: e.aggregate_id in (note.id, sale.order.id), expect=3, settle=0.5
    )
    assert [e.name for e in events] == ["InvoiceIssued", "InvoiceChanged", "InvoiceIssued"]
    note_changed = named(events, "InvoiceChanged")[0].message.invoice  # type: ignore[attr-defined]
    assert (note_changed.id, dec(note_changed.open_amount), note_changed.version) == (note.id, 0, 2)
    issued = named(events, "InvoiceIssued")[-1].message.invoice  # type: ignore[attr-defined]
    assert (issued.id, dec(issued.open_amount), issued.version) == (sale.order.id, 20, 1)


# ---------------------------------------------------------------------- DebtPolicyChanged
def policy(client: str, mode: int = pb.DEBT_POLICY_MODE_WARN, days: int = 10) -> pb.DebtPolicy:
    return pb.DebtPolicy(
        client_id=client,
        mode=mode,
        check_credit_limit=True,
        max_overdue_days=days,
        stages=[pb.STAGE_ORDER_SUBMIT],
        override_roles=["SUPERVISOR"],
    )


async def set_policy(h: Harness, p: pb.DebtPolicy, *, clear: bool = False) -> pb.DebtPolicy:
    request = ss.SetDebtPolicyRequest(request_id=new_id(), policy=p, clear=clear)
    return (await h.settlements.SetDebtPolicy(request)).policy


def changes(events: list[Published]) -> list[tuple[int, bool, bool, Any]]:
    return [
        (
            e.envelope.aggregate_version,
            e.message.is_default,  # type: ignore[attr-defined]
            e.message.cleared,  # type: ignore[attr-defined]
            e.message.policy,  # type: ignore[attr-defined]
        )
        for e in events
    ]


async def test_each_change_of_a_clients_policy_is_published_and_nothing_else(
    svc: Harness,
) -> None:
    client = new_id()
    first = await set_policy(svc, policy(client))
    await set_policy(svc, policy(client))  # the same again: no change
    second = await set_policy(svc, policy(client, pb.DEBT_POLICY_MODE_BLOCK))
    company = (await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest())).policy
    in_force = await set_policy(svc, pb.DebtPolicy(client_id=client), clear=True)
    assert in_force == company
    await set_policy(svc, pb.DebtPolicy(client_id=client), clear=True)  # none to clear
    third = await set_policy(svc, policy(client, days=20))
    await set_policy(svc, policy(client, days=20))
    events = await published(
        svc.js, STREAM, lambda e: e.aggregate_id == client, expect=4, settle=0.5
    )
    assert {e.name for e in events} == {"DebtPolicyChanged"}
    assert {e.envelope.aggregate_type for e in events} == {"debt_policy"}
    assert {e.message.client_id for e in events} == {client}  # type: ignore[attr-defined]
    assert changes(events) == [
        (1, False, False, first),
        (2, False, False, second),
        (3, True, True, company),  # cleared: the company's is in force again
        (4, False, False, third),
    ]
    # Each is what GetDebtPolicy answered then; now the last one.
    now = await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest(client_id=client))
    assert (now.policy, now.is_default) == (third, False)


async def test_the_companys_policy_changes_are_published_about_the_company(
    svc: Harness,
) -> None:
    before = await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest())
    seen = len(await published(svc.js, STREAM, lambda e: e.aggregate_id == "company", expect=0))
    try:
        stored = await set_policy(svc, policy("", pb.DEBT_POLICY_MODE_IGNORE, days=99))
        configured = await set_policy(svc, pb.DebtPolicy(), clear=True)
        events = await published(
            svc.js, STREAM, lambda e: e.aggregate_id == "company", expect=seen + 2, settle=0.5
        )
        (set_, cleared) = events[seen:]
        assert (set_.message.client_id, set_.message.policy, set_.message.is_default) == (  # type: ignore[attr-defined]
            "",
            stored,
            True,
        )
        assert cleared.message.cleared and cleared.message.policy == configured  # type: ignore[attr-defined]
        assert cleared.envelope.aggregate_version == set_.envelope.aggregate_version + 1
    finally:  # the company's policy as it was, for the module's other tests
        if before.policy != (await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest())).policy:
            await set_policy(svc, before.policy)


# ------------------------------------------------------------------------------ versions
async def test_a_listed_balance_and_tare_balance_carry_their_last_events_version(
    svc: Harness,
) -> None:
    client, outlet, keg = new_id(), new_id(), f"keg-{new_id()[:8]}"
    await set_limit(svc, client, "1000.00")
    for gross in ("100.00", "50.00"):
        sale = van_sale(client, outlet, gross, on=TODAY, containers=((keg, "2"),))
        await publish(svc.js, envelope(sale, sale.order.id))
    await record_payment(svc, client, "30.00", on=TODAY)

    async def booked() -> bool:
        b = await svc.settlements.GetBalance(ss.GetBalanceRequest(client_id=client))
        return dec(b.balance.balance) == 120

    await eventually(booked, within=20, what="both sales and the payment booked")
    about = (client, outlet, tare_aggregate_id(client, keg))
    debts = await published(svc.js, STREAM, lambda e: e.aggregate_id in about, expect=9, settle=0.5)
    last = max(e.envelope.aggregate_version for e in debts if e.name == "DebtChanged")
    assert last == 4  # the limit, two sales, the payment
    got = (await svc.settlements.GetBalance(ss.GetBalanceRequest(client_id=client))).balance
    assert got.version == last
    for_outlet = await svc.settlements.GetBalance(
        ss.GetBalanceRequest(client_id=client, outlet_id=outlet)
    )
    assert for_outlet.balance.version == last
    latest = [e for e in debts if e.name == "DebtChanged" and e.envelope.aggregate_id == client]
    assert latest[-1].message.balance == got  # type: ignore[attr-defined]
    (listed,) = (
        await svc.orders.ListBalances(ss.ListBalancesRequest(client_ids=[client]))
    ).balances
    assert listed == got
    # The tare balance: two movements, version 2, as its last TareBalanceChanged.
    tare = [e for e in debts if e.name == "TareBalanceChanged"]
    (balance,) = (
        await svc.orders.ListTareBalances(ss.ListTareBalancesRequest(client_ids=[client]))
    ).balances
    assert [e.envelope.aggregate_version for e in tare] == [1, 2]
    assert balance == tare[-1].message.balance and balance.version == 2  # type: ignore[attr-defined]
    # A client never booked: version 0.
    assert (
        await svc.settlements.GetBalance(ss.GetBalanceRequest(client_id=new_id()))
    ).balance.version == 0


async def test_a_new_invoice_is_listed_at_the_version_of_its_issue(svc: Harness) -> None:
    client = new_id()
    issued = await record_invoice(svc, client, "10.00", issued=TODAY, number=f"V-{new_id()[:6]}")
    assert issued.version == 1
    (e,) = await published(svc.js, STREAM, lambda e: e.aggregate_id == issued.id, expect=1)
    assert e.message.invoice == issued and e.envelope.aggregate_version == 1  # type: ignore[attr-defined]
