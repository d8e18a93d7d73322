"""Pre-sale order submission benchmark: throughput and latency vs. an empty RPC.

    .venv/bin/python bench/orders_submit_bench.py [--postgres URL] [--quick] [--promotions 0-3]
        [--outlets 300000] [--outlets-per-agent 300] [--skus 3000] [--orders 2000] [--concurrency 16,32,64,128] [--rate 200]
        [--client-process] [--settlements-process] [--profile]

Creates fresh databases for orders and settlements (SQLite files in a temporary directory,
or throwaway PostgreSQL databases on the server of --postgres), migrates them, starts an
embedded NATS, the settlements service and the orders service in this process exactly as they
run (`SPEC.build`: outbox relays, consumers, the orders → settlements credit check over
gRPC), loads a catalog of --skus products with one price list through the public
CatalogService (every third product in a product group), and seeds orders' outlet read model
with --outlets outlets, 3 per client, every client on the price type: TerritoryChanged events
of a region and its city, OutletCreated events (what the clients feed would bring; every outlet
in the city and the channel "Retail") and SetClientPriceType requests, loaded by the orders
service's own bulk load (`fieldline_orders.entrypoints.bulk_load`, in this process).

Promotions (issue 15; docs/contexts/sales-gaps.md 7). `--promotions N` (0–3, default 0: none,
so the figures stay comparable with earlier ones) seeds the first N of three promotions
through the public PromotionsService, each valid around today, every outlet eligible for each,
each with a budget that never runs out:

* P1: 5 % off the product group (a third of the SKUs), STACKABLE, every order, a money budget;
* P2: 2+1 on a set of 50 random SKUs (for every 2 base units of the set, 1 of its dearest SKU
  free), EXCLUSIVE, targeting the outlets' channel, a budget of units; with P2 seeded, about
  half the orders get one or two lines of its set, the others none;
* P3: a gift (one unit of the cheapest SKU) once an order's gross reaches 10,000 RUB (nearly
  every order does), STACKABLE, targeting the parent of the outlets' territory, a money budget.

So every order goes through the promotions cache, the combination rule (P2 excludes whatever
shares a line with it: P3 always, P1 when a P2 line is in P1's group) and the budgets. The
SubmitOrder replies are decoded after the measured calls: the share of the orders that got
each promotion (`order.promotions` with status APPLIED, and any other judgement) is printed
at the end, and the run fails (exit code 1) if promotions were seeded and no order got any,
checked on the sample and warm-up orders before the runs already.

Then, over a real gRPC channel, each SubmitOrder carrying 10 lines (distinct random SKUs,
quantities in pieces and boxes) — price resolution, the credit check in settlements (reading
balance and reservations, writing the reservation) and the order + outbox write included:

1. for each --concurrency level (calls in flight; default 16, 32, 64): a closed loop of
   --orders orders → throughput, p50, p99, orders per batch; then the same closed loop against
   an "empty" RPC (same kit server and interceptor, a generic handler returning a
   pre-serialized SubmitOrderResponse of the same size) → throughput;
2. open loop at --rate orders/s for --seconds → p50, p99 (latency measured from the scheduled
   send time, so queueing counts).

Targets (issue): throughput ≥ 0.25× the empty RPC's; p99 < 50 ms at 200 orders/s. Throughput
is each RPC's capacity, the best of its levels: the empty RPC saturates at 16 in flight,
batched SubmitOrder needs more callers to fill its batches; the per-level ratios are printed.

Layout. By default the load generator shares the process (one event loop, one GIL, so in
effect one of the machine's 2 cores) with both services; that is the layout the targets are
stated for. It is not how the system runs (orders and settlements are separate deployments),
so two options move parts into processes of their own (`multiprocessing`, spawn):

* `--client-process`: the load generator (request building, client-side gRPC). Measured in
  the default layout it costs ~0.3 ms of the ~10 ms a SubmitOrder costs the process, so it
  does not distort SubmitOrder's figures much; but it is about half the cost of an empty RPC,
  whose throughput therefore rises once it is out (the ratio gets *harder*, not easier).
* `--settlements-process`: settlements in its own process, as deployed, so the credit check
  runs on the other core instead of taking turns with orders on one event loop.

Identity (issue 11): both services check tokens, as deployed (benchkit.BenchAuth). A test
issuer (keys made in memory) signs them; settlements also trusts orders' own service key
(CheckCreditBatch is for services). The outlets are spread over agents' routes
(`--outlets-per-agent`, as the clients feed's RouteAssignmentChanged events bring them), and
each SubmitOrder carries the token of the agent whose outlet it names (route scope checked),
as per-call metadata (no client interceptor); the empty RPC gets the same metadata (it
verifies nothing). The figures therefore include token verification: orders verifies the
agent's token, settlements orders' service token once per CheckCreditBatch and each distinct
agent's token the batch's checks carry (`actor_token`), so up to two verifications per order.
What one verification costs alone (p50) is printed first and beside each level.

`--profile` measures where the time goes instead of the three runs above (settlements must
be in-process): over --profile-orders orders (one at a time, or --profile-concurrency in
flight), the statements and transactions per SubmitOrder of each service (inside the RPCs vs.
in the background: outbox relays, consumers), the time of each phase (orders' batch read
transaction — stored responses and pricing —, the CheckCreditBatch round trip and
settlements' handler and transaction, orders' batch write transaction), CPU per order, then a
cProfile of the process by own time. With
--client-process the requests come from the child, so the cProfile holds the services only.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import contextvars
import cProfile
import io
import multiprocessing
import pstats
import random
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import benchkit
from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as clients
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import catalog_service_pb2_grpc as cs_grpc
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.grpc.convert import money, pb_date, ts
from fieldline_kit.logging import configure_logging
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.roles import AGENT
from fieldline_kit.testing.auth import ADMIN
from fieldline_orders.adapters import orm
from fieldline_orders.entrypoints.bulk_load import bulk_load
from fieldline_orders.entrypoints.main import MIGRATIONS as ORDERS_MIGRATIONS
from fieldline_orders.entrypoints.main import SPEC as ORDERS
from fieldline_orders.settings import OrdersSettings
from fieldline_settlements.entrypoints.main import MIGRATIONS as SETTLEMENTS_MIGRATIONS
from fieldline_settlements.entrypoints.main import SPEC as SETTLEMENTS
from fieldline_settlements.settings import SettlementsSettings

SUBMIT = "/fieldline.orders.v1.OrdersService/SubmitOrder"
EMPTY_NAME = "SubmitOrder"  # the empty RPC: /bench.Empty/SubmitOrder
LINES = 10
TZ = ZoneInfo("Europe/Moscow")


def new_id() -> str:
    return str(uuid.uuid4())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# --------------------------------------------------------------------------------- identity
ORDERS_ISSUER = "fieldline-orders"  # ORDERS_SERVICE_TOKEN_ISSUER's default
# Tokens verified per order in this process: orders the agent's token, settlements the same
# token again as actor_token (orders' service token once per batch is left out).
VERIFICATIONS_PER_ORDER = 2


# ---------------------------------------------------------------------------------- seeding
async def seed_catalog(
    channel: grpc.aio.Channel, skus: int, metadata: benchkit.Metadata
) -> tuple[list[str], str, str, dict[str, Decimal]]:
    """The catalog through the public CatalogService, as the caller of `metadata`: the product
    ids, the price type's id, the id of the product group holding every third SKU (P1's set;
    with or without promotions, so that only the promotions differ between runs) and each
    product's price."""
    cat = cs_grpc.CatalogServiceStub(channel)
    groups = await cat.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(),
            groups=[pb.ProductGroup(external_id="GROUP-PROMO", name="Акционная группа")],
        ),
        metadata=metadata,
    )
    [group] = groups.results
    assert not group.error, group.error
    group_id = group.id
    units = [
        pb.ProductUnit(code="pcs", name="шт", ratio="1"),
        pb.ProductUnit(code="box", name="коробка", ratio="12"),
    ]
    ids: list[str] = []
    for start in range(0, skus, 500):
        batch = [
            pb.Product(
                external_id=f"SKU-{i:05d}",
                sku=f"SKU-{i:05d}",
                name=f"Товар №{i}",
                vat_rate=random.choice(["10", "20"]),
                base_unit="pcs",
                units=units,
                pack_unit="box",
                active=True,
                group_id=group_id if i % 3 == 0 else "",
            )
            for i in range(start, min(skus, start + 500))
        ]
        reply = await cat.UpsertProducts(
            cs.UpsertProductsRequest(request_id=new_id(), products=batch),
            timeout=120,
            metadata=metadata,
        )
        ids += [r.id for r in reply.results]
    pt = await cat.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[
                pb.PriceType(
                    external_id="base", name="Базовая", currency_code="RUB", vat_included=True
                )
            ],
        ),
        metadata=metadata,
    )
    price_type_id = pt.results[0].id
    valid_from = datetime.now(TZ).date() - timedelta(days=30)
    prices = {pid: Decimal(random.randint(1000, 50000)) / 100 for pid in ids}
    await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id="base-2026",
                    price_type_id=price_type_id,
                    valid_from=pb_date(valid_from),
                    entries=[
                        pb.PriceListEntry(product_id=pid, price=money(price, "RUB"))
                        for pid, price in prices.items()
                    ],
                )
            ],
        ),
        timeout=300,
        metadata=metadata,
    )
    return ids, price_type_id, group_id, prices


