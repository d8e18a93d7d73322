"""The export over real HTTP in front of real clients, orders and settlements
(docs/contexts/exchange.md, *Export*): an order placed through the orders API reaches the
journal through orders' events; 1C's `mode=query` answers it as CommerceML 2.10 until
`mode=success` acknowledges it; a status change sends it again; a query without success
repeats. Cash an agent collected and outlets go the same way (a bank payment does not; the
cash payment sent back by the ERP is not recorded twice). The plain API: `GET
/v1/export/documents` (or `/orders`) and `POST /v1/export/ack`, scope `orders:export`, each
partner's acknowledgements its own."""

from __future__ import annotations

import io
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from lxml import etree

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import orders_service_pb2_grpc as ords_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_exchange.adapters.commerceml import read
from fieldline_exchange.adapters.commerceml.writer import NAMESPACE
from fieldline_exchange.domain.export import JournalEntry
from fieldline_exchange.domain.records import Document
from fieldline_exchange.entrypoints import export_consumer
from fieldline_exchange.service_layer import export
from fieldline_kit.external_ids import PRICE_TYPE, PRODUCT, orders_catalog_id
from fieldline_kit.grpc.convert import money, pb_date
from fieldline_kit.testing.helpers import eventually, eventually_value, new_id
from tests.company import TODAY, product, through_the_feed

from . import cml
from .exchange_harness import Exchange, basic, bearer

XSD = Path(__file__).resolve().parents[5] / ".." / "shared" / "commerceml" / "xsd"
SCHEMA_2_10 = XSD / "commerceml-2.10.xsd"
Documents = dict[str, Document]


@dataclass
class Company:
    """A client with an outlet on an agent's route, two priced products."""

    system: Exchange
    agent_orders: ords_grpc.OrdersServiceStub
    client_id: str
    outlet_id: str
    products: list[opb.Product]
    product_ids: list[str]

    async def order(self, *quantities: int) -> str:
        """An order of `quantities` of the products (in order), placed by the agent: its id."""
        request = ords.SubmitOrderRequest(
            request_id=new_id(),
            order_id=new_id(),
            client_id=self.client_id,
            outlet_id=self.outlet_id,
            order_date=pb_date(TODAY),
            delivery_date=pb_date(TODAY + timedelta(days=1)),
            lines=[
                ords.OrderLineInput(product_id=p, unit="pcs", quantity=str(q))
                for p, q in zip(self.product_ids, quantities, strict=False)
            ],
            comment="позвонить заранее",
        )
        reply = await through_the_feed(lambda: self.agent_orders.SubmitOrder(request))
        assert reply.order.status == opb.ORDER_STATUS_SUBMITTED, reply.order
        return request.order_id

    async def set_status(self, order_id: str, status: opb.OrderStatus.ValueType) -> None:
        assert self.system.services is not None
        await self.system.services.api.orders.UpdateOrderStatus(
            ords.UpdateOrderStatusRequest(request_id=new_id(), order_id=order_id, status=status)
        )


@pytest_asyncio.fixture(scope="module")
async def company(system: Exchange) -> Company:
    assert system.services is not None
    api = system.services.api
    agent = await api.employee(cpb.ROLE_AGENT, "Агентов Агент")
    client_id, outlet = await api.client_with_outlet(4100 + uuid.uuid4().int % 1000)
    await api.assign(await api.route_of(agent), outlet.id)
    products = [product("KVAS", "Квас 0,5 л"), product("MORS", "Морс 1 л")]
    product_ids, price_type_id = await api.priced_catalog((products[0], 55), (products[1], 120))
    await api.known_to_orders(client_id, price_type_id)
    agent_orders = ords_grpc.OrdersServiceStub(system.services.orders.channel_as(agent))
    return Company(system, agent_orders, client_id, outlet.id, products, product_ids)


