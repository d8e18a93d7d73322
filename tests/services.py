"""Clients, settlements and orders started in-process, as the HTTP services' suites need them
behind the service under test (the device gateway, the exchange): real NATS, real databases,
each trusting the test issuer and the issuers `trusted` names (a JWKS file bound to its issuer,
as a deployment binds the gateway's device keys or the exchange's partner keys)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from fieldline_clients.entrypoints.main import SPEC as CLIENTS
from fieldline_kit.testing.auth import process_jwks, process_signing_key, process_tokens
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService, service_running
from fieldline_orders.entrypoints.main import SPEC as ORDERS
from fieldline_settlements.entrypoints.main import SPEC as SETTLEMENTS
from tests.company import Api

Trusted = Sequence[tuple[str, str]]  # (JWKS file, the issuer its keys are bound to)


@dataclass
class Services:
    clients: RunningService[Any]
    orders: RunningService[Any]
    settlements: RunningService[Any]
    api: Api

    def targets(self) -> dict[str, str]:
        """The settings of a service in front of them naming the three."""
        return {
            "clients_target": self.clients.target,
            "orders_target": self.orders.target,
            "settlements_target": self.settlements.target,
        }


def service_auth(trusted: Trusted = ()) -> dict[str, Any]:
    """A service's auth settings: the test issuer's keys, and each of `trusted` bound to its
    issuer (`#iss=`)."""
    tokens = process_tokens()
    jwks = ",".join([str(process_jwks()), *(f"{path}#iss={issuer}" for path, issuer in trusted)])
    return {
        "auth_jwks": jwks,
        "auth_issuers": (tokens.issuer_name, *(issuer for _, issuer in trusted)),
    }


@contextlib.asynccontextmanager
async def services_running(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats, trusted: Trusted = ()
) -> AsyncIterator[Services]:
    """Clients, settlements and orders (orders calling settlements as itself)."""
    nats_url = nats_server.url
    tokens = process_tokens()
    auth = service_auth(trusted)
    async with (
        service_running(CLIENTS, db_factory, nats_url, **auth) as clients,
        service_running(SETTLEMENTS, db_factory, nats_url, **auth) as settlements,
        service_running(
            ORDERS,
            db_factory,
            nats_url,
            settlements_target=settlements.target,
            service_signing_key=str(process_signing_key()),
            service_token_issuer=tokens.issuer_name,
            **auth,
        ) as orders,
    ):
        channels = {
            "clients": clients.channel,
            "orders": orders.channel,
            "settlements": settlements.channel,
        }
        yield Services(clients, orders, settlements, Api(channels))