# Every seeded outlet's channel and territory (P2 targets the channel, P3 the territory's parent).
CHANNEL = "Retail"
REGION = str(uuid.uuid5(uuid.NAMESPACE_URL, "fieldline-bench/territory/region"))
CITY = str(uuid.uuid5(uuid.NAMESPACE_URL, "fieldline-bench/territory/city"))


def outlet_created(client_id: str, outlet_id: str) -> EventEnvelope:
    """The clients context's OutletCreated of an active outlet, as its outbox relay publishes it:
    in the channel CHANNEL, in the territory CITY."""
    payload = any_pb2.Any()
    payload.Pack(
        ev.OutletCreated(
            outlet=clients.Outlet(
                id=outlet_id,
                client_id=client_id,
                card=clients.OutletCard(channel=CHANNEL),
                status=clients.OUTLET_STATUS_ACTIVE,
                territory_id=CITY,
                version=1,
            )
        )
    )
    return EventEnvelope(
        event_id=new_id(),
        occurred_at=ts(datetime.now(UTC)),
        aggregate_type="outlet",
        aggregate_id=outlet_id,
        aggregate_version=1,
        payload=payload,
    )


def territory_changed(territory_id: str, parent_id: str) -> EventEnvelope:
    """The clients context's TerritoryChanged (a territory of the tree)."""
    payload = any_pb2.Any()
    payload.Pack(
        ev.TerritoryChanged(
            territory=clients.Territory(id=territory_id, name=territory_id[:8], parent_id=parent_id)
        )
    )
    return EventEnvelope(
        event_id=new_id(),
        occurred_at=ts(datetime.now(UTC)),
        aggregate_type="territory",
        aggregate_id=territory_id,
        aggregate_version=1,
        payload=payload,
    )


def assigned(route_id: str, outlet_id: str, agent_id: str, sequence: int) -> EventEnvelope:
    """The clients context's RouteAssignmentChanged: the outlet on the agent's route."""
    payload = any_pb2.Any()
    payload.Pack(
        ev.RouteAssignmentChanged(
            assignment=clients.RouteAssignment(
                route_id=route_id,
                outlet_id=outlet_id,
                frequency=clients.VISIT_FREQUENCY_WEEKLY,
                weekdays=[1 + sequence % 5],
                start_date=pb_date(datetime.now(TZ).date()),
                sequence=sequence,
            ),
            agent_id=agent_id,
        )
    )
    return EventEnvelope(
        event_id=new_id(),
        occurred_at=ts(datetime.now(UTC)),
        aggregate_type="route",
        aggregate_id=route_id,
        aggregate_version=sequence + 1,
        payload=payload,
    )


