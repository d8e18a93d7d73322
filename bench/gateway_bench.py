"""Device gateway benchmark: the sync store's targets of issue 13 on a generated company.

    .venv/bin/python bench/gateway_bench.py [--postgres URL] [--check]
        [--agents 2000] [--outlets 300] [--skus 3000] [--bundles 50] [--empty-deltas 500]
        [--write-rate 50] [--concurrency 50,200] [--poll-seconds 1.0] [--profile]

What runs, all in this process and one event loop: an embedded NATS with the system's streams
and consumers (as `fl up` declares them); the orders service exactly as it runs (`SPEC.build`:
gRPC server with its auth check, outbox relay), on a throwaway database; the device gateway's
composition root (`bootstrap`) on a throwaway database of its own, migrated, with its orders
consumer (`gateway-orders-fanout`, `sales_consumers.build_orders_consumer`) running on it, as
`serve` runs it. The gateway's HTTP server is not started: syncs are the in-process use case
`service_layer.sync.sync_page` (the handler of GET /v1/sync minus HTTP: no token check, no
rate limit, no response compression), so every figure is server work without HTTP.

The company (`--agents` agents × `--outlets` outlets each, `--skus` products, three price
types):

* through orders, as an administrator over gRPC (CatalogService): the products, three price
  types and one price list of every product per price type. Orders announces them
  (ProductsChanged, PriceTypesChanged, PriceListChanged with its entries) and the gateway's
  orders consumer writes them into the sync store: `catalog` and `price_type:<id>` scopes;
* straight into the gateway's sync store through its write API (`fanout_store.advance_clock`,
  `put_objects`, `set_memberships_many`; ~10 agents per transaction), the items built by the
  gateway's own projections from the services' messages: per agent its `me`, route and
  route outlets, outlets with cards, clients (3 outlets each), per client a balance, a credit
  standing, its price type (`clientTerms`) and 0–2 open invoices, 8 days of visit plans,
  recent visits and orders, recommended orders of the outlets due tomorrow; one
  questionnaire for the company. Memberships are the domain's `scopes_of` (an agent's
  clients are on the three price types, 60/25/15 %, and every agent has one on the first:
  all agents hold `price_type:<first>`).

Measures (each a target of docs/contexts/device-gateway.md, *Benchmarks (issue 13 targets)*):

1. **Full bundle**: all pages of one agent's first sync (no cursor), server time (the
   pages' `sync_page` calls), for `--bundles` agents spread over the company, twice (first
   and second read of each agent); pages, items, bytes raw and gzipped (level 9: Litestar's
   `CompressionConfig` default, which the gateway uses). Baseline in the same run: the same
   pages' content held in memory as decoded Python objects (dicts), encoded with msgspec and
   gzipped at the same level. Target: p50 of the first reads ≤ 3 × p50 of the baseline.
2. **Empty delta**: a delta with nothing new for the agent while a background writer commits
   fan-out changes (`fanout.apply`, one event's items per transaction, as the consumers do)
   at `--write-rate` per second on other agents' scopes (orders, balances, visits of the
   other half of the company); the agents' cursors are from before the writer started, so
   every delta spans hundreds of foreign commits. `--empty-deltas` sequential deltas; each is
   checked empty. Target: p50 < 5 ms. Beside it, up to 200 of the same deltas before the
   writer starts (nothing else running).
3. **Morning sync**: a nightly roll is written first (every agent's 8 plan days rewritten
   and the oldest one tombstoned, the recommended orders of the outlets due the next day,
   new balances, credit standings and invoices for 20 % of the clients; one transaction per
   25 agents), then every agent's delta from its cursor of before the roll, all pages, at
   each `--concurrency` level (in-process tasks; over HTTP would need 2,000 activated
   devices and puts the HTTP client on the same core). Reported: syncs/s, p50, p99.
4. **A price change reaching everyone**: `--agents` pollers (in-process tasks), each asking
   its agent's delta, then waiting `--poll-seconds` before asking again, start first; then
   `UpsertPriceLists` reprices every entry of the first price type's list (`--skus` prices).
   t0 = its answer; t1 = the commit of the gateway consumer's transaction that applied the
   PriceListChanged (seen from the engine: the connection that inserted the prices back in
   the pool after its COMMIT; nothing in the gateway is patched); t2 = the end of the last
   agent's delta holding the new prices. Target: t2 − t0 < 2 s. And the `fanout_objects`
   rows the change's transaction wrote (its seq): `--skus` prices once, not one per agent
   (the list's header only if its body changed: a new version of the same header is noted
   without a new seq). Then the change's delta for every agent again, 10 at a time (within
   the connection pool) with nothing else running: the least t2 − t1 could be here.

The table at the end gives each figure with its target and PASS/FAIL; `--check` makes the
exit status non-zero when a target fails. `--profile` adds cProfile reports (by own time) of
5 more full bundles, 200 more empty deltas (the writer running) and 50 deltas carrying the
price change, none of them in the figures.

Sizes: defaults are the issue's company; `--agents 100 --outlets 50 --skus 500` is a CI-size
run (under a minute; the full size takes 20–25 minutes, a third of it loading). On
PostgreSQL (`--postgres URL`) both databases are throwaway ones (`fl_bench_orders_…`,
`fl_bench_gateway_…`), dropped at the end, and the gateway's changed tables are analyzed
after the load and then as autovacuum would (benchkit.statistics_kept).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import gzip
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import msgspec
from google.protobuf import timestamp_pb2
from google.type import latlng_pb2
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

import benchkit
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as tpb
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import catalog_service_pb2_grpc as cs_grpc
from fieldline.orders.v1 import orders_service_pb2 as ops
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as sss
from fieldline_gateway.adapters import fanout_store
from fieldline_gateway.adapters import projections as proj
from fieldline_gateway.adapters import projections_clients as pc
from fieldline_gateway.adapters import projections_orders as po
from fieldline_gateway.adapters import projections_settlements as ps
from fieldline_gateway.adapters.fanout_tables import fanout_clock, fanout_members, fanout_objects
from fieldline_gateway.bootstrap import App
from fieldline_gateway.bootstrap import bootstrap as gateway_bootstrap
from fieldline_gateway.domain.cursor import Cursor
from fieldline_gateway.domain.membership import scopes_of
from fieldline_gateway.entrypoints import sales_consumers
from fieldline_gateway.entrypoints.main import MIGRATIONS as GATEWAY_MIGRATIONS
from fieldline_gateway.service_layer import fanout
from fieldline_gateway.service_layer.sync import SyncPage, sync_page
from fieldline_gateway.settings import GatewaySettings
from fieldline_gateway.settings import validate as validate_gateway
from fieldline_kit.auth.keys import generate_signing_key, private_pem
from fieldline_kit.grpc.convert import money, pb_date
from fieldline_kit.logging import configure_logging
from fieldline_kit.messaging.nats import connect
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.roles import AGENT
from fieldline_kit.service import tune_gc
from fieldline_kit.testing.auth import ADMIN
from fieldline_orders.entrypoints.main import MIGRATIONS as ORDERS_MIGRATIONS
from fieldline_orders.entrypoints.main import SPEC as ORDERS
from fieldline_orders.settings import OrdersSettings

TZ = ZoneInfo("Europe/Moscow")  # GATEWAY_TIMEZONE's default: the business day
GZIP_LEVEL = 6  # the gateway's CompressionConfig(gzip_compress_level=6)
PRICE_TYPE_SHARES = (0.60, 0.25, 0.15)  # clients per price type; the first is everyone's
OUTLETS_PER_CLIENT = 3
AGENTS_PER_LOAD_CHUNK = 10  # agents per load transaction (~12,000 items at full size)
AGENTS_PER_ROLL_CHUNK = 25  # agents per nightly-roll transaction
PLAN_DAYS = 8  # today … today + 7 (GATEWAY_PLAN_HORIZON_DAYS)
DEBT_SHARE = 0.20  # clients with new debts overnight
TIMEOUT = 300.0  # seconds, per RPC
BURST_CONCURRENCY = 10  # the price change's deltas served again: GATEWAY_SYNC_CONNECTIONS

# Targets (docs/contexts/device-gateway.md, *Benchmarks (issue 13 targets)*).
BUNDLE_RATIO_TARGET = 3.0
EMPTY_DELTA_TARGET = 0.005
PRICE_CHANGE_TARGET = 2.0


# ----------------------------------------------------------------------------- helpers
def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def mb(size: float) -> str:
    return f"{size / 1e6:.2f} MB"


def stamp(moment: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(moment)
    return out


def rub(amount: float) -> Any:
    return money(Decimal(f"{amount:.2f}"), "RUB")


class Ids:
    """Deterministic UUIDs from the run's seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


