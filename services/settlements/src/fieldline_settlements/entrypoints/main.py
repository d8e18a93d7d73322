"""The settlements service, declared once: `serve` runs gRPC, the outbox relay and the orders
consumer; `migrate` upgrades the database."""

from __future__ import annotations

from pathlib import Path

from nats.aio.client import Client

from fieldline_kit.service import Background, ServiceSpec
from fieldline_settlements import settings
from fieldline_settlements.bootstrap import SERVICE, App, bootstrap
from fieldline_settlements.entrypoints.grpc_api import register
from fieldline_settlements.entrypoints.orders_consumer import build_orders_consumer

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def readers(app: App, nc: Client) -> list[Background]:
    return [build_orders_consumer(app, nc).run] if app.settings.run_consumers else []


SPEC = ServiceSpec(
    name=SERVICE,
    settings=settings.SettlementsSettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    servicers=register,
    readers=readers,
    validate=settings.validate,
)
main = SPEC.main
