"""Options of a channel from one service to another (orders → settlements, the gateway → the
three services).

gRPC's default reconnection backoff grows from 1 s by ×1.6 per failed attempt up to 120 s (and
lets an attempt take up to 20 s): after a long outage a channel would try again only every
half a minute or so, answering "unavailable" long after the peer serves again. Here it tries
about every second, so a recovery is seen within one attempt. The keepalive pings (also on an
idle channel) find a connection that died without being closed (a node or network gone)
within time + timeout, instead of calls waiting out their deadline on it; the server side
accepts pings that often (fieldline_kit.grpc.server). wait_for_ready stays False (gRPC's
default): a call on a channel that is down fails at once with UNAVAILABLE.

round_robin: with several replicas behind the target, one connection to each, calls taken in
turn (pick_first, gRPC's default, would send every call to the first). Each connection's health
is watched (gRPC client-side health checking): a replica that reports NOT_SERVING (starting, or
draining before it stops) gets no new call, so a call is never caught by a replica's stop
(docs/operations/scaling.md).
"""

from __future__ import annotations

import json
from typing import Any

import grpc

from fieldline_kit.grpc.tls import channel_credentials, open_channel

RECONNECT_BACKOFF_MS = 1_000
KEEPALIVE_TIME_MS = 10_000
KEEPALIVE_TIMEOUT_MS = 5_000
SERVICE_CONFIG = json.dumps(
    {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}
)
PEER_CHANNEL_OPTIONS: tuple[tuple[str, int | str], ...] = (
    ("grpc.service_config", SERVICE_CONFIG),
    ("grpc.initial_reconnect_backoff_ms", RECONNECT_BACKOFF_MS),
    ("grpc.min_reconnect_backoff_ms", RECONNECT_BACKOFF_MS),
    ("grpc.max_reconnect_backoff_ms", RECONNECT_BACKOFF_MS),
    ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
    ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),  # 0: keep pinging an idle connection
)


class PeerChannels:
    """A service's channels to the services it calls, opened with the peer options and the
    service's TLS settings (`<PREFIX>_TLS_…`), closed together at stop."""

    def __init__(self, settings: Any, prefix: str) -> None:
        self._credentials = channel_credentials(settings, prefix)
        self._opened: list[grpc.aio.Channel] = []

    def open(self, target: str) -> grpc.aio.Channel:
        channel = open_channel(target, self._credentials, PEER_CHANNEL_OPTIONS)
        self._opened.append(channel)
        return channel

    async def close(self) -> None:
        for channel in self._opened:
            await channel.close()
