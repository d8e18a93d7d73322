"""What the benchmark scripts share: throwaway databases, an embedded NATS, a service running
in the bench's event loop, the tokens its calls carry (`BenchAuth`), and the "empty" gRPC
server a real RPC is compared with.

The scripts are run as `python bench/<name>.py` (from any directory), which puts the script's
folder, bench/, first on `sys.path`: that is how they `import benchkit`, and so do the
`multiprocessing` spawn children of orders_submit_bench, which inherit the parent's path. bench/
is not a package: run the scripts by path, not with `python -m` (nor with `python -P` or
PYTHONSAFEPATH set, which leave the script's folder off the path).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import io
import json
import pstats
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import grpc
from sqlalchemy.engine import make_url

from fieldline_kit.auth.jwks import JwksSource
from fieldline_kit.auth.keys import generate_signing_key, jwks_document, private_pem
from fieldline_kit.auth.principal import Kind
from fieldline_kit.auth.verify import TokenVerifier, VerifiedTokens
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.topology import apply
from fieldline_kit.roles import AGENT
from fieldline_kit.testing.auth import Caller, TestTokens
from fieldline_kit.testing.nats_server import EmbeddedNats

EMPTY_SERVICE = "bench.Empty"
"""The service of `empty_server`'s methods: `/bench.Empty/<name>`."""

CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
]
"""Client channel options for responses beyond gRPC's default 4 MB limit."""

LOCAL_SERVICE: dict[str, Any] = {"grpc_host": "127.0.0.1", "grpc_port": 0, "metrics_port": 0}
"""Service settings for a service in the bench: on the loopback, on ports the OS picks."""


def add_postgres_argument(parser: argparse.ArgumentParser) -> None:
    """`--postgres URL`: run on throwaway PostgreSQL databases (see `database`)."""
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server to create the throwaway database(s) on "
        "(default: SQLite files in a temporary directory)",
    )


# ------------------------------------------------------------------------------- database
@contextlib.asynccontextmanager
async def database(
    postgres: str | None, sqlite_path: Path, *, label: str = "", keep: bool = False
) -> AsyncIterator[str]:
    """A new, empty database; yields its SQLAlchemy URL.

    Without `postgres`: the SQLite file `sqlite_path` (created by whoever connects first; the
    caller's temporary directory removes it). With `postgres`, the URL of a PostgreSQL server:
    a database `fl_bench_<label>_<hex>` (`fl_bench_<hex>` without a label) created on that
    server through asyncpg and, unless `keep`, dropped `WITH (FORCE)` at the end. The URL keeps
    the driver and credentials of `postgres`.
    """
    if not postgres:
        yield f"sqlite:///{sqlite_path}"
        return
    server = make_url(postgres)
    admin = _asyncpg_dsn(postgres)
    name = f"fl_bench_{label}_" if label else "fl_bench_"
    name += uuid.uuid4().hex[:12]
    await _execute(admin, f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            await _execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ANALYZE_EVERY = 10.0  # seconds: see `statistics_kept`

# Autovacuum's rule for analyzing a table: more than 50 rows + 10 % of it changed since its
# last analysis (a table never analyzed has reltuples -1: counts as empty).
_STALE_TABLES = (
    "SELECT s.schemaname, s.relname FROM pg_stat_user_tables s "
    "JOIN pg_class c ON c.oid = s.relid "
    "WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)"
)


def add_analyze_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="PostgreSQL: analyze the throwaway databases' changed tables this often, as "
        f"autovacuum would (default: {ANALYZE_EVERY:g} s when the server's autovacuum is off, "
        "else never; 0: never)",
    )


