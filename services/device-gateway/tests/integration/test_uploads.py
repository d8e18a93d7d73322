"""Uploads against the real clients, orders and settlements services: a day's documents
accepted, a retried batch answered from the receipts (one order, not two), a malformed
document rejected while the others go, dependents of a rejected document not sent, the
gateway's own refusals (future-dated, a documentId reused), the services' scope (another
agent's outlet), and what defers a document (an expired token, the time budget, a claim held
by another request). docs/contexts/device-gateway.md, *Uploads*.

The batch goes through the envelope decoder the HTTP endpoint uses, then the use case as the
gateway process built it (its database, its channels to the services)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import msgspec
import pytest

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import visits_service_pb2 as cvs
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_gateway.adapters.dispatch import Dispatcher
from fieldline_gateway.adapters.peers import bearer
from fieldline_gateway.adapters.receipts import Claim, Receipts
from fieldline_gateway.domain.documents import digest_of
from fieldline_gateway.entrypoints.upload_schemas import decode_batch
from fieldline_gateway.service_layer.uploads import Uploader, UploadPolicy, Uploads
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually_value
from tests.company import TODAY, product, questionnaire_request

from .gateway_harness import GatewaySystem, SyncedDevice, system_fixture  # noqa: F401

PRICE = "87.40"  # per piece, VAT included


def new_id() -> str:
    return str(uuid.uuid4())


def moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Agent:
    """An agent with a device, one client and outlet on its route, a priced product."""

    caller: Caller
    device_id: str
    token: str
    client_id: str
    outlet_id: str
    product_id: str
    questionnaire_id: str

    @property
    def uploader(self) -> Uploader:
        return Uploader(employee_id=self.caller.subject, device_id=self.device_id, token=self.token)


async def _seen_by(call: Any) -> bool:
    """Whether a read as the agent passes (the outlet and its route reached the service)."""
    try:
        await call()
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
            return False
        raise
    return True


async def new_agent(
    system: GatewaySystem, n: int, *, device: bool = True, role: Any = cpb.ROLE_AGENT
) -> Agent:
    api = system.api
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent = await system.employee(role, boss)
    route_id = await api.route_of(agent)
    client_id, outlet = await api.client_with_outlet(n)
    await api.assign(route_id, outlet.id)
    [product_id], price_type_id = await api.priced_catalog((product("TEA", "Чай"), PRICE))
    await api.known_to_orders(client_id, price_type_id)
    questionnaire = await api.visits.CreateQuestionnaire(questionnaire_request())
    if not device:
        return Agent(
            agent, "", "", client_id, outlet.id, product_id, questionnaire.questionnaire.id
        )
    activated = await system.device_of(boss, agent)
    token = str(activated["accessToken"])
    as_agent = bearer(token)
    # Orders and settlements learn outlets and routes from clients' events: wait for them.
    await eventually_value(
        lambda: _seen_by(
            lambda: api.orders.GetRecommendedOrder(
                ords.GetRecommendedOrderRequest(outlet_id=outlet.id, date=pb_date(TODAY)),
                metadata=as_agent,
            )
        ),
        bool,
    )
    await eventually_value(
        lambda: _seen_by(
            lambda: api.settlements.GetBalance(
                ss.GetBalanceRequest(client_id=client_id), metadata=as_agent
            )
        ),
        bool,
    )
    return Agent(
        agent,
        str(activated["deviceId"]),
        token,
        client_id,
        outlet.id,
        product_id,
        questionnaire.questionnaire.id,
    )


def uploads(system: GatewaySystem, **policy: Any) -> Uploads:
    """The use case as the gateway process wires it (its database and channels)."""
    app = system.gateway.app
    settings = app.settings
    return Uploads(
        app.uow,
        Dispatcher(app.peers),
        UploadPolicy(
            batch_seconds=policy.get("batch_seconds", settings.batch_seconds),
            max_clock_skew=timedelta(minutes=settings.max_clock_skew_minutes),
            max_documents=settings.upload_max_documents,
        ),
        clock=lambda: app.clock(),
    )


async def send(
    system: GatewaySystem,
    agent: Agent,
    documents: list[dict[str, Any]],
    *,
    sent_at: datetime | None = None,
    token: str = "",
    use: Uploads | None = None,
) -> dict[str, Any]:
    """The batch as the device sends it; the answer as the device reads it (JSON)."""
    body = json.dumps(
        {
            "batchId": new_id(),
            "sentAt": moment(sent_at or datetime.now(UTC)),
            "documents": documents,
        }
    ).encode()
    if use is None and not token:  # as the device sends it: over HTTP, its own token
        reply = await system.http.post(
            "/v1/uploads",
            content=body,
            headers={"Authorization": f"Bearer {agent.token}", "Content-Type": "application/json"},
        )
        assert reply.status_code == 200, reply.text
        answer: dict[str, Any] = reply.json()
        assert [r["documentId"] for r in answer["results"]] == [d["documentId"] for d in documents]
        return answer
    batch = decode_batch(body)
    uploader = (
        agent.uploader if not token else Uploader(agent.caller.subject, agent.device_id, token)
    )
    result = await (use or uploads(system)).upload(
        uploader, batch.batch_id, batch.sent_at, batch.documents
    )
    answer = json.loads(msgspec.json.encode(result))
    assert [r["documentId"] for r in answer["results"]] == [d["documentId"] for d in documents]
    return answer


def statuses(answer: dict[str, Any]) -> list[str]:
    return [r["status"] for r in answer["results"]]


# ------------------------------------------------------------------------------ documents


def base(kind: str, **fields: Any) -> dict[str, Any]:
    created = datetime.now(UTC) - timedelta(seconds=30)
    return {"kind": kind, "documentId": new_id(), "createdAt": moment(created), **fields}


WHERE = {"lat": 55.7, "lon": 37.6, "accuracyM": 8}  # where tests/company.py puts every outlet


def check_in(agent: Agent, visit_id: str, outlet_id: str = "") -> dict[str, Any]:
    return base(
        "visitCheckIn",
        visitId=visit_id,
        outletId=outlet_id or agent.outlet_id,
        time=moment(datetime.now(UTC) - timedelta(seconds=30)),
        date=TODAY.isoformat(),
        location=WHERE,
    )


def audit(agent: Agent, visit_id: str) -> dict[str, Any]:
    return base(
        "audit",
        auditId=new_id(),
        visitId=visit_id,
        questionnaireId=agent.questionnaire_id,
        outletId=agent.outlet_id,
        answers=[{"questionId": "facings", "number": "12"}],
    )


def order(agent: Agent, visit_id: str | None, quantity: Any = "3", **more: Any) -> dict[str, Any]:
    fields = {
        "orderId": new_id(),
        "clientId": agent.client_id,
        "outletId": agent.outlet_id,
        "orderDate": TODAY.isoformat(),
        "lines": [{"productId": agent.product_id, "unit": "pcs", "quantity": quantity}],
        **more,
    }
    if visit_id:
        fields["visitId"] = visit_id
    return base("order", **fields)


def amend(agent: Agent, order_id: str, revision: int, quantity: str, **more: Any) -> dict[str, Any]:
    return base(
        "orderAmend",
        orderId=order_id,
        amendmentId=new_id(),
        expectedRevision=revision,
        lines=[{"productId": agent.product_id, "unit": "pcs", "quantity": quantity}],
        **more,
    )


def cancel(order_id: str, revision: int) -> dict[str, Any]:
    return base("orderCancel", orderId=order_id, expectedRevision=revision, reason="not needed")


def payment(agent: Agent, visit_id: str, amount: str = "100.00") -> dict[str, Any]:
    return base(
        "payment",
        paymentId=new_id(),
        visitId=visit_id,
        clientId=agent.client_id,
        outletId=agent.outlet_id,
        date=TODAY.isoformat(),
        amount={"amount": amount, "currency": "RUB"},
        receiptNumber=f"R-{new_id()[:8]}",
    )


def check_out(visit_id: str) -> dict[str, Any]:
    return base(
        "visitCheckOut",
        visitId=visit_id,
        time=moment(datetime.now(UTC) - timedelta(seconds=10)),
        location=WHERE,
        outcome="orderTaken",
    )


async def orders_of(system: GatewaySystem, client_id: str) -> list[Any]:
    reply = await system.api.orders.ListOrders(ords.ListOrdersRequest(client_id=client_id))
    return list(reply.orders)


async def contact_parity(
    system: GatewaySystem, device: SyncedDevice, token: str
) -> dict[str, dict[str, Any]]:
    """Sync until the device's `contactSales` are exactly what orders lists to `token` (the
    device's own), each at orders' version; those items."""

    async def both() -> tuple[dict[str, int], dict[str, int]]:
        listed = await system.api.orders.ListContactSales(
            ords.ListContactSalesRequest(), metadata=bearer(token)
        )
        await device.sync()
        held = {
            key: data["version"]
            for (section, key), (_scope, data) in device.items.items()
            if section == "contactSales"
        }
        return held, {c.contact_id: c.version for c in listed.contact_sales}

    await eventually_value(both, lambda pair: bool(pair[1]) and pair[0] == pair[1], within=20)
    return {
        key: data
        for (section, key), (_scope, data) in device.items.items()
        if section == "contactSales"
    }


# ------------------------------------------------------------------------------ the tests


async def test_a_visit_with_audit_order_and_payment_is_accepted_and_a_retry_is_all_duplicates(
    system: GatewaySystem,
) -> None:
    agent = await new_agent(system, 9101)
    visit = new_id()
    documents = [
        check_in(agent, visit),
        audit(agent, visit),
        order(agent, visit),
        payment(agent, visit),
        check_out(visit),
    ]
    first = await send(system, agent, documents)
    assert statuses(first) == ["accepted"] * 5, first
    assert first["tokenExpired"] is False
    by_kind = {r["kind"]: r for r in first["results"]}
    assert by_kind["visitCheckIn"]["entity"]["id"] == visit
    assert by_kind["visitCheckIn"]["entity"]["status"] == "inProgress"
    assert by_kind["visitCheckIn"]["entity"]["checkIn"]["far"] is False
    placed = by_kind["order"]["entity"]
    assert placed["id"] == documents[2]["orderId"]
    assert placed["status"] == "submitted"
    # 3 × 87.40, exact, as decimal strings.
    assert placed["grossTotal"] == {"amount": "262.20", "currency": "RUB"}
    assert placed["lines"][0]["unitPrice"] == {"amount": PRICE, "currency": "RUB"}
    assert by_kind["payment"]["entity"]["amount"] == {"amount": "100.00", "currency": "RUB"}
    # Both are tied to the visit they were made in, the services' answers say so.
    assert placed["visitId"] == by_kind["payment"]["entity"]["visitId"] == visit
    assert by_kind["visitCheckOut"]["entity"]["status"] == "completed"
    assert by_kind["visitCheckOut"]["entity"]["outcome"] == "orderTaken"
    # The services hold what the device sent, under the device's ids, as the agent.
    visit_now = await system.api.visits.GetVisit(cvs.GetVisitRequest(visit_id=visit))
    assert visit_now.visit.agent_id == agent.caller.subject
    assert visit_now.visit.status == cpb.VISIT_STATUS_COMPLETED
    audit_now = await system.api.visits.GetAudit(
        cvs.GetAuditRequest(audit_id=documents[1]["auditId"])
    )
    assert audit_now.audit.performed_at.ToDatetime(tzinfo=UTC) == datetime.fromisoformat(
        documents[1]["createdAt"]
    )

    again = await send(system, agent, documents)
    assert statuses(again) == ["duplicate"] * 5
    for before, after in zip(first["results"], again["results"], strict=True):
        assert after["originalStatus"] == before["status"]
        assert after.get("entity") == before.get("entity")
    [only] = await orders_of(system, agent.client_id)
    assert only.id == documents[2]["orderId"]
    assert only.visit_id == visit
    # The cash it collected is on hand: on its device as settlements shows it its own token.
    device = SyncedDevice(system.http, {"accessToken": agent.token})
    me, paid = agent.caller.subject, documents[3]["paymentId"]

    async def on_hand() -> list[str]:
        await device.sync()
        cash = device.items.get(("cashOnHand", me))
        return [p["id"] for p in cash[1]["payments"]] if cash else []

    await eventually_value(on_hand, lambda ids: ids == [paid], within=15)
    own = await system.api.settlements.GetCashOnHand(
        ss.GetCashOnHandRequest(), metadata=bearer(agent.token)
    )
    scope, cash = device.items[("cashOnHand", me)]
    assert scope == f"agent:{me}"
    assert cash["total"] == {"amount": "100.00", "currency": "RUB"}
    assert [p["id"] for p in cash["payments"]] == [p.id for p in own.cash_on_hand.payments]
    assert cash["version"] == own.cash_on_hand.version >= 1
    assert cash["payments"][0]["visitId"] == visit
    # The visit was productive: its contact figures reach the device from ContactSalesChanged,
    # as orders shows them to the agent's own token (the latest version: the visit reaching
    # orders' feed after the order may rewrite the row once more).
    contacts = await contact_parity(system, device, agent.token)
    assert set(contacts) == {visit}
    assert device.items[("contactSales", visit)][0] == f"agent:{me}"
    assert contacts[visit]["productive"] is True
    assert (contacts[visit]["orders"], contacts[visit]["lines"]) == (1, 1)
    assert contacts[visit]["grossTotal"] == {"amount": "262.20", "currency": "RUB"}
    assert contacts[visit]["orderIds"] == [documents[2]["orderId"]]

    # The order amended from the device (revision 1 → 2, 5 pieces), then cancelled.
    placed_id = documents[2]["orderId"]
    assert placed["revision"] == 1
    amended = await send(system, agent, [amend(agent, placed_id, 1, "5", comment="five")])
    assert statuses(amended) == ["accepted"], amended
    entity = amended["results"][0]["entity"]
    assert (entity["id"], entity["revision"], entity["status"]) == (placed_id, 2, "submitted")
    assert entity["grossTotal"] == {"amount": "437.00", "currency": "RUB"}
    assert entity["comment"] == "five"

    # Its device's `orders` holds the new revision (from OrderAmended, before any status event).
    async def held_order() -> dict[str, Any]:
        await device.sync()
        found = device.items.get(("orders", placed_id))
        return found[1] if found else {}

    item = await eventually_value(held_order, lambda o: o.get("revision") == 2, within=15)
    assert item["grossTotal"] == {"amount": "437.00", "currency": "RUB"}
    assert item["version"] == entity["version"]
    # Another amendment made on revision 1 is refused for good, naming the field.
    stale = await send(system, agent, [amend(agent, placed_id, 1, "7")])
    assert statuses(stale) == ["rejected"], stale
    assert stale["results"][0]["problem"]["code"] == "stale-revision"
    assert stale["results"][0]["problem"]["field"] == "documents[0].expectedRevision"
    stop = [cancel(placed_id, 2)]
    cancelled = await send(system, agent, stop)
    assert statuses(cancelled) == ["accepted"], cancelled
    assert cancelled["results"][0]["entity"]["status"] == "cancelled"
    assert cancelled["results"][0]["entity"]["revision"] == 2
    retried = await send(system, agent, stop)
    assert statuses(retried) == ["duplicate"]
    assert retried["results"][0]["entity"] == cancelled["results"][0]["entity"]
    [gone] = await orders_of(system, agent.client_id)
    assert (gone.status, gone.revision) == (opb.ORDER_STATUS_CANCELLED, 2)


async def test_a_malformed_document_is_rejected_naming_its_field_and_the_others_go(
    system: GatewaySystem,
) -> None:
    agent = await new_agent(system, 9102)
    visit = new_id()
    documents = [check_in(agent, visit), order(agent, visit, quantity=3.5), check_out(visit)]
    answer = await send(system, agent, documents)
    assert statuses(answer) == ["accepted", "rejected", "accepted"], answer
    problem = answer["results"][1]["problem"]
    assert problem["code"] == "invalid-document"
    assert problem["field"] == "documents[1].lines[0].quantity"
    assert problem["type"] == "tag:fieldline.dev,2026:problems/invalid-document"
    assert await orders_of(system, agent.client_id) == []
    # The refusal is final for its documentId: the same batch again is all duplicates.
    again = await send(system, agent, documents)
    assert statuses(again) == ["duplicate"] * 3
    assert again["results"][1]["originalStatus"] == "rejected"
    assert again["results"][1]["problem"]["field"] == "documents[1].lines[0].quantity"


async def test_an_order_at_a_rejected_visit_is_not_placed(system: GatewaySystem) -> None:
    agent = await new_agent(system, 9103)
    other = await new_agent(system, 9104, device=False)
    visit = new_id()
    # The visit is at another agent's outlet: clients refuses it; the order names the agent's
    # own outlet and would be placed if it were sent.
    refused_visit = check_in(agent, visit, outlet_id=other.outlet_id)
    dependent = order(agent, visit)
    answer = await send(system, agent, [refused_visit, dependent])
    assert statuses(answer) == ["rejected", "rejected"], answer
    assert answer["results"][0]["problem"]["code"] in ("not-found", "not-permitted")
    prerequisite = answer["results"][1]["problem"]
    assert prerequisite["code"] == "prerequisite-rejected"
    assert prerequisite["prerequisite"] == refused_visit["documentId"]
    assert await orders_of(system, agent.client_id) == []
    # Amending or cancelling the order that was not placed: refused at the gateway, naming it.
    changes = [amend(agent, dependent["orderId"], 1, "4"), cancel(dependent["orderId"], 1)]
    refused = await send(system, agent, changes)
    assert statuses(refused) == ["rejected", "rejected"], refused
    for result in refused["results"]:
        assert result["problem"]["code"] == "prerequisite-rejected"
        assert result["problem"]["prerequisite"] == dependent["documentId"]
    # In a later batch the receipts remember it.
    later = await send(system, agent, [order(agent, visit)])
    assert later["results"][0]["problem"]["code"] == "prerequisite-rejected"
    assert later["results"][0]["problem"]["prerequisite"] == refused_visit["documentId"]
    # A new check-in for the same visit id (a new documentId), accepted: the visit's
    # documents go again.
    retried = await send(system, agent, [check_in(agent, visit), order(agent, visit)])
    assert statuses(retried) == ["accepted", "accepted"], retried
    assert len(await orders_of(system, agent.client_id)) == 1


async def test_another_agents_outlet_and_client_are_refused_by_the_services(
    system: GatewaySystem,
) -> None:
    agent = await new_agent(system, 9105)
    other = await new_agent(system, 9106, device=False)
    stranger = Agent(
        agent.caller,
        agent.device_id,
        agent.token,
        other.client_id,
        other.outlet_id,
        agent.product_id,
        agent.questionnaire_id,
    )
    answer = await send(
        system,
        agent,
        [check_in(stranger, new_id()), order(stranger, None), payment(stranger, new_id())],
    )
    assert statuses(answer) == ["rejected"] * 3, answer
    for result in answer["results"]:
        assert result["problem"]["code"] in ("not-found", "not-permitted"), result
        assert result["problem"]["detail"]  # the service's message
    assert await orders_of(system, other.client_id) == []


async def test_a_document_dated_in_the_future_is_rejected_and_not_sent(
    system: GatewaySystem,
) -> None:
    agent = await new_agent(system, 9107)
    now = datetime.now(UTC)
    visit = new_id()
    ahead = check_in(agent, visit)
    ahead["createdAt"] = moment(now + timedelta(minutes=5))
    answer = await send(system, agent, [ahead, order(agent, visit)], sent_at=now)
    assert statuses(answer) == ["rejected", "rejected"]
    assert answer["results"][0]["problem"]["code"] == "future-dated"
    assert answer["results"][0]["problem"]["field"] == "documents[0].createdAt"
    assert answer["results"][1]["problem"]["code"] == "prerequisite-rejected"
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await system.api.visits.GetVisit(cvs.GetVisitRequest(visit_id=visit))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_document_id_sent_again_with_other_content_is_refused(
    system: GatewaySystem,
) -> None:
    agent = await new_agent(system, 9108)
    first = order(agent, None)
    assert statuses(await send(system, agent, [first])) == ["accepted"]
    changed = {**first, "lines": [{**first["lines"][0], "quantity": "4"}]}
    answer = await send(system, agent, [changed])
    assert statuses(answer) == ["rejected"]
    assert answer["results"][0]["problem"]["code"] == "document-id-reused"
    assert answer["results"][0]["problem"]["field"] == "documents[0].documentId"
    [only] = await orders_of(system, agent.client_id)
    assert only.lines[0].quantity == "3"


async def test_a_token_the_services_refuse_defers_the_rest_of_the_batch(
    system: GatewaySystem,
) -> None:
    agent = await new_agent(system, 9109)
    visit = new_id()
    documents = [check_in(agent, visit), order(agent, visit)]
    answer = await send(system, agent, documents, token="not.a.token")
    assert answer["tokenExpired"] is True
    assert statuses(answer) == ["deferred", "deferred"]
    assert [r["problem"]["code"] for r in answer["results"]] == ["token-expired"] * 2
    # Nothing was kept: with a working token the same documents go through.
    again = await send(system, agent, documents)
    assert statuses(again) == ["accepted", "accepted"], again
    assert again["tokenExpired"] is False


async def test_a_spent_time_budget_defers_and_nothing_is_kept(system: GatewaySystem) -> None:
    agent = await new_agent(system, 9110)
    visit = new_id()
    documents = [check_in(agent, visit), order(agent, visit)]
    spent = await send(system, agent, documents, use=uploads(system, batch_seconds=0))
    assert statuses(spent) == ["deferred", "deferred"]
    assert [r["problem"]["code"] for r in spent["results"]] == ["batch-time-exceeded"] * 2
    assert await orders_of(system, agent.client_id) == []
    assert statuses(await send(system, agent, documents)) == ["accepted", "accepted"]


async def test_a_claim_held_by_another_request_defers_and_a_dead_ones_is_taken_over(
    system: GatewaySystem,
) -> None:
    agent = await new_agent(system, 9111)
    app = system.gateway.app

    async def claimed(document: dict[str, Any], at: datetime) -> None:
        """The document claimed at `at` by a request that never finished."""
        async with app.uow() as uow:
            assert await Receipts(uow.session).claim(
                Claim(
                    employee_id=agent.caller.subject,
                    document_id=document["documentId"],
                    kind=document["kind"],
                    digest=digest_of(json.dumps(document).encode()),
                    creates=None,
                    photo_ids=(),
                    device_id=agent.device_id,
                    batch_id=new_id(),
                    created_at=None,
                    sent_at=at,
                    received_at=at,
                    claim_id=new_id(),
                )
            )
            await uow.commit()

    held, dead = order(agent, None), order(agent, None)
    await claimed(held, datetime.now(UTC))
    await claimed(dead, datetime.now(UTC) - timedelta(minutes=2))
    answer = await send(system, agent, [held, dead])
    assert statuses(answer) == ["deferred", "accepted"], answer
    assert answer["results"][0]["problem"]["code"] == "busy"
    [only] = await orders_of(system, agent.client_id)
    assert only.id == dead["orderId"]
    assert statuses(await send(system, agent, [dead])) == ["duplicate"]


async def test_a_payment_allocated_to_a_refused_van_sale_is_not_recorded(
    system: GatewaySystem,
) -> None:
    seller = await new_agent(system, 9112, role=cpb.ROLE_VAN_SELLER)
    van_id = await system.api.loaded_van(seller.caller, seller.product_id, 5)

    def sale(quantity: str) -> dict[str, Any]:
        return base(
            "vanSale",
            saleId=new_id(),
            vanId=van_id,
            clientId=seller.client_id,
            outletId=seller.outlet_id,
            date=TODAY.isoformat(),
            lines=[{"productId": seller.product_id, "unit": "pcs", "quantity": quantity}],
            receiptNumber=f"S-{new_id()[:8]}",
        )

    def paying(sale: dict[str, Any]) -> dict[str, Any]:
        document = payment(seller, new_id(), amount="50.00")
        del document["visitId"]
        document["allocations"] = [{"invoiceId": sale["saleId"]}]
        return document

    too_much, enough = sale("10"), sale("2")
    paid = paying(enough)
    answer = await send(system, seller, [too_much, paying(too_much), enough, paid])
    assert statuses(answer)[:3] == ["rejected", "rejected", "accepted"], answer
    # Settlements books the sale's invoice from its event, a moment after the sale: a payment
    # arriving first is deferred (never rejected), and the device's next send records it.
    if statuses(answer)[3] == "deferred":
        assert answer["results"][3]["problem"]["code"] == "invoice-pending", answer
        assert answer["results"][3]["problem"]["prerequisite"] == enough["documentId"]
        again = await eventually_value(
            lambda: send(system, seller, [paid]), lambda a: statuses(a) != ["deferred"]
        )
        assert statuses(again) == ["accepted"], again
    else:
        assert statuses(answer)[3] == "accepted", answer
    assert answer["results"][0]["problem"]["code"] == "failed-precondition"
    assert answer["results"][1]["problem"]["code"] == "prerequisite-rejected"
    assert answer["results"][1]["problem"]["prerequisite"] == too_much["documentId"]
    sold = answer["results"][2]["entity"]
    assert (sold["id"], sold["kind"]) == (enough["saleId"], "vanSale")
    assert sold["grossTotal"] == {"amount": "174.80", "currency": "RUB"}
    [placed] = await orders_of(system, seller.client_id)
    assert placed.id == enough["saleId"]


async def test_a_van_sale_and_a_return_made_in_a_visit_carry_its_id(system: GatewaySystem) -> None:
    seller = await new_agent(system, 9113, role=cpb.ROLE_VAN_SELLER)
    van_id = await system.api.loaded_van(seller.caller, seller.product_id, 5)
    visit = new_id()
    sale = base(
        "vanSale",
        saleId=new_id(),
        visitId=visit,
        vanId=van_id,
        clientId=seller.client_id,
        outletId=seller.outlet_id,
        date=TODAY.isoformat(),
        lines=[{"productId": seller.product_id, "unit": "pcs", "quantity": "2"}],
        receiptNumber=f"S-{new_id()[:8]}",
    )
    back = base(
        "return",
        returnId=new_id(),
        visitId=visit,
        vanId=van_id,
        clientId=seller.client_id,
        outletId=seller.outlet_id,
        orderId=sale["saleId"],
        date=TODAY.isoformat(),
        lines=[{"productId": seller.product_id, "unit": "pcs", "quantity": "1", "reason": "torn"}],
    )
    answer = await send(system, seller, [check_in(seller, visit), sale, back])
    assert statuses(answer) == ["accepted"] * 3, answer
    assert [r["entity"].get("visitId") for r in answer["results"][1:]] == [visit, visit]
    [sold] = await orders_of(system, seller.client_id)
    assert (sold.id, sold.visit_id) == (sale["saleId"], visit)
    # The van seller's device holds the visit's figures as orders shows them to its token.
    device = SyncedDevice(system.http, {"accessToken": seller.token})
    contacts = await contact_parity(system, device, seller.token)
    assert set(contacts) == {visit}
    counted = contacts[visit]
    assert (counted["orders"], counted["vanSales"], counted["returns"]) == (0, 1, 1)
    assert (counted["orderIds"], counted["returnIds"]) == ([sale["saleId"]], [back["returnId"]])
    assert counted["productive"] is True and counted["mismatched"] is False


def expecting(agent: Agent, amount: str = "13.11") -> list[dict[str, Any]]:
    """A promotion the device expected (one orders has never heard of), with a free piece."""
    return [
        {
            "promotionId": new_id(),
            "benefit": amount,
            "freeLines": [{"productId": agent.product_id, "baseQuantity": "1"}],
        }
    ]


def placed_with(result: dict[str, Any], expected: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer of a document that named `expected`: accepted, its only possible warning
    `promotionChanged`. orders checks the expectation's form and decides by its own rule: a
    promotion it does not know is never a match, and whatever it says other than a match
    warns (what orders says of it is its own; before it judges promotions it says nothing)."""
    assert result["status"] in ("accepted", "acceptedWithWarning"), result
    codes = [w["code"] for w in result.get("warnings", [])]
    assert set(codes) <= {"promotionChanged"}, codes
    entity: dict[str, Any] = result["entity"]
    judged = {p["promotionId"]: p for p in entity.get("promotions", [])}
    named = judged.get(expected[0]["promotionId"])
    assert named is None or named.get("match") != "match", named
    differs = any(p.get("match", "match") != "match" for p in judged.values())
    assert ("promotionChanged" in codes) == differs, result
    assert (result["status"] == "acceptedWithWarning") == bool(codes)
    return entity


