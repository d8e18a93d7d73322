"""The rules between documents and about answers: prerequisites (what a document creates and
names, and the verdict from what those became), the classification of a service's refusal,
the warnings of an accepted order or visit, and the entities in the protocol's shapes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from google.type import money_pb2

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline_gateway.adapters import dispatch
from fieldline_gateway.domain import documents as d
from fieldline_gateway.domain.documents import Sighting, Status

from .test_upload_documents import (
    OTHER_PROMOTION,
    PROMOTION,
    every_kind,
    expected_promotions,
    phone_order,
    raw,
)


def decoded(document: dict[str, Any], index: int = 0) -> d.Received:
    received = d.receive(index, raw(document))
    assert received.document is not None, received.problem
    return received


# ------------------------------------------------------------------------------ prerequisites


def test_what_each_kind_creates_and_names() -> None:
    kinds = every_kind()
    check_in = decoded(kinds["visitCheckIn"]).document
    order = decoded(kinds["order"]).document
    sale = decoded(kinds["vanSale"]).document
    payment = decoded(kinds["payment"]).document
    back = decoded(kinds["return"]).document
    proposal = decoded(kinds["outletProposal"]).document
    assert check_in is not None and order is not None and sale is not None
    assert payment is not None and back is not None and proposal is not None
    visit = d.normal_id(kinds["visitCheckIn"]["visitId"])
    assert d.creates(check_in) == visit
    assert d.creates(order) == d.normal_id(kinds["order"]["orderId"])
    # A van sale's invoice has the sale's id: a payment allocating to it names it.
    assert d.creates(sale) == d.normal_id(kinds["vanSale"]["saleId"])
    assert d.creates(sale) in d.needs(payment)
    assert d.creates(sale) in d.needs(back)
    assert visit in d.needs(order)
    assert d.creates(proposal) == d.normal_id(kinds["outletProposal"]["outletId"])
    for kind in ("visitCheckOut", "audit"):
        named = decoded(kinds[kind]).document
        assert named is not None and visit in d.needs(named)
    # A document never waits for itself: a held order sent again names its own order id.
    assert d.creates(order) not in d.needs(order)
    # An amendment and a cancellation create nothing and wait for the order they name.
    for kind in ("orderAmend", "orderCancel"):
        named = decoded(kinds[kind]).document
        assert named is not None and d.creates(named) is None
        assert d.needs(named) == {d.creates(order)}
        assert d.creates_loosely(raw(kinds[kind]), kind) is None


def test_a_phone_order_waits_for_the_call_it_names() -> None:
    """A phone order names the call it was taken in (`callId`, made by an earlier `call`
    document): a rejected call sinks it, as a rejected check-in sinks a field order."""
    kinds = every_kind()
    call = decoded(kinds["call"]).document
    assert call is not None
    document = {**phone_order(), "callId": kinds["call"]["callId"].upper()}
    order = decoded(document).document
    assert order is not None
    assert d.creates(call) in d.needs(order)
    assert d.needs(order) == {d.creates(call), "0f3e"}  # the call and the outlet
    refused = {d.creates(call) or "": [Sighting(Status.REJECTED, "doc-call")]}
    verdict = d.judge_prerequisites(d.needs(order), refused)
    assert (verdict.send, verdict.status, verdict.prerequisite) == (
        False,
        Status.REJECTED,
        "doc-call",
    )
    # The credited agent is no entity a document makes: nothing waits for it.
    assert "e-agent-7" not in d.needs(order)


def test_ids_compare_whatever_their_case_and_hyphens() -> None:
    visit = str(uuid.uuid4())
    assert d.normal_id(visit.upper()) == d.normal_id(visit.replace("-", ""))
    assert d.normal_id("INV-7") == "INV-7"  # an ERP invoice number is kept as it is


def test_what_a_malformed_document_would_have_created_is_still_known() -> None:
    check_in = every_kind()["visitCheckIn"]
    check_in["location"] = {"lat": 91, "lon": 0}
    received = d.receive(0, raw(check_in))
    assert received.problem is not None
    assert d.creates_loosely(raw(check_in), received.kind) == d.normal_id(check_in["visitId"])
    assert d.creates_loosely(b"[]", "") is None


V, OR = "visit-1", "order-1"


@pytest.mark.parametrize(
    ("seen", "send", "status", "prerequisite"),
    [
        ({}, True, None, ""),  # never seen: the service judges
        ({V: [Sighting(Status.ACCEPTED, "a1")]}, True, None, ""),
        ({V: [Sighting(Status.WARNED, "a1")]}, True, None, ""),
        ({V: [Sighting(Status.REJECTED, "a1")]}, False, Status.REJECTED, "a1"),
        ({V: [Sighting(Status.DEFERRED, "a1")]}, False, Status.DEFERRED, "a1"),
        # rejected before, then accepted under a new documentId and the same visit id
        ({V: [Sighting(Status.REJECTED, "a1"), Sighting(Status.ACCEPTED, "a2")]}, True, None, ""),
        (
            {V: [Sighting(Status.REJECTED, "a1"), Sighting(Status.REJECTED, "a2")]},
            False,
            Status.REJECTED,
            "a2",
        ),
        # a rejected prerequisite outweighs a deferred one
        (
            {V: [Sighting(Status.DEFERRED, "a1")], OR: [Sighting(Status.REJECTED, "a2")]},
            False,
            Status.REJECTED,
            "a2",
        ),
    ],
)
def test_the_verdict_on_prerequisites(
    seen: dict[str, list[Sighting]], send: bool, status: Status | None, prerequisite: str
) -> None:
    verdict = d.judge_prerequisites({V, OR}, seen)
    assert (verdict.send, verdict.status, verdict.prerequisite) == (send, status, prerequisite)
    if not send:
        found = d.prerequisite_problem(verdict)
        assert found.prerequisite == prerequisite
        assert found.code == (
            "prerequisite-rejected" if status is Status.REJECTED else "prerequisite-deferred"
        )


def test_the_batch_ledger_remembers_by_entity_in_order() -> None:
    ledger = d.BatchLedger()
    ledger.record(V, Status.REJECTED, "a1")
    ledger.record(None, Status.ACCEPTED, "a2")  # creates nothing
    ledger.record(V, Status.ACCEPTED, "a3")
    assert ledger.seen == {V: [Sighting(Status.REJECTED, "a1"), Sighting(Status.ACCEPTED, "a3")]}


# ------------------------------------------------------------------------------ classification


def test_refusals_reject_with_the_services_message() -> None:
    order = decoded(every_kind()["order"], index=2)
    for code, name in [
        ("NOT_FOUND", "not-found"),
        ("PERMISSION_DENIED", "not-permitted"),
        ("FAILED_PRECONDITION", "failed-precondition"),
        ("ALREADY_EXISTS", "conflicting-document"),
    ]:
        outcome = d.refusal(code, "outlet 'x' not found", order)
        assert outcome.status is Status.REJECTED
        assert outcome.problem is not None and outcome.problem.code == name
        assert outcome.problem.detail == "outlet 'x' not found"
        assert not outcome.token_expired


def test_a_payment_to_a_made_sales_invoice_not_booked_yet_is_deferred_not_rejected() -> None:
    received = decoded(every_kind()["payment"], index=3)
    payment = received.document
    assert isinstance(payment, d.Payment)
    sale = d.normal_id(payment.allocations[0].invoice_id)
    unknown = f"payment.allocations[0].invoice_id: invoice {sale!r} not found"
    refused = d.refusal("NOT_FOUND", unknown, received)
    made = {sale: [Sighting(Status.ACCEPTED, "doc-sale")]}

    waiting = d.invoice_on_its_way(payment, refused, made)
    assert waiting.status is Status.DEFERRED
    assert waiting.problem is not None and waiting.problem.code == "invoice-pending"
    assert waiting.problem.prerequisite == "doc-sale"
    # A sale sent before and answered as a duplicate made it as well.
    duplicate = {sale: [Sighting(Status.DUPLICATE, "doc-sale")]}
    assert d.invoice_on_its_way(payment, refused, duplicate).status is Status.DEFERRED
    # Rejected as it was: a sale that was not made, no sale at all, the ERP's invoice
    # (allocation 1) unknown, or another refusal.
    rejected_sale = {sale: [Sighting(Status.REJECTED, "doc-sale")]}
    assert d.invoice_on_its_way(payment, refused, rejected_sale) is refused
    assert d.invoice_on_its_way(payment, refused, {}) is refused
    erp = d.refusal(
        "NOT_FOUND", "payment.allocations[1].invoice_id: invoice 'INV-7' not found", received
    )
    assert d.invoice_on_its_way(payment, erp, made) is erp
    other = d.refusal("PERMISSION_DENIED", unknown, received)
    assert d.invoice_on_its_way(payment, other, made) is other


def test_an_invalid_argument_names_the_documents_field() -> None:
    order = decoded(every_kind()["order"], index=2)
    outcome = d.refusal("INVALID_ARGUMENT", "lines[0].manual_discount_percent: over 5", order)
    assert outcome.problem is not None and outcome.problem.code == "invalid-document"
    assert outcome.problem.field == "documents[2].lines[0].manualDiscountPercent"
    assert outcome.problem.detail == "documents[2].lines[0].manualDiscountPercent: over 5"
    audit = decoded(every_kind()["audit"], index=1)
    outcome = d.refusal("INVALID_ARGUMENT", "audit.answers[4].photo_ref: unknown photo", audit)
    assert (
        outcome.problem is not None and outcome.problem.field == "documents[1].answers[4].photoId"
    )
    # A message that names no field is kept whole.
    outcome = d.refusal("INVALID_ARGUMENT", "the order has no lines", order)
    assert outcome.problem is not None and outcome.problem.field is None


@pytest.mark.parametrize(
    ("code", "message", "problem", "field"),
    [
        (
            "INVALID_ARGUMENT",
            "credited_agent_id: outlet O is on the routes of 2 agents (A, B); name one",
            "invalid-document",
            "documents[3].creditedAgentId",
        ),
        (
            "INVALID_ARGUMENT",
            "call_id: only a PHONE order names a call",
            "invalid-document",
            "documents[3].callId",
        ),
        (
            "INVALID_ARGUMENT",
            "visit_id: a PHONE order names no visit",
            "invalid-document",
            "documents[3].visitId",
        ),
        (
            "INVALID_ARGUMENT",
            "channel: a teleseller takes orders by phone",
            "invalid-document",
            "documents[3].channel",
        ),
        # PERMISSION_DENIED is `not-permitted` with orders' message, as every refusal of a role
        ("PERMISSION_DENIED", "channel: a PHONE order needs a teleseller", "not-permitted", None),
    ],
)
def test_orders_refusals_of_a_phone_order_name_the_documents_field(
    code: str, message: str, problem: str, field: str | None
) -> None:
    order = decoded(phone_order(), index=3)
    outcome = d.refusal(code, message, order)
    assert outcome.status is Status.REJECTED and outcome.problem is not None
    assert (outcome.problem.code, outcome.problem.field) == (problem, field)
    if field is not None:
        assert outcome.problem.detail == f"{field}: {message.partition(': ')[2]}"
    else:
        assert outcome.problem.detail == message


def test_an_order_at_another_revision_is_rejected_naming_expected_revision() -> None:
    cancel = decoded(every_kind()["orderCancel"], index=4)
    stale = "expected_revision: order o1 is at revision 3, not 2; read it and cancel again"
    for outcome in (
        d.refusal("ABORTED", stale, cancel),
        dispatch.failed("orders", "ABORTED", stale, cancel),
    ):
        assert outcome.status is Status.REJECTED
        assert outcome.problem is not None and outcome.problem.code == "stale-revision"
        assert outcome.problem.field == "documents[4].expectedRevision"
        assert outcome.problem.detail == "documents[4].expectedRevision: " + stale.split(": ")[1]
    # A lost race (the order changed while it was amended) may pass when sent again.
    race = "order_id: order o1 changed while it was amended; retry"
    assert dispatch.failed("orders", "ABORTED", race, cancel).status is Status.DEFERRED
    # An order too late to change is refused as any other precondition.
    late = d.refusal("FAILED_PRECONDITION", "order_id: order o1 is CONFIRMED; it can no", cancel)
    assert late.problem is not None and late.problem.code == "failed-precondition"


def test_a_request_id_the_service_holds_for_other_content_is_a_reused_document_id() -> None:
    order = decoded(every_kind()["order"], index=5)
    outcome = d.refusal(
        "INVALID_ARGUMENT", "request_id: was already used for a different request", order
    )
    assert outcome.status is Status.REJECTED
    assert outcome.problem is not None and outcome.problem.code == "document-id-reused"
    assert outcome.problem.field == "documents[5].documentId"


def test_unauthenticated_ends_the_batch_and_transient_codes_defer() -> None:
    order = decoded(every_kind()["order"])
    expired = d.refusal("UNAUTHENTICATED", "token expired", order)
    assert (expired.status, expired.token_expired) == (Status.DEFERRED, True)
    assert expired.problem is not None and expired.problem.code == "token-expired"
    for code, name in [
        ("UNAVAILABLE", "service-unavailable"),
        ("DEADLINE_EXCEEDED", "timeout"),
        ("RESOURCE_EXHAUSTED", "service-unavailable"),
        ("ABORTED", "service-unavailable"),
        ("INTERNAL", "service-unavailable"),  # a service's bug: nothing is lost, it is sent again
    ]:
        outcome = dispatch.failed("orders", code, "down", order)
        assert outcome.status is Status.DEFERRED, code
        assert outcome.problem is not None and outcome.problem.code == name
        assert not outcome.token_expired
    title = dispatch.failed("clients", "UNAVAILABLE", "", order).problem
    assert title is not None and title.title == "clients is unavailable; send it again"


def test_credit_and_visit_facts_become_warnings() -> None:
    def codes(**facts: Any) -> list[str]:
        base = {"status": "submitted", "outcome": "allow", "fallback": False, "reasons": []}
        return [w.code for w in d.credit_warnings(**{**base, **facts})]

    assert codes() == []
    assert codes(outcome="warn") == ["creditWarn"]
    assert codes(status="creditHold", outcome="block") == ["creditHold"]
    assert codes(fallback=True) == ["creditUnchecked"]
    assert codes(status="creditHold", outcome="block", fallback=True) == [
        "creditHold",
        "creditUnchecked",
    ]
    [hold] = d.credit_warnings(
        status="creditHold", outcome="block", fallback=False, reasons=["overdue 12 days"]
    )
    assert "overdue 12 days" in hold.message
    assert d.visit_warnings("check-in", 640, False) == []
    [far] = d.visit_warnings("check-in", 640, True)
    assert (far.code, far.message) == ("visitFar", "check-in 640 m from the outlet")


def test_an_outcome_with_warnings_is_accepted_with_warning() -> None:
    warned = d.Outcome.accepted({"id": "v"}, d.visit_warnings("check-out", 900, True))
    assert warned.status is Status.WARNED
    assert d.Outcome.accepted({"id": "v"}).status is Status.ACCEPTED


# ------------------------------------------------------------------------------ the answers


def rub(amount: str) -> money_pb2.Money:
    units, nanos = divmod(Decimal(amount) * 10**9, 10**9)
    return money_pb2.Money(currency_code="RUB", units=int(units), nanos=int(nanos))


def test_an_order_answer_is_the_sync_shape_with_exact_amounts_and_its_warnings() -> None:
    order = opb.Order(
        id="o1",
        kind=opb.ORDER_KIND_PRE_SALE,
        status=opb.ORDER_STATUS_CREDIT_HOLD,
        currency_code="RUB",
        gross_total=rub("3146.4"),
        net_total=rub("2622.000000001"),
        lines=[opb.OrderLine(product_id="p", quantity="3", unit_price=rub("87.4"))],
        credit=opb.CreditDecision(
            outcome=opb.CREDIT_OUTCOME_BLOCK, reasons=["overdue 12 days"], fallback=True
        ),
    )
    outcome = dispatch._order_answer(order)
    entity = outcome.entity
    assert entity is not None
    assert entity["status"] == "creditHold"
    assert entity["kind"] == "preSale"
    assert entity["grossTotal"] == {"amount": "3146.40", "currency": "RUB"}
    assert entity["netTotal"] == {"amount": "2622.000000001", "currency": "RUB"}
    assert entity["lines"][0]["unitPrice"] == {"amount": "87.40", "currency": "RUB"}
    assert entity["credit"] == {
        "outcome": "block",
        "fallback": True,
        "reasons": ["overdue 12 days"],
    }
    assert outcome.status is Status.WARNED
    assert [w.code for w in outcome.warnings] == ["creditHold", "creditUnchecked"]
    json.dumps(entity)  # stored in the receipt as it is: JSON types only


def test_an_order_answer_names_its_channel_taker_and_call() -> None:
    """A phone order's answer says how it was taken, by whom, in which call, and whom it is
    credited to; an order from before channels (UNSPECIFIED, no taker) is a field order its
    agent took."""
    phone = dispatch.order_entity(
        opb.Order(
            id="o1",
            agent_id="e-agent",
            taken_by="e-teller",
            channel=opb.ORDER_CHANNEL_PHONE,
            call_id="call-1",
        )
    )
    assert (phone["channel"], phone["agentId"], phone["takenBy"], phone["callId"]) == (
        "phone",
        "e-agent",
        "e-teller",
        "call-1",
    )
    old = dispatch.order_entity(opb.Order(id="o2", agent_id="e-agent"))
    assert (old["channel"], old["takenBy"]) == ("field", "e-agent")
    assert "callId" not in old


def test_an_amendment_and_a_cancellation_are_answered_with_the_order_at_its_revision() -> None:
    kinds = every_kind()
    held = opb.Order(
        id="o1",
        kind=opb.ORDER_KIND_PRE_SALE,
        status=opb.ORDER_STATUS_CREDIT_HOLD,
        currency_code="RUB",
        gross_total=rub("437"),
        credit=opb.CreditDecision(outcome=opb.CREDIT_OUTCOME_BLOCK, reasons=["over the limit"]),
        revision=2,
        version=4,
    )
    amend_document, cancel_document = (
        decoded(kinds[k]).document for k in ("orderAmend", "orderCancel")
    )
    assert amend_document is not None and cancel_document is not None
    amend = dispatch.call_for(peers(), amend_document)
    amended = amend.answer(ords.AmendOrderResponse(order=held))
    assert amended.status is Status.WARNED
    assert [w.code for w in amended.warnings] == ["creditHold"]
    assert amended.entity is not None
    assert (amended.entity["revision"], amended.entity["version"]) == (2, 4)
    # A cancelled order's last credit decision is no warning of the cancellation.
    gone = opb.Order()
    gone.CopyFrom(held)
    gone.status, gone.version = opb.ORDER_STATUS_CANCELLED, 5
    cancel = dispatch.call_for(peers(), cancel_document)
    cancelled = cancel.answer(ords.CancelOrderResponse(order=gone))
    assert cancelled.status is Status.ACCEPTED and cancelled.warnings == ()
    assert cancelled.entity is not None
    assert (cancelled.entity["status"], cancelled.entity["revision"]) == ("cancelled", 2)
    # An order without a revision (a van sale) answers none.
    assert "revision" not in dispatch.order_entity(opb.Order(id="s1"))


def test_enum_names_are_the_protocols() -> None:
    assert dispatch.enum_name(cpb.VisitFrequency, "VISIT_FREQUENCY_", 2) == "every2Weeks"
    assert dispatch.enum_name(cpb.VisitStatus, "VISIT_STATUS_", 0) is None
    assert dispatch.enum_name(cpb.VisitStatus, "VISIT_STATUS_", 99) == "unknown"


# ------------------------------------------------------------------------------ the requests

METHODS = ("CheckIn", "CheckOut", "RecordMissedVisit", "SubmitAudit", "SubmitOrder",
           "CompleteVanSale", "AcceptReturn", "RecordPayment", "ProposeOutlet",
           "ProposeCardChange", "LoadVan", "UnloadVan", "RecordCall", "AmendOrder",
           "CancelOrder")  # fmt: skip


def peers() -> Any:
    """The attributes `call_for` picks a stub's method from; no call is made."""
    stub = SimpleNamespace(**{m: m for m in METHODS})
    return SimpleNamespace(
        clients=stub, visits=stub, orders=stub, vans=stub, settlements=stub, timeout=1.0
    )


