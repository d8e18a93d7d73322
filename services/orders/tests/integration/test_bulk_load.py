"""`python -m fieldline_orders bulk-load`: clients events, catalog requests and a history of
orders written as public messages, loaded in bulk into an empty database, then served by the
service as if the feed consumer and the API had written them."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from google.protobuf import any_pb2
from google.protobuf.message import Message
from sqlalchemy import Table, func, select

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import catalog_service_pb2_grpc as cs_grpc
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import orders_service_pb2_grpc as os_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.bulk import BulkLoadError, read_messages, write_messages
from fieldline_kit.grpc.convert import money, pb_date, ts
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_orders.adapters import orm, orm_feed, schema
from fieldline_orders.bootstrap import App
from fieldline_orders.domain.catalog import PriceType
from fieldline_orders.entrypoints.bulk_load import STEPS, bulk_load
from fieldline_orders.entrypoints.feed_consumer import MESSAGE_TYPES, handlers
from fieldline_orders.service_layer import catalog

from .feed_harness import NOW, create_app, feed_env, outlet_pb

DAY = date(2024, 5, 13)  # a Monday
FEED = (
    orm_feed.feed_clients,
    orm_feed.feed_outlets,
    orm_feed.feed_territories,
    orm_feed.feed_assignments,
    orm_feed.feed_outlet_audits,
    orm_feed.feed_shelf_counts,
)
NO_NATS = "nats://127.0.0.1:9"


def rub(amount: Decimal | str) -> Any:
    return money(Decimal(amount), "RUB")


def event(message: Message, version: int, occurred: datetime = NOW) -> EventEnvelope:
    payload = any_pb2.Any()
    payload.Pack(message)
    return EventEnvelope(
        event_id=new_id(), occurred_at=ts(occurred), aggregate_version=version, payload=payload
    )


def outlet(
    outlet_id: str, client_id: str, version: int, status: int, territory_id: str = ""
) -> EventEnvelope:
    o = outlet_pb(outlet_id, client_id, version, status, f"channel-{version}", territory_id)
    message = ev.OutletCreated(outlet=o) if version == 1 else ev.OutletChanged(outlet=o)
    return event(message, version)


def territory(territory_id: str, parent_id: str = "") -> EventEnvelope:
    t = res.Territory(id=territory_id, name="Территория", parent_id=parent_id)
    return event(ev.TerritoryChanged(territory=t), 1)


def assignment(
    route_id: str, outlet_id: str, agent_id: str, version: int, *, removed: bool = False
) -> EventEnvelope:
    a = res.RouteAssignment(
        route_id=route_id,
        outlet_id=outlet_id,
        frequency=res.VISIT_FREQUENCY_WEEKLY,
        weekdays=[1, 4],
        start_date=pb_date(date(2024, 1, 1)),
        sequence=version,
    )
    message = ev.RouteAssignmentChanged(assignment=a, agent_id=agent_id, removed=removed)
    return event(message, version)


def audit(outlet_id: str, submitted: datetime, *checks: tuple[str, bool, str]) -> EventEnvelope:
    a = res.Audit(
        id=new_id(),
        outlet_id=outlet_id,
        submit_time=ts(submitted),
        must_stock=[
            res.MustStockCheck(sku=sku, present=present, facings=int(present), shelf_quantity=q)
            for sku, present, q in checks
        ],
    )
    return event(ev.AuditSubmitted(audit=a), 1)


def product(product_id: str, sku: str) -> pb.Product:
    return pb.Product(
        id=product_id,
        external_id=f"erp-{sku}",
        sku=sku,
        name=f"Товар {sku}",
        vat_rate="20",
        base_unit="pcs",
        units=[pb.ProductUnit(code="pcs", name="шт", ratio="1")],
        active=True,
    )


def delivered(
    client_id: str, outlet_id: str, agent_id: str, product_id: str, day: date, quantity: int
) -> pb.Order:
    """A delivered order as GetOrder shows it (every figure set)."""
    gross = Decimal("10.00") * quantity
    vat = (gross * 20 / 120).quantize(Decimal("0.01"))
    q = str(quantity)
    return pb.Order(
        id=new_id(),
        kind=pb.ORDER_KIND_PRE_SALE,
        status=pb.ORDER_STATUS_DELIVERED,
        client_id=client_id,
        outlet_id=outlet_id,
        agent_id=agent_id,
        order_date=pb_date(day),
        delivery_date=pb_date(day + timedelta(days=1)),
        lines=[
            pb.OrderLine(
                product_id=product_id,
                unit="pcs",
                quantity=q,
                base_quantity=q,
                unit_price=rub("10.00"),
                price_source="erp",
                rule_discount_percent="0",
                manual_discount_percent="0",
                net_amount=rub(gross - vat),
                vat_rate="20",
                vat_amount=rub(vat),
                gross_amount=rub(gross),
                delivered_base_quantity=q,
                container_quantity="0",
            )
        ],
        currency_code="RUB",
        net_total=rub(gross - vat),
        vat_total=rub(vat),
        gross_total=rub(gross),
        credit=pb.CreditDecision(outcome=pb.CREDIT_OUTCOME_ALLOW),
        version=1,
        create_time=ts(NOW),
        update_time=ts(NOW),
    )


class Company:
    """An agent's route of two outlets of one client (the second closed and taken off the
    route, its events out of order), audits arriving in either order, a catalog of two
    products, the client's price type, and four weeks of delivered orders of the first outlet."""

    def __init__(self, price_type_id: str) -> None:
        self.client, self.agent, self.route = new_id(), new_id(), new_id()
        self.region, self.city = new_id(), new_id()
        self.outlets = [new_id(), new_id()]
        self.products = [new_id(), new_id()]
        self.price_type = price_type_id
        first = self.outlets[0]
        self.orders = [
            delivered(self.client, first, self.agent, self.products[0], DAY - timedelta(weeks=w), 6)
            for w in range(1, 5)
        ]

    def events(self) -> list[EventEnvelope]:
        first, second = self.outlets
        client = res.Client(id=self.client, name="ООО «Ромашка»", type=res.CLIENT_TYPE_RETAIL)
        skipped = ev.QuestionnaireChanged(questionnaire=res.Questionnaire(id=new_id(), name="Q"))
        return [
            event(skipped, 1),  # no handler: skipped, as the consumer skips it
            event(ev.ClientCreated(client=client), 1),
            event(ev.ClientChanged(client=client), 3),
            event(ev.ClientCreated(client=client), 1),  # older: ignored
            territory(self.city, self.region),  # before its parent
            territory(self.region),
            territory(self.city, new_id()),  # again at its one version: ignored
            outlet(first, self.client, 1, res.OUTLET_STATUS_ACTIVE, self.city),
            outlet(second, self.client, 1, res.OUTLET_STATUS_ACTIVE),
            audit(second, NOW - timedelta(days=5), ("SKU-3", False, "")),  # replaced below
            assignment(self.route, first, self.agent, 1),
            assignment(self.route, second, self.agent, 2),
            outlet(second, self.client, 3, res.OUTLET_STATUS_CLOSED, self.region),
            outlet(second, self.client, 2, res.OUTLET_STATUS_ACTIVE),  # older: ignored
            assignment(self.route, second, self.agent, 4, removed=True),
            assignment(self.route, second, self.agent, 3),  # older: ignored
            audit(first, NOW - timedelta(days=2), ("SKU-2", False, "")),
            audit(first, NOW - timedelta(days=9), ("SKU-1", True, "4")),  # older: ignored
            audit(second, NOW - timedelta(days=1), ("SKU-1", True, "2.5"), ("SKU-2", True, "")),
        ]

    def catalog(self) -> cs.UpsertProductsRequest:
        return cs.UpsertProductsRequest(
            request_id=new_id(),
            products=[product(pid, f"SKU-{n}") for n, pid in enumerate(self.products, start=1)],
        )

    def client_price_type(self) -> cs.SetClientPriceTypeRequest:
        return cs.SetClientPriceTypeRequest(
            request_id=new_id(), client_id=self.client, price_type_id=self.price_type
        )

    def messages(self) -> list[Message]:
        return [self.catalog(), *self.events(), self.client_price_type(), *self.orders]