async def test_an_order_and_its_amendment_name_the_promotions_the_device_expected(
    system: GatewaySystem,
) -> None:
    agent = await new_agent(system, 9114)
    bad = order(agent, None, expectedPromotions=[{"promotionId": "spring-5", "benefit": "5"}])
    negative = order(agent, None, expectedPromotions=expecting(agent, "-1.00"))
    good = order(agent, None, expectedPromotions=expecting(agent))
    answer = await send(system, agent, [bad, negative, good])
    assert statuses(answer)[:2] == ["rejected", "rejected"], answer
    # The gateway refuses a malformed expectation itself, naming the field; orders sees nothing.
    refused = [r["problem"] for r in answer["results"][:2]]
    assert [p["code"] for p in refused] == ["invalid-document"] * 2
    assert [p["field"] for p in refused] == [
        "documents[0].expectedPromotions[0].promotionId",
        "documents[1].expectedPromotions[0].benefit",
    ]
    placed = placed_with(answer["results"][2], good["expectedPromotions"])
    assert (placed["id"], placed["revision"]) == (good["orderId"], 1)
    assert placed["grossTotal"] == {"amount": "262.20", "currency": "RUB"}
    [only] = await orders_of(system, agent.client_id)
    assert only.id == good["orderId"]

    changed = amend(agent, good["orderId"], 1, "5", expectedPromotions=expecting(agent, "21.85"))
    amended = await send(system, agent, [changed])
    entity = placed_with(amended["results"][0], changed["expectedPromotions"])
    assert (entity["revision"], entity["grossTotal"]["amount"]) == (2, "437.00")
    # The answer was kept as given: the same document again is its duplicate.
    again = await send(system, agent, [changed])
    assert statuses(again) == ["duplicate"]
    assert again["results"][0]["entity"] == entity
    assert again["results"][0].get("warnings", []) == amended["results"][0].get("warnings", [])


