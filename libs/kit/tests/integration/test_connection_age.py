"""Calls spread over the pods behind a DNS name, and reach new pods after a scale-up, because the
kit's server closes old connections (`create_server(max_connection_age=...)`, GOAWAY).

A headless Service is a DNS name whose A records are its ready pods; a caller with a
`round_robin` channel to `dns:///<name>:<port>` connects to each and takes them in turn
(docs/operations/scaling.md). gRPC resolves the name again only when a connection goes away,
so a pod added later gets calls only once a connection closes: what the server's maximum
connection age makes happen. Here the pods are kit servers on 127.0.0.1 and 127.0.0.2 (one
port, as a Service's pods share theirs), and the cluster DNS a small DNS server on a UDP port
of 127.0.0.1 that answers A queries for one name with the addresses a test gives it (the
channel reaches it through the target's authority, `dns://127.0.0.1:<port>/<name>:<port>`).

A pod that stops is a different matter: its connection stays in every caller's round_robin
until the server closes it, whatever DNS says. A caller that watches the pods' health
(gRPC client-side health checking, `healthCheckConfig`) stops sending to a pod as soon as it
reports NOT_SERVING (the kit's drain), and loses no call; one that does not may have a call
CANCELLED at the moment the server stops (seen here in about one scale-down in three, at
hundreds of calls a second).
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import grpc
import pytest

from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.testing.helpers import eventually

NAME = "settlements-headless.fieldline.test"
SERVICE = "test.Whoami"
AGE = 1.0  # seconds; the kit's default is MAX_CONNECTION_AGE_SECONDS (minutes)
# gRPC waits at least 30 s between two resolutions of a name by default; a test has no time
# for that (the services keep the default: connections live minutes, longer than 30 s).
CHANNEL_OPTIONS = (
    ("grpc.lb_policy_name", "round_robin"),  # as orders' channel to settlements
    ("grpc.dns_min_time_between_resolutions_ms", 100),
)
# What a caller adds to watch the pods' health: round_robin then skips a NOT_SERVING pod.
HEALTH_CHECKED = (
    *CHANNEL_OPTIONS,
    (
        "grpc.service_config",
        json.dumps(
            {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}
        ),
    ),
)
A_RECORD, NXDOMAIN = 1, 3


class DnsServer(asyncio.DatagramProtocol):
    """Answers A queries for NAME with `addresses` (TTL 1 s), any other query for NAME with no
    record, and queries for other names with NXDOMAIN."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.a_queries = 0
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        ident, _flags = struct.unpack(">HH", data[:4])
        i, labels = 12, []
        while data[i]:
            labels.append(data[i + 1 : i + 1 + data[i]].decode())
            i += 1 + data[i]
        qtype = struct.unpack(">H", data[i + 1 : i + 3])[0]
        question = data[12 : i + 5]
        ours = ".".join(labels).lower() == NAME
        records = b""
        if ours and qtype == A_RECORD:
            self.a_queries += 1
            for address in self.addresses:  # a pointer to the question's name, A, IN, TTL 1
                records += b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 1, 4)
                records += socket.inet_aton(address)
        count = len(self.addresses) if ours and qtype == A_RECORD else 0
        flags = 0x8180 | (0 if ours else NXDOMAIN)  # a response, recursion desired/available
        header = struct.pack(">HHHHHH", ident, flags, 1, count, 0, 0)
        assert self._transport is not None
        self._transport.sendto(header + question + records, addr)