# ----------------------------------------------------------------------------- company
@dataclass
class Client:
    id: str
    price_type: str
    outlets: list[str]
    version: int = 1


@dataclass
class Agent:
    id: str
    route: str
    territory: str
    outlets: list[str]
    clients: list[Client]

    def price_types(self) -> set[str]:
        return {c.price_type for c in self.clients}


@dataclass
class Catalog:
    products: list[str]  # product ids, from orders
    price_types: list[str]  # ids; the first one every agent holds
    price_lists: dict[str, str]  # price type → its list's id
    external: dict[str, str]  # price type → its list's external id


class Generator:
    """The company's items as the gateway's projections make them from the services'
    messages (deterministic for a seed)."""

    def __init__(self, args: argparse.Namespace, catalog: Catalog, today: date) -> None:
        self.args = args
        self.catalog = catalog
        self.today = today
        self.rng = random.Random(args.seed)
        self.uid = Ids(self.rng)
        self.now = datetime.now(UTC)

    # -- the people and places --------------------------------------------------------------
    def agents(self) -> list[Agent]:
        rng, uid = self.rng, self.uid
        out = []
        clients_per_agent = max(1, -(-self.args.outlets // OUTLETS_PER_CLIENT))
        types = self.catalog.price_types
        for n in range(self.args.agents):
            outlets = [uid() for _ in range(self.args.outlets)]
            clients = []
            for c in range(clients_per_agent):
                owned = outlets[c * OUTLETS_PER_CLIENT : (c + 1) * OUTLETS_PER_CLIENT]
                if not owned:
                    break
                kind = types[0] if c == 0 else rng.choices(types, PRICE_TYPE_SHARES)[0]
                clients.append(Client(uid(), kind, owned))
            out.append(Agent(uid(), uid(), f"territory-{n // 50}", outlets, clients))
        return out

    # -- items -------------------------------------------------------------------------------
    def employee(self, agent: Agent, n: int) -> proj.Item:
        return pc.me_item(
            cpb.Employee(
                id=agent.id,
                full_name=f"Агент Иванов-{n} Пётр Сергеевич",
                roles=[cpb.ROLE_AGENT],
                territory_id=agent.territory,
                supervisor_id=f"supervisor-{n // 10}",
                active=True,
                version=1,
            )
        )

    def outlet(self, agent: Agent, client: Client, outlet_id: str, n: int) -> proj.Item:
        card = cpb.OutletCard(
            name=f"Продукты «Ромашка» №{n}",
            address=f"г. Москва, ул. Профсоюзная, д. {n % 200 + 1}, стр. {n % 7 + 1}",
            location=latlng_pb2.LatLng(
                latitude=55.5 + self.rng.random() * 0.4, longitude=37.3 + self.rng.random() * 0.6
            ),
            channel="traditional",
            format="minimarket",
            outlet_class="ABC"[n % 3],
            contacts=[
                cpb.Contact(
                    name="Светлана Петрова",
                    role="управляющая",
                    phone=f"+7 495 {n % 1000:03d}-{n % 100:02d}-{n % 97:02d}",
                    email=f"shop{n}@example.ru",
                )
            ],
            working_hours=[
                cpb.WorkingHours(weekday=d, opens="08:00", closes="22:00") for d in range(1, 8)
            ],
            custom_attributes={"fridge": "yes" if n % 2 else "no", "segment": "econom"},
        )
        return pc.outlet_item(
            cpb.Outlet(
                id=outlet_id,
                client_id=client.id,
                card=card,
                status=cpb.OUTLET_STATUS_ACTIVE,
                territory_id=agent.territory,
                version=1,
            )
        )

    def assignment(self, agent: Agent, outlet_id: str, n: int) -> proj.Item:
        return pc.route_outlet_item(
            cpb.RouteAssignment(
                route_id=agent.route,
                outlet_id=outlet_id,
                frequency=cpb.VISIT_FREQUENCY_WEEKLY,
                weekdays=[weekday(n)],
                start_date=pb_date(date(2026, 1, 5)),
                sequence=n,
                route_version=1,
            )
        )

    def client(self, client: Client, n: int) -> proj.Item:
        return pc.client_item(
            cpb.Client(
                id=client.id,
                name=f"ООО «Торговый дом Ромашка-{n}»",
                inn=f"77{n % 10**8:08d}",
                kpp="770101001",
                type=cpb.CLIENT_TYPE_RETAIL,
                legal_address=f"г. Москва, ул. Ленина, д. {n % 100 + 1}",
                version=1,
            )
        )

    def balance(self, client: Client, day: date) -> proj.Item:
        debt = self.rng.randint(0, 500_000) / 100
        return ps.balance_item(
            spb.Balance(
                client_id=client.id,
                balance=rub(debt),
                overdue=rub(debt / 4),
                max_overdue_days=self.rng.randint(0, 30),
                open_invoices=self.rng.randint(0, 3),
                credit_limit=rub(10_000),
                has_credit_limit=True,
                reserved=rub(0),
                version=client.version,
            ),
            as_of=day,
        )

    def standing(self, client: Client, day: date) -> proj.Item:
        debt = self.rng.randint(0, 500_000) / 100
        blocked = debt > 4_000
        stage = sss.StageStanding(
            stage=spb.STAGE_ORDER_SUBMIT,
            outcome=sss.CREDIT_OUTCOME_BLOCK if blocked else sss.CREDIT_OUTCOME_ALLOW,
            reasons=[
                sss.CreditReason(
                    code=sss.CREDIT_REASON_CODE_OVERDUE,
                    message="просрочка более 14 дней",
                )
            ]
            if blocked
            else [],
            headroom=rub(max(0.0, 10_000 - debt)),
            has_headroom=True,
        )
        return ps.credit_standing_item(
            sss.CreditStanding(
                client_id=client.id,
                as_of=pb_date(day),
                figures=sss.CreditFigures(
                    balance=rub(debt),
                    reserved=rub(0),
                    credit_limit=rub(10_000),
                    has_credit_limit=True,
                    overdue=rub(debt / 4),
                    max_overdue_days=self.rng.randint(0, 30),
                ),
                policy=spb.DebtPolicy(
                    mode=spb.DEBT_POLICY_MODE_BLOCK,
                    check_credit_limit=True,
                    max_overdue_days=14,
                    stages=[spb.STAGE_ORDER_SUBMIT, spb.STAGE_VAN_SALE],
                    override_roles=["SUPERVISOR"],
                ),
                is_default_policy=True,
                stages=[stage],
                version=client.version,
            )
        )

    def terms(self, client: Client) -> proj.Item:
        return po.client_terms_item(
            opb.ClientPriceType(client_id=client.id, price_type_id=client.price_type, version=1)
        )

    def invoice(self, client: Client, day: date) -> proj.Item:
        amount = self.rng.randint(1_000, 300_000) / 100
        return ps.invoice_item(
            spb.Invoice(
                id=self.uid(),
                number=f"РН-{self.rng.randint(1, 10**7):07d}",
                client_id=client.id,
                outlet_id=client.outlets[0],
                order_id=self.uid(),
                source=spb.INVOICE_SOURCE_ERP,
                issue_date=pb_date(day - timedelta(days=7)),
                due_date=pb_date(day + timedelta(days=7)),
                amount=rub(amount),
                open_amount=rub(amount / 2),
                version=1,
            )
        )

    def plan(self, agent: Agent, day: date, shift: int = 0) -> proj.Item:
        due = [o for n, o in enumerate(agent.outlets) if weekday(n) == day.isoweekday()]
        due = due[shift:] + due[:shift]
        return pc.visit_plan_item(
            tpb.GetVisitPlanResponse(
                agent_id=agent.id,
                date=pb_date(day),
                visits=[
                    tpb.PlannedVisit(outlet=cpb.Outlet(id=o), route_id=agent.route, sequence=s + 1)
                    for s, o in enumerate(due)
                ],
            )
        )

    def visit(self, agent: Agent, day: date) -> proj.Item:
        place = latlng_pb2.LatLng(latitude=55.75, longitude=37.61)
        start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(
            minutes=self.rng.randint(0, 480)
        )
        return pc.visit_item(
            cpb.Visit(
                id=self.uid(),
                agent_id=agent.id,
                outlet_id=self.rng.choice(agent.outlets),
                date=pb_date(day),
                status=cpb.VISIT_STATUS_COMPLETED,
                check_in_time=stamp(start),
                check_in_location=place,
                check_in_distance_m=self.rng.randint(5, 80),
                check_out_time=stamp(start + timedelta(minutes=25)),
                check_out_location=place,
                check_out_distance_m=self.rng.randint(5, 80),
                outcome=cpb.VISIT_OUTCOME_ORDER_TAKEN,
            )
        )

    def order(self, agent: Agent, day: date) -> proj.Item:
        client = self.rng.choice(agent.clients)
        order = opb.Order(
            id=self.uid(),
            kind=opb.ORDER_KIND_PRE_SALE,
            status=opb.ORDER_STATUS_CONFIRMED,
            client_id=client.id,
            outlet_id=client.outlets[0],
            agent_id=agent.id,
            order_date=pb_date(day),
            delivery_date=pb_date(day + timedelta(days=1)),
            currency_code="RUB",
            net_total=rub(10_000),
            vat_total=rub(2_000),
            gross_total=rub(12_000),
            credit=opb.CreditDecision(
                outcome=opb.CREDIT_OUTCOME_ALLOW, decide_time=stamp(self.now)
            ),
            version=2,
            create_time=stamp(self.now),
            update_time=stamp(self.now),
        )
        for product in self.rng.sample(self.catalog.products, min(10, len(self.catalog.products))):
            order.lines.add(
                product_id=product,
                unit="box",
                quantity="2",
                base_quantity="24",
                unit_price=rub(50),
                price_source="price_list",
                rule_discount_percent="0",
                manual_discount_percent="0",
                net_amount=rub(1_000),
                vat_rate="20",
                vat_amount=rub(200),
                gross_amount=rub(1_200),
            )
        [item] = po.order_items(order)  # a field order: its agent's one object
        return item

    def recommendation(self, outlet_id: str, day: date, lines: int) -> proj.Item:
        rec = ops.RecommendedOrder(outlet_id=outlet_id, date=pb_date(day))
        for product in self.rng.sample(
            self.catalog.products, min(lines, len(self.catalog.products))
        ):
            sold = self.rng.randint(5, 60)
            rec.lines.add(
                product_id=product,
                quantity=str(self.rng.randint(1, 4)),
                unit="box",
                base_quantity="24",
                reason=ops.RECOMMENDATION_REASON_SALES_HISTORY,
                explanation=ops.RecommendationExplanation(
                    sold_quantity=str(sold),
                    window_days=28,
                    average_daily_sales=f"{sold / 28:.3f}",
                    days_until_next_visit=7,
                    safety_stock="2",
                    pack_size="12",
                    formula=f"ceil(({sold}/28 × (7 + 2) − 3) / 12) boxes",
                ),
            )
        return po.recommended_order_item(rec)

    def questionnaire(self) -> proj.Item:
        return pc.questionnaire_item(
            cpb.Questionnaire(
                id=self.uid(),
                name="Аудит полки",
                questions=[
                    cpb.Question(
                        id=f"q{n}",
                        text=f"Вопрос {n}",
                        type=cpb.QUESTION_TYPE_CHOICE,
                        options=["да", "нет"],
                        required=True,
                    )
                    for n in range(10)
                ],
                must_stock_skus=[f"SKU-{n:05d}" for n in range(20)],
                version=1,
            )
        )

    def agent_items(self, agent: Agent, n: int) -> list[proj.Item]:
        """Everything under the agent's own scopes (agent, route, outlets, clients, accounts)."""
        a, today = self.args, self.today
        items = [self.employee(agent, n)]
        items.append(
            pc.route_item(
                cpb.Route(
                    id=agent.route,
                    name=f"Маршрут {n}",
                    territory_id=agent.territory,
                    agent_id=agent.id,
                    version=1,
                )
            )
        )
        position = 0
        for client_n, client in enumerate(agent.clients):
            items.append(self.client(client, n * 1000 + client_n))
            items.append(self.balance(client, today))
            items.append(self.standing(client, today))
            items.append(self.terms(client))
            for _ in range(self.rng.choice((0, 1, 1, 2))):
                items.append(self.invoice(client, today))
            for outlet_id in client.outlets:
                items.append(self.outlet(agent, client, outlet_id, n * 1000 + position))
                items.append(self.assignment(agent, outlet_id, position))
                position += 1
        items.extend(self.plan(agent, today + timedelta(days=d)) for d in range(PLAN_DAYS))
        items.extend(self.visit(agent, today - timedelta(days=1 + v % 7)) for v in range(a.visits))
        items.extend(self.order(agent, today - timedelta(days=o % 7)) for o in range(a.orders))
        tomorrow = today + timedelta(days=1)
        items.extend(
            self.recommendation(o, tomorrow, a.recommendation_lines)
            for p, o in enumerate(agent.outlets)
            if weekday(p) == tomorrow.isoweekday()
        )
        return items

    def roll_items(self, agent: Agent) -> list[proj.Item | proj.Removal]:
        """The nightly roll to the next day: every plan day rewritten (the oldest tombstoned),
        the recommended orders of the outlets due the day after, new debts of some clients."""
        day = self.today + timedelta(days=1)
        out: list[proj.Item | proj.Removal] = [
            proj.Removal(
                proj.VISIT_PLANS,
                pc.visit_plan_key(agent.id, self.today.isoformat()),
                proj.scope_agent(agent.id),
            )
        ]
        out.extend(self.plan(agent, day + timedelta(days=d), shift=1) for d in range(PLAN_DAYS))
        after = day + timedelta(days=1)
        out.extend(
            self.recommendation(o, after, self.args.recommendation_lines)
            for p, o in enumerate(agent.outlets)
            if weekday(p) == after.isoweekday()
        )
        for client in agent.clients:
            if self.rng.random() < DEBT_SHARE:
                client.version += 1
                out += [self.balance(client, day), self.standing(client, day)]
                out.append(self.invoice(client, day))
        return out


def weekday(position: int) -> int:
    """The weekday (1 = Monday … 5 = Friday) an agent's outlet at `position` is visited."""
    return 1 + position % 5


def memberships(agent: Agent) -> frozenset[str]:
    """The agent's scopes as the domain computes them from its route, outlets and clients."""
    return scopes_of(
        agent.id,
        [AGENT],
        routes=[agent.route],
        route_outlets=agent.outlets,
        outlet_clients={o: c.id for c in agent.clients for o in c.outlets},
        client_price_types={c.id: c.price_type for c in agent.clients},
    )


# ------------------------------------------------------------------------ orders: catalog
async def seed_catalog(
    channel: grpc.aio.Channel, skus: int, today: date, metadata: benchkit.Metadata
) -> tuple[Catalog, dict[str, list[Decimal]]]:
    """Products, three price types and one list per type (every product) through orders'
    CatalogService; the lists' prices by type."""
    cat = cs_grpc.CatalogServiceStub(channel)
    units = [
        opb.ProductUnit(code="pcs", name="шт", ratio="1"),
        opb.ProductUnit(code="box", name="коробка", ratio="12"),
    ]
    products: list[str] = []
    for start in range(0, skus, 500):
        batch = [
            opb.Product(
                external_id=f"SKU-{i:05d}",
                sku=f"SKU-{i:05d}",
                name=f"Напиток газированный «Буратино» 0,5 л, вариант {i}",
                barcodes=[f"46{i:011d}"],
                vat_rate="20",
                base_unit="pcs",
                units=units,
                pack_unit="box",
                active=True,
            )
            for i in range(start, min(skus, start + 500))
        ]
        reply = await cat.UpsertProducts(
            cs.UpsertProductsRequest(request_id=str(uuid.uuid4()), products=batch),
            timeout=TIMEOUT,
            metadata=metadata,
        )
        products += [r.id for r in reply.results]
    names = ("Базовая", "Опт", "Сети")
    reply = await cat.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=str(uuid.uuid4()),
            price_types=[
                opb.PriceType(
                    external_id=f"pt-{n}", name=name, currency_code="RUB", vat_included=True
                )
                for n, name in enumerate(names)
            ],
        ),
        timeout=TIMEOUT,
        metadata=metadata,
    )
    types = [r.id for r in reply.results]
    prices: dict[str, list[Decimal]] = {}
    external: dict[str, str] = {}
    lists: dict[str, str] = {}
    rng = random.Random(7)
    for n, type_id in enumerate(types):
        prices[type_id] = [Decimal(rng.randint(1000, 50000)) / 100 for _ in products]
        external[type_id] = f"pl-{n}"
        result = await upsert_price_list(
            cat, type_id, external[type_id], products, prices[type_id], today, metadata
        )
        lists[type_id] = result
    return Catalog(products, types, lists, external), prices