AGENT_FIELDS = {
    "agent_id",
    "for_agent_id",
    "actor",
    "actor_id",
    "collected_by",
    "proposed_by",
    "teleseller_id",
    "for_teleseller_id",
}


def set_fields(message: Any) -> set[str]:
    names = set()
    for descriptor, value in message.ListFields():
        names.add(descriptor.name)
        if descriptor.message_type is not None:
            values = value if isinstance(value, Sequence) else [value]
            for item in values:
                if hasattr(item, "ListFields"):
                    names |= set_fields(item)
    return names


def test_every_kind_goes_to_its_rpc_with_the_document_id_as_request_id() -> None:
    expected = {
        "visitCheckIn": ("clients", "CheckIn"),
        "visitCheckOut": ("clients", "CheckOut"),
        "missedVisit": ("clients", "RecordMissedVisit"),
        "audit": ("clients", "SubmitAudit"),
        "order": ("orders", "SubmitOrder"),
        "orderAmend": ("orders", "AmendOrder"),
        "orderCancel": ("orders", "CancelOrder"),
        "vanSale": ("orders", "CompleteVanSale"),
        "return": ("orders", "AcceptReturn"),
        "payment": ("settlements", "RecordPayment"),
        "outletProposal": ("clients", "ProposeOutlet"),
        "cardChange": ("clients", "ProposeCardChange"),
        "vanLoad": ("orders", "LoadVan"),
        "vanUnload": ("orders", "UnloadVan"),
        "call": ("clients", "RecordCall"),
    }
    for kind, document in every_kind().items():
        received = decoded(document)
        assert received.document is not None
        call = dispatch.call_for(peers(), received.document)
        assert (call.service, call.method) == expected[kind]
        request: Any = call.request
        assert request.request_id == document["documentId"]
        # No agent or actor set anywhere in a request: who acts is the token.
        assert not set_fields(request) & AGENT_FIELDS, kind
        if kind == "payment":  # the walk reaches nested and repeated messages
            assert {"payment", "allocations", "invoice_id", "units"} <= set_fields(request)


