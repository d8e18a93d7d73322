"""The device gateway in front of real clients, orders and settlements services, in-process,
on a real NATS and real databases (SQLite, or PostgreSQL with FIELDLINE_TEST_POSTGRES_URL).

As in a deployment, the services trust two more issuers: the gateway's device tokens (its own
key, bound to `fieldline-gateway` in their JWKS) and its service identity (here the test
process's key and issuer, which they trust anyway). The test talks to the gateway over real
HTTP (`system.http`) and sets the company up over the services' gRPC APIs as an administrator
(`system.api`, the shared builder of tests/company.py).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline_gateway.entrypoints.main import SPEC as GATEWAY
from fieldline_kit.auth.keys import generate_signing_key, jwks_document, private_pem
from fieldline_kit.testing.auth import (
    Caller,
    process_jwks,
    process_signing_key,
    process_tokens,
)
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import eventually, eventually_value
from fieldline_kit.testing.http_service import RunningHttpService, http_service_running
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService
from tests.company import Api
from tests.services import Services
from tests.services import service_auth as system_service_auth
from tests.services import services_running as system_services

GATEWAY_ISSUER = "fieldline-gateway"


@functools.cache
def device_key() -> tuple[str, str]:
    """The gateway's device-token key (a PEM file) and its JWKS file, made once per process."""
    key = generate_signing_key()
    directory = Path(tempfile.mkdtemp(prefix="gateway-device-key-"))
    atexit.register(shutil.rmtree, directory, True)
    pem = directory / "device-tokens.pem"
    pem.write_bytes(private_pem(key))
    pem.chmod(0o600)
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps(jwks_document([key])))
    return str(pem), str(jwks)


def service_auth() -> dict[str, Any]:
    """What a service behind the gateway is configured with: the test issuer's keys and the
    gateway's device keys (bound to its issuer)."""
    return system_service_auth(device_trust())


def device_trust() -> list[tuple[str, str]]:
    """The gateway's device keys, bound to its issuer (what the services trust besides the
    test issuer)."""
    return [(device_key()[1], GATEWAY_ISSUER)]


def gateway_settings(**targets: str) -> dict[str, Any]:
    tokens = process_tokens()
    return {
        "token_signing_keys": (device_key()[0],),
        "token_issuer": GATEWAY_ISSUER,
        "service_signing_key": str(process_signing_key()),
        "service_token_issuer": tokens.issuer_name,
        "auth_jwks": str(process_jwks()),
        "auth_issuers": (tokens.issuer_name,),
        # Tests poll and activate far faster than a device may; the limits have their own test.
        "rate_limits": "sync=100000,upload=100000,photo=100000,refresh=100000,activate=100000",
        **targets,
    }


@dataclass
class GatewaySystem:
    clients: RunningService[Any]
    orders: RunningService[Any]
    settlements: RunningService[Any]
    gateway: RunningHttpService
    http: httpx.AsyncClient
    api: Api

    def management(self, caller: Caller) -> dict[str, str]:
        """Headers of a management call as `caller` (a back-office token)."""
        return {"Authorization": f"Bearer {process_tokens().token_for(caller)}"}

    async def employee(
        self, role: cpb.Role.ValueType, supervisor: Caller | None = None, name: str = ""
    ) -> Caller:
        """A new employee, known to the gateway's directory (through clients' events)."""
        caller = await self.api.employee(
            role, name or f"Employee {uuid.uuid4().hex[:6]}", supervisor
        )
        app = self.gateway.app

        async def known() -> bool:
            async with app.read_uow() as uow:
                from fieldline_gateway.adapters.identity_store import IdentityStore

                return await IdentityStore(uow.session).standing(caller.subject) is not None

        await eventually(known, within=10, what="the employee reaches the gateway")
        return caller

    async def activation_code(self, supervisor: Caller, employee: Caller) -> str:
        reply = await self.http.post(
            "/v1/activation-codes",
            json={"employeeId": employee.subject},
            headers=self.management(supervisor),
        )
        assert reply.status_code == 201, reply.text
        return str(reply.json()["code"])

    async def activate(self, code: str, request_id: str = "") -> httpx.Response:
        return await self.http.post(
            "/v1/device/activate",
            json={
                "requestId": request_id or str(uuid.uuid4()),
                "activationCode": code,
                "device": {
                    "platform": "android",
                    "osVersion": "14",
                    "model": "Pixel 8",
                    "appVersion": "2.4.1",
                    "installationId": str(uuid.uuid4()),
                },
            },
        )

    async def device_of(self, supervisor: Caller, employee: Caller) -> dict[str, Any]:
        """A device activated for `employee`: the activation answer."""
        reply = await self.activate(await self.activation_code(supervisor, employee))
        assert reply.status_code == 201, reply.text
        return dict(reply.json())