async def upsert_price_list(
    cat: cs_grpc.CatalogServiceStub,
    type_id: str,
    external_id: str,
    products: Sequence[str],
    prices: Sequence[Decimal],
    today: date,
    metadata: benchkit.Metadata,
) -> str:
    """UpsertPriceLists of one list (every entry); the list's id."""
    reply = await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=str(uuid.uuid4()),
            price_lists=[
                opb.PriceList(
                    external_id=external_id,
                    price_type_id=type_id,
                    valid_from=pb_date(today - timedelta(days=30)),
                    entries=[
                        opb.PriceListEntry(product_id=p, price=money(price, "RUB"))
                        for p, price in zip(products, prices, strict=True)
                    ],
                )
            ],
        ),
        timeout=TIMEOUT,
        metadata=metadata,
    )
    return str(reply.results[0].id)


async def count_objects(app: App, section: str) -> int:
    async with app.read_sessions() as session:
        query = select(func.count()).where(fanout_objects.c.section == section)
        return int((await session.execute(query)).scalar_one())


async def wait_for(what: str, check: Callable[[], Awaitable[bool]], within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {within:g} s")
        await asyncio.sleep(0.2)


# ---------------------------------------------------------------------------- loading
async def load_company(app: App, gen: Generator, agents: list[Agent]) -> dict[str, int]:
    """Every agent's items and memberships straight into the store (a transaction per
    `AGENTS_PER_LOAD_CHUNK` agents), and the company's questionnaire; the items each agent's
    own scopes hold."""
    own: dict[str, int] = {}
    started = last = time.perf_counter()
    written = 0
    async with app.uow() as uow:
        seq = await fanout_store.advance_clock(uow.session)
        await fanout_store.put_objects(uow.session, seq, fanout.fanout_items([gen.questionnaire()]))
        await uow.commit()
    for start in range(0, len(agents), AGENTS_PER_LOAD_CHUNK):
        chunk = agents[start : start + AGENTS_PER_LOAD_CHUNK]
        items: list[proj.Item] = []
        for n, agent in enumerate(chunk, start):
            mine = gen.agent_items(agent, n)
            own[agent.id] = len(mine)
            items.extend(mine)
        desired = {a.id: memberships(a) for a in chunk}
        async with app.uow() as uow:
            s = uow.session
            seq = await fanout_store.advance_clock(s)
            result = await fanout_store.put_objects(s, seq, fanout.fanout_items(items))
            await fanout_store.set_memberships_many(s, seq, desired)
            await uow.commit()
        written += result.changed
        if time.perf_counter() - last > 15:
            last = time.perf_counter()
            print(
                f"  … {start + len(chunk):,} of {len(agents):,} agents, {written:,} objects, "
                f"{last - started:.0f} s",
                flush=True,
            )
    return own


async def store_counts(app: App) -> tuple[int, int, int]:
    """Objects, membership rows, the clock's seq."""
    async with app.read_sessions() as session:
        objects = (await session.execute(select(func.count()).select_from(fanout_objects))).scalar()
        members = (await session.execute(select(func.count()).select_from(fanout_members))).scalar()
        seq = (await session.execute(select(fanout_clock.c.seq))).scalar()
    return int(objects or 0), int(members or 0), int(seq or 0)


async def cursor_now(app: App) -> str:
    """A cursor at the store's clock now (what a device holds after a sync now)."""
    async with app.read_sessions() as session:
        clock = await fanout_store.read_clock(session)
    assert clock is not None
    return Cursor(epoch=clock.epoch, seq=clock.seq).encode()


# ------------------------------------------------------------------------------- syncs
@dataclass
class Sync:
    seconds: float
    pages: list[SyncPage]

    @property
    def items(self) -> int:
        return sum(p.items for p in self.pages)

    @property
    def size(self) -> int:
        return sum(len(p.body) for p in self.pages)


class Syncer:
    """`sync_page` as GET /v1/sync calls it, for any agent; a sync is all its pages."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def page(self, agent: str, cursor: str | None, token: str | None) -> SyncPage:
        now = datetime.now(UTC)
        async with self.app.sync_slots.slot():  # as the controller: sync-busy past its wait
            return await sync_page(
                self.app.sync_sessions,
                agent,
                cursor,
                token,
                key=self.app.page_token_key,
                now=now,
                business_date=now.astimezone(TZ).date(),
                shared=self.app.shared_scopes,
            )

    async def sync(self, agent: str, cursor: str | None) -> Sync:
        pages: list[SyncPage] = []
        token: str | None = None
        t0 = time.perf_counter()
        while True:
            page = await self.page(agent, cursor, token)
            pages.append(page)
            token = page.next_page_token
            if token is None:
                break
        return Sync(time.perf_counter() - t0, pages)


# ----------------------------------------------------------------- 1. the full bundle
@dataclass
class BundleRun:
    real: list[float] = field(default_factory=list)  # sync_page, all pages
    real_gzip: list[float] = field(default_factory=list)  # + gzip of each page
    encode: list[float] = field(default_factory=list)  # baseline: msgspec
    encode_gzip: list[float] = field(default_factory=list)  # baseline: msgspec + gzip
    items: list[int] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    raw: list[int] = field(default_factory=list)
    zipped: list[int] = field(default_factory=list)
    gzip: list[float] = field(default_factory=list)  # the pages' gzip at GZIP_LEVEL alone
    gzip6: list[float] = field(default_factory=list)  # … at level 6, for comparison
    zipped6: list[int] = field(default_factory=list)
    identical: bool = True  # the baseline's bytes are the pages' bytes


async def full_bundles(
    syncer: Syncer, agents: Sequence[str], expected: dict[str, int]
) -> BundleRun:
    run = BundleRun()
    for agent in agents:
        sync = await syncer.sync(agent, None)
        if expected and sync.items != expected[agent]:
            raise AssertionError(
                f"agent {agent}: full bundle of {sync.items} items, expected {expected[agent]}"
            )
        bodies = [p.body for p in sync.pages]
        t0 = time.perf_counter()
        zipped = [gzip.compress(b, compresslevel=GZIP_LEVEL) for b in bodies]
        gzip_seconds = time.perf_counter() - t0
        held = [msgspec.json.decode(b) for b in bodies]  # the items in memory
        t0 = time.perf_counter()
        encoded = [msgspec.json.encode(h) for h in held]
        encode_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        for e in encoded:
            gzip.compress(e, compresslevel=GZIP_LEVEL)
        baseline_gzip = time.perf_counter() - t0
        t0 = time.perf_counter()
        zipped6 = [gzip.compress(b, compresslevel=6) for b in bodies]
        run.gzip6.append(time.perf_counter() - t0)
        run.zipped6.append(sum(len(z) for z in zipped6))
        run.gzip.append(gzip_seconds)
        run.identical = run.identical and encoded == bodies
        run.real.append(sync.seconds)
        run.real_gzip.append(sync.seconds + gzip_seconds)
        run.encode.append(encode_seconds)
        run.encode_gzip.append(encode_seconds + baseline_gzip)
        run.items.append(sync.items)
        run.pages.append(len(sync.pages))
        run.raw.append(sync.size)
        run.zipped.append(sum(len(z) for z in zipped))
    return run


async def composition(syncer: Syncer, agent: str) -> str:
    """An agent's full bundle, items and KB by section."""
    sync = await syncer.sync(agent, None)
    counts: collections.Counter[str] = collections.Counter()
    sizes: collections.Counter[str] = collections.Counter()
    for page in sync.pages:
        for section, entries in json.loads(page.body)["sections"].items():
            counts[section] += len(entries)
            sizes[section] += sum(len(json.dumps(e, ensure_ascii=False).encode()) for e in entries)
    return ", ".join(
        f"{name} {counts[name]:,} / {sizes[name] / 1000:,.0f}" for name, _ in sizes.most_common()
    )


# ------------------------------------------------------------------ 2. the empty delta
class Writer:
    """Fan-out writes at `rate` per second on the scopes of `agents` (other agents than the
    measured ones): an order, a balance or a visit per transaction, through `fanout.apply`
    as a consumer writes an event."""

    def __init__(self, app: App, gen: Generator, agents: Sequence[Agent], rate: float) -> None:
        self.app, self.gen, self.agents, self.rate = app, gen, agents, rate
        self.writes = 0
        self.seconds: list[float] = []
        self.stop = asyncio.Event()

    def change(self, n: int) -> fanout.Change:
        agent = self.agents[n % len(self.agents)]
        kind = n % 3
        if kind == 0:
            entry = self.gen.order(agent, self.gen.today)
        elif kind == 1:
            client = self.gen.rng.choice(agent.clients)
            client.version += 1
            entry = self.gen.balance(client, self.gen.today)
        else:
            entry = self.gen.visit(agent, self.gen.today)
        return fanout.Change(items=[entry])

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = 1 / self.rate
        due = loop.time()
        while not self.stop.is_set():
            change = self.change(self.writes)
            t0 = time.perf_counter()
            async with self.app.uow() as uow:
                await fanout.apply(uow.session, change)
                await uow.commit()
            self.seconds.append(time.perf_counter() - t0)
            self.writes += 1
            due += interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), max(0.0, due - loop.time()))