@contextlib.asynccontextmanager
async def statistics_kept(urls: list[str], every: float | None) -> AsyncIterator[str]:
    """PostgreSQL: keep the planner's statistics of the bench's databases current, as
    autovacuum keeps a production database's; yields a line saying what it does ("" on SQLite).

    A bench database is seconds old and grows by thousands of rows a second. PostgreSQL plans
    a prepared statement generically after five executions and keeps that plan until
    something invalidates it, an ANALYZE among others. With autovacuum off (as on this
    project's development machines) nothing ever does: the statements first run on nearly
    empty tables keep sequential scans as the tables grow. In one full run, orders' read
    phase scanned `orders` and `idempotency` 400 times each (3.1 M rows each) and
    settlements' credit check `credit_reservations` 1,482 times (11.4 M rows), and
    SubmitOrder slowed from round to round (docs/benchmarks.md). A production server has
    autovacuum on: it analyzes a table once 50 rows + 10 % of it have changed. Here, every
    `every` seconds, the tables past that threshold are analyzed (by default only when the
    server's autovacuum is off; `every` 0: never). Autovacuum looks at a database once a
    minute (`autovacuum_naptime`), enough for tables that grow by a small fraction a minute;
    the bench's grow from nothing in seconds, hence the shorter period.
    """
    if not urls or urls[0].startswith("sqlite"):
        yield ""
        return
    dsns = [_asyncpg_dsn(u) for u in urls]
    if every is None:
        async with _connected(dsns[0]) as conn:
            autovacuum = await conn.fetchval("SHOW autovacuum")
        every = ANALYZE_EVERY if autovacuum == "off" else 0.0
        why = f"the server's autovacuum is {autovacuum}"
    else:
        why = "--analyze-every"
    if every <= 0:
        yield f"statistics: left to the server ({why})"
        return

    async def analyze_changed() -> None:
        for dsn in dsns:
            async with _connected(dsn) as conn:
                for schema, table in await conn.fetch(_STALE_TABLES):
                    await conn.execute(f'ANALYZE "{schema}"."{table}"')

    async def keep() -> None:
        while True:
            await asyncio.sleep(every)
            await analyze_changed()

    await analyze_changed()
    task = asyncio.create_task(keep())
    try:
        yield f"statistics: changed tables analyzed every {every:g} s, as autovacuum would ({why})"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL (any driver) as asyncpg takes it, credentials kept."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def _connected(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def _execute(dsn: str, statement: str) -> None:
    async with _connected(dsn) as conn:
        await conn.execute(statement)


# ------------------------------------------------------------------------- NATS, services
@contextlib.asynccontextmanager
async def embedded_nats(tmp: Path) -> AsyncIterator[str]:
    """An embedded NATS (store in `tmp/nats`) with the system's streams, as `fl up` creates
    them (the outbox relays publish to them, consumers and followers read them); yields its
    URL."""
    nats = EmbeddedNats(store_dir=tmp / "nats")
    await nats.start()
    try:
        nc = await connect(nats.url, "bench")
        await apply(nc)
        await nc.drain()
        yield nats.url
    finally:
        await nats.stop()


@contextlib.asynccontextmanager
async def running(process: Any, timeout: float | None = 60.0) -> AsyncIterator[None]:
    """A service's `ServiceProcess` (from its `SPEC.build`) running in this event loop.

    Waits until it is ready (serving), at most `timeout` seconds (None: no limit); a start-up
    failure is raised at once. At the end it is stopped as SIGTERM stops it, again within
    `timeout`.
    """
    task = asyncio.create_task(process.run(install_signal_handlers=False))
    ready = asyncio.create_task(process.ready.wait())
    await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        if not task.done():
            task.cancel()
            raise TimeoutError(f"{process.name} was not ready within {timeout} s")
        task.result()  # raises what stopped it
        raise RuntimeError(f"{process.name} stopped before it was ready")
    try:
        yield
    finally:
        process.stop_requested.set()
        await asyncio.wait_for(task, timeout)


# ------------------------------------------------------------------------------- identity
Metadata = tuple[tuple[str, str], ...]
"""A call's metadata: `(("authorization", "Bearer <JWT>"),)`."""

TOKEN_LIFETIME = timedelta(hours=4)
"""The bench's tokens outlive any run (a loaded company plus the runs take minutes)."""