def request_of(document: dict[str, Any]) -> Any:
    received = decoded(document)
    assert received.document is not None
    return dispatch.call_for(peers(), received.document).request


def test_requests_carry_the_documents_content() -> None:
    kinds = every_kind()
    audit = request_of(kinds["audit"])
    photo = kinds["audit"]["answers"][4]["photoId"]
    assert audit.audit.answers[4].photo_ref == f"photo:{photo}"
    assert (audit.audit.answers[1].money.units, audit.audit.answers[1].money.nanos) == (
        1234,
        500_000_000,
    )
    # The device's time of the audit is the document's.
    assert audit.audit.performed_at.ToJsonString() == "2026-03-04T09:02:11Z"
    change = request_of(kinds["cardChange"])
    assert list(change.update_mask.paths) == ["address", "custom_attributes.fridge"]
    payment = request_of(kinds["payment"])
    assert payment.payment.kind == 1  # CASH
    assert not payment.payment.allocations[1].HasField("amount")
    out = request_of(kinds["visitCheckOut"])
    assert out.outcome == cpb.VISIT_OUTCOME_ORDER_TAKEN
    order = request_of(kinds["order"])
    assert order.lines[0].quantity == "3"
    assert order.credit_override.reason == "paid in cash"
    assert (order.delivery_date.month, order.delivery_date.day) == (3, 5)
    undated = request_of({**kinds["order"], "deliveryDate": None})
    assert not undated.HasField("delivery_date")
    amend = request_of(kinds["orderAmend"])
    assert (amend.order_id, amend.amendment_id, amend.expected_revision) == (
        kinds["orderAmend"]["orderId"],
        kinds["orderAmend"]["amendmentId"],
        1,
    )
    assert (amend.lines[0].quantity, amend.lines[0].manual_discount_percent) == ("5", "1")
    assert (amend.delivery_date.month, amend.delivery_date.day) == (3, 6)
    assert (amend.warehouse_id, amend.comment) == ("w-2", "после обеда")
    assert amend.credit_override.reason == "paid in cash"
    # The request is the new revision whole: what the device leaves out is cleared.
    bare = request_of(
        {**kinds["orderAmend"], "deliveryDate": None, "warehouseId": None, "creditOverride": None}
    )
    assert not bare.HasField("delivery_date") and not bare.HasField("credit_override")
    assert bare.warehouse_id == ""
    cancel = request_of(kinds["orderCancel"])
    assert (cancel.order_id, cancel.expected_revision, cancel.reason) == (
        kinds["orderCancel"]["orderId"],
        2,
        "the outlet changed its mind",
    )
    # A field order leaves its channel to orders (the employee's own) and names no call.
    assert order.channel == opb.ORDER_CHANNEL_UNSPECIFIED
    assert (order.call_id, order.credited_agent_id) == ("", "")
    phone_document = phone_order()
    phone = request_of(phone_document)
    assert phone.channel == opb.ORDER_CHANNEL_PHONE
    assert (phone.call_id, phone.credited_agent_id) == (phone_document["callId"], "e-agent-7")
    assert phone.visit_id == ""
    assert request_of({**phone_document, "channel": "field"}).channel == opb.ORDER_CHANNEL_FIELD
    call = request_of(kinds["call"]).call
    assert (call.id, call.outlet_id) == (kinds["call"]["callId"], "0f3e")
    assert call.outcome == cpb.CALL_OUTCOME_CALL_BACK
    assert call.call_back_at.ToJsonString() == "2026-03-05T10:00:00Z"
    assert call.ended_at.ToJsonString() == "2026-03-04T09:02:00Z"
    assert (call.date.month, call.date.day) == (3, 4)
    # Unset on the device: unset for clients (which dates the call by its start).
    bare = request_of({**kinds["call"], "date": None, "endedAt": None, "callBackAt": None}).call
    assert not bare.HasField("date") and not bare.HasField("ended_at")
    assert not bare.HasField("call_back_at")