@dataclass
class EmptyRun:
    seconds: list[float]
    writes: int
    seq_span: int  # the clock's advance between the cursors and the last delta
    write_seconds: list[float]
    write_rate: float


async def empty_deltas(
    syncer: Syncer, writer: Writer, quiet: Sequence[str], n: int, profile: cProfile.Profile | None
) -> EmptyRun:
    cursor = await cursor_now(syncer.app)
    first_seq = decode_seq(cursor)
    task = asyncio.create_task(writer.run())
    try:
        await asyncio.sleep(2.0)  # hundreds of foreign commits after the cursors
        started, writes0 = time.perf_counter(), writer.writes
        samples = []
        for i in range(n):
            sync = await syncer.sync(quiet[i % len(quiet)], cursor)
            if sync.items or sync.pages[0].mode != "delta":
                raise AssertionError(f"not an empty delta: {sync.items} items")
            samples.append(sync.seconds)
        elapsed = time.perf_counter() - started
        writes = writer.writes - writes0
        if profile is not None:  # more of them, the writer still running, not in the figures
            profile.enable()
            for i in range(200):
                await syncer.sync(quiet[i % len(quiet)], cursor)
            profile.disable()
    finally:
        writer.stop.set()
        await task
    last_seq = decode_seq(await cursor_now(syncer.app))
    return EmptyRun(samples, writes, last_seq - first_seq, writer.seconds, writes / elapsed)


