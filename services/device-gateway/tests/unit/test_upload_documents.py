"""Uploaded documents read one at a time: every kind of protocol v1 decodes, a malformed one is
`invalid-document` naming its path, the envelope's own errors are `invalid-request`, a digest
that ignores layout, the future-dated rule."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from fieldline_gateway.domain import documents as d
from fieldline_gateway.domain.problems import Problem
from fieldline_gateway.entrypoints.upload_schemas import decode_batch

SENT = datetime(2026, 3, 4, 9, 41, tzinfo=UTC)
CREATED = "2026-03-04T09:02:11Z"
SKEW = timedelta(minutes=60)


def new_id() -> str:
    return str(uuid.uuid4())


def raw(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def common(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "documentId": new_id(), "createdAt": CREATED, **fields}


MONEY = {"amount": "1234.50", "currency": "RUB"}
CARD = {
    "name": "Магазин «Ромашка»",
    "address": "г. Тверь, ул. Советская, 12",
    "location": {"lat": 56.8587, "lon": 35.9176},
    "channel": "traditional trade",
    "format": "minimarket",
    "outletClass": "B",
    "contacts": [{"name": "Анна", "role": "owner", "phone": "+79000000000", "email": ""}],
    "workingHours": [{"weekday": 1, "opens": "08:00", "closes": "21:00"}],
    "customAttributes": {"fridge": "yes"},
}


def every_kind() -> dict[str, dict[str, Any]]:
    """One valid document of each kind, as the protocol's table lists its fields."""
    visit, order, sale = new_id(), new_id(), new_id()
    line = {"productId": "p-1001", "unit": "box", "quantity": "3"}
    return {
        "visitCheckIn": common(
            "visitCheckIn",
            visitId=visit,
            outletId="0f3e",
            time=CREATED,
            date="2026-03-04",
            location={"lat": 56.8589, "lon": 35.917, "accuracyM": 12},
        ),
        "visitCheckOut": common(
            "visitCheckOut", visitId=visit, time=CREATED, outcome="orderTaken", notes="ok"
        ),
        "missedVisit": common(
            "missedVisit", visitId=new_id(), outletId="0f3e", date="2026-03-04", reason="closed"
        ),
        "audit": common(
            "audit",
            auditId=new_id(),
            visitId=visit,
            questionnaireId="q-1",
            outletId="0f3e",
            answers=[
                {"questionId": "facings", "number": "12"},
                {"questionId": "price", "money": MONEY},
                {"questionId": "clean", "yesNo": True},
                {"questionId": "place", "choice": "entrance"},
                {"questionId": "shelf", "photoId": new_id()},
            ],
            mustStock=[{"sku": "A-1", "present": True, "facings": 2, "shelfQuantity": "6"}],
            competitorPrices=[{"product": "Cola", "competitor": "X", "price": MONEY}],
        ),
        "order": common(
            "order",
            orderId=order,
            visitId=visit,
            clientId="5a6b",
            outletId="0f3e",
            orderDate="2026-03-04",
            deliveryDate="2026-03-05",
            lines=[{**line, "manualDiscountPercent": "2.5"}],
            comment="до обеда",
            creditOverride={"reason": "paid in cash"},
        ),
        "orderAmend": common(
            "orderAmend",
            orderId=order,
            amendmentId=new_id(),
            expectedRevision=1,
            lines=[{**line, "quantity": "5", "manualDiscountPercent": "1"}],
            deliveryDate="2026-03-06",
            warehouseId="w-2",
            comment="после обеда",
            creditOverride={"reason": "paid in cash"},
        ),
        "orderCancel": common(
            "orderCancel", orderId=order, expectedRevision=2, reason="the outlet changed its mind"
        ),
        "vanSale": common(
            "vanSale",
            saleId=sale,
            vanId="van-1",
            clientId="5a6b",
            outletId="0f3e",
            date="2026-03-04",
            lines=[line],
            cashCollected=MONEY,
            receiptNumber="R-1",
        ),
        "return": common(
            "return",
            returnId=new_id(),
            vanId="van-1",
            clientId="5a6b",
            outletId="0f3e",
            orderId=sale,
            date="2026-03-04",
            lines=[{**line, "reason": "damaged"}],
            containers=[{"containerType": "keg-50", "quantity": "2"}],
        ),
        "payment": common(
            "payment",
            paymentId=new_id(),
            clientId="5a6b",
            date="2026-03-04",
            amount=MONEY,
            receiptNumber="R-2",
            allocations=[{"invoiceId": sale, "amount": MONEY}, {"invoiceId": "INV-7"}],
        ),
        "outletProposal": common(
            "outletProposal", proposalId=new_id(), outletId=new_id(), clientId="5a6b", card=CARD
        ),
        "cardChange": common(
            "cardChange",
            proposalId=new_id(),
            outletId="0f3e",
            card={"address": "ул. Новая, 1", "customAttributes": {"fridge": "no"}},
            fields=["address", "customAttributes.fridge"],
        ),
        "vanLoad": common(
            "vanLoad", loadId=new_id(), vanId="van-1", date="2026-03-04", lines=[line]
        ),
        "vanUnload": common(
            "vanUnload",
            unloadId=new_id(),
            vanId="van-1",
            date="2026-03-04",
            counted=[{"productId": "p-1001", "quantity": "12"}],
            cashHandedOver=MONEY,
        ),
        "call": common(
            "call",
            callId=new_id(),
            outletId="0f3e",
            date="2026-03-04",
            startedAt="2026-03-04T09:00:00Z",
            endedAt="2026-03-04T09:02:00Z",
            outcome="callBack",
            callBackAt="2026-03-05T10:00:00Z",
            notes="перезвонить завтра",
        ),
    }


