"""Data scopes over real gRPC (docs/contexts/settlements.md#access, domain/access.py).

The world comes through the clients feed as clients publishes it (real events on CLIENTS):
agents A and B, each with a client on its route; supervisors SA (A's) and SB (B's); telesellers
TA and TB (in SA's and SB's teams), each calling its side's outlet on a PHONE route. Table-driven
over every RPC that names a client (walked from the API's descriptor: a new one without a case
fails the walk): the outsider (A, or SA where only supervisors are admitted) asking about B's
client is refused — a read NOT_FOUND exactly as for a client that does not exist, a write
PERMISSION_DENIED — and nothing is written; B (SB) asking the same succeeds; SA sees its team's
client and not B's; TA and TB as A and B, for the RPCs a teleseller is admitted to. Lists and
the aging report leave out the clients outside the scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from fieldline.clients.v1 import resources_pb2 as cres
from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually, expect_error, new_id
from fieldline_settlements.entrypoints.policy import POLICY

from .builders import (
    check_request,
    dec,
    envelope,
    pb_date,
    publish,
    record_invoice,
    rub,
    set_limit,
    snapshot,
    van_sale,
)
from .conftest import Harness

API = ss.DESCRIPTOR.services_by_name["SettlementsService"]
NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED
KEG = "keg-scope"


@dataclass(frozen=True)
class Side:
    """One agent's world: the agent, its supervisor, its client on its route, and the
    teleseller calling the client's outlet (on a PHONE route of its own)."""

    agent: Caller
    supervisor: Caller
    client: str
    outlet: str
    invoice: str
    teleseller: Caller


@dataclass(frozen=True)
class World:
    a: Side
    b: Side


async def side(h: Harness) -> tuple[Side, list[str]]:
    """A supervisor, its agent and its teleseller (EmployeeChanged), a client's outlet on the
    agent's route and on the teleseller's call list (OutletCreated, RouteAssignmentChanged of a
    FIELD and a PHONE route): the events' ids."""
    agent, boss, client, outlet, route, teleseller, calls = (new_id() for _ in range(7))
    events = [
        await h.employee(boss, [cres.ROLE_SUPERVISOR], 1),
        await h.employee(agent, [cres.ROLE_AGENT, cres.ROLE_VAN_SELLER], 1, supervisor_id=boss),
        await h.employee(teleseller, [cres.ROLE_TELESELLER], 1, supervisor_id=boss),
        await h.outlet(outlet, client, 1),
        await h.assignment(route, outlet, agent, 1, kind=cres.ROUTE_KIND_FIELD),
        await h.assignment(calls, outlet, teleseller, 1, kind=cres.ROUTE_KIND_PHONE),
    ]
    today = date.today()
    invoice = await record_invoice(
        h, client, "500.00", issued=today - timedelta(days=60), due=today - timedelta(days=40)
    )
    await set_limit(h, client, "10000.00")
    await h.settlements.SetDebtPolicy(  # its overdue debt warns, never blocks (so reserves)
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                client_id=client,
                mode=pb.DEBT_POLICY_MODE_WARN,
                max_overdue_days=30,
                stages=[pb.STAGE_ORDER_SUBMIT, pb.STAGE_VAN_SALE],
            ),
        )
    )
    await publish(
        h.js,
        envelope(van_sale(client, outlet, "100.00", on=today, containers=((KEG, "2"),)), client),
    )
    caller = Caller(agent, {"AGENT", "VAN_SELLER"})
    phone = Caller(teleseller, {"TELESELLER"})
    return Side(caller, Caller(boss, {"SUPERVISOR"}), client, outlet, invoice.id, phone), events


@pytest_asyncio.fixture(scope="module")
async def world(svc: Harness) -> World:
    a, a_events = await side(svc)
    b, b_events = await side(svc)
    await svc.wait_fed(*a_events, *b_events)

    async def tare_booked() -> bool:
        for s in (a, b):
            tare = await svc.settlements.GetTareBalance(
                ss.GetTareBalanceRequest(client_id=s.client)
            )
            if not tare.balances:
                return False
        return True

    await eventually(tare_booked, within=20, what="the van sales' tare booked")
    return World(a, b)


def stub(h: Harness, caller: Caller) -> ss_grpc.SettlementsServiceStub:
    return h.stub(ss_grpc.SettlementsServiceStub, as_=caller)


# ------------------------------------------------------------------------------- the cases
Build = Callable[[Harness, Side], Awaitable[Message]]


@dataclass(frozen=True)
class Case:
    """An RPC naming a client: a read (NOT_FOUND outside) or a write (PERMISSION_DENIED), and
    the request naming a side's client."""

    write: bool
    build: Build