async def test_a_van_sale_names_the_promotions_the_device_expected(system: GatewaySystem) -> None:
    seller = await new_agent(system, 9115, role=cpb.ROLE_VAN_SELLER)
    van_id = await system.api.loaded_van(seller.caller, seller.product_id, 5)

    def sale(expected: list[dict[str, Any]]) -> dict[str, Any]:
        return base(
            "vanSale",
            saleId=new_id(),
            vanId=van_id,
            clientId=seller.client_id,
            outletId=seller.outlet_id,
            date=TODAY.isoformat(),
            lines=[{"productId": seller.product_id, "unit": "pcs", "quantity": "2"}],
            cashCollected={"amount": "100.00", "currency": "RUB"},
            receiptNumber=f"S-{new_id()[:8]}",
            expectedPromotions=expected,
        )

    too_many = sale(expecting(seller) * 101)
    good = sale(expecting(seller, "8.74"))
    answer = await send(system, seller, [too_many, good])
    assert statuses(answer)[0] == "rejected", answer
    assert answer["results"][0]["problem"]["field"] == "documents[0].expectedPromotions"
    sold = placed_with(answer["results"][1], good["expectedPromotions"])
    assert (sold["id"], sold["kind"]) == (good["saleId"], "vanSale")
    assert sold["grossTotal"] == {"amount": "174.80", "currency": "RUB"}
    [placed] = await orders_of(system, seller.client_id)
    assert placed.id == good["saleId"]