def test_every_kind_of_the_protocol_decodes_to_its_own_shape() -> None:
    documents = every_kind()
    assert set(documents) == set(d.KINDS)
    for kind, document in documents.items():
        received = d.receive(0, raw(document))
        assert received.problem is None, (kind, received.problem)
        assert isinstance(received.document, d.KINDS[kind])
        assert received.kind == kind
        assert received.document_id == document["documentId"]
    order = d.receive(0, raw(documents["order"])).document
    assert isinstance(order, d.Order)
    # Quantities and money stay the decimal strings they were sent as.
    assert order.lines[0].quantity == "3"
    assert order.lines[0].manual_discount_percent == "2.5"
    payment = d.receive(0, raw(documents["payment"])).document
    assert isinstance(payment, d.Payment)
    assert payment.amount == d.Money(amount="1234.50", currency="RUB")
    assert payment.allocations[1].amount is None
    amend = d.receive(0, raw(documents["orderAmend"])).document
    assert isinstance(amend, d.OrderAmend)
    assert (amend.expected_revision, amend.lines[0].quantity) == (1, "5")
    bare = d.receive(0, raw({**documents["orderAmend"], "creditOverride": None})).document
    assert isinstance(bare, d.OrderAmend) and bare.credit_override is None
    cancel = d.receive(0, raw(documents["orderCancel"])).document
    assert isinstance(cancel, d.OrderCancel)
    assert (cancel.expected_revision, cancel.reason) == (2, "the outlet changed its mind")
    call = d.receive(0, raw(documents["call"])).document
    assert isinstance(call, d.Call)
    assert (call.outcome, call.reason) == ("callBack", "")
    assert call.call_back_at == datetime(2026, 3, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (lambda c: c.update(outcome="busy"), "documents[1].outcome", "Invalid enum value"),
        (lambda c: c.pop("startedAt"), "documents[1].startedAt", "missing required field"),
        (lambda c: c.update(callId="c-1"), "documents[1].callId", "regex"),
        (lambda c: c.update(reason="x" * 1001), "documents[1].reason", "length"),
        (lambda c: c.update(tellerId=new_id()), "documents[1].tellerId", "unknown field"),
    ],
)
def test_a_malformed_call_is_invalid_naming_its_field(change: Any, field: str, says: str) -> None:
    call = every_kind()["call"]
    change(call)
    received = d.receive(1, raw(call))
    assert received.document is None and received.problem is not None
    assert received.problem.field == field
    assert says in received.problem.detail
    assert (received.kind, received.document_id) == ("call", call["documentId"])


