"""Cash on hand and its handover over real gRPC (docs/contexts/settlements.md#cash-on-hand):
the figure follows every cash payment (the agent's own, an administrator's for it, a van
sale's) and every handover; a handover covers each payment once, also when two race for it;
bad input named per field with nothing written; the access rule table-driven over roles and
scopes (own, team, company)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import grpc
import pytest
import pytest_asyncio
from sqlalchemy import select

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.errors import Conflict
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.events import published
from fieldline_kit.testing.helpers import eventually_value, expect_error, new_id
from fieldline_settlements.adapters import orm

from .builders import dec, envelope, pb_date, publish, rub, snapshot, van_sale
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND = grpc.StatusCode.NOT_FOUND
DAY = date(2025, 6, 2)


@dataclass(frozen=True)
class Team:
    """An agent with a client on its route, its supervisor, and another team's supervisor."""

    agent: Caller
    supervisor: Caller
    stranger: Caller
    client: str


async def team(h: Harness) -> Team:
    agent = Caller(new_id(), {"AGENT", "VAN_SELLER"})
    supervisor = Caller(new_id(), {"SUPERVISOR"})
    stranger = Caller(new_id(), {"SUPERVISOR"})
    client = new_id()
    await h.on_route(agent.subject, client)
    await h.in_team(supervisor.subject, agent.subject, "AGENT", "VAN_SELLER")
    await h.in_team(stranger.subject, new_id())
    return Team(agent, supervisor, stranger, client)


def stub(h: Harness, caller: Caller | None = None) -> ss_grpc.SettlementsServiceStub:
    return h.settlements if caller is None else h.stub(ss_grpc.SettlementsServiceStub, as_=caller)


async def collect(
    h: Harness, t: Team, amount: str, *, on: date = DAY, by: Caller | None = None
) -> pb.Payment:
    """A cash payment the agent collected: recorded by itself, or by `by` (an admin) for it."""
    request = ss.RecordPaymentRequest(
        request_id=new_id(),
        payment=pb.Payment(
            id=new_id(),
            kind=pb.PAYMENT_KIND_CASH,
            client_id=t.client,
            date=pb_date(on),
            amount=rub(amount),
            receipt_number="R-1",
            collected_by=t.agent.subject if by is not None else "",
        ),
    )
    return (await stub(h, by or t.agent).RecordPayment(request)).payment


def handover_request(
    t: Team, counted: str, *payment_ids: str, handover_id: str = "", on: date = DAY
) -> ss.RecordCashHandoverRequest:
    return ss.RecordCashHandoverRequest(
        request_id=new_id(),
        handover=pb.CashHandover(
            id=handover_id or new_id(),
            employee_id=t.agent.subject,
            date=pb_date(on),
            counted=rub(counted),
            payment_ids=list(payment_ids),
        ),
    )


async def on_hand(h: Harness, t: Team, caller: Caller | None = None) -> pb.CashOnHand:
    request = ss.GetCashOnHandRequest(employee_id="" if caller is t.agent else t.agent.subject)
    return (await stub(h, caller or t.agent).GetCashOnHand(request)).cash_on_hand


