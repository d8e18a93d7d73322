"""Debt policy, CheckCredit and credit reservations over gRPC (real DB and NATS)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import grpc

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_settlements.adapters import orm

from .builders import (
    balance,
    check,
    count,
    dec,
    pb_date,
    record_invoice,
    rub,
    set_limit,
)
from .conftest import Harness

ALLOW, WARN, BLOCK, OVERRIDDEN = (
    ss.CREDIT_OUTCOME_ALLOW,
    ss.CREDIT_OUTCOME_WARN,
    ss.CREDIT_OUTCOME_BLOCK,
    ss.CREDIT_OUTCOME_OVERRIDDEN,
)


async def set_policy(
    h: Harness,
    client_id: str,
    mode: int = pb.DEBT_POLICY_MODE_BLOCK,
    *,
    stages: tuple[int, ...] = (pb.STAGE_ORDER_SUBMIT, pb.STAGE_VAN_SALE),
    max_overdue_days: int = 30,
    check_credit_limit: bool = True,
    roles: tuple[str, ...] = ("SUPERVISOR",),
) -> pb.DebtPolicy:
    response = await h.settlements.SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                client_id=client_id,
                mode=mode,
                check_credit_limit=check_credit_limit,
                max_overdue_days=max_overdue_days,
                stages=list(stages),
                override_roles=list(roles),
            ),
        )
    )
    return response.policy


async def test_policy_in_force_default_company_and_client(svc: Harness) -> None:
    client = new_id()
    got = await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest(client_id=client))
    assert got.is_default
    assert got.policy == pb.DebtPolicy(
        mode=pb.DEBT_POLICY_MODE_BLOCK,
        check_credit_limit=True,
        max_overdue_days=30,
        stages=[pb.STAGE_ORDER_SUBMIT, pb.STAGE_VAN_SALE],
        override_roles=["SUPERVISOR"],
    )
    try:
        company = await set_policy(svc, "", pb.DEBT_POLICY_MODE_WARN, max_overdue_days=60)
        got = await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest(client_id=client))
        assert got.is_default and got.policy == company
        own = await set_policy(
            svc, client, pb.DEBT_POLICY_MODE_IGNORE, roles=("credit_controller",)
        )
        assert own.override_roles == ["CREDIT_CONTROLLER"] and own.client_id == client
        got = await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest(client_id=client))
        assert not got.is_default and got.policy == own
        # Updating the override replaces it.
        own2 = await set_policy(svc, client, pb.DEBT_POLICY_MODE_WARN, max_overdue_days=-10)
        assert own2.max_overdue_days == -1
        cleared = await svc.settlements.SetDebtPolicy(
            ss.SetDebtPolicyRequest(
                request_id=new_id(), policy=pb.DebtPolicy(client_id=client), clear=True
            )
        )
        assert cleared.policy == company
    finally:
        await svc.settlements.SetDebtPolicy(
            ss.SetDebtPolicyRequest(request_id=new_id(), clear=True)
        )
    got = await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest())
    assert got.is_default and got.policy.mode == pb.DEBT_POLICY_MODE_BLOCK


async def test_invalid_policies_are_refused(svc: Harness) -> None:
    cases = [
        (pb.DebtPolicy(stages=[pb.STAGE_VAN_SALE]), "policy.mode: is required"),
        (pb.DebtPolicy(mode=pb.DEBT_POLICY_MODE_BLOCK), "policy.stages: name at least one stage"),
        (
            pb.DebtPolicy(mode=pb.DEBT_POLICY_MODE_BLOCK, stages=[pb.STAGE_VAN_SALE, 0]),
            "policy.stages[1]: must be ORDER_SUBMIT or VAN_SALE",
        ),
        (
            pb.DebtPolicy(mode=7, stages=[pb.STAGE_VAN_SALE]),
            "policy.mode: unknown value 7",
        ),
        (
            pb.DebtPolicy(
                mode=pb.DEBT_POLICY_MODE_WARN, stages=[pb.STAGE_VAN_SALE], override_roles=["a b"]
            ),
            "policy.override_roles[0]: must be a role name",
        ),
        (
            pb.DebtPolicy(client_id="acme", mode=pb.DEBT_POLICY_MODE_WARN, stages=[1]),
            "policy.client_id: must be a UUID",
        ),
    ]
    for policy, message in cases:
        await expect_error(
            svc.settlements.SetDebtPolicy(
                ss.SetDebtPolicyRequest(request_id=new_id(), policy=policy)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            message,
        )
    assert await count(svc, orm.debt_policies, orm.debt_policies.c.client_id == "acme") == 0


async def test_check_credit_reserves_blocks_overrides_and_releases(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "1000.00")
    await set_policy(svc, client, stages=(pb.STAGE_ORDER_SUBMIT,))
    order_a, order_b, order_c = new_id(), new_id(), new_id()

    a = await check(svc, client, "400.00", order_id=order_a)
    assert a.outcome == ALLOW and list(a.reasons) == []
    assert (dec(a.figures.reserved), dec(a.figures.exposure)) == (0, 400)
    assert a.policy.client_id == client
    assert dec((await balance(svc, client)).reserved) == 400

    b = await check(svc, client, "500.00", order_id=order_b)
    assert b.outcome == ALLOW and dec(b.figures.exposure) == 900

    c = await check(svc, client, "200.00", order_id=order_c)
    assert c.outcome == BLOCK
    (reason,) = c.reasons
    assert reason.code == ss.CREDIT_REASON_CODE_OVER_LIMIT
    assert reason.message == (
        "over the credit limit: debt 0.00 + reserved 900.00 + this order 200.00 = 1 100.00 RUB, "
        "limit 1 000.00 RUB, over by 100.00 RUB"
    )
    assert c.figures.has_credit_limit and dec(c.figures.credit_limit) == 1000
    assert dec((await balance(svc, client)).reserved) == 900  # a blocked order reserves nothing

    # Checking an order again replaces its reservation.
    a2 = await check(svc, client, "100.00", order_id=order_a)
    assert a2.outcome == ALLOW and dec(a2.figures.reserved) == 500
    assert dec((await balance(svc, client)).reserved) == 600

    # An override needs the role and a reason.
    no_reason = await check(svc, client, "500.00", order_id=order_c, roles=("SUPERVISOR",))
    assert no_reason.outcome == BLOCK
    assert (
        no_reason.reasons[-1].message == "override ignored: an override (SUPERVISOR) needs a reason"
    )
    no_role = await check(svc, client, "500.00", order_id=order_c, reason="known client")
    assert no_role.outcome == BLOCK
    assert "has none of the override roles (SUPERVISOR)" in no_role.reasons[-1].message
    over = await check(
        svc, client, "500.00", order_id=order_c, roles=("supervisor",), reason="pays on Friday"
    )
    assert over.outcome == OVERRIDDEN
    assert [r.code for r in over.reasons] == [
        ss.CREDIT_REASON_CODE_OVER_LIMIT,
        ss.CREDIT_REASON_CODE_UNSPECIFIED,
    ]
    assert over.reasons[-1].message.endswith("(SUPERVISOR): pays on Friday")
    assert dec((await balance(svc, client)).reserved) == 1100
    # Blocked on a re-check: the order goes on hold and gives its reservation back.
    again = await check(svc, client, "500.00", order_id=order_c)
    assert again.outcome == BLOCK
    assert dec((await balance(svc, client)).reserved) == 600

    # A stage the policy does not name is allowed, and still reserves.
    van = await check(svc, client, "5000.00", stage=pb.STAGE_VAN_SALE)
    assert van.outcome == ALLOW and list(van.reasons) == []
    assert dec((await balance(svc, client)).reserved) == 5600

    # The ERP invoice of an order ends its reservation.
    await record_invoice(svc, client, "100.00", issued=date(2024, 5, 1), order_id=order_a)
    after = await balance(svc, client)
    assert (dec(after.reserved), dec(after.balance)) == (5500, 100)
    # A check of an order already invoiced reserves nothing.
    await check(svc, client, "100.00", order_id=order_a)
    assert dec((await balance(svc, client)).reserved) == 5500


async def test_check_credit_is_idempotent_per_request_id(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "100.00")
    await set_policy(svc, client)
    request_id, order_id = new_id(), new_id()
    first = await check(svc, client, "60.00", order_id=order_id, request_id=request_id)
    again = await check(svc, client, "60.00", order_id=order_id, request_id=request_id)
    assert again == first and first.outcome == ALLOW
    assert dec((await balance(svc, client)).reserved) == 60
    await expect_error(
        check(svc, client, "61.00", order_id=order_id, request_id=request_id),
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_id",
    )


async def test_overdue_debt_under_warn_and_ignore(svc: Harness) -> None:
    as_of = date(2024, 6, 30)
    warn_client, ignore_client = new_id(), new_id()
    for client, mode in (
        (warn_client, pb.DEBT_POLICY_MODE_WARN),
        (ignore_client, pb.DEBT_POLICY_MODE_IGNORE),
    ):
        await set_policy(svc, client, mode, max_overdue_days=30)
        await record_invoice(svc, client, "250.00", issued=date(2024, 5, 1), due=date(2024, 5, 20))
    warned = await check(svc, warn_client, "10.00", as_of=as_of)
    assert warned.outcome == WARN
    (reason,) = warned.reasons
    assert reason.code == ss.CREDIT_REASON_CODE_OVERDUE
    assert reason.message == "overdue debt 250.00 RUB, the oldest 41 days past due (allowed: 30)"
    assert (warned.figures.max_overdue_days, warned.figures.overdue_threshold_days) == (41, 30)
    assert dec(warned.figures.overdue) == 250
    ignored = await check(svc, ignore_client, "10.00", as_of=as_of)
    assert ignored.outcome == ALLOW and [r.code for r in ignored.reasons] == [
        ss.CREDIT_REASON_CODE_OVERDUE
    ]
    # As of a date when it was not yet that late, there is nothing to report.
    early = await check(svc, warn_client, "10.00", as_of=date(2024, 6, 19))
    assert early.outcome == ALLOW


async def test_bad_checks_are_refused_and_reserve_nothing(svc: Harness) -> None:
    client = new_id()
    before = await count(svc, orm.credit_reservations)
    base = ss.CheckCreditRequest(
        request_id=new_id(),
        order_id=new_id(),
        client_id=client,
        amount=rub("10.00"),
        stage=pb.STAGE_ORDER_SUBMIT,
    )
    cases: list[tuple[ss.CheckCreditRequest, str]] = []
    r = ss.CheckCreditRequest()
    r.CopyFrom(base)
    r.ClearField("amount")
    cases.append((r, "amount: is required"))
    r = ss.CheckCreditRequest()
    r.CopyFrom(base)
    r.amount.CopyFrom(rub("-1.00"))
    cases.append((r, "amount: must not be negative"))
    r = ss.CheckCreditRequest()
    r.CopyFrom(base)
    r.stage = pb.STAGE_UNSPECIFIED
    cases.append((r, "stage: is required"))
    r = ss.CheckCreditRequest()
    r.CopyFrom(base)
    r.order_id = "order-1"
    cases.append((r, "order_id: must be a UUID"))
    r = ss.CheckCreditRequest()
    r.CopyFrom(base)
    r.amount.currency_code = "EUR"
    cases.append((r, "amount.currency_code: must be RUB"))
    for request, message in cases:
        request.request_id = new_id()
        await expect_error(
            svc.settlements.CheckCredit(request), grpc.StatusCode.INVALID_ARGUMENT, message
        )
    assert await count(svc, orm.credit_reservations) == before


async def test_concurrent_checks_of_one_client_see_each_other(svc: Harness) -> None:
    """Two orders that fit the limit alone but not together: exactly one is allowed."""
    clients = [new_id() for _ in range(6)]
    for client in clients:
        await set_limit(svc, client, "1000.00")
        await set_policy(svc, client)
    calls = [check(svc, client, "600.00") for client in clients for _ in range(2)]
    results = await asyncio.gather(*calls)
    for i, client in enumerate(clients):
        pair = sorted(r.outcome for r in results[2 * i : 2 * i + 2])
        assert pair == sorted([ALLOW, BLOCK]), (client, pair)
        blocked = next(r for r in results[2 * i : 2 * i + 2] if r.outcome == BLOCK)
        assert dec(blocked.figures.reserved) == 600
        assert dec((await balance(svc, client)).reserved) == 600


@contextmanager
def shifted_clock(h: Harness, delta: timedelta) -> Iterator[None]:
    original = h.app.clock
    h.app.clock = lambda: original() + delta
    try:
        yield
    finally:
        h.app.clock = original


async def test_reservations_expire(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "100.00")
    await set_policy(svc, client)
    assert (await check(svc, client, "80.00")).outcome == ALLOW
    assert (await check(svc, client, "80.00")).outcome == BLOCK
    with shifted_clock(svc, timedelta(hours=71)):
        assert dec((await balance(svc, client)).reserved) == 80
    with shifted_clock(svc, timedelta(hours=73)):
        assert dec((await balance(svc, client)).reserved) == 0
        assert (await check(svc, client, "80.00")).outcome == ALLOW
        assert (
            await count(svc, orm.credit_reservations, orm.credit_reservations.c.client_id == client)
            == 1
        )


async def test_set_credit_limit_retry_returns_the_stored_response(svc: Harness) -> None:
    client = new_id()
    request = ss.SetCreditLimitRequest(
        request_id=new_id(), client_id=client, limit=rub("10.00"), payment_terms_days=5
    )
    first = await svc.settlements.SetCreditLimit(request)
    await record_invoice(svc, client, "3.00", issued=date(2024, 5, 1))
    again = await svc.settlements.SetCreditLimit(request)
    assert again == first and dec(first.balance.balance) == 0
    got = await balance(svc, client)
    assert dec(got.balance) == 3
    invoice = (
        await svc.settlements.ListInvoices(ss.ListInvoicesRequest(client_id=client))
    ).invoices[0]
    assert invoice.due_date == pb_date(date(2024, 5, 6))


async def test_release_credit_drops_the_reservation_once(svc: Harness) -> None:
    client, order_id = new_id(), new_id()
    await set_limit(svc, client, "1000.00")
    await check(svc, client, "600.00", order_id=order_id)
    assert dec((await balance(svc, client)).reserved) == 600

    async def release() -> bool:
        reply = await svc.settlements.ReleaseCredit(
            ss.ReleaseCreditRequest(request_id=new_id(), order_id=order_id)
        )
        return reply.released

    assert await release() is True
    assert dec((await balance(svc, client)).reserved) == 0
    assert await release() is False  # nothing left: idempotent
    # the client's room is back: a new order of 900 fits
    assert (await check(svc, client, "900.00")).outcome == ALLOW
    await expect_error(
        svc.settlements.ReleaseCredit(ss.ReleaseCreditRequest(request_id=new_id(), order_id="x")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "order_id",
    )