def test_a_call_names_its_outlet_creates_its_id_and_its_times_are_device_times() -> None:
    document = every_kind()["call"]
    call = d.receive(0, raw(document)).document
    assert isinstance(call, d.Call)
    assert d.creates(call) == d.normal_id(document["callId"])
    assert d.needs(call) == {"0f3e"}
    assert d.creates_loosely(raw(document), "call") == d.normal_id(document["callId"])
    # A call ending after the batch was sent is future-dated; its call-back time never is.
    late = {**document, "endedAt": "2026-03-04T09:50:00Z"}
    found = d.future_dated(d.receive(2, raw(late)), SENT, SENT, SKEW)
    assert found is not None and found.field == "documents[2].endedAt"
    assert d.future_dated(d.receive(2, raw(document)), SENT, SENT, SKEW) is None
    # clients' field names (`call.outlet_id`) are the document's.
    assert d.device_field("call", "call.call_back_at") == "callBackAt"
    assert d.device_field("call", "call.id") == "callId"


def phone_order() -> dict[str, Any]:
    """A teleseller's order taken on the phone, in a call, credited to a field agent."""
    order = every_kind()["order"]
    del order["visitId"]
    return {**order, "channel": "phone", "callId": new_id(), "creditedAgentId": "e-agent-7"}


def test_a_phone_order_carries_its_channel_call_and_credited_agent() -> None:
    document = phone_order()
    order = d.receive(0, raw(document)).document
    assert isinstance(order, d.Order)
    assert (order.channel, order.call_id, order.credited_agent_id) == (
        "phone",
        document["callId"],
        "e-agent-7",
    )
    # All three are optional: a field order names none (its channel is the employee's own).
    field_order = d.receive(0, raw(every_kind()["order"])).document
    assert isinstance(field_order, d.Order)
    assert (field_order.channel, field_order.call_id, field_order.credited_agent_id) == (
        None,
        None,
        None,
    )
    explicit = d.receive(0, raw({**every_kind()["order"], "channel": "field"})).document
    assert isinstance(explicit, d.Order) and explicit.channel == "field"


@pytest.mark.parametrize(
    ("kind", "change", "field", "says"),
    [
        ("orderAmend", lambda o: o.pop("expectedRevision"), "expectedRevision", "missing"),
        ("orderAmend", lambda o: o.update(expectedRevision=0), "expectedRevision", ">= 1"),
        ("orderAmend", lambda o: o.update(expectedRevision="1"), "expectedRevision", "int"),
        ("orderAmend", lambda o: o.update(amendmentId="a-1"), "amendmentId", "regex"),
        ("orderAmend", lambda o: o.pop("lines"), "lines", "missing"),
        ("orderAmend", lambda o: o["lines"][0].update(quantity=5), "lines[0].quantity", "str"),
        ("orderAmend", lambda o: o.update(clientId="5a6b"), "clientId", "unknown field"),
        ("orderAmend", lambda o: o.update(orderDate="2026-03-04"), "orderDate", "unknown field"),
        ("orderAmend", lambda o: o.update(deliveryDate="06.03.2026"), "deliveryDate", "date"),
        ("orderCancel", lambda o: o.pop("reason"), "reason", "missing"),
        ("orderCancel", lambda o: o.update(reason=""), "reason", "length"),
        ("orderCancel", lambda o: o.update(reason="x" * 1001), "reason", "length"),
        ("orderCancel", lambda o: o.update(orderId="o-1"), "orderId", "regex"),
        ("orderCancel", lambda o: o.update(expectedRevision=-1), "expectedRevision", ">= 1"),
        # a phone order's members: the protocol's enum spelling (lower camelCase) only
        ("order", lambda o: o.update(channel="PHONE"), "channel", "Invalid enum value"),
        ("order", lambda o: o.update(channel="fax"), "channel", "Invalid enum value"),
        ("order", lambda o: o.update(channel=2), "channel", "Expected `str | null`"),
        ("order", lambda o: o.update(callId="call-1"), "callId", "regex"),
        ("order", lambda o: o.update(callId=7), "callId", "Expected `str | null`"),
        ("order", lambda o: o.update(creditedAgentId=""), "creditedAgentId", "length"),
        ("order", lambda o: o.update(creditedAgentId="e" * 65), "creditedAgentId", "length"),
        ("order", lambda o: o.update(takenBy="e-1"), "takenBy", "unknown field"),
    ],
)
def test_a_malformed_amendment_cancellation_or_phone_order_is_invalid_naming_its_field(
    kind: str, change: Any, field: str, says: str
) -> None:
    document = every_kind()[kind]
    change(document)
    received = d.receive(3, raw(document))
    assert received.document is None and received.problem is not None
    assert received.problem.code == "invalid-document"
    assert received.problem.field == f"documents[3].{field}"
    assert says.lower() in received.problem.detail.lower()
    assert (received.kind, received.document_id) == (kind, document["documentId"])