def decode_seq(cursor: str) -> int:
    return int(cursor.split(".")[2])


# ---------------------------------------------------------------- 3. the morning sync
async def nightly_roll(app: App, gen: Generator, agents: Sequence[Agent]) -> tuple[int, float]:
    """The roll, written as the nightly job would (fanout.apply per chunk of agents); the
    objects it wrote and its time."""
    t0 = time.perf_counter()
    written = 0
    for start in range(0, len(agents), AGENTS_PER_ROLL_CHUNK):
        items: list[proj.Item | proj.Removal] = []
        for agent in agents[start : start + AGENTS_PER_ROLL_CHUNK]:
            items.extend(gen.roll_items(agent))
        async with app.uow() as uow:
            await fanout.apply(uow.session, fanout.Change(items=items))
            await uow.commit()
        written += len(items)
    return written, time.perf_counter() - t0


@dataclass
class MorningRun:
    concurrency: int
    seconds: list[float]
    wall: float
    items: list[int]
    size: list[int]
    errors: collections.Counter[str]

    def failed(self) -> str:
        """The syncs that failed, by exception ("" when none did)."""
        if not self.errors:
            return ""
        return "; failed: " + ", ".join(f"{n} {name}" for name, n in self.errors.items())


async def morning(
    syncer: Syncer, agents: Sequence[str], cursor: str, concurrency: int
) -> MorningRun:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for agent in agents:
        queue.put_nowait(agent)
    seconds: list[float] = []
    items: list[int] = []
    size: list[int] = []

    async def worker() -> None:
        while True:
            try:
                agent = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                sync = await syncer.sync(agent, cursor)
            except Exception as exc:  # e.g. no pool connection within its timeout
                errors[type(exc).__name__] += 1
                continue
            seconds.append(sync.seconds)
            items.append(sync.items)
            size.append(sync.size)

    errors: collections.Counter[str] = collections.Counter()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return MorningRun(concurrency, seconds, time.perf_counter() - t0, items, size, errors)