# ---------------------------------------------------------------------- trade promotions

REQUESTS = {"order": "SubmitOrder", "vanSale": "CompleteVanSale", "orderAmend": "AmendOrder"}


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_the_expected_promotions_go_to_orders_as_sent(kind: str) -> None:
    document = {**every_kind()[kind], "expectedPromotions": expected_promotions()}
    received = decoded(document)
    assert received.document is not None
    call = dispatch.call_for(peers(), received.document)
    assert call.method == REQUESTS[kind]
    request: Any = call.request
    first, second = request.expected_promotions
    assert first.promotion_id == PROMOTION
    # The benefit is money in the order's currency, which the document does not name (nor
    # does a van sale's cash): sent without one, orders takes it as the order's.
    assert (first.benefit.units, first.benefit.nanos, first.benefit.currency_code) == (51, 0, "")
    assert list(first.free_lines) == []
    assert second.promotion_id == OTHER_PROMOTION
    assert (second.benefit.units, second.benefit.nanos) == (87, 400_000_000)
    assert [(f.product_id, f.base_quantity) for f in second.free_lines] == [("p-1001", "1")]
    # None expected (an app before promotions): none sent.
    assert list(request_of(every_kind()[kind]).expected_promotions) == []


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (
            "expected_promotions[1].promotion_id: must be a UUID",
            "expectedPromotions[1].promotionId",
        ),
        ("expected_promotions[0].benefit: must not be negative", "expectedPromotions[0].benefit"),
        (
            "expected_promotions[1].free_lines[0].base_quantity: must be a decimal number",
            "expectedPromotions[1].freeLines[0].baseQuantity",
        ),
    ],
)
def test_orders_refusals_of_an_expected_promotion_name_the_documents_field(
    message: str, field: str
) -> None:
    for index, kind in enumerate(REQUESTS):
        document = {**every_kind()[kind], "expectedPromotions": expected_promotions()}
        outcome = d.refusal("INVALID_ARGUMENT", message, decoded(document, index=index))
        assert outcome.status is Status.REJECTED and outcome.problem is not None
        assert outcome.problem.code == "invalid-document"
        assert outcome.problem.field == f"documents[{index}].{field}"
        assert outcome.problem.detail == f"documents[{index}].{field}: {message.split(': ')[1]}"


