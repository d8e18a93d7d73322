"""Pre-sale order submission benchmark: throughput and latency vs. an empty RPC.

    .venv/bin/python bench/orders_submit_bench.py [--postgres URL] [--quick]
        [--outlets 300000] [--skus 3000] [--orders 2000] [--concurrency 16] [--rate 200]

Creates fresh databases for orders and settlements (SQLite files in a temporary directory,
or throwaway PostgreSQL databases on the server of --postgres), migrates them, starts an
embedded NATS, the settlements service and the orders service in this process exactly as they
run (`build_process`: outbox relays, consumers, the orders → settlements credit check over
gRPC), loads a catalog of --skus products with one price list through the public
CatalogService, and seeds orders' outlet read model with --outlets outlets (the clients feed
would fill it; 3 outlets per client, every client on the price type).

Then, over a real gRPC channel, each SubmitOrder carrying 10 lines (distinct random SKUs,
quantities in pieces and boxes) — price resolution, the credit check in settlements (reading
balance and reservations, writing the reservation) and the order + outbox write included:

1. closed loop: --orders orders with --concurrency in flight → throughput, p50, p99;
2. the same closed loop against an "empty" RPC (same kit server and interceptor, a generic
   handler returning a pre-serialized SubmitOrderResponse of the same size) → throughput;
3. open loop at --rate orders/s for --seconds → p50, p99 (latency measured from the scheduled
   send time, so queueing counts).

Targets (issue): throughput ≥ 0.25× the empty RPC's; p99 < 50 ms at 200 orders/s.
The load generator shares the process (and the machine's 2 cores) with both services.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import grpc
from google.type import date_pb2
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import catalog_service_pb2_grpc as cs_grpc
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.grpc.convert import money
from fieldline_kit.grpc.server import create_server
from fieldline_kit.logging import configure_logging
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.topology import apply
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_orders.adapters.orm import client_price_types
from fieldline_orders.adapters.orm_feed import feed_outlets
from fieldline_orders.entrypoints.main import MIGRATIONS as ORDERS_MIGRATIONS
from fieldline_orders.entrypoints.main import build_process as build_orders
from fieldline_orders.settings import OrdersSettings
from fieldline_settlements.entrypoints.main import MIGRATIONS as SETTLEMENTS_MIGRATIONS
from fieldline_settlements.entrypoints.main import build_process as build_settlements
from fieldline_settlements.settings import SettlementsSettings

SUBMIT = "/fieldline.orders.v1.OrdersService/SubmitOrder"
EMPTY_METHOD = "/bench.Empty/SubmitOrder"
LINES = 10
TZ = ZoneInfo("Europe/Moscow")


def new_id() -> str:
    return str(uuid.uuid4())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# ------------------------------------------------------------------------------ databases
class Databases:
    def __init__(self, tmp: Path, postgres: str) -> None:
        self.tmp, self.postgres, self.created = tmp, postgres, []

    async def create(self, name: str) -> str:
        if not self.postgres:
            return f"sqlite:///{self.tmp / (name + '.sqlite3')}"
        db = f"fl_bench_{name}_{uuid.uuid4().hex[:8]}"
        admin = make_url(self.postgres)
        conn = await asyncpg.connect(
            admin.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()
        self.created.append(db)
        return admin.set(database=db).render_as_string(hide_password=False)

    async def drop(self) -> None:
        if not self.created:
            return
        admin = make_url(self.postgres).set(drivername="postgresql")
        conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
        try:
            for db in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        finally:
            await conn.close()


# ------------------------------------------------------------------------------- services
@contextlib.asynccontextmanager
async def running(process: Any) -> AsyncIterator[Any]:
    task = asyncio.create_task(process.run(install_signal_handlers=False))
    await asyncio.wait_for(process.ready.wait(), 60)
    try:
        yield process
    finally:
        process.stop_requested.set()
        await asyncio.wait_for(task, 60)


@contextlib.asynccontextmanager
async def empty_server(response: bytes) -> AsyncIterator[str]:
    async def handler(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return response

    def register(server: grpc.aio.Server) -> list[str]:
        method = grpc.unary_unary_rpc_method_handler(
            handler, request_deserializer=lambda b: b, response_serializer=lambda b: b
        )
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("bench.Empty", {"SubmitOrder": method}),)
        )
        return []

    server = await create_server("bench-empty", "127.0.0.1", 0, register)
    await server.start()
    try:
        yield f"127.0.0.1:{server.port}"
    finally:
        await server.stop(1)


# ---------------------------------------------------------------------------------- seeding
async def seed_catalog(channel: grpc.aio.Channel, skus: int) -> tuple[list[str], str]:
    cat = cs_grpc.CatalogServiceStub(channel)
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
            )
            for i in range(start, min(skus, start + 500))
        ]
        reply = await cat.UpsertProducts(
            cs.UpsertProductsRequest(request_id=new_id(), products=batch), timeout=120
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
        )
    )
    price_type_id = pt.results[0].id
    start = datetime.now(TZ).date() - timedelta(days=30)
    await cat.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    external_id="base-2026",
                    price_type_id=price_type_id,
                    valid_from=date_pb2.Date(year=start.year, month=start.month, day=start.day),
                    entries=[
                        pb.PriceListEntry(
                            product_id=pid,
                            price=money(Decimal(random.randint(1000, 50000)) / 100, "RUB"),
                        )
                        for pid in ids
                    ],
                )
            ],
        ),
        timeout=300,
    )
    return ids, price_type_id


async def seed_outlets(orders_app: Any, outlets: int, price_type_id: str) -> list[tuple[str, str]]:
    """Orders' read model of outlets, as the clients feed fills it (3 outlets per client)."""
    pairs: list[tuple[str, str]] = []
    clients: list[str] = []
    for i in range(outlets):
        if i % 3 == 0:
            clients.append(new_id())
        pairs.append((clients[-1], new_id()))
    async with orders_app.sessions() as s, s.begin():
        for start in range(0, len(pairs), 5000):
            chunk = pairs[start : start + 5000]
            await s.execute(
                insert(feed_outlets),
                [
                    {"outlet_id": o, "client_id": c, "status": "ACTIVE", "version": 1}
                    for c, o in chunk
                ],
            )
        for start in range(0, len(clients), 5000):
            await s.execute(
                insert(client_price_types),
                [
                    {"client_id": c, "price_type_id": price_type_id}
                    for c in clients[start : start + 5000]
                ],
            )
    return pairs