# ------------------------------------------------------------------ helpers
def documents(reply: httpx.Response) -> Documents:
    """The documents of an export's answer, by Ид (and the answer checked against the
    published schema, under its namespace: see tests/unit/test_commerceml_writer.py)."""
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/xml")
    if SCHEMA_2_10.is_file():
        xsd = etree.XMLSchema(etree.parse(str(SCHEMA_2_10)))
        ours = reply.content.replace(NAMESPACE.encode(), b"urn:1C.ru:commerceml_2")
        assert xsd.validate(etree.fromstring(ours)), [(e.line, e.message) for e in xsd.error_log]
    found = [i for i in read(io.BytesIO(reply.content)) if isinstance(i, Document)]
    assert len({d.id for d in found}) == len(found)
    return {d.id: d for d in found}


def elements(reply: httpx.Response) -> dict[str, dict[str, str]]:
    """Every document of an export's answer, by Ид: its operation and its requisites (what
    an ERP other than 1C reads of a payment or an outlet; the exchange's own reader takes
    orders, invoices and payments only)."""
    ns = {"c": NAMESPACE}
    out = {}
    for el in etree.fromstring(reply.content).iterfind("c:Документ", ns):
        fields = {
            r.findtext("c:Наименование", namespaces=ns): r.findtext("c:Значение", namespaces=ns)
            for r in el.iterfind("c:ЗначенияРеквизитов/c:ЗначениеРеквизита", ns)
        }
        fields["ХозОперация"] = el.findtext("c:ХозОперация", namespaces=ns)
        fields["Сумма"] = el.findtext("c:Сумма", namespaces=ns)
        fields["Контрагент"] = el.findtext("c:Контрагенты/c:Контрагент/c:Ид", namespaces=ns)
        out[el.findtext("c:Ид", namespaces=ns)] = fields
    return out