async def _price_type(app: App) -> str:
    """A price type, as UpsertPriceTypes makes one (price types come over the API)."""
    pt = PriceType.create(
        "price_types[0]", id="", external_id="base", name="Base", currency="RUB", vat_included=True
    )
    async with app.uow() as uow:
        await catalog.upsert_price_types(uow, [(pt.external_id, pt.id, lambda: pt)])
        await uow.commit()
    return pt.id


async def _database(db_factory: DatabaseFactory) -> App:
    """An app (no process) on a new migrated database."""
    return await create_app(await db_factory.create(), NO_NATS)


async def rows(app: App, table: Table) -> list[tuple[Any, ...]]:
    async with app.sessions() as s:
        found = await s.execute(select(table).order_by(*table.primary_key.columns))
        return [tuple(r) for r in found]


# -------------------------------------------------------------------------------- tests
async def test_the_command_loads_a_company_the_service_then_serves(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    app = await _database(db_factory)
    url = app.settings.database_url
    company = Company(await _price_type(app))
    await app.close()
    piped = io.BytesIO()
    write_messages(piped, company.messages())

    # The file from stdin (`-`), as `… | python -m fieldline_orders bulk-load … -` reads it.
    command = ["bulk-load", "--database-url", url, "--migrate", "--chunk-size", "3", "-"]
    pipe = asyncio.subprocess.PIPE
    loader = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fieldline_orders", *command, stdin=pipe, stdout=pipe, stderr=pipe
    )
    stdout, stderr = await loader.communicate(piped.getvalue())
    assert loader.returncode == 0, stderr.decode()
    assert json.loads(stdout) == {
        "products": 2,
        "feed_clients": 1,
        "feed_outlets": 2,
        "feed_territories": 2,
        "feed_assignments": 2,
        "feed_outlet_audits": 2,
        "feed_shelf_counts": 3,
        "client_price_types": 1,
        "orders": 4,
        "order_lines": 4,
        "order_status_history": 4,
    }

    # No events (the products it upserted announce nothing), no stored answers: on purpose.
    # Counted before the service starts, whose consumer may already be applying the shared
    # server's clients events (inbox rows). The one event is the price type's, made before the
    # load as UpsertPriceTypes makes it.
    loaded = await create_app(url, NO_NATS)
    try:
        async with loaded.read_uow() as uow:
            subjects = (await uow.session.execute(select(schema.kit.outbox.c.subject))).scalars()
            assert list(subjects) == ["orders.events.v1.PriceTypesChanged"]
            for kit_table in (schema.kit.idempotency, schema.kit.inbox):
                assert await uow.session.scalar(select(func.count()).select_from(kit_table)) == 0
    finally:
        await loaded.close()

    async with feed_env(db_factory, nats_server.url, database_url=url) as env:
        running = env
        orders = running.stub(os_grpc.OrdersServiceStub)
        for given in company.orders:
            shown = await orders.GetOrder(os_.GetOrderRequest(order_id=given.id))
            assert shown.order.revision == 1  # an imported order's history has no amendments
            shown.order.ClearField("revision")
            # Taken in the field by its agent unless the file says otherwise.
            assert (shown.order.channel, shown.order.taken_by) == (
                pb.ORDER_CHANNEL_FIELD,
                given.agent_id,
            )
            shown.order.ClearField("channel")
            shown.order.ClearField("taken_by")
            assert shown.order == given
        plans = await orders.ListRecommendedOrders(
            os_.ListRecommendedOrdersRequest(agent_id=company.agent, date=pb_date(DAY))
        )
        [plan] = plans.recommendations  # the closed, removed outlet is not on the route
        assert plan.outlet_id == company.outlets[0]
        by_product = {line.product_id: line for line in plan.lines}
        assert by_product[company.products[0]].explanation.sold_quantity == "24"  # 4 × 6
        assert by_product[company.products[1]].reason == os_.RECOMMENDATION_REASON_MUST_STOCK
        catalog_api = running.stub(cs_grpc.CatalogServiceStub)
        found = await catalog_api.GetProduct(cs.GetProductRequest(product_id=company.products[1]))
        assert found.product.sku == "SKU-2"