async def test_cash_on_hand_follows_every_cash_payment_and_handover(svc: Harness) -> None:
    t = await team(svc)
    first = await collect(svc, t, "100.00", on=DAY)
    second = await collect(svc, t, "40.00", on=DAY + timedelta(days=1))
    by_admin = await collect(
        svc, t, "25.00", on=DAY - timedelta(days=3), by=Caller("a-1", {"ADMIN"})
    )
    bank = await svc.settlements.RecordPayment(  # a bank payment is no one's cash
        ss.RecordPaymentRequest(
            request_id=new_id(),
            payment=pb.Payment(
                id=new_id(),
                kind=pb.PAYMENT_KIND_BANK,
                client_id=t.client,
                date=pb_date(DAY),
                amount=rub("500.00"),
            ),
        )
    )
    sale = van_sale(t.client, new_id(), "60.00", cash="60.00", on=DAY + timedelta(days=2))
    sale.order.agent_id = t.agent.subject
    await publish(svc.js, envelope(sale, sale.order.id))
    held = await eventually_value(lambda: on_hand(svc, t), lambda c: c.version == 4)
    assert (dec(held.total), held.version) == (Decimal("225.00"), 4)
    assert held.oldest_date == pb_date(DAY - timedelta(days=3))
    assert [p.id for p in held.payments][:3] == [by_admin.id, first.id, second.id]
    assert {p.source for p in held.payments} == {
        pb.PAYMENT_SOURCE_FIELD,
        pb.PAYMENT_SOURCE_ERP,
        pb.PAYMENT_SOURCE_VAN_SALE,
    }
    assert bank.payment.id not in {p.id for p in held.payments}

    # The supervisor receives two of them, 5.00 short.
    done = (
        await stub(svc, t.supervisor).RecordCashHandover(
            handover_request(t, "135.00", first.id, second.id)
        )
    ).handover
    assert (dec(done.expected), dec(done.difference)) == (Decimal("140.00"), Decimal("-5.00"))
    assert (done.received_by, done.version, list(done.payment_ids)) == (
        t.supervisor.subject,
        1,
        [first.id, second.id],
    )
    after = await on_hand(svc, t)
    assert (dec(after.total), after.version) == (Decimal("85.00"), 5)
    listed = await svc.settlements.ListPayments(
        ss.ListPaymentsRequest(collected_by=t.agent.subject, page_size=10)
    )
    assert {p.id: p.handover_id for p in listed.payments if p.handover_id} == {
        first.id: done.id,
        second.id: done.id,
    }
    handovers = await stub(svc, t.agent).ListCashHandovers(ss.ListCashHandoversRequest())
    assert [(h.id, list(h.payment_ids)) for h in handovers.handovers] == [
        (done.id, [first.id, second.id])
    ]
    # The rest: none named, every payment on hand.
    rest = (await svc.settlements.RecordCashHandover(handover_request(t, "85.00"))).handover
    assert (len(rest.payment_ids), dec(rest.difference)) == (2, 0)
    final = await on_hand(svc, t)
    assert (dec(final.total), final.version, list(final.payments)) == (0, 6, [])
    assert not final.HasField("oldest_date")

    # Published: each change of the figure, in version order, and each handover.
    changes = await published(
        svc.js,
        "SETTLEMENTS",
        lambda e: e.aggregate_type == "cash_on_hand" and e.aggregate_id == t.agent.subject,
        expect=6,
    )
    assert [(p.envelope.aggregate_version, dec(p.message.total)) for p in changes] == [  # type: ignore[attr-defined]
        (1, Decimal("100.00")),
        (2, Decimal("140.00")),
        (3, Decimal("165.00")),
        (4, Decimal("225.00")),
        (5, Decimal("85.00")),
        (6, Decimal("0.00")),
    ]
    (handed,) = await published(
        svc.js, "SETTLEMENTS", lambda e: e.aggregate_id == done.id, expect=1
    )
    assert handed.name == "CashHandedOver" and handed.message.handover == done  # type: ignore[attr-defined]


async def test_a_retry_answers_the_handover_and_other_content_already_exists(
    svc: Harness,
) -> None:
    t = await team(svc)
    paid = await collect(svc, t, "70.00")
    request = handover_request(t, "70.00", paid.id)
    first = await svc.settlements.RecordCashHandover(request)
    assert await svc.settlements.RecordCashHandover(request) == first
    again = handover_request(t, "70.00", handover_id=first.handover.id)  # a new request_id
    assert (await svc.settlements.RecordCashHandover(again)).handover == first.handover
    before = await snapshot(svc)
    other = handover_request(t, "69.00", handover_id=first.handover.id)
    await expect_error(
        svc.settlements.RecordCashHandover(other),
        grpc.StatusCode.ALREADY_EXISTS,
        "handover.id:",
    )
    assert await snapshot(svc) == before


async def test_two_handovers_racing_for_one_payment_exactly_one_wins(svc: Harness) -> None:
    t = await team(svc)
    paid = await collect(svc, t, "50.00")
    requests = [handover_request(t, "50.00", paid.id) for _ in range(4)]
    results = await asyncio.gather(
        *(svc.settlements.RecordCashHandover(r) for r in requests), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, ss.RecordCashHandoverResponse)]
    lost = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert (len(won), len(lost)) == (1, 3), results
    for error in lost:
        # Serialised on the employee's cash on hand, the later ones find it handed over; had
        # they read it before, the guarded update would leave them ABORTED.
        assert error.code() in (INVALID, grpc.StatusCode.ABORTED), error
        assert "handover.payment_ids" in (error.details() or "")
    winner = won[0].handover
    async with svc.app.read_sessions() as s:
        p, h = orm.payments, orm.cash_handovers
        taken = await s.scalar(select(p.c.handover_id).where(p.c.id == paid.id))
        rows = (await s.scalars(select(h.c.id).where(h.c.employee_id == t.agent.subject))).all()
    assert (taken, rows) == (winner.id, [winner.id])
    held = await on_hand(svc, t)
    assert (dec(held.total), held.version) == (0, 2)


async def test_a_payment_taken_meanwhile_leaves_the_handover_aborted(svc: Harness) -> None:
    """The last defence, when the payment was read on hand and another handover took it
    before the write: the guarded update matches nothing, the transaction rolls back."""
    t = await team(svc)
    paid = await collect(svc, t, "10.00")
    await svc.settlements.RecordCashHandover(handover_request(t, "10.00", paid.id))
    before = await snapshot(svc)
    with pytest.raises(Conflict, match=r"^handover\.payment_ids:"):
        async with svc.app.uow() as uow:
            await uow.payments.hand_over([paid.id], new_id())
            await uow.commit()
    assert await snapshot(svc) == before