async def seed_outlets(
    database_url: str, outlets: int, price_type_id: str, per_agent: int
) -> list[tuple[str, str, str]]:
    """Orders' read models as the clients feed fills them (TerritoryChanged of a region and its
    city; OutletCreated events, 3 outlets per client, each in the city and the channel CHANNEL;
    RouteAssignmentChanged, `per_agent` outlets on each agent's route) and every client on the
    price type (SetClientPriceType), loaded by the orders service's bulk load; the (client,
    outlet, agent) of each outlet."""
    customers: list[tuple[str, str, str]] = []
    client_ids: list[str] = []
    routes: list[tuple[str, str]] = []  # (route, agent)
    for i in range(outlets):
        if i % 3 == 0:
            client_ids.append(new_id())
        if i % per_agent == 0:
            routes.append((new_id(), new_id()))
        customers.append((client_ids[-1], new_id(), routes[-1][1]))

    def messages() -> Iterator[Message]:
        yield territory_changed(REGION, "")
        yield territory_changed(CITY, REGION)
        for client_id, outlet_id, _ in customers:
            yield outlet_created(client_id, outlet_id)
        for i, (_, outlet_id, _) in enumerate(customers):
            route_id, agent_id = routes[i // per_agent]
            yield assigned(route_id, outlet_id, agent_id, i % per_agent)
        for client_id in client_ids:
            yield cs.SetClientPriceTypeRequest(client_id=client_id, price_type_id=price_type_id)

    counts = await bulk_load(database_url, messages())
    assert (counts["feed_outlets"], counts["feed_assignments"], counts["client_price_types"]) == (
        outlets,
        outlets,
        len(client_ids),
    ), counts
    return customers


# ------------------------------------------------------------------------------- promotions
# P3's threshold: an order of 10 lines (prices 10–500 RUB, 1–5 pieces or boxes of 12) comes
# to ~50,000 RUB on average, and nearly every one to more than this.
GIFT_MIN_GROSS = "10000"
BUDGET = "1000000000"  # money or units: never runs out
P2_SKUS = 50


@dataclass(frozen=True)
class Promotions:
    """The promotions seeded (`--promotions N`: the first N of P1, P2, P3) and how the orders'
    lines are drawn for them."""

    labels: dict[str, str] = field(default_factory=dict)  # promotion id → "P1 …"
    # P2's set (empty without P2: the lines drawn from every SKU, as before --promotions),
    # and every other SKU; about half the orders get a line or two of the set.
    p2_set: tuple[str, ...] = ()
    others: tuple[str, ...] = ()


async def seed_promotions(
    channel: grpc.aio.Channel,
    n: int,
    product_ids: list[str],
    group_id: str,
    prices: dict[str, Decimal],
    metadata: benchkit.Metadata,
) -> Promotions:
    """The first `n` of P1–P3 through the public PromotionsService, as the caller of
    `metadata` (docs/contexts/sales-gaps.md 7):

    P1  5 % off the product group of every third SKU, STACKABLE, every order, a money budget;
    P2  2+1 (for every 2 base units of the set, 1 of its dearest SKU free) on 50 random SKUs
        (about a third in P1's group), EXCLUSIVE, the outlets' channel, a budget of units;
    P3  a gift (one unit of the cheapest SKU) once an order's gross reaches GIFT_MIN_GROSS,
        STACKABLE, the parent of the outlets' territory, a money budget.

    P2 conflicts with P3 on every order touching its set (a gift's set is every product), and
    with P1 when a line of its set is in P1's group: the combination rule picks the larger
    value. The dearest free SKU and the cheapest gift make that P2 where its free goods are
    due, whatever prices the catalog drew (with a random free SKU and gift, the share of P2
    swung from ~10 % to ~45 % of the orders with the draw).
    """
    if n == 0:
        return Promotions()
    # Drawn apart from the orders' random numbers; about a third of them in P1's group.
    p2_set = random.Random(P2_SKUS).sample(product_ids, min(P2_SKUS, len(product_ids) // 2))
    free = max(p2_set, key=lambda pid: (prices[pid], pid))
    gift = min(product_ids, key=lambda pid: (prices[pid], pid))
    today = datetime.now(TZ).date()
    common: dict[str, Any] = {
        "valid_from": pb_date(today - timedelta(days=30)),
        "valid_to": pb_date(today + timedelta(days=30)),
        "currency_code": "RUB",
    }
    money_budget = pb.PromotionBudget(kind=pb.PROMOTION_BUDGET_KIND_MONEY, total=BUDGET)
    records = [
        pb.Promotion(
            external_id="BENCH-P1",
            name="P1 −5 % на группу",
            group_ids=[group_id],
            percent_off=pb.PercentOff(percent="5"),
            combinability=pb.PROMOTION_COMBINABILITY_STACKABLE,
            budget=money_budget,
            **common,
        ),
        pb.Promotion(
            external_id="BENCH-P2",
            name="P2 2+1",
            product_ids=p2_set,
            free_goods=pb.FreeGoods(
                buy_quantity="2", free_product_id=free, free_quantity="1", repeat=True
            ),
            targeting=pb.PromotionTargeting(outlet_channels=[CHANNEL]),
            combinability=pb.PROMOTION_COMBINABILITY_EXCLUSIVE,
            budget=pb.PromotionBudget(kind=pb.PROMOTION_BUDGET_KIND_UNITS, total=BUDGET),
            **common,
        ),
        pb.Promotion(
            external_id="BENCH-P3",
            name="P3 подарок",
            gift=pb.Gift(min_gross=GIFT_MIN_GROSS, gift_product_id=gift, gift_quantity="1"),
            targeting=pb.PromotionTargeting(territory_ids=[REGION]),
            combinability=pb.PROMOTION_COMBINABILITY_STACKABLE,
            budget=money_budget,
            **common,
        ),
    ][:n]
    reply = await ps_grpc.PromotionsServiceStub(channel).UpsertPromotions(
        ps.UpsertPromotionsRequest(request_id=new_id(), promotions=records),
        timeout=60,
        metadata=metadata,
    )
    for r in reply.results:
        assert not r.error and r.outcome == cs.UPSERT_OUTCOME_CREATED, r
    groups = sum(1 for i in range(len(product_ids)) if i % 3 == 0)
    described = [
        f"P1 5 % off a group of {groups} SKUs, STACKABLE, every order, money budget",
        f"P2 2+1 on {len(p2_set)} SKUs (free: one at {prices[free]:.2f} RUB), EXCLUSIVE, channel "
        f"{CHANNEL!r}, units budget",
        f"P3 gift (one at {prices[gift]:.2f} RUB) over {GIFT_MIN_GROSS} RUB gross, STACKABLE, the "
        "outlets' parent territory, money budget",
    ]
    wanted = set(p2_set) if n >= 2 else set()
    return Promotions(
        labels={r.id: described[i] for i, r in enumerate(reply.results)},
        p2_set=tuple(p2_set) if wanted else (),
        others=tuple(pid for pid in product_ids if pid not in wanted) if wanted else (),
    )


Metadata = benchkit.Metadata


def order_lines(product_ids: list[str], promotions: Promotions) -> list[str]:
    """The products of an order's 10 lines (distinct): random SKUs; with P2, half the orders
    get one or two of its set and the others none."""
    if not promotions.p2_set:
        return random.sample(product_ids, LINES)
    if random.random() < 0.5:
        k = random.randint(1, 2)
        return random.sample(promotions.p2_set, k) + random.sample(promotions.others, LINES - k)
    return random.sample(promotions.others, LINES)


def order_request(
    product_ids: list[str],
    customers: list[tuple[str, str, str]],
    tokens: dict[str, Metadata],
    promotions: Promotions,
) -> tuple[os_.SubmitOrderRequest, Metadata]:
    """An order of 10 lines at a random outlet, and the token of the agent whose it is."""
    client_id, outlet_id, agent = random.choice(customers)
    today = datetime.now(TZ).date()
    request = os_.SubmitOrderRequest(
        request_id=new_id(),
        order_id=new_id(),
        client_id=client_id,
        outlet_id=outlet_id,
        order_date=pb_date(today),
        lines=[
            os_.OrderLineInput(
                product_id=pid,
                unit=random.choice(["pcs", "box"]),
                quantity=str(random.randint(1, 5)),
            )
            for pid in order_lines(product_ids, promotions)
        ],
    )
    return request, tokens[agent]


# -------------------------------------------------------------------------------- measuring
async def closed_loop(
    call: Callable[[], Awaitable[Any]], total: int, concurrency: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - t0), latencies


ERROR_CODES: collections.Counter[str] = collections.Counter()


async def open_loop(
    call: Callable[[], Awaitable[Any]], rate: float, seconds: float
) -> tuple[list[float], int]:
    """Send at a fixed rate; latency counts from the scheduled send time."""
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    n = int(rate * seconds)

    async def one(scheduled: float) -> None:
        nonlocal errors
        try:
            await call()
        except grpc.aio.AioRpcError as exc:
            errors += 1
            ERROR_CODES[exc.code().name] += 1
        latencies.append(time.perf_counter() - scheduled)

    tasks = []
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    return latencies, errors


def row(name: str, throughput: float | None, lat: list[float]) -> str:
    tp = f"{throughput:8.1f}/s" if throughput is not None else " " * 10
    return (
        f"  {name:<34} {tp}  p50 {pct(lat, 50) * 1000:7.2f} ms  p99 {pct(lat, 99) * 1000:7.2f} ms"
    )


def rates(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values) + "/s"


# ------------------------------------------------------------------------- load generator
@dataclass
class Load:
    """What the load generator needs: where to send what, and how to build requests."""

    target: str
    method: str
    product_ids: list[str]
    customers: list[tuple[str, str, str]]  # (client, outlet, its agent)
    tokens: dict[str, Metadata]  # each agent's call metadata (its token)
    seed: int
    promotions: Promotions = field(default_factory=Promotions)

    def request(self) -> tuple[os_.SubmitOrderRequest, Metadata]:
        return order_request(self.product_ids, self.customers, self.tokens, self.promotions)


@dataclass
class Level:
    """The two closed loops at one concurrency, `--rounds` times each (alternated)."""

    concurrency: int
    real_tps: list[float] = field(default_factory=list)
    real_lat: list[float] = field(default_factory=list)
    held: int = 0
    batches: str = ""
    empty_tps: list[float] = field(default_factory=list)
    empty_lat: list[float] = field(default_factory=list)

    def add(
        self,
        real_tp: float,
        real_lat: list[float],
        held: int,
        empty_tp: float,
        empty_lat: list[float],
    ) -> None:
        self.real_tps.append(real_tp)
        self.real_lat.extend(real_lat)
        self.held += held
        self.empty_tps.append(empty_tp)
        self.empty_lat.extend(empty_lat)

    @property
    def real_tp(self) -> float:
        return statistics.median(self.real_tps)

    @property
    def empty_tp(self) -> float:
        return statistics.median(self.empty_tps)


@dataclass
class Tally:
    """What SubmitOrder's replies say: orders answered, held, and the promotions they got."""

    orders: int = 0
    # On CREDIT_HOLD: every order of the bench is within its client's limit, so a held one is
    # a credit check that fell back (settlements too slow for
    # ORDERS_CREDIT_CHECK_TIMEOUT_SECONDS, fallback `block`).
    held: int = 0
    promoted: int = 0  # orders with at least one promotion APPLIED
    touching: int = 0  # orders with a line of P2's set
    free_lines: int = 0  # lines free of charge (P2's free goods, P3's gift)
    # (promotion id, AppliedPromotionStatus name) → orders
    statuses: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)

    def add(self, other: Tally) -> None:
        self.orders += other.orders
        self.held += other.held
        self.promoted += other.promoted
        self.touching += other.touching
        self.free_lines += other.free_lines
        self.statuses.update(other.statuses)


def tally(replies: list[bytes], promotions: Promotions) -> Tally:
    """The replies decoded and counted (after the measured calls)."""
    counted = Tally()
    p2_set = set(promotions.p2_set)
    hold, applied = pb.ORDER_STATUS_CREDIT_HOLD, pb.APPLIED_PROMOTION_STATUS_APPLIED
    for r in replies:
        order = os_.SubmitOrderResponse.FromString(r).order
        counted.orders += 1
        counted.held += order.status == hold
        counted.promoted += any(a.status == applied for a in order.promotions)
        counted.touching += any(ln.product_id in p2_set for ln in order.lines)
        counted.free_lines += sum(ln.free_of_charge for ln in order.lines)
        for a in order.promotions:
            status = pb.AppliedPromotionStatus.Name(a.status)
            counted.statuses[
                (a.promotion_id, status.removeprefix("APPLIED_PROMOTION_STATUS_"))
            ] += 1
    return counted


def promotion_lines(t: Tally, promotions: Promotions) -> list[str]:
    """Each promotion's share of the orders that got it (APPLIED), and the other judgements."""
    if not t.orders:
        return ["  no SubmitOrder reply counted"]

    def share(k: int) -> str:
        return f"{k / t.orders * 100:5.1f} %"

    lines = []
    for pid, label in promotions.labels.items():
        others = ", ".join(
            f"{status} {share(k)}"
            for (p, status), k in sorted(t.statuses.items())
            if p == pid and status != "APPLIED"
        )
        lines.append(
            f"  {share(t.statuses[(pid, 'APPLIED')])} applied  {label}"
            + (f" (also: {others})" if others else "")
        )
    unknown = {p for p, _ in t.statuses} - set(promotions.labels)
    if unknown:
        lines.append(f"  promotions not seeded by the bench in the replies: {sorted(unknown)}")
    p2 = f"; with a line of P2's set {share(t.touching)}" if promotions.p2_set else ""
    lines.append(
        f"  orders with any promotion applied {share(t.promoted)}{p2}; free lines "
        f"{t.free_lines / t.orders:.2f} per order"
    )
    return lines


def check_promotions(t: Tally, promotions: Promotions, where: str) -> str | None:
    """Why the replies prove nothing (promotions seeded, none applied), or None."""
    if promotions.labels and t.orders and not t.promoted:
        return (
            f"FAILED: {len(promotions.labels)} promotion(s) seeded, but none of the {t.orders} "
            f"orders {where} got any (no `order.promotions` with status APPLIED): the service "
            "does not apply them, or the bench seeds them wrong"
        )
    return None


# ("closed", total, concurrency) or ("open", rate, seconds)
Job = tuple[str, float, float]
# throughput (closed loop), latencies, errors (open loop), what SubmitOrder's replies said, and
# the errors' status codes
Outcome = tuple[float | None, list[float], int, Tally, dict[str, int]]


def submit_batches() -> tuple[float, float]:
    """(batches, calls) run by orders' SubmitOrder batcher so far (orders is in this process)."""
    from prometheus_client import REGISTRY

    labels = {"batcher": "orders.submit"}
    return (
        REGISTRY.get_sample_value("fieldline_batch_size_count", labels) or 0.0,
        REGISTRY.get_sample_value("fieldline_batch_size_sum", labels) or 0.0,
    )


def batch_delta(before: tuple[float, float]) -> str:
    batches, calls = (a - b for a, b in zip(submit_batches(), before, strict=True))
    mean = calls / batches if batches else 0.0
    return f"{calls:.0f} calls in {batches:.0f} batches: {mean:.1f} orders per batch"


async def run_job(
    load: Load, job: Job, channel: grpc.aio.Channel | None, go: Callable[[], Awaitable[None]]
) -> Outcome:
    own = channel is None
    ch = channel or grpc.aio.insecure_channel(load.target)
    try:
        call = ch.unary_unary(
            load.method,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=lambda b: b,
        )

        replies: list[bytes] = []

        async def one() -> None:
            request, metadata = load.request()
            replies.append(await call(request, timeout=30, metadata=metadata))

        if own:  # a new process and channel: connect and warm up outside the measurement
            for _ in range(10):
                await one()
        await go()
        replies.clear()
        kind, a, b = job
        tp: float | None = None
        errors = 0
        ERROR_CODES.clear()
        if kind == "closed":
            tp, lat = await closed_loop(one, int(a), int(b))
        else:
            lat, errors = await open_loop(one, a, b)
        replied = tally(replies, load.promotions) if load.method == SUBMIT else Tally()
        return tp, lat, errors, replied, dict(ERROR_CODES)
    finally:
        if own:
            await ch.close()


def _load_child(load: Load, job: Job, conn: Connection) -> None:
    async def go() -> None:
        conn.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    random.seed(load.seed)
    conn.send(asyncio.run(run_job(load, job, None, go)))
    conn.close()


async def generate(
    load: Load,
    job: Job,
    *,
    in_child: bool,
    channel: grpc.aio.Channel,
    started: Callable[[], None] = lambda: None,
) -> Outcome:
    """Run `job` from this process (on `channel`) or from a process of its own; `started()` is
    called right before the measured calls begin (after the child's start-up and warm-up)."""
    if not in_child:

        async def go() -> None:
            started()

        return await run_job(load, job, channel, go)
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_load_child, args=(load, job, child), daemon=True)
    proc.start()
    child.close()
    loop = asyncio.get_running_loop()
    try:
        if await loop.run_in_executor(None, parent.recv) != "ready":
            raise RuntimeError("the load generator process did not start")
        started()
        parent.send("go")
        outcome: Outcome = await loop.run_in_executor(None, parent.recv)
    finally:
        await loop.run_in_executor(None, proc.join, 60)
    return outcome


# ----------------------------------------------------------------- settlements in a child
def _settlements_child(settings: dict[str, Any], conn: Connection) -> None:
    async def serve() -> None:
        configure_logging("bench-settlements", "warning", "console")
        process, _ = await SETTLEMENTS.build(SettlementsSettings(**settings))
        task = asyncio.create_task(process.run(install_signal_handlers=True))  # SIGTERM stops
        await asyncio.wait_for(process.ready.wait(), 60)
        conn.send(process.grpc_port)
        await task

    asyncio.run(serve())


@contextlib.asynccontextmanager
async def settlements_service(settings: dict[str, Any], *, in_child: bool) -> AsyncIterator[Any]:
    """Settlements running; yields its port and (in-process only) its app."""
    if not in_child:
        process, app = await SETTLEMENTS.build(SettlementsSettings(**settings))
        async with benchkit.running(process):
            yield process.grpc_port, app
        return
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_settlements_child, args=(settings, child), daemon=True)
    proc.start()
    child.close()
    loop = asyncio.get_running_loop()
    try:
        ready = await loop.run_in_executor(None, parent.poll, 120)
        if not ready:
            raise RuntimeError("the settlements process did not start")
        yield parent.recv(), None
    finally:
        proc.terminate()
        await loop.run_in_executor(None, proc.join, 60)


