"""Payments' source and the BANK rule; cash on hand and its handover (domain/cash.py), the
cash scopes (domain/access.py `Staff`), and the use cases over the fakes."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from fieldline_kit.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain import cash
from fieldline_settlements.domain.access import Caller, staff_read, staff_received
from fieldline_settlements.domain.cash import CashOnHand, HandoverRequest
from fieldline_settlements.domain.events import CashHandedOver, CashOnHandChanged
from fieldline_settlements.domain.ledger import (
    Payment,
    PaymentKind,
    PaymentSource,
    payment_source,
)
from fieldline_settlements.service_layer import handlers

from .conftest import CFG, CLIENT, NOW, OUTLET_A, TODAY, d
from .fakes import FakeSettlementsUnitOfWork

AGENT = "agent-1"
OTHER = "agent-2"
ADMIN = Caller.of("admin", {"ADMIN"})


def cash_payment(amount: str, *, by: str = AGENT, handover_id: str = "") -> Payment:
    p = Payment.create(
        id=new_id(),
        kind=PaymentKind.CASH,
        client_id=CLIENT,
        outlet_id=OUTLET_A,
        date_=TODAY,
        amount_=d(amount),
        receipt_number="R-1",
        collected_by=by,
        now=NOW,
    )
    p.handover_id = handover_id
    return p


def bank_payment(amount: str) -> Payment:
    return Payment.create(
        id=new_id(),
        kind=PaymentKind.BANK,
        client_id=CLIENT,
        outlet_id=OUTLET_A,
        date_=TODAY,
        amount_=d(amount),
        receipt_number="",
        collected_by="",
        now=NOW,
        source=PaymentSource.ERP,
    )


# ------------------------------------------------------------------------ payment source
class TestPaymentSource:
    def test_an_employee_records_field_payments_and_admins_and_systems_erp_ones(self) -> None:
        assert payment_source(for_others=False) is PaymentSource.FIELD
        assert payment_source(for_others=True) is PaymentSource.ERP

    def test_an_employee_records_cash_only(self) -> None:
        with pytest.raises(PermissionDenied, match=r"^payment.kind: bank payments come from"):
            Payment.create(
                id=new_id(),
                kind=PaymentKind.BANK,
                client_id=CLIENT,
                outlet_id="",
                date_=TODAY,
                amount_=d("1.00"),
                receipt_number="",
                collected_by="",
                now=NOW,
                source=PaymentSource.FIELD,
            )

    def test_the_erp_and_a_van_sale_record_either_kind(self) -> None:
        assert bank_payment("1.00").source is PaymentSource.ERP
        assert cash_payment("1.00").on_hand

    def test_a_visit_is_a_uuid_and_not_the_payments_content(self) -> None:
        with pytest.raises(InvalidArgument, match=r"^payment.visit_id:"):
            Payment.create(
                id=new_id(),
                kind=PaymentKind.CASH,
                client_id=CLIENT,
                outlet_id="",
                date_=TODAY,
                amount_=d("1.00"),
                receipt_number="R",
                collected_by=AGENT,
                now=NOW,
                visit_id="visit-7",
            )
        first = cash_payment("5.00")
        again = cash_payment("5.00")
        again.visit_id = new_id()
        assert first.same_document(again)

    def test_only_cash_with_a_collector_and_no_handover_is_on_hand(self) -> None:
        assert cash_payment("1.00").on_hand
        assert not cash_payment("1.00", handover_id=new_id()).on_hand
        assert not bank_payment("1.00").on_hand


# ---------------------------------------------------------------------------- cash on hand
def test_cash_on_hand_steps_with_each_change_and_records_it() -> None:
    held = CashOnHand(AGENT)
    held.collected(cash_payment("100.00"))
    held.collected(cash_payment("50.50"))
    asked = cash.request(new_id(), AGENT, TODAY, d("100.00"), [])
    handover = cash.hand_over(asked, {}, [cash_payment("100.00")], received_by="sup-1", now=NOW)
    held.handed_over(handover)
    assert (held.total, held.version) == (d("50.50"), 3)
    assert [(e.total, e.version) for e in held.events if isinstance(e, CashOnHandChanged)] == [
        (d("100.00"), 1),
        (d("150.50"), 2),
        (d("50.50"), 3),
    ]


def test_a_handover_covering_nothing_changes_no_cash_on_hand() -> None:
    held = CashOnHand(AGENT, d("10.00"), 4)
    asked = cash.request(new_id(), AGENT, TODAY, d("3.00"), [])
    held.handed_over(cash.hand_over(asked, {}, [], received_by="sup-1", now=NOW))
    assert (held.total, held.version, held.events) == (d("10.00"), 4, [])


# -------------------------------------------------------------------------------- handover
def ask(counted: str = "0.00", *payment_ids: str, employee: str = AGENT) -> HandoverRequest:
    return cash.request(new_id(), employee, TODAY, d(counted), list(payment_ids))


class TestHandover:
    def test_the_named_payments_with_expected_and_difference(self) -> None:
        a, b, c = cash_payment("100.00"), cash_payment("40.00"), cash_payment("7.00")
        asked = ask("130.00", a.id, b.id)
        handover = cash.hand_over(
            asked, {a.id: a, b.id: b}, [a, b, c], received_by="sup-1", now=NOW
        )
        assert handover.payment_ids == (a.id, b.id)
        assert (handover.expected, handover.difference) == (d("140.00"), d("-10.00"))
        assert handover.received_by == "sup-1"
        assert handover.events == [CashHandedOver(handover)]

    def test_none_named_covers_every_payment_on_hand(self) -> None:
        a, b = cash_payment("100.00"), cash_payment("40.00")
        handover = cash.hand_over(ask("140.00"), {}, [a, b], received_by="admin", now=NOW)
        assert (handover.payment_ids, handover.expected) == ((a.id, b.id), d("140.00"))
        assert handover.difference == 0

    def test_counted_cash_with_nothing_on_hand_is_a_surplus(self) -> None:
        handover = cash.hand_over(ask("25.00"), {}, [], received_by="admin", now=NOW)
        assert (handover.expected, handover.difference) == (Decimal("0"), d("25.00"))

    @pytest.mark.parametrize(
        ("payment", "message"),
        [
            (bank_payment("10.00"), "was not collected by agent-1"),
            (cash_payment("10.00", by=OTHER), "was not collected by agent-1"),
            (cash_payment("10.00", handover_id="h-1"), "was already handed over (handover h-1)"),
        ],
    )
    def test_each_named_must_be_the_employees_cash_on_hand(
        self, payment: Payment, message: str
    ) -> None:
        ok = cash_payment("5.00")
        asked = ask("15.00", ok.id, payment.id)
        expected = r"^handover.payment_ids\[1\]: payment .*" + re.escape(message)
        with pytest.raises(InvalidArgument, match=expected):
            cash.hand_over(asked, {ok.id: ok, payment.id: payment}, [], received_by="a", now=NOW)

    def test_a_bank_payment_collected_by_the_employee_is_not_cash(self) -> None:
        bank = bank_payment("10.00")
        bank.collected_by = AGENT
        with pytest.raises(InvalidArgument, match=r"is not a cash payment$"):
            cash.hand_over(ask("10.00", bank.id), {bank.id: bank}, [], received_by="a", now=NOW)

    def test_an_unknown_payment_is_not_found(self) -> None:
        missing = new_id()
        with pytest.raises(NotFound, match=r"^handover.payment_ids\[0\]: payment"):
            cash.hand_over(ask("1.00", missing), {}, [], received_by="a", now=NOW)

    def test_nothing_on_hand_and_nothing_counted_is_refused(self) -> None:
        with pytest.raises(InvalidArgument, match=r"^handover.counted: agent-1 has no cash"):
            cash.hand_over(ask("0.00"), {}, [], received_by="a", now=NOW)

    @pytest.mark.parametrize(
        ("args", "field"),
        [
            (("not-a-uuid", AGENT, "1.00", []), "handover.id"),
            ((None, "", "1.00", []), "handover.employee_id"),
            ((None, "x" * 65, "1.00", []), "handover.employee_id"),
            ((None, AGENT, "-0.01", []), "handover.counted"),
            ((None, AGENT, "0.001", []), "handover.counted"),
            ((None, AGENT, "1.00", ["p-1", ""]), r"handover.payment_ids\[1\]"),
            ((None, AGENT, "1.00", ["p-1", "p-2", "p-1"]), r"handover.payment_ids\[2\]"),
        ],
    )
    def test_the_form_names_each_bad_field(self, args: tuple[object, ...], field: str) -> None:
        id_, employee, counted, ids = args
        assert isinstance(ids, list)
        with pytest.raises(InvalidArgument, match=rf"^{field}:"):
            cash.request(str(id_ or new_id()), str(employee), TODAY, d(str(counted)), ids)


# ------------------------------------------------------------------------------- scopes
@pytest.mark.parametrize(
    ("roles", "reads", "receives"),
    [
        ({"AGENT"}, {"me"}, set()),
        ({"VAN_SELLER"}, {"me"}, set()),
        ({"SUPERVISOR"}, {"me", "t1", "t2"}, {"t1", "t2"}),
        ({"MERCHANDISER"}, set(), set()),
        ({"TELESELLER"}, set(), set()),  # it takes no cash
        ({"TELESELLER", "AGENT"}, {"me"}, set()),
    ],
)
def test_whose_cash_a_caller_reads_and_receives(
    roles: set[str], reads: set[str], receives: set[str]
) -> None:
    caller = Caller.of("me", roles)
    team = {"t1", "t2", "me"}  # a supervisor in its own team receives none of its own cash
    read, received = staff_read(caller, team), staff_received(caller, team)
    assert not read.company_wide and not received.company_wide
    if "SUPERVISOR" not in roles:
        read = staff_read(caller, ())
        received = staff_received(caller, ())
    assert (set(read.employees), set(received.employees)) == (reads, receives)


@pytest.mark.parametrize("role", ["ADMIN", "SERVICE"])
def test_admins_and_systems_read_and_receive_everyones_cash(role: str) -> None:
    caller = Caller.of("svc:cashier", {role})
    assert staff_read(caller).holds("anyone") and staff_received(caller).holds("anyone")


# ---------------------------------------------------------------------------- use cases
def payment_input(
    kind: PaymentKind, *, recorded_by: str, for_others: bool, amount: str = "100.00"
) -> handlers.PaymentInput:
    return handlers.PaymentInput(
        id=new_id(),
        kind=kind,
        client_id=CLIENT,
        outlet_id=OUTLET_A,
        date=TODAY,
        amount=d(amount),
        receipt_number="R-1" if kind is PaymentKind.CASH else "",
        collected_by="",
        recorded_by=recorded_by,
        for_others=for_others,
    )


async def test_a_payment_is_sourced_by_who_records_it_and_cash_counts_on_hand() -> None:
    uow = FakeSettlementsUnitOfWork()
    field = await uow.run(
        handlers.record_payment,
        CFG,
        NOW,
        TODAY,
        payment_input(PaymentKind.CASH, recorded_by=AGENT, for_others=False),
    )
    erp = await uow.run(
        handlers.record_payment,
        CFG,
        NOW,
        TODAY,
        payment_input(PaymentKind.BANK, recorded_by="svc:erp", for_others=True),
    )
    await uow.refused(
        PermissionDenied,
        handlers.record_payment,
        CFG,
        NOW,
        TODAY,
        payment_input(PaymentKind.BANK, recorded_by=AGENT, for_others=False),
        match=r"^payment.kind: bank payments come from the ERP$",
    )
    assert (field.source, erp.source) == (PaymentSource.FIELD, PaymentSource.ERP)
    (held,) = uow.cash.all()
    assert (held.employee_id, held.total, held.version) == (AGENT, d("100.00"), 1)


async def handover(
    uow: FakeSettlementsUnitOfWork,
    counted: str,
    *payment_ids: str,
    handover_id: str = "",
    employee: str = AGENT,
    staff_of: Caller = ADMIN,
) -> cash.CashHandover:
    return await uow.run(
        handlers.record_cash_handover,
        NOW,
        handover_id=handover_id or new_id(),
        employee_id=employee,
        on=TODAY,
        counted=d(counted),
        payment_ids=list(payment_ids),
        received_by=staff_of.id,
        staff=staff_received(staff_of, {AGENT}),
    )


async def collected(uow: FakeSettlementsUnitOfWork, amount: str) -> Payment:
    inp = payment_input(PaymentKind.CASH, recorded_by=AGENT, for_others=False, amount=amount)
    return await uow.run(handlers.record_payment, CFG, NOW, TODAY, inp)


async def test_a_handover_marks_its_payments_and_lowers_the_cash_on_hand() -> None:
    uow = FakeSettlementsUnitOfWork()
    first = await collected(uow, "100.00")
    second = await collected(uow, "40.00")
    third = await collected(uow, "7.00")
    uow.events.clear()
    done = await handover(uow, "140.00", first.id, second.id)
    assert (done.expected, done.difference) == (d("140.00"), 0)
    stored = {p.id: p.handover_id for p in uow.payments.all()}
    assert stored == {first.id: done.id, second.id: done.id, third.id: ""}
    (held,) = uow.cash.all()
    assert (held.total, held.version) == (d("7.00"), 4)
    assert sorted(type(e).__name__ for e in uow.events) == ["CashHandedOver", "CashOnHandChanged"]
    # The rest, none named.
    rest = await handover(uow, "7.00")
    assert rest.payment_ids == (third.id,)
    assert uow.cash.all()[0].total == 0


async def test_a_handover_again_answers_the_first_and_other_content_already_exists() -> None:
    uow = FakeSettlementsUnitOfWork()
    paid = await collected(uow, "100.00")
    first = await handover(uow, "100.00", paid.id)
    again = await handover(uow, "100.00", handover_id=first.id)  # none named: the same
    assert (again.id, again.payment_ids, again.expected) == (first.id, (paid.id,), d("100.00"))
    await uow.refused(
        AlreadyExists,
        handlers.record_cash_handover,
        NOW,
        handover_id=first.id,
        employee_id=AGENT,
        on=TODAY,
        counted=d("99.00"),
        payment_ids=[],
        received_by="admin",
        staff=staff_received(Caller.of("admin", {"ADMIN"})),
        match=r"^handover.id: handover",
    )


async def test_a_handover_outside_the_receivers_team_is_denied_and_writes_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    await collected(uow, "100.00")
    supervisor = Caller.of("sup-2", {"SUPERVISOR"})
    await uow.refused(
        PermissionDenied,
        handlers.record_cash_handover,
        NOW,
        handover_id=new_id(),
        employee_id=AGENT,
        on=TODAY,
        counted=d("100.00"),
        payment_ids=[],
        received_by=supervisor.id,
        staff=staff_received(supervisor, {"someone-else"}),
        match=r"^handover.employee_id: employee agent-1 is outside your scope$",
    )


async def test_a_payment_another_handover_took_meanwhile_is_a_conflict() -> None:
    uow = FakeSettlementsUnitOfWork()
    paid = await collected(uow, "100.00")
    async with uow:
        with pytest.raises(Conflict, match=r"^handover.payment_ids:"):
            await uow.payments.hand_over([paid.id], "h-1")
            await uow.payments.hand_over([paid.id], "h-2")


async def test_the_cash_on_hand_of_an_employee_outside_the_readers_scope_is_not_found() -> None:
    uow = FakeSettlementsUnitOfWork()
    await collected(uow, "100.00")
    async with uow:
        figure, held = await handlers.cash_on_hand(
            uow, AGENT, staff_read(Caller.of(AGENT, {"AGENT"}))
        )
        assert (figure.total, figure.version, len(held)) == (d("100.00"), 1, 1)
        with pytest.raises(NotFound, match=r"^employee_id: employee 'agent-1' not found"):
            await handlers.cash_on_hand(uow, AGENT, staff_read(Caller.of(OTHER, {"AGENT"})))
