"""The exchange service, declared once: `serve` runs the HTTP API (127.0.0.1:8100 under `./fl
up`), its background work and its consumer (the export journal); `migrate` upgrades its
database; `jwks KEY…` prints the public JWKS of partner-token keys (for the services'
<SVC>_AUTH_JWKS)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from nats.aio.client import Client

from fieldline_exchange import settings
from fieldline_exchange.bootstrap import SERVICE, App, bootstrap
from fieldline_exchange.entrypoints.export_consumer import (
    build_clients_export_consumer,
    build_orders_export_consumer,
    build_settlements_export_consumer,
)
from fieldline_exchange.entrypoints.http_app import create_app
from fieldline_kit.auth.keys import jwks_command
from fieldline_kit.http_service import HttpServiceSpec
from fieldline_kit.service import Background

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def background(app: App, nc: Client) -> Sequence[Background]:
    """The import jobs' worker (any replica claims the next job)."""

    async def imports(stop: asyncio.Event) -> None:
        await app.imports.run(stop, app.partners.caller)

    return [imports] if app.settings.imports_worker else []


SPEC = HttpServiceSpec(
    name=SERVICE,
    settings=settings.ExchangeSettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    asgi=create_app,
    # the export's journal
    consumers=[
        build_orders_export_consumer,
        build_settlements_export_consumer,
        build_clients_export_consumer,
    ],
    readers=background,
    validate=settings.validate,
    commands={"jwks": jwks_command("fieldline_exchange")},
)
main = SPEC.main