def judged(**fields: Any) -> dict[str, Any]:
    """A promotion as an order's entity holds it (the protocol's spelling)."""
    return {"promotionId": PROMOTION, "name": "Spring 5%", "status": "applied", **fields}


RUB = {"currency": "RUB"}


def test_promotions_other_than_expected_warn_promotion_changed_naming_each() -> None:
    assert d.promotion_warnings([]) == []
    same = judged(match="match", benefit={"amount": "51.00", **RUB})
    assert d.promotion_warnings([same]) == []
    # orders judged no expectation (no match said): nothing to compare, nothing to say
    assert d.promotion_warnings([judged(benefit={"amount": "51.00", **RUB})]) == []
    [warning] = d.promotion_warnings(
        [
            same,
            judged(
                match="different",
                benefit={"amount": "48.00", **RUB},
                expectedBenefit={"amount": "51.00", **RUB},
            ),
            judged(
                promotionId=OTHER_PROMOTION,
                name="Kvas 2+1",
                status="ended",
                match="missing",
                expectedBenefit={"amount": "87.40", **RUB},
            ),
            judged(name="", status="budgetExhausted", match="missing"),
            judged(name="Beer −10", match="unexpected", benefit={"amount": "30.00", **RUB}),
        ]
    )
    assert warning.code == "promotionChanged"
    assert warning.message == (
        "promotions differ from what the device expected: "
        '"Spring 5%" different: given 48.00 RUB, expected 51.00 RUB; '
        '"Kvas 2+1" not given (ended), expected 87.40 RUB; '
        f'"{PROMOTION}" not given (budget exhausted), expected nothing; '
        '"Beer −10" given 30.00 RUB, not expected'
    )
    # A judgement this build does not know is other than a match too.
    [newer] = d.promotion_warnings([judged(match="unknown")])
    assert newer.message.endswith('"Spring 5%" unknown: given nothing, expected nothing')


