"""Recommended orders benchmark: ListRecommendedOrders of a 300-outlet agent vs an empty RPC.

    .venv/bin/python bench/orders_recommendation_bench.py [--postgres URL] [--runs 15]
        [--outlets 300 --products 3000 --weeks 8 --other-agents 4] [--profile]

Creates a fresh database (a SQLite file in a temporary directory, or a throwaway PostgreSQL
database `fl_bench_<hex>` on the server of --postgres, dropped at the end) with the service's
tables (`schema.metadata.create_all`), and bulk-inserts:

- a catalog of --products products (packs of 1, 6, 12 or 24);
- the bench agent's --outlets outlets, plus --other-agents agents with as many outlets each
  (their history makes the tables realistically large), with active outlets, weekly /
  fortnightly / four-weekly route assignments and a latest audit of 20 must-stock SKUs each
  (about a third reported absent, the rest with shelf counts), i.e. the clients feed's read
  models as the consumer leaves them;
- --weeks weeks of delivered orders: one a week per outlet, --lines lines each, drawn from an
  assortment of --assortment products per outlet.

It then serves OrdersService in this process through the kit's `create_server` (the service's
OrdersServicer) and, from the same process, measures over a real gRPC channel:

1. ListRecommendedOrders(bench agent, date);
2. an "empty" RPC of the same response size: a generic handler on a second server from the
   same `create_server` (same interceptor) returning the pre-serialized real response, so
   transport, HTTP/2 framing and the interceptor cost the same and only the service's own work
   differs.

Both use identity (de)serializers, so client-side parsing is in neither figure. Each RPC:
warm-up, then --runs sequential calls → median (the figure compared to the 1 s target), min,
max. With --profile (or when the target is missed) the server-side steps are timed one by one
and one call is profiled with cProfile.
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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy import Table, insert, text
from sqlalchemy.engine import make_url

import benchkit
from fieldline.orders.v1 import orders_service_pb2 as pb
from fieldline.orders.v1 import orders_service_pb2_grpc as orders_grpc
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.logging import configure_logging
from fieldline_orders.adapters import orm, schema
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.orm_feed import (
    feed_assignments,
    feed_outlet_audits,
    feed_outlets,
    feed_shelf_counts,
)
from fieldline_orders.bootstrap import App, bootstrap
from fieldline_orders.domain.recommendation import Catalog, OutletRecommendation, recommend
from fieldline_orders.entrypoints.orders_api import OrdersServicer
from fieldline_orders.settings import OrdersSettings

LIST_METHOD = "/fieldline.orders.v1.OrdersService/ListRecommendedOrders"
TARGET_SECONDS = 1.0
DAY = date(2024, 5, 13)  # a Monday
NOW = datetime(2024, 5, 13, 6, 0, tzinfo=UTC)
CHUNK = 5000
PACKS = ("1", "6", "12", "24")
TIMEOUT = 120.0  # seconds, per call


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f}"


def median(samples: list[float]) -> float:
    ordered = sorted(samples)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Loader:
    """Bulk inserts in chunks, one transaction per chunk."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.counts: dict[str, int] = {}
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._tables: dict[str, Table] = {}

    async def add(self, table: Table, row: dict[str, Any]) -> None:
        rows = self._pending.setdefault(table.name, [])
        self._tables[table.name] = table
        rows.append(row)
        if len(rows) >= CHUNK:
            await self.flush()

    async def _flush(self, name: str) -> None:
        rows = self._pending.get(name) or []
        if not rows:
            return
        async with self.app.engine.begin() as conn:
            await conn.execute(insert(self._tables[name]), rows)
        self.counts[name] = self.counts.get(name, 0) + len(rows)
        self._pending[name] = []

    async def flush(self) -> None:
        # Parents first: order lines reference orders.
        for name in sorted(self._pending, key=lambda n: n == "order_lines"):
            await self._flush(name)


