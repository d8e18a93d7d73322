"""Recommended orders benchmark: ListRecommendedOrders of a 300-outlet agent vs an empty RPC.

    .venv/bin/python bench/orders_recommendation_bench.py [--postgres URL] [--runs 15]
        [--outlets 300 --products 3000 --weeks 8 --other-agents 4] [--profile]

Creates a fresh database (a SQLite file in a temporary directory, or a throwaway PostgreSQL
database `fl_bench_<hex>` on the server of --postgres, dropped at the end), migrates it, and
loads it with the orders service's own bulk load (`fieldline_orders.entrypoints.bulk_load`,
in this process), from public messages:

- a catalog of --products products (packs of 1, 6, 12 or 24): UpsertProductsRequests;
- the bench agent's --outlets outlets, plus --other-agents agents with as many outlets each
  (their history makes the tables realistically large), with active outlets, weekly /
  fortnightly / four-weekly route assignments and a latest audit of 20 must-stock SKUs each
  (about a third reported absent, the rest with shelf counts): the clients context's events
  (OutletCreated, RouteAssignmentChanged, AuditSubmitted), which the load applies as the
  feed consumer does;
- --weeks weeks of delivered orders: one a week per outlet, --lines lines each, drawn from an
  assortment of --assortment products per outlet: Order resources, imported as history.

It then serves OrdersService in this process through the kit's `create_server` (the service's
OrdersServicer, its access policy and employee directory, checked as `SPEC.build` wires them)
and, from the same process, measures over a real gRPC channel:

1. ListRecommendedOrders(bench agent, date);
2. an "empty" RPC of the same response size: a generic handler on a second server from the
   same `create_server` (same interceptor) returning the pre-serialized real response, so
   transport, HTTP/2 framing and the interceptor cost the same and only the service's own work
   differs.

Both use identity (de)serializers, so client-side parsing is in neither figure. Each RPC:
warm-up, then --runs sequential calls → median (the figure compared to the 1 s target), min,
max. With --profile (or when the target is missed) the server-side steps are timed one by one
and one call is profiled with cProfile.

Identity (issue 11): the server checks tokens as deployed (benchkit.BenchAuth: a test issuer's
JWKS as ORDERS_AUTH_JWKS). Every call is the bench agent's (role AGENT, the same
`authorization` metadata on every call, to the empty RPC too), asking for its own routes'
recommendations. The real RPC therefore includes the token's verification (and the employee
directory's check: the bench agent is unknown to orders' feed of employees, so its token is
taken at its word); the empty RPC verifies nothing. What one verification costs alone (p50)
is printed beside the result.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from sqlalchemy.engine import make_url

import benchkit
from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as clients
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as pb
from fieldline.orders.v1 import orders_service_pb2_grpc as orders_grpc
from fieldline.orders.v1 import resources_pb2 as pb_res
from fieldline_kit.auth import grpc_auth
from fieldline_kit.grpc.convert import pb_date, set_money, ts
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.logging import configure_logging
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.roles import AGENT
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.bootstrap import App, bootstrap
from fieldline_orders.domain.recommendation import Catalog, OutletRecommendation, recommend
from fieldline_orders.entrypoints.bulk_load import bulk_load
from fieldline_orders.entrypoints.main import MIGRATIONS, employee_directory
from fieldline_orders.entrypoints.orders_api import OrdersServicer
from fieldline_orders.entrypoints.policy import POLICY
from fieldline_orders.settings import PREFIX, OrdersSettings

LIST_METHOD = "/fieldline.orders.v1.OrdersService/ListRecommendedOrders"
TARGET_SECONDS = 1.0
DAY = date(2024, 5, 13)  # a Monday
NOW = datetime(2024, 5, 13, 6, 0, tzinfo=UTC)
PACKS = ("1", "6", "12", "24")
PRICE = Decimal("55.90")  # per piece, VAT included
CENT = Decimal("0.01")
# weeks between visiting weeks → the clients context's VisitFrequency
FREQUENCIES = {
    1: clients.VISIT_FREQUENCY_WEEKLY,
    2: clients.VISIT_FREQUENCY_EVERY_2_WEEKS,
    4: clients.VISIT_FREQUENCY_EVERY_4_WEEKS,
}
TIMEOUT = 120.0  # seconds, per call


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f}"


def median(samples: list[float]) -> float:
    ordered = sorted(samples)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def event(message: Message, version: int) -> EventEnvelope:
    """A clients event as the clients outbox relay publishes it (its id not from the seed)."""
    payload = any_pb2.Any()
    payload.Pack(message)
    return EventEnvelope(
        event_id=str(uuid.uuid4()), occurred_at=ts(NOW), aggregate_version=version, payload=payload
    )


def product(product_id: str, n: int, pack: str) -> pb_res.Product:
    sku = f"SKU-{n:05d}"
    return pb_res.Product(
        id=product_id,
        external_id=f"erp-{n:05d}",
        sku=sku,
        name=f"Товар {n}",
        barcodes=[f"46{n:011d}"],
        vat_rate="20",
        base_unit="pcs",
        units=[
            pb_res.ProductUnit(code="pcs", name="Штука", ratio="1"),
            pb_res.ProductUnit(code="box", name="Коробка", ratio=pack),
        ],
        pack_unit="box" if pack != "1" else "pcs",
        active=True,
    )


def delivered_order(
    order_id: str, outlet_id: str, client_id: str, agent_id: str, day: date
) -> pb_res.Order:
    return pb_res.Order(
        id=order_id,
        kind=pb_res.ORDER_KIND_PRE_SALE,
        status=pb_res.ORDER_STATUS_DELIVERED,
        client_id=client_id,
        outlet_id=outlet_id,
        agent_id=agent_id,
        order_date=pb_date(day),
        delivery_date=pb_date(day + timedelta(days=1)),
        currency_code="RUB",
        credit=pb_res.CreditDecision(outcome=pb_res.CREDIT_OUTCOME_ALLOW),
        create_time=ts(NOW),
        update_time=ts(NOW),
    )


def add_line(order: pb_res.Order, product_id: str, quantity: int) -> None:
    """A line of `quantity` pieces at PRICE, VAT included, delivered in full."""
    gross = PRICE * quantity
    vat = (gross * 20 / 120).quantize(CENT, ROUND_HALF_UP)
    q = str(quantity)
    line = order.lines.add(
        product_id=product_id,
        unit="pcs",
        quantity=q,
        base_quantity=q,
        price_source="bench",
        vat_rate="20",
        delivered_base_quantity=q,
    )
    set_money(line.unit_price, PRICE, "RUB")
    set_money(line.net_amount, gross - vat, "RUB")
    set_money(line.vat_amount, vat, "RUB")
    set_money(line.gross_amount, gross, "RUB")


def company(args: argparse.Namespace, agents: list[str]) -> Iterator[Message]:
    """The bench's data as public messages, in the orders service's bulk-load file order: the
    catalog (UpsertProducts), then per agent its outlets, route assignments and latest audits
    as the clients context's events, and --weeks of delivered orders of each outlet."""
    rng = random.Random(args.seed)
    products: list[tuple[str, str]] = []
    catalog = []
    for n in range(args.products):
        product_id = uid(rng)
        pack = rng.choice(PACKS)
        products.append((product_id, f"SKU-{n:05d}"))
        catalog.append(product(product_id, n, pack))
    for start in range(0, len(catalog), 500):
        yield cs.UpsertProductsRequest(products=catalog[start : start + 500])
    agents.extend(uid(rng) for _ in range(1 + args.other_agents))
    frequencies = (1, 1, 1, 2, 4)  # mostly weekly
    for agent_id in agents:
        route_id = uid(rng)
        for n in range(args.outlets):
            outlet_id, client_id = uid(rng), uid(rng)
            outlet = clients.Outlet(
                id=outlet_id, client_id=client_id, status=clients.OUTLET_STATUS_ACTIVE, version=1
            )
            yield event(ev.OutletCreated(outlet=outlet), 1)
            assignment = clients.RouteAssignment(
                route_id=route_id,
                outlet_id=outlet_id,
                frequency=FREQUENCIES[rng.choice(frequencies)],
                weekdays=[1 + n % 5],
                start_date=pb_date(date(2024, 1, 1)),
                sequence=n,
            )
            changed = ev.RouteAssignmentChanged(assignment=assignment, agent_id=agent_id)
            yield event(changed, n + 1)
            assortment = rng.sample(products, args.assortment)
            audit = clients.Audit(id=uid(rng), outlet_id=outlet_id)
            audit.submit_time.CopyFrom(ts(NOW - timedelta(days=rng.randint(1, 14))))
            # must-stock list: some SKUs the outlet buys, some it never bought
            audited = dict.fromkeys(sku for _, sku in assortment[:12] + rng.sample(products, 8))
            for sku in audited:
                present = rng.random() > 0.33
                audit.must_stock.add(
                    sku=sku,
                    present=present,
                    facings=2 if present else 0,
                    shelf_quantity=str(rng.randint(0, 30)) if present else "",
                )
            yield event(ev.AuditSubmitted(audit=audit), 1)
            for week in range(args.weeks):
                day = DAY - timedelta(days=7 * week + 1 + n % 5)
                order = delivered_order(uid(rng), outlet_id, client_id, agent_id, day)
                for product_id, _ in rng.sample(assortment, args.lines):
                    add_line(order, product_id, rng.randint(1, 48))
                yield order