# ------------------------------------------------------------ 4. a price change for all
class CommitWatch:
    """t1: when the gateway's transaction that wrote a price list's entries has committed,
    seen from its engine (nothing inside the gateway is patched): an executemany INSERT into
    `fanout_objects` of at least `rows` rows marks its connection, and the moment that
    connection goes back to the pool (after its COMMIT) is recorded."""

    def __init__(self, engine: Any, rows: int) -> None:
        self.engine = engine.sync_engine
        self.rows = rows
        self.commits: list[float] = []  # perf_counter when such a transaction committed
        self._marked: set[int] = set()

    def _statement(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if many and len(parameters) >= self.rows and "INTO fanout_objects" in statement:
            self._marked.add(id(conn.connection.dbapi_connection))

    def _checkin(self, dbapi_connection: Any, record: Any) -> None:
        if id(dbapi_connection) in self._marked:
            self._marked.discard(id(dbapi_connection))
            self.commits.append(time.perf_counter())

    def __enter__(self) -> CommitWatch:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine.pool, "checkin", self._checkin)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine.pool, "checkin", self._checkin)


@dataclass
class PriceRun:
    t0: float  # the RPC's answer, from sending it
    t1: float  # from t0
    t2: float  # from t0
    reached: int
    agents: int
    polls: int
    polls_before: float  # polls/s before the change
    served: list[float]  # server time of the deltas that held the change
    alone: float  # one such delta with nothing else running
    delta_items: int
    delta_size: int
    rows: dict[str, int]
    prices_total: int
    errors: collections.Counter[str]


async def price_change(
    env: Env, args: argparse.Namespace, watch: CommitWatch
) -> tuple[PriceRun, str, list[Decimal]]:
    """Pollers for every agent, then the price list of the first price type repriced through
    orders; the run, the pollers' cursor from before the change, the new prices."""
    app, syncer, catalog, agents = env.app, env.syncer, env.catalog, env.ids
    type_id = catalog.price_types[0]
    new_prices = [p + Decimal("1.00") for p in env.prices[type_id]]
    need = len(catalog.products)  # changed prices (the header's body does not change)
    cursor0 = await cursor_now(app)
    done: dict[str, float] = {}
    served: list[float] = []
    sizes: list[tuple[int, int]] = []
    polls = [0]
    errors: collections.Counter[str] = collections.Counter()
    stop, everyone = asyncio.Event(), asyncio.Event()
    rng = random.Random(3)

    async def poller(agent: str) -> None:
        cursor = cursor0
        await asyncio.sleep(rng.random() * args.poll_seconds)
        while not stop.is_set():
            try:
                sync = await syncer.sync(agent, cursor)
            except Exception as exc:  # a device would retry: counted, polled again
                errors[type(exc).__name__] += 1
            else:
                polls[0] += 1
                if sync.items >= need:
                    done[agent] = time.perf_counter()
                    if len(done) == len(agents):
                        everyone.set()
                    served.append(sync.seconds)
                    sizes.append((sync.items, sync.size))
                    return
                cursor = sync.pages[-1].next_cursor or cursor
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.poll_seconds)

    tasks = [asyncio.create_task(poller(a)) for a in agents]
    try:
        await asyncio.sleep(args.poll_seconds * 2)  # every poller polling
        polls_before = polls[0] / (args.poll_seconds * 2)
        t_send = time.perf_counter()
        today = datetime.now(TZ).date()
        await upsert_price_list(
            env.cat,
            type_id,
            catalog.external[type_id],
            catalog.products,
            new_prices,
            today,
            env.admin,
        )
        t0 = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everyone.wait(), args.price_timeout)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    t2 = max(done.values()) if done else float("nan")
    t1 = watch.commits[-1] if watch.commits else float("nan")
    async with app.read_sessions() as session:
        last = select(func.max(fanout_objects.c.seq)).where(fanout_objects.c.section == proj.PRICES)
        seq = (await session.execute(last)).scalar_one()
        query = (
            select(fanout_objects.c.section, func.count())
            .where(fanout_objects.c.seq == seq)
            .group_by(fanout_objects.c.section)
        )
        rows = {str(s): int(c) for s, c in await session.execute(query)}
    alone = (await syncer.sync(agents[-1], cursor0)).seconds
    items, size = sizes[0] if sizes else (0, 0)
    run = PriceRun(
        t0=t0 - t_send,
        t1=t1 - t0,
        t2=t2 - t0,
        reached=len(done),
        agents=len(agents),
        polls=polls[0],
        polls_before=polls_before,
        served=served,
        alone=alone,
        delta_items=items,
        delta_size=size,
        rows=rows,
        prices_total=await count_objects(app, proj.PRICES),
        errors=errors,
    )
    return run, cursor0, new_prices


async def check_new_prices(
    syncer: Syncer, agent: str, cursor: str, catalog: Catalog, new_prices: Sequence[Decimal]
) -> None:
    """The change's delta holds every product's new price of the first list."""
    sync = await syncer.sync(agent, cursor)
    list_id = catalog.price_lists[catalog.price_types[0]]
    want = {p: f"{v:.2f}" for p, v in zip(catalog.products, new_prices, strict=True)}
    got = {}
    for page in sync.pages:
        for entry in json.loads(page.body)["sections"].get(proj.PRICES, []):
            data = entry["data"]
            if data["priceListId"] == list_id:
                got[data["productId"]] = data["price"]["amount"]
    if got != want:
        missing = sum(1 for p in want if got.get(p) != want[p])
        raise AssertionError(f"the change's delta lacks {missing} of {len(want)} new prices")


# ------------------------------------------------------------------------------ report
@dataclass
class Verdict:
    name: str
    figure: str
    target: str
    ok: bool | None  # None: reported, no target


def print_table(verdicts: Sequence[Verdict]) -> None:
    w1 = max(len(v.name) for v in verdicts)
    w2 = max(len(v.figure) for v in verdicts)
    w3 = max(len(v.target) for v in verdicts)
    print(f"\n{'figure':<{w1}}  {'measured':<{w2}}  {'target':<{w3}}  verdict")
    print("-" * (w1 + w2 + w3 + 14))
    for v in verdicts:
        verdict = "—" if v.ok is None else ("PASS" if v.ok else "FAIL")
        print(f"{v.name:<{w1}}  {v.figure:<{w2}}  {v.target:<{w3}}  {verdict}")


def profiled(title: str, profile: cProfile.Profile | None) -> None:
    if profile is None:
        return
    print(f"\n== cProfile: {title}, top 25 by own time ==")
    print(benchkit.profile_report(profile))


# -------------------------------------------------------------------------- environment
def write_key(directory: Path, name: str) -> str:
    path = directory / f"{name}.pem"
    path.write_bytes(private_pem(generate_signing_key()))
    path.chmod(0o600)
    return str(path)


@contextlib.asynccontextmanager
async def orders_consumer(app: App, nats_url: str) -> AsyncIterator[None]:
    """The gateway's `gateway-orders-fanout` consumer, as `serve` runs it."""
    nc = await connect(nats_url, "device-gateway")
    consumer = sales_consumers.build_orders_consumer(app, nc)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await nc.drain()


@dataclass
class Env:
    """A loaded company: the gateway (its app, a syncer), orders' catalog client."""

    app: App
    syncer: Syncer
    cat: cs_grpc.CatalogServiceStub
    admin: benchkit.Metadata
    catalog: Catalog
    prices: dict[str, list[Decimal]]
    gen: Generator
    agents: list[Agent]
    expected: dict[str, int]

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.agents]


