"""Helpers of the device gateway's e2e tests (test_devices.py): documents as a device writes
them, problem codes of HTTP answers, the gateway's consumers caught up with the streams, and a
TCP proxy that loses the gateway's answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import nats

# The gateway's durable consumers (services/device-gateway topology.py): stream → durable.
GATEWAY_CONSUMERS = {
    "CLIENTS": "gateway-clients-fanout",
    "ORDERS": "gateway-orders-fanout",
    "SETTLEMENTS": "gateway-settlements-fanout",
}
FINAL_OK = frozenset({"accepted", "acceptedWithWarning"})


def new_id() -> str:
    return str(uuid.uuid4())


def moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def code_of(reply: httpx.Response) -> str:
    """The `code` of a problem answer (RFC 9457 with the protocol's extension members)."""
    assert reply.headers.get("content-type", "").startswith("application/problem+json"), (
        reply.status_code,
        reply.headers.get("content-type"),
        reply.text[:300],
    )
    body = reply.json()
    assert body["type"] == f"tag:fieldline.dev,2026:problems/{body['code']}", body
    assert body["status"] == reply.status_code, body
    return str(body["code"])


def final_status(result: dict[str, Any]) -> str:
    """A result's status, a duplicate's as first answered."""
    return str(result.get("originalStatus") or result["status"])


# ----------------------------------------------------------------------------- documents
def document(kind: str, *, ago: timedelta = timedelta(minutes=2), **fields: Any) -> dict[str, Any]:
    created = datetime.now(UTC) - ago
    return {"kind": kind, "documentId": new_id(), "createdAt": moment(created), **fields}


def check_in(outlet: dict[str, Any], visit_id: str, day: date) -> dict[str, Any]:
    return document(
        "visitCheckIn",
        ago=timedelta(minutes=3),
        visitId=visit_id,
        outletId=outlet["id"],
        time=moment(datetime.now(UTC) - timedelta(minutes=3)),
        date=day.isoformat(),
    )


def order(
    outlet: dict[str, Any], product_id: str, day: date, visit_id: str | None = None
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "orderId": new_id(),
        "clientId": outlet["clientId"],
        "outletId": outlet["id"],
        "orderDate": day.isoformat(),
        "deliveryDate": (day + timedelta(days=1)).isoformat(),
        "lines": [{"productId": product_id, "quantity": "2"}],
    }
    if visit_id:
        fields["visitId"] = visit_id
    return document("order", **fields)


def payment(outlet: dict[str, Any], day: date, visit_id: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "paymentId": new_id(),
        "clientId": outlet["clientId"],
        "outletId": outlet["id"],
        "date": day.isoformat(),
        "amount": {"amount": "100.00", "currency": "RUB"},
        "receiptNumber": f"E2E-{new_id()[:8]}",
    }
    if visit_id:
        fields["visitId"] = visit_id
    return document("payment", **fields)


def check_out(visit_id: str) -> dict[str, Any]:
    return document(
        "visitCheckOut",
        ago=timedelta(minutes=1),
        visitId=visit_id,
        time=moment(datetime.now(UTC) - timedelta(minutes=1)),
        outcome="orderTaken",
    )


def batch(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return {"batchId": new_id(), "sentAt": moment(datetime.now(UTC)), "documents": documents}


# ----------------------------------------------------------------------------- the streams
async def gateway_caught_up(nats_url: str, timeout: float = 90.0) -> None:
    """Until the gateway's three consumers have applied everything their streams hold, and
    the streams stopped growing (the services' outboxes drained): twice in a row, 0.5 s apart."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + timeout
        last: tuple[int, ...] = ()
        quiet = 0
        while True:
            seen: list[int] = []
            idle = True
            for stream, durable in GATEWAY_CONSUMERS.items():
                info = await js.consumer_info(stream, durable)
                idle = idle and info.num_pending == 0 and info.num_ack_pending == 0
                seen.append((await js.stream_info(stream)).state.last_seq)
            quiet = quiet + 1 if idle and tuple(seen) == last else 0
            if quiet >= 2:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the gateway's consumers did not catch up within {timeout}s")
            last = tuple(seen)
            await asyncio.sleep(0.5)
    finally:
        await nc.close()


# ----------------------------------------------------------------------------- the proxy
class AnswerDroppingProxy:
    """A TCP proxy in front of the gateway that forwards each request and, as soon as the
    gateway starts answering, closes the client's connection without relaying a byte of the
    answer: the device's connection dropped mid-response, after the gateway did the work."""

    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self.host = host
        self.port = 0
        self.dropped = 0  # answers the gateway began and the client never saw
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> AnswerDroppingProxy:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)

        async def forward() -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await reader.read(64 * 1024):
                    up_writer.write(data)
                    await up_writer.drain()

        task = asyncio.create_task(forward())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            first = await up_reader.read(1)  # the gateway has begun its answer
            if first:
                self.dropped += 1
        finally:
            writer.transport.abort()  # the client sees the connection die, no answer
            task.cancel()
            up_writer.transport.abort()