# ------------------------------------------------------------------------------ bad input
def _without(field: str) -> Any:
    def change(r: ss.RecordCashHandoverRequest) -> None:
        r.handover.ClearField(field)

    return change


def _set(**values: Any) -> Any:
    def change(r: ss.RecordCashHandoverRequest) -> None:
        for name, value in values.items():
            if isinstance(value, list):
                del getattr(r.handover, name)[:]
                getattr(r.handover, name).extend(value)
            elif hasattr(value, "CopyFrom"):
                getattr(r.handover, name).CopyFrom(value)
            else:
                setattr(r.handover, name, value)

    return change


@pytest_asyncio.fixture(scope="module")
async def spread(svc: Harness) -> dict[str, Any]:
    """A team whose agent holds cash, a bank payment, another agent's cash, a payment handed
    over already."""
    t = await team(svc)
    other = await team(svc)
    own = await collect(svc, t, "30.00")
    handed = await collect(svc, t, "5.00")
    await svc.settlements.RecordCashHandover(handover_request(t, "5.00", handed.id))
    theirs = await collect(svc, other, "8.00")
    bank = await svc.settlements.RecordPayment(
        ss.RecordPaymentRequest(
            request_id=new_id(),
            payment=pb.Payment(
                id=new_id(),
                kind=pb.PAYMENT_KIND_BANK,
                client_id=t.client,
                collected_by=t.agent.subject,
                date=pb_date(DAY),
                amount=rub("9.00"),
            ),
        )
    )
    empty = await team(svc)
    return {
        "team": t,
        "empty": empty,
        "own": own.id,
        "handed": handed.id,
        "theirs": theirs.id,
        "bank": bank.payment.id,
    }


BAD: dict[str, tuple[Any, grpc.StatusCode, str]] = {
    "no handover": (lambda r: r.ClearField("handover"), INVALID, "handover: is required"),
    "id not a uuid": (_set(id="h-1"), INVALID, "handover.id:"),
    "no employee": (_set(employee_id=""), INVALID, "handover.employee_id:"),
    "no date": (_without("date"), INVALID, "handover.date:"),
    "no count": (_without("counted"), INVALID, "handover.counted:"),
    "negative count": (_set(counted=rub("-1.00")), INVALID, "handover.counted:"),
    "other currency": (
        _set(counted=pb.CashHandover(counted={"currency_code": "USD", "units": 1}).counted),
        INVALID,
        "handover.counted.currency_code:",
    ),
    "bank payment": ("bank", INVALID, "handover.payment_ids[1]: payment"),
    "another's payment": ("theirs", INVALID, "handover.payment_ids[1]: payment"),
    "handed over": ("handed", INVALID, "handover.payment_ids[1]: payment"),
    "unknown payment": ("unknown", NOT_FOUND, "handover.payment_ids[1]: payment"),
    "named twice": ("own", INVALID, "handover.payment_ids[1]: names"),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_input_is_named_per_field_and_writes_nothing(
    svc: Harness, spread: dict[str, Any], case: str
) -> None:
    change, code, needle = BAD[case]
    t = spread["team"]
    if isinstance(change, str):
        second = spread.get(change, new_id())
        request = handover_request(t, "30.00", spread["own"], second)
    else:
        request = handover_request(t, "30.00", spread["own"])
        change(request)
    before = await snapshot(svc)
    await expect_error(svc.settlements.RecordCashHandover(request), code, needle)
    assert await snapshot(svc) == before


async def test_nothing_on_hand_and_nothing_counted_is_refused(
    svc: Harness, spread: dict[str, Any]
) -> None:
    before = await snapshot(svc)
    await expect_error(
        svc.settlements.RecordCashHandover(handover_request(spread["empty"], "0.00")),
        INVALID,
        "handover.counted:",
        "has no cash on hand",
    )
    assert await snapshot(svc) == before


async def test_bad_reads_are_named_per_field(svc: Harness) -> None:
    cases: list[tuple[Any, str]] = [
        (stub(svc, CASHIER).GetCashOnHand(ss.GetCashOnHandRequest()), "employee_id:"),
        (
            svc.settlements.GetCashOnHand(ss.GetCashOnHandRequest(employee_id="e" * 65)),
            "employee_id:",
        ),
        (
            svc.settlements.ListCashHandovers(
                ss.ListCashHandoversRequest(
                    from_date=pb_date(DAY), to_date=pb_date(DAY - timedelta(days=1))
                )
            ),
            "to_date:",
        ),
        (
            svc.settlements.ListCashHandovers(ss.ListCashHandoversRequest(page_token="x")),
            "page_token:",
        ),
        (
            svc.settlements.ListCashHandovers(ss.ListCashHandoversRequest(page_size=-3)),
            "page_size:",
        ),
    ]
    for call, field in cases:
        error = await expect_error(call, INVALID)
        assert (error.details() or "").startswith(field), error.details()


# --------------------------------------------------------------------------------- access
ADMIN = Caller("admin-cash", {"ADMIN"})
CASHIER = Caller("svc:cashier", {"SERVICE"}, "service")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("supervisor", True),
        ("admin", True),
        ("service", True),
        ("stranger", False),  # another team's supervisor
    ],
)
async def test_who_receives_an_employees_cash(svc: Harness, who: str, allowed: bool) -> None:
    t = await team(svc)
    paid = await collect(svc, t, "12.00")
    caller = {"supervisor": t.supervisor, "admin": ADMIN, "service": CASHIER}.get(who, t.stranger)
    request = handover_request(t, "12.00", paid.id)
    if allowed:
        done = (await stub(svc, caller).RecordCashHandover(request)).handover
        assert done.received_by == caller.subject
        return
    before = await snapshot(svc)
    await expect_error(
        stub(svc, caller).RecordCashHandover(request),
        DENIED,
        f"handover.employee_id: employee {t.agent.subject} is outside your scope",
    )
    assert await snapshot(svc) == before