def promoted_order(*matches: int, **fields: Any) -> opb.Order:
    """An order that got 5% off its line (and a free line from 2+1), as orders answers it."""
    applied = [
        opb.AppliedPromotion(
            promotion_id=PROMOTION,
            name="Spring 5%",
            status=opb.APPLIED_PROMOTION_STATUS_APPLIED,
            benefit=rub("13.11"),
            budget_consumed="13.11",
            explanation='outlet channel "HoReCa"; 5% off: 262.20 → 249.09',
            match=matches[0] if matches else opb.PROMOTION_MATCH_UNSPECIFIED,
            expected_benefit=rub("13.11"),
        ),
        opb.AppliedPromotion(
            promotion_id=OTHER_PROMOTION,
            name="Kvas 2+1",
            status=opb.APPLIED_PROMOTION_STATUS_NOT_ELIGIBLE,
            explanation="the order's date is after the promotion's last day",
            match=matches[1] if len(matches) > 1 else opb.PROMOTION_MATCH_UNSPECIFIED,
            expected_benefit=rub("87.4"),
        ),
    ]
    return opb.Order(
        id="o1",
        kind=opb.ORDER_KIND_PRE_SALE,
        status=opb.ORDER_STATUS_SUBMITTED,
        currency_code="RUB",
        gross_total=rub("249.09"),
        lines=[
            opb.OrderLine(
                product_id="p",
                quantity="3",
                unit_price=rub("87.4"),
                gross_amount=rub("249.09"),
                promotion_discount=rub("13.11"),
                promotions=[
                    opb.LinePromotion(
                        promotion_id=PROMOTION,
                        benefit=rub("13.11"),
                        formula='"Spring 5%": 5% off: 262.20 → 249.09, −13.11',
                    )
                ],
            ),
            opb.OrderLine(
                product_id="p-gift",
                quantity="1",
                unit_price=rub("87.4"),
                gross_amount=rub("0"),
                free_of_charge=True,
                promotion_id=PROMOTION,
            ),
        ],
        promotions=applied,
        **fields,
    )