async def _reserved_order(h: Harness, s: Side) -> ss.ReleaseCreditRequest:
    """An order of the side's client holding a reservation (checked by the back office)."""
    order_id = new_id()
    held = await h.settlements.CheckCredit(check_request(s.client, "1.00", order_id=order_id))
    assert held.outcome == ss.CREDIT_OUTCOME_WARN
    return ss.ReleaseCreditRequest(request_id=new_id(), order_id=order_id)


async def _payment(h: Harness, s: Side) -> ss.RecordPaymentRequest:
    return ss.RecordPaymentRequest(
        request_id=new_id(),
        payment=pb.Payment(
            id=new_id(),
            kind=pb.PAYMENT_KIND_CASH,
            client_id=s.client,
            outlet_id=s.outlet,
            date=pb_date(date.today()),
            amount=rub("10.00"),
            receipt_number="R-7",
        ),
    )


async def _check(h: Harness, s: Side) -> ss.CheckCreditRequest:
    request = check_request(s.client, "10.00", request_id=new_id())
    request.ClearField("actor_token")  # the caller's own token (orders forwarding it)
    return request


def _read(make: Callable[[str], Message]) -> Case:
    async def build(h: Harness, s: Side) -> Message:
        return make(s.client)

    return Case(False, build)


CASES: dict[str, Case] = {
    "GetBalance": _read(lambda c: ss.GetBalanceRequest(client_id=c)),
    "GetStatement": _read(lambda c: ss.GetStatementRequest(client_id=c)),
    "ListInvoices": _read(lambda c: ss.ListInvoicesRequest(client_id=c)),
    "ListPayments": _read(lambda c: ss.ListPaymentsRequest(client_id=c)),
    "ListTareMovements": _read(lambda c: ss.ListTareMovementsRequest(client_id=c)),
    "GetTareBalance": _read(lambda c: ss.GetTareBalanceRequest(client_id=c)),
    "GetDebtPolicy": _read(lambda c: ss.GetDebtPolicyRequest(client_id=c)),
    "GetAgingReport": _read(lambda c: ss.GetAgingReportRequest(client_id=c)),
    "GetCreditStanding": _read(lambda c: ss.GetCreditStandingRequest(client_id=c)),
    "RecordPayment": Case(True, _payment),
    "CheckCredit": Case(True, _check),
    "ReleaseCredit": Case(True, _reserved_order),
}
# RPCs naming a client that only company-wide callers may call (ADMIN, SERVICE): the
# back office's and the ERP's, the orders service's batches (orders has checked the route
# scope of each order; settlements relies on it), and the bulk lists (the device gateway's).
COMPANY_WIDE = {
    "RecordInvoice",
    "RecordTareCounts",
    "RecordTareDocuments",
    "SetCreditLimit",
    "SetDebtPolicy",
    "CheckCreditBatch",
    "ListBalances",
    "ListTareBalances",
    "ListCreditStandings",
}


def names_a_client(message: Descriptor, seen: frozenset[str] = frozenset()) -> bool:
    """The request names a client: a `client_id` (or `client_ids`) anywhere in it, or an
    `order_id` (an order's reservation is its client's)."""
    if message.full_name in seen:
        return False
    for f in message.fields:
        if f.name in ("client_id", "client_ids", "order_id"):
            return True
        if f.message_type is not None and names_a_client(
            f.message_type, seen | {message.full_name}
        ):
            return True
    return False


def test_every_rpc_naming_a_client_has_a_scope_case() -> None:
    naming = {m.name for m in API.methods if names_a_client(m.input_type)}
    assert naming == set(CASES) | COMPANY_WIDE
    assert not set(CASES) & COMPANY_WIDE
    for name in COMPANY_WIDE:
        assert POLICY[name].roles <= {"ADMIN", "SERVICE"}, name


def outsider_and_owner(name: str, w: World) -> tuple[Caller, Caller]:
    """Who asks about B's client from outside its scope, and who from inside: the agents,
    or the supervisors where agents are not admitted."""
    if "AGENT" in POLICY[name].roles:
        return w.a.agent, w.b.agent
    return w.a.supervisor, w.b.supervisor