async def load(url: str, args: argparse.Namespace) -> str:
    """Seed the empty database through the orders service's bulk load; the bench agent's id."""
    agents: list[str] = []
    counts = await bulk_load(url, company(args, agents), clock=lambda: NOW)
    print("loaded: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    return agents[0]


# -------------------------------------------------------------------------------- servers
@contextlib.asynccontextmanager
async def orders_server(app: App) -> AsyncIterator[tuple[str, str]]:
    """OrdersService with the auth check `SPEC.build` gives it: the settings' JWKS and issuers,
    the policy, the employee directory."""
    cls = OrdersServicer

    def register(server: grpc.aio.Server) -> list[str]:
        orders_grpc.add_OrdersServiceServicer_to_server(cls(app), server)
        return [pb.DESCRIPTOR.services_by_name["OrdersService"].full_name]

    auth = grpc_auth.from_settings(app.settings, POLICY, PREFIX)
    assert auth is not None
    auth.directory = employee_directory(app)
    server: GrpcServer = await create_server("orders", "127.0.0.1", 0, register, auth)
    await server.start()
    await server.mark_serving()
    try:
        yield f"127.0.0.1:{server.port}", f"{cls.__module__}.{cls.__qualname__}"
    finally:
        await server.stop(1.0)


async def measure(
    call: Callable[[bytes], Awaitable[bytes]], request: bytes, runs: int, warmup: int
) -> tuple[list[float], bytes]:
    response = b""
    for _ in range(warmup):
        response = await call(request)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = await call(request)
        samples.append(time.perf_counter() - t0)
    return samples, response


# ------------------------------------------------------------------------------ breakdown
async def breakdown(app: App, agent_id: str, runs: int = 5) -> list[tuple[str, float]]:
    """Median wall time of each server-side step of one ListRecommendedOrders."""
    policy = app.recommendation_policy

    async def timed(step: Callable[[], Awaitable[Any]]) -> float:
        return median(await benchkit.timings(step, runs))

    async with app.read_uow() as uow:
        reads = uow.feed_reads
        route = await reads.agent_outlets(agent_id)
        history = await reads.sales_history(route.outlet_ids, DAY, policy.window_days)
        checks = await reads.shelf_checks(route.outlet_ids)
        ids = {p for sold in history.values() for p in sold}
        skus = {c.sku for cs in checks.values() for c in cs if not c.present}
        catalog = Catalog.of(await reads.packs(ids, skus))

    async def q_outlets() -> None:
        async with app.read_uow() as uow:
            await uow.feed_reads.agent_outlets(agent_id)

    async def q_history() -> None:
        async with app.read_uow() as uow:
            await uow.feed_reads.sales_history(route.outlet_ids, DAY, policy.window_days)

    async def q_checks() -> None:
        async with app.read_uow() as uow:
            await uow.feed_reads.shelf_checks(route.outlet_ids)

    async def q_packs() -> None:
        async with app.read_uow() as uow:
            await uow.feed_reads.packs(ids, skus)

    results: list[Any] = []

    async def compute() -> None:
        results[:] = [
            OutletRecommendation(
                oid,
                DAY,
                recommend(
                    DAY,
                    policy,
                    sold=history.get(oid, {}),
                    catalog=catalog,
                    shelf=checks.get(oid, []),
                    schedules=route.schedules.get(oid, []),
                ),
            )
            for oid in route.outlet_ids
        ]

    async def to_proto() -> None:
        pb.ListRecommendedOrdersResponse(
            recommendations=[m.recommendation_pb(r) for r in results]
        ).SerializeToString()

    lines = sum(len(sold) for sold in history.values())
    return [
        (f"agent's outlets + schedules ({len(route.outlet_ids)} outlets)", await timed(q_outlets)),
        (f"sales history GROUP BY outlet, product ({lines} pairs)", await timed(q_history)),
        ("shelf checks of the latest audits", await timed(q_checks)),
        (f"products: packs of {len(catalog.by_id)} sold or audited", await timed(q_packs)),
        ("algorithm for every outlet (Decimal, formulas)", await timed(compute)),
        ("domain -> proto + SerializeToString", await timed(to_proto)),
    ]


# ------------------------------------------------------------------------------------ main
async def run(args: argparse.Namespace) -> int:
    print("== Fieldline orders: recommended orders bench ==")
    print(
        f"bench agent: {args.outlets} outlets; {args.other_agents} other agents alike; catalog "
        f"{args.products:,} products; {args.weeks} weeks of weekly orders, {args.lines} lines "
        f"each from {args.assortment} products per outlet; date {DAY}"
    )
    with tempfile.TemporaryDirectory(prefix="fl-bench-") as tmp_name:
        sqlite_path = Path(tmp_name) / "orders-bench.sqlite3"
        auth = benchkit.BenchAuth.generate(Path(tmp_name), services=("orders",))
        async with benchkit.database(args.postgres, sqlite_path) as url:
            print(f"database: {make_url(url).render_as_string(hide_password=True)}")
            await upgrade_async(url, MIGRATIONS)
            t0 = time.perf_counter()
            agent_id = await load(url, args)
            print(f"bulk load: {time.perf_counter() - t0:.1f} s")
            settings = OrdersSettings(
                database_url=url,
                nats_url="nats://127.0.0.1:9",  # no NATS needed: nothing is published here
                settlements_target="127.0.0.1:9",
                service_signing_key=auth.service_key("orders"),  # as auth on requires
                **benchkit.LOCAL_SERVICE,
                **auth.settings(),
            )
            app = bootstrap(settings, clock=lambda: NOW)
            try:
                return await bench(app, auth, agent_id, args)
            finally:
                await app.close()
    raise AssertionError("unreachable")


async def bench(app: App, auth: benchkit.BenchAuth, agent_id: str, args: argparse.Namespace) -> int:
    payload: list[bytes] = [b""]
    request = pb.ListRecommendedOrdersRequest(agent_id=agent_id, date=pb_date(DAY))
    body = request.SerializeToString()
    agent_token = auth.token(agent_id, [AGENT])
    metadata = benchkit.bearer(agent_token)  # every call is the bench agent's
    async with (
        orders_server(app) as (target, servicer),
        benchkit.empty_server({"List": lambda: payload[0]}) as empty,  # set once measured
        grpc.aio.insecure_channel(target, options=benchkit.CHANNEL_OPTIONS) as real_ch,
        grpc.aio.insecure_channel(empty, options=benchkit.CHANNEL_OPTIONS) as empty_ch,
    ):
        print(f"OrdersService ({servicer}) at {target}; empty-RPC server at {empty}")
        print(
            f"calls as the bench agent (role {AGENT}, bearer token); the service checks it, "
            "the empty RPC does not"
        )
        verification = await auth.verification_cost(token=agent_token)
        call = benchkit.raw(real_ch, LIST_METHOD, TIMEOUT, metadata)
        real, response = await measure(call, body, args.runs, args.warmup)
        payload[0] = response
        empty_call = benchkit.raw(empty_ch, f"/{benchkit.EMPTY_SERVICE}/List", TIMEOUT, metadata)
        fake, echoed = await measure(empty_call, body, args.runs, args.warmup)
        assert echoed == response
        decoded = pb.ListRecommendedOrdersResponse.FromString(response)
        outlets = len(decoded.recommendations)
        lines = sum(len(r.lines) for r in decoded.recommendations)
        must = sum(
            1
            for r in decoded.recommendations
            for line in r.lines
            if line.reason == pb.RECOMMENDATION_REASON_MUST_STOCK
        )
        if outlets != args.outlets:
            raise SystemExit(f"expected {args.outlets} outlets, got {outlets}")
        print(
            f"response: {outlets} outlets, {lines:,} lines ({must:,} must-stock), "
            f"{len(response):,} bytes"
        )
        sample = decoded.recommendations[0].lines[0] if lines else None
        if sample is not None:
            print(f"e.g. {sample.explanation.formula}")
        print(f"\n{args.runs} sequential calls each after {args.warmup} warm-up (ms):")
        header = f"{'RPC':<40}{'median':>10}{'min':>10}{'max':>10}"
        print(header)
        print("-" * len(header))
        for label, samples in (
            ("ListRecommendedOrders", real),
            ("empty RPC, same response bytes", fake),
        ):
            print(f"{label:<40}{ms(median(samples))} {ms(min(samples))} {ms(max(samples))}")
        ratio = median(real) / median(fake)
        print(f"{'ratio real/empty (median)':<40}{ratio:>9.1f}x")
        print(
            f"{'  token check (in real)':<40}{verification.p50 * 1000:9.3f}  p50 of a full "
            f"check, {verification.p50 / median(real) * 100:.2f} % of the real median "
            f"({verification.remembered_micros / 1000:.4f} remembered)"
        )
        met = median(real) < TARGET_SECONDS
        print(
            f"\ntarget: ListRecommendedOrders for {args.outlets} outlets under "
            f"{TARGET_SECONDS:.0f} s: median {median(real) * 1000:.0f} ms -> "
            f"{'MET' if met else 'MISSED'}"
        )
        print(verification.line())
        print("      the real RPC includes it; the empty RPC verifies nothing")
        if not met or args.profile:
            print("\n== server-side steps (median of 5 runs each, ms) ==")
            for name, seconds in await breakdown(app, agent_id):
                print(f"  {name:<62}{ms(seconds)}")
            print(f"  {'empty RPC of the same size':<62}{ms(median(fake))}")
            name = f"token verification (p50 of {len(verification.samples)}; in the RPC)"
            print(f"  {name:<62}{verification.p50 * 1000:9.3f}")
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(3):
                await call(body)
            profiler.disable()
            print("\n== cProfile of 3 calls (event-loop thread), top 25 by own time ==")
            print(benchkit.profile_report(profiler))
    return 0 if met else 1


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    benchkit.add_postgres_argument(parser)
    parser.add_argument("--outlets", type=int, default=300, help="outlets of the bench agent")
    parser.add_argument("--other-agents", type=int, default=4)
    parser.add_argument("--products", type=int, default=3000, help="catalog size")
    parser.add_argument("--weeks", type=int, default=8, help="weeks of order history")
    parser.add_argument("--lines", type=int, default=25, help="lines per order")
    parser.add_argument("--assortment", type=int, default=60, help="products per outlet")
    parser.add_argument("--runs", type=int, default=15, help="measured calls per RPC")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", action="store_true", help="break down and profile even if the target is met"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.lines > args.assortment or args.assortment + 8 > args.products:
        parser.error("need lines <= assortment and assortment + 8 <= products")
    configure_logging("bench", "warning", "console")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