async def test_a_supervisor_receives_no_cash_of_its_own(svc: Harness) -> None:
    t = await team(svc)
    client = new_id()
    await svc.on_route(t.supervisor.subject, client)
    await svc.in_team(t.supervisor.subject, t.supervisor.subject, "SUPERVISOR")
    request = handover_request(t, "1.00")
    request.handover.employee_id = t.supervisor.subject
    await expect_error(stub(svc, t.supervisor).RecordCashHandover(request), DENIED, "outside")


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("agent", True),
        ("supervisor", True),
        ("admin", True),
        ("service", True),
        ("other agent", False),
        ("stranger", False),
    ],
)
async def test_whose_cash_a_caller_reads(svc: Harness, who: str, sees: bool) -> None:
    t = await team(svc)
    other = await team(svc)
    paid = await collect(svc, t, "15.00")
    await svc.settlements.RecordCashHandover(handover_request(t, "15.00", paid.id))
    caller = {
        "agent": t.agent,
        "supervisor": t.supervisor,
        "admin": ADMIN,
        "service": CASHIER,
        "other agent": other.agent,
        "stranger": t.stranger,
    }[who]
    get = ss.GetCashOnHandRequest(employee_id=t.agent.subject)
    listed = ss.ListCashHandoversRequest(employee_id=t.agent.subject)
    if sees:
        assert (await stub(svc, caller).GetCashOnHand(get)).cash_on_hand.version == 2
        found = await stub(svc, caller).ListCashHandovers(listed)
        assert [list(h.payment_ids) for h in found.handovers] == [[paid.id]]
        return
    unknown = new_id()
    for call, missing in (
        (
            stub(svc, caller).GetCashOnHand(get),
            stub(svc, caller).GetCashOnHand(ss.GetCashOnHandRequest(employee_id=unknown)),
        ),
        (
            stub(svc, caller).ListCashHandovers(listed),
            stub(svc, caller).ListCashHandovers(ss.ListCashHandoversRequest(employee_id=unknown)),
        ),
    ):
        error = await expect_error(call, NOT_FOUND)
        # Exactly as for an employee settlements never heard of.
        assert error.details() == (await expect_error(missing, NOT_FOUND)).details().replace(
            unknown, t.agent.subject
        )
        assert error.details() == f"employee_id: employee {t.agent.subject!r} not found"


async def test_the_handover_list_is_narrowed_to_the_callers_staff(svc: Harness) -> None:
    t = await team(svc)
    other = await team(svc)
    mine = (
        await svc.settlements.RecordCashHandover(
            handover_request(t, "3.00", (await collect(svc, t, "3.00")).id)
        )
    ).handover
    theirs = (
        await svc.settlements.RecordCashHandover(
            handover_request(other, "4.00", (await collect(svc, other, "4.00")).id)
        )
    ).handover

    async def seen(caller: Caller) -> set[str]:
        found, token = set(), ""
        while True:
            page = await stub(svc, caller).ListCashHandovers(
                ss.ListCashHandoversRequest(page_size=1, page_token=token)
            )
            found |= {h.id for h in page.handovers}
            token = page.next_page_token
            if not token:
                return found

    assert await seen(t.agent) == {mine.id}
    assert await seen(other.agent) == {theirs.id}
    assert await seen(t.supervisor) == {mine.id}
    assert {mine.id, theirs.id} <= await seen(ADMIN)
