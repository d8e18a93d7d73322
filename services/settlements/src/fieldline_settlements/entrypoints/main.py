"""Process entrypoint: `serve` runs gRPC + outbox relay + the orders consumer; `migrate`
upgrades the database."""

from __future__ import annotations

from pathlib import Path

from fieldline_kit.cli import service_main
from fieldline_kit.logging import configure_logging
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.relay import OutboxRelay
from fieldline_kit.service import Background, ServiceProcess
from fieldline_settlements import settings as settings_module
from fieldline_settlements.adapters import orm
from fieldline_settlements.bootstrap import SERVICE, App, bootstrap
from fieldline_settlements.entrypoints.grpc_api import register
from fieldline_settlements.entrypoints.orders_consumer import build_orders_consumer
from fieldline_settlements.settings import SettlementsSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


async def build_process(settings: SettlementsSettings) -> tuple[ServiceProcess, App]:
    """Wire the service exactly as `serve` runs it (tests start it in-process with this)."""
    settings_module.validate(settings)
    app = bootstrap(settings)
    nc = await connect(settings.nats_url, SERVICE)
    background: list[Background] = []
    if settings.run_relay:
        relay = OutboxRelay(
            app.sessions, orm.kit, nc, service=SERVICE, poll_interval=settings.outbox_poll_seconds
        )
        app.on_commit.append(relay.wake)
        background.append(relay.run)
    if settings.run_consumers:
        background.append(build_orders_consumer(app, nc).run)

    async def close_nats() -> None:
        await nc.drain()

    process = ServiceProcess(
        name=SERVICE,
        settings=settings,
        register=register(app),
        background=background,
        cleanup=[close_nats, app.close],
    )
    return process, app


async def serve() -> None:
    settings = settings_module.from_env()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    process, _ = await build_process(settings)
    await process.run()


def main(argv: list[str] | None = None) -> int:
    return service_main(
        service=SERVICE,
        prefix=settings_module.PREFIX,
        migrations=MIGRATIONS,
        serve=serve,
        argv=argv,
    )