@pytest.fixture(scope="module")
def second_loopback() -> Iterator[None]:
    """127.0.0.2 is loopback on Linux; elsewhere (macOS) it needs an alias: skip there."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.2", 0))
        except OSError:
            pytest.skip("127.0.0.2 is not a local address here")
    yield


@asynccontextmanager
async def dns_server() -> AsyncIterator[tuple[DnsServer, int]]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        DnsServer, local_addr=("127.0.0.1", 0)
    )
    try:
        yield protocol, transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


async def pod(label: str, host: str, port: int, age: float | None) -> GrpcServer:
    """A kit server whose one method answers with `label`."""

    async def whoami(_request: bytes, _context: grpc.aio.ServicerContext) -> bytes:
        return label.encode()

    def register(server: grpc.aio.Server) -> list[str]:
        handler = grpc.unary_unary_rpc_method_handler(whoami)  # bytes in, bytes out
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, {"Get": handler}),)
        )
        return [SERVICE]

    server = await create_server(label, host, port, register, max_connection_age=age)
    await server.start()
    await server.mark_serving()
    return server


class Caller:
    """Calls through one round_robin channel; counts who answered, fails on any error."""

    def __init__(self, target: str, options: Sequence[tuple[str, Any]] = CHANNEL_OPTIONS) -> None:
        self.channel = grpc.aio.insecure_channel(target, options=options)
        self._get = self.channel.unary_unary(f"/{SERVICE}/Get")
        self.answered: Counter[str] = Counter()

    async def call(self) -> str:
        label = bytes(await self._get(b"", timeout=3)).decode()
        self.answered[label] += 1
        return label

    async def calls_for(self, seconds: float) -> Counter[str]:
        """Who answered the calls made during `seconds`, one every 20 ms."""
        seen: Counter[str] = Counter()
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            seen[await self.call()] += 1
            await asyncio.sleep(0.02)
        return seen


async def test_a_scale_up_gets_calls_once_connections_age(second_loopback: None) -> None:
    async with dns_server() as (dns, dns_port):
        a = await pod("a", "127.0.0.1", 0, AGE)
        dns.addresses = ["127.0.0.1"]
        caller = Caller(f"dns://127.0.0.1:{dns_port}/{NAME}:{a.port}")
        b: GrpcServer | None = None
        try:
            assert set(await caller.calls_for(0.3)) == {"a"}

            # Scale-up: a second pod, ready, in the name's records. The caller's connection
            # to a goes away after AGE; it resolves the name again and connects to b too.
            b = await pod("b", "127.0.0.2", a.port, AGE)
            dns.addresses = ["127.0.0.1", "127.0.0.2"]
            loop = asyncio.get_running_loop()
            scaled_up = loop.time()

            async def b_answers() -> bool:
                return await caller.call() == "b"

            await eventually(b_answers, within=10, every=0.02, what="b answering a call")
            # within about the age (+10 % jitter) and a resolution, not the test's bound
            assert loop.time() - scaled_up < 3 * AGE
            # From then on the calls alternate (round_robin over two ready connections), and
            # none fails while connections keep being replaced (each call raises otherwise).
            spread = await caller.calls_for(2 * AGE)
            assert spread["a"] > 0 and spread["b"] > 0, spread
            assert abs(spread["a"] - spread["b"]) <= 0.2 * spread.total() + 2, spread
            assert dns.a_queries >= 2
        finally:
            await caller.channel.close()
            if b is not None:
                await b.stop(0)
            await a.stop(0)


async def test_a_pod_that_drains_loses_no_call_of_a_caller_watching_health(
    second_loopback: None,
) -> None:
    """Scale-down as Kubernetes and the kit do it: b leaves the records (not ready), reports
    NOT_SERVING for a drain delay, then stops with a grace. Four callers calling all along get
    every answer, from a once b is gone."""
    async with dns_server() as (dns, dns_port):
        a = await pod("a", "127.0.0.1", 0, AGE)
        b = await pod("b", "127.0.0.2", a.port, AGE)
        dns.addresses = ["127.0.0.1", "127.0.0.2"]
        caller = Caller(f"dns://127.0.0.1:{dns_port}/{NAME}:{a.port}", HEALTH_CHECKED)
        done = asyncio.Event()

        async def calling() -> None:
            while not done.is_set():
                await caller.call()
                await asyncio.sleep(0.002)

        callers = [asyncio.create_task(calling()) for _ in range(4)]
        try:
            await eventually(lambda: caller.answered["b"] > 0, what="b answering a call")
            dns.addresses = ["127.0.0.1"]
            await b.mark_not_serving()  # the kit's drain: NOT_SERVING, still serving
            await asyncio.sleep(0.5)
            before = caller.answered["b"]
            await b.stop(1.0)
            await asyncio.sleep(0.3)
            assert caller.answered["b"] == before  # none once the callers saw NOT_SERVING
            done.set()
            await asyncio.gather(*callers)  # raises the first call that failed, if any
        finally:
            done.set()
            for task in callers:
                task.cancel()
            await caller.channel.close()
            await b.stop(0)
            await a.stop(0)
        assert caller.answered["a"] > 0


async def test_without_a_connection_age_a_new_pod_gets_no_calls(second_loopback: None) -> None:
    """Why the age: nothing else makes the channel resolve the name again while its
    connection lives, so a pod added later gets no calls from it (for as long as it lives)."""
    async with dns_server() as (dns, dns_port):
        a = await pod("a", "127.0.0.1", 0, None)
        dns.addresses = ["127.0.0.1"]
        caller = Caller(f"dns://127.0.0.1:{dns_port}/{NAME}:{a.port}")
        b = await pod("b", "127.0.0.2", a.port, None)
        try:
            await caller.call()
            dns.addresses = ["127.0.0.1", "127.0.0.2"]
            seen = await caller.calls_for(3 * AGE)
            assert set(seen) == {"a"}, seen
            assert dns.a_queries == 1
        finally:
            await caller.channel.close()
            await b.stop(0)
            await a.stop(0)