def order_request(
    product_ids: list[str], customers: list[tuple[str, str]], agent: str
) -> os_.SubmitOrderRequest:
    client_id, outlet_id = random.choice(customers)
    today = datetime.now(TZ).date()
    return os_.SubmitOrderRequest(
        request_id=new_id(),
        actor=os_.Actor(employee_id=agent, roles=["AGENT"]),
        order_id=new_id(),
        client_id=client_id,
        outlet_id=outlet_id,
        order_date=date_pb2.Date(year=today.year, month=today.month, day=today.day),
        lines=[
            os_.OrderLineInput(
                product_id=pid,
                unit=random.choice(["pcs", "box"]),
                quantity=str(random.randint(1, 5)),
            )
            for pid in random.sample(product_ids, LINES)
        ],
    )


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
        except grpc.aio.AioRpcError:
            errors += 1
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


async def main_async(args: argparse.Namespace) -> int:
    configure_logging("bench", "warning", "console")
    random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="fl-orders-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        dbs = Databases(tmp, args.postgres)
        nats_server = EmbeddedNats(store_dir=tmp / "nats")
        await nats_server.start()
        try:
            nc = await connect(nats_server.url, "bench")
            await apply(nc)
            await nc.close()
            s_url, o_url = await dbs.create("settlements"), await dbs.create("orders")
            await upgrade_async(s_url, SETTLEMENTS_MIGRATIONS)
            await upgrade_async(o_url, ORDERS_MIGRATIONS)
            common = {
                "nats_url": nats_server.url,
                "grpc_host": "127.0.0.1",
                "grpc_port": 0,
                "metrics_port": 0,
            }
            s_process, _ = await build_settlements(
                SettlementsSettings(database_url=s_url, **common)
            )
            async with running(s_process):
                o_process, o_app = await build_orders(
                    OrdersSettings(
                        database_url=o_url,
                        settlements_target=f"127.0.0.1:{s_process.grpc_port}",
                        **common,
                    )
                )
                async with (
                    running(o_process),
                    grpc.aio.insecure_channel(f"127.0.0.1:{o_process.grpc_port}") as ch,
                ):
                    t0 = time.perf_counter()
                    product_ids, price_type_id = await seed_catalog(ch, args.skus)
                    customers = await seed_outlets(o_app, args.outlets, price_type_id)
                    print(
                        f"seeded {len(product_ids)} SKUs and {len(customers)} outlets "
                        f"in {time.perf_counter() - t0:.1f} s ({'PostgreSQL' if args.postgres else 'SQLite'})"
                    )
                    submit = ch.unary_unary(
                        SUBMIT,
                        request_serializer=lambda m: m.SerializeToString(),
                        response_deserializer=lambda b: b,
                    )
                    agent = new_id()
                    sample = await submit(order_request(product_ids, customers, agent))
                    reply = os_.SubmitOrderResponse.FromString(sample)
                    assert (
                        reply.order.status == pb.ORDER_STATUS_SUBMITTED
                        and len(reply.order.lines) == LINES
                    ), reply
                    for _ in range(args.warmup):
                        await submit(order_request(product_ids, customers, agent))

                    async def real() -> Any:
                        return await submit(
                            order_request(product_ids, customers, agent), timeout=30
                        )

                    async with (
                        empty_server(sample) as empty_target,
                        grpc.aio.insecure_channel(empty_target) as ech,
                    ):
                        empty_call = ech.unary_unary(
                            EMPTY_METHOD,
                            request_serializer=lambda m: m.SerializeToString(),
                            response_deserializer=lambda b: b,
                        )

                        async def empty() -> Any:
                            return await empty_call(
                                order_request(product_ids, customers, agent), timeout=30
                            )

                        real_tp, real_lat = await closed_loop(real, args.orders, args.concurrency)
                        empty_tp, empty_lat = await closed_loop(
                            empty, args.orders, args.concurrency
                        )
                        open_lat, errors = await open_loop(real, args.rate, args.seconds)
        finally:
            await nats_server.stop()
            await dbs.drop()

    ratio = real_tp / empty_tp
    p99_open = pct(open_lat, 99) * 1000
    print(
        f"\nSubmitOrder, {LINES} lines, credit check + outbox; {args.concurrency} in flight, {args.orders} orders:"
    )
    print(row("SubmitOrder (closed loop)", real_tp, real_lat))
    print(row("empty RPC, same sizes (closed loop)", empty_tp, empty_lat))
    print(
        f"  throughput ratio real/empty: {ratio:.3f}  (target ≥ 0.25: {'met' if ratio >= 0.25 else 'MISSED'})"
    )
    print(
        f"\nopen loop at {args.rate:.0f} orders/s for {args.seconds:.0f} s ({len(open_lat)} orders, {errors} errors):"
    )
    print(row("SubmitOrder (open loop)", None, open_lat))
    print(
        f"  mean {statistics.mean(open_lat) * 1000:.2f} ms; p99 {p99_open:.2f} ms (target < 50 ms: {'met' if p99_open < 50 else 'MISSED'})"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", default="", help="admin URL of a PostgreSQL server for throwaway databases"
    )
    parser.add_argument("--outlets", type=int, default=300_000)
    parser.add_argument("--skus", type=int, default=3_000)
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.outlets, args.skus, args.orders, args.seconds = 15_000, 500, 300, 3.0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
