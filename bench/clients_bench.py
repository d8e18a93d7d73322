"""Clients service read benchmark: visit plan and radius search vs. an empty RPC of equal size.

    .venv/bin/python bench/clients_bench.py [--postgres URL] [--agents 2000 --outlets 300000]
                                            [--quick] [--calls 300] [--profile]

Creates a fresh database (a SQLite file in a temporary directory, or a throwaway PostgreSQL
database `fl_bench_<hex>` on the server of --postgres, dropped at the end), migrates it,
bulk-loads the generated demo company (fieldline_dev.demo.load_bulk), starts the clients
service in this process exactly as it runs (`build_process`, with an embedded NATS), and then
measures over a real gRPC channel:

1. GetVisitPlan of the bench agent on a day all its 300 outlets are due;
2. SearchOutlets within 1 km of the centre of Moscow, page_size 100;
3. for each of them, an "empty" RPC of the same response size: a generic handler on a second
   server built by the same `create_server` (same kit interceptor) that returns the
   pre-serialized real response, so transport, HTTP/2 framing and the interceptor cost the
   same and only the service's own work differs.

Both clients use identity (de)serializers, so client-side parsing is not part of either figure.
Each RPC: warm-up, then N sequential calls → p50, p99, mean, throughput. The issue's target is
visit plan p50 within 3× the empty RPC's p50; when it is missed (or with --profile) the script
breaks a visit plan down into its steps and profiles it with cProfile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import math
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import grpc
from google.protobuf.message import Message
from google.type import latlng_pb2
from sqlalchemy import and_, select
from sqlalchemy.engine import make_url

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline_clients.adapters import orm, queries
from fieldline_clients.adapters import proto_mapping as m
from fieldline_clients.bootstrap import App
from fieldline_clients.entrypoints.main import MIGRATIONS, build_process
from fieldline_clients.settings import ClientsSettings
from fieldline_dev import demo
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.logging import configure_logging
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.topology import apply
from fieldline_kit.migrations import upgrade
from fieldline_kit.testing.nats_server import EmbeddedNats

VISIT_PLAN = "/fieldline.clients.v1.TerritoryService/GetVisitPlan"
SEARCH = "/fieldline.clients.v1.ClientsService/SearchOutlets"
EMPTY_SERVICE = "bench.Empty"
TARGET_RATIO = 3.0
SEARCH_RADIUS_M = 1000.0
SEARCH_PAGE = 100


# ------------------------------------------------------------------------------ statistics
class GcWatch:
    """Records every garbage collection (generation, seconds) while active."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self)


@dataclass
class Stats:
    name: str
    samples: list[float]  # seconds
    response_bytes: int
    gc_pauses: list[tuple[int, float]]

    def _rank(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    @property
    def p50(self) -> float:
        return self._rank(0.50)

    @property
    def p99(self) -> float:
        return self._rank(0.99)

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples)

    @property
    def throughput(self) -> float:
        return len(self.samples) / sum(self.samples)


async def measure(
    name: str, call: Callable[[bytes], Awaitable[bytes]], request: bytes, calls: int, warmup: int
) -> tuple[Stats, bytes]:
    response = b""
    for _ in range(warmup):
        response = await call(request)
    samples = []
    with GcWatch() as watch:
        for _ in range(calls):
            t0 = time.perf_counter()
            response = await call(request)
            samples.append(time.perf_counter() - t0)
    return Stats(name, samples, len(response), watch.pauses), response


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


# ------------------------------------------------------------------------------- database
@contextlib.asynccontextmanager
async def fresh_database(postgres: str | None, sqlite_path: Path, keep: bool) -> AsyncIterator[str]:
    """A new, empty database: the SQLite file, or `fl_bench_<hex>` on the PostgreSQL server."""
    if not postgres:
        yield f"sqlite:///{sqlite_path}"
        return
    admin = make_url(postgres)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"fl_bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()


# -------------------------------------------------------------------------------- servers
@contextlib.asynccontextmanager
async def clients_service(url: str, tmp: Path) -> AsyncIterator[tuple[str, App]]:
    """The clients service as it runs (`build_process`), in this process and event loop."""
    nats = EmbeddedNats(store_dir=tmp / "nats")
    await nats.start()
    try:
        nc = await connect(nats.url, "bench")
        await apply(nc)  # the streams the outbox relay publishes to, as `fl up` creates them
        await nc.drain()
        settings = ClientsSettings(
            database_url=url, nats_url=nats.url, grpc_host="127.0.0.1", grpc_port=0, metrics_port=0
        )
        process, app = await build_process(settings)
        task = asyncio.create_task(process.run(install_signal_handlers=False))
        ready = asyncio.create_task(process.ready.wait())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()
        try:
            yield f"127.0.0.1:{process.grpc_port}", app
        finally:
            process.stop_requested.set()
            await task
    finally:
        await nats.stop()