@contextlib.asynccontextmanager
async def environment(args: argparse.Namespace, tmp: Path) -> AsyncIterator[Env]:
    """NATS, orders and the gateway (its app and orders consumer) on throwaway databases,
    the company loaded."""
    today = datetime.now(TZ).date()
    auth = benchkit.BenchAuth.generate(tmp, services=("orders",))
    admin = auth.metadata_for(ADMIN)
    async with contextlib.AsyncExitStack() as stack:
        nats_url = await stack.enter_async_context(benchkit.embedded_nats(tmp))
        o_url = await stack.enter_async_context(
            benchkit.database(args.postgres, tmp / "orders.sqlite3", label="orders")
        )
        g_url = await stack.enter_async_context(
            benchkit.database(args.postgres, tmp / "gateway.sqlite3", label="gateway")
        )
        print(f"gateway database: {make_url(g_url).render_as_string(hide_password=True)}")
        await upgrade_async(o_url, ORDERS_MIGRATIONS)
        await upgrade_async(g_url, GATEWAY_MIGRATIONS)
        o_process, _ = await ORDERS.build(
            OrdersSettings(
                database_url=o_url,
                nats_url=nats_url,
                settlements_target="127.0.0.1:9",  # no order is submitted here
                credit_recheck_seconds=0,
                service_signing_key=auth.service_key("orders"),
                **benchkit.LOCAL_SERVICE,
                **auth.settings(),
            )
        )
        await stack.enter_async_context(benchkit.running(o_process))
        orders_target = f"127.0.0.1:{o_process.grpc_port}"
        settings = GatewaySettings(
            database_url=g_url,
            nats_url=nats_url,
            token_signing_keys=(write_key(tmp, "device-tokens"),),
            service_signing_key=write_key(tmp, "gateway-service"),
            clients_target="127.0.0.1:9",  # never called: no refetch, no bulk build here
            orders_target=orders_target,
            settlements_target="127.0.0.1:9",
            data_dir=str(tmp / "gateway"),
            http_host="127.0.0.1",
            http_port=0,
            **benchkit.LOCAL_SERVICE,
            **auth.settings(),
        )
        validate_gateway(settings)
        app = gateway_bootstrap(settings)
        stack.push_async_callback(app.close)
        await stack.enter_async_context(orders_consumer(app, nats_url))
        channel = await stack.enter_async_context(
            grpc.aio.insecure_channel(orders_target, options=benchkit.CHANNEL_OPTIONS)
        )

        t0 = time.perf_counter()
        catalog, prices = await seed_catalog(channel, args.skus, today, admin)
        want_prices = len(catalog.price_types) * args.skus

        async def catalog_in_store() -> bool:
            return (
                await count_objects(app, proj.PRICES) >= want_prices
                and await count_objects(app, proj.PRODUCTS) >= args.skus
            )

        await wait_for("the catalog reaching the sync store", catalog_in_store, 600)
        print(
            f"catalog through orders and the gateway's consumer: {args.skus:,} products, 3 "
            f"price types, {want_prices:,} prices, {time.perf_counter() - t0:.1f} s"
        )
        gen = Generator(args, catalog, today)
        agents = gen.agents()
        t0 = time.perf_counter()
        own = await load_company(app, gen, agents)
        objects, members, _ = await store_counts(app)
        print(
            f"company into the store: {objects:,} objects, {members:,} membership rows, "
            f"{time.perf_counter() - t0:.1f} s"
        )
        shared = args.skus + 1  # products, the questionnaire
        expected = {
            a.id: own[a.id] + shared + len(a.price_types()) * (args.skus + 2) for a in agents
        }
        statistics_line = await stack.enter_async_context(
            benchkit.statistics_kept([g_url], args.analyze_every)
        )
        if statistics_line:
            print(statistics_line)
        tune_gc()  # as `serve` does once ready: what is alive now is frozen
        yield Env(
            app,
            Syncer(app),
            cs_grpc.CatalogServiceStub(channel),
            admin,
            catalog,
            prices,
            gen,
            agents,
            expected,
        )


# ---------------------------------------------------------------------------- measures
def new_profile(args: argparse.Namespace) -> cProfile.Profile | None:
    return cProfile.Profile() if args.profile else None


