"""The payments registry over real gRPC: ListPayments' keyset pages (stable while payments
arrive), its filters, each payment with its allocations, bad input named per field; the
payment's new fields (source, recorded_by, visit, create time, version) and the BANK rule.
Scope parity with ListInvoices: tests/integration/test_scopes.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import grpc
import pytest

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually_value, expect_error, new_id

from .builders import (
    dec,
    envelope,
    pb_date,
    publish,
    record_invoice,
    record_payment,
    rub,
    snapshot,
    van_sale,
)
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED
DAY = date(2025, 3, 10)


def cash_request(
    client_id: str,
    amount: str,
    *,
    on: date = DAY,
    outlet_id: str = "",
    visit_id: str = "",
    collected_by: str = "",
) -> ss.RecordPaymentRequest:
    return ss.RecordPaymentRequest(
        request_id=new_id(),
        payment=pb.Payment(
            id=new_id(),
            kind=pb.PAYMENT_KIND_CASH,
            client_id=client_id,
            outlet_id=outlet_id,
            date=pb_date(on),
            amount=rub(amount),
            receipt_number="R-9",
            collected_by=collected_by,
            visit_id=visit_id,
        ),
    )


async def every_page(h: Harness, size: int = 100, **filters: Any) -> list[pb.Payment]:
    found, token = [], ""
    while True:
        page = await h.settlements.ListPayments(
            ss.ListPaymentsRequest(page_size=size, page_token=token, **filters)
        )
        found += list(page.payments)
        token = page.next_page_token
        if not token:
            return found


def key(p: pb.Payment) -> tuple[date, str]:
    return (date(p.date.year, p.date.month, p.date.day), p.id)


async def test_pages_by_date_then_id_and_stay_stable_while_payments_arrive(svc: Harness) -> None:
    client = new_id()
    first = [
        await record_payment(svc, client, "10.00", on=DAY + timedelta(days=n % 4)) for n in range(9)
    ]
    seen: list[pb.Payment] = []
    page = await svc.settlements.ListPayments(ss.ListPaymentsRequest(page_size=4, client_id=client))
    late: list[pb.Payment] = []
    while True:
        seen += list(page.payments)
        if not page.next_page_token:
            break
        # Between pages: one payment behind the page read (never shown: its key is passed),
        # one far ahead (shown once, in its place).
        late.append(await record_payment(svc, client, "1.00", on=DAY - timedelta(days=30)))
        late.append(await record_payment(svc, client, "2.00", on=DAY + timedelta(days=90)))
        page = await svc.settlements.ListPayments(
            ss.ListPaymentsRequest(page_size=4, client_id=client, page_token=page.next_page_token)
        )
    keys = [key(p) for p in seen]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    ahead = {p.id for p in late if dec(p.amount) == 2}
    behind = {p.id for p in late if dec(p.amount) == 1}
    assert {p.id for p in first} | ahead == {p.id for p in seen}
    assert not behind & {p.id for p in seen}
    # Read again from the start: everything, in order.
    again = await every_page(svc, size=5, client_id=client)
    assert [key(p) for p in again] == sorted(key(p) for p in [*first, *late])


async def test_filters_and_each_payment_with_its_allocations(svc: Harness) -> None:
    client, outlet, other_outlet, visit = new_id(), new_id(), new_id(), new_id()
    agent = Caller(new_id(), {"AGENT"})
    await svc.on_route(agent.subject, client)
    as_agent = svc.stub(ss_grpc.SettlementsServiceStub, as_=agent)
    inv = await record_invoice(svc, client, "100.00", issued=DAY, outlet_id=outlet)
    bank = await record_payment(
        svc, client, "60.00", on=DAY, outlet_id=outlet, named=((inv.id, ""),)
    )
    later = DAY + timedelta(days=2)
    cash = cash_request(client, "70.00", on=later, outlet_id=other_outlet, visit_id=visit)
    field = (await as_agent.RecordPayment(cash)).payment
    assert (bank.source, field.source) == (pb.PAYMENT_SOURCE_ERP, pb.PAYMENT_SOURCE_FIELD)
    assert (bank.recorded_by, field.recorded_by) == ("test-admin", agent.subject)
    assert (field.collected_by, field.visit_id, field.handover_id) == (agent.subject, visit, "")
    assert field.version == 1 and field.create_time.seconds > 0

    def ids(found: list[pb.Payment]) -> list[str]:
        return [p.id for p in found]

    everything = await every_page(svc, client_id=client)
    assert ids(everything) == [bank.id, field.id]
    # Each with its allocations: the bank payment 60 on the invoice, the cash the other 40.
    by_id = {p.id: p for p in everything}
    assert [(a.invoice_id, dec(a.amount)) for a in by_id[bank.id].allocations] == [(inv.id, 60)]
    assert [(a.invoice_id, dec(a.amount)) for a in by_id[field.id].allocations] == [(inv.id, 40)]
    assert dec(by_id[field.id].unallocated) == 30
    cases: dict[str, tuple[dict[str, Any], list[str]]] = {
        "outlet": ({"outlet_id": outlet}, [bank.id]),
        "collector": ({"collected_by": agent.subject}, [field.id]),
        "kind": ({"kind": pb.PAYMENT_KIND_BANK}, [bank.id]),
        "source": ({"source": pb.PAYMENT_SOURCE_FIELD}, [field.id]),
        "visit": ({"visit_id": visit}, [field.id]),
        "from": ({"from_date": pb_date(DAY + timedelta(days=1))}, [field.id]),
        "to": ({"to_date": pb_date(DAY)}, [bank.id]),
        "period": (
            {"from_date": pb_date(DAY), "to_date": pb_date(DAY + timedelta(days=2))},
            [bank.id, field.id],
        ),
        "nothing": ({"visit_id": new_id()}, []),
    }
    for name, (filters, expected) in cases.items():
        assert ids(await every_page(svc, client_id=client, **filters)) == expected, name
    # The agent's own registry (no client named): its route's clients' payments.
    mine = await as_agent.ListPayments(ss.ListPaymentsRequest(page_size=100))
    assert ids(list(mine.payments)) == [bank.id, field.id]


async def test_van_sale_cash_is_listed_with_its_source(svc: Harness) -> None:
    client, outlet = new_id(), new_id()
    sale = van_sale(client, outlet, "300.00", cash="300.00", on=DAY)
    await publish(svc.js, envelope(sale, sale.order.id))
    found = await eventually_value(
        lambda: every_page(svc, client_id=client), lambda found: len(found) == 1
    )
    (cash,) = found
    assert (cash.source, cash.kind, cash.collected_by) == (
        pb.PAYMENT_SOURCE_VAN_SALE,
        pb.PAYMENT_KIND_CASH,
        sale.order.agent_id,
    )
    assert cash.recorded_by == "" and [a.invoice_id for a in cash.allocations] == [sale.order.id]


async def test_an_employee_records_cash_only_admins_and_systems_both(svc: Harness) -> None:
    client = new_id()
    bank = ss.RecordPaymentRequest(
        request_id=new_id(),
        payment=pb.Payment(
            id=new_id(),
            kind=pb.PAYMENT_KIND_BANK,
            client_id=client,
            date=pb_date(DAY),
            amount=rub("5.00"),
        ),
    )
    for role in ("AGENT", "VAN_SELLER"):
        employee = Caller(new_id(), {role})
        await svc.on_route(employee.subject, client)
        before = await snapshot(svc)
        await expect_error(
            svc.stub(ss_grpc.SettlementsServiceStub, as_=employee).RecordPayment(bank),
            DENIED,
            "payment.kind: bank payments come from the ERP",
        )
        assert await snapshot(svc) == before, role
    for caller in (Caller("admin-9", {"ADMIN"}), Caller("svc:bank", {"SERVICE"}, "service")):
        request = ss.RecordPaymentRequest()
        request.CopyFrom(bank)
        request.request_id, request.payment.id = new_id(), new_id()
        made = await svc.stub(ss_grpc.SettlementsServiceStub, as_=caller).RecordPayment(request)
        assert (made.payment.source, made.payment.recorded_by) == (
            pb.PAYMENT_SOURCE_ERP,
            caller.subject,
        )


def bad(**fields: Any) -> ss.ListPaymentsRequest:
    return ss.ListPaymentsRequest(**fields)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (bad(client_id="client-7"), "client_id"),
        (bad(outlet_id="x"), "outlet_id"),
        (bad(visit_id="visit-1"), "visit_id"),
        (bad(collected_by="c" * 65), "collected_by"),
        (bad(kind=99), "kind"),
        (bad(source=99), "source"),
        (bad(page_size=-1), "page_size"),
        (bad(page_token="not a token"), "page_token"),
        (bad(from_date=pb_date(DAY), to_date=pb_date(DAY - timedelta(days=1))), "to_date"),
        (bad(from_date={"year": 2025, "month": 2, "day": 30}), "from_date"),
    ],
)
async def test_bad_input_is_named_per_field(
    svc: Harness, request_: ss.ListPaymentsRequest, field: str
) -> None:
    error = await expect_error(svc.settlements.ListPayments(request_), INVALID)
    assert (error.details() or "").startswith(f"{field}:"), error.details()


async def test_a_token_of_another_list_is_refused(svc: Harness) -> None:
    client = new_id()
    for n in range(2):
        await record_invoice(svc, client, "10.00", issued=DAY + timedelta(days=n))
    invoices = await svc.settlements.ListInvoices(
        ss.ListInvoicesRequest(page_size=1, client_id=client)
    )
    assert invoices.next_page_token
    await expect_error(
        svc.settlements.ListPayments(
            ss.ListPaymentsRequest(client_id=client, page_token=invoices.next_page_token)
        ),
        INVALID,
        "page_token:",
    )