@dataclass(frozen=True)
class VerificationCost:
    """Wall times of single `TokenVerifier.verify_async` calls (see `BenchAuth`): the full
    check (a token the verifier has not seen: parse, signature, claims) and a token it
    remembers (verified within the last minute: what a device's repeated token costs)."""

    samples: list[float]  # seconds, the full check
    remembered: list[float] = field(default_factory=list)  # seconds, a remembered token

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def micros(self) -> float:
        """The full check's p50, in µs (an upper bound of what a call pays)."""
        return self.p50 * 1e6

    @property
    def remembered_micros(self) -> float:
        return statistics.median(self.remembered) * 1e6 if self.remembered else float("nan")

    def line(self) -> str:
        """What each script prints: the server's check is on, and what one verification costs."""
        return (
            f"auth: on (bearer token checked per call: full Ed25519 check {self.micros:.0f} µs "
            f"p50 on a token's first call, {self.remembered_micros:.1f} µs once remembered)"
        )


@dataclass(frozen=True)
class BenchAuth:
    """The tokens of a bench: a test issuer (an Ed25519 key made in memory), the JWKS file the
    services trust, and the calls' metadata.

    A service is started with `**auth.settings()` (`auth_jwks`, `auth_issuers`: what
    `<SVC>_AUTH_JWKS` and `<SVC>_AUTH_ISSUERS` set), so it checks every call as deployed: the
    kit's interceptor verifies the bearer token (signature, issuer, audience, expiry), admits
    an employee as far as the service's employee directory agrees (one unknown to it is taken
    at the token's word) and applies the RPC's rule; the use cases then apply the caller's
    scope. A call carries `metadata=auth.metadata(subject, roles)`, made once and sent as it
    is with every call (per-call metadata, no client interceptor), so the client's work per
    call is what it was without auth. The "empty" RPCs (`empty_server`) verify nothing.

    `services`: services that sign tokens of their own (orders' `svc:orders` tokens for
    settlements' CheckCreditBatch): a key each, its PEM in the run's directory
    (`service_key(name)`) and its public half in the JWKS.
    """

    tokens: TestTokens
    jwks: Path
    service_keys: Mapping[str, Path] = field(default_factory=dict)

    @classmethod
    def generate(cls, directory: Path, services: Iterable[str] = ()) -> BenchAuth:
        """A new issuer, its JWKS (and the `services`' keys) written to `directory`."""
        tokens = TestTokens.generate()
        keys = list(tokens.issuer.keys)
        pems: dict[str, Path] = {}
        for name in services:
            key = generate_signing_key()
            pem = directory / f"{name}-service.pem"
            pem.write_bytes(private_pem(key))
            pem.chmod(0o600)
            keys.append(key)
            pems[name] = pem
        jwks = directory / "jwks.json"
        jwks.write_text(json.dumps(jwks_document(keys)))
        return cls(tokens, jwks, pems)

    def settings(self, *issuers: str) -> dict[str, Any]:
        """The service settings that turn its check on: the JWKS, the test issuer (and
        `issuers`, e.g. orders' own for settlements)."""
        return {"auth_jwks": str(self.jwks), "auth_issuers": (self.tokens.issuer_name, *issuers)}

    def service_key(self, name: str) -> str:
        """The PEM file of a service's own signing key (`generate(services=...)`)."""
        return str(self.service_keys[name])

    def token(self, subject: str, roles: Iterable[str] = (), kind: str = Kind.EMPLOYEE) -> str:
        return self.tokens.mint(subject, kind, roles, lifetime=TOKEN_LIFETIME)

    def metadata(
        self, subject: str, roles: Iterable[str] = (), kind: str = Kind.EMPLOYEE
    ) -> Metadata:
        """A call's metadata as `subject` with `roles` (an employee unless `kind` says else)."""
        return bearer(self.token(subject, roles, kind))

    def metadata_for(self, caller: Caller) -> Metadata:
        """As `metadata`, for a `fieldline_kit.testing.auth` caller (`ADMIN`,
        `service_caller("orders")`)."""
        return self.metadata(caller.subject, caller.roles, caller.kind)

    async def verification_cost(
        self, n: int = 2000, token: str | None = None, issuers: Iterable[str] = ()
    ) -> VerificationCost:
        """What verifying one token costs the server: `n` calls of `TokenVerifier.verify_async`
        (what the kit's interceptor awaits per call) on a verifier made as the service's is
        (`JwksSource.at` the JWKS file, its keys cached after the first call, untimed), each
        timed alone, of `token` (default: an agent's). Signature and claims only: the
        employee directory and the RPC's rule are not in it."""
        accepted = (self.tokens.issuer_name, *issuers)
        token = token or self.token(str(uuid.uuid4()), [AGENT])
        full = TokenVerifier(
            JwksSource.at(str(self.jwks)), accepted, remembered=VerifiedTokens(remember_seconds=0)
        )
        remembering = TokenVerifier(JwksSource.at(str(self.jwks)), accepted)
        samples: dict[TokenVerifier, list[float]] = {full: [], remembering: []}
        for verifier, times in samples.items():
            await verifier.verify_async(token)  # keys fetched (and the token remembered)
            for _ in range(n):
                t0 = time.perf_counter()
                await verifier.verify_async(token)
                times.append(time.perf_counter() - t0)
        return VerificationCost(samples[full], samples[remembering])


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