# -------------------------------------------------------------------------------- profile
PHASE: contextvars.ContextVar[str] = contextvars.ContextVar("bench_phase", default="background")


@dataclass
class Recorder:
    """Statements, transactions and phase timings, while `on` (for --profile)."""

    on: bool = False
    statements: collections.Counter[tuple[str, str, str]] = field(
        default_factory=collections.Counter
    )
    texts: collections.Counter[tuple[str, str, str]] = field(default_factory=collections.Counter)
    timings: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))

    def count(self, engine: AsyncEngine, service: str) -> None:
        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _statement(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if not self.on:
                return
            kind = "begin" if statement.startswith("BEGIN") else "statement"
            self.statements[(service, PHASE.get(), kind)] += 1
            if kind == "statement":
                first = " ".join(statement.split())[:70]
                self.texts[(service, PHASE.get(), first)] += 1

        @event.listens_for(engine.sync_engine, "commit")
        def _commit(conn: Any) -> None:
            if self.on:
                self.statements[(service, PHASE.get(), "commit")] += 1

    @contextlib.contextmanager
    def timing(self, label: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            if self.on:
                self.timings[label].append(time.perf_counter() - t0)

    def wrap(self, owner: Any, name: str, label: str, phase: str = "") -> None:
        """Time every call of the coroutine method `owner.name` (and tag its statements)."""
        inner = getattr(owner, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            token = PHASE.set(phase) if phase else None
            try:
                with self.timing(label):
                    return await inner(*args, **kwargs)
            finally:
                if token is not None:
                    PHASE.reset(token)

        setattr(owner, name, timed)

    def wrap_context(self, owner: Any, name: str, label: str) -> None:
        """Time the body of every `async with owner.name(...)`."""
        inner = getattr(owner, name)
        recorder = self

        @contextlib.asynccontextmanager
        async def timed(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            with recorder.timing(label):
                async with inner(*args, **kwargs) as value:
                    yield value

        setattr(owner, name, timed)


PHASES = (
    "orders: SubmitOrder handler, total (per call)",
    "orders: batch read step (judging: the probe statement, pricing)",
    "  … of which the reads (SubmitReader.read)",
    "orders: CheckCreditBatch round trip",
    "  … settlements: CheckCreditBatch handler, total",
    "  … settlements: check_credit_batch (inside its tx)",
    "orders: batch write transaction (orders, responses, commit)",
    "  … of which the order rows (add_all_if_absent)",
)


def instrument(recorder: Recorder) -> None:
    """Wrap the phases of SubmitOrder; before the services are built (gRPC binds methods).

    The phases after the handler are per batch (one order per batch when orders are sent one
    at a time, as `--profile` does by default).
    """
    from fieldline_orders.adapters.repository import OrderRepository
    from fieldline_orders.adapters.settlements_client import GrpcCreditChecker
    from fieldline_orders.adapters.submit_reads import SubmitReader
    from fieldline_orders.entrypoints.orders_api import OrdersServicer
    from fieldline_orders.service_layer.submit import SubmitOrders
    from fieldline_settlements.entrypoints.grpc_api import SettlementsServicer
    from fieldline_settlements.service_layer import handlers

    total, judge, reads, credit, handler, body, write, rows = PHASES
    recorder.wrap(OrdersServicer, "SubmitOrder", total, "rpc")
    recorder.wrap(SubmitOrders, "_judge", judge)
    recorder.wrap(SubmitReader, "read", reads)
    recorder.wrap(GrpcCreditChecker, "check_many", credit)
    recorder.wrap(SettlementsServicer, "CheckCreditBatch", handler, "rpc")
    recorder.wrap(handlers, "check_credit_batch", body)
    recorder.wrap(SubmitOrders, "_write", write)
    recorder.wrap(OrderRepository, "add_all_if_absent", rows)


async def profile(
    args: argparse.Namespace,
    recorder: Recorder,
    load: Load,
    channel: grpc.aio.Channel,
) -> int:
    job: Job = ("closed", args.profile_orders, args.profile_concurrency)
    await asyncio.sleep(1.0)  # let the relays publish what seeding and warm-up wrote
    marks: list[tuple[resource.struct_rusage, float, float]] = []

    def start() -> None:
        marks.append(
            (resource.getrusage(resource.RUSAGE_SELF), time.thread_time(), time.perf_counter())
        )
        recorder.on = True

    outcome = await generate(
        load, job, in_child=args.client_process, channel=channel, started=start
    )
    await asyncio.sleep(1.0)  # the relays and consumers finish the last orders' events
    recorder.on = False
    (usage0, main0, wall0), usage = marks[0], resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - wall0 - 1.0
    main_cpu = time.thread_time() - main0
    cpu = (usage.ru_utime - usage0.ru_utime) + (usage.ru_stime - usage0.ru_stime)
    n = len(recorder.timings[PHASES[0]])
    lat = outcome[1]
    where = "PostgreSQL" if args.postgres else "SQLite"
    flight = "one after the other" if job[2] == 1 else f"{job[2]} in flight"
    print(f"\nWhere SubmitOrder's time goes: {n} orders, {flight} ({where}):")
    print(
        f"  latency mean {statistics.mean(lat) * 1000:.2f} ms, p50 {pct(lat, 50) * 1000:.2f} ms; "
        f"{n / wall:.1f} orders/s"
    )
    print(
        f"  CPU per order: main thread {main_cpu / n * 1000:.2f} ms, whole process "
        f"{cpu / n * 1000:.2f} ms (all threads; includes the relays, consumers"
        f"{'' if args.client_process else ' and the load generator'})"
    )
    print("  per order           statements  BEGIN  COMMIT")
    for service in ("orders", "settlements"):
        for phase, label in (("rpc", "in the RPC"), ("background", "background")):
            st = recorder.statements
            stmts = st[(service, phase, "statement")] / n
            begins = st[(service, phase, "begin")] / n
            commits = st[(service, phase, "commit")] / n
            print(f"  {service:<11} {label:<12} {stmts:6.2f} {begins:6.2f} {commits:7.2f}")
    print("  (BEGIN counts the transactions SQLite begins itself; PostgreSQL's are implicit)")
    print(f"  {'phase':<56} {'mean':>8} {'p50':>8} {'p99':>8}")
    for label in PHASES:
        values = recorder.timings.get(label)
        if values:
            print(
                f"  {label:<56} {statistics.mean(values) * 1000:8.2f} "
                f"{pct(values, 50) * 1000:8.2f} {pct(values, 99) * 1000:8.2f} ms"
            )
    print("  statements per order, by service and phase:")
    for (service, phase, text), count in sorted(recorder.texts.items()):
        print(f"    {service:<11} {phase:<10} {count / n:5.2f}  {text}")

    profiler = cProfile.Profile()
    await generate(
        load, job, in_child=args.client_process, channel=channel, started=profiler.enable
    )
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = stats.stats.items()  # type: ignore[attr-defined]
    by_package: collections.Counter[str] = collections.Counter()
    idle = 0.0
    for (filename, _, name), v in entries:
        if name == "<method 'poll' of 'select.epoll' objects>":
            idle += v[2]  # the event loop waiting for I/O (mostly idle, some syscall time)
        else:
            by_package[package_of(filename, name)] += v[2]
    busy = sum(by_package.values())
    who = "services only" if args.client_process else "services and load generator"
    print(
        f"\ncProfile of {len(lat)} more orders, main thread ({who}): own time by package, "
        f"as a share of the busy time ({busy:.1f} s busy, {idle:.1f} s in epoll) and scaled to "
        f"the {main_cpu / n * 1000:.2f} ms of main-thread CPU per order measured above:"
    )
    for package, own in by_package.most_common(16):
        share = own / busy
        print(f"  {share * 100:5.1f} %  {share * main_cpu / n * 1000:5.2f} ms  {package}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.profile_sort).print_stats(args.profile_top)
    print(f"\nby function, {args.profile_sort}:\n{out.getvalue()}")
    return report_promotions(load.promotions, outcome[3], "measured run")


def package_of(filename: str, name: str) -> str:
    """A profile entry's package: site-packages name, service/kit package, or stdlib module."""
    if filename == "~":
        return f"builtins ({name.split(' of ')[-1].strip('<>')})" if " of " in name else "builtins"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/src/" in filename:
        return filename.split("/src/", 1)[1].split("/", 1)[0]
    if "/bench/" in filename:
        return "bench (load generator, instrumentation)"
    return "stdlib " + filename.rsplit("/", 1)[-1]


# ----------------------------------------------------------------------------------- main
async def main_async(args: argparse.Namespace) -> int:
    configure_logging("bench", "warning", "console")
    random.seed(args.seed)
    recorder = Recorder()
    if args.profile:
        instrument(recorder)
    with tempfile.TemporaryDirectory(prefix="fl-orders-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        auth = benchkit.BenchAuth.generate(tmp, services=("orders",))
        verification = await auth.verification_cost()
        print(f"{verification.line()}; the SubmitOrder figures include it")
        async with contextlib.AsyncExitStack() as stack:
            nats_url = await stack.enter_async_context(benchkit.embedded_nats(tmp))
            s_url = await stack.enter_async_context(
                benchkit.database(args.postgres, tmp / "settlements.sqlite3", label="settlements")
            )
            o_url = await stack.enter_async_context(
                benchkit.database(args.postgres, tmp / "orders.sqlite3", label="orders")
            )
            await upgrade_async(s_url, SETTLEMENTS_MIGRATIONS)
            await upgrade_async(o_url, ORDERS_MIGRATIONS)
            common: dict[str, Any] = {"nats_url": nats_url, **benchkit.LOCAL_SERVICE}
            async with settlements_service(
                {"database_url": s_url, **common, **auth.settings(ORDERS_ISSUER)},
                in_child=args.settlements_process,
            ) as (s_port, s_app):
                # Statement counting is for --profile only: a listener on every statement
                # costs the measured runs a little.
                if s_app is not None and args.profile:
                    recorder.count(s_app.engine, "settlements")
                o_process, o_app = await ORDERS.build(
                    OrdersSettings(
                        database_url=o_url,
                        settlements_target=f"127.0.0.1:{s_port}",
                        submit_batch_max=args.batch_max,
                        submit_batches_in_flight=args.batches_in_flight,
                        service_signing_key=auth.service_key("orders"),
                        **common,
                        **auth.settings(),
                    )
                )
                if args.profile:
                    recorder.count(o_app.engine, "orders")
                async with (
                    benchkit.running(o_process),
                    grpc.aio.insecure_channel(f"127.0.0.1:{o_process.grpc_port}") as ch,
                ):
                    # Seeding as an administrator; each order carries its agent's token.
                    t0 = time.perf_counter()
                    product_ids, price_type_id, group_id, prices = await seed_catalog(
                        ch, args.skus, auth.metadata_for(ADMIN)
                    )
                    t1 = time.perf_counter()
                    customers = await seed_outlets(
                        o_url, args.outlets, price_type_id, args.outlets_per_agent
                    )
                    t2 = time.perf_counter()
                    promotions = await seed_promotions(
                        ch,
                        args.promotions,
                        product_ids,
                        group_id,
                        prices,
                        auth.metadata_for(ADMIN),
                    )
                    tokens = {
                        a: auth.metadata(a, [AGENT]) for a in sorted({a for _, _, a in customers})
                    }
                    print(
                        f"seeded {len(product_ids)} SKUs in {t1 - t0:.1f} s (CatalogService) and "
                        f"{len(customers)} outlets in {t2 - t1:.1f} s (bulk load) "
                        f"({'PostgreSQL' if args.postgres else 'SQLite'})"
                    )
                    if promotions.labels:
                        print(
                            f"seeded {len(promotions.labels)} promotion(s) in "
                            f"{time.perf_counter() - t2:.1f} s (PromotionsService), every "
                            "outlet eligible for each:"
                        )
                        for label in promotions.labels.values():
                            print(f"  {label}")
                    statistics_line = await stack.enter_async_context(
                        benchkit.statistics_kept([s_url, o_url], args.analyze_every)
                    )
                    if statistics_line:
                        print(statistics_line)
                    submit = ch.unary_unary(
                        SUBMIT,
                        request_serializer=lambda m: m.SerializeToString(),
                        response_deserializer=lambda b: b,
                    )
                    request, metadata = order_request(product_ids, customers, tokens, promotions)
                    sample = await submit(request, metadata=metadata)
                    reply = os_.SubmitOrderResponse.FromString(sample)
                    assert (
                        reply.order.status == pb.ORDER_STATUS_SUBMITTED
                        and sum(not ln.free_of_charge for ln in reply.order.lines) == LINES
                    ), reply
                    warm = [sample]
                    for _ in range(args.warmup):
                        request, metadata = order_request(
                            product_ids, customers, tokens, promotions
                        )
                        warm.append(await submit(request, metadata=metadata))
                    # Promotions seeded and none given: fail before the runs, not after.
                    failed = check_promotions(
                        tally(warm, promotions), promotions, "of the sample and warm-up"
                    )
                    if failed:
                        print(failed)
                        return 1
                    real = Load(
                        f"127.0.0.1:{o_process.grpc_port}",
                        SUBMIT,
                        product_ids,
                        customers,
                        tokens,
                        args.seed + 1,
                        promotions,
                    )
                    if args.profile:
                        return await profile(args, recorder, real, ch)

                    async with (
                        benchkit.empty_server({EMPTY_NAME: sample}) as empty_target,
                        grpc.aio.insecure_channel(empty_target) as ech,
                    ):
                        empty = Load(
                            empty_target,
                            f"/{benchkit.EMPTY_SERVICE}/{EMPTY_NAME}",
                            product_ids,
                            customers,
                            tokens,
                            args.seed + 2,
                            promotions,
                        )
                        child = args.client_process
                        replied = Tally()  # every measured SubmitOrder's reply
                        levels: list[Level] = []
                        for concurrency in args.concurrency:
                            closed: Job = ("closed", args.orders, concurrency)
                            level = Level(concurrency)
                            before = submit_batches()
                            # Rounds alternate the two loops, so that both see the same
                            # moments of a noisy machine; each throughput is their median.
                            for _ in range(args.rounds):
                                real_tp, real_lat, _, real_tally, _ = await generate(
                                    real, closed, in_child=child, channel=ch
                                )
                                replied.add(real_tally)
                                empty_tp, empty_lat, _, _, _ = await generate(
                                    empty, closed, in_child=child, channel=ech
                                )
                                assert real_tp is not None and empty_tp is not None
                                level.add(real_tp, real_lat, real_tally.held, empty_tp, empty_lat)
                            level.batches = batch_delta(before)
                            levels.append(level)
                        before = submit_batches()
                        _, open_lat, errors, open_tally, codes = await generate(
                            real, ("open", args.rate, args.seconds), in_child=child, channel=ch
                        )
                        replied.add(open_tally)
                        open_held = open_tally.held
                        open_batches = batch_delta(before)
                        # Every budget after the runs: consumed = Σ its ledger ≤ its total.
                        budgets = await budget_ledgers(o_app) if promotions.labels else []

    p99_open = pct(open_lat, 99) * 1000
    layout = ", ".join(
        part
        for part, on in (
            ("load generator in its own process", args.client_process),
            ("settlements in its own process", args.settlements_process),
        )
        if on
    )
    print(
        f"\nSubmitOrder, {LINES} lines, credit check + outbox, {args.promotions} promotion(s) "
        f"per outlet; {args.orders} orders per closed loop{'; ' + layout if layout else ''}:"
    )
    per_order = 1 if args.settlements_process else VERIFICATIONS_PER_ORDER
    for level in levels:
        print(f"  {level.concurrency} in flight:")
        print(
            row("  SubmitOrder (closed loop)", level.real_tp, level.real_lat)
            + f"  held {level.held}"
        )
        print(f"    {level.batches}")
        print(row("  empty RPC, same sizes", level.empty_tp, level.empty_lat))
        if len(level.real_tps) > 1:
            print(
                f"    rounds (median above): SubmitOrder {rates(level.real_tps)}; "
                f"empty RPC {rates(level.empty_tps)}"
            )
        print(
            f"    ratio real/empty at {level.concurrency} in flight: {level.real_tp / level.empty_tp:.3f}"
        )
        full = per_order * verification.p50 * level.real_tp * 100
        print(
            f"    token checks in SubmitOrder: {per_order} per order in this process; were each a "
            f"full check ({verification.micros:.0f} µs) ≈{full:.0f} % of its event loop at this "
            "throughput; each agent's token is remembered after its first call (the empty "
            "RPC: none)"
        )
    real_best = max(levels, key=lambda lv: lv.real_tp)
    empty_best = max(levels, key=lambda lv: lv.empty_tp)
    ratio = real_best.real_tp / empty_best.empty_tp
    print(
        f"  throughput (median of {args.rounds} round(s) per level; the best level of each over "
        f"{', '.join(str(c) for c in args.concurrency)} in flight): SubmitOrder {real_best.real_tp:.1f}/s at {real_best.concurrency}, empty RPC "
        f"{empty_best.empty_tp:.1f}/s at {empty_best.concurrency}"
    )
    print(
        f"  throughput ratio real/empty: {ratio:.3f}  (target ≥ 0.25: {'met' if ratio >= 0.25 else 'MISSED'})"
    )
    print(verification.line())
    print(
        "      SubmitOrder includes it: orders verifies the agent's token, settlements the same "
        "token (actor_token) and orders' service token once per batch; the empty RPC verifies "
        "nothing"
    )
    detail = ": " + ", ".join(f"{c} ×{k}" for c, k in sorted(codes.items())) if codes else ""
    print(
        f"\nopen loop at {args.rate:.0f} orders/s for {args.seconds:.0f} s ({len(open_lat)} orders, {errors} errors{detail}):"
    )
    print(row("SubmitOrder (open loop)", None, open_lat) + f"  held {open_held}")
    print(f"  {open_batches}")
    print(
        f"  mean {statistics.mean(open_lat) * 1000:.2f} ms; p99 {p99_open:.2f} ms (target < 50 ms: {'met' if p99_open < 50 else 'MISSED'})"
    )
    if any(lv.held for lv in levels) or open_held:
        print(
            "  held: orders put on CREDIT_HOLD because the credit check missed its deadline "
            "and fell back to `block` (settlements could not keep up)"
        )
    broken = False
    for promotion_id, total, consumed, summed in budgets:
        ok = consumed == summed and consumed <= total
        broken |= not ok
        print(
            f"  budget of {promotions.labels.get(promotion_id, promotion_id)}: consumed "
            f"{consumed} of {total}, its ledger's sum {summed}: "
            + ("consistent" if ok else "BROKEN (consumed must equal the sum, within the total)")
        )
    if broken:
        return 1
    return report_promotions(promotions, replied, "closed and open loops")


async def budget_ledgers(app: Any) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(promotion id, total, consumed, Σ its ledger's deltas) of every budget orders keeps."""
    b, e = orm.promotion_budgets, orm.promotion_budget_entries
    summed = (
        select(func.coalesce(func.sum(e.c.delta), 0))
        .where(e.c.promotion_id == b.c.promotion_id)
        .scalar_subquery()
    )
    async with app.sessions() as session:
        rows = await session.execute(
            select(b.c.promotion_id, b.c.total, b.c.consumed, summed.label("summed"))
        )
        return [
            (r.promotion_id, Decimal(r.total), Decimal(r.consumed), Decimal(r.summed)) for r in rows
        ]


def report_promotions(promotions: Promotions, replied: Tally, where: str) -> int:
    """The promotions' shares of the measured orders; 1 if seeded and never applied."""
    if not promotions.labels:
        return 0
    print(
        f"\npromotions: share of the {replied.orders} orders answered in the {where} that got "
        "each (`order.promotions`, status APPLIED):"
    )
    for line in promotion_lines(replied, promotions):
        print(line)
    never = [
        label.split(" ", 1)[0]
        for pid, label in promotions.labels.items()
        if not replied.statuses[(pid, "APPLIED")]
    ]
    if never:
        print(f"  WARNING: never applied: {', '.join(never)}")
    failed = check_promotions(replied, promotions, f"in the {where}")
    if failed:
        print(failed)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    benchkit.add_postgres_argument(parser)
    benchkit.add_analyze_argument(parser)
    parser.add_argument("--outlets", type=int, default=300_000)
    parser.add_argument(
        "--outlets-per-agent", type=int, default=300, help="outlets on each agent's route"
    )
    parser.add_argument("--skus", type=int, default=3_000)
    parser.add_argument(
        "--promotions",
        type=int,
        default=0,
        choices=range(4),
        metavar="N",
        help="seed the first N of three promotions every outlet is eligible for (0-3; "
        "docs/contexts/sales-gaps.md 7): P1 5 %% off a group of a third of the SKUs, "
        "stackable; P2 2+1 on 50 SKUs, exclusive, the outlets' channel (about half the orders "
        "get a line of its set); P3 a gift over an order's gross, stackable, the parent of the "
        "outlets' territory; each with a budget that never runs out (default 0: none, the "
        "figures comparable with earlier ones)",
    )
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[16, 32, 64, 128],
        help="calls in flight of the closed loops, comma-separated; each level runs both loops "
        "and the verdict compares the best throughput of each (default 16,32,64,128: with two "
        "batches in flight, PostgreSQL's default, 128 callers fill two batches of 64)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="closed-loop rounds per level, SubmitOrder and the empty RPC alternated; each "
        "level's throughputs are the medians (default 3)",
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--client-process", action="store_true", help="run the load generator in its own process"
    )
    parser.add_argument(
        "--settlements-process", action="store_true", help="run settlements in its own process"
    )
    parser.add_argument(
        "--profile", action="store_true", help="where the time goes, instead of the runs"
    )
    parser.add_argument(
        "--batch-max",
        type=int,
        default=OrdersSettings.submit_batch_max,
        help="ORDERS_SUBMIT_BATCH_MAX (1: no batching, each order on its own)",
    )
    parser.add_argument(
        "--batches-in-flight",
        type=int,
        default=OrdersSettings.submit_batches_in_flight,
        help="ORDERS_SUBMIT_BATCHES_IN_FLIGHT",
    )
    parser.add_argument("--profile-orders", type=int, default=300)
    parser.add_argument(
        "--profile-concurrency",
        type=int,
        default=1,
        help="orders in flight while profiling (1: one at a time; 16: batches as under load)",
    )
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument(
        "--profile-sort", default="tottime", help="cProfile order: tottime (own) or cumulative"
    )
    args = parser.parse_args()
    if args.quick:
        args.outlets, args.skus, args.orders, args.seconds = 15_000, 500, 1000, 3.0
    if args.profile and args.settlements_process:
        parser.error("--profile counts settlements' statements: run it in this process")
    return run(main_async(args))


def run(main: Awaitable[int]) -> int:
    """`asyncio.run`, except that a task that survives cancellation does not hang the exit.

    On SQLite, a request cancelled during a statement (here: settlements' CheckCredit past
    orders' 2 s deadline, under overload) makes SQLAlchemy invalidate that connection and close
    it gracefully in a shielded task; if the request is cancelled again meanwhile, SQLAlchemy
    also stops the aiosqlite thread, and the shielded close then waits forever for that thread.
    The connection is closed all the same; only the task is left, and `asyncio.run` would wait
    for it at exit. Such tasks are reported and abandoned.
    """
    loop = asyncio.new_event_loop()
    try:
        code = loop.run_until_complete(main)
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            _, pending = loop.run_until_complete(asyncio.wait(leftovers, timeout=10))
            if pending:
                names = sorted({str(t.get_coro()).split(" at ")[0] for t in pending})
                print(f"note: {len(pending)} task(s) still pending at exit, abandoned: {names}")
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
