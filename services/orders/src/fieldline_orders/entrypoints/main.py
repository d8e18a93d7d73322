"""The orders service, declared once: `serve` runs gRPC, the outbox relay and the clients feed
consumer; `migrate` upgrades the database."""

from __future__ import annotations

from pathlib import Path

from nats.aio.client import Client

from fieldline_kit.service import Background, ServiceSpec
from fieldline_orders import settings
from fieldline_orders.bootstrap import SERVICE, App, bootstrap
from fieldline_orders.entrypoints.feed_consumer import build_feed_consumer
from fieldline_orders.entrypoints.grpc_api import register

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def readers(app: App, nc: Client) -> list[Background]:
    return [build_feed_consumer(app, nc).run] if app.settings.run_consumers else []


SPEC = ServiceSpec(
    name=SERVICE,
    settings=settings.OrdersSettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    servicers=register,
    readers=readers,
    validate=settings.validate,
)
main = SPEC.main