# ----------------------------------------------------------------------------- empty RPC
Response = bytes | Callable[[], bytes]
"""An empty method's answer: the bytes, or a function returning them at each call."""


@contextlib.asynccontextmanager
async def empty_server(responses: Mapping[str, Response]) -> AsyncIterator[str]:
    """The "empty" RPCs that real ones are compared with; yields the server's address.

    One unary method `/bench.Empty/<name>` per entry of `responses`, answering any request
    with the entry's bytes as they are (no (de)serializers on either side), or, when the entry
    is a callable, with what it returns at that call (for an answer known only once the real
    RPC has run). The server is made by the kit's `create_server`, as the services' servers
    are, so transport, HTTP/2 framing and the kit interceptor cost the same and only the
    service's own work differs; its health is SERVING once started.
    """

    def method(response: Response) -> grpc.RpcMethodHandler:
        if callable(response):
            answer = response

            async def handler(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
                return answer()

        else:
            fixed = response

            async def handler(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
                return fixed

        return grpc.unary_unary_rpc_method_handler(handler)

    def register(server: grpc.aio.Server) -> list[str]:
        handlers = {name: method(response) for name, response in responses.items()}
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


def raw(
    channel: grpc.aio.Channel,
    path: str,
    timeout: float | None = None,
    metadata: Metadata | None = None,
) -> Callable[[bytes], Awaitable[bytes]]:
    """A unary call that sends and returns bytes as they are (no client-side protobuf work),
    each call with `metadata` (`BenchAuth.metadata`; the same to the empty RPC, which ignores
    it, so both carry the same bytes)."""
    call = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
    return functools.partial(call, timeout=timeout, metadata=metadata)


# ------------------------------------------------------------------------------- reports
async def timings(step: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    """Wall times (seconds) of `runs` calls of `step`, after one call that is not timed."""
    await step()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await step()
        samples.append(time.perf_counter() - t0)
    return samples


def profile_report(profile: cProfile.Profile, limit: int = 25) -> str:
    """The `limit` functions with the most own time (`tottime`), from the table's header on."""
    out = io.StringIO()
    pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime").print_stats(limit)
    report = out.getvalue()
    start = report.find("   ncalls")
    return report[start:] if start >= 0 else report


async def database_version(postgres: str | None) -> str:
    """The database the figures were measured on: PostgreSQL's server version (asked), else
    the SQLite library's."""
    if not postgres:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    conn = await asyncpg.connect(
        make_url(postgres).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return f"PostgreSQL {version}"