PROMOTION, OTHER_PROMOTION = new_id(), new_id()


def expected_promotions() -> list[dict[str, Any]]:
    """What a device expected an order to get: 5% off (a benefit only) and 2+1 (a free line)."""
    return [
        {"promotionId": PROMOTION, "benefit": "51.00"},
        {
            "promotionId": OTHER_PROMOTION,
            "benefit": "87.4",
            "freeLines": [{"productId": "p-1001", "baseQuantity": "1"}],
        },
    ]


EXPECTING = ("order", "vanSale", "orderAmend")


@pytest.mark.parametrize("kind", EXPECTING)
def test_an_order_van_sale_or_amendment_may_name_the_promotions_it_expected(kind: str) -> None:
    document = {**every_kind()[kind], "expectedPromotions": expected_promotions()}
    found = d.receive(0, raw(document)).document
    assert isinstance(found, d.Order | d.VanSale | d.OrderAmend)
    assert found.expected_promotions == [
        d.ExpectedPromotion(promotion_id=PROMOTION, benefit="51.00"),
        d.ExpectedPromotion(
            promotion_id=OTHER_PROMOTION,
            benefit="87.4",
            free_lines=[d.ExpectedFreeLine(product_id="p-1001", base_quantity="1")],
        ),
    ]
    # Optional: a document without them (an app before promotions) expected none.
    bare = d.receive(0, raw(every_kind()[kind])).document
    assert isinstance(bare, d.Order | d.VanSale | d.OrderAmend)
    assert bare.expected_promotions == []
    zero = {**document, "expectedPromotions": [{"promotionId": PROMOTION, "benefit": "0"}]}
    assert d.receive(0, raw(zero)).problem is None
    # The digest is of the document as sent: an expectation is part of its content.
    assert d.digest_of(raw(document)) != d.digest_of(raw(every_kind()[kind]))


@pytest.mark.parametrize("kind", EXPECTING)
@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (lambda e: e[1].update(promotionId="spring-5"), "[1].promotionId", "regex"),
        (lambda e: e[0].pop("promotionId"), "[0].promotionId", "missing required field"),
        (lambda e: e[0].update(promotionId=None), "[0].promotionId", "Expected `str`"),
        # the benefit: a decimal string of 0 or more, at most two places, no currency
        (lambda e: e[0].update(benefit="-1.00"), "[0].benefit", "regex"),
        (lambda e: e[0].update(benefit="+1.00"), "[0].benefit", "regex"),
        (lambda e: e[0].update(benefit="51.005"), "[0].benefit", "regex"),
        (lambda e: e[0].update(benefit="1e3"), "[0].benefit", "regex"),
        (lambda e: e[0].update(benefit=51.0), "[0].benefit", "Expected `str`"),
        (lambda e: e[0].pop("benefit"), "[0].benefit", "missing required field"),
        (
            lambda e: e[0].update(benefit={"amount": "51.00", "currency": "RUB"}),
            "[0].benefit",
            "Expected `str`",
        ),
        (lambda e: e[0].update(currency="RUB"), "[0].currency", "unknown field"),
        (
            lambda e: e[1]["freeLines"][0].update(productId=""),
            "[1].freeLines[0].productId",
            "length",
        ),
        (
            lambda e: e[1]["freeLines"][0].pop("productId"),
            "[1].freeLines[0].productId",
            "missing required field",
        ),
        (
            lambda e: e[1]["freeLines"][0].update(baseQuantity=1),
            "[1].freeLines[0].baseQuantity",
            "Expected `str`",
        ),
        (
            lambda e: e[1]["freeLines"][0].update(baseQuantity="one"),
            "[1].freeLines[0].baseQuantity",
            "regex",
        ),
        (
            lambda e: e[1]["freeLines"][0].update(unit="pcs"),
            "[1].freeLines[0].unit",
            "unknown field",
        ),
        (
            lambda e: e[1].update(freeLines=[e[1]["freeLines"][0]] * 101),
            "[1].freeLines",
            "length",
        ),
        (lambda e: e.extend([e[0]] * 99), "", "length"),  # 101 promotions
        (lambda e: e.append("spring"), "[2]", "Expected `object`"),
    ],
)
def test_a_malformed_expected_promotion_is_invalid_naming_its_field(
    kind: str, change: Any, field: str, says: str
) -> None:
    document = {**every_kind()[kind], "expectedPromotions": expected_promotions()}
    change(document["expectedPromotions"])
    received = d.receive(6, raw(document))
    assert received.document is None and received.problem is not None
    assert received.problem.code == "invalid-document"
    assert received.problem.field == f"documents[6].expectedPromotions{field}"
    assert received.problem.detail.startswith(f"documents[6].expectedPromotions{field}: ")
    assert says.lower() in received.problem.detail.lower()
    assert (received.kind, received.document_id) == (kind, document["documentId"])


