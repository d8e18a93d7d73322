"""Two replicas of every service, behind round-robin channels: what must hold when a service
scales out (docs/operations/scaling.md).

- Calls spread over both replicas, orders' calls to settlements included.
- The visit plan cached by one clients replica follows a change made through the other.
- A retry (same request_id, same body) answered by the other replica, or both at once, is the
  same answer: one record, one event.
- Van sales of a van's last units raced through both orders replicas sell exactly the stock.
- A catalog change made through one orders replica prices the other's next order.
- A promotion budget consumed by orders raced through both orders replicas is never
  overspent, and cancellations give back exactly what they held.
- The relays and consumers of both replicas share the work: every event once on its stream,
  applied once downstream, nothing lost, also with one orders replica killed mid-flow.

Runs in `./fl test`'s PostgreSQL pass; skipped without PostgreSQL.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import grpc
import nats
import pytest
import pytest_asyncio
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_dev.runner import LOCAL_ADMIN
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually, new_id

from ..company import (
    CALL_TIMEOUT,
    TODAY,
    TRANSIENT,
    Api,
    client_request,
    dec,
    not_through_the_feed_yet,
    outlet_request,
    price_list_request,
    product,
    rub,
)
from ..faults.invariants import matches, quiet, rows, scalar, stream_envelopes, topology
from .conftest import SERVICES, Replicated

pytestmark = pytest.mark.e2e

# How long a change made through one clients replica may take to reach the visit plan the
# other one has cached: the writer's relay pass (woken by the commit), the publish, the
# reader's stream follower (a fetch returns as events arrive). Measured 0.01–0.3 s.
PLAN_STALE_BOUND = 3.0
QUIET_TIMEOUT = 60.0
HITS = "fieldline_clients_plan_cache_lookups_total"
CONSUMED = "fieldline_consumer_processed_total"
PUBLISHED = "fieldline_outbox_published_total"  # PubAcks, a duplicate's included
OUTBOX_ROWS = "SELECT count(*) FROM outbox"


T = TypeVar("T")


async def answered(
    call: Callable[[], Awaitable[T]], *, within: float = 30.0, retries: list[str] | None = None
) -> T:
    """`call()` (one request, sent again unchanged) until it is answered, as devices retry: a
    transient failure (a replica going away, a write racing another, an outlet or its route
    not through the clients feed yet) is retried for at most `within` seconds (each noted in
    `retries`), any other raised."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    pause = 0.1
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as exc:
            transient = exc.code() in TRANSIENT or not_through_the_feed_yet(exc)
            if not transient or loop.time() > deadline:
                raise
            if retries is not None:
                retries.append(exc.code().name)
        await asyncio.sleep(pause)
        pause = min(pause * 2, 1.0)


@dataclass
class World:
    """What the tests sell with: a product and its price type, a van seller working an outlet,
    an agent working another (both outlets known to orders and settlements)."""

    admin: Api  # round robin over every replica
    product_id: str
    price_type_id: str
    seller: Caller
    seller_client: str
    seller_outlet: str
    agent: Caller
    agent_client: str
    agent_outlet: str


def api(replicated: Replicated, caller: Caller = LOCAL_ADMIN) -> Api:
    """Every service round robin over its replicas, as `caller`."""
    return Api({name: replicated.channel(name, caller) for name in SERVICES})


def replica_api(replicated: Replicated, index: int, caller: Caller = LOCAL_ADMIN) -> Api:
    """Every service through its replica number `index + 1` only, as `caller`."""
    return Api(
        {name: replicated.channel_to(replicated.replicas(name)[index], caller) for name in SERVICES}
    )