async def test_the_feed_read_models_are_the_consumers(db_factory: DatabaseFactory) -> None:
    company = Company(new_id())
    events = company.events()
    consumed = await _database(db_factory)
    loaded = await _database(db_factory)
    try:
        apply = handlers(consumed)
        for envelope in events:  # one event per transaction, as the consumer applies them
            name = envelope.payload.TypeName()
            if name in apply:  # else skipped
                message = MESSAGE_TYPES[name]()
                envelope.payload.Unpack(message)
                async with consumed.sessions() as s, s.begin():
                    await apply[name](s, envelope, message)
        counts = await bulk_load(loaded.settings.database_url, events, chunk_size=2, analyze=False)
        assert counts["feed_outlets"] == 2 and counts["feed_shelf_counts"] == 3
        for table in FEED:
            assert await rows(loaded, table) == await rows(consumed, table), table.name
        outlets = {r[0]: r[2:] for r in await rows(loaded, orm_feed.feed_outlets)}
        # status, version, the card's channel, the territory
        assert outlets[company.outlets[0]] == ("ACTIVE", 1, "channel-1", company.city)
        assert outlets[company.outlets[1]] == ("CLOSED", 3, "channel-3", company.region)
        async with loaded.read_uow() as uow:
            parents = await uow.feed_reads.territory_parents()
            targeting = await uow.feed_reads.outlet_targeting(company.outlets[0])
        assert parents == {company.region: "", company.city: company.region}
        assert targeting == (company.outlets[0], company.client, "channel-1", company.city)
    finally:
        await consumed.close()
        await loaded.close()