@pytest.mark.parametrize("kind", EXPECTING)
def test_expected_promotions_are_a_list(kind: str) -> None:
    document = {**every_kind()[kind], "expectedPromotions": expected_promotions()[0]}
    received = d.receive(0, raw(document))
    assert received.problem is not None
    assert received.problem.field == "documents[0].expectedPromotions"
    assert "Expected `array`" in received.problem.detail
    # Only the documents that place an order or amend one carry them.
    cancel = {**every_kind()["orderCancel"], "expectedPromotions": expected_promotions()}
    refused = d.receive(0, raw(cancel)).problem
    assert refused is not None and refused.field == "documents[0].expectedPromotions"
    assert "unknown field" in refused.detail


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        # a number where a decimal string belongs: money and quantities are never floats
        (lambda o: o["lines"][0].update(quantity=3.5), "documents[4].lines[0].quantity", "str"),
        (
            lambda o: o["lines"][0].update(quantity="1_000"),
            "documents[4].lines[0].quantity",
            "regex",
        ),
        (lambda o: o.update(surprise=1), "documents[4].surprise", "unknown field"),
        (lambda o: o["lines"][0].update(colour="red"), "documents[4].lines[0].colour", "unknown"),
        (lambda o: o.pop("clientId"), "documents[4].clientId", "missing required field"),
        (lambda o: o.update(orderDate="04.03.2026"), "documents[4].orderDate", "date"),
        (lambda o: o.update(createdAt="2026-03-04T09:02:11"), "documents[4].createdAt", "timezone"),
        (lambda o: o.update(orderId="not-a-uuid"), "documents[4].orderId", "regex"),
        (lambda o: o.update(comment="x" * 2001), "documents[4].comment", "length"),
        (lambda o: o.update(lines=[o["lines"][0]] * 1001), "documents[4].lines", "length"),
        (lambda o: o.update(kind="orderDelete"), "documents[4].kind", "Invalid value"),
        (lambda o: o.pop("kind"), "documents[4].kind", "missing required field"),
    ],
)
def test_a_malformed_document_is_invalid_naming_its_path(
    change: Any, field: str, says: str
) -> None:
    order = every_kind()["order"]
    change(order)
    received = d.receive(4, raw(order))
    assert received.document is None
    assert received.problem is not None
    assert received.problem.code == "invalid-document"
    assert received.problem.field == field
    assert received.problem.detail.startswith(f"{field}: ")
    assert says.lower() in received.problem.detail.lower()
    assert received.problem.type == "tag:fieldline.dev,2026:problems/invalid-document"
    # What can still be read of it is kept, for its receipt and its dependents.
    assert received.document_id == order["documentId"]


def test_an_audit_answer_holds_exactly_one_value() -> None:
    audit = every_kind()["audit"]
    audit["answers"][1] = {"questionId": "price", "number": "1", "yesNo": False}
    received = d.receive(2, raw(audit))
    assert received.problem is not None
    assert received.problem.field == "documents[2].answers[1]"
    assert "exactly one" in received.problem.detail
    audit["answers"][1] = {"questionId": "price"}
    assert d.receive(2, raw(audit)).problem is not None


def test_money_has_at_most_two_places_and_a_currency_code() -> None:
    payment = every_kind()["payment"]
    payment["amount"] = {"amount": "10.005", "currency": "RUB"}
    received = d.receive(0, raw(payment))
    assert received.problem is not None and received.problem.field == "documents[0].amount.amount"
    payment["amount"] = {"amount": "10.05", "currency": "rub"}
    received = d.receive(0, raw(payment))
    assert received.problem is not None
    assert received.problem.field == "documents[0].amount.currency"


