"""Settlements' CheckCreditBatch: CPU per call vs. an empty RPC, for batches of 1, 5 and 30.

    .venv/bin/python bench/credit_check_bench.py [--postgres URL] [--clients 1000] [--agents 300]
        [--calls 1:600,5:300,30:80] [--repeat 3] [--statements] [--quick]

Creates a fresh settlements database (a SQLite file in a temporary directory, or a throwaway
PostgreSQL database on the server of --postgres, dropped at the end), migrates it, starts an
embedded NATS and the settlements service in this process exactly as it runs
(`SPEC.build`), and seeds --clients clients through the public API: every other one with a
credit limit, every third with an open invoice (some overdue), a client policy for every
tenth.

Then, over a real gRPC channel with identity (de)serializers on the client (so client-side
parsing is in neither figure), one call in flight, for each batch size: CheckCreditBatch
requests as the orders service sends them (no request ids, ORDER_SUBMIT, a new order id per
check, distinct clients but every fifth check a second order of the previous check's
client), and the "empty" RPC (same kit server and interceptor, a generic handler returning the
pre-serialized answer of the same size) with the same request bytes. Per call: the main
thread's CPU (`time.thread_time`: the event loop, where the service, the gRPC callbacks and
the client run), the process's CPU (`time.process_time`: plus the aiosqlite and gRPC
threads) and the wall time; the figures are means over the calls, the best (lowest) of
--repeat rounds, since other work on the machine only ever adds to them. The ratio is the
CheckCreditBatch main-thread CPU over the empty RPC's.

Identity (issue 11): settlements checks tokens as deployed (benchkit.BenchAuth: a test
issuer's JWKS as SETTLEMENTS_AUTH_JWKS). Seeding is an administrator's; CheckCreditBatch is
for services only, so each call is the orders service's (`svc:orders`, role SERVICE, the same
`authorization` metadata on every call, to the empty RPC too) and, as orders sends them, each
check carries the token of the agent whose order it is (`actor_token`: the clients are spread
round robin over --agents agents), which settlements verifies too (once per distinct token
per call) and admits through its employee directory. The real RPC therefore includes 1 + (distinct
agents in the batch) token verifications; the empty RPC verifies nothing. Printed beside each
result: tokens verified per call and their estimated cost (count × the p50 of one
verification, measured alone).

`--statements` also counts the statements and transactions per call (a separate round: the
listener costs a little); `--profile N` prints a cProfile of 300 calls of N checks (main-thread CPU time).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import pstats
import random
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy import event

import benchkit
from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.grpc.convert import money, pb_date
from fieldline_kit.logging import configure_logging
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.roles import AGENT
from fieldline_kit.testing.auth import ADMIN, service_caller
from fieldline_settlements.entrypoints.main import MIGRATIONS, SPEC
from fieldline_settlements.settings import SettlementsSettings

METHOD = "/fieldline.settlements.v1.SettlementsService/CheckCreditBatch"
EMPTY_NAME = "CheckCreditBatch"  # the empty RPC: /bench.Empty/CheckCreditBatch


def new_id() -> str:
    return str(uuid.uuid4())


def rub(value: str) -> Any:
    return money(Decimal(value), "RUB")


async def seed(
    stub: ss_grpc.SettlementsServiceStub,
    clients: list[str],
    today: date,
    metadata: benchkit.Metadata,
) -> None:
    for i, client in enumerate(clients):
        if i % 2 == 0:
            await stub.SetCreditLimit(
                ss.SetCreditLimitRequest(
                    request_id=new_id(), client_id=client, limit=rub("100000.00")
                ),
                metadata=metadata,
            )
        if i % 3 == 0:
            issued = today - timedelta(days=(i % 5) * 20)
            await stub.RecordInvoice(
                ss.RecordInvoiceRequest(
                    request_id=new_id(),
                    invoice=pb.Invoice(
                        id=new_id(),
                        client_id=client,
                        source=pb.INVOICE_SOURCE_ERP,
                        issue_date=pb_date(issued),
                        due_date=pb_date(issued + timedelta(days=14)),
                        amount=rub(f"{1000 + i}.50"),
                    ),
                ),
                metadata=metadata,
            )
        if i % 10 == 0:
            await stub.SetDebtPolicy(
                ss.SetDebtPolicyRequest(
                    request_id=new_id(),
                    policy=pb.DebtPolicy(
                        client_id=client,
                        mode=pb.DEBT_POLICY_MODE_WARN,
                        check_credit_limit=True,
                        max_overdue_days=45,
                        stages=[pb.STAGE_ORDER_SUBMIT],
                    ),
                ),
                metadata=metadata,
            )


def batch_request(clients: dict[str, str], size: int, rng: random.Random, today: date) -> bytes:
    """A batch as orders sends it; `clients`: each client's agent's token (`actor_token`)."""
    chosen = rng.sample(list(clients), size)
    checks = []
    for i in range(size):
        client = chosen[i - 1] if i % 5 == 4 else chosen[i]  # every fifth: a second order
        checks.append(
            ss.CheckCreditRequest(
                order_id=new_id(),
                client_id=client,
                amount=rub(f"{rng.randint(100, 5000)}.{rng.randint(0, 99):02d}"),
                stage=pb.STAGE_ORDER_SUBMIT,
                as_of=pb_date(today),
                actor_token=clients[client],
            )
        )
    return ss.CheckCreditBatchRequest(checks=checks).SerializeToString()


def tokens_per_call(requests: list[bytes]) -> float:
    """Tokens settlements verifies per call, on average: the call's own (orders') and each
    distinct `actor_token` of the batch."""
    distinct = (
        len({c.actor_token for c in ss.CheckCreditBatchRequest.FromString(r).checks})
        for r in requests
    )
    return 1 + sum(distinct) / len(requests)


async def timed(call: Any, requests: list[bytes]) -> tuple[float, float, float]:
    """Mean main-thread CPU, process CPU and wall time per call, in ms."""
    t0, p0, w0 = time.thread_time(), time.process_time(), time.perf_counter()
    for request in requests:
        await call(request)
    n = len(requests)
    return (
        (time.thread_time() - t0) / n * 1000,
        (time.process_time() - p0) / n * 1000,
        (time.perf_counter() - w0) / n * 1000,
    )


async def main_async(args: argparse.Namespace) -> None:
    configure_logging("bench", "warning", "console")
    rng = random.Random(args.seed)
    sizes = [tuple(int(x) for x in part.split(":")) for part in args.calls.split(",")]
    with tempfile.TemporaryDirectory(prefix="fl-credit-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        auth = benchkit.BenchAuth.generate(tmp)
        async with (
            benchkit.embedded_nats(tmp) as nats_url,
            benchkit.database(args.postgres, tmp / "settlements.sqlite3", label="credit") as url,
        ):
            await upgrade_async(url, MIGRATIONS)
            settings = SettlementsSettings(
                database_url=url, nats_url=nats_url, **benchkit.LOCAL_SERVICE, **auth.settings()
            )
            process, app = await SPEC.build(settings)
            async with (
                benchkit.running(process),
                grpc.aio.insecure_channel(f"127.0.0.1:{process.grpc_port}") as ch,
            ):
                stub = ss_grpc.SettlementsServiceStub(ch)
                today = app.today()
                agents = [auth.token(new_id(), [AGENT]) for _ in range(args.agents)]
                # each client on one agent's route; its checks carry that agent's token
                clients = {new_id(): agents[i % len(agents)] for i in range(args.clients)}
                t0 = time.perf_counter()
                await seed(stub, list(clients), today, auth.metadata_for(ADMIN))
                print(
                    f"seeded {len(clients)} clients in {time.perf_counter() - t0:.1f} s "
                    f"({'PostgreSQL' if args.postgres else 'SQLite'}); "
                    f"{len(agents)} agents' tokens"
                )
                orders = auth.metadata_for(service_caller("orders"))  # every call orders'
                call = benchkit.raw(ch, METHOD, metadata=orders)
                sample = await call(batch_request(clients, 5, rng, today))
                reply = ss.CheckCreditBatchResponse.FromString(sample)
                assert all(r.HasField("decision") for r in reply.results), reply
                verification = await auth.verification_cost(token=agents[0])
                print(
                    "calls as the orders service (svc:orders, SERVICE), each check with its "
                    "agent's actor_token; settlements verifies both, the empty RPC neither"
                )
                print(
                    f"\n{'batch':>5} {'calls':>6}  {'CheckCreditBatch ms/call':>34}  "
                    f"{'empty RPC ms/call':>22}  {'ratio':>5}  per check  "
                    f"{'tokens':>6} {'verify':>7}"
                )
                print(
                    f"{'':>5} {'':>6}  {'thread':>10} {'process':>10} {'wall':>10}  "
                    f"{'thread':>10} {'wall':>10}  {'':>5}  {'thread':>9}  "
                    f"{'/call':>6} {'ms/call':>7}"
                )
                for size, calls in sizes:
                    warm = [batch_request(clients, size, rng, today) for _ in range(20)]
                    replies = [await call(r) for r in warm]
                    async with (
                        benchkit.empty_server({EMPTY_NAME: replies[-1]}) as empty_target,
                        grpc.aio.insecure_channel(empty_target) as ech,
                    ):
                        empty = benchkit.raw(ech, f"/{benchkit.EMPTY_SERVICE}/{EMPTY_NAME}")
                        for r in warm:
                            await empty(r)
                        best: list[tuple[float, float, float]] = []
                        best_empty: list[tuple[float, float, float]] = []
                        verified: list[float] = []
                        for _ in range(args.repeat):
                            requests = [
                                batch_request(clients, size, rng, today) for _ in range(calls)
                            ]
                            best.append(await timed(call, requests))
                            best_empty.append(await timed(empty, requests))
                            verified.append(tokens_per_call(requests))
                    real = min(best)
                    void = min(best_empty)
                    tokens = sum(verified) / len(verified)
                    print(
                        f"{size:>5} {calls:>6}  {real[0]:10.3f} {real[1]:10.3f} "
                        f"{real[2]:10.3f}  {void[0]:10.3f} {void[2]:10.3f}  "
                        f"{real[0] / void[0]:5.1f}  {real[0] / size:9.3f}  "
                        f"{tokens:6.1f} {tokens * verification.p50 * 1000:7.3f}"
                    )
                print(verification.line())
                print(
                    "      the CheckCreditBatch figures include it, for the call's token and "
                    "each distinct actor_token (`tokens`; `verify`: count × p50); the empty "
                    "RPC verifies nothing"
                )
                if args.statements:
                    await count_statements(app, call, clients, sizes, rng, today)
                if args.profile:
                    size = args.profile
                    requests = [batch_request(clients, size, rng, today) for _ in range(300)]
                    profiler = cProfile.Profile(time.thread_time)
                    profiler.enable()
                    for r in requests:
                        await call(r)
                    profiler.disable()
                    out = io.StringIO()
                    stats = pstats.Stats(profiler, stream=out)
                    stats.sort_stats(args.profile_sort).print_stats(args.profile_top)
                    print(f"\ncProfile of 300 calls of {size} checks:\n{out.getvalue()}")


async def count_statements(
    app: Any,
    call: Any,
    clients: dict[str, str],
    sizes: list[tuple[int, ...]],
    rng: random.Random,
    today: date,
) -> None:
    counts: collections.Counter[str] = collections.Counter()

    @event.listens_for(app.engine.sync_engine, "before_cursor_execute")
    def _statement(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        counts[statement.lstrip().split(None, 1)[0].upper()] += 1

    @event.listens_for(app.engine.sync_engine, "commit")
    def _commit(conn: Any) -> None:
        counts["COMMIT"] += 1

    print("\nstatements per call (SELECT/INSERT/UPDATE/DELETE; BEGIN as SQLite sends it):")
    for size, _ in sizes:
        counts.clear()
        n = 50
        for _ in range(n):
            await call(batch_request(clients, size, rng, today))
        print(
            f"  batch {size:>3}: "
            + ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(counts.items()))
        )
    event.remove(app.engine.sync_engine, "before_cursor_execute", _statement)
    event.remove(app.engine.sync_engine, "commit", _commit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    benchkit.add_postgres_argument(parser)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--agents",
        type=int,
        default=300,
        help="agents whose tokens the checks carry (actor_token), clients spread round robin",
    )
    parser.add_argument("--calls", default="1:600,5:300,30:80", help="size:calls,…")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--profile", type=int, default=0, help="cProfile calls of this size")
    parser.add_argument("--profile-sort", default="tottime")
    parser.add_argument("--profile-top", type=int, default=40)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 300 clients, calls 1:200,5:100,30:30, 2 rounds",
    )
    args = parser.parse_args()
    if args.agents < 1:
        parser.error("--agents must be at least 1")
    if args.quick:
        args.clients, args.calls, args.repeat = 300, "1:200,5:100,30:30", 2
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