def test_an_order_answer_carries_its_promotions_line_by_line() -> None:
    entity = dispatch.order_entity(promoted_order(opb.PROMOTION_MATCH_MATCH))
    sold, free = entity["lines"]
    assert sold["promotionDiscount"] == {"amount": "13.11", "currency": "RUB"}
    assert sold["promotions"] == [
        {
            "promotionId": PROMOTION,
            "benefit": {"amount": "13.11", "currency": "RUB"},
            "formula": '"Spring 5%": 5% off: 262.20 → 249.09, −13.11',
        }
    ]
    assert "freeOfCharge" not in sold and "promotionId" not in sold
    assert (free["freeOfCharge"], free["promotionId"]) == (True, PROMOTION)
    assert "promotionDiscount" not in free and "promotions" not in free
    assert entity["promotions"] == [
        {
            "promotionId": PROMOTION,
            "name": "Spring 5%",
            "status": "applied",
            "benefit": {"amount": "13.11", "currency": "RUB"},
            "budgetConsumed": "13.11",
            "explanation": 'outlet channel "HoReCa"; 5% off: 262.20 → 249.09',
            "match": "match",
            "expectedBenefit": {"amount": "13.11", "currency": "RUB"},
        },
        {
            "promotionId": OTHER_PROMOTION,
            "name": "Kvas 2+1",
            "status": "notEligible",
            "explanation": "the order's date is after the promotion's last day",
            "expectedBenefit": {"amount": "87.40", "currency": "RUB"},
        },
    ]
    json.dumps(entity)
    # An order from before promotions (or that got none) says nothing of them.
    plain = dispatch.order_entity(
        opb.Order(id="o2", lines=[opb.OrderLine(product_id="p", promotion_discount=rub("0"))])
    )
    assert "promotions" not in plain
    assert not {"promotionDiscount", "promotions", "freeOfCharge", "promotionId"} & set(
        plain["lines"][0]
    )


