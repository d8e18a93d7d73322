"""The gateway's channels to the three services, and who each call goes as.

A device's call goes with the device's own access token (the services apply their own policy
and scope to it); the gateway's own work (bulk builds, refetches, directory reads) goes as the
service `svc:gateway`, whose short-lived tokens it signs with GATEWAY_SERVICE_SIGNING_KEY.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fieldline.clients.v1 import (
    clients_service_pb2_grpc,
    territory_service_pb2_grpc,
    visits_service_pb2_grpc,
)
from fieldline.orders.v1 import (
    catalog_service_pb2_grpc,
    orders_service_pb2_grpc,
    promotions_service_pb2_grpc,
    van_service_pb2_grpc,
)
from fieldline.settlements.v1 import settlements_service_pb2_grpc
from fieldline_gateway.settings import PREFIX, GatewaySettings
from fieldline_kit.auth.grpc_auth import AUTHORIZATION
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.keys import load_signing_keys
from fieldline_kit.auth.principal import Kind
from fieldline_kit.grpc.channels import PeerChannels
from fieldline_kit.roles import SERVICE

SUBJECT = "svc:gateway"
SERVICE_TOKEN_LIFETIME = timedelta(minutes=5)

Metadata = tuple[tuple[str, str], ...]


def bearer(token: str) -> Metadata:
    return ((AUTHORIZATION, f"Bearer {token}"),)


class Peers:
    """Stubs of every service the gateway calls, on one channel per service."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._channels = PeerChannels(settings, PREFIX)
        channel = self._channels.open
        clients = channel(settings.clients_target)
        orders = channel(settings.orders_target)
        settlements = channel(settings.settlements_target)
        self.clients = clients_service_pb2_grpc.ClientsServiceStub(clients)
        self.territory = territory_service_pb2_grpc.TerritoryServiceStub(clients)
        self.visits = visits_service_pb2_grpc.VisitsServiceStub(clients)
        self.orders = orders_service_pb2_grpc.OrdersServiceStub(orders)
        self.catalog = catalog_service_pb2_grpc.CatalogServiceStub(orders)
        self.vans = van_service_pb2_grpc.VanServiceStub(orders)
        self.promotions = promotions_service_pb2_grpc.PromotionsServiceStub(orders)
        self.settlements = settlements_service_pb2_grpc.SettlementsServiceStub(settlements)
        self.timeout = settings.rpc_timeout_seconds
        issuer = TokenIssuer(
            load_signing_keys([settings.service_signing_key]),
            settings.service_token_issuer,
            settings.auth_audience,
            lifetime=SERVICE_TOKEN_LIFETIME,
        )
        self._service_token: Callable[[], str] = issuer.source(SUBJECT, Kind.SERVICE, [SERVICE])

    def as_service(self) -> Metadata:
        """The gateway's own `authorization`."""
        return bearer(self._service_token())

    async def close(self) -> None:
        await self._channels.close()
