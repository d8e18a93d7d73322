"""Process entrypoint: `serve` runs gRPC + outbox relay + the clients feed consumer."""

from __future__ import annotations

from pathlib import Path

from nats.aio.client import Client

from fieldline_kit.cli import serve_with, service_main
from fieldline_kit.service import Background, ServiceProcess, messaging_process
from fieldline_orders import settings as settings_module
from fieldline_orders.adapters.schema import kit
from fieldline_orders.adapters.settlements_client import GrpcCreditChecker
from fieldline_orders.bootstrap import SERVICE, App, bootstrap
from fieldline_orders.entrypoints.feed_consumer import build_feed_consumer
from fieldline_orders.entrypoints.grpc_api import register
from fieldline_orders.settings import OrdersSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


async def build_process(settings: OrdersSettings) -> tuple[ServiceProcess, App]:
    """Wire the service exactly as `serve` runs it (tests start it in-process with this)."""
    settings_module.validate(settings)
    app = bootstrap(settings)
    app.credit = GrpcCreditChecker(
        settings.settlements_target,
        timeout=settings.credit_check_timeout_seconds,
        fallback=settings.credit_check_fallback,
    )

    def readers(nc: Client) -> list[Background]:
        return [build_feed_consumer(app, nc).run] if settings.run_consumers else []

    process = await messaging_process(
        SERVICE,
        settings,
        sessions=app.sessions,
        tables=kit,
        register=register(app),
        on_commit=app.on_commit,
        readers=readers,
        cleanup=[app.credit.close, app.close],
    )
    return process, app


def main(argv: list[str] | None = None) -> int:
    return service_main(
        service=SERVICE,
        prefix=settings_module.PREFIX,
        migrations=MIGRATIONS,
        serve=serve_with(SERVICE, settings_module.from_env, build_process),
        argv=argv,
    )
