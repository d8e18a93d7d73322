"""Bad input over gRPC (issue 10): refused naming the field and writing nothing; dates at the
ends of the calendar answered, not INTERNAL; request_id required where the API says so."""

from __future__ import annotations

from datetime import date, timedelta

import grpc

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_settlements.adapters import orm

from .builders import balance, check_request, count, dec, pb_date, record_invoice, rub, set_limit
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT


async def rows(h: Harness) -> tuple[int, ...]:
    tables = (orm.payments, orm.allocations, orm.credit_reservations, orm.kit.outbox)
    return tuple([await count(h, t) for t in tables])


def payment(client_id: str, *, request_id: str = "", **kw: object) -> ss.RecordPaymentRequest:
    return ss.RecordPaymentRequest(
        request_id=request_id,
        payment=pb.Payment(
            id=new_id(),
            kind=pb.PAYMENT_KIND_BANK,
            client_id=client_id,
            date=pb_date(date.today()),
            amount=rub("100.00"),
            **kw,  # type: ignore[arg-type]
        ),
    )


# ----------------------------------------------------------------------------- request_id
async def test_a_payment_without_a_request_id_is_refused_and_writes_nothing(
    svc: Harness,
) -> None:
    client = new_id()
    before = await rows(svc)
    await expect_error(
        svc.settlements.RecordPayment(payment(client)), INVALID, "request_id: is required"
    )
    assert await rows(svc) == before
    await svc.settlements.RecordPayment(payment(client, request_id=new_id()))
    assert await count(svc, orm.payments) == before[0] + 1


async def test_a_credit_check_without_a_request_id_is_judged(svc: Harness) -> None:
    """CheckCredit is naturally idempotent (checking an order again replaces its
    reservation), so its request_id is optional, as documented."""
    client = new_id()
    await set_limit(svc, client, "1000.00")
    request = check_request(client, "300.00")
    assert not request.request_id
    first = await svc.settlements.CheckCredit(request)
    again = await svc.settlements.CheckCredit(request)
    assert first.outcome == again.outcome == ss.CREDIT_OUTCOME_ALLOW
    assert dec((await balance(svc, client)).reserved) == 300


# ---------------------------------------------------------------------------------- roles
async def test_an_override_role_may_be_named_as_the_clients_api_names_it(svc: Harness) -> None:
    """ROLE_SUPERVISOR (the clients API's Role enum name) is SUPERVISOR, in a user's token and
    in a policy's override roles; a token's role that is no role name grants nothing."""
    client = new_id()
    await set_limit(svc, client, "100.00")
    policy = await svc.settlements.SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                client_id=client,
                mode=pb.DEBT_POLICY_MODE_BLOCK,
                check_credit_limit=True,
                max_overdue_days=30,
                stages=[pb.STAGE_ORDER_SUBMIT],
                override_roles=["ROLE_SUPERVISOR"],
            ),
        )
    )
    assert list(policy.policy.override_roles) == ["SUPERVISOR"]
    over = await svc.settlements.CheckCredit(
        check_request(client, "500.00", roles=("ROLE_SUPERVISOR",), reason="pays on Friday")
    )
    assert over.outcome == ss.CREDIT_OUTCOME_OVERRIDDEN
    held = await svc.settlements.CheckCredit(
        check_request(client, "500.00", roles=("head of sales",), reason="pays on Friday")
    )
    assert held.outcome == ss.CREDIT_OUTCOME_BLOCK
    assert "has none of the override roles" in held.reasons[-1].message


# ---------------------------------------------------------------------------- bounds, dates
async def test_texts_and_lists_are_bounded_and_write_nothing(svc: Harness) -> None:
    client = new_id()
    before = await rows(svc)
    allocations = [pb.Allocation(invoice_id=new_id())] * 1001
    await expect_error(
        svc.settlements.RecordPayment(
            payment(client, request_id=new_id(), allocations=allocations)
        ),
        INVALID,
        "payment.allocations: must have at most 1000 items",
    )
    await expect_error(
        svc.settlements.RecordPayment(
            payment(client, request_id=new_id(), receipt_number="R" * 61)
        ),
        INVALID,
        "payment.receipt_number: must be at most 60 characters",
    )
    await expect_error(
        svc.settlements.CheckCredit(check_request(client, "5.00", reason="я" * 1001)),
        INVALID,
        "override_reason: must be at most 1000 characters",
    )
    assert await rows(svc) == before


async def test_dates_at_the_ends_of_the_calendar_are_answered(svc: Harness) -> None:
    """An aging report as of 0001-01-01 answered INTERNAL (its cut-offs 30, 60 and 90 days
    earlier are before the calendar); an invoice issued at its end is due at its end."""
    client = new_id()
    first, last = date(1, 1, 1), date(9999, 12, 31)
    report = await svc.settlements.GetAgingReport(
        ss.GetAgingReportRequest(as_of=pb_date(first), client_id=client)
    )
    assert list(report.rows) == []
    await set_limit(svc, client, "1000.00", terms=30)
    invoice = await record_invoice(svc, client, "10.00", issued=last - timedelta(days=10))
    assert (invoice.due_date.year, invoice.due_date.month, invoice.due_date.day) == (9999, 12, 31)
    assert dec((await balance(svc, client, as_of=first)).overdue) == 0