def test_something_that_is_no_object_is_invalid_and_nameless() -> None:
    received = d.receive(7, b"[1, 2]")
    assert received.problem is not None and received.problem.field == "documents[7]"
    assert (received.document_id, received.kind) == ("", "")


def test_the_digest_ignores_layout_but_not_content() -> None:
    order = every_kind()["order"]
    compact = json.dumps(order, separators=(",", ":")).encode()
    spread = json.dumps(dict(reversed(list(order.items()))), indent=2).encode()
    assert d.digest_of(compact) == d.digest_of(spread)
    order["lines"][0]["quantity"] = "4"
    assert d.digest_of(raw(order)) != d.digest_of(compact)


def test_a_batch_envelope_that_cannot_be_read_is_an_invalid_request() -> None:
    good = {"batchId": new_id(), "sentAt": "2026-03-04T09:41:00Z", "documents": [{"a": 1}, 2]}
    batch = decode_batch(raw(good))
    assert [bytes(x) for x in batch.documents] == [b'{"a": 1}', b"2"]
    cases = [
        ({**good, "extra": True}, "extra"),
        ({**good, "documents": {"a": 1}}, "documents"),
        ({k: v for k, v in good.items() if k != "sentAt"}, "sentAt"),
        ({**good, "sentAt": "yesterday"}, "sentAt"),
    ]
    for body, field in cases:
        with pytest.raises(Problem) as refused:
            decode_batch(raw(body))
        assert refused.value.code == "invalid-request"
        assert refused.value.field == field, body
    with pytest.raises(Problem) as refused:
        decode_batch(b"{not json")
    assert refused.value.code == "invalid-request"


def _check_in(created: datetime, time: datetime | None = None) -> d.Received:
    document = every_kind()["visitCheckIn"]
    document["createdAt"] = created.isoformat()
    document["time"] = (time or created).isoformat()
    return d.receive(3, raw(document))


def test_a_device_time_after_sent_at_plus_a_minute_is_future_dated() -> None:
    now = SENT + timedelta(seconds=5)
    assert d.future_dated(_check_in(SENT + timedelta(seconds=60)), SENT, now, SKEW) is None
    late = d.future_dated(_check_in(SENT + timedelta(seconds=61)), SENT, now, SKEW)
    assert late is not None and late.code == "future-dated"
    assert late.field == "documents[3].createdAt"
    # The check-in's own time is a device time too.
    inner = d.future_dated(_check_in(SENT, SENT + timedelta(minutes=2)), SENT, now, SKEW)
    assert inner is not None and inner.field == "documents[3].time"


def test_a_device_time_far_after_the_server_clock_is_future_dated() -> None:
    """A device whose clock runs ahead sends a sentAt ahead too: the server's clock bounds."""
    ahead = SENT + timedelta(hours=3)
    now = SENT
    assert d.future_dated(_check_in(now + SKEW), ahead, now, SKEW) is None
    refused = d.future_dated(_check_in(now + SKEW + timedelta(seconds=1)), ahead, now, SKEW)
    assert refused is not None and "server's time" in refused.detail


def test_an_undecodable_document_is_not_also_judged_future_dated() -> None:
    broken = d.receive(0, b'{"kind": "order"}')
    assert d.future_dated(broken, SENT, SENT, SKEW) is None


def test_results_encode_in_camel_case_leaving_out_what_is_empty() -> None:
    accepted = d.Outcome.accepted({"id": "o1"}).result("a1", "order")
    body = msgspec.json.decode(msgspec.json.encode(accepted))
    assert body == {
        "documentId": "a1",
        "kind": "order",
        "status": "accepted",
        "entity": {"id": "o1"},
    }
    batch = d.UploadResult(batch_id="b1", results=[accepted], token_expired=False)
    assert msgspec.json.decode(msgspec.json.encode(batch))["tokenExpired"] is False
    again = d.duplicate_of(
        msgspec.json.decode(msgspec.json.encode(accepted), type=d.DocumentResult)
    )
    assert (again.status, again.original_status, again.entity) == (
        "duplicate",
        "accepted",
        {"id": "o1"},
    )