@pytest_asyncio.fixture(scope="module")
async def world(replicated: Replicated) -> World:
    admin = api(replicated)
    (product_id,), price_type_id = await admin.priced_catalog((product("KVAS", "Квас 0,5 л"), 100))
    seller = await admin.employee(cpb.ROLE_VAN_SELLER, "Продавцов Продавец")
    agent = await admin.employee(cpb.ROLE_AGENT, "Агентов Агент")
    people = {}
    for n, who in enumerate((seller, agent)):
        client_id, outlet = await admin.client_with_outlet(900 + n)
        await admin.assign(await admin.route_of(who), outlet.id)
        await admin.known_to_orders(client_id, price_type_id)
        people[who] = (client_id, outlet.id)
    return World(admin, product_id, price_type_id, seller, *people[seller], agent, *people[agent])


def sale(w: World, van_id: str, pieces: int = 1) -> van.CompleteVanSaleRequest:
    return van.CompleteVanSaleRequest(
        request_id=new_id(),
        sale_id=new_id(),
        van_id=van_id,
        client_id=w.seller_client,
        outlet_id=w.seller_outlet,
        date=pb_date(TODAY),
        lines=[ords.OrderLineInput(product_id=w.product_id, unit="pcs", quantity=str(pieces))],
    )


def order(w: World) -> ords.SubmitOrderRequest:
    return ords.SubmitOrderRequest(
        request_id=new_id(),
        order_id=new_id(),
        client_id=w.agent_client,
        outlet_id=w.agent_outlet,
        order_date=pb_date(TODAY),
        delivery_date=pb_date(TODAY + timedelta(days=1)),
        lines=[ords.OrderLineInput(product_id=w.product_id, unit="pcs", quantity="3")],
    )


def minus(after: list[float], before: list[float]) -> list[float]:
    """Per replica: how much a count grew."""
    return [a - b for a, b in zip(after, before, strict=True)]


async def ids(engine: AsyncEngine, sql: str) -> Counter[str]:
    return Counter(str(r[0]) for r in await rows(engine, sql))


async def read_streams(
    replicated: Replicated, streams: set[str]
) -> dict[str, list[tuple[str, EventEnvelope]]]:
    """(subject, envelope) of every message on each of `streams`, in order."""
    assert replicated.local.nats is not None
    nc = await nats.connect(replicated.local.nats.url)
    try:
        return {name: await stream_envelopes(nc.jetstream(), name) for name in streams}
    finally:
        await nc.close()


async def wait_quiet(replicated: Replicated) -> None:
    assert replicated.local.nats is not None
    nc = await nats.connect(replicated.local.nats.url)
    try:
        await quiet(replicated.engines, nc.jetstream(), QUIET_TIMEOUT)
    finally:
        await nc.close()


# ------------------------------------------------------------------------------------------
async def test_calls_spread_over_both_replicas_of_each_service(replicated: Replicated) -> None:
    admin = api(replicated)
    calls = {
        "clients": ("ListEmployees", lambda: admin.territory.ListEmployees(
            cts.ListEmployeesRequest(page_size=1), timeout=CALL_TIMEOUT)),
        "orders": ("ListVans", lambda: admin.vans.ListVans(
            van.ListVansRequest(page_size=1), timeout=CALL_TIMEOUT)),
        "settlements": ("GetDebtPolicy", lambda: admin.settlements.GetDebtPolicy(
            ss.GetDebtPolicyRequest(), timeout=CALL_TIMEOUT)),
    }  # fmt: skip
    n = 20
    for service, (method, call) in calls.items():
        before = await replicated.handled(service, method)
        for _ in range(n):
            await call()
        after = await replicated.handled(service, method)
        landed = minus(after, before)
        assert sum(landed) == n, (service, landed)
        # Round robin takes the replicas in turn once both are connected.
        assert min(landed) >= n // 4, f"{service}: {landed} calls per replica"


