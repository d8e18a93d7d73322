"""gRPC server factory: grpc.aio, real health status, reflection, the kit interceptor.

Health is NOT_SERVING from creation until `mark_serving()`, and again from the moment a
shutdown starts, so load balancers stop sending traffic before in-flight calls are drained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import _async as health_aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from fieldline_kit import tracing
from fieldline_kit.auth.grpc_auth import GrpcAuth
from fieldline_kit.grpc.interceptor import ServerInterceptor

Register = Callable[[grpc.aio.Server], Iterable[str]]
"""Adds servicers to the server and returns their full service names."""

MAX_MESSAGE_BYTES = 32 * 1024 * 1024
# A service's channel to another may keep its connection alive with pings (every 10 s, also
# with no call in flight); by default a gRPC server takes pings more often than every 5
# minutes, or without calls, as abuse and closes the connection (GOAWAY "too_many_pings").
# One ping per this interval is accepted (gRPC's MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS).
MIN_PING_INTERVAL_MS = 5_000
# A client connection lives at most this long (gRPC adds +-10 % jitter): then the server sends
# GOAWAY, the client's calls move to a new connection, and a client that resolves the target
# by DNS (a headless Service, round_robin) resolves it again, so pods added by a scale-up get
# calls within about this time (docs/operations/scaling.md). Calls in flight on the old
# connection get MAX_CONNECTION_AGE_GRACE_SECONDS more to finish (the shutdown grace's 20 s and
# then some); none is cut short before. None: connections live as long as the peers do.
MAX_CONNECTION_AGE_SECONDS = 120.0
MAX_CONNECTION_AGE_GRACE_SECONDS = 30.0


def _connection_age(seconds: float | None) -> list[tuple[str, int]]:
    if seconds is None:
        return []
    return [
        ("grpc.max_connection_age_ms", int(seconds * 1000)),
        ("grpc.max_connection_age_grace_ms", int(MAX_CONNECTION_AGE_GRACE_SECONDS * 1000)),
    ]


@dataclass
class GrpcServer:
    server: grpc.aio.Server
    port: int
    health: health_aio.HealthServicer
    service_names: list[str] = field(default_factory=list)

    async def start(self) -> None:
        await self.server.start()

    async def mark_serving(self) -> None:
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def mark_not_serving(self) -> None:
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)

    async def stop(self, grace: float) -> None:
        """Turn health to NOT_SERVING first, then let in-flight RPCs finish within `grace`."""
        await self.mark_not_serving()
        await self.server.stop(grace)


async def create_server(
    service: str,
    host: str,
    port: int,
    register: Register,
    auth: GrpcAuth | None = None,
    credentials: grpc.ServerCredentials | None = None,
    max_connection_age: float | None = MAX_CONNECTION_AGE_SECONDS,
) -> GrpcServer:
    """The server; with `auth`, every RPC but health and reflection needs a token and a rule;
    with `credentials` (`fieldline_kit.grpc.tls.server_credentials`) the port serves TLS only,
    health and reflection included; without, plaintext. Client connections are closed
    gracefully after `max_connection_age` seconds (None: never)."""
    server = grpc.aio.server(
        interceptors=[*tracing.server_interceptors(), ServerInterceptor(service, auth)],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", MIN_PING_INTERVAL_MS),
            *_connection_age(max_connection_age),
        ],
    )
    names = list(register(server))
    if auth is not None:
        auth.report_missing(names)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    for name in ["", *names]:
        await health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    reflection.enable_server_reflection(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    address = f"{host}:{port}"
    if credentials is None:
        bound = server.add_insecure_port(address)
    else:
        bound = server.add_secure_port(address, credentials)
    if bound == 0:
        raise RuntimeError(f"cannot bind gRPC port {host}:{port}")
    return GrpcServer(server=server, port=bound, health=health, service_names=names)
