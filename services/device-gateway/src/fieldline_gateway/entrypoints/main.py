"""The device gateway, declared once: `serve` runs the HTTP API (127.0.0.1:8000 under `./fl
up`), its consumers and background loops; `migrate` upgrades its database; `jwks KEY…` prints
the public JWKS of device-token keys (for the services' <SVC>_AUTH_JWKS)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from fieldline_gateway import settings
from fieldline_gateway.bootstrap import SERVICE, App, bootstrap
from fieldline_gateway.entrypoints.clients_consumer import build_clients_consumer
from fieldline_gateway.entrypoints.http_app import create_app
from nats.aio.client import Client

from fieldline_kit.auth.keys import jwks_document, load_signing_keys
from fieldline_kit.http_service import HttpServiceSpec
from fieldline_kit.service import Background

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def background(app: App, nc: Client) -> Sequence[Background]:
    loops: list[Background] = [app.identity.watch_revocations]
    if app.directory.refreshes:
        loops.append(app.directory.run)
    return loops


def jwks(args: list[str]) -> int:
    """Print the JWKS (public halves) of the device-token keys in the PEM files `args`."""
    if not args:
        print("usage: python -m fieldline_gateway jwks KEY.pem [KEY.pem…]")
        return 2
    print(json.dumps(jwks_document(load_signing_keys(args)), indent=2))
    return 0


SPEC = HttpServiceSpec(
    name=SERVICE,
    settings=settings.GatewaySettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    asgi=create_app,
    consumers=[build_clients_consumer],
    readers=background,
    validate=settings.validate,
    commands={"jwks": jwks},
)
main = SPEC.main