async def onec(
    system: Exchange, mode: str, cookie: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """One call of the protocol as 1C makes it (`type=sale`, the session's cookie)."""
    system.http.cookies.clear()
    sent = {**(headers or {}), **({"Cookie": f"flx_session={cookie}"} if cookie else {})}
    return await system.http.get(
        "/1c/exchange", params={"type": "sale", "mode": mode}, headers=sent
    )


Query = Callable[[], Awaitable[httpx.Response]]


async def until(query: Query, ok: Callable[[Documents], bool], what: str) -> Documents:
    """`query()` again until its documents are `ok` (each call an exchange of its own)."""

    async def probe() -> Documents:
        return documents(await query())

    found = await eventually_value(probe, ok, within=30)
    assert ok(found), f"{what}: {sorted(found)}"
    return found


def status(document: Document) -> str:
    return dict(document.requisites)["Статус заказа"]


# ------------------------------------------------------------------ the 1C protocol
async def test_1c_gets_each_order_until_it_acknowledges_it(
    system: Exchange, company: Company
) -> None:
    login = f"erp-{uuid.uuid4().hex[:8]}"
    _, password = await system.partner("1C:УТ", login)
    opened = await onec(system, "checkauth", "", headers=basic(login, password))
    assert opened.text.startswith("success\nflx_session\n"), opened.text
    cookie = opened.text.split("\n")[2]
    order_id = await company.order(3, 2)

    def query() -> Awaitable[httpx.Response]:
        return onec(system, "query", cookie)

    sent = await until(query, lambda d: order_id in d, "the order exported")
    document = sent[order_id]
    assert (document.operation, document.role, document.currency) == ("order", "seller", "RUB")
    assert document.date == TODAY and int(document.number) >= 1
    assert document.amount == Decimal("405.00")  # 3 × 55 + 2 × 120, VAT included
    assert document.counterparty_ids == (company.client_id,)  # a client without external id
    assert [(x.product_id, x.name, x.quantity, x.amount) for x in document.lines] == [
        (company.products[0].external_id, "Квас 0,5 л", Decimal(3), Decimal("165.00")),
        (company.products[1].external_id, "Морс 1 л", Decimal(2), Decimal("240.00")),
    ]
    assert status(document) == "Принят"
    assert dict(document.requisites)["Статус Fieldline"] == "submitted"

    # Acknowledged: not sent again.
    acknowledged = await onec(system, "success", cookie)
    assert (acknowledged.status_code, acknowledged.text) == (200, "success")
    assert documents(await onec(system, "query", cookie)) == {}

    # A status change sends it again, as it is now.
    await company.set_status(order_id, opb.ORDER_STATUS_CONFIRMED)
    sent = await until(
        query,
        lambda d: order_id in d and status(d[order_id]) == "Подтвержден",
        "the confirmed order exported",
    )
    assert sent[order_id].number == document.number  # the same document for the ERP
    # A query without success sends the same again (1C retries), plus what is newer.
    newer = await company.order(1)
    again = await until(query, lambda d: newer in d, "the new order exported")
    assert order_id in again and status(again[order_id]) == "Подтвержден"
    assert again[order_id] == sent[order_id]
    assert (await onec(system, "success", cookie)).text == "success"
    assert documents(await onec(system, "query", cookie)) == {}
    # success with nothing sent since: still success (1C may send it twice).
    assert (await onec(system, "success", cookie)).text == "success"


# ------------------------------------------------------------------ amendments, cancellations
async def test_an_amended_order_goes_again_and_the_erp_confirms_only_its_revision(
    system: Exchange, company: Company
) -> None:
    """An amended order is exported again with its new revision (`Ревизия Fieldline`), a
    cancelled one as its status; the ERP's status document naming the revision it saw moves
    the order only when that is the order's revision (an older one: a report line)."""
    partner_id, _ = await system.partner("ERP revisions", f"erp-{uuid.uuid4().hex[:8]}")
    key = await system.key(partner_id, "orders:export", "documents:import", "jobs:read")
    headers = bearer(key)

    def query() -> Awaitable[httpx.Response]:
        return system.http.get("/v1/export/documents", headers=headers)

    async def acknowledge() -> None:
        got = await query()
        acked = await system.http.post(
            "/v1/export/ack",
            json={"exchange": int(got.headers["Fieldline-Exchange"])},
            headers=headers,
        )
        assert acked.status_code == 200, acked.text

    def said(document: Document) -> dict[str, str]:
        return dict(document.requisites)

    amended_id, cancelled_id = await company.order(2), await company.order(1)
    sent = await until(
        query, lambda d: {amended_id, cancelled_id} <= d.keys(), "the orders exported"
    )
    assert said(sent[amended_id])["Ревизия Fieldline"] == "1"
    await acknowledge()

    reply = await company.agent_orders.AmendOrder(
        ords.AmendOrderRequest(
            request_id=new_id(),
            order_id=amended_id,
            amendment_id=new_id(),
            expected_revision=1,
            lines=[
                ords.OrderLineInput(product_id=company.product_ids[0], unit="pcs", quantity="4")
            ],
            delivery_date=pb_date(TODAY + timedelta(days=2)),
        )
    )
    assert (reply.order.revision, reply.order.status) == (2, opb.ORDER_STATUS_SUBMITTED)
    await company.agent_orders.CancelOrder(
        ords.CancelOrderRequest(
            request_id=new_id(),
            order_id=cancelled_id,
            expected_revision=1,
            reason="клиент передумал",
        )
    )
    again = await until(
        query,
        lambda d: (
            {amended_id, cancelled_id} <= d.keys()
            and said(d[amended_id])["Ревизия Fieldline"] == "2"
            and said(d[cancelled_id])["Статус Fieldline"] == "cancelled"
        ),
        "the amended and the cancelled order exported again",
    )
    amended = again[amended_id]
    assert amended.number == sent[amended_id].number  # the same document for the ERP
    assert amended.amount == Decimal("220.00")  # 4 × 55: the new revision's lines
    assert [(x.quantity, x.amount) for x in amended.lines] == [(Decimal(4), Decimal("220.00"))]
    assert said(amended)["Дата доставки"] == (TODAY + timedelta(days=2)).isoformat()
    cancelled = said(again[cancelled_id])
    assert (cancelled["Статус заказа"], cancelled["Отменен"]) == ("Отменен", "true")
    await acknowledge()

    async def erp_says(revision: str) -> list[tuple[str, str]]:
        """The ERP's document for the amended order: posted, of `revision` ("": none named)."""
        requisites = [("Проведен", "true")]
        if revision:
            requisites.append(("Ревизия Fieldline", revision))
        content = cml.documents(
            [
                (
                    amended_id,
                    amended.number,
                    "Заказ товара",
                    TODAY.isoformat(),
                    "220.00",
                    (company.client_id, "Клиент", "", ""),
                    requisites,
                )
            ]
        )
        sent = await system.http.post(
            "/v1/imports",
            params={"filename": f"orders-{revision}.xml"},
            content=content,
            headers=headers,
        )
        assert sent.status_code == 202, sent.text
        import_id = sent.json()["imports"][0]["importId"]
        state: dict[str, Any] = {}

        async def finished() -> bool:
            state.update(
                (await system.http.get(f"/v1/imports/{import_id}", headers=headers)).json()
            )
            return state["state"] in ("done", "refused", "failed")

        await eventually(finished, within=60, what="the ERP's document imported")
        assert state["state"] == "done", state
        report = await system.http.get(f"/v1/imports/{import_id}/report", headers=headers)
        return [(x["externalId"], x["reason"]) for x in report.json()["lines"]]

    async def now() -> opb.Order:
        assert system.services is not None
        got = await system.services.api.orders.GetOrder(ords.GetOrderRequest(order_id=amended_id))
        return got.order

    # The ERP confirms revision 1, which it was sent first: refused, the order as it was.
    assert await erp_says("1") == [(amended_id, "old-revision")]
    assert (await now()).status == opb.ORDER_STATUS_SUBMITTED
    # Revision 2, the order's: confirmed.
    assert await erp_says("2") == []
    assert (await now()).status == opb.ORDER_STATUS_CONFIRMED


# ------------------------------------------------------------------ the plain API
async def test_the_api_exports_and_acknowledges_per_partner(
    system: Exchange, company: Company
) -> None:
    partners = {}
    for name in ("first", "second"):
        partner_id, _ = await system.partner(f"ERP {name}", f"erp-{uuid.uuid4().hex[:8]}")
        partners[name] = bearer(await system.key(partner_id, "orders:export"))
    first, second = partners["first"], partners["second"]
    order_id = await company.order(5)

    def export_of(headers: dict[str, str]) -> Query:
        return lambda: system.http.get("/v1/export/orders", headers=headers)

    await until(export_of(first), lambda d: order_id in d, "the order exported to the first")
    # The second acknowledges what it got: the first still gets the order.
    got = await system.http.get("/v1/export/orders", headers=second)
    assert order_id in documents(got)
    exchange = int(got.headers["Fieldline-Exchange"])
    assert int(got.headers["Fieldline-Documents"]) == len(elements(got))
    acked = await system.http.post("/v1/export/ack", json={"exchange": exchange}, headers=second)
    assert acked.status_code == 200, acked.text
    assert acked.json()["exchange"] == exchange and acked.json()["documents"] >= 1
    assert acked.json()["acknowledgedAt"]
    nothing = await system.http.get("/v1/export/orders", headers=second)
    assert documents(nothing) == {} and "Fieldline-Exchange" not in nothing.headers
    assert nothing.headers["Fieldline-Documents"] == "0"
    got = await system.http.get("/v1/export/orders", headers=first)
    assert order_id in documents(got)
    # Acknowledging again answers the same; an exchange the partner never had is not found.
    exchange = int(got.headers["Fieldline-Exchange"])
    for _ in range(2):
        acked = await system.http.post("/v1/export/ack", json={"exchange": exchange}, headers=first)
        assert acked.status_code == 200, acked.text
    assert documents(await system.http.get("/v1/export/orders", headers=first)) == {}
    unknown = await system.http.post(
        "/v1/export/ack", json={"exchange": exchange + 100}, headers=first
    )
    assert unknown.status_code == 404, unknown.text

    # Credentials without the scope, and none at all.
    reader = await system.key(
        (await system.partner("ERP reader", f"erp-{uuid.uuid4().hex[:8]}"))[0], "jobs:read"
    )
    refused = await system.http.get("/v1/export/orders", headers=bearer(reader))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    refused = await system.http.post("/v1/export/ack", json={"exchange": 1}, headers=bearer(reader))
    assert refused.status_code == 403
    assert (await system.http.get("/v1/export/orders")).status_code == 401


# ------------------------------------------------------------------ payments, outlets
async def test_cash_collected_and_outlets_go_to_the_erp_until_acknowledged(
    system: Exchange, company: Company
) -> None:
    assert system.services is not None
    api = system.services.api
    partner_id, _ = await system.partner("ERP", f"erp-{uuid.uuid4().hex[:8]}")
    headers = bearer(await system.key(partner_id, "orders:export"))
    collector = await api.employee(cpb.ROLE_AGENT, "Инкассов Агент")

    async def pay(kind: spb.PaymentKind.ValueType, receipt: str = "") -> str:
        payment = spb.Payment(
            id=new_id(),
            kind=kind,
            client_id=company.client_id,
            outlet_id=company.outlet_id,
            date=pb_date(TODAY),
            amount=money(Decimal("150.00"), "RUB"),
            receipt_number=receipt,
            collected_by=collector.subject if receipt else "",
        )
        await api.settlements.RecordPayment(
            ss.RecordPaymentRequest(request_id=new_id(), payment=payment)
        )
        return payment.id

    cash = await pay(spb.PAYMENT_KIND_CASH, "Ч-0042")
    bank = await pay(spb.PAYMENT_KIND_BANK)

    async def query() -> dict[str, dict[str, str]]:
        got = await system.http.get("/v1/export/documents", headers=headers)
        documents(got)  # valid under the published schema
        return elements(got)

    sent = await eventually_value(query, lambda d: cash in d and company.outlet_id in d)
    assert cash in sent and bank not in sent  # the ERP's own payments are not sent back
    payment = sent[cash]
    assert payment["ХозОперация"] == "Выплата наличных денег"
    assert (payment["Сумма"], payment["Номер чека"]) == ("150.00", "Ч-0042")
    assert payment["Сотрудник"] == collector.subject
    assert payment["Торговая точка"] == company.outlet_id
    assert payment["Контрагент"] == company.client_id
    outlet = sent[company.outlet_id]
    assert (outlet["ХозОперация"], outlet["Вид документа"]) == ("Прочие", "Торговая точка")
    assert outlet["Статус"] == "Действует" and outlet["Контрагент"] == company.client_id
    exchange = (await system.http.get("/v1/export/documents", headers=headers)).headers[
        "Fieldline-Exchange"
    ]
    acked = await system.http.post(
        "/v1/export/ack", json={"exchange": int(exchange)}, headers=headers
    )
    assert acked.status_code == 200, acked.text
    assert await query() == {}

    # The outlet's card changes: sent again, as it is now.
    seen = await api.clients.GetOutlet(ccs.GetOutletRequest(outlet_id=company.outlet_id))
    await api.clients.UpdateOutletCard(
        ccs.UpdateOutletCardRequest(
            request_id=new_id(),
            outlet_id=company.outlet_id,
            expected_version=seen.outlet.version,
            card=cpb.OutletCard(name="Магазин у дома", address="ул. Новая, 1"),
            update_mask={"paths": ["name", "address"]},
        )
    )
    again = await eventually_value(query, lambda d: company.outlet_id in d)
    assert again[company.outlet_id]["Наименование"] == "Магазин у дома"
    assert again[company.outlet_id]["Адрес доставки"] == "ул. Новая, 1"

    # The ERP sends the cash payment back as its own document: recorded already, so reported
    # and not sent to settlements a second time (which would refuse it as other data).
    importer = bearer(await system.key(partner_id, "documents:import", "jobs:read"))
    party = (company.client_id, "Клиент", "", "")
    content = cml.documents(
        [(cash, "ПКО-1", "Выплата наличных денег", TODAY.isoformat(), "150.00", party, [])]
    )
    sent_file = await system.http.post(
        "/v1/imports", params={"filename": "back.xml"}, content=content, headers=importer
    )
    assert sent_file.status_code == 202, sent_file.text
    [job] = sent_file.json()["imports"]

    async def state() -> dict[str, Any]:
        found = await system.http.get(f"/v1/imports/{job['importId']}", headers=importer)
        return dict(found.json())

    done = await eventually_value(state, lambda j: j["state"] in ("done", "refused", "failed"))
    assert done["state"] == "done", done
    report = await system.http.get(f"/v1/imports/{job['importId']}/report", headers=importer)
    assert [(x["externalId"], x["reason"]) for x in report.json()["lines"]] == [
        (cash, "fieldline-payment")
    ]


# ------------------------------------------------------------------ the journal
async def test_the_journal_takes_each_version_once_and_never_an_older_one(
    system: Exchange,
) -> None:
    """What the consumer does with a redelivered or a late event (the inbox aside)."""
    app = system.service.app
    order_id = new_id()
    moment = app.clock()

    async def record(version: int) -> bool:
        async with app.uow() as uow:
            changed = await export.record(
                uow, JournalEntry("order", order_id, version, moment), moment
            )
            await uow.commit()
        return changed

    assert [await record(v) for v in (2, 2, 1, 3, 2)] == [True, False, False, True, False]


async def test_a_held_order_goes_to_the_erp_only_once_the_erp_had_it(system: Exchange) -> None:
    """An amendment into CREDIT_HOLD, and a held order's cancellation, raise the row of an
    order exported before; of one held since its submission they make none."""
    app = system.service.app
    moment = app.clock()

    def amended_into_hold(order_id: str, version: int) -> JournalEntry:
        order = opb.Order(
            id=order_id, version=version, revision=2, status=opb.ORDER_STATUS_CREDIT_HOLD
        )
        envelope = EventEnvelope(aggregate_id=order_id, aggregate_version=version)
        envelope.occurred_at.FromDatetime(moment)
        return export_consumer.amended(
            app, envelope, oev.OrderAmended(order=order, previous_revision=1)
        )

    def held_cancelled(order_id: str, version: int) -> JournalEntry | None:
        order = opb.Order(id=order_id, version=version, status=opb.ORDER_STATUS_CANCELLED)
        envelope = EventEnvelope(aggregate_id=order_id, aggregate_version=version)
        envelope.occurred_at.FromDatetime(moment)
        return export_consumer.status_changed(
            app,
            envelope,
            oev.OrderStatusChanged(order=order, previous_status=opb.ORDER_STATUS_CREDIT_HOLD),
        )

    async def record(entry: JournalEntry | None) -> bool:
        assert entry is not None
        async with app.uow() as uow:
            changed = await export.record(uow, entry, moment)
            await uow.commit()
        return changed

    never_sent, sent = new_id(), new_id()
    assert not await record(amended_into_hold(never_sent, 2))
    assert not await record(held_cancelled(never_sent, 3))
    assert await record(JournalEntry("order", sent, 1, moment))  # submitted: exported
    assert await record(amended_into_hold(sent, 2))
    assert await record(held_cancelled(sent, 3))
    assert not await record(held_cancelled(sent, 3))  # a redelivery


# ------------------------------------------------------------------ the whole 1C sequence
async def test_a_1c_exchange_catalog_offers_an_order_out_and_its_status_back(
    system: Exchange,
) -> None:
    """The sequence a stock 1C configuration runs: the catalog and offers in (the orders API
    shows them), an order placed on those prices goes out in `mode=query` and is acknowledged
    with `mode=success`, and the ERP's document for it moves the order to SHIPPED."""
    assert system.services is not None
    api = system.services.api
    login = f"1c-{uuid.uuid4().hex[:8]}"
    _, password = await system.partner("1C:УТ 11", login)
    checked = await system.http.get(
        "/1c/exchange",
        params={"type": "catalog", "mode": "checkauth"},
        headers=basic(login, password),
    )
    cookie = checked.text.split("\n")[2]

    async def call(kind: str, mode: str, **params: str) -> httpx.Response:
        system.http.cookies.clear()
        return await system.http.get(
            "/1c/exchange",
            params={"type": kind, "mode": mode, **params},
            headers={"Cookie": f"flx_session={cookie}"},
        )

    async def send(kind: str, name: str, content: bytes) -> None:
        system.http.cookies.clear()
        sent = await system.http.post(
            "/1c/exchange",
            params={"type": kind, "mode": "file", "filename": name},
            content=content,
            headers={"Cookie": f"flx_session={cookie}"},
        )
        assert sent.text == "success", sent.text

        async def imported() -> bool:
            reply = await call(kind, "import", filename=name)
            assert reply.text.split("\n")[0] in ("progress", "success"), reply.text
            return reply.text == "success"

        await eventually(imported, within=60, what=f"{name} imported")

    tag = uuid.uuid4().hex[:6]
    group, products, price_type = f"g-{tag}", [f"p-{tag}-{i}" for i in range(2)], f"pt-{tag}"
    await send(
        "catalog",
        "import.xml",
        cml.catalog(
            [(group, "Напитки", [])], [(p, f"Квас {i}", group) for i, p in enumerate(products)]
        ),
    )
    await send(
        "catalog",
        "offers.xml",
        cml.offers(
            [(price_type, "Опт")], [], [(p, p, [(price_type, "48.00")], []) for p in products]
        ),
    )
    ids = [orders_catalog_id(PRODUCT, p) for p in products]
    listed = await api.catalog.GetProduct(cs.GetProductRequest(product_id=ids[0]))
    assert listed.product.name == "Квас 0"

    # An agent's order on the imported prices.
    agent = await api.employee(cpb.ROLE_AGENT, "Агент Импортов")
    client_id, outlet = await api.client_with_outlet(5100 + uuid.uuid4().int % 1000)
    await api.assign(await api.route_of(agent), outlet.id)
    await api.known_to_orders(client_id, orders_catalog_id(PRICE_TYPE, price_type))
    agent_orders = ords_grpc.OrdersServiceStub(system.services.orders.channel_as(agent))
    request = ords.SubmitOrderRequest(
        request_id=new_id(),
        order_id=new_id(),
        client_id=client_id,
        outlet_id=outlet.id,
        order_date=pb_date(TODAY),
        delivery_date=pb_date(TODAY + timedelta(days=1)),
        lines=[ords.OrderLineInput(product_id=ids[0], quantity="3")],
    )
    placed = await through_the_feed(lambda: agent_orders.SubmitOrder(request))
    assert placed.order.status == opb.ORDER_STATUS_SUBMITTED, placed.order
    order_id = request.order_id

    # Out: query until the order is there, then success.
    found = await until(
        lambda: onec(system, "query", cookie), lambda docs: order_id in docs, "the order exported"
    )
    assert found[order_id].amount == Decimal("144.00")
    assert (await onec(system, "success", cookie)).text == "success"

    # Back: the ERP's document for the order says it was shipped.
    status = cml.documents(
        [
            (
                order_id,
                found[order_id].number,
                "Заказ товара",
                TODAY.isoformat(),
                "144.00",
                (client_id, "Клиент", "7707083893", "770701001"),
                [("Проведен", "true"), ("Отгружен", "true")],
            )
        ]
    )
    await send("sale", "orders.xml", status)
    reply = await api.orders.GetOrder(ords.GetOrderRequest(order_id=order_id))
    assert reply.order.status == opb.ORDER_STATUS_SHIPPED