def product_row(product_id: str, n: int, pack: str) -> dict[str, Any]:
    sku = f"SKU-{n:05d}"
    return {
        "id": product_id,
        "external_id": f"erp-{n:05d}",
        "sku": sku,
        "name": f"Товар {n}",
        "name_search": f"товар {n}",
        "group_id": "",
        "barcodes": [f"46{n:011d}"],
        "vat_rate": Decimal(20),
        "base_unit": "pcs",
        "units": [
            {"code": "pcs", "name": "Штука", "ratio": "1"},
            {"code": "box", "name": "Коробка", "ratio": pack},
        ],
        "pack_unit": "box" if pack != "1" else "pcs",
        "container_type": "",
        "containers_per_unit": Decimal(0),
        "active": True,
        "version": 1,
    }


def order_row(
    order_id: str, outlet_id: str, client_id: str, agent_id: str, day: date
) -> dict[str, Any]:
    return {
        "id": order_id,
        "kind": "pre_sale",
        "status": "delivered",
        "client_id": client_id,
        "outlet_id": outlet_id,
        "agent_id": agent_id,
        "distributor_id": "",
        "warehouse_id": "",
        "order_date": day,
        "delivery_date": day + timedelta(days=1),
        "currency_code": "RUB",
        "net_total": Decimal(0),
        "vat_total": Decimal(0),
        "gross_total": Decimal(0),
        "credit": {},
        "comment": "",
        "status_reason": "",
        "cash_collected": Decimal(0),
        "receipt_number": "",
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


def line_row(order_id: str, line_no: int, product_id: str, quantity: int) -> dict[str, Any]:
    q = Decimal(quantity)
    return {
        "order_id": order_id,
        "line_no": line_no,
        "product_id": product_id,
        "unit": "pcs",
        "quantity": q,
        "base_quantity": q,
        "unit_price": Decimal("55.90"),
        "price_source": "bench",
        "rule_discount_percent": Decimal(0),
        "manual_discount_percent": Decimal(0),
        "net_amount": Decimal(0),
        "vat_rate": Decimal(20),
        "vat_amount": Decimal(0),
        "gross_amount": Decimal(0),
        "delivered_base_quantity": q,
        "container_type": "",
        "container_quantity": Decimal(0),
    }


async def load(app: App, args: argparse.Namespace) -> str:
    """Bulk-load catalog, feed read models and history; returns the bench agent's id."""
    rng = random.Random(args.seed)
    loader = Loader(app)
    products: list[tuple[str, str]] = []
    for n in range(args.products):
        product_id = uid(rng)
        pack = rng.choice(PACKS)
        products.append((product_id, f"SKU-{n:05d}"))
        await loader.add(orm.products, product_row(product_id, n, pack))
    agents = [uid(rng) for _ in range(1 + args.other_agents)]
    frequencies = (1, 1, 1, 2, 4)  # mostly weekly
    for agent_id in agents:
        route_id = uid(rng)
        for n in range(args.outlets):
            outlet_id, client_id = uid(rng), uid(rng)
            await loader.add(
                feed_outlets,
                {"outlet_id": outlet_id, "client_id": client_id, "status": "ACTIVE", "version": 1},
            )
            await loader.add(
                feed_assignments,
                {
                    "route_id": route_id,
                    "outlet_id": outlet_id,
                    "agent_id": agent_id,
                    "frequency": rng.choice(frequencies),
                    "weekday_mask": 1 << (1 + n % 5),
                    "start_date": date(2024, 1, 1),
                    "sequence": n,
                    "removed": False,
                    "version": n + 1,
                },
            )
            assortment = rng.sample(products, args.assortment)
            audit_id = uid(rng)
            submitted = NOW - timedelta(days=rng.randint(1, 14))
            await loader.add(
                feed_outlet_audits,
                {
                    "outlet_id": outlet_id,
                    "audit_id": audit_id,
                    "submitted_at": submitted,
                    "version": 1,
                },
            )
            # must-stock list: some SKUs the outlet buys, some it never bought
            audited = dict.fromkeys(sku for _, sku in assortment[:12] + rng.sample(products, 8))
            for sku in audited:
                present = rng.random() > 0.33
                await loader.add(
                    feed_shelf_counts,
                    {
                        "outlet_id": outlet_id,
                        "sku": sku,
                        "present": present,
                        "facings": 2 if present else 0,
                        "shelf_quantity": Decimal(rng.randint(0, 30)) if present else None,
                        "audit_id": audit_id,
                        "submitted_at": submitted,
                    },
                )
            for week in range(args.weeks):
                order_id = uid(rng)
                day = DAY - timedelta(days=7 * week + 1 + n % 5)
                await loader.add(
                    orm.orders, order_row(order_id, outlet_id, client_id, agent_id, day)
                )
                for line_no, (product_id, _) in enumerate(
                    rng.sample(assortment, args.lines), start=1
                ):
                    await loader.add(
                        orm.order_lines, line_row(order_id, line_no, product_id, rng.randint(1, 48))
                    )
    await loader.flush()
    async with app.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))  # fresh statistics, as a loaded database has
    print("loaded: " + ", ".join(f"{n} {name}" for name, n in loader.counts.items()))
    return agents[0]