class SyncedDevice:
    """A device's local copy of its bundle, applied as the protocol says (docs/sync-protocol.md,
    *Applying*): `sync()` fetches every page and applies them; `items` maps (section, key) to
    (scope, data)."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, Any]) -> None:
        self.http = http
        self.token = tokens["accessToken"]
        self.cursor: str | None = None
        self.items: dict[tuple[str, str], tuple[str, Any]] = {}

    async def sync(self) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        page_token = None
        while True:
            params = {k: v for k, v in (("cursor", self.cursor), ("pageToken", page_token)) if v}
            reply = await self.http.get(
                "/v1/sync", params=params, headers={"Authorization": f"Bearer {self.token}"}
            )
            assert reply.status_code == 200, reply.text
            pages.append(reply.json())
            page_token = pages[-1]["nextPageToken"]
            if not page_token:
                break
        first = pages[0]
        if first["mode"] == "full":
            self.items.clear()
        else:
            gone = set(first["scopes"]["removed"]) | set(first["scopes"]["reset"])
            self.items = {k: v for k, v in self.items.items() if v[0] not in gone}
        for page in pages:
            for section, entries in page["sections"].items():
                for entry in entries:
                    if entry.get("deleted"):
                        self.items.pop((section, entry["key"]), None)
                    else:
                        self.items[(section, entry["key"])] = (entry["scope"], entry["data"])
        self.cursor = pages[-1]["nextCursor"]
        return pages

    async def sync_until(
        self, what: Callable[[SyncedDevice], Any], within: float = 20
    ) -> list[dict[str, Any]]:
        """Sync until `what(self)` holds (the services' events reach the store within about a
        second); every page of those syncs."""
        seen: list[dict[str, Any]] = []

        async def attempt() -> list[dict[str, Any]]:
            seen.extend(await self.sync())
            return seen

        await eventually_value(attempt, lambda _pages: bool(what(self)), within=within)
        assert what(self), "the sync never showed the change"
        return seen

    def keys(self, section: str) -> set[str]:
        return {key for (s, key) in self.items if s == section}

    def data(self, section: str, key: str) -> Any:
        return self.items[(section, key)][1]


@contextlib.asynccontextmanager
async def services_running(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> AsyncIterator[Services]:
    """Clients, settlements and orders, trusting the gateway's tokens as in a deployment."""
    async with system_services(db_factory, nats_server, device_trust()) as services:
        yield services


@contextlib.asynccontextmanager
async def gateway_system(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats, **gateway_overrides: Any
) -> AsyncIterator[GatewaySystem]:
    async with (
        services_running(db_factory, nats_server) as services,
        http_service_running(
            GATEWAY,
            db_factory,
            nats_server.url,
            **{
                **gateway_settings(**services.targets()),
                "data_dir": tempfile.mkdtemp(prefix="gateway-data-"),
                **gateway_overrides,
            },
        ) as gateway,
        httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http,
    ):
        yield GatewaySystem(
            services.clients, services.orders, services.settlements, gateway, http, services.api
        )


@pytest_asyncio.fixture(scope="module", name="system")
async def system_fixture(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> AsyncIterator[GatewaySystem]:
    """The gateway and the three services for one test module (import `system_fixture`)."""
    async with gateway_system(db_factory, nats_server) as system:
        yield system