async def test_a_plan_cached_by_one_replica_follows_a_change_made_through_the_other(
    replicated: Replicated, world: World
) -> None:
    a = replicated.replicas("clients")[0]
    via_a, via_b = replica_api(replicated, 0), replica_api(replicated, 1)

    async def following() -> bool:
        flag = "fieldline_follower_following"
        return await replicated.metric(a, flag, follower="clients-plan-cache") == 1

    await eventually(following, within=15, what="replica A's plan cache following")
    agent = await world.admin.employee(cpb.ROLE_AGENT, "Планов Агент")
    route_id = await world.admin.route_of(agent)
    _, first = await world.admin.client_with_outlet(300)
    _, second = await world.admin.client_with_outlet(301)
    await world.admin.assign(route_id, first.id)

    async def plan() -> cts.GetVisitPlanResponse:
        return await via_a.territory.GetVisitPlan(
            cts.GetVisitPlanRequest(agent_id=agent.subject, date=pb_date(TODAY)),
            timeout=CALL_TIMEOUT,
        )

    async def cached_on_a() -> cts.GetVisitPlanResponse:
        """The plan as replica A serves it from its cache. (A read stores it unless an event
        touching it arrived meanwhile, e.g. one of the set-up's own: then the next read.)"""
        deadline = time.monotonic() + 10
        while True:
            hits = await replicated.metric(a, HITS, result="hit")
            body = await plan()
            if await replicated.metric(a, HITS, result="hit") > hits:
                return body
            assert time.monotonic() < deadline, "replica A does not cache the plan"
            await asyncio.sleep(0.05)

    async def on_a_within(changed: Any, what: str) -> float:
        started = time.monotonic()
        while not changed(await plan()):
            elapsed = time.monotonic() - started
            assert elapsed < PLAN_STALE_BOUND, f"A still serves the plan without {what}"
            await asyncio.sleep(0.02)
        return time.monotonic() - started

    before = await cached_on_a()
    assert [v.outlet.card.name for v in before.visits] == ["Магазин 300"]

    # The outlet's card changed through B: A's cached plan is dropped (OutletChanged).
    renamed = cpb.OutletCard()
    renamed.CopyFrom(first.card)
    renamed.name = "Магазин 300 (переименован)"
    await via_b.clients.UpdateOutletCard(
        ccs.UpdateOutletCardRequest(
            request_id=new_id(), outlet_id=first.id, expected_version=first.version, card=renamed
        ),
        timeout=CALL_TIMEOUT,
    )
    card_seconds = await on_a_within(
        lambda p: [v.outlet.card.name for v in p.visits] == [renamed.name], "the new name"
    )

    # The route changed through B: A's cached plan is dropped (RouteAssignmentChanged).
    await cached_on_a()
    await via_b.assign(route_id, second.id)
    route_seconds = await on_a_within(
        lambda p: {v.outlet.id for v in p.visits} == {first.id, second.id}, "the new outlet"
    )
    print(
        f"\nA's plan followed B's card change in {card_seconds:.2f}s, route in {route_seconds:.2f}s"
    )


@dataclass
class Retried:
    """A write sent to both replicas: what it is, where it lands, how to send it."""

    service: str
    table: str  # where its record is
    stream: str
    event: str  # the event it publishes, once
    record: str  # its id: the aggregate id of the event, the id of its row
    on_a: Any
    on_b: Any
    request: Message


