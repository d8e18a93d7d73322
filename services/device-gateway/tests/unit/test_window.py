"""The window rule (domain/window.py): which agent-owned items leave the devices on a business
day, per section, at the edges of each window; and the day each item counts from, read from
the bodies (and keys) exactly as the projections write them (adapters/upkeep_store.dated)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from google.protobuf import timestamp_pb2
from google.type import date_pb2

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as tpb
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_gateway.adapters import projections as p
from fieldline_gateway.adapters import projections_clients as pc
from fieldline_gateway.adapters import projections_orders as po
from fieldline_gateway.adapters import projections_settlements as ps
from fieldline_gateway.adapters.upkeep_store import dated
from fieldline_gateway.domain import window as w
from fieldline_gateway.domain.window import Dated, Windows, out_of_window
from fieldline_gateway.entrypoints.sales_consumers import contact_sales_changed

TODAY = date(2026, 3, 4)
MOSCOW = ZoneInfo("Europe/Moscow")


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def pb_day(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def pb_time(moment: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(moment)
    return out


def test_the_swept_sections_are_the_projections_sections() -> None:
    assert (
        w.ORDERS,
        w.VISITS,
        w.PROPOSALS,
        w.VISIT_PLANS,
        w.COLLECTIONS,
        w.CALLS,
        w.CALL_PLANS,
        w.CONTACT_SALES,
    ) == (
        p.ORDERS,
        p.VISITS,
        p.PROPOSALS,
        p.VISIT_PLANS,
        p.COLLECTIONS,
        p.CALLS,
        p.CALL_PLANS,
        p.CONTACT_SALES,
    )
    assert set(w.SWEPT_SECTIONS) <= set(p.SECTIONS)


@pytest.mark.parametrize(
    ("section", "item", "out"),
    [
        # orders: final and ordered more than 30 days ago; in motion: never
        (w.ORDERS, Dated(ago(31), "delivered"), True),
        (w.ORDERS, Dated(ago(31), "partiallyDelivered"), True),
        (w.ORDERS, Dated(ago(31), "rejected"), True),
        (w.ORDERS, Dated(ago(400), "cancelled"), True),
        (w.ORDERS, Dated(ago(30), "delivered"), False),  # the window's first day stays
        (w.ORDERS, Dated(ago(1), "delivered"), False),
        (w.ORDERS, Dated(ago(400), "creditHold"), False),
        (w.ORDERS, Dated(ago(400), "submitted"), False),
        (w.ORDERS, Dated(ago(400), "confirmed"), False),
        (w.ORDERS, Dated(ago(400), "shipped"), False),
        (w.ORDERS, Dated(ago(400), "unknown"), False),  # a status a newer service sent
        # visits: more than 14 days ago, whatever their status
        (w.VISITS, Dated(ago(15)), True),
        (w.VISITS, Dated(ago(15), "missed"), True),
        (w.VISITS, Dated(ago(14)), False),
        (w.VISITS, Dated(TODAY), False),
        # proposals: decided more than 30 days ago; pending: never
        (w.PROPOSALS, Dated(ago(31), "approved"), True),
        (w.PROPOSALS, Dated(ago(31), "rejected"), True),
        (w.PROPOSALS, Dated(ago(30), "approved"), False),
        (w.PROPOSALS, Dated(ago(400), "pending"), False),
        # plan days: before today
        (w.VISIT_PLANS, Dated(ago(1)), True),
        (w.VISIT_PLANS, Dated(ago(30)), True),
        (w.VISIT_PLANS, Dated(TODAY), False),
        (w.VISIT_PLANS, Dated(TODAY + timedelta(days=7)), False),
        # a teleseller's calls as visits, its call plan days as plan days
        (w.CALLS, Dated(ago(15)), True),
        (w.CALLS, Dated(ago(14)), False),
        (w.CALL_PLANS, Dated(ago(1)), True),
        (w.CALL_PLANS, Dated(TODAY), False),
        ("cashOnHand", Dated(ago(400)), False),
        # a visit's contact figures leave with the visit
        (w.CONTACT_SALES, Dated(ago(15)), True),
        (w.CONTACT_SALES, Dated(ago(14)), False),
        (w.CONTACT_SALES, Dated(TODAY), False),
        (w.CONTACT_SALES, Dated(None), False),
        # collections: more than 7 days ago
        (w.COLLECTIONS, Dated(ago(8)), True),
        (w.COLLECTIONS, Dated(ago(7)), False),
        # no readable date: stays; a section not swept: stays
        (w.ORDERS, Dated(None, "delivered"), False),
        (w.VISITS, Dated(None), False),
        ("invoices", Dated(ago(400)), False),
        ("routeOutlets", Dated(ago(400)), False),
    ],
)
def test_what_is_out_of_the_window(section: str, item: Dated, out: bool) -> None:
    assert out_of_window(section, item, TODAY) is out


def test_the_order_window_is_a_setting() -> None:
    old = Dated(ago(45), "delivered")
    assert out_of_window(w.ORDERS, old, TODAY, Windows(order_days=30))
    assert not out_of_window(w.ORDERS, old, TODAY, Windows(order_days=60))


# ------------------------------------------------------------ the day, from the projections


def test_an_order_counts_from_its_order_date_with_its_status() -> None:
    """Both copies of a phone order (its credited agent's, its taker's `taken:`) alike."""
    copies = po.order_items(
        opb.Order(
            id="o-1",
            agent_id="a-1",
            taken_by="t-1",
            channel=opb.ORDER_CHANNEL_PHONE,
            status=opb.ORDER_STATUS_PARTIALLY_DELIVERED,
            order_date=pb_day(ago(40)),
            delivery_date=pb_day(ago(2)),
            update_time=pb_time(datetime(2026, 3, 3, tzinfo=UTC)),
        )
    )
    assert [order.key for order in copies] == ["o-1", "taken:o-1"]
    for order in copies:
        found = dated(order.section, order.key, order.body, MOSCOW)
        assert found == Dated(ago(40), "partiallyDelivered")
        assert out_of_window(order.section, found, TODAY)


def test_visits_plan_days_and_collections_count_from_their_date() -> None:
    visit = pc.visit_item(
        cpb.Visit(id="v-1", agent_id="a-1", date=pb_day(ago(15)), status=cpb.VISIT_STATUS_MISSED)
    )
    plan = pc.visit_plan_item(tpb.GetVisitPlanResponse(agent_id="a-1", date=pb_day(ago(1))))
    collection = ps.collection_item(
        spb.Payment(
            id="pay-1", kind=spb.PAYMENT_KIND_CASH, client_id="c-1", collected_by="a-1",
            date=pb_day(ago(8)),
        )
    )  # fmt: skip
    assert collection is not None
    for item, day in ((visit, ago(15)), (plan, ago(1)), (collection, ago(8))):
        assert dated(item.section, item.key, item.body, MOSCOW) == Dated(day)
        assert out_of_window(item.section, Dated(day), TODAY)


def test_calls_and_call_plan_days_count_from_their_date() -> None:
    call = pc.call_item(
        cpb.Call(
            id="call-1",
            teleseller_id="t-1",
            date=pb_day(ago(15)),
            started_at=pb_time(datetime(2026, 2, 17, 9, tzinfo=UTC)),
        )
    )
    plan = pc.call_plan_item(tpb.GetCallPlanResponse(teleseller_id="t-1", date=pb_day(ago(1))))
    for item, day in ((call, ago(15)), (plan, ago(1))):
        assert dated(item.section, item.key, item.body, MOSCOW) == Dated(day)
        assert out_of_window(item.section, Dated(day), TODAY)
    key = pc.call_plan_key("t-1", ago(3).isoformat())
    assert dated(w.CALL_PLANS, key, b'{"calls":[]}', MOSCOW) == Dated(ago(3))


def test_a_contacts_figures_count_from_the_visits_day() -> None:
    contact = po.contact_sales_item(
        opb.ContactSales(contact_id="v-1", employee_id="a-1", date=pb_day(ago(15)), version=2)
    )
    assert dated(contact.section, contact.key, contact.body, MOSCOW) == Dated(ago(15))
    assert out_of_window(contact.section, Dated(ago(15)), TODAY)
    assert dated(w.CONTACT_SALES, "v-2", b'{"orders":1}', MOSCOW) == Dated(None)  # stays


def _contact_changed(day: date, version: int = 2) -> oev.ContactSalesChanged:
    return oev.ContactSalesChanged(
        contact_sales=opb.ContactSales(
            contact_id="v-1",
            kind=opb.CONTACT_KIND_VISIT,
            employee_id="a-1",
            outlet_id="o-1",
            date=pb_day(day),
            orders=1,
            version=version,
        )
    )


@pytest.mark.parametrize(
    ("day", "kept"),
    [(TODAY, True), (ago(14), True), (ago(15), False), (ago(400), False)],
)
def test_a_contact_event_is_written_within_the_visits_window_and_removed_before_it(
    day: date, kept: bool
) -> None:
    """The orders consumer writes a contact of the window (as the bulk build lists it); a late
    change of an older one (an old order cancelled) removes it, at its version, rather than
    bringing it back until the next sweep."""
    # 23:30 UTC on the 3rd is already the 4th (TODAY) in Moscow: the business day counts.
    app = SimpleNamespace(
        clock=lambda: datetime(2026, 3, 3, 23, 30, tzinfo=UTC), tz=MOSCOW, windows=Windows()
    )
    change = contact_sales_changed(cast(Any, app), EventEnvelope(), _contact_changed(day))
    [written] = change.items
    assert (written.section, written.key, written.scope) == ("contactSales", "v-1", "agent:a-1")
    assert written.source_version == 2
    assert isinstance(written, p.Item) is kept
    assert isinstance(written, p.Removal) is not kept
    assert not change.refetch and not change.graph


def test_a_plan_day_without_a_date_in_its_body_counts_from_its_key() -> None:
    key = pc.visit_plan_key("a-1", ago(3).isoformat())
    assert dated(w.VISIT_PLANS, key, b'{"visits":[]}', MOSCOW) == Dated(ago(3))


def test_a_proposal_counts_from_the_business_day_of_its_decision() -> None:
    # Decided at 22:30 UTC on the 2nd: already the 3rd in Moscow (UTC+3).
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    proposal = pc.proposal_item(
        cpb.Proposal(
            id="pr-1",
            proposed_by="a-1",
            status=cpb.PROPOSAL_STATUS_APPROVED,
            create_time=pb_time(late - timedelta(days=10)),
            decide_time=pb_time(late),
        )
    )
    assert dated(proposal.section, proposal.key, proposal.body, MOSCOW) == Dated(
        date(2026, 3, 3), "approved"
    )
    assert dated(proposal.section, proposal.key, proposal.body, UTC) == Dated(
        date(2026, 3, 2), "approved"
    )
    pending = pc.proposal_item(
        cpb.Proposal(
            id="pr-2",
            proposed_by="a-1",
            status=cpb.PROPOSAL_STATUS_PENDING,
            create_time=pb_time(late),
        )
    )  # not decided: counts from its creation (and stays while pending)
    assert dated(pending.section, pending.key, pending.body, MOSCOW) == Dated(
        date(2026, 3, 3), "pending"
    )


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"orderDate": 5}', b'{"orderDate": "yesterday"}', b"{}"],
)
def test_a_body_that_does_not_read_gives_no_day(body: bytes) -> None:
    assert dated(w.ORDERS, "o-1", body, MOSCOW).day is None
    assert not out_of_window(w.ORDERS, dated(w.ORDERS, "o-1", body, MOSCOW), TODAY)
