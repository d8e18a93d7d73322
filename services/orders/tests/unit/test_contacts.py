"""Visits named by documents and the productive-contact figures (domain/contacts.py): the check
of a known visit, the judgement of a contact from its documents, its versions; the visits'
feed records (entrypoints/feed_consumer.py, service_layer/feed.py); the minimum's setting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from google.type import date_pb2

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cres
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.errors import FailedPrecondition, InvalidArgument
from fieldline_kit.messaging.consumer import PoisonMessage
from fieldline_orders.domain.contacts import (
    ContactDocument,
    ContactKind,
    DocumentKind,
    changed,
    check_visit,
    judge,
    productive_minimum,
)
from fieldline_orders.domain.feed import VisitState
from fieldline_orders.entrypoints.feed_consumer import feed_record
from fieldline_orders.service_layer import feed

from .fakes import FakeOrdersUnitOfWork
from .orders_factories import new_id

DAY = date(2024, 5, 13)
NOW = datetime(2024, 5, 13, 9, 0, tzinfo=UTC)
AGENT, OTHER = new_id(), new_id()
OUTLET, ELSEWHERE = new_id(), new_id()
MIN = Decimal("0.01")


def visit(
    status: str = "IN_PROGRESS", *, agent_id: str = AGENT, outlet_id: str = OUTLET
) -> VisitState:
    return VisitState("v-1", agent_id, outlet_id, DAY, status, 1)


def doc(
    kind: DocumentKind = DocumentKind.ORDER,
    gross: str = "100.00",
    *,
    id: str = "",
    counted: bool = True,
    lines: int = 2,
    employee_id: str = AGENT,
    outlet_id: str = OUTLET,
    currency: str = "RUB",
    day: date = DAY,
) -> ContactDocument:
    return ContactDocument(
        kind, id or new_id(), employee_id, outlet_id, day, counted, lines, Decimal(gross), currency
    )


# ----------------------------------------------------------------------- the visit check
def test_an_unknown_visit_is_accepted() -> None:
    check_visit(None, "v-1", OUTLET, AGENT)


def test_a_known_visit_matching_the_document_is_accepted() -> None:
    check_visit(visit(), "v-1", OUTLET, AGENT)
    check_visit(visit("COMPLETED"), "v-1", OUTLET, AGENT)


def test_a_visit_at_another_outlet_is_refused_naming_both() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_visit(visit(outlet_id=ELSEWHERE), "v-1", OUTLET, AGENT)
    assert str(info.value) == f"visit_id: visit v-1 is at outlet {ELSEWHERE}, not {OUTLET}"


def test_another_employees_visit_is_refused() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_visit(visit(agent_id=OTHER), "v-1", OUTLET, AGENT)
    assert str(info.value) == "visit_id: visit v-1 is another employee's"


def test_without_an_employee_to_compare_only_the_outlet_is_checked() -> None:
    check_visit(visit(agent_id=OTHER), "v-1", OUTLET, "")


def test_a_missed_visit_is_a_failed_precondition() -> None:
    with pytest.raises(FailedPrecondition, match="visit_id: visit v-1 was MISSED"):
        check_visit(visit("MISSED"), "v-1", OUTLET, AGENT)


# ------------------------------------------------------------------------- the figures
def test_nothing_naming_the_visit_makes_no_contact() -> None:
    assert judge("v-1", visit(), [], MIN) is None


def test_orders_sales_and_returns_are_counted_apart() -> None:
    order, sale, back = (
        doc(id="o", gross="100.00", lines=2),
        doc(DocumentKind.VAN_SALE, "50.50", id="s", lines=3),
        doc(DocumentKind.RETURN, "30.00", id="r", lines=0),
    )
    got = judge("v-1", visit(), [back, sale, order], MIN)
    assert got is not None
    assert (got.orders, got.van_sales, got.returns, got.lines) == (1, 1, 1, 5)
    assert got.gross_total == Decimal("150.50")  # returns are not deducted
    assert (got.order_ids, got.return_ids) == (("o", "s"), ("r",))
    assert (got.kind, got.employee_id, got.outlet_id, got.day) == (
        ContactKind.VISIT,
        AGENT,
        OUTLET,
        DAY,
    )
    assert got.productive and not got.mismatched and got.minimum == MIN


def test_cancelled_and_held_orders_do_not_count_rejected_ones_do() -> None:
    cancelled = doc(id="c", counted=False)
    got = judge("v-1", visit(), [cancelled], MIN)
    assert got is not None
    assert (got.orders, got.lines, got.gross_total, got.order_ids) == (0, 0, 0, ())
    assert not got.productive and not got.mismatched
    rejected = doc(id="r", gross="10.00")  # counted: the adapter counts all but those two
    got = judge("v-1", visit(), [cancelled, rejected], MIN)
    assert got is not None and got.orders == 1 and got.productive


def test_only_returns_are_not_productive() -> None:
    got = judge("v-1", visit(), [doc(DocumentKind.RETURN, "500.00")], Decimal("0"))
    assert got is not None and got.returns == 1 and not got.productive


@pytest.mark.parametrize(
    ("gross", "minimum", "productive"),
    [
        ("0.01", "0.01", True),
        ("999.99", "1000.00", False),
        ("1000.00", "1000.00", True),
        ("0.00", "0.00", True),  # a zero minimum: any order or sale, even free
    ],
)
def test_productive_from_the_minimum(gross: str, minimum: str, productive: bool) -> None:
    got = judge("v-1", visit(), [doc(gross=gross)], Decimal(minimum))
    assert got is not None
    assert got.productive is productive and got.minimum == Decimal(minimum)


@pytest.mark.parametrize(
    ("state", "documents"),
    [
        (visit(outlet_id=ELSEWHERE), [doc()]),
        (visit(agent_id=OTHER), [doc()]),
        (visit(agent_id=OTHER), [doc(DocumentKind.VAN_SALE)]),
        (visit("MISSED"), [doc()]),
        (visit(), [doc(), doc(DocumentKind.RETURN, outlet_id=ELSEWHERE)]),
        # not known yet: the documents disagree among themselves
        (None, [doc(), doc(outlet_id=ELSEWHERE)]),
        (None, [doc(), doc(employee_id=OTHER)]),
        (visit(), [doc(), doc(currency="EUR")]),
    ],
)
def test_a_mismatch_is_never_productive(
    state: VisitState | None, documents: list[ContactDocument]
) -> None:
    got = judge("v-1", state, documents, MIN)
    assert got is not None and got.mismatched and not got.productive


def test_a_return_by_another_employee_is_no_mismatch() -> None:
    got = judge("v-1", visit(), [doc(), doc(DocumentKind.RETURN, employee_id=OTHER)], MIN)
    assert got is not None and not got.mismatched


def test_before_the_visit_is_known_the_earliest_document_names_who_where_when() -> None:
    later = doc(day=date(2024, 5, 14), employee_id=OTHER)
    first = doc(day=DAY)
    got = judge("v-1", None, [later, first], MIN)
    assert got is not None
    assert (got.employee_id, got.outlet_id, got.day) == (AGENT, OUTLET, DAY)
    # Once known, the visit's.
    known = judge("v-1", visit(), [first], MIN)
    assert known is not None and known.day == DAY


def test_a_recomputation_steps_the_version_only_when_something_changed() -> None:
    first = changed(None, judge("v-1", None, [doc(id="a")], MIN), NOW)
    assert first is not None and (first.version, first.updated_at) == (1, NOW)
    same = judge("v-1", visit(), [doc(id="a")], MIN)
    assert changed(first, same, NOW) is None
    more = changed(first, judge("v-1", visit(), [doc(id="a"), doc(id="b")], MIN), NOW)
    assert more is not None and more.version == 2 and more.orders == 2
    stricter = changed(more, judge("v-1", visit(), [doc(id="a"), doc(id="b")], Decimal(500)), NOW)
    assert stricter is not None and stricter.version == 3 and not stricter.productive
    assert changed(more, None, NOW) is None


# ---------------------------------------------------------------------------- the minimum
@pytest.mark.parametrize(("raw", "value"), [("0.01", "0.01"), ("100", "100.00"), ("0", "0.00")])
def test_the_minimum_is_money(raw: str, value: str) -> None:
    assert productive_minimum(raw) == Decimal(value)


@pytest.mark.parametrize("raw", ["", "abc", "-1", "0.001", "NaN", "Infinity"])
def test_a_bad_minimum_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        productive_minimum(raw)


# ------------------------------------------------------------------------------ the feed
def _envelope(message: object, version: int) -> EventEnvelope:
    envelope = EventEnvelope(
        event_id=new_id(), aggregate_type="visit", aggregate_id="v-1", aggregate_version=version
    )
    envelope.payload.Pack(message)  # type: ignore[arg-type]
    return envelope


def _visit_pb(status: int, **kw: str) -> cres.Visit:
    fields = {"id": "v-1", "agent_id": AGENT, "outlet_id": OUTLET, **kw}
    return cres.Visit(date=date_pb2.Date(year=2024, month=5, day=13), status=status, **fields)


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (cev.VisitStarted, "IN_PROGRESS"),
        (cev.VisitCompleted, "COMPLETED"),
        (cev.VisitMissed, "MISSED"),
    ],
)
def test_visit_events_become_visit_records(event: type, status: str) -> None:
    number = cres.VisitStatus.Value(f"VISIT_STATUS_{status}")
    record = feed_record(_envelope(event(visit=_visit_pb(number)), 3))
    assert record == VisitState("v-1", AGENT, OUTLET, DAY, status, 3)


@pytest.mark.parametrize(
    ("visit_pb", "what"),
    [
        (_visit_pb(cres.VISIT_STATUS_UNSPECIFIED), "status"),
        (_visit_pb(cres.VISIT_STATUS_COMPLETED, id=""), "visit.id"),
        (_visit_pb(cres.VISIT_STATUS_COMPLETED, agent_id=""), "visit.agent_id"),
        (_visit_pb(cres.VISIT_STATUS_COMPLETED, outlet_id=""), "visit.outlet_id"),
    ],
)
def test_a_visit_event_that_can_never_apply_is_poison(visit_pb: cres.Visit, what: str) -> None:
    with pytest.raises(PoisonMessage, match=what):
        feed_record(_envelope(cev.VisitCompleted(visit=visit_pb), 1))


async def test_a_visit_is_applied_if_newer_and_its_contact_touched() -> None:
    uow = FakeOrdersUnitOfWork()
    completed = VisitState("v-1", AGENT, OUTLET, DAY, "COMPLETED", 2)
    async with uow:
        assert await feed.visit_seen(uow, completed)
        await uow.commit()
    assert uow.contacts_touched == {"v-1"}
    uow.contacts_touched.clear()
    async with uow:  # the older VisitStarted, late: ignored
        assert not await feed.visit_seen(uow, replace(completed, status="IN_PROGRESS", version=1))
        await uow.commit()
    assert uow.contacts_touched == set()
    assert await uow.contacts.visit("v-1") == completed