async def measure_bundle(env: Env, args: argparse.Namespace) -> list[Verdict]:
    ids = env.ids
    step = max(1, len(ids) // args.bundles)
    sample = ids[::step][: args.bundles]
    first = await full_bundles(env.syncer, sample, env.expected)
    second = await full_bundles(env.syncer, sample, env.expected)
    profile = new_profile(args)
    if profile is not None:
        profile.enable()
        await full_bundles(env.syncer, sample[:5], env.expected)
        profile.disable()
    print(
        f"\n1. full bundle, {len(sample)} agents: {statistics.median(first.pages):.0f} pages, "
        f"{statistics.median(first.items):,.0f} items, {mb(statistics.median(first.raw))} raw, "
        f"{mb(statistics.median(first.zipped))} gzip-{GZIP_LEVEL} (p50)"
    )
    for label, r in (("first read", first), ("second read", second)):
        print(
            f"   {label:<12} sync_page p50 {ms(statistics.median(r.real))} ms "
            f"(p99 {ms(pct(r.real, 99))}), +gzip {ms(statistics.median(r.real_gzip))} ms; "
            f"baseline msgspec {ms(statistics.median(r.encode))} ms, "
            f"+gzip {ms(statistics.median(r.encode_gzip))} ms"
        )
    print(f"   baseline bytes identical to the pages': {'yes' if first.identical else 'NO'}")
    print(
        f"   the pages' gzip alone: level {GZIP_LEVEL} {ms(statistics.median(first.gzip))} ms, "
        f"{mb(statistics.median(first.zipped))}; level 6 {ms(statistics.median(first.gzip6))} ms, "
        f"{mb(statistics.median(first.zipped6))} (p50)"
    )
    print(f"   one bundle by section (items, KB): {await composition(env.syncer, sample[0])}")
    real = statistics.median(first.real)
    base = statistics.median(first.encode_gzip)
    like = statistics.median(first.real_gzip)
    ratio = like / base
    strict = real / statistics.median(first.encode)
    print(
        f"   ratios, p50 of first reads: (sync_page + gzip) / (msgspec + gzip) {ratio:.2f}× "
        f"[the target's]; sync_page / (msgspec + gzip) {real / base:.2f}×; sync_page / msgspec "
        f"{strict:.0f}×; per item: sync_page "
        f"{real / statistics.median(first.items) * 1e6:.0f} µs, msgspec "
        f"{statistics.median(first.encode) / statistics.median(first.items) * 1e6:.2f} µs"
    )
    profiled("5 full bundles", profile)
    return [
        Verdict(
            f"1. full bundle, p50 of {len(sample)} first syncs",
            f"{ms(like)} ms vs baseline {ms(base)} ms = {ratio:.2f}×",
            f"≤ {BUNDLE_RATIO_TARGET:g}× baseline",
            ratio <= BUNDLE_RATIO_TARGET,
        )
    ]


async def measure_empty_delta(env: Env, args: argparse.Namespace) -> list[Verdict]:
    half = max(1, len(env.agents) // 2)
    quiet = env.ids[:half]
    cursor = await cursor_now(env.app)
    alone = []
    for i in range(min(200, args.empty_deltas)):
        alone.append((await env.syncer.sync(quiet[i % len(quiet)], cursor)).seconds)
    writer = Writer(env.app, env.gen, env.agents[half:], args.write_rate)
    profile = new_profile(args)
    empty = await empty_deltas(env.syncer, writer, quiet, args.empty_deltas, profile)
    p50 = statistics.median(empty.seconds)
    print(
        f"\n2. empty delta: {len(empty.seconds)} sequential deltas of "
        f"{min(half, len(empty.seconds))} agents while {empty.write_rate:.0f} fan-out writes/s "
        f"commit on the other {len(env.agents) - half} agents' scopes (a delta spans up to "
        f"{empty.seq_span} foreign commits): p50 {ms(p50)} ms, p90 {ms(pct(empty.seconds, 90))}, "
        f"p99 {ms(pct(empty.seconds, 99))} ms; a write transaction p50 "
        f"{ms(statistics.median(empty.write_seconds))} ms"
    )
    print(
        f"   the same deltas with no writer (before it started): p50 "
        f"{ms(statistics.median(alone))} ms, p99 {ms(pct(alone, 99))} ms"
    )
    profiled("200 empty deltas", profile)
    return [
        Verdict(
            "2. empty delta, p50",
            f"{ms(p50)} ms (p99 {ms(pct(empty.seconds, 99))}; no writer {ms(statistics.median(alone))})",
            f"< {EMPTY_DELTA_TARGET * 1000:g} ms",
            p50 < EMPTY_DELTA_TARGET,
        )
    ]


async def measure_morning(env: Env, args: argparse.Namespace) -> list[Verdict]:
    before_roll = await cursor_now(env.app)
    written, roll_seconds = await nightly_roll(env.app, env.gen, env.agents)
    chunks = -(-len(env.agents) // AGENTS_PER_ROLL_CHUNK)
    print(
        f"\n3. nightly roll: {written:,} objects written in {roll_seconds:.1f} s ({chunks} "
        "transactions); then every agent's delta from before it (in-process sync_page, all "
        "pages)"
    )
    verdicts = []
    for level in args.concurrency:
        m = await morning(env.syncer, env.ids, before_roll, level)
        rate = len(m.seconds) / m.wall
        print(
            f"   concurrency {level:>3}: {rate:,.0f} syncs/s, p50 "
            f"{ms(statistics.median(m.seconds))} ms, p99 {ms(pct(m.seconds, 99))} ms, "
            f"{m.wall:.1f} s for {len(m.seconds):,}; a delta {statistics.median(m.items):.0f} "
            f"items, {statistics.median(m.size) / 1000:.0f} KB (p50){m.failed()}"
        )
        verdicts.append(
            Verdict(
                f"3. morning sync, concurrency {level}",
                f"{rate:,.0f} syncs/s, p99 {ms(pct(m.seconds, 99))} ms",
                "reported (in-process)",
                None,
            )
        )
    return verdicts


async def measure_price_change(env: Env, args: argparse.Namespace) -> list[Verdict]:
    ids = env.ids
    with CommitWatch(env.app.engine, args.skus) as watch:
        p, cursor0, new_prices = await price_change(env, args, watch)
    await check_new_prices(env.syncer, ids[0], cursor0, env.catalog, new_prices)
    served = p.served or [float("nan")]
    print(
        f"\n4. price change: {args.skus:,} prices of the price type all {p.agents:,} agents "
        f"hold; {p.agents:,} pollers (a delta, then a {args.poll_seconds:g} s pause; "
        f"{p.polls_before:,.0f} polls/s before the change)"
    )
    print(
        f"   UpsertPriceLists answered in {p.t0:.2f} s; after it: t1 (fan-out commit) "
        f"+{p.t1:.2f} s, t2 (the last agent's delta with the prices) +{p.t2:.2f} s; "
        f"{p.reached:,} of {p.agents:,} agents reached"
    )
    if p.errors:
        print(f"   failed polls: {dict(p.errors)}")
    print(
        f"   a delta with the change: {p.delta_items:,} items, {p.delta_size / 1000:.0f} KB; "
        f"server time p50 {ms(statistics.median(served))} ms, p99 {ms(pct(served, 99))} ms; "
        f"the same delta alone afterwards: {ms(p.alone)} ms"
    )
    print(
        f"   rows the change's transaction wrote: {p.rows}; prices in the store: "
        f"{p.prices_total:,} (3 lists × {args.skus:,})"
    )
    level = BURST_CONCURRENCY
    burst = await morning(env.syncer, ids, cursor0, level)
    print(
        f"   the change's delta for every agent again, {level} at a time, nothing else running: "
        f"{burst.wall:.1f} s for {len(burst.seconds):,} ({len(burst.seconds) / burst.wall:,.1f}/s, "
        f"p50 {ms(statistics.median(burst.seconds))} ms){burst.failed()}: the least t2 − t1 "
        "could be in one process"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for agent in ids[:50]:
            await env.syncer.sync(agent, cursor0)
        profile.disable()
        profiled("50 deltas carrying the price change", profile)
    reached = p.reached == p.agents
    rows = p.rows.get(proj.PRICES, 0)
    others = sum(n for s, n in p.rows.items() if s not in (proj.PRICES, proj.PRICE_LISTS))
    return [
        Verdict(
            "4. price change visible to all, t1 − t0",
            f"{p.t1:.2f} s"
            + ("" if reached else f"; {p.reached:,} of {p.agents:,} agents' deltas held it"),
            f"< {PRICE_CHANGE_TARGET:g} s",
            reached and p.t1 < PRICE_CHANGE_TARGET,
        ),
        Verdict(
            "4. every polling device holding it, t2 − t0",
            f"{p.t2:.2f} s ({p.polls_before:,.0f} polls/s asked before the change)",
            "reported",
            None,
        ),
        Verdict(
            "4. fanout_objects rows of the change",
            f"{rows:,} prices, {p.rows.get(proj.PRICE_LISTS, 0)} list header",
            f"{args.skus:,}, not {args.skus * p.agents:,}",
            rows == args.skus and others == 0,
        ),
    ]


# -------------------------------------------------------------------------------- main
async def machine(postgres: str | None) -> str:
    """What the figures depend on: cores, load, Python, the database's version."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    facts = f"{os.cpu_count()} cores, load average {load}; Python {platform.python_version()}"
    return f"{facts}; {await benchkit.database_version(postgres)}"


async def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    db = "PostgreSQL" if args.postgres else "SQLite"
    print("== Fieldline device gateway: sync store bench (issue 13) ==")
    print(
        f"company: {args.agents:,} agents × {args.outlets} outlets, {args.skus:,} SKUs, three "
        f"price types; {db}; business day {datetime.now(TZ).date()}"
    )
    print(f"machine: {await machine(args.postgres)}")
    verdicts: list[Verdict] = []
    with tempfile.TemporaryDirectory(prefix="fl-gateway-bench-") as tmp_name:
        async with environment(args, Path(tmp_name)) as env:
            for measure in (
                measure_bundle,
                measure_empty_delta,
                measure_morning,
                measure_price_change,
            ):
                verdicts += await measure(env, args)
    print_table(verdicts)
    failed = [v.name for v in verdicts if v.ok is False]
    outcome = f"{len(failed)} target(s) missed" if failed else "every target met"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nrun: {time.perf_counter() - started:.0f} s, {db}; load average now {load}; {outcome}")
    return 1 if failed and args.check else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    benchkit.add_postgres_argument(parser)
    benchkit.add_analyze_argument(parser)
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--outlets", type=int, default=300, help="outlets per agent")
    parser.add_argument("--skus", type=int, default=3000)
    parser.add_argument("--visits", type=int, default=40, help="recent visits per agent")
    parser.add_argument("--orders", type=int, default=10, help="recent orders per agent")
    parser.add_argument(
        "--recommendation-lines", type=int, default=5, help="lines per recommended order"
    )
    parser.add_argument("--bundles", type=int, default=50, help="agents of measure 1")
    parser.add_argument("--empty-deltas", type=int, default=500, help="deltas of measure 2")
    parser.add_argument(
        "--write-rate", type=float, default=50.0, help="background fan-out writes/s (measure 2)"
    )
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[50, 200],
        help="morning sync levels, comma-separated (measure 3)",
    )
    parser.add_argument(
        "--poll-seconds",
        type=float,
        default=1.0,
        help="pause between an agent's deltas while waiting for the price change (measure 4)",
    )
    parser.add_argument(
        "--price-timeout", type=float, default=900.0, help="give up measure 4 after this long"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile", action="store_true", help="cProfile reports (see above)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.agents < 2 or args.outlets < 1 or args.skus < 10:
        parser.error("need at least 2 agents, 1 outlet each and 10 SKUs")
    configure_logging("bench", "warning", "console")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