async def test_the_catalog_and_price_types_are_the_rows_the_api_writes(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    app = await _database(db_factory)
    company = Company(await _price_type(app))
    requests: list[Message] = [
        company.catalog(),
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id="base-2024",
                    price_type_id=company.price_type,
                    valid_from=pb_date(date(2024, 1, 1)),
                    entries=[
                        pb.PriceListEntry(product_id=p, price=rub("10")) for p in company.products
                    ],
                )
            ],
        ),
        cs.UpsertDiscountsRequest(
            request_id=new_id(),
            discounts=[
                pb.Discount(
                    external_id="promo",
                    scope=pb.DISCOUNT_SCOPE_PRODUCT,
                    product_id=company.products[0],
                    percent="5",
                )
            ],
        ),
        company.client_price_type(),
    ]
    await bulk_load(app.settings.database_url, requests, analyze=False)
    async with feed_env(db_factory, nats_server.url) as env:
        catalog_api = env.stub(cs_grpc.CatalogServiceStub)
        base = pb.PriceType(external_id="base", name="Base", currency_code="RUB", vat_included=True)
        await catalog_api.UpsertPriceTypes(
            cs.UpsertPriceTypesRequest(request_id=new_id(), price_types=[base])
        )
        products, price_list, discount, price_type = requests
        await catalog_api.UpsertProducts(products)
        await catalog_api.UpsertPriceLists(price_list)
        await catalog_api.UpsertDiscounts(discount)
        await catalog_api.SetClientPriceType(price_type)
        for table in (
            orm.price_types,
            orm.products,
            orm.price_lists,
            orm.price_list_entries,
            orm.discounts,
            orm.client_price_types,
            orm.catalog_state,
        ):
            assert await rows(app, table) == await rows(env.app, table), table.name
    await app.close()


async def test_only_a_database_without_feed_rows_orders_or_price_types_is_loaded(
    db_factory: DatabaseFactory,
) -> None:
    app = await _database(db_factory)
    url = app.settings.database_url
    company = Company(await _price_type(app))
    await app.close()
    await bulk_load(url, company.messages(), analyze=False)
    held = r"this one has rows in feed_clients, feed_outlets, .*orders"
    with pytest.raises(BulkLoadError, match=held):
        await bulk_load(url, Company(company.price_type).events(), analyze=False)


async def test_refused_messages_stop_the_load_and_name_what_was_refused(
    db_factory: DatabaseFactory,
) -> None:
    app = await _database(db_factory)
    company = Company(await _price_type(app))
    await app.close()
    messages = company.messages()

    async def refused(messages: Sequence[Message], match: str) -> None:
        fresh = await _database(db_factory)
        await _price_type(fresh)
        await fresh.close()
        with pytest.raises(BulkLoadError, match=match):
            await bulk_load(fresh.settings.database_url, messages, chunk_size=2, analyze=False)

    # read as the feed consumer would: a poison event would be dead-lettered
    poison = assignment(company.route, company.outlets[0], company.agent, 5)
    poison_message = ev.RouteAssignmentChanged()
    poison.payload.Unpack(poison_message)
    poison_message.assignment.weekdays[:] = [9]
    poison.payload.Pack(poison_message)
    await refused([*messages[:3], poison], r"message 4 \(EventEnvelope\): event: .*weekdays")
    # an order for an outlet the feed does not know, named by its id when its chunk is written
    stranger = delivered(company.client, new_id(), company.agent, company.products[0], DAY, 1)
    await refused([*messages, stranger], rf"order {stranger.id}: outlet_id: outlet .* not found")
    # the domain's checks, by the message's place in the file
    first, product_id = company.outlets[0], company.products[0]
    wrong = delivered(company.client, first, company.agent, product_id, DAY, 2)
    wrong.lines[0].delivered_base_quantity = "1"
    await refused([wrong], r"message 1 \(Order\): lines\[0\]\.delivered_base_quantity")
    # a message of a type it does not take
    await refused([cs.UpsertPriceTypesRequest()], r"does not take .*\.UpsertPriceTypesRequest")
    data = io.BytesIO()
    write_messages(data, [cs.UpsertStockRequest()])
    data.seek(0)
    taken = {cls.DESCRIPTOR.full_name: cls for cls in STEPS}
    with pytest.raises(BulkLoadError, match=r"does not take fieldline\.orders\.v1\.UpsertStock"):
        list(read_messages(data, taken))
