"""The process every gRPC service runs, and the one `main` that starts it.

A service declares itself once, in `entrypoints/main.py`, as a `ServiceSpec`: its name and
settings, its migrations, its composition root (`bootstrap`), its gRPC servicers and its
stream readers. From that the kit gives it `python -m fieldline_<service> serve|migrate` and
`build()`, which tests and benchmarks use to run it in-process exactly as `serve` does.

Lifecycle of `serve`: start metrics → bind gRPC (health NOT_SERVING) → start background loops
(outbox relay, consumers, the database probe) → SERVING → wait for SIGTERM/SIGINT →
NOT_SERVING → drain in-flight RPCs within the grace period → stop background loops → close
connections.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import grpc
from nats.aio.client import Client
from prometheus_client import start_http_server
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fieldline_kit import tracing
from fieldline_kit.app import ServiceApp
from fieldline_kit.auth import grpc_auth
from fieldline_kit.auth.directory import EmployeeDirectory
from fieldline_kit.auth.policy import Policy
from fieldline_kit.db import probe, watch_pool
from fieldline_kit.grpc import tls
from fieldline_kit.grpc.server import Register, create_server
from fieldline_kit.logging import configure_logging, get_logger
from fieldline_kit.messaging.consumer import EventConsumer
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.relay import OutboxRelay
from fieldline_kit.migrations import upgrade
from fieldline_kit.settings import ServiceSettings, SettingsError, load_settings, setting
from fieldline_kit.tables import KitTables

Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
Cleanup = Callable[[], Awaitable[None]]

GC_YOUNG_THRESHOLD = 20_000

log = get_logger("fieldline.service")


def tune_gc() -> None:
    """For a process that is set up and about to work: every object alive now (modules,
    descriptors, the wired app, its caches) lives as long as the process, so it is frozen into
    a generation the collector never scans, and the young generation is collected every
    GC_YOUNG_THRESHOLD allocations instead of every 700 (a request allocates thousands of
    short-lived rows, protos and Decimals). Figures: docs/benchmarks.md."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


@dataclass
class ServiceProcess:
    name: str
    settings: ServiceSettings
    register: Register
    background: Sequence[Background] = ()
    cleanup: Sequence[Cleanup] = ()
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    grpc_port: int = 0
    metrics_port: int = 0
    auth: grpc_auth.GrpcAuth | None = None
    # The gRPC port's TLS (`tls.server_credentials`); None: plaintext.
    server_credentials: grpc.ServerCredentials | None = None

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        s = self.settings
        metrics_server, _ = start_http_server(s.metrics_port, addr=s.grpc_host)
        server = await create_server(
            self.name,
            s.grpc_host,
            s.grpc_port,
            self.register,
            self.auth,
            credentials=self.server_credentials,
        )
        self.grpc_port = server.port
        self.metrics_port = metrics_server.server_port
        loop = asyncio.get_running_loop()
        if install_signal_handlers:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop_requested.set)
        await server.start()
        stop_background = asyncio.Event()
        tasks = [asyncio.create_task(fn(stop_background)) for fn in self.background]
        await server.mark_serving()
        log.info(
            "service started",
            grpc_port=server.port,
            grpc_tls=self.server_credentials is not None,
            metrics_port=metrics_server.server_port,
        )
        tune_gc()
        self.ready.set()
        try:
            await self.stop_requested.wait()
        finally:
            log.info(
                "shutting down",
                drain_delay_seconds=s.drain_delay_seconds,
                grace_seconds=s.shutdown_grace_seconds,
            )
            await server.mark_not_serving()
            await asyncio.sleep(s.drain_delay_seconds)
            await server.stop(s.shutdown_grace_seconds)
            stop_background.set()
            if tasks:
                done, pending = await asyncio.wait(tasks, timeout=10)
                for task in pending:
                    task.cancel()
                for task in done:
                    if task.exception() is not None:
                        log.error("background task failed", error=repr(task.exception()))
            for fn in self.cleanup:
                # A cleanup step that fails (e.g. draining a NATS connection whose server is
                # gone) must not skip the others or turn a clean stop into a crash.
                try:
                    await fn()
                except Exception as exc:
                    log.warning(
                        "cleanup step failed",
                        step=getattr(fn, "__name__", repr(fn)),
                        error=repr(exc),
                    )
            metrics_server.shutdown()
            log.info("service stopped")


async def messaging_process(
    name: str,
    settings: ServiceSettings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    tables: KitTables,
    register: Register,
    on_commit: list[Callable[[], None]],
    readers: Callable[[Client], Sequence[Background]] = lambda _nc: (),
    cleanup: Sequence[Cleanup] = (),
    auth: grpc_auth.GrpcAuth | None = None,
    server_credentials: grpc.ServerCredentials | None = None,
) -> ServiceProcess:
    """The wiring every service shares: one NATS connection, the outbox relay (woken by each
    commit that wrote events, through `on_commit`), the service's own stream readers
    (consumers, followers), and on stop: drain NATS, then `cleanup`.
    """
    nc = await connect(settings.nats_url, name)
    background: list[Background] = []
    if settings.run_relay:
        relay = OutboxRelay(
            sessions,
            tables,
            nc,
            service=name,
            poll_interval=settings.outbox_poll_seconds,
            min_pass_interval=settings.outbox_min_pass_seconds,
        )
        on_commit.append(relay.wake)
        background.append(relay.run)
    background.extend(readers(nc))

    async def close_nats() -> None:
        await nc.drain()

    return ServiceProcess(
        name=name,
        settings=settings,
        register=register,
        background=background,
        cleanup=[close_nats, *cleanup],
        auth=auth,
        server_credentials=server_credentials,
    )