async def test_a_retry_answered_by_the_other_replica_is_the_same_answer(
    replicated: Replicated, world: World
) -> None:
    """Each write sent to replica A and then, unchanged (request_id and body), to B; another
    sent to both at once: the same answer, one record, one event, in each service."""
    a_admin, b_admin = replica_api(replicated, 0), replica_api(replicated, 1)
    a_agent, b_agent = (replica_api(replicated, i, world.agent) for i in range(2))
    a_seller, b_seller = (replica_api(replicated, i, world.seller) for i in range(2))
    van_id = await world.admin.loaded_van(world.seller, world.product_id, 10)
    # The agent's and the seller's outlets have reached orders (the clients feed) and
    # settlements before the races: an order and a sale of one piece, retried until then.
    await answered(lambda: a_agent.orders.SubmitOrder(order(world), timeout=CALL_TIMEOUT))
    await answered(lambda: a_seller.vans.CompleteVanSale(sale(world, van_id), timeout=CALL_TIMEOUT))

    def writes() -> list[Retried]:
        c, o, v = client_request(400), order(world), sale(world, van_id, pieces=2)
        i = ss.RecordInvoiceRequest(
            request_id=new_id(),
            invoice=spb.Invoice(
                id=new_id(),
                number=f"ERP-{new_id()[:8]}",
                client_id=world.agent_client,
                source=spb.INVOICE_SOURCE_ERP,
                issue_date=pb_date(TODAY),
                due_date=pb_date(TODAY + timedelta(days=14)),
                amount=rub(500),
            ),
        )
        return [
            Retried("clients", "clients", "CLIENTS", "ClientCreated", c.client.id,
                    a_admin.clients.CreateClient, b_admin.clients.CreateClient, c),
            Retried("orders", "orders", "ORDERS", "OrderSubmitted", o.order_id,
                    a_agent.orders.SubmitOrder, b_agent.orders.SubmitOrder, o),
            Retried("orders", "orders", "ORDERS", "VanSaleCompleted", v.sale_id,
                    a_seller.vans.CompleteVanSale, b_seller.vans.CompleteVanSale, v),
            Retried("settlements", "invoices", "SETTLEMENTS", "InvoiceIssued", i.invoice.id,
                    a_admin.settlements.RecordInvoice, b_admin.settlements.RecordInvoice, i),
        ]  # fmt: skip

    done: list[Retried] = []
    for w in writes():  # A, then B
        first = await w.on_a(w.request, timeout=CALL_TIMEOUT)
        assert await w.on_b(w.request, timeout=CALL_TIMEOUT) == first, w.event
        done.append(w)
    for w in writes():  # both at once
        answers = await asyncio.gather(
            answered(lambda w=w: w.on_a(w.request, timeout=CALL_TIMEOUT)),
            answered(lambda w=w: w.on_b(w.request, timeout=CALL_TIMEOUT)),
        )
        assert answers[0] == answers[1], w.event
        done.append(w)

    await wait_quiet(replicated)  # every outbox published: any second copy is on its stream
    streams = await read_streams(replicated, {w.stream for w in done})
    for w in done:
        rows_of = await ids(replicated.engines[w.service], f"SELECT id FROM {w.table}")
        assert rows_of[w.record] == 1, w.event
        copies = [
            e.payload.TypeName().rsplit(".", 1)[-1]
            for _, e in streams[w.stream]
            if e.aggregate_id == w.record
        ]
        assert copies.count(w.event) == 1, (w.event, copies)
    # The stock went once per sale: 10 loaded, 1 + 2 + 2 sold.
    left = await world.admin.vans.GetVanStock(van.GetVanStockRequest(van_id=van_id))
    assert [(ln.product_id, ln.quantity) for ln in left.lines] == [(world.product_id, "5")]


