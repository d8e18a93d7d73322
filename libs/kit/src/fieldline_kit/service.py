"""Process lifecycle shared by every gRPC service.

start metrics → bind gRPC (health NOT_SERVING) → start background loops (outbox relay,
consumers) → SERVING → wait for SIGTERM/SIGINT → NOT_SERVING → drain in-flight RPCs within the
grace period → stop background loops → close connections.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client
from prometheus_client import start_http_server
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fieldline_kit.grpc.server import Register, create_server
from fieldline_kit.logging import get_logger
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.relay import OutboxRelay
from fieldline_kit.settings import ServiceSettings
from fieldline_kit.tables import KitTables

Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
Cleanup = Callable[[], Awaitable[None]]

GC_YOUNG_THRESHOLD = 20_000

log = get_logger("fieldline.service")


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

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        s = self.settings
        metrics_server, _ = start_http_server(s.metrics_port, addr=s.grpc_host)
        server = await create_server(self.name, s.grpc_host, s.grpc_port, self.register)
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
            metrics_port=metrics_server.server_port,
        )
        # Everything alive now (modules, descriptors, the wired app, its caches) lives for the
        # whole process. Freezing moves it to a permanent generation the collector never scans,
        # so the collections that request garbage triggers stay short instead of walking
        # ~100,000 start-up objects each time (full collections took 50-100 ms before).
        gc.freeze()
        # A request allocates thousands of short-lived containers (rows, protos, Decimals); at
        # the default threshold (700) the youngest generation is collected every few requests.
        # Collecting every GC_YOUNG_THRESHOLD allocations instead costs a little memory and
        # saved 7-10 % of the CPU of an order submission (bench/orders_submit_bench.py).
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
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
    )