@contextlib.asynccontextmanager
async def empty_server(responses: dict[str, bytes]) -> AsyncIterator[str]:
    """Unary methods that return `responses[method]` as is (identity serializers)."""

    def method(name: str) -> grpc.RpcMethodHandler:
        async def handler(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            return responses[name]

        return grpc.unary_unary_rpc_method_handler(handler)

    def register(server: grpc.aio.Server) -> list[str]:
        handlers = {name: method(name) for name in ("VisitPlan", "Search")}
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(EMPTY_SERVICE, handlers),)
        )
        return [EMPTY_SERVICE]

    server: GrpcServer = await create_server("bench-empty", "127.0.0.1", 0, register)
    await server.start()
    await server.mark_serving()
    try:
        yield f"127.0.0.1:{server.port}"
    finally:
        await server.stop(1.0)


def raw(channel: grpc.aio.Channel, path: str) -> Callable[[bytes], Awaitable[bytes]]:
    """A unary call that sends and returns bytes (no client-side protobuf work)."""
    call = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
    return lambda request: call(request, timeout=60)


CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]


# ------------------------------------------------------------------------------ breakdown
async def visit_plan_breakdown(
    app: App, agent_id: str, day: Any, runs: int = 50
) -> list[tuple[str, float]]:
    """Median wall time of each step GetVisitPlan takes on the server, measured one by one."""

    async def median(step: Callable[[], Awaitable[Any]]) -> float:
        await step()
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            await step()
            samples.append(time.perf_counter() - t0)
        return sorted(samples)[len(samples) // 2]

    async def empty_transaction() -> None:
        async with app.sessions() as s, s.begin():
            pass

    async def read_transaction() -> None:
        async with app.sessions() as s, s.begin():
            await queries.get_by_id(s, orm.employees, agent_id, lambda r: r.id)

    # The SELECT of queries.visit_plan (mirrored here), rows fetched but not converted.
    r, a, o, v = orm.routes, orm.route_assignments, orm.outlets, orm.visits
    plan_select = (
        select(
            o,
            a.c.route_id.label("a_route_id"),
            a.c.frequency.label("a_frequency"),
            a.c.weekday_mask.label("a_weekday_mask"),
            a.c.start_date.label("a_start_date"),
            a.c.sequence.label("a_sequence"),
        )
        .select_from(r.join(a, a.c.route_id == r.c.id).join(o, o.c.id == a.c.outlet_id))
        .where(
            r.c.agent_id == agent_id,
            a.c.weekday_mask.op("&")(1 << day.isoweekday()) != 0,
            a.c.start_date <= day,
            o.c.status == "active",
        )
        .order_by(a.c.sequence, o.c.id)
    )
    visits_select = select(v).where(and_(v.c.agent_id == agent_id, v.c.day == day))

    async def sql_only() -> None:
        async with app.sessions() as s, s.begin():
            (await s.execute(plan_select)).all()
            (await s.execute(visits_select)).all()

    async def sql_raw_tuples() -> None:
        # The plan SELECT as literal SQL straight to the driver: no SQLAlchemy result processing
        # (with SQLite, JSON and datetime columns stay text).
        async with app.engine.connect() as conn:
            compiled = plan_select.compile(conn.engine, compile_kwargs={"literal_binds": True})
            await conn.exec_driver_sql(str(compiled))
            await conn.rollback()

    async def whole_query() -> None:
        async with app.sessions() as s, s.begin():
            await queries.visit_plan(s, agent_id, day)

    async with app.sessions() as s, s.begin():
        plan = await queries.visit_plan(s, agent_id, day)

    def to_proto() -> ts.GetVisitPlanResponse:
        return ts.GetVisitPlanResponse(
            agent_id=agent_id,
            date=pb_date(day),
            visits=[
                ts.PlannedVisit(
                    outlet=m.outlet_pb(p.outlet),
                    route_id=p.route_id,
                    sequence=p.sequence,
                    visit=m.visit_pb(p.visit) if p.visit else None,
                )
                for p in plan
            ],
        )

    response = to_proto()

    async def proto_step() -> None:
        to_proto()

    async def serialize_step() -> None:
        response.SerializeToString()

    async def outlet_from_step() -> None:
        async with app.sessions() as s, s.begin():
            rows = (await s.execute(plan_select)).all()
        for row in rows:
            queries.outlet_from(row)

    t_tx = await median(empty_transaction)
    t_emp = await median(read_transaction)
    t_sql = await median(sql_only)
    sqlite = app.engine.dialect.name == "sqlite"
    t_raw = await median(sql_raw_tuples) if sqlite else 0.0
    t_query = await median(whole_query)
    t_conv = await median(outlet_from_step) - t_sql
    t_proto = await median(proto_step)
    t_ser = await median(serialize_step)
    steps = [
        ("session, no statement (SQLAlchemy begins lazily)", t_tx),
        ("read transaction: connect + BEGIN + employee SELECT + COMMIT", t_emp),
        ("plan SELECT + visits SELECT, rows via SQLAlchemy (incl. tx)", t_sql),
        ("  of which: same SELECT via exec_driver_sql, no row processing", t_raw),
        ("queries.visit_plan total (SQL + is_due + outlet_from)", t_query),
        ("  of which: outlet_from x rows (rows -> domain)", t_conv),
        ("domain -> proto (outlet_pb x rows, PlannedVisit, response)", t_proto),
        ("response.SerializeToString()", t_ser),
    ]
    # Only SQLite hands back untyped text through exec_driver_sql (asyncpg decodes JSON itself).
    return [s for s in steps if sqlite or not s[0].startswith("  of which: same SELECT")]


def profile_report(profile: cProfile.Profile, limit: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    text = out.getvalue()
    start = text.find("   ncalls")
    return text[start:] if start >= 0 else text


# ------------------------------------------------------------------------------------ main
async def run(args: argparse.Namespace) -> int:
    sizes = demo.Sizes(args.agents, args.outlets)
    company = demo.generate(sizes, args.seed)
    agent_id, day = company.bench_agent_id, company.bench_date
    print("== Fieldline clients service bench ==")
    print(
        f"company: {sizes.agents:,} agents, {sizes.outlets:,} outlets, seed {args.seed}; "
        f"bench agent {agent_id}, plan date {day} ({sizes.bench_outlets} outlets due)"
    )
    with tempfile.TemporaryDirectory(prefix="fl-bench-") as tmp_name:
        tmp = Path(tmp_name)
        async with contextlib.AsyncExitStack() as stack:
            if args.database_url:
                url = args.database_url
                print(f"database: reusing {make_url(url).render_as_string(hide_password=True)}")
            else:
                sqlite_path = tmp / "clients-bench.sqlite3"
                if args.keep_db and not args.postgres:
                    sqlite_path = (
                        Path.cwd() / f"clients-bench-{sizes.agents}x{sizes.outlets}.sqlite3"
                    )
                    if sqlite_path.exists():
                        raise SystemExit(f"{sqlite_path} exists; reuse it with --database-url")
                url = await stack.enter_async_context(
                    fresh_database(args.postgres, sqlite_path, args.keep_db)
                )
                shown = make_url(url).render_as_string(hide_password=True)
                print(f"database: {shown}{' (kept)' if args.keep_db else ''}")
                t0 = time.perf_counter()
                await asyncio.to_thread(upgrade, url, MIGRATIONS)
                print(f"migrate: {time.perf_counter() - t0:.1f} s")
                t0 = time.perf_counter()
                report = await demo.load_bulk(url, sizes, args.seed, start_date=company.start_date)
                print(f"bulk load: {time.perf_counter() - t0:.1f} s (generation, inserts, ANALYZE)")
                print(report)
            return await bench(args, url, tmp, agent_id, day)
    raise AssertionError("unreachable")


async def bench(args: argparse.Namespace, url: str, tmp: Path, agent_id: str, day: Any) -> int:
    centre_lat, centre_lon = demo.CITY_CENTRES["Москва"]
    responses: dict[str, bytes] = {}
    async with (
        clients_service(url, tmp) as (target, app),
        empty_server(responses) as empty,
        grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS) as real_ch,
        grpc.aio.insecure_channel(empty, options=CHANNEL_OPTIONS) as empty_ch,
    ):
        print(f"clients service at {target}, empty-RPC server at {empty} (same process)")
        plan_request = ts.GetVisitPlanRequest(agent_id=agent_id, date=pb_date(day))
        search_request = cs.SearchOutletsRequest(
            near=latlng_pb2.LatLng(latitude=centre_lat, longitude=centre_lon),
            radius_m=SEARCH_RADIUS_M,
            page_size=SEARCH_PAGE,
        )
        results: list[tuple[Stats, Stats]] = []
        for label, path, empty_path, request in (
            ("GetVisitPlan", VISIT_PLAN, "VisitPlan", plan_request),
            ("SearchOutlets", SEARCH, "Search", search_request),
        ):
            body = request.SerializeToString()
            real, payload = await measure(label, raw(real_ch, path), body, args.calls, args.warmup)
            describe(label, payload)
            responses[empty_path] = payload
            empty_call = raw(empty_ch, f"/{EMPTY_SERVICE}/{empty_path}")
            fake, echoed = await measure(label, empty_call, body, args.calls, args.warmup)
            assert echoed == payload
            results.append((real, fake))

        print_summary(results, args.calls)
        plan_ratio = results[0][0].p50 / results[0][1].p50
        met = plan_ratio <= TARGET_RATIO
        print(
            f"\ntarget: GetVisitPlan p50 within {TARGET_RATIO:.0f}x of the empty RPC's: "
            f"{plan_ratio:.1f}x -> {'MET' if met else 'MISSED'}"
        )
        if not met or args.profile:
            await breakdown(app, agent_id, day, results[0])
            await profile(raw(real_ch, VISIT_PLAN), plan_request, "GetVisitPlan")
            await profile(raw(real_ch, SEARCH), search_request, "SearchOutlets")
    return 0


def describe(label: str, payload: bytes) -> None:
    if label == "GetVisitPlan":
        plan = ts.GetVisitPlanResponse.FromString(payload)
        outlets = len(plan.visits)
        print(f"{label}: {outlets} planned visits, response {len(payload):,} bytes")
        if outlets != demo.BENCH_OUTLETS:
            raise SystemExit(f"expected {demo.BENCH_OUTLETS} planned visits, got {outlets}")
    else:
        found = cs.SearchOutletsResponse.FromString(payload)
        far = max((x.distance_m for x in found.matches), default=0.0)
        print(
            f"{label}: {len(found.matches)} matches within {SEARCH_RADIUS_M:.0f} m "
            f"(farthest {far:.0f} m), response {len(payload):,} bytes"
        )


def print_summary(results: list[tuple[Stats, Stats]], calls: int) -> None:
    print(f"\n{calls} sequential calls each, after warm-up (times in ms):")
    header = f"{'RPC':<34}{'bytes':>10}{'p50':>9}{'p99':>9}{'mean':>9}{'calls/s':>10}"
    print(header)
    print("-" * len(header))
    for real, fake in results:
        for s, label in ((real, real.name), (fake, "  empty RPC, same size")):
            print(
                f"{label:<34}{s.response_bytes:>10,}{ms(s.p50)}{ms(s.p99)}{ms(s.mean)}"
                f"{s.throughput:>10.0f}"
            )
        print(
            f"{'  ratio real/empty':<34}{'':>10}{real.p50 / fake.p50:>8.1f}x"
            f"{real.p99 / fake.p99:>8.1f}x{real.mean / fake.mean:>8.1f}x"
        )
    for real, fake in results:
        for s, label in ((real, real.name), (fake, f"{fake.name} empty")):
            pauses = [p for _, p in s.gc_pauses]
            full = sum(1 for g, _ in s.gc_pauses if g == 2)
            longest = max(pauses, default=0.0)
            print(
                f"gc during {label}: {len(pauses)} collections ({full} full), "
                f"{sum(pauses) * 1000:.1f} ms in all, longest {longest * 1000:.1f} ms"
            )


async def breakdown(app: App, agent_id: str, day: Any, plan: tuple[Stats, Stats]) -> None:
    real, empty = plan
    print("\n== where a GetVisitPlan goes (server-side steps, median of 50 runs each, ms) ==")
    for name, seconds in await visit_plan_breakdown(app, agent_id, day):
        print(f"  {name:<66}{ms(seconds)}")
    print(f"  {'empty RPC of the same size (transport, framing, interceptor)':<66}{ms(empty.p50)}")
    print(f"  {'measured GetVisitPlan p50':<66}{ms(real.p50)}")
    gc_per_call = sum(p for _, p in real.gc_pauses) / len(real.samples)
    print(
        f"  {'garbage collection per measured call (mean; inside the steps)':<66}{ms(gc_per_call)}"
    )


async def profile(call: Callable[[bytes], Awaitable[bytes]], request: Message, label: str) -> None:
    body = request.SerializeToString()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        await call(body)
    profiler.disable()
    print(f"\n== cProfile of 50 {label} calls (event-loop thread), top 25 by own time ==")
    print(profile_report(profiler))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server to create the throwaway database on (default: a SQLite file)",
    )
    parser.add_argument("--agents", type=int, default=demo.BENCH_SIZES.agents)
    parser.add_argument("--outlets", type=int, default=demo.BENCH_SIZES.outlets)
    parser.add_argument(
        "--quick", action="store_true", help="small company: 100 agents, 15,000 outlets"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calls", type=int, default=300, help="measured calls per RPC")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument(
        "--profile", action="store_true", help="break down and profile even if the target is met"
    )
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="keep the loaded database (SQLite: ./clients-bench-<agents>x<outlets>.sqlite3)",
    )
    parser.add_argument(
        "--database-url", help="bench an already loaded database (from --keep-db) instead"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.agents, args.outlets = 100, 15_000
    configure_logging("bench", "warning", "console")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