async def test_van_sales_of_the_last_units_raced_through_both_replicas_sell_exactly_the_stock(
    replicated: Replicated, world: World
) -> None:
    stock, sales = 8, 24
    van_id = await world.admin.loaded_van(world.seller, world.product_id, stock + 1)
    # One sale first, retried until the seller's outlet has reached orders and settlements.
    seller_api = api(replicated, world.seller)
    first = await answered(
        lambda: seller_api.vans.CompleteVanSale(sale(world, van_id), timeout=CALL_TIMEOUT)
    )
    sold = {first.order.id}
    replicas = [replica_api(replicated, i, world.seller) for i in range(2)]
    before = await replicated.handled("orders", "CompleteVanSale")

    async def sell(n: int) -> str | grpc.aio.AioRpcError:
        request = sale(world, van_id)
        try:
            reply = await answered(
                lambda: replicas[n % 2].vans.CompleteVanSale(request, timeout=CALL_TIMEOUT)
            )
        except grpc.aio.AioRpcError as exc:
            return exc
        return str(reply.order.id)

    outcomes = await asyncio.gather(*(sell(n) for n in range(sales)))
    sold |= {o for o in outcomes if isinstance(o, str)}
    refused = [o for o in outcomes if not isinstance(o, str)]
    after = await replicated.handled("orders", "CompleteVanSale")
    assert all(x - y >= sales // 2 for x, y in zip(after, before, strict=True)), (before, after)

    assert len(sold) == stock + 1, f"{len(sold)} sold of {stock + 1}"
    assert len(refused) == sales - stock
    for exc in refused:
        assert exc.code() == grpc.StatusCode.FAILED_PRECONDITION, exc
        assert "not enough stock" in (exc.details() or ""), exc.details()
    left = await world.admin.vans.GetVanStock(van.GetVanStockRequest(van_id=van_id))
    assert [(ln.product_id, ln.quantity) for ln in left.lines] in ([], [(world.product_id, "0")])
    orders_db = replicated.engines["orders"]
    stock_rows = await rows(orders_db, f"SELECT quantity FROM van_stock WHERE van_id = '{van_id}'")
    movements = await scalar(
        orders_db, f"SELECT SUM(quantity) FROM van_movements WHERE van_id = '{van_id}'"
    )
    assert [r[0] for r in stock_rows] == [0] and movements == 0
    taken = await ids(
        orders_db,
        f"SELECT document_id FROM van_movements WHERE van_id = '{van_id}' AND kind = 'sale'",
    )
    assert set(taken) == sold and set(taken.values()) == {1}  # one movement per sale
    stored = await ids(orders_db, "SELECT id FROM orders WHERE kind = 'van_sale'")
    assert all(stored[s] == 1 for s in sold)


async def test_a_catalog_change_through_one_orders_replica_prices_the_next_order_on_the_other(
    replicated: Replicated, world: World
) -> None:
    """Each orders replica keeps the catalog in memory; a price list changed through B is used
    by A's next order (the cache is checked against the catalog's generation on every use)."""
    a_agent = replica_api(replicated, 0, world.agent)
    b_admin = replica_api(replicated, 1)

    async def gross() -> Decimal:
        reply = await answered(
            lambda: a_agent.orders.SubmitOrder(order(world), timeout=CALL_TIMEOUT)
        )
        return dec(reply.order.gross_total)

    assert await gross() == 300  # 3 pieces at 100 ₽: the catalog is now in A's memory
    assert await gross() == 300
    await b_admin.catalog.UpsertPriceLists(
        # Newer than the first list: it wins.
        price_list_request(world.price_type_id, [(world.product_id, 150)], valid_from=TODAY),
        timeout=CALL_TIMEOUT,
    )
    assert await gross() == 450


async def test_a_promotion_budget_consumed_by_orders_raced_through_both_replicas_is_never_overspent(
    replicated: Replicated, world: World
) -> None:
    """1+1 on kvas with 50 free units; 200 orders of one bottle at once through both orders
    replicas, then 100 of them cancelled and 100 more sent: at every moment consumed ≤ 50 and
    consumed = Σ entries, exactly the orders holding an entry show the free bottle, and what
    is consumed at the end is the live orders' free bottles."""
    admin = world.admin
    client_id, outlet = await admin.client_with_outlet(977)
    await admin.assign(await admin.route_of(world.agent), outlet.id)
    await admin.known_to_orders(client_id, world.price_type_id)
    promotions = ps_grpc.PromotionsServiceStub(replicated.channel("orders"))
    made = await promotions.UpsertPromotions(
        ps.UpsertPromotionsRequest(
            request_id=new_id(),
            promotions=[
                opb.Promotion(
                    external_id=f"KVAS-1+1-{new_id()[:8]}",
                    name="Квас 1+1",
                    valid_from=pb_date(TODAY - timedelta(days=1)),
                    valid_to=pb_date(TODAY + timedelta(days=30)),
                    currency_code="RUB",
                    targeting=opb.PromotionTargeting(client_ids=[client_id]),
                    product_ids=[world.product_id],
                    free_goods=opb.FreeGoods(
                        buy_quantity="1", free_product_id=world.product_id, free_quantity="1"
                    ),
                    combinability=opb.PROMOTION_COMBINABILITY_EXCLUSIVE,
                    budget=opb.PromotionBudget(kind=opb.PROMOTION_BUDGET_KIND_UNITS, total="50"),
                )
            ],
        ),
        timeout=CALL_TIMEOUT,
    )
    [result] = made.results
    assert result.error == "", result.error
    pid = result.id
    orders_db = replicated.engines["orders"]
    replicas = [replica_api(replicated, i, world.agent) for i in range(2)]

    def bottle() -> ords.SubmitOrderRequest:
        return ords.SubmitOrderRequest(
            request_id=new_id(),
            order_id=new_id(),
            client_id=client_id,
            outlet_id=outlet.id,
            order_date=pb_date(TODAY),
            lines=[ords.OrderLineInput(product_id=world.product_id, unit="pcs", quantity="1")],
        )

    async def submitted(n: int) -> opb.Order:
        request = bottle()
        reply = await answered(
            lambda: replicas[n % 2].orders.SubmitOrder(request, timeout=CALL_TIMEOUT), within=60
        )
        return reply.order

    def free(o: opb.Order) -> bool:
        return any(line.free_of_charge for line in o.lines)

    budget_sql = f"SELECT consumed FROM promotion_budgets WHERE promotion_id = '{pid}'"
    sums_sql = (
        f"SELECT COALESCE(SUM(delta), 0) FROM promotion_budget_entries WHERE promotion_id = '{pid}'"
    )
    seen: list[Decimal] = []
    running = True

    async def watch() -> None:  # consumed, read over and over while orders race
        while running:
            seen.append(Decimal(await scalar(orders_db, budget_sql)))
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    try:
        opening = await submitted(0)  # waits until the outlet has reached orders
        first = [opening, *await asyncio.gather(*(submitted(n) for n in range(1, 200)))]
    finally:
        running = False
        await watcher
    assert seen and max(seen) <= 50, max(seen)
    assert sum(free(o) for o in first) == 50
    assert Decimal(await scalar(orders_db, budget_sql)) == 50
    assert Decimal(await scalar(orders_db, sums_sql)) == 50
    free_sql = f"SELECT order_id FROM order_lines WHERE free_of_charge AND promotion_id = '{pid}'"
    holders = await ids(
        orders_db,
        f"SELECT order_id FROM promotion_budget_entries WHERE promotion_id = '{pid}' "
        "AND kind = 'CONSUMED'",
    )
    assert set(holders) == set(await ids(orders_db, free_sql)) == {o.id for o in first if free(o)}
    # Half of them cancelled (through either replica), then 100 more sent.
    cancelled = first[:100]

    async def cancel(n: int, o: opb.Order) -> None:
        request = ords.CancelOrderRequest(
            request_id=new_id(), order_id=o.id, expected_revision=1, reason="отказ"
        )
        await answered(lambda: replicas[n % 2].orders.CancelOrder(request, timeout=CALL_TIMEOUT))

    await asyncio.gather(*(cancel(n, o) for n, o in enumerate(cancelled)))
    freed = sum(free(o) for o in cancelled)
    assert Decimal(await scalar(orders_db, budget_sql)) == 50 - freed
    more = await asyncio.gather(*(submitted(n) for n in range(100)))
    assert sum(free(o) for o in more) == freed
    live_free = set(await ids(orders_db, free_sql)) - {o.id for o in cancelled}
    final = Decimal(await scalar(orders_db, budget_sql))
    assert final == Decimal(await scalar(orders_db, sums_sql)) == len(live_free) == 50


@dataclass
class Applied:
    """A durable consumer's work so far: events taken by each replica of its service (from
    their metrics: applied, or skipped as of a type it has no handler for; each writes an inbox
    row, a duplicate does not), and its inbox rows."""

    per_replica: list[float]
    inbox: int

    def since(self, before: Applied) -> Applied:
        return Applied(
            minus(self.per_replica, before.per_replica),
            self.inbox - before.inbox,
        )


async def settled(replicated: Replicated, service: str, consumer: str) -> Applied:
    """`applied` once it holds still: the metrics and the inbox are read one after the other,
    and an event taken between the two reads (or between its commit and its metric) would
    count in one and not the other — so read until two reads 0.3 s apart agree."""
    last = await applied(replicated, service, consumer)
    for _ in range(50):
        await asyncio.sleep(0.3)
        now = await applied(replicated, service, consumer)
        if now == last:
            return now
        last = now
    return last


async def applied(replicated: Replicated, service: str, consumer: str) -> Applied:
    return Applied(
        [
            await replicated.metric(r, CONSUMED, consumer=consumer, outcome="applied")
            + await replicated.metric(r, CONSUMED, consumer=consumer, outcome="skipped")
            for r in replicated.replicas(service)
        ],
        await scalar(
            replicated.engines[service],
            f"SELECT count(*) FROM inbox WHERE consumer = '{consumer}'",
        ),
    )


async def published_by(replicated: Replicated, service: str) -> list[float]:
    """Events each replica's outbox relay has published."""
    return [await replicated.metric(r, PUBLISHED) for r in replicated.replicas(service)]


async def test_relays_and_consumers_share_the_work_even_with_a_replica_killed_mid_flow(
    replicated: Replicated, world: World
) -> None:
    feeds = {"orders": "orders-clients-feed", "settlements": "settlements-clients-feed"}
    # 1. Clients written through both replicas: both relays publish, and the events reach
    #    orders' and settlements' consumers (both replicas of each fetching from one durable),
    #    each event applied once.
    await wait_quiet(replicated)
    feeds_before = {s: await applied(replicated, s, c) for s, c in feeds.items()}
    relays_before = await published_by(replicated, "clients")
    outbox_before = await scalar(replicated.engines["clients"], OUTBOX_ROWS)

    async def customer(n: int) -> None:
        client = client_request(n)
        await answered(lambda: world.admin.clients.CreateClient(client, timeout=CALL_TIMEOUT))
        outlet = outlet_request(client.client.id, f"Точка {n}")
        await answered(lambda: world.admin.clients.CreateOutlet(outlet, timeout=CALL_TIMEOUT))

    await asyncio.gather(*(customer(500 + n) for n in range(16)))
    await wait_quiet(replicated)
    relays = minus(await published_by(replicated, "clients"), relays_before)
    written = await scalar(replicated.engines["clients"], OUTBOX_ROWS) - outbox_before
    # Both relays published, and no row twice (a second copy JetStream drops still counts).
    assert min(relays) > 0 and sum(relays) == written >= 32, (relays, written)
    shares = {}
    for service, consumer in feeds.items():
        shares[consumer] = (await applied(replicated, service, consumer)).since(
            feeds_before[service]
        )
        # Taken once: as many events taken, over both replicas, as new inbox rows.
        assert sum(shares[consumer].per_replica) == shares[consumer].inbox >= 16, shares

    # 2. Van sales and pre-sale orders through both orders replicas (orders calling both
    #    settlements replicas), orders replica 1 SIGKILLed a third of the way through. A call
    #    it was serving fails; the device sends the same request again and the other answers,
    #    and the other's relay publishes what is left in the outbox.
    van_id = await world.admin.loaded_van(world.seller, world.product_id, 1000)
    seller_api, agent_api = api(replicated, world.seller), api(replicated, world.agent)
    await answered(  # the seller's outlet is known downstream
        lambda: seller_api.vans.CompleteVanSale(sale(world, van_id), timeout=CALL_TIMEOUT)
    )
    checks_before = {
        m: await replicated.handled("settlements", m) for m in ("CheckCredit", "CheckCreditBatch")
    }
    sales_before = await settled(replicated, "settlements", "settlements-orders")
    doomed, survivor = replicated.replicas("orders")
    survivor_published = await replicated.metric(survivor, PUBLISHED)
    writes, workers = 60, 6
    acked: dict[str, set[str]] = {"van sale": set(), "order": set()}
    retries: list[str] = []
    a_third_done = asyncio.Event()

    async def work(w: int) -> None:
        for i in range(w, writes, workers):
            if i % 2:
                request: Any = sale(world, van_id, pieces=1 + i % 3)
                reply = await answered(
                    lambda r=request: seller_api.vans.CompleteVanSale(r, timeout=CALL_TIMEOUT),
                    retries=retries,
                )
                acked["van sale"].add(reply.order.id)
            else:
                request = order(world)
                reply = await answered(
                    lambda r=request: agent_api.orders.SubmitOrder(r, timeout=CALL_TIMEOUT),
                    retries=retries,
                )
                acked["order"].add(reply.order.id)
            if sum(map(len, acked.values())) >= writes // 3:
                a_third_done.set()

    async def kill() -> int:
        await a_third_done.wait()
        await asyncio.to_thread(replicated.local.stop_service, doomed.name, signal.SIGKILL, 5)
        return sum(map(len, acked.values()))

    done_at_kill, *_ = await asyncio.gather(kill(), *(work(w) for w in range(workers)))
    assert doomed.process is not None and doomed.process.returncode == -signal.SIGKILL
    assert done_at_kill < writes, "the flow ended before the kill"
    await wait_quiet(replicated)

    # Every write acknowledged, stored once, none lost.
    stored = await ids(replicated.engines["orders"], "SELECT id FROM orders")
    for kind, wanted in acked.items():
        assert len(wanted) == writes // 2, kind
        assert all(stored[i] == 1 for i in wanted), f"{kind}: {wanted - set(stored)} lost"

    # Every event of every outbox on its stream exactly once; every event a durable consumer
    # subscribes to in its inbox (applied once: the inbox's key is the event id).
    streamed = await read_streams(
        replicated, {stream.name for name in SERVICES for stream in topology(name).streams}
    )
    for service in SERVICES:
        engine = replicated.engines[service]
        for stream in topology(service).streams:
            copies = Counter(e.event_id for _, e in streamed[stream.name])
            twice = [i for i, n in copies.items() if n > 1]
            outbox = set(await ids(engine, "SELECT event_id FROM outbox"))
            assert not twice, f"{stream.name}: {len(twice)} events published twice"
            assert outbox <= set(copies), f"{stream.name}: {len(outbox - set(copies))} lost"
        for consumer in topology(service).consumers:
            wanted = {
                e.event_id
                for s, e in streamed[consumer.stream]
                if any(matches(s, p) for p in consumer.filter_subjects)
            }
            inbox = await ids(
                engine, f"SELECT event_id FROM inbox WHERE consumer = '{consumer.durable}'"
            )
            assert wanted <= set(inbox), f"{consumer.durable}: events never applied"

    # Each van sale became exactly one invoice in settlements, applied once over its replicas.
    invoices = await ids(replicated.engines["settlements"], "SELECT order_id FROM invoices")
    assert all(invoices[s] == 1 for s in acked["van sale"]), "a van sale invoiced twice or never"
    shares["settlements-orders"] = (
        await settled(replicated, "settlements", "settlements-orders")
    ).since(sales_before)
    sales = shares["settlements-orders"]
    assert sum(sales.per_replica) == sales.inbox >= writes // 2, sales

    # The work was shared: orders' calls to settlements reached both replicas, and the
    # surviving orders replica's relay published after the kill.
    checks = {}
    for method, before in checks_before.items():
        after = await replicated.handled("settlements", method)
        checks[method] = minus(after, before)
        assert min(checks[method]) > 0, (method, checks[method])
    assert await replicated.metric(survivor, PUBLISHED) > survivor_published
    print(
        f"\nkilled {doomed.name} after {done_at_kill} of {writes} writes; retries "
        f"{dict(Counter(retries))}; clients relays published {relays}; per replica, "
        f"settlements answered {checks}; applied "
        + ", ".join(f"{c} {a.per_replica}" for c, a in shares.items())
    )