async def call(h: Harness, caller: Caller, name: str, request: Message) -> Any:
    return await getattr(stub(h, caller), name)(request)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_outside_the_scope_a_read_is_not_found_a_write_denied_and_nothing_written(
    svc: Harness, world: World, name: str
) -> None:
    case = CASES[name]
    outsider, owner = outsider_and_owner(name, world)
    request = await case.build(svc, world.b)
    before = await snapshot(svc)
    if case.write:
        error = await expect_error(
            call(svc, outsider, name, request), DENIED, "is outside your scope"
        )
    else:
        error = await expect_error(call(svc, outsider, name, request), NOT_FOUND)
        # Exactly as for a client that does not exist: nothing tells the two apart.
        unknown = new_id()
        missing = await expect_error(
            call(svc, outsider, name, await case.build(svc, _with_client(world.b, unknown))),
            NOT_FOUND,
        )
        assert error.details() == missing.details().replace(unknown, world.b.client)
        assert error.details() == f"client_id: client {world.b.client!r} not found"
    assert await snapshot(svc) == before, name
    # B's own (its supervisor's) call of the same succeeds.
    await call(svc, owner, name, request)


def _with_client(s: Side, client: str) -> Side:
    return Side(s.agent, s.supervisor, client, s.outlet, s.invoice, s.teleseller)


TELESELLERS = sorted(n for n in CASES if "TELESELLER" in POLICY[n].roles)


def test_a_teleseller_is_admitted_to_the_reads_and_the_credit_checks_only() -> None:
    assert sorted(set(CASES) - {"GetAgingReport", "RecordPayment"}) == TELESELLERS


@pytest.mark.parametrize("name", TELESELLERS)
async def test_a_teleseller_reaches_the_clients_of_its_call_lists_and_not_others(
    svc: Harness, world: World, name: str
) -> None:
    """Its PHONE routes are its scope: TA asking about B's client is refused as A is (NOT_FOUND
    for a read, exactly as for an unknown client; PERMISSION_DENIED for a write) and writes
    nothing; TB's call and TA's about its own client succeed."""
    case = CASES[name]
    request = await case.build(svc, world.b)
    before = await snapshot(svc)
    if case.write:
        await expect_error(
            call(svc, world.a.teleseller, name, request), DENIED, "is outside your scope"
        )
    else:
        error = await expect_error(call(svc, world.a.teleseller, name, request), NOT_FOUND)
        assert error.details() == f"client_id: client {world.b.client!r} not found"
    assert await snapshot(svc) == before, name
    await call(svc, world.b.teleseller, name, request)
    await call(svc, world.a.teleseller, name, await case.build(svc, world.a))


async def test_a_teleseller_records_no_payment_even_for_the_client_it_calls(
    svc: Harness, world: World
) -> None:
    before = await snapshot(svc)
    await expect_error(
        call(svc, world.a.teleseller, "RecordPayment", await _payment(svc, world.a)),
        DENIED,
        "has no role admitted to",
    )
    # It holds no cash: none to read either.
    await expect_error(
        call(svc, world.a.teleseller, "GetCashOnHand", ss.GetCashOnHandRequest()), DENIED
    )
    await expect_error(
        call(svc, world.a.teleseller, "ListCashHandovers", ss.ListCashHandoversRequest()), DENIED
    )
    assert await snapshot(svc) == before


@pytest.mark.parametrize("name", sorted(n for n in CASES if "SUPERVISOR" in POLICY[n].roles))
async def test_a_supervisor_reaches_its_teams_clients_and_not_others(
    svc: Harness, world: World, name: str
) -> None:
    case = CASES[name]
    await call(svc, world.a.supervisor, name, await case.build(svc, world.a))
    request = await case.build(svc, world.b)
    before = await snapshot(svc)
    code = DENIED if case.write else NOT_FOUND
    await expect_error(call(svc, world.a.supervisor, name, request), code)
    assert await snapshot(svc) == before


async def test_the_agents_reservation_released_by_its_agent_only(
    svc: Harness, world: World
) -> None:
    request = await _reserved_order(svc, world.b)
    await expect_error(stub(svc, world.a.agent).ReleaseCredit(request), DENIED, "order_id:")
    assert (await stub(svc, world.b.agent).ReleaseCredit(request)).released
    # An order holding no reservation: nothing to release, for anyone.
    nothing = ss.ReleaseCreditRequest(request_id=new_id(), order_id=new_id())
    assert not (await stub(svc, world.a.agent).ReleaseCredit(nothing)).released


# --------------------------------------------------------------------------------- lists
async def invoice_clients(h: Harness, caller: Caller, **filters: Any) -> set[str]:
    found, token = set(), ""
    while True:
        page = await stub(h, caller).ListInvoices(
            ss.ListInvoicesRequest(page_size=100, page_token=token, **filters)
        )
        found |= {i.client_id for i in page.invoices}
        token = page.next_page_token
        if not token:
            return found


