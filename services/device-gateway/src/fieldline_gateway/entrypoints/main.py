"""The device gateway, declared once: `serve` runs the HTTP API (127.0.0.1:8000 under `./fl
up`), its consumers and background loops; `migrate` upgrades its database; `jwks KEY…` prints
the public JWKS of device-token keys (for the services' <SVC>_AUTH_JWKS); `bulk-build` fills the
sync store from the services (which `serve` also does by itself on a store never built)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from nats.aio.client import Client

from fieldline_gateway import settings
from fieldline_gateway.adapters.service_lists import ServiceLists
from fieldline_gateway.bootstrap import SERVICE, App, bootstrap
from fieldline_gateway.entrypoints.clients_consumer import build_clients_consumer
from fieldline_gateway.entrypoints.http_app import create_app
from fieldline_gateway.entrypoints.sales_consumers import (
    build_orders_consumer,
    build_settlements_consumer,
)
from fieldline_gateway.service_layer.bulk_build import BulkBuild, LeaseHeld
from fieldline_gateway.service_layer.upkeep import Upkeep, UpkeepPolicy
from fieldline_kit.auth.keys import jwks_command
from fieldline_kit.http_service import HttpServiceSpec
from fieldline_kit.logging import configure_logging
from fieldline_kit.service import Background
from fieldline_kit.settings import SettingsError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def background(app: App, nc: Client) -> Sequence[Background]:
    loops: list[Background] = [app.identity.watch_revocations, app.refetcher.run]
    if app.directory.refreshes:
        loops.append(app.directory.run)
    loops.append(bulk_build_of(app).run_when_needed)  # the store's first build
    # Compaction, the window sweep, receipt and photo retention (one loop each, any replica,
    # one run at a time by the job leases).
    s = app.settings
    upkeep = Upkeep(
        app.uow,
        app.read_uow,
        app.blobs,
        UpkeepPolicy(
            tombstone_days=s.tombstone_days,
            receipt_days=s.receipt_days,
            photo_staging_hours=s.photo_staging_hours,
            windows=app.windows,
        ),
        clock=lambda: app.clock(),
        tz=app.tz,
    )
    loops.extend(upkeep.loops())
    return loops


def bulk_build_of(app: App) -> BulkBuild:
    """The sync store's bulk build, listing the services as the gateway itself."""
    return BulkBuild(
        app.uow,
        ServiceLists(app.peers),
        clock=lambda: app.clock(),
        today=lambda: app.clock().astimezone(app.tz).date(),
        windows=app.windows,
    )


def bulk_build(args: list[str]) -> int:
    """`bulk-build`: list everything from clients, orders and settlements as the gateway
    itself and write it into the sync store (idempotent: what is stored already is not written
    again; safe beside running replicas). Settings from the environment, as `serve`'s; prints
    the counts per section as JSON."""
    argparse.ArgumentParser(
        prog="python -m fieldline_gateway bulk-build", description=bulk_build.__doc__
    ).parse_args(args)
    try:
        gateway = SPEC.settings_from_env()
    except SettingsError as exc:
        print(f"bulk-build: {exc}", file=sys.stderr)
        return 2
    configure_logging(SERVICE, gateway.log_level, gateway.log_format)

    async def once() -> dict[str, object]:
        app = bootstrap(gateway)
        try:
            return (await bulk_build_of(app).run()).as_dict()
        finally:
            await app.close()

    try:
        counts = asyncio.run(once())
    except LeaseHeld as exc:
        print(f"bulk-build: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"bulk-build: failed: {exc!r}", file=sys.stderr)
        return 1
    print(json.dumps(counts))
    return 0


SPEC = HttpServiceSpec(
    name=SERVICE,
    settings=settings.GatewaySettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    asgi=create_app,
    consumers=[build_clients_consumer, build_orders_consumer, build_settlements_consumer],
    readers=background,
    validate=settings.validate,
    commands={"jwks": jwks_command("fieldline_gateway"), "bulk-build": bulk_build},
)
main = SPEC.main
