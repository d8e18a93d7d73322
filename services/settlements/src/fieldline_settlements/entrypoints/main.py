"""Process entrypoint: `serve` runs gRPC + outbox relay + the orders consumer; `migrate`
upgrades the database."""

from __future__ import annotations

from pathlib import Path

from nats.aio.client import Client

from fieldline_kit.cli import serve_with, service_main
from fieldline_kit.service import Background, ServiceProcess, messaging_process
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

    def readers(nc: Client) -> list[Background]:
        return [build_orders_consumer(app, nc).run] if settings.run_consumers else []

    process = await messaging_process(
        SERVICE,
        settings,
        sessions=app.sessions,
        tables=orm.kit,
        register=register(app),
        on_commit=app.on_commit,
        readers=readers,
        cleanup=[app.close],
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