# -------------------------------------------------------------------------------- servers
@contextlib.asynccontextmanager
async def orders_server(app: App) -> AsyncIterator[tuple[str, str]]:
    cls = OrdersServicer

    def register(server: grpc.aio.Server) -> list[str]:
        orders_grpc.add_OrdersServiceServicer_to_server(cls(app), server)
        return [pb.DESCRIPTOR.services_by_name["OrdersService"].full_name]

    server: GrpcServer = await create_server("orders", "127.0.0.1", 0, register)
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
        async with benchkit.database(args.postgres, sqlite_path) as url:
            print(f"database: {make_url(url).render_as_string(hide_password=True)}")
            settings = OrdersSettings(
                database_url=url,
                nats_url="nats://127.0.0.1:9",  # no NATS needed: nothing is published here
                settlements_target="127.0.0.1:9",
                **benchkit.LOCAL_SERVICE,
            )
            app = bootstrap(settings, clock=lambda: NOW)
            try:
                async with app.engine.begin() as conn:
                    await conn.run_sync(schema.metadata.create_all)
                t0 = time.perf_counter()
                agent_id = await load(app, args)
                print(f"bulk load: {time.perf_counter() - t0:.1f} s")
                return await bench(app, agent_id, args)
            finally:
                await app.close()
    raise AssertionError("unreachable")


async def bench(app: App, agent_id: str, args: argparse.Namespace) -> int:
    payload: list[bytes] = [b""]
    request = pb.ListRecommendedOrdersRequest(agent_id=agent_id, date=pb_date(DAY))
    body = request.SerializeToString()
    async with (
        orders_server(app) as (target, servicer),
        benchkit.empty_server({"List": lambda: payload[0]}) as empty,  # set once measured
        grpc.aio.insecure_channel(target, options=benchkit.CHANNEL_OPTIONS) as real_ch,
        grpc.aio.insecure_channel(empty, options=benchkit.CHANNEL_OPTIONS) as empty_ch,
    ):
        print(f"OrdersService ({servicer}) at {target}; empty-RPC server at {empty}")
        call = benchkit.raw(real_ch, LIST_METHOD, TIMEOUT)
        real, response = await measure(call, body, args.runs, args.warmup)
        payload[0] = response
        empty_call = benchkit.raw(empty_ch, f"/{benchkit.EMPTY_SERVICE}/List", TIMEOUT)
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
        met = median(real) < TARGET_SECONDS
        print(
            f"\ntarget: ListRecommendedOrders for {args.outlets} outlets under "
            f"{TARGET_SECONDS:.0f} s: median {median(real) * 1000:.0f} ms -> "
            f"{'MET' if met else 'MISSED'}"
        )
        if not met or args.profile:
            print("\n== server-side steps (median of 5 runs each, ms) ==")
            for name, seconds in await breakdown(app, agent_id):
                print(f"  {name:<62}{ms(seconds)}")
            print(f"  {'empty RPC of the same size':<62}{ms(median(fake))}")
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
