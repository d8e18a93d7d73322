"""The one way services connect to NATS: reconnect forever, log connection changes, no secrets.

nats-py has no `retry_on_failed_connect` option (that is the Go client's name); with
`allow_reconnect=True` and `max_reconnect_attempts=-1` its `connect()` already keeps retrying
the initial connection until a server answers, so a pod that starts before NATS waits for it
instead of crash-looping. Bound it with `asyncio.timeout()` where waiting forever is wrong
(e.g. the topology Job).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline_kit.logging import get_logger

log = get_logger("fieldline.nats")

RECONNECT_TIME_WAIT = 2  # seconds between attempts to the same server
CONNECT_TIMEOUT = 2  # seconds per TCP/handshake attempt
PING_INTERVAL = 20  # seconds; a dead peer is noticed after ping_interval * max_outstanding_pings


def server_list(url: str) -> list[str]:
    """`nats://a:4222, nats://b:4222` -> ["nats://a:4222", "nats://b:4222"]."""
    servers = [part.strip() for part in url.split(",") if part.strip()]
    if not servers:
        raise ValueError("empty NATS URL")
    return servers


def safe_url(url: str) -> str:
    """A NATS URL (or comma-separated list) with any user, password or token removed."""
    out = []
    for server in server_list(url):
        parts = urlsplit(server if "://" in server else f"nats://{server}")
        host = parts.hostname or "?"
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
        out.append(f"{parts.scheme}://{host}{port}")
    return ",".join(out)


async def connect(url: str, name: str) -> Client:
    """Connect to NATS (comma-separated URLs allowed) and keep reconnecting for ever.

    `name` shows up in the server's connection list (use the service name, e.g. "clients").
    Publishes made while disconnected are buffered and flushed on reconnect; JetStream
    publishes that time out meanwhile are retried by the relay and deduplicated by Nats-Msg-Id.
    """
    where = safe_url(url)
    nc = Client()

    async def on_disconnected() -> None:
        if nc.is_closed:  # our own close()/drain(), not an outage
            return
        log.warning("nats disconnected", connection=name, servers=where)

    async def on_reconnected() -> None:
        current = nc.connected_url
        log.info(
            "nats reconnected",
            connection=name,
            server=safe_url(current.geturl()) if current is not None else where,
        )

    async def on_error(exc: Exception) -> None:
        # Called for every failed attempt while (re)connecting; the exception text never
        # contains the URL's credentials.
        log.warning("nats error", connection=name, servers=where, error=str(exc) or repr(exc))

    async def on_closed() -> None:
        log.info("nats connection closed", connection=name)

    await nc.connect(
        servers=server_list(url),
        name=name,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=RECONNECT_TIME_WAIT,
        connect_timeout=CONNECT_TIMEOUT,
        ping_interval=PING_INTERVAL,
        disconnected_cb=on_disconnected,
        reconnected_cb=on_reconnected,
        error_cb=on_error,
        closed_cb=on_closed,
    )
    log.info("nats connected", connection=name, servers=where)
    return nc


def jetstream(connection: Client | JetStreamContext, *, timeout: float = 5.0) -> JetStreamContext:
    """A JetStream context from a client (or the context itself, passed through)."""
    if isinstance(connection, JetStreamContext):
        return connection
    return connection.jetstream(timeout=timeout)
