"""The process of a service that serves HTTP (an ASGI app) instead of gRPC: the device gateway,
later the exchange service's HTTP side. The twin of `fieldline_kit.service`: the same settings,
composition root, migrations, consumers, database probe and commands, declared once as an
`HttpServiceSpec`.

Lifecycle of `serve`: start metrics → bind HTTP (not ready) → start background loops (outbox
relay, consumers, the database probe) → ready → wait for SIGTERM/SIGINT → not ready (`/readyz`
fails, so the load balancer stops sending) → wait the drain delay → stop accepting, finish
in-flight requests within the grace period → stop background loops → close connections.

The ASGI server is uvicorn, run inside the process's own event loop (so the app, its NATS
connection and its database pool share one loop) and without its own signal handling: the
process handles SIGTERM itself, to fail readiness first.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from nats.aio.client import Client
from prometheus_client import start_http_server

from fieldline_kit import tracing
from fieldline_kit.app import ServiceApp
from fieldline_kit.db import probe, watch_pool
from fieldline_kit.logging import configure_logging, get_logger
from fieldline_kit.messaging.consumer import EventConsumer
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.relay import OutboxRelay
from fieldline_kit.service import Background, Cleanup, service_main, tune_gc
from fieldline_kit.settings import ServiceSettings, load_settings, setting

log = get_logger("fieldline.service")

ASGIApp = Callable[..., Any]


@dataclass(frozen=True, kw_only=True)
class HttpServiceSettings(ServiceSettings):
    """What every HTTP service needs beyond a gRPC service's (whose gRPC port it leaves
    unused)."""

    http_host: str = setting("address the HTTP server binds", default="0.0.0.0")  # noqa: S104
    http_port: int = setting("HTTP port (0 picks a free port)", default=8000)


class Readiness:
    """Whether the process takes requests: false until started, and again from the stop
    signal on. The app's `/readyz` answers from it (and its own checks)."""

    def __init__(self) -> None:
        self.ready = False


class _Uvicorn:
    """uvicorn's server without its signal handlers (the process owns SIGTERM)."""

    def __init__(self, app: ASGIApp, host: str, port: int, grace: float) -> None:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Generator[None, None, None]:
                yield

        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="on",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=max(1, int(grace)),
            server_header=False,
        )
        self.server = Server(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()  # raises why it could not start
                raise RuntimeError("the HTTP server stopped before it started")
            await asyncio.sleep(0.01)
        socket = self.server.servers[0].sockets[0]
        return int(socket.getsockname()[1])

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


@dataclass
class HttpProcess:
    name: str
    settings: HttpServiceSettings
    app: ASGIApp
    readiness: Readiness
    background: Sequence[Background] = ()
    cleanup: Sequence[Cleanup] = ()
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    http_port: int = 0
    metrics_port: int = 0

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        s = self.settings
        metrics_server, _ = start_http_server(s.metrics_port, addr=s.http_host)
        self.metrics_port = metrics_server.server_port
        http = _Uvicorn(self.app, s.http_host, s.http_port, s.shutdown_grace_seconds)
        self.http_port = await http.start()
        loop = asyncio.get_running_loop()
        if install_signal_handlers:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop_requested.set)
        stop_background = asyncio.Event()
        tasks = [asyncio.create_task(fn(stop_background)) for fn in self.background]
        self.readiness.ready = True
        log.info("service started", http_port=self.http_port, metrics_port=self.metrics_port)
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
            self.readiness.ready = False
            await asyncio.sleep(s.drain_delay_seconds)
            await http.stop()
            stop_background.set()
            if tasks:
                done, pending = await asyncio.wait(tasks, timeout=10)
                for task in pending:
                    task.cancel()
                for task in done:
                    if task.exception() is not None:
                        log.error("background task failed", error=repr(task.exception()))
            for fn in self.cleanup:
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


S = TypeVar("S", bound=HttpServiceSettings)
A = TypeVar("A", bound=ServiceApp[Any, Any])


def _no_readers(app: Any, nc: Client) -> Sequence[Background]:
    return ()


def _valid(settings: Any) -> None:
    return None


@dataclass(frozen=True)
class HttpServiceSpec(Generic[S, A]):
    """One HTTP service, declared once (see `fieldline_kit.service.ServiceSpec`): `asgi(app,
    readiness)` builds its ASGI application on the wired composition root; `readers(app, nc)`
    are its background loops beside the consumers (jobs, followers)."""

    name: str
    settings: type[S]
    prefix: str
    migrations: Path
    bootstrap: Callable[[S], A]
    asgi: Callable[[A, Readiness], ASGIApp]
    consumers: Sequence[Callable[[A, Client], EventConsumer]] = ()
    readers: Callable[[A, Client], Sequence[Background]] = _no_readers
    validate: Callable[[S], None] = _valid
    commands: Mapping[str, Callable[[list[str]], int]] = field(default_factory=dict)

    def settings_from_env(self) -> S:
        settings = load_settings(self.settings, self.prefix)
        self.validate(settings)
        return settings

    async def build(self, settings: S) -> tuple[HttpProcess, A]:
        """The service wired exactly as `serve` runs it (tests start it in-process with this)."""
        self.validate(settings)
        app = self.bootstrap(settings)
        watch_pool(app.engine, self.name)
        readiness = Readiness()
        nc = await connect(settings.nats_url, self.name)
        background: list[Background] = [functools.partial(probe, app.engine, self.name)]
        if settings.run_relay:
            relay = OutboxRelay(
                app.sessions,
                app.tables,
                nc,
                service=self.name,
                poll_interval=settings.outbox_poll_seconds,
                min_pass_interval=settings.outbox_min_pass_seconds,
            )
            app.on_commit.append(relay.wake)
            background.append(relay.run)
        background.extend(self.readers(app, nc))
        if settings.run_consumers:
            background.extend(build(app, nc).run for build in self.consumers)

        async def close_nats() -> None:
            await nc.drain()

        process = HttpProcess(
            name=self.name,
            settings=settings,
            app=self.asgi(app, readiness),
            readiness=readiness,
            background=background,
            cleanup=[close_nats, app.close],
        )
        return process, app

    async def serve(self) -> None:
        settings = self.settings_from_env()
        configure_logging(self.name, settings.log_level, settings.log_format)
        if tracing.configure_from_env(self.name):
            log.info("tracing on", exporter=os.environ.get("OTEL_TRACES_EXPORTER", ""))
        try:
            process, _ = await self.build(settings)
            await process.run()
        finally:
            tracing.uninstall()

    def describe(self) -> dict[str, Any]:
        """As `ServiceSpec.describe`; `http` tells a runner to probe it over HTTP. An HTTP
        service checks tokens itself (its app), so it asks for the keys like one with a
        policy."""
        return {"name": self.name, "prefix": self.prefix, "policy": True, "http": True}

    def main(self, argv: list[str] | None = None) -> int:
        return service_main(self, argv)