@pytest.mark.parametrize(
    ("kind", "response"),
    [
        ("order", lambda o: ords.SubmitOrderResponse(order=o)),
        ("vanSale", lambda o: van.CompleteVanSaleResponse(order=o)),
        ("orderAmend", lambda o: ords.AmendOrderResponse(order=o)),
    ],
)
def test_an_answer_whose_promotions_differ_from_the_expected_warns_promotion_changed(
    kind: str, response: Any
) -> None:
    document = decoded({**every_kind()[kind], "expectedPromotions": expected_promotions()})
    assert document.document is not None
    call = dispatch.call_for(peers(), document.document)
    matched = call.answer(response(promoted_order(opb.PROMOTION_MATCH_MATCH)))
    assert matched.status is Status.ACCEPTED and matched.warnings == ()
    assert matched.entity is not None and len(matched.entity["promotions"]) == 2
    missing = call.answer(
        response(promoted_order(opb.PROMOTION_MATCH_MATCH, opb.PROMOTION_MATCH_MISSING))
    )
    assert missing.status is Status.WARNED
    [warning] = missing.warnings
    assert warning.code == "promotionChanged"
    assert '"Kvas 2+1" not given (not eligible), expected 87.40 RUB' in warning.message
    assert "Spring 5%" not in warning.message
    assert missing.entity is not None
    assert missing.entity["promotions"][1]["match"] == "missing"
    # Beside the debt policy's warnings, after them.
    held = promoted_order(
        opb.PROMOTION_MATCH_DIFFERENT,
        credit=opb.CreditDecision(outcome=opb.CREDIT_OUTCOME_WARN, reasons=["overdue 3 days"]),
    )
    held.promotions[0].expected_benefit.CopyFrom(rub("15"))
    both = call.answer(response(held))
    assert [w.code for w in both.warnings] == ["creditWarn", "promotionChanged"]
    assert '"Spring 5%" different: given 13.11 RUB, expected 15.00 RUB' in both.warnings[1].message
