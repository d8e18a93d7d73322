"""End-to-end: the system as the local runner starts it, driven over gRPC only."""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline_clients.domain.taxid import inn_with_check_digits
from fieldline_dev.runner import LocalSystem, wait_serving
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.testing.helpers import new_id

from .events import count_events, wait_for_events


def channel_to(system: LocalSystem, target: str) -> grpc.aio.Channel:
    """A channel whose calls carry an administrator's token of the system's key."""
    return grpc.aio.insecure_channel(target, interceptors=[BearerToken(system.token_source())])


def client_request(n: int) -> cs.CreateClientRequest:
    inn = inn_with_check_digits(f"{500000000 + n:09d}")
    return cs.CreateClientRequest(
        request_id=new_id(),
        client=pb.Client(
            id=new_id(),
            name=f"ООО «Клиент {n}»",
            inn=inn,
            kpp="500101001",
            type=pb.CLIENT_TYPE_RETAIL,
        ),
    )


async def test_events_written_while_nats_is_down_are_published_once_it_is_back(
    system: LocalSystem,
) -> None:
    target = system.running["clients"].target
    assert system.nats is not None
    async with channel_to(system, target) as channel:
        stub = cs_grpc.ClientsServiceStub(channel)
        before = await stub.CreateClient(client_request(1))
        await wait_for_events(system.nats.url, {("ClientCreated", before.client.id)})

        await system.nats.stop()
        created = [(await stub.CreateClient(client_request(100 + i))).client.id for i in range(20)]
        await asyncio.sleep(1.5)  # the relay tries, fails, and keeps the rows
        await system.nats.start()

        wanted = {("ClientCreated", cid) for cid in created}
        seen = await wait_for_events(system.nats.url, wanted)
    assert wanted <= set(seen), "events written during the outage were lost"
    assert all(seen[key] == 1 for key in wanted), "an event was published twice"
    assert seen[("ClientCreated", before.client.id)] == 1


def _watch_health(target: str, statuses: list[str], stop: threading.Event) -> None:
    """Poll Check until the server goes away, recording each distinct answer."""
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while not stop.is_set():
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    continue  # a slow answer on a busy machine says nothing about health
                # A Check that reaches the server as it closes is refused (UNAVAILABLE) or
                # cancelled (CANCELLED), as the test's calls are: either way it is gone.
                status = (
                    "UNAVAILABLE" if exc.code() == grpc.StatusCode.CANCELLED else exc.code().name
                )
            if not statuses or statuses[-1] != status:
                statuses.append(status)
            if status == "UNAVAILABLE":
                return
            time.sleep(0.02)


async def test_sigterm_under_load_drains_in_flight_calls(system: LocalSystem) -> None:
    svc = system.running["clients"]
    assert svc.process is not None and system.nats is not None
    statuses: list[str] = []
    stop_watch = threading.Event()
    watcher = threading.Thread(
        target=_watch_health, args=(svc.target, statuses, stop_watch), daemon=True
    )
    watcher.start()

    ok: dict[str, str] = {}
    failed: list[cs.CreateClientRequest] = []
    sent_after_sigterm = 0
    sigterm_at: list[float] = []

    async def worker(w: int, stub: cs_grpc.ClientsServiceStub) -> None:
        nonlocal sent_after_sigterm
        for i in range(10_000):
            request = client_request(10_000 + w * 1000 + i)
            if sigterm_at:
                sent_after_sigterm += 1
            try:
                reply = await stub.CreateClient(request, timeout=15)
                ok[request.request_id] = reply.client.id
            except grpc.aio.AioRpcError as exc:
                # A call that reaches the server as it closes is refused (UNAVAILABLE) or
                # cancelled before it runs (CANCELLED); either way the client retries it with
                # the same request_id below, and it must then apply exactly once.
                assert exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), exc
                failed.append(request)
                return

    async with channel_to(system, svc.target) as channel:
        stub = cs_grpc.ClientsServiceStub(channel)
        workers = [asyncio.create_task(worker(w, stub)) for w in range(8)]
        await asyncio.sleep(1.0)
        svc.process.send_signal(signal.SIGTERM)
        sigterm_at.append(time.monotonic())
        await asyncio.wait_for(asyncio.gather(*workers), 60)
    returncode = await asyncio.to_thread(svc.process.wait, 30)
    stop_watch.set()
    watcher.join(5)

    assert returncode == 0
    # Health said NOT_SERVING while the server still answered, before it went away.
    assert statuses[:3] == ["SERVING", "NOT_SERVING", "UNAVAILABLE"], statuses
    assert ok and sent_after_sigterm > len(failed)  # calls made during the drain delay succeeded

    # Restart the service on the same database: every acknowledged create is there, and the
    # failed ones, retried with the same request ids, apply exactly once.
    system.start_service(svc.definition)
    wait_serving(svc.target, 30)
    async with channel_to(system, svc.target) as channel:
        stub = cs_grpc.ClientsServiceStub(channel)
        for client_id in list(ok.values())[:: max(1, len(ok) // 50)]:
            await stub.GetClient(cs.GetClientRequest(client_id=client_id))
        for request in failed:
            reply = await stub.CreateClient(request)
            again = await stub.CreateClient(request)
            assert reply == again
            ok[request.request_id] = reply.client.id
    wanted = {("ClientCreated", cid) for cid in ok.values()}
    seen = await wait_for_events(system.nats.url, wanted)
    assert wanted <= set(seen)
    assert all(seen[key] == 1 for key in wanted)
    assert sum(
        1
        for (kind, _), n in (await count_events(system.nats.url)).items()
        if kind == "ClientCreated"
    ) >= len(ok)