async def test_lists_leave_out_the_clients_outside_the_scope(svc: Harness, world: World) -> None:
    a, b = world.a, world.b
    assert await invoice_clients(svc, a.agent) == {a.client}
    assert await invoice_clients(svc, b.agent) == {b.client}
    assert await invoice_clients(svc, a.supervisor) == {a.client}
    assert await invoice_clients(svc, a.teleseller) == {a.client}
    assert await invoice_clients(svc, b.teleseller) == {b.client}
    assert await invoice_clients(svc, a.agent, outlet_id=b.outlet) == set()
    assert await invoice_clients(svc, a.agent, open_only=True) == {a.client}
    everyone = await invoice_clients(svc, Caller("admin-2", {"ADMIN"}))
    assert {a.client, b.client} <= everyone


async def test_the_aging_report_is_the_supervisors_teams(svc: Harness, world: World) -> None:
    a, b = world.a, world.b
    mine = await stub(svc, a.supervisor).GetAgingReport(ss.GetAgingReportRequest(page_size=10))
    assert [r.client_id for r in mine.rows] == [a.client]
    # The totals cover its clients only: its one row.
    row = ss.AgingRow()
    row.CopyFrom(mine.rows[0])
    row.ClearField("client_id")
    assert mine.totals == row
    assert dec(row.overdue_31_60) == 500
    theirs = await stub(svc, b.supervisor).GetAgingReport(ss.GetAgingReportRequest())
    assert [r.client_id for r in theirs.rows] == [b.client]
    company = await svc.settlements.GetAgingReport(ss.GetAgingReportRequest(page_size=1000))
    assert {a.client, b.client} <= {r.client_id for r in company.rows}


async def payment_clients(h: Harness, caller: Caller, **filters: Any) -> set[str]:
    found, token = set(), ""
    while True:
        page = await stub(h, caller).ListPayments(
            ss.ListPaymentsRequest(page_size=100, page_token=token, **filters)
        )
        found |= {p.client_id for p in page.payments}
        token = page.next_page_token
        if not token:
            return found


async def test_payments_list_the_clients_invoices_list_for_every_caller(svc: Harness) -> None:
    """Scope parity: ListPayments answers each caller the clients ListInvoices answers it (a
    world of its own, each client with an invoice and a payment, so other tests' data stays
    as they expect)."""
    a, a_events = await side(svc)
    b, b_events = await side(svc)
    await svc.wait_fed(*a_events, *b_events)
    admin = Caller("admin-3", {"ADMIN"})

    async def van_sales_booked() -> bool:  # their invoices name the outlets
        for s in (a, b):
            if s.client not in await invoice_clients(svc, admin, outlet_id=s.outlet):
                return False
        return True

    await eventually(van_sales_booked, within=20, what="the van sales' invoices booked")
    for s in (a, b):
        await stub(svc, s.agent).RecordPayment(await _payment(svc, s))
    callers = [a.agent, b.agent, a.supervisor, b.supervisor, a.teleseller, b.teleseller, admin]
    for caller in callers:
        for filters in ({}, {"outlet_id": a.outlet}, {"outlet_id": b.outlet}):
            invoices = await invoice_clients(svc, caller, **filters) & {a.client, b.client}
            payments = await payment_clients(svc, caller, **filters) & {a.client, b.client}
            assert payments == invoices, (caller.subject, filters)
    assert await payment_clients(svc, a.agent) == {a.client}
    assert await payment_clients(svc, a.supervisor) == {a.client}
    assert await payment_clients(svc, b.teleseller) == {b.client}
    assert {a.client, b.client} <= await payment_clients(svc, admin)


async def tare_clients(h: Harness, caller: Caller, **filters: Any) -> set[str]:
    found, token = set(), ""
    while True:
        page = await stub(h, caller).ListTareMovements(
            ss.ListTareMovementsRequest(page_size=100, page_token=token, **filters)
        )
        found |= {m.client_id for m in page.movements}
        token = page.next_page_token
        if not token:
            return found


async def test_tare_movements_list_the_clients_invoices_list(svc: Harness, world: World) -> None:
    """Scope parity: each side's van sale moved its containers and booked its invoice."""
    a, b = world.a, world.b
    both = {a.client, b.client}
    callers = (a.agent, b.agent, a.supervisor, b.supervisor, a.teleseller, b.teleseller)
    for caller in (*callers, Caller("admin-4", {"ADMIN"})):
        for filters in ({}, {"outlet_id": a.outlet}):
            invoices = await invoice_clients(svc, caller, **filters) & both
            assert await tare_clients(svc, caller, **filters) & both == invoices, caller.subject
    assert await tare_clients(svc, a.agent) == {a.client}
    assert await tare_clients(svc, a.teleseller) == {a.client}
