"""The bulk reads of the device gateway's build over gRPC (real DB and NATS): ListBalances,
ListTareBalances and ListCreditStandings page every client (or those named) as GetBalance,
GetTareBalance and GetCreditStanding answer each one; a credit standing is what a check of an
order would be judged now; bad input names its field; only company-wide callers list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.testing.auth import Caller, service_caller
from fieldline_kit.testing.helpers import eventually, expect_error, new_id
from fieldline_settlements.adapters import orm

from .builders import (
    check,
    count,
    dec,
    envelope,
    pb_date,
    publish,
    record_invoice,
    record_payment,
    rub,
    set_limit,
    snapshot,
    van_sale,
)
from .conftest import Harness

TODAY = date.today()
INVALID = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED
GATEWAY = service_caller("gateway")


async def pages(
    call: Callable[[Any], Awaitable[Any]], make: Callable[[str], Message], items: str
) -> tuple[list[Any], int]:
    """Every item of a paged list, following its tokens; and the number of pages."""
    found: list[Any] = []
    token, n = "", 0
    while True:
        page = await call(make(token))
        found += list(getattr(page, items))
        n += 1
        token = page.next_page_token
        if not token:
            return found, n


async def client_policy(h: Harness, client: str, **kw: Any) -> pb.DebtPolicy:
    reply = await h.settlements.SetDebtPolicy(
        ss.SetDebtPolicyRequest(request_id=new_id(), policy=pb.DebtPolicy(client_id=client, **kw))
    )
    return reply.policy


async def standing(h: Harness, client: str) -> ss.CreditStanding:
    return (
        await h.settlements.GetCreditStanding(ss.GetCreditStandingRequest(client_id=client))
    ).standing


# ----------------------------------------------------------------------------- balances
async def test_list_balances_pages_each_client_as_get_balance_answers_it(svc: Harness) -> None:
    indebted, paid_ahead, reserving, unknown = (new_id() for _ in range(4))
    await set_limit(svc, indebted, "5000.00")
    await record_invoice(
        svc, indebted, "700.00", issued=TODAY - timedelta(days=50), due=TODAY - timedelta(days=20)
    )
    await record_invoice(svc, indebted, "300.00", issued=TODAY, due=TODAY + timedelta(days=5))
    await record_payment(svc, paid_ahead, "250.00", on=TODAY)  # an advance: balance −250
    await set_limit(svc, reserving, "1000.00")
    await check(svc, reserving, "400.00")  # reserved, not invoiced
    named = [indebted, paid_ahead, reserving, unknown]

    found, n = await pages(
        svc.orders.ListBalances,
        lambda t: ss.ListBalancesRequest(page_size=2, page_token=t, client_ids=named),
        "balances",
    )
    assert n == 2
    # By client id; a client settlements never booked anything for is left out.
    assert [b.client_id for b in found] == sorted([indebted, paid_ahead, reserving])
    for item in found:
        assert item == await balance_of(svc, item.client_id), item.client_id
    by_client = {b.client_id: b for b in found}
    assert (dec(by_client[indebted].balance), dec(by_client[indebted].overdue)) == (1000, 700)
    assert by_client[indebted].max_overdue_days == 20
    assert dec(by_client[paid_ahead].balance) == -250
    assert dec(by_client[reserving].reserved) == 400
    assert all(b.version >= 1 and not b.outlet_id for b in found)

    # As of another day, as GetBalance as of that day.
    later = TODAY + timedelta(days=30)
    (item,) = (
        await svc.orders.ListBalances(
            ss.ListBalancesRequest(client_ids=[indebted], as_of=pb_date(later))
        )
    ).balances
    assert item == await balance_of(svc, indebted, later)
    assert item.max_overdue_days == 50

    # Every client, unfiltered: each once, in client id order, across pages.
    everyone, n = await pages(
        svc.orders.ListBalances,
        lambda t: ss.ListBalancesRequest(page_size=7, page_token=t),
        "balances",
    )
    ids = [b.client_id for b in everyone]
    assert ids == sorted(set(ids)) and {indebted, paid_ahead, reserving} <= set(ids)
    assert unknown not in ids and n == -(-len(ids) // 7)


async def balance_of(h: Harness, client: str, as_of: date | None = None) -> pb.Balance:
    reply = await h.settlements.GetBalance(
        ss.GetBalanceRequest(client_id=client, as_of=pb_date(as_of) if as_of else None)
    )
    return reply.balance


# --------------------------------------------------------------------------------- tare
async def test_list_tare_balances_pages_each_client_as_get_tare_balance_answers_it(
    svc: Harness,
) -> None:
    keg, crate = f"keg-{new_id()[:8]}", f"crate-{new_id()[:8]}"
    await svc.settlements.SetContainerDeposit(
        ss.SetContainerDepositRequest(
            request_id=new_id(), container_type=keg, deposit=rub("1500.00")
        )
    )
    first, second, bare = new_id(), new_id(), new_id()
    for client, containers in ((first, ((keg, "3"), (crate, "10"))), (second, ((keg, "1"),))):
        sale = van_sale(client, new_id(), "100.00", on=TODAY, containers=containers)
        await publish(svc.js, envelope(sale, sale.order.id))
    await set_limit(svc, bare, "10.00")  # an account, no containers

    async def booked() -> bool:
        return (
            await count(svc, orm.tare_balances, orm.tare_balances.c.client_id.in_([first, second]))
            == 3
        )

    await eventually(booked, within=20, what="the van sales' tare booked")
    named = [first, second, bare]
    found, n = await pages(
        svc.orders.ListTareBalances,
        lambda t: ss.ListTareBalancesRequest(page_size=1, page_token=t, client_ids=named),
        "balances",
    )
    assert n == 3
    assert [(b.client_id, b.container_type) for b in found] == sorted(
        [(first, keg), (first, crate), (second, keg)]
    )
    for client in (first, second):
        expected = await svc.settlements.GetTareBalance(ss.GetTareBalanceRequest(client_id=client))
        assert [b for b in found if b.client_id == client] == list(expected.balances)
    kegs = {b.client_id: b for b in found if b.container_type == keg}
    assert (kegs[first].balance, dec(kegs[first].deposit_value), kegs[first].version) == (
        "3",
        4500,
        1,
    )

    everyone, _ = await pages(
        svc.orders.ListTareBalances,
        lambda t: ss.ListTareBalancesRequest(page_size=5, page_token=t),
        "balances",
    )
    keys = [(b.client_id, b.container_type) for b in everyone]
    assert keys == sorted(set(keys)) and set(keys) >= {(first, keg), (first, crate), (second, keg)}


# ------------------------------------------------------------------------------ standing
async def test_a_standing_is_what_a_check_of_the_smallest_order_gets_now(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "1000.00")
    await client_policy(
        svc,
        client,
        mode=pb.DEBT_POLICY_MODE_BLOCK,
        check_credit_limit=True,
        max_overdue_days=30,
        stages=[pb.STAGE_ORDER_SUBMIT],
        override_roles=["SUPERVISOR"],
    )
    await record_invoice(
        svc, client, "900.00", issued=TODAY - timedelta(days=60), due=TODAY - timedelta(days=40)
    )

    got = await standing(svc, client)
    assert (got.client_id, got.as_of, got.is_default_policy) == (client, pb_date(TODAY), False)
    f = got.figures
    assert (dec(f.balance), dec(f.reserved), dec(f.credit_limit)) == (900, 0, 1000)
    assert (dec(f.order_amount), dec(f.exposure)) == (Decimal("0.01"), Decimal("900.01"))
    assert (dec(f.overdue), f.max_overdue_days, f.overdue_threshold_days) == (900, 40, 30)
    submit, van = got.stages
    assert (submit.stage, submit.outcome) == (pb.STAGE_ORDER_SUBMIT, ss.CREDIT_OUTCOME_BLOCK)
    assert [r.code for r in submit.reasons] == [ss.CREDIT_REASON_CODE_OVERDUE]
    assert (submit.has_headroom, dec(submit.headroom)) == (True, 100)
    # The stage the policy does not name: allowed, nothing to say, no bound.
    assert (van.stage, van.outcome, list(van.reasons), van.has_headroom) == (
        pb.STAGE_VAN_SALE,
        ss.CREDIT_OUTCOME_ALLOW,
        [],
        False,
    )
    # A check of the smallest order is judged the same (a BLOCK reserves nothing).
    judged = await check(svc, client, "0.01")
    assert (judged.outcome, list(judged.reasons)) == (submit.outcome, list(submit.reasons))
    assert judged.figures == got.figures and judged.policy == got.policy
    assert (
        judged.policy
        == (await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest(client_id=client))).policy
    )


async def test_a_standing_moves_with_reservations_and_payments(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "1000.00")
    await client_policy(
        svc,
        client,
        mode=pb.DEBT_POLICY_MODE_WARN,
        check_credit_limit=True,
        max_overdue_days=-1,
        stages=[pb.STAGE_ORDER_SUBMIT, pb.STAGE_VAN_SALE],
    )
    await record_invoice(svc, client, "300.00", issued=TODAY)
    before = await standing(svc, client)
    assert [(s.outcome, dec(s.headroom)) for s in before.stages] == [
        (ss.CREDIT_OUTCOME_ALLOW, 700)
    ] * 2
    # An order checked reserves 700: no room left, the next order warns.
    order = new_id()
    await check(svc, client, "700.00", order_id=order)
    full = await standing(svc, client)
    assert dec(full.figures.reserved) == 700
    assert [(s.outcome, dec(s.headroom)) for s in full.stages] == [(ss.CREDIT_OUTCOME_WARN, 0)] * 2
    assert [r.code for r in full.stages[0].reasons] == [ss.CREDIT_REASON_CODE_OVER_LIMIT]
    # Released, then 300 paid: the whole limit is free again.
    await svc.settlements.ReleaseCredit(
        ss.ReleaseCreditRequest(request_id=new_id(), order_id=order)
    )
    await record_payment(svc, client, "300.00", on=TODAY)
    free = await standing(svc, client)
    assert [(s.outcome, dec(s.headroom)) for s in free.stages] == [
        (ss.CREDIT_OUTCOME_ALLOW, 1000)
    ] * 2


async def test_a_client_without_its_own_policy_stands_by_the_companys(svc: Harness) -> None:
    client = new_id()  # never booked: nothing owed, no limit
    got = await standing(svc, client)
    company = await svc.settlements.GetDebtPolicy(ss.GetDebtPolicyRequest())
    assert got.is_default_policy and got.policy == company.policy
    assert not got.figures.has_credit_limit and dec(got.figures.balance) == 0
    assert all(s.outcome == ss.CREDIT_OUTCOME_ALLOW and not s.has_headroom for s in got.stages)


async def test_list_credit_standings_pages_each_client_as_get_credit_standing(
    svc: Harness,
) -> None:
    clients = sorted(new_id() for _ in range(3))
    for n, client in enumerate(clients):
        await set_limit(svc, client, f"{100 * (n + 1)}.00")
        await record_invoice(svc, client, "150.00", issued=TODAY)
    found, n = await pages(
        svc.orders.ListCreditStandings,
        lambda t: ss.ListCreditStandingsRequest(
            page_size=2, page_token=t, client_ids=[*clients, new_id()]
        ),
        "standings",
    )
    assert n == 2 and [s.client_id for s in found] == clients
    for item in found:
        assert item == await standing(svc, item.client_id)
    everyone, _ = await pages(
        svc.orders.ListCreditStandings,
        lambda t: ss.ListCreditStandingsRequest(page_size=50, page_token=t),
        "standings",
    )
    ids = [s.client_id for s in everyone]
    assert ids == sorted(set(ids)) and set(clients) <= set(ids)
    # The same clients as ListBalances.
    balances, _ = await pages(
        svc.orders.ListBalances,
        lambda t: ss.ListBalancesRequest(page_size=50, page_token=t),
        "balances",
    )
    assert set(clients) <= {b.client_id for b in balances}


# ---------------------------------------------------------------------------- bad input
LISTS: dict[str, Callable[..., Message]] = {
    "ListBalances": ss.ListBalancesRequest,
    "ListTareBalances": ss.ListTareBalancesRequest,
    "ListCreditStandings": ss.ListCreditStandingsRequest,
}


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_a_bad_list_request_is_refused_naming_the_field_and_writes_nothing(
    svc: Harness, name: str
) -> None:
    make = LISTS[name]
    call = getattr(svc.orders, name)
    before = await snapshot(svc)
    for request, message in (
        (make(client_ids=[new_id(), "acme"]), "client_ids[1]: must be a UUID"),
        (make(client_ids=[""]), "client_ids[0]: is required"),
        (make(client_ids=[new_id() for _ in range(1001)]), "client_ids: "),
        (make(page_size=-1), "page_size: must not be negative"),
        (make(page_token="not a token"), "page_token: is not a token this service issued"),
    ):
        await expect_error(call(request), INVALID, message)
    if name == "ListBalances":
        await expect_error(
            call(ss.ListBalancesRequest(as_of={"year": 2024, "month": 13, "day": 1})),
            INVALID,
            "as_of",
        )
    assert await snapshot(svc) == before


async def test_a_bad_standing_request_is_refused_naming_the_field(svc: Harness) -> None:
    for client, message in (("", "client_id: is required"), ("acme", "client_id: must be a UUID")):
        await expect_error(
            svc.settlements.GetCreditStanding(ss.GetCreditStandingRequest(client_id=client)),
            INVALID,
            message,
        )


# ---------------------------------------------------------------------------------- access
@pytest.mark.parametrize("name", sorted(LISTS))
async def test_only_company_wide_callers_list(svc: Harness, name: str) -> None:
    client = new_id()
    await set_limit(svc, client, "10.00")
    for role in ("AGENT", "VAN_SELLER", "SUPERVISOR"):
        caller = Caller(f"{role.lower()}-9", {role})
        await svc.on_route(caller.subject, client)  # even its own client: no bulk lists
        stub = svc.stub(ss_grpc.SettlementsServiceStub, as_=caller)
        await expect_error(
            getattr(stub, name)(LISTS[name](client_ids=[client])), DENIED, "has no role admitted"
        )
    for caller in (GATEWAY, Caller("admin-9", {"ADMIN"})):
        stub = svc.stub(ss_grpc.SettlementsServiceStub, as_=caller)
        await getattr(stub, name)(LISTS[name](client_ids=[client]))


async def test_an_agent_reads_the_standing_of_its_own_clients_only(svc: Harness) -> None:
    mine, theirs = new_id(), new_id()
    agent = Caller(new_id(), {"AGENT"})
    await svc.on_route(agent.subject, mine)
    await svc.on_route(new_id(), theirs)
    stub = svc.stub(ss_grpc.SettlementsServiceStub, as_=agent)
    got = await stub.GetCreditStanding(ss.GetCreditStandingRequest(client_id=mine))
    assert got.standing.client_id == mine
    await expect_error(
        stub.GetCreditStanding(ss.GetCreditStandingRequest(client_id=theirs)),
        grpc.StatusCode.NOT_FOUND,
        f"client_id: client {theirs!r} not found",
    )
