"""The exchange service in-process over real HTTP, on a real database and NATS; with
`exchange_system`, in front of real clients, orders and settlements services that trust its
partner tokens (its own key, bound to `fieldline-exchange`), as in a deployment."""

from __future__ import annotations

import atexit
import base64
import contextlib
import functools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from fieldline_exchange.entrypoints.main import SPEC as EXCHANGE
from fieldline_kit.auth.keys import generate_signing_key, jwks_document, private_pem
from fieldline_kit.testing.auth import ADMIN, Caller, process_jwks, process_tokens
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.http_service import RunningHttpService, http_service_running
from fieldline_kit.testing.nats_server import EmbeddedNats
from tests.services import Services, services_running

EXCHANGE_ISSUER = "fieldline-exchange"


@functools.cache
def partner_key() -> tuple[str, str]:
    """The exchange's partner-token key (a PEM file) and its JWKS file, made once per process."""
    key = generate_signing_key()
    directory = Path(tempfile.mkdtemp(prefix="exchange-partner-key-"))
    atexit.register(shutil.rmtree, directory, True)
    pem = directory / "partner-tokens.pem"
    pem.write_bytes(private_pem(key))
    pem.chmod(0o600)
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps(jwks_document([key])))
    return str(pem), str(jwks)


def exchange_settings(**overrides: Any) -> dict[str, Any]:
    tokens = process_tokens()
    return {
        "token_signing_keys": (partner_key()[0],),
        "token_issuer": EXCHANGE_ISSUER,
        "auth_jwks": str(process_jwks()),
        "auth_issuers": (tokens.issuer_name,),
        "clients_target": "127.0.0.1:1",
        "orders_target": "127.0.0.1:1",
        "settlements_target": "127.0.0.1:1",
        "data_dir": tempfile.mkdtemp(prefix="exchange-data-"),
        **overrides,
    }


def basic(login: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Exchange:
    service: RunningHttpService
    http: httpx.AsyncClient
    services: Services | None = None

    def admin(self, caller: Caller = ADMIN) -> dict[str, str]:
        """Headers of an administrator's call (a back-office token)."""
        return bearer(process_tokens().token_for(caller))

    async def partner(self, name: str, login: str) -> tuple[str, str]:
        """A new partner: its id and its Basic password."""
        made = await self.http.post(
            "/v1/partners", json={"name": name, "login": login}, headers=self.admin()
        )
        assert made.status_code == 201, made.text
        return made.json()["partnerId"], made.json()["password"]

    async def key(self, partner_id: str, *scopes: str) -> str:
        made = await self.http.post(
            f"/v1/partners/{partner_id}/keys", json={"scopes": list(scopes)}, headers=self.admin()
        )
        assert made.status_code == 201, made.text
        return str(made.json()["key"])


@contextlib.asynccontextmanager
async def exchange_running(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats, **overrides: Any
) -> AsyncIterator[Exchange]:
    """The exchange alone (its services' targets lead nowhere)."""
    async with (
        http_service_running(
            EXCHANGE, db_factory, nats_server.url, **exchange_settings(**overrides)
        ) as service,
        httpx.AsyncClient(base_url=service.base_url, timeout=30) as http,
    ):
        yield Exchange(service, http)


@contextlib.asynccontextmanager
async def exchange_system(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats, **overrides: Any
) -> AsyncIterator[Exchange]:
    """The exchange in front of clients, orders and settlements trusting its partner tokens."""
    trusted = [(partner_key()[1], EXCHANGE_ISSUER)]
    async with (
        services_running(db_factory, nats_server, trusted) as services,
        http_service_running(
            EXCHANGE,
            db_factory,
            nats_server.url,
            **exchange_settings(**services.targets(), **overrides),
        ) as service,
        httpx.AsyncClient(base_url=service.base_url, timeout=60) as http,
    ):
        yield Exchange(service, http, services)