S = TypeVar("S", bound=ServiceSettings)
A = TypeVar("A", bound=ServiceApp[Any, Any])


def _no_readers(app: Any, nc: Client) -> Sequence[Background]:
    return ()


def _valid(settings: Any) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class _MigrateSettings:
    database_url: str = setting("database to migrate", secret=True)


@dataclass(frozen=True)
class ServiceSpec(Generic[S, A]):
    """One service, declared once: everything `serve`, `migrate`, tests and benchmarks need.

    `consumers`: what builds each of its durable consumers (`EventConsumer`s) on the
    process's NATS connection, run unless its settings say `run_consumers=false`; `readers(app,
    nc)`: any other stream reader (a follower); `validate(settings)` refuses a configuration
    the types allow but the service does not (raise SettingsError); `policy`: the access rule
    of each RPC (`fieldline_kit.auth.policy`), enforced when the settings' `auth_jwks` is set —
    which a service without a policy refuses at start-up.
    """

    name: str
    settings: type[S]
    prefix: str  # of its environment variables, e.g. ORDERS
    migrations: Path
    bootstrap: Callable[[S], A]
    servicers: Callable[[A], Register]
    consumers: Sequence[Callable[[A, Client], EventConsumer]] = ()
    readers: Callable[[A, Client], Sequence[Background]] = _no_readers
    validate: Callable[[S], None] = _valid
    # More commands of `python -m fieldline_<service>` (e.g. a bulk load the service owns):
    # name → function of the remaining arguments, returning the exit code.
    commands: Mapping[str, Callable[[list[str]], int]] = field(default_factory=dict)
    policy: Policy | None = None
    # The service's directory of employees' current standing (active, roles), checked on
    # every call of an employee's token (fieldline_kit.auth.directory); None: the token's word.
    directory: Callable[[A], EmployeeDirectory] | None = None

    def settings_from_env(self) -> S:
        settings = load_settings(self.settings, self.prefix)
        self.validate(settings)
        return settings

    async def build(self, settings: S) -> tuple[ServiceProcess, A]:
        """The service wired exactly as `serve` runs it (tests start it in-process with this)."""
        self.validate(settings)
        tls.check(settings, self.prefix)  # <PREFIX>_TLS_*: every problem, before anything runs
        server_credentials = tls.server_credentials(settings, self.prefix)
        auth = grpc_auth.from_settings(settings, self.policy, self.prefix)
        app = self.bootstrap(settings)
        # Its database watched: pool use at each scrape, reachability probed in the background.
        watch_pool(app.engine, self.name)
        background: list[Background] = [functools.partial(probe, app.engine, self.name)]
        if auth is not None and self.directory is not None:
            auth.directory = self.directory(app)
            if auth.directory.refreshes:
                background.append(auth.directory.run)
        process = await messaging_process(
            self.name,
            settings,
            sessions=app.sessions,
            tables=app.tables,
            register=self.servicers(app),
            on_commit=app.on_commit,
            readers=lambda nc: [*background, *self._readers(app, nc)],
            cleanup=[app.close],
            auth=auth,
            server_credentials=server_credentials,
        )
        return process, app

    def _readers(self, app: A, nc: Client) -> list[Background]:
        readers = list(self.readers(app, nc))
        if app.settings.run_consumers:
            readers += [build(app, nc).run for build in self.consumers]
        return readers

    async def serve(self) -> None:
        settings = self.settings_from_env()
        configure_logging(self.name, settings.log_level, settings.log_format)
        # Before the build: the gRPC server and channels take their interceptors then.
        if tracing.configure_from_env(self.name):
            log.info("tracing on", exporter=os.environ.get("OTEL_TRACES_EXPORTER", ""))
        try:
            process, _ = await self.build(settings)
            await process.run()
        finally:
            tracing.uninstall()  # exports the spans still buffered

    def describe(self) -> dict[str, Any]:
        """What a runner needs to know of the service without importing it (`python -m
        fieldline_<service> describe` prints it as JSON): its name, env prefix, whether it
        has an access policy (and so checks tokens once its `<PREFIX>_AUTH_JWKS` is set)."""
        return {"name": self.name, "prefix": self.prefix, "policy": self.policy is not None}

    def main(self, argv: list[str] | None = None) -> int:
        """`python -m fieldline_<service> serve|migrate|describe`, the same locally and in
        Kubernetes."""
        return service_main(self, argv)


def service_main(spec: Any, argv: list[str] | None = None) -> int:
    """The command line of a declared service (`ServiceSpec`, `HttpServiceSpec`): its own
    commands, then `serve`, `migrate` and `describe`."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in spec.commands:
        return int(spec.commands[argv[0]](argv[1:]))
    parser = argparse.ArgumentParser(prog=f"python -m fieldline_{spec.name.replace('-', '_')}")
    parser.add_argument("command", choices=["serve", "migrate", "describe", *spec.commands])
    args = parser.parse_args(argv)
    try:
        if args.command == "describe":
            print(json.dumps(spec.describe()))
            return 0
        if args.command == "migrate":
            configure_logging(spec.name)
            migrate = load_settings(_MigrateSettings, spec.prefix)
            upgrade(migrate.database_url, spec.migrations)
            get_logger("fieldline.migrate").info("database migrated", service=spec.name)
            return 0
        asyncio.run(spec.serve())
        return 0
    except SettingsError as exc:
        print(f"{spec.name}: {exc}", file=sys.stderr)
        return 2
