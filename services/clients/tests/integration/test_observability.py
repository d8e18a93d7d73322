"""Health, reflection, metrics and logs of a running clients service."""

from __future__ import annotations

import contextlib
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline_kit.testing.helpers import new_id

from .conftest import Harness


async def test_health_and_reflection(svc: Harness) -> None:
    health = health_pb2_grpc.HealthStub(svc.channel)
    for name in (
        "",
        "fieldline.clients.v1.ClientsService",
        "fieldline.clients.v1.TerritoryService",
    ):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(svc.channel)
    responses = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    services = set()
    async for response in responses:
        services |= {s.name for s in response.list_services_response.service}
    assert {
        "fieldline.clients.v1.ClientsService",
        "fieldline.clients.v1.VisitsService",
        "grpc.health.v1.Health",
    } <= services


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


async def test_per_method_metrics_count_codes_and_latency(svc: Harness) -> None:
    method = "/fieldline.clients.v1.ClientsService/GetClient"
    try:
        await svc.clients.GetClient(cs.GetClientRequest(client_id=new_id()))
    except grpc.aio.AioRpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND
    text = _metrics(svc.process.metrics_port)
    assert (
        f'fieldline_grpc_server_handled_total{{grpc_code="NOT_FOUND",grpc_method="{method}",service="clients"}}'
        in text
    )
    assert (
        f'fieldline_grpc_server_handling_seconds_count{{grpc_method="{method}",service="clients"}}'
        in text
    )
    assert "fieldline_outbox_" in text


async def test_correlation_id_reaches_the_logs(svc: Harness, capsys: object) -> None:
    cid = f"test-{new_id()}"
    with contextlib.suppress(grpc.aio.AioRpcError):
        await svc.clients.GetOutlet(
            cs.GetOutletRequest(outlet_id="bad"), metadata=(("x-correlation-id", cid),)
        )
    captured = capsys.readouterr()  # type: ignore[attr-defined]
    assert cid in captured.out + captured.err
